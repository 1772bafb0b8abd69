//! The SQL behind [`PrivacyStore`]: options in `project_options`, the retention sweep in
//! short bounded transactions, and whole-replay and whole-issue deletes.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::SqliteStore;
use crate::scrub::ScrubOptions;
use crate::store::StoreError;
use crate::store::privacy::{DeletedRows, PrivacyStore};

/// Issues or replays deleted per retention batch for each `limit / ENTITY_SHARE` rows: each one
/// takes many rows with it.
const ENTITY_SHARE: usize = 50;

impl PrivacyStore for SqliteStore {
    fn privacy_options(&self, project_id: u64) -> Result<ScrubOptions, StoreError> {
        let connection = self.connection();
        let stored: Option<Option<String>> = connection
            .query_row(
                "SELECT scrubbing FROM project_options WHERE project_id = ?1",
                [project_id],
                |row| row.get(0),
            )
            .optional()?;
        match stored.flatten() {
            None => Ok(ScrubOptions::default()),
            Some(json) => serde_json::from_str(&json).map_err(|error| {
                StoreError::Corrupt(format!(
                    "scrubbing options of project {project_id}: {error}"
                ))
            }),
        }
    }

    fn set_privacy_options(
        &self,
        project_id: u64,
        options: &ScrubOptions,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(options)
            .map_err(|error| StoreError::Corrupt(format!("scrubbing options: {error}")))?;
        self.connection().execute(
            "INSERT INTO project_options (project_id, scrubbing) VALUES (?1, ?2)
             ON CONFLICT (project_id) DO UPDATE SET scrubbing = excluded.scrubbing",
            params![project_id, json],
        )?;
        Ok(())
    }

    fn retention_days(&self, project_id: u64) -> Result<Option<u32>, StoreError> {
        let stored: Option<Option<u32>> = self
            .connection()
            .query_row(
                "SELECT retention_days FROM project_options WHERE project_id = ?1",
                [project_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(stored.flatten())
    }

    fn set_retention_days(&self, project_id: u64, days: u32) -> Result<(), StoreError> {
        self.connection().execute(
            "INSERT INTO project_options (project_id, retention_days) VALUES (?1, ?2)
             ON CONFLICT (project_id) DO UPDATE SET retention_days = excluded.retention_days",
            params![project_id, days],
        )?;
        Ok(())
    }

    fn project_retentions(&self) -> Result<Vec<(u64, Option<u32>)>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT p.id, o.retention_days FROM projects p
             LEFT JOIN project_options o ON o.project_id = p.id ORDER BY p.id",
        )?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn sweep_project(
        &self,
        project_id: u64,
        before_ms: u64,
        limit: usize,
    ) -> Result<DeletedRows, StoreError> {
        let limit = limit.max(1);
        let entities = (limit / ENTITY_SHARE).max(1);
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut deleted = DeletedRows::default();
        let old_issues: Vec<u64> = ids(
            &tx,
            "SELECT id FROM issues WHERE project_id = ?1 AND last_seen_ms < ?2 LIMIT ?3",
            project_id,
            before_ms,
            entities,
        )?;
        for issue in old_issues {
            deleted.add(&delete_issue_rows(&tx, issue)?);
        }
        let old_replays: Vec<String> = ids(
            &tx,
            "SELECT id FROM replays WHERE project_id = ?1 AND finished_at_ms < ?2 LIMIT ?3",
            project_id,
            before_ms,
            entities,
        )?;
        for replay in old_replays {
            deleted.add(&delete_replay_rows(&tx, &replay)?);
        }
        let old_events: Vec<String> = ids(
            &tx,
            "SELECT id FROM events WHERE project_id = ?1 AND received_at_ms < ?2 LIMIT ?3",
            project_id,
            before_ms,
            limit,
        )?;
        for event in old_events {
            deleted.issue_rows +=
                tx.execute("DELETE FROM issue_events WHERE event_id = ?1", [&event])?;
            deleted.events += tx.execute("DELETE FROM events WHERE id = ?1", [&event])?;
        }
        let bounded = |table: &str| -> Result<usize, StoreError> {
            Ok(tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table}
                     WHERE project_id = ?1 AND received_at_ms < ?2 LIMIT ?3)"
                ),
                params![project_id, before_ms, limit],
            )?)
        };
        deleted.transactions = bounded("transactions")?;
        deleted.spans = bounded("spans")?;
        deleted.logs = bounded("logs")?;
        deleted.quarantine = bounded("quarantine")?;
        tx.commit()?;
        Ok(deleted)
    }

    fn replay_project(&self, replay_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT project_id FROM replays WHERE id = ?1",
                [replay_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn issue_project(&self, issue_id: u64) -> Result<Option<u64>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT project_id FROM issues WHERE id = ?1",
                [issue_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn delete_replay(&self, replay_id: &str) -> Result<Option<DeletedRows>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = delete_replay_rows(&tx, replay_id)?;
        tx.commit()?;
        Ok((deleted.replays > 0).then_some(deleted))
    }

    fn delete_issue(&self, issue_id: u64) -> Result<Option<DeletedRows>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = delete_issue_rows(&tx, issue_id)?;
        tx.commit()?;
        Ok((deleted.issues > 0).then_some(deleted))
    }
}

/// The first column of `query` over `(project_id, before_ms, limit)`.
fn ids<T: rusqlite::types::FromSql>(
    tx: &Transaction<'_>,
    query: &str,
    project_id: u64,
    before_ms: u64,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let mut statement = tx.prepare(query)?;
    let rows = statement
        .query_map(params![project_id, before_ms, limit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Deletes a replay, its segments and requests, and every event's link to it.
fn delete_replay_rows(tx: &Transaction<'_>, replay_id: &str) -> Result<DeletedRows, StoreError> {
    tx.execute(
        "UPDATE events SET replay_id = NULL, link_source = NULL, request_segment = NULL,
             request_span_id = NULL, request_time_ms = NULL, request_method = NULL,
             request_url = NULL, request_status = NULL
         WHERE replay_id = ?1",
        [replay_id],
    )?;
    tx.execute(
        "UPDATE events SET hint_replay_id = NULL WHERE hint_replay_id = ?1",
        [replay_id],
    )?;
    Ok(DeletedRows {
        network_requests: tx.execute(
            "DELETE FROM network_requests WHERE replay_id = ?1",
            [replay_id],
        )?,
        segments: tx.execute("DELETE FROM segments WHERE replay_id = ?1", [replay_id])?,
        replays: tx.execute("DELETE FROM replays WHERE id = ?1", [replay_id])?,
        ..DeletedRows::default()
    })
}

/// Deletes an issue, its events and every row that belongs to it.
fn delete_issue_rows(tx: &Transaction<'_>, issue_id: u64) -> Result<DeletedRows, StoreError> {
    let events = tx.execute(
        "DELETE FROM events WHERE id IN (SELECT event_id FROM issue_events WHERE issue_id = ?1)",
        [issue_id],
    )?;
    let mut issue_rows = 0;
    for table in [
        "issue_events",
        "issue_tags",
        "issue_hours",
        "issue_users",
        "issue_activity",
        "alerts",
    ] {
        issue_rows += tx.execute(
            &format!("DELETE FROM {table} WHERE issue_id = ?1"),
            [issue_id],
        )?;
    }
    Ok(DeletedRows {
        events,
        issue_rows,
        issues: tx.execute("DELETE FROM issues WHERE id = ?1", [issue_id])?,
        ..DeletedRows::default()
    })
}
