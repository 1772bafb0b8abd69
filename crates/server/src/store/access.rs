//! Accounts, organizations, API tokens, sessions, DSN keys and the server's signing secrets.

/// Accounts, organizations, API tokens, sessions, DSN keys and the server's signing secrets.
pub trait AccessStore {}
