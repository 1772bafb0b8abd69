//! Per-project privacy and retention options, the retention sweep, and deleting a replay or
//! an issue with everything that belongs to it.

use super::StoreError;
use crate::scrub::ScrubOptions;

/// What one retention batch (or one delete) removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedRows {
    /// Error events.
    pub events: usize,
    /// Raw transactions.
    pub transactions: usize,
    /// Spans.
    pub spans: usize,
    /// Logs.
    pub logs: usize,
    /// Replays.
    pub replays: usize,
    /// Replay segments.
    pub segments: usize,
    /// Traced network requests of replays.
    pub network_requests: usize,
    /// Issues.
    pub issues: usize,
    /// Rows of issues besides the issue itself: issue_events, issue_tags, issue_hours,
    /// issue_users, issue_activity, alerts.
    pub issue_rows: usize,
    /// Quarantined payloads.
    pub quarantine: usize,
}

impl DeletedRows {
    /// Every row counted.
    pub fn total(&self) -> usize {
        self.events
            + self.transactions
            + self.spans
            + self.logs
            + self.replays
            + self.segments
            + self.network_requests
            + self.issues
            + self.issue_rows
            + self.quarantine
    }

    /// Adds another batch's counts to these.
    pub fn add(&mut self, other: &Self) {
        self.events += other.events;
        self.transactions += other.transactions;
        self.spans += other.spans;
        self.logs += other.logs;
        self.replays += other.replays;
        self.segments += other.segments;
        self.network_requests += other.network_requests;
        self.issues += other.issues;
        self.issue_rows += other.issue_rows;
        self.quarantine += other.quarantine;
    }
}

/// Per-project privacy and retention options, and deleting a replay or an issue with
/// everything that belongs to it.
pub trait PrivacyStore {
    /// The project's scrubbing options; the defaults when it never set any.
    ///
    /// # Errors
    /// Any [`StoreError`]; [`StoreError::Corrupt`] when the stored options do not parse.
    fn privacy_options(&self, project_id: u64) -> Result<ScrubOptions, StoreError>;

    /// Replaces the project's scrubbing options.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn set_privacy_options(
        &self,
        project_id: u64,
        options: &ScrubOptions,
    ) -> Result<(), StoreError>;

    /// The project's retention in days, `None` when it uses the server's default.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn retention_days(&self, project_id: u64) -> Result<Option<u32>, StoreError>;

    /// Sets the project's retention in days.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn set_retention_days(&self, project_id: u64, days: u32) -> Result<(), StoreError>;

    /// Every project with its own retention, if set.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn project_retentions(&self) -> Result<Vec<(u64, Option<u32>)>, StoreError>;

    /// Deletes, in one short transaction, at most `limit` rows of each kind of the project's
    /// data received (replays: last active, issues: last seen) before `before_ms`, with the
    /// rows that belong to them. Call until it deletes nothing.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing of this batch is deleted then.
    fn sweep_project(
        &self,
        project_id: u64,
        before_ms: u64,
        limit: usize,
    ) -> Result<DeletedRows, StoreError>;

    /// The project of replay `replay_id`, if it exists.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn replay_project(&self, replay_id: &str) -> Result<Option<u64>, StoreError>;

    /// The project of issue `issue_id`, if it exists.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn issue_project(&self, issue_id: u64) -> Result<Option<u64>, StoreError>;

    /// Deletes a replay, its segments and network requests, and unlinks the events linked
    /// to it, in one transaction; `None` when there is no such replay.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing is deleted then.
    fn delete_replay(&self, replay_id: &str) -> Result<Option<DeletedRows>, StoreError>;

    /// Deletes an issue, its events and all its rows (tags, hours, users, activity, alerts)
    /// in one transaction; `None` when there is no such issue.
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing is deleted then.
    fn delete_issue(&self, issue_id: u64) -> Result<Option<DeletedRows>, StoreError>;
}
