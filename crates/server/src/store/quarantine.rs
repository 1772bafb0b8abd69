//! The quarantine: payloads that could not be processed or stored, kept with the reason, so a
//! bad item is never lost silently and never blocks what comes after it. Also the inbox figures
//! ingest's backlog bound and the processor's byte-bounded batches need.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::ErrorCode;

use super::{InboxEntry, StoreError};

/// What a quarantined item was.
pub mod kind {
    /// A replay segment upload that did not decode (it was answered 400).
    pub const SEGMENT: &str = "segment";
    /// An inbox entry (an accepted envelope) the processor could not process or store.
    pub const ENVELOPE: &str = "envelope";
}

/// An item to quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantined {
    /// The project it was sent to.
    pub project_id: u64,
    /// What it is: one of [`kind`].
    pub kind: String,
    /// Why it was quarantined.
    pub reason: String,
    /// When it was received, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// The bytes as received.
    pub payload: Vec<u8>,
}

/// A quarantined item, without its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedItem {
    /// Its id in the quarantine.
    pub id: i64,
    /// The project it was sent to.
    pub project_id: u64,
    /// What it is: one of [`kind`].
    pub kind: String,
    /// Why it was quarantined.
    pub reason: String,
    /// When it was received, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// Size of the payload in bytes.
    pub size: u64,
}

/// What quarantining one item did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuarantineOutcome {
    /// The new item's id.
    pub id: i64,
    /// Older items dropped to stay within the bounds.
    pub dropped: u64,
}

/// How much the quarantine may hold; the oldest items are dropped beyond either bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantineLimits {
    /// Most items.
    pub max_entries: u64,
    /// Most payload bytes.
    pub max_bytes: u64,
}

impl QuarantineLimits {
    /// [`MAX_QUARANTINE_ENTRIES`](crate::limits::MAX_QUARANTINE_ENTRIES) and
    /// [`MAX_QUARANTINE_BYTES`](crate::limits::MAX_QUARANTINE_BYTES).
    pub const DEFAULT: Self = Self {
        max_entries: crate::limits::MAX_QUARANTINE_ENTRIES,
        max_bytes: crate::limits::MAX_QUARANTINE_BYTES,
    };
}

impl Default for QuarantineLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How full the quarantine is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuarantineStats {
    /// Items kept.
    pub entries: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Items dropped (oldest first) to stay within the bounds, ever.
    pub dropped: u64,
}

/// How full the inbox is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxStats {
    /// Entries waiting for the processor.
    pub entries: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

/// The quarantine, and the inbox figures that bound ingest and the processor.
pub trait QuarantineStore {
    /// Quarantines an item, dropping the oldest items beyond `limits` in the same transaction.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing is written then.
    fn quarantine(
        &self,
        item: &NewQuarantined,
        limits: QuarantineLimits,
    ) -> Result<QuarantineOutcome, StoreError>;

    /// Moves inbox entry `inbox_id` into the quarantine (kind [`kind::ENVELOPE`]) with `reason`,
    /// in one transaction; `None` when the entry is gone.
    ///
    /// # Errors
    /// Any [`StoreError`]; the entry stays in the inbox then.
    fn quarantine_inbox_entry(
        &self,
        inbox_id: i64,
        reason: &str,
        limits: QuarantineLimits,
    ) -> Result<Option<QuarantineOutcome>, StoreError>;

    /// Quarantined items, newest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn quarantined(&self, limit: usize) -> Result<Vec<QuarantinedItem>, StoreError>;

    /// One quarantined item and its payload.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn quarantined_payload(
        &self,
        id: i64,
    ) -> Result<Option<(QuarantinedItem, Vec<u8>)>, StoreError>;

    /// How full the quarantine is.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn quarantine_stats(&self) -> Result<QuarantineStats, StoreError>;

    /// How full the inbox is.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn inbox_stats(&self) -> Result<InboxStats, StoreError>;

    /// The oldest inbox entries: at most `max_entries`, and no more once their payloads reach
    /// `max_bytes` (at least one entry when the inbox is not empty).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn inbox_batch(
        &self,
        max_entries: usize,
        max_bytes: u64,
    ) -> Result<Vec<InboxEntry>, StoreError>;
}

/// The SQLite result code of `error`, if it is one.
fn sqlite_code(error: &StoreError) -> Option<ErrorCode> {
    match error {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => Some(failure.code),
        _ => None,
    }
}

/// Whether `error` says the disk (or the database's page limit) is full.
pub fn is_disk_full(error: &StoreError) -> bool {
    sqlite_code(error) == Some(ErrorCode::DiskFull)
}

/// Whether `error` is about the machine rather than the data — disk full, I/O error, busy or
/// locked database, out of memory — so the same write may succeed later and nothing should be
/// quarantined for it.
pub fn is_transient(error: &StoreError) -> bool {
    matches!(
        sqlite_code(error),
        Some(
            ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::OutOfMemory
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
        )
    ) || matches!(error, StoreError::DataDir { .. })
}

/// When a full disk was last logged (seconds since the Unix epoch).
static DISK_FULL_LOGGED: AtomicU64 = AtomicU64::new(0);

/// How often a full disk is logged at most.
const DISK_FULL_LOG_EVERY_SECS: u64 = 10;

/// Logs a full disk as one clear error line, at most every ten seconds however many requests
/// hit it.
pub fn log_disk_full(error: &StoreError) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let last = DISK_FULL_LOGGED.load(Ordering::Relaxed);
    if now.saturating_sub(last) >= DISK_FULL_LOG_EVERY_SECS
        && DISK_FULL_LOGGED
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::error!(
            %error,
            "DISK FULL: the database cannot grow; ingest answers 503 with Retry-After until \
             space is freed, reads keep working, nothing stored is lost"
        );
    }
}

/// `reason` cut to [`MAX_QUARANTINE_REASON_BYTES`](crate::limits::MAX_QUARANTINE_REASON_BYTES)
/// at a character boundary.
pub fn bounded_reason(reason: &str) -> String {
    let max = crate::limits::MAX_QUARANTINE_REASON_BYTES;
    if reason.len() <= max {
        return reason.to_owned();
    }
    let mut end = max;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_at_a_character_boundary() {
        let reason = "é".repeat(crate::limits::MAX_QUARANTINE_REASON_BYTES);
        let cut = bounded_reason(&reason);
        assert!(cut.len() <= crate::limits::MAX_QUARANTINE_REASON_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(bounded_reason("short"), "short");
    }

    #[test]
    fn a_full_disk_is_transient_a_constraint_is_not() {
        let full = StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        ));
        assert!(is_disk_full(&full) && is_transient(&full));
        let constraint = StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
            None,
        ));
        assert!(!is_transient(&constraint));
        assert!(!is_transient(&StoreError::Corrupt("x".into())));
    }
}
