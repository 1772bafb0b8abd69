//! Per-project privacy and retention options, and deleting a replay or an issue with everything that belongs to it.

/// Per-project privacy and retention options, and deleting a replay or an issue with everything that belongs to it.
pub trait PrivacyStore {}
