//! Issues: events grouped by fingerprint, their status, counts and history.
//!
//! Grouping happens in the transaction that stores an event (see
//! [`complete_inbox_entry`](super::Store::complete_inbox_entry)); every change it makes to an
//! issue is described by an [`IssueActivity`] that alert rules are evaluated against in the same
//! transaction.

use super::StoreError;

/// What storing one new event did to its issue; alert rules are evaluated against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueActivity {
    /// The project.
    pub project_id: u64,
    /// The issue the event was grouped into.
    pub issue_id: u64,
    /// The event.
    pub event_id: String,
    /// The issue was created by this event.
    pub created: bool,
    /// The issue was resolved and this event reopened it.
    pub regressed: bool,
    /// The event's environment.
    pub environment: String,
    /// The event's release, if any.
    pub release: Option<String>,
    /// The event's timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
}

/// Issue queries and updates.
pub trait IssueStore {
    /// Placeholder so the trait is object safe while it is filled in.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn issue_count(&self) -> Result<u64, StoreError>;
}
