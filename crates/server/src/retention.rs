//! Retention: each project's data older than its retention (`PUT
//! /api/0/projects/{id}/retention/`, else the server's `sightline serve --retention-days N`,
//! default [`DEFAULT_RETENTION_DAYS`]) is deleted by a sweep that runs at start and then every
//! [`SWEEP_INTERVAL`]: events, transactions, spans and logs by receive time, replays (with
//! their segments and network requests) by their last activity, issues (with their events,
//! tags, hours, users, activity and alerts) by when they were last seen, and quarantined
//! payloads.
//!
//! The sweep deletes in batches of at most [`SWEEP_BATCH`] rows per table, each its own short
//! transaction, so ingest and the API never wait long for the database.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::AppState;
use crate::store::privacy::DeletedRows;
use crate::store::{Store, StoreError};

/// Days data is kept when neither the project nor `--retention-days` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Time between two sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Most rows of one table deleted per transaction.
pub const SWEEP_BATCH: usize = 1000;

/// Shortest retention a project may set.
pub const MIN_RETENTION_DAYS: u32 = 1;

/// Longest retention a project may set (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The server's default retention, set once by [`spawn`] from `--retention-days` (one server
/// per process), read by the retention API for projects without their own.
static SERVER_DEFAULT_DAYS: AtomicU32 = AtomicU32::new(DEFAULT_RETENTION_DAYS);

/// The retention of projects that set none: the server's `--retention-days`.
pub fn server_default_days() -> u32 {
    SERVER_DEFAULT_DAYS.load(Ordering::Relaxed)
}

/// The receive time before which data is deleted: `now_ms` minus `days`.
pub fn cutoff_ms(now_ms: u64, days: u32) -> u64 {
    now_ms.saturating_sub(u64::from(days).saturating_mul(DAY_MS))
}

/// Deletes every project's data older than its retention (`default_days` for projects that
/// set none), batch by batch; returns what was deleted.
///
/// # Errors
/// The first [`StoreError`]; batches before it stay deleted.
pub fn sweep_once(
    store: &dyn Store,
    now_ms: u64,
    default_days: u32,
) -> Result<DeletedRows, StoreError> {
    let mut deleted = DeletedRows::default();
    for (project_id, days) in store.project_retentions()? {
        let before_ms = cutoff_ms(now_ms, days.unwrap_or(default_days));
        loop {
            let batch = store.sweep_project(project_id, before_ms, SWEEP_BATCH)?;
            deleted.add(&batch);
            if batch.total() == 0 {
                break;
            }
        }
    }
    Ok(deleted)
}

/// Runs [`sweep_once`] now and every [`SWEEP_INTERVAL`] until the runtime shuts down, with
/// `days` as the default retention.
pub fn spawn(state: AppState, days: u32) {
    SERVER_DEFAULT_DAYS.store(days, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            interval.tick().await;
            let now = now_ms();
            let result = state
                .run_store(move |store| sweep_once(store, now, days))
                .await;
            match result {
                Ok(deleted) if deleted.total() > 0 => tracing::info!(
                    events = deleted.events,
                    transactions = deleted.transactions,
                    spans = deleted.spans,
                    logs = deleted.logs,
                    replays = deleted.replays,
                    segments = deleted.segments,
                    network_requests = deleted.network_requests,
                    issues = deleted.issues,
                    issue_rows = deleted.issue_rows,
                    quarantine = deleted.quarantine,
                    default_days = days,
                    "deleted data past its retention"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "retention sweep failed; will retry"),
            }
        }
    });
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_whole_days_back_and_never_before_the_epoch() {
        assert_eq!(cutoff_ms(31 * DAY_MS + 5, 30), DAY_MS + 5);
        assert_eq!(cutoff_ms(5, 30), 0);
        assert_eq!(
            cutoff_ms(u64::MAX, u32::MAX),
            u64::MAX - u64::from(u32::MAX) * DAY_MS
        );
    }
}
