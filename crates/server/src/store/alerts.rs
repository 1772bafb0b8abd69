//! Alert rules and the alerts they fired, with their webhook delivery state.

/// Alert rule and fired-alert storage.
pub trait AlertStore {}
