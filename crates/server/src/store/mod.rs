//! Storage: the [`Store`] trait and its embedded SQLite implementation, [`SqliteStore`].
//!
//! Replays and their segments come from the recorder; events, transactions and the inbox they
//! pass through come from Sentry-compatible ingest (see [`events`]).
//!
//! Methods are blocking; async callers run them on the blocking thread pool
//! (see [`AppState::run_store`](crate::AppState::run_store)).

pub mod access;
pub mod alerts;
pub mod events;
pub mod issues;
pub mod privacy;
pub mod quarantine;
pub mod releases;
mod sqlite;
pub mod traces;

pub use access::AccessStore;
pub use alerts::AlertStore;
pub use events::{
    CompleteOutcome, InboxEntry, NewEvent, NewInboxEntry, NewTransaction, ProcessedEnvelope,
    StoredEvent, StoredLink,
};
pub use issues::IssueStore;
pub use privacy::PrivacyStore;
pub use quarantine::QuarantineStore;
pub use releases::ReleaseStore;
pub use sqlite::{DATABASE_FILE, SqliteStore};
use thiserror::Error;
pub use traces::TraceStore;

use crate::link::TracedRequest;
use crate::summary::{ReplaySummary, SegmentSummary};

/// A project: the unit a DSN points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Numeric id, the last path segment of the DSN.
    pub id: u64,
    /// The DSN's public key (32 hex).
    pub public_key: String,
}

/// A validated segment ready to be stored: its raw bytes and what was derived from them.
#[derive(Debug, Clone)]
pub struct NewSegment {
    /// The project it was uploaded to.
    pub project_id: u64,
    /// Facts derived from the decoded events.
    pub summary: SegmentSummary,
    /// The segment exactly as uploaded.
    pub bytes: Vec<u8>,
    /// Its traced network requests, which backend events are linked to.
    pub requests: Vec<TracedRequest>,
}

/// What [`Store::insert_segment`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The segment is new and was stored.
    Stored,
    /// The identical segment was already stored; nothing changed.
    AlreadyStored,
}

/// One entry of a replay's segment listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Position in the replay.
    pub index: u32,
    /// Start time, ms since epoch.
    pub start: u64,
    /// End time, ms since epoch.
    pub end: u64,
    /// Number of events.
    pub event_count: u32,
    /// Size of the stored bytes.
    pub size: u64,
}

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The write contradicts what is stored (a different segment under the same index, a replay
    /// of another project, a project that already exists).
    #[error("{0}")]
    Conflict(String),
    /// A stored value is not what this version of the server wrote.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether SQLite found the database file damaged: a corrupt page, or a file that is not a
    /// database. Only what lives on the damaged pages fails; the rest keeps being served.
    pub fn is_damaged_database(&self) -> bool {
        matches!(
            self,
            Self::Sqlite(rusqlite::Error::SqliteFailure(error, _))
                if matches!(
                    error.code,
                    rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
                )
        )
    }
}

/// Durable storage of projects, admin tokens, replays and their segments, events and the
/// inbox; issues, releases, alerts and traces through the supertraits.
///
/// Every write is atomic and durable when the method returns `Ok`.
pub trait Store:
    IssueStore
    + ReleaseStore
    + AlertStore
    + TraceStore
    + AccessStore
    + PrivacyStore
    + QuarantineStore
    + Send
    + Sync
    + 'static
{
    /// The project with `id`, if any.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn project(&self, id: u64) -> Result<Option<Project>, StoreError>;

    /// Creates `project` and registers an admin token (by its SHA-256 hex digest) in one
    /// transaction.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the project exists.
    fn create_project(&self, project: &Project, admin_token_sha256: &str)
    -> Result<(), StoreError>;

    /// Whether an admin token with this SHA-256 hex digest exists.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn has_admin_token(&self, token_sha256: &str) -> Result<bool, StoreError>;

    /// Stores a segment and updates its replay's summary in one transaction; in the same
    /// transaction, links the stored events that were waiting for one of its requests.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if different bytes are stored under the same replay and index,
    /// or the replay belongs to another project; nothing is written then.
    fn insert_segment(&self, segment: &NewSegment) -> Result<InsertOutcome, StoreError>;

    /// All replays, newest start first. `error_ids` lists the JS errors, then the linked
    /// backend events in request order.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn replays(&self) -> Result<Vec<ReplaySummary>, StoreError>;

    /// One replay by id.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn replay(&self, id: &str) -> Result<Option<ReplaySummary>, StoreError>;

    /// The segments of a replay, by index.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn segments(&self, replay_id: &str) -> Result<Vec<SegmentInfo>, StoreError>;

    /// The bytes of one segment exactly as uploaded.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn segment_bytes(&self, replay_id: &str, index: u32) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes an accepted envelope to the inbox; durable when it returns.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn enqueue(&self, entry: &NewInboxEntry) -> Result<i64, StoreError>;

    /// The oldest inbox entries, at most `limit`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn inbox(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError>;

    /// Number of inbox entries waiting.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn inbox_len(&self) -> Result<u64, StoreError>;

    /// In one transaction: stores what inbox entry `id` turned into (an event or transaction
    /// id stored before is left as it is), groups new events into issues (creating, counting
    /// and reopening them, evaluating alert rules), links them to replays, and deletes the
    /// entry.
    /// Completing an entry that is already gone only stores what is new.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing is written then and the entry stays in the inbox.
    fn complete_inbox_entry(
        &self,
        id: i64,
        processed: &ProcessedEnvelope,
    ) -> Result<CompleteOutcome, StoreError>;

    /// Completes many inbox entries as [`complete_inbox_entry`](Store::complete_inbox_entry)
    /// does each, all in ONE transaction (one commit, one fsync, for the whole batch): the
    /// outcomes come back in the order of `entries`.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing of the batch is written then and every entry stays in the
    /// inbox.
    fn complete_inbox_entries(
        &self,
        entries: &[(i64, ProcessedEnvelope)],
    ) -> Result<Vec<CompleteOutcome>, StoreError>;

    /// One event by id (32 hex).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError>;

    /// The events linked to a replay, in the order of their requests.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn replay_events(&self, replay_id: &str) -> Result<Vec<StoredEvent>, StoreError>;
}
