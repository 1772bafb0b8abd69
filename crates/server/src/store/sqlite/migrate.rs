//! Data migrations that the idempotent schema cannot express: filling new tables from what an
//! older version stored.

use rusqlite::Connection;
use sightline_protocol::decode_segment;

use super::{event_rows, issues};
use crate::link::traced_requests;
use crate::store::StoreError;

/// Brings the data of a database opened at schema `version` (0 for a new file) up to date;
/// the schema itself has already been applied.
pub(super) fn from_version(connection: &Connection, version: u32) -> Result<(), StoreError> {
    add_request_durations(connection)?;
    add_project_organizations(connection)?;
    if version == 1 {
        backfill_network_requests(connection)?;
    }
    if version == 1 || version == 2 {
        group_stored_events(connection)?;
    }
    Ok(())
}

/// Version 4 keeps each traced request's duration (the browser span's start); databases of
/// older versions get the column, with 0 for the requests they stored.
fn add_request_durations(connection: &Connection) -> Result<(), StoreError> {
    add_column_if_missing(
        connection,
        "network_requests",
        "duration_ms",
        "INTEGER NOT NULL DEFAULT 0",
    )
}

/// Version 5 puts projects in organizations and names them; projects stored before belong to
/// the default organization (id 1) and are named `default`.
fn add_project_organizations(connection: &Connection) -> Result<(), StoreError> {
    add_column_if_missing(
        connection,
        "projects",
        "organization_id",
        "INTEGER NOT NULL DEFAULT 1",
    )?;
    add_column_if_missing(
        connection,
        "projects",
        "name",
        "TEXT NOT NULL DEFAULT 'default'",
    )?;
    connection.execute(
        "CREATE INDEX IF NOT EXISTS projects_by_organization ON projects (organization_id)",
        [],
    )?;
    Ok(())
}

/// Adds `column` (`definition` is its type and default) to `table` unless a newer schema
/// already created it: `ALTER TABLE … ADD COLUMN` is the one schema change that cannot be
/// written idempotently in SQL.
fn add_column_if_missing(
    connection: &Connection,
    table: &str,
    column: &str,
    definition: &str,
) -> Result<(), StoreError> {
    let present: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
        [table, column],
        |row| row.get(0),
    )?;
    if !present {
        connection.execute(
            &format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"),
            [],
        )?;
    }
    Ok(())
}

/// Version 3 groups events into issues as they are stored; group those stored before.
fn group_stored_events(connection: &Connection) -> Result<(), StoreError> {
    let tx = connection.unchecked_transaction()?;
    let grouped = issues::group_stored_events(&tx)?;
    tx.commit()?;
    tracing::info!(grouped, "grouped the stored events into issues");
    Ok(())
}

/// Version 2 indexes traced requests at ingest; index those of segments stored before.
fn backfill_network_requests(connection: &Connection) -> Result<(), StoreError> {
    let tx = connection.unchecked_transaction()?;
    let mut indexed = 0_usize;
    {
        let mut statement = tx.prepare("SELECT replay_id, segment_index, bytes FROM segments")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let replay_id: String = row.get(0)?;
            let index: u32 = row.get(1)?;
            let bytes: Vec<u8> = row.get(2)?;
            match decode_segment(&bytes) {
                Ok(segment) => {
                    let requests = traced_requests(&segment);
                    event_rows::insert_requests(&tx, &requests)?;
                    indexed += requests.len();
                }
                Err(error) => tracing::warn!(
                    %replay_id,
                    index,
                    %error,
                    "stored segment does not decode; its requests are not indexed"
                ),
            }
        }
    }
    tx.commit()?;
    tracing::info!(indexed, "indexed the traced requests of stored segments");
    Ok(())
}
