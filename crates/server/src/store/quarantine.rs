//! The quarantine: payloads that could not be processed or stored, kept with the reason.

/// The quarantine: payloads that could not be processed or stored, kept with the reason.
pub trait QuarantineStore {}
