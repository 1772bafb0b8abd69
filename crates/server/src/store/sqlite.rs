//! [`SqliteStore`]: the embedded default store, one SQLite file in the data directory.

mod access;
mod alerts;
#[cfg(test)]
mod batch_tests;
mod event_rows;
mod issues;
mod migrate;
mod privacy;
mod quarantine;
mod releases;
mod traces;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{
    CompleteOutcome, InboxEntry, InsertOutcome, NewInboxEntry, NewSegment, ProcessedEnvelope,
    Project, SegmentInfo, Store, StoreError, StoredEvent,
};
use crate::summary::{ReplaySummary, SegmentSummary};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "sightline.db";

const SCHEMA: &str = include_str!("schema.sql");

const REPLAY_COLUMNS: &str = "id, project_id, started_at_ms, finished_at_ms, urls, release, \
     environment, segment_count, error_ids, trace_ids";

/// A [`Store`] in one SQLite database (WAL journal, `synchronous=FULL`: a committed write
/// survives a crash or power loss).
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and its schema.
    ///
    /// # Errors
    /// [`StoreError::DataDir`] if the directory cannot be created, [`StoreError::Sqlite`] if the
    /// database cannot be opened or migrated.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        Self::with_connection(Connection::open(data_dir.join(DATABASE_FILE))?)
    }

    /// Opens a private in-memory database, for tests.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite fails.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(connection: Connection) -> Result<Self, StoreError> {
        // In-memory databases answer "memory" here; files switch to WAL.
        let _mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        // Deleted rows (scrubbed-away payloads, expired data, deleted replays) are zeroed where
        // that costs no extra I/O, so their bytes do not linger in free pages.
        connection.pragma_update(None, "secure_delete", "FAST")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        connection.execute_batch(SCHEMA)?;
        migrate::from_version(&connection, version)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half-applied (it rolls back
        // on drop), so the connection stays usable.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    fn project(&self, id: u64) -> Result<Option<Project>, StoreError> {
        let connection = self.connection();
        Ok(connection
            .query_row(
                "SELECT id, public_key FROM projects WHERE id = ?1",
                [id],
                |row| {
                    Ok(Project {
                        id: row.get(0)?,
                        public_key: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn create_project(
        &self,
        project: &Project,
        admin_token_sha256: &str,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1)",
            [project.id],
            |row| row.get(0),
        )?;
        if exists {
            return Err(StoreError::Conflict(format!(
                "project {} already exists",
                project.id
            )));
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO projects (id, public_key, created_at_ms) VALUES (?1, ?2, ?3)",
            params![project.id, project.public_key, now],
        )?;
        tx.execute(
            "INSERT INTO admin_tokens (token_sha256, created_at_ms) VALUES (?1, ?2)",
            params![admin_token_sha256, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn has_admin_token(&self, token_sha256: &str) -> Result<bool, StoreError> {
        let connection = self.connection();
        Ok(connection.query_row(
            "SELECT EXISTS (SELECT 1 FROM admin_tokens WHERE token_sha256 = ?1)",
            [token_sha256],
            |row| row.get(0),
        )?)
    }

    fn insert_segment(&self, segment: &NewSegment) -> Result<InsertOutcome, StoreError> {
        let summary = &segment.summary;
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<Vec<u8>> = tx
            .query_row(
                "SELECT bytes FROM segments WHERE replay_id = ?1 AND segment_index = ?2",
                params![summary.replay_id, summary.index],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(existing) = existing {
            return if existing == segment.bytes {
                Ok(InsertOutcome::AlreadyStored)
            } else {
                Err(StoreError::Conflict(format!(
                    "segment {} of replay {} is already stored with different content",
                    summary.index, summary.replay_id
                )))
            };
        }
        let owner: Option<u64> = tx
            .query_row(
                "SELECT project_id FROM replays WHERE id = ?1",
                [&summary.replay_id],
                |row| row.get(0),
            )
            .optional()?;
        if owner.is_some_and(|owner| owner != segment.project_id) {
            return Err(StoreError::Conflict(format!(
                "replay {} belongs to another project",
                summary.replay_id
            )));
        }
        tx.execute(
            "INSERT INTO segments (replay_id, segment_index, project_id, start_ms, end_ms, \
             event_count, release, environment, urls, error_ids, trace_ids, bytes, \
             received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                summary.replay_id,
                summary.index,
                segment.project_id,
                summary.start,
                summary.end,
                summary.event_count,
                summary.release,
                summary.environment,
                to_json(&summary.urls)?,
                to_json(&summary.error_ids)?,
                to_json(&summary.trace_ids)?,
                segment.bytes,
                now_ms(),
            ],
        )?;
        event_rows::insert_requests(&tx, &segment.requests)?;
        let relinked = event_rows::relink_for_segment(&tx, &summary.replay_id, &segment.requests)?;
        if relinked > 0 {
            tracing::info!(
                replay_id = %summary.replay_id,
                relinked,
                "linked waiting backend events to a new segment"
            );
        }
        let summaries = {
            let mut statement = tx.prepare(
                "SELECT replay_id, segment_index, start_ms, end_ms, event_count, release, \
                 environment, urls, error_ids, trace_ids FROM segments WHERE replay_id = ?1",
            )?;
            let rows = statement.query_map([&summary.replay_id], segment_summary_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let replay = ReplaySummary::merge(segment.project_id, &summaries)
            .ok_or_else(|| StoreError::Corrupt("replay has no segments after insert".into()))?;
        tx.execute(
            "INSERT INTO replays (id, project_id, started_at_ms, finished_at_ms, urls, release, \
             environment, segment_count, error_ids, trace_ids) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (id) DO UPDATE SET started_at_ms = excluded.started_at_ms, \
             finished_at_ms = excluded.finished_at_ms, urls = excluded.urls, \
             release = excluded.release, environment = excluded.environment, \
             segment_count = excluded.segment_count, error_ids = excluded.error_ids, \
             trace_ids = excluded.trace_ids",
            params![
                replay.id,
                replay.project_id,
                replay.started_at_ms,
                replay.finished_at_ms,
                to_json(&replay.urls)?,
                replay.release,
                replay.environment,
                replay.segment_count,
                to_json(&replay.error_ids)?,
                to_json(&replay.trace_ids)?,
            ],
        )?;
        tx.commit()?;
        Ok(InsertOutcome::Stored)
    }

    fn replays(&self) -> Result<Vec<ReplaySummary>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {REPLAY_COLUMNS} FROM replays ORDER BY started_at_ms DESC, id"
        ))?;
        let rows = statement.query_map([], replay_row)?;
        let mut replays = rows.collect::<Result<Vec<_>, _>>()?;
        for replay in &mut replays {
            append_backend_errors(&connection, replay)?;
        }
        Ok(replays)
    }

    fn replay(&self, id: &str) -> Result<Option<ReplaySummary>, StoreError> {
        let connection = self.connection();
        let mut replay = connection
            .query_row(
                &format!("SELECT {REPLAY_COLUMNS} FROM replays WHERE id = ?1"),
                [id],
                replay_row,
            )
            .optional()?;
        if let Some(replay) = &mut replay {
            append_backend_errors(&connection, replay)?;
        }
        Ok(replay)
    }

    fn segments(&self, replay_id: &str) -> Result<Vec<SegmentInfo>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT segment_index, start_ms, end_ms, event_count, length(bytes) FROM segments \
             WHERE replay_id = ?1 ORDER BY segment_index",
        )?;
        let rows = statement.query_map([replay_id], |row| {
            Ok(SegmentInfo {
                index: row.get(0)?,
                start: row.get(1)?,
                end: row.get(2)?,
                event_count: row.get(3)?,
                size: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn segment_bytes(&self, replay_id: &str, index: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let connection = self.connection();
        Ok(connection
            .query_row(
                "SELECT bytes FROM segments WHERE replay_id = ?1 AND segment_index = ?2",
                params![replay_id, index],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn enqueue(&self, entry: &NewInboxEntry) -> Result<i64, StoreError> {
        let connection = self.connection();
        connection.execute(
            "INSERT INTO inbox (project_id, event_id, received_at_ms, payload) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                entry.project_id,
                entry.event_id,
                entry.received_at_ms,
                entry.payload
            ],
        )?;
        Ok(connection.last_insert_rowid())
    }

    fn inbox(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT id, project_id, event_id, received_at_ms, payload FROM inbox \
             ORDER BY id LIMIT ?1",
        )?;
        let rows = statement.query_map([limit], event_rows::inbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn inbox_len(&self) -> Result<u64, StoreError> {
        let connection = self.connection();
        Ok(connection.query_row("SELECT COUNT(*) FROM inbox", [], |row| row.get(0))?)
    }

    fn complete_inbox_entry(
        &self,
        id: i64,
        processed: &ProcessedEnvelope,
    ) -> Result<CompleteOutcome, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = complete_entry(&tx, id, processed)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn complete_inbox_entries(
        &self,
        entries: &[(i64, ProcessedEnvelope)],
    ) -> Result<Vec<CompleteOutcome>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcomes = entries
            .iter()
            .map(|(id, processed)| complete_entry(&tx, *id, processed))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        event_rows::event(&self.connection(), id)
    }

    fn replay_events(&self, replay_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        event_rows::replay_events(&self.connection(), replay_id)
    }
}

/// Stores what inbox entry `id` turned into and deletes the entry, inside the caller's
/// transaction (see [`Store::complete_inbox_entry`]).
fn complete_entry(
    tx: &Connection,
    id: i64,
    processed: &ProcessedEnvelope,
) -> Result<CompleteOutcome, StoreError> {
    let mut outcome = CompleteOutcome::default();
    for event in &processed.events {
        match event_rows::insert_event(tx, event)? {
            Some(linked) => {
                outcome.stored += 1;
                outcome.linked += usize::from(linked);
                let activity =
                    issues::group_event(tx, event, &event.grouping, issues::Alerts::Evaluate)?;
                outcome.new_issues += usize::from(activity.created);
                outcome.regressions += usize::from(activity.regressed);
            }
            None => outcome.duplicates += 1,
        }
    }
    for transaction in &processed.transactions {
        if event_rows::insert_transaction(tx, transaction)? {
            outcome.stored += 1;
        } else {
            outcome.duplicates += 1;
        }
    }
    // Logs have no id of their own: only the run that removes the entry stores them.
    let pending = tx.execute("DELETE FROM inbox WHERE id = ?1", [id])? > 0;
    let spans = traces::insert_spans(tx, &processed.spans)?;
    let logs = if pending {
        traces::insert_logs(tx, &processed.logs)?
    } else {
        traces::Written::default()
    };
    outcome.spans = spans.stored;
    outcome.logs = logs.stored;
    outcome.over_trace_limit = spans.over_limit + logs.over_limit;
    Ok(outcome)
}

/// Appends the linked backend events to a replay's `error_ids`, after its JS errors.
fn append_backend_errors(
    connection: &Connection,
    replay: &mut ReplaySummary,
) -> Result<(), StoreError> {
    for id in event_rows::linked_event_ids(connection, &replay.id)? {
        if !replay.error_ids.contains(&id) {
            replay.error_ids.push(id);
        }
    }
    Ok(())
}

fn replay_row(row: &Row<'_>) -> rusqlite::Result<ReplaySummary> {
    Ok(ReplaySummary {
        id: row.get(0)?,
        project_id: row.get(1)?,
        started_at_ms: row.get(2)?,
        finished_at_ms: row.get(3)?,
        urls: event_rows::json_column(row, 4)?,
        release: row.get(5)?,
        environment: row.get(6)?,
        segment_count: row.get(7)?,
        error_ids: event_rows::json_column(row, 8)?,
        trace_ids: event_rows::json_column(row, 9)?,
    })
}

fn segment_summary_row(row: &Row<'_>) -> rusqlite::Result<SegmentSummary> {
    Ok(SegmentSummary {
        replay_id: row.get(0)?,
        index: row.get(1)?,
        start: row.get(2)?,
        end: row.get(3)?,
        event_count: row.get(4)?,
        release: row.get(5)?,
        environment: row.get(6)?,
        urls: event_rows::json_column(row, 7)?,
        error_ids: event_rows::json_column(row, 8)?,
        trace_ids: event_rows::json_column(row, 9)?,
    })
}

fn to_json(list: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|error| StoreError::Corrupt(error.to_string()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn summary(index: u32, start: u64) -> SegmentSummary {
        SegmentSummary {
            replay_id: "0123456789abcdef0123456789abcdef".into(),
            index,
            start,
            end: start + 100,
            event_count: 1,
            release: "shop@1".into(),
            environment: "production".into(),
            urls: vec![format!("https://shop.example/{index}")],
            error_ids: Vec::new(),
            trace_ids: Vec::new(),
        }
    }

    fn store_with_project() -> SqliteStore {
        let store = SqliteStore::open_in_memory().unwrap();
        let project = Project {
            id: 1,
            public_key: "k".into(),
        };
        store.create_project(&project, "digest").unwrap();
        store
    }

    #[test]
    fn segment_insert_is_idempotent_and_conflicts_on_different_bytes() {
        let store = store_with_project();
        let segment = NewSegment {
            project_id: 1,
            summary: summary(0, 1_000),
            bytes: vec![1, 2, 3],
            requests: Vec::new(),
        };
        assert_eq!(
            store.insert_segment(&segment).unwrap(),
            InsertOutcome::Stored
        );
        assert_eq!(
            store.insert_segment(&segment).unwrap(),
            InsertOutcome::AlreadyStored
        );
        let different = NewSegment {
            bytes: vec![9],
            ..segment.clone()
        };
        assert!(matches!(
            store.insert_segment(&different),
            Err(StoreError::Conflict(_))
        ));
        let replay_id = &segment.summary.replay_id;
        assert_eq!(
            store.segment_bytes(replay_id, 0).unwrap().unwrap(),
            [1, 2, 3]
        );
        assert_eq!(store.replay(replay_id).unwrap().unwrap().segment_count, 1);
    }

    #[test]
    fn replay_summary_follows_every_segment() {
        let store = store_with_project();
        for (index, start) in [(1, 2_000), (0, 1_000)] {
            let segment = NewSegment {
                project_id: 1,
                summary: summary(index, start),
                bytes: vec![u8::try_from(index).unwrap()],
                requests: Vec::new(),
            };
            store.insert_segment(&segment).unwrap();
        }
        let replays = store.replays().unwrap();
        assert_eq!(replays.len(), 1);
        assert_eq!(replays[0].started_at_ms, 1_000);
        assert_eq!(replays[0].finished_at_ms, 2_100);
        assert_eq!(
            replays[0].urls,
            ["https://shop.example/0", "https://shop.example/1"]
        );
        let indexes: Vec<u32> = store
            .segments(&replays[0].id)
            .unwrap()
            .iter()
            .map(|s| s.index)
            .collect();
        assert_eq!(indexes, [0, 1]);
    }

    #[test]
    fn a_replay_cannot_move_to_another_project() {
        let store = store_with_project();
        let other = Project {
            id: 2,
            public_key: "k2".into(),
        };
        store.create_project(&other, "digest2").unwrap();
        let first = NewSegment {
            project_id: 1,
            summary: summary(0, 1_000),
            bytes: vec![1],
            requests: Vec::new(),
        };
        store.insert_segment(&first).unwrap();
        let second = NewSegment {
            project_id: 2,
            summary: summary(1, 2_000),
            bytes: vec![2],
            requests: Vec::new(),
        };
        assert!(matches!(
            store.insert_segment(&second),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.segments(&first.summary.replay_id).unwrap().len(), 1);
    }

    #[test]
    fn creating_a_project_twice_conflicts() {
        let store = store_with_project();
        let again = Project {
            id: 1,
            public_key: "other".into(),
        };
        assert!(matches!(
            store.create_project(&again, "x"),
            Err(StoreError::Conflict(_))
        ));
        assert!(store.has_admin_token("digest").unwrap());
        assert!(!store.has_admin_token("x").unwrap());
    }
}
