//! The SQL behind [`QuarantineStore`], and a page limit that simulates a full disk.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{SqliteStore, event_rows};
use crate::store::quarantine::{
    InboxStats, NewQuarantined, QuarantineLimits, QuarantineOutcome, QuarantineStats,
    QuarantineStore, QuarantinedItem, bounded_reason, kind,
};
use crate::store::{InboxEntry, StoreError};

const ITEM_COLUMNS: &str = "id, project_id, kind, reason, received_at_ms, length(payload)";

impl SqliteStore {
    /// Caps the database file at `pages` pages (`PRAGMA max_page_count`) on this store's
    /// connection, so writes that need more fail with `SQLITE_FULL` exactly as on a full disk;
    /// returns the cap in effect (never below the current size). For tests and drills.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite fails.
    pub fn limit_pages(&self, pages: u64) -> Result<u64, StoreError> {
        let connection = self.connection();
        Ok(
            connection.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
                row.get(0)
            })?,
        )
    }

    /// Runs `sql` on this store's connection: for tests that damage stored rows on purpose.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite fails.
    pub fn execute_for_test(&self, sql: &str) -> Result<usize, StoreError> {
        Ok(self.connection().execute(sql, [])?)
    }
}

impl QuarantineStore for SqliteStore {
    fn quarantine(
        &self,
        item: &NewQuarantined,
        limits: QuarantineLimits,
    ) -> Result<QuarantineOutcome, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO quarantine (project_id, kind, reason, received_at_ms, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                item.project_id,
                item.kind,
                bounded_reason(&item.reason),
                item.received_at_ms,
                item.payload
            ],
        )?;
        let id = tx.last_insert_rowid();
        let dropped = enforce_bounds(&tx, id, limits)?;
        tx.commit()?;
        Ok(QuarantineOutcome { id, dropped })
    }

    fn quarantine_inbox_entry(
        &self,
        inbox_id: i64,
        reason: &str,
        limits: QuarantineLimits,
    ) -> Result<Option<QuarantineOutcome>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let moved = tx.execute(
            "INSERT INTO quarantine (project_id, kind, reason, received_at_ms, payload) \
             SELECT project_id, ?2, ?3, received_at_ms, payload FROM inbox WHERE id = ?1",
            params![inbox_id, kind::ENVELOPE, bounded_reason(reason)],
        )?;
        if moved == 0 {
            return Ok(None);
        }
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM inbox WHERE id = ?1", [inbox_id])?;
        let dropped = enforce_bounds(&tx, id, limits)?;
        tx.commit()?;
        Ok(Some(QuarantineOutcome { id, dropped }))
    }

    fn quarantined(&self, limit: usize) -> Result<Vec<QuarantinedItem>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM quarantine ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = statement.query_map([limit], item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn quarantined_payload(
        &self,
        id: i64,
    ) -> Result<Option<(QuarantinedItem, Vec<u8>)>, StoreError> {
        let connection = self.connection();
        Ok(connection
            .query_row(
                &format!("SELECT {ITEM_COLUMNS}, payload FROM quarantine WHERE id = ?1"),
                [id],
                |row| Ok((item_row(row)?, row.get(6)?)),
            )
            .optional()?)
    }

    fn quarantine_stats(&self) -> Result<QuarantineStats, StoreError> {
        let connection = self.connection();
        let (entries, bytes) = totals(&connection)?;
        let dropped: Option<u64> = connection
            .query_row(
                "SELECT entries FROM quarantine_dropped WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(QuarantineStats {
            entries,
            bytes,
            dropped: dropped.unwrap_or(0),
        })
    }

    fn inbox_stats(&self) -> Result<InboxStats, StoreError> {
        let connection = self.connection();
        let (entries, bytes) = connection.query_row(
            "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0) FROM inbox",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(InboxStats { entries, bytes })
    }

    fn inbox_batch(
        &self,
        max_entries: usize,
        max_bytes: u64,
    ) -> Result<Vec<InboxEntry>, StoreError> {
        let connection = self.connection();
        let sizes = {
            let mut statement = connection
                .prepare_cached("SELECT id, length(payload) FROM inbox ORDER BY id LIMIT ?1")?;
            let rows = statement.query_map([max_entries], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, u64>(1)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let Some(&(first, _)) = sizes.first() else {
            return Ok(Vec::new());
        };
        let mut last = first;
        let mut total = 0_u64;
        for &(id, size) in &sizes {
            total = total.saturating_add(size);
            if id != first && total > max_bytes {
                break;
            }
            last = id;
        }
        let mut statement = connection.prepare_cached(
            "SELECT id, project_id, event_id, received_at_ms, payload FROM inbox \
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let rows = statement.query_map([first, last], event_rows::inbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn item_row(row: &Row<'_>) -> rusqlite::Result<QuarantinedItem> {
    Ok(QuarantinedItem {
        id: row.get(0)?,
        project_id: row.get(1)?,
        kind: row.get(2)?,
        reason: row.get(3)?,
        received_at_ms: row.get(4)?,
        size: row.get(5)?,
    })
}

/// Items and payload bytes in the quarantine.
fn totals(connection: &Connection) -> Result<(u64, u64), StoreError> {
    Ok(connection.query_row(
        "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0) FROM quarantine",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

/// Drops the oldest items (never `keep`, the one just added) until the quarantine is within
/// `limits`, and counts them; returns how many were dropped.
fn enforce_bounds(tx: &Connection, keep: i64, limits: QuarantineLimits) -> Result<u64, StoreError> {
    let (mut entries, mut bytes) = totals(tx)?;
    if entries <= limits.max_entries && bytes <= limits.max_bytes {
        return Ok(0);
    }
    let oldest = {
        let mut statement = tx.prepare(
            "SELECT id, length(payload) FROM quarantine WHERE id != ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![keep, entries], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, u64>(1)?))
        })?;
        let mut victims = Vec::new();
        for row in rows {
            if entries <= limits.max_entries && bytes <= limits.max_bytes {
                break;
            }
            let (id, size) = row?;
            entries -= 1;
            bytes = bytes.saturating_sub(size);
            victims.push((id, size));
        }
        victims
    };
    let mut dropped_bytes = 0_u64;
    for (id, size) in &oldest {
        tx.execute("DELETE FROM quarantine WHERE id = ?1", [id])?;
        dropped_bytes += size;
    }
    let dropped = oldest.len() as u64;
    tx.execute(
        "INSERT INTO quarantine_dropped (id, entries, bytes) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET entries = entries + excluded.entries, \
         bytes = bytes + excluded.bytes",
        params![dropped, dropped_bytes],
    )?;
    tracing::warn!(
        dropped,
        dropped_bytes,
        max_entries = limits.max_entries,
        max_bytes = limits.max_bytes,
        "quarantine full: dropped its oldest items"
    );
    Ok(dropped)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::NewInboxEntry;
    use crate::store::Store;

    fn item(reason: &str, size: usize) -> NewQuarantined {
        NewQuarantined {
            project_id: 1,
            kind: kind::SEGMENT.into(),
            reason: reason.into(),
            received_at_ms: 1_000,
            payload: vec![7; size],
        }
    }

    #[test]
    fn the_oldest_items_are_dropped_and_counted_beyond_the_bounds() {
        let store = SqliteStore::open_in_memory().unwrap();
        let limits = QuarantineLimits {
            max_entries: 3,
            max_bytes: 100,
        };
        for n in 0..5 {
            store
                .quarantine(&item(&format!("bad {n}"), 10), limits)
                .unwrap();
        }
        let kept = store.quarantined(10).unwrap();
        let reasons: Vec<_> = kept.iter().map(|item| item.reason.as_str()).collect();
        assert_eq!(reasons, ["bad 4", "bad 3", "bad 2"]);
        let outcome = store.quarantine(&item("big", 95), limits).unwrap();
        assert_eq!(outcome.dropped, 3, "95 + 10 bytes would exceed 100");
        let stats = store.quarantine_stats().unwrap();
        assert_eq!((stats.entries, stats.bytes, stats.dropped), (1, 95, 5));
        let (listed, payload) = store.quarantined_payload(outcome.id).unwrap().unwrap();
        assert_eq!((listed.size, payload.len()), (95, 95));
    }

    #[test]
    fn an_inbox_entry_moves_to_the_quarantine_in_one_step() {
        let store = SqliteStore::open_in_memory().unwrap();
        let id = store
            .enqueue(&NewInboxEntry {
                project_id: 1,
                event_id: "e".into(),
                received_at_ms: 5,
                payload: b"poison".to_vec(),
            })
            .unwrap();
        let outcome = store
            .quarantine_inbox_entry(id, "cannot parse", QuarantineLimits::DEFAULT)
            .unwrap()
            .unwrap();
        assert_eq!(store.inbox_len().unwrap(), 0);
        let (item, payload) = store.quarantined_payload(outcome.id).unwrap().unwrap();
        assert_eq!(item.kind, kind::ENVELOPE);
        assert_eq!(item.reason, "cannot parse");
        assert_eq!(item.received_at_ms, 5);
        assert_eq!(payload, b"poison");
        assert!(
            store
                .quarantine_inbox_entry(id, "again", QuarantineLimits::DEFAULT)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn inbox_batches_stop_at_the_byte_bound_but_take_at_least_one() {
        let store = SqliteStore::open_in_memory().unwrap();
        for size in [60, 30, 30, 10] {
            store
                .enqueue(&NewInboxEntry {
                    project_id: 1,
                    event_id: "e".into(),
                    received_at_ms: 1,
                    payload: vec![0; size],
                })
                .unwrap();
        }
        assert_eq!(store.inbox_batch(10, 100).unwrap().len(), 2);
        assert_eq!(store.inbox_batch(10, 10).unwrap().len(), 1);
        assert_eq!(store.inbox_batch(10, 1_000).unwrap().len(), 4);
        assert_eq!(store.inbox_batch(3, 1_000).unwrap().len(), 3);
        let stats = store.inbox_stats().unwrap();
        assert_eq!((stats.entries, stats.bytes), (4, 130));
    }
}
