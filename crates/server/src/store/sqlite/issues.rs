//! The SQL behind issues: grouping a new event into its issue inside the caller's transaction,
//! and the issue queries of [`IssueStore`].

use rusqlite::Connection;

use super::SqliteStore;
use crate::store::{IssueStore, StoreError};

impl IssueStore for SqliteStore {
    fn issue_count(&self) -> Result<u64, StoreError> {
        let connection = self.connection();
        Ok(connection.query_row("SELECT COUNT(*) FROM issues", [], |row| row.get(0))?)
    }
}

/// Number of issues in a project, on the caller's connection.
#[allow(dead_code)]
pub(super) fn project_issue_count(
    connection: &Connection,
    project_id: u64,
) -> Result<u64, StoreError> {
    Ok(connection.query_row(
        "SELECT COUNT(*) FROM issues WHERE project_id = ?1",
        [project_id],
        |row| row.get(0),
    )?)
}
