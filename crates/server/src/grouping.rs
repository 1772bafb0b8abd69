//! Grouping: the fingerprint that puts an event into an issue, and the server's in-app rules.
