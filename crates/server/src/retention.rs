//! Retention of trace data: transactions, spans and logs older than the retention period
//! (`sightline serve --retention-days N`, default [`DEFAULT_RETENTION_DAYS`]) are deleted by a
//! sweep that runs at start and then every [`SWEEP_INTERVAL`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::AppState;
use crate::store::traces::SweepReport;
use crate::store::{Store, StoreError};

/// Days trace data is kept when `--retention-days` is not given.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Time between two sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The receive time before which trace data is deleted: `now_ms` minus `days`.
pub fn cutoff_ms(now_ms: u64, days: u32) -> u64 {
    now_ms.saturating_sub(u64::from(days).saturating_mul(DAY_MS))
}

/// Deletes the trace data received more than `days` before `now_ms`.
///
/// # Errors
/// Any [`StoreError`]; nothing is deleted then.
pub fn sweep_once(store: &dyn Store, now_ms: u64, days: u32) -> Result<SweepReport, StoreError> {
    store.sweep_traces(cutoff_ms(now_ms, days))
}

/// Runs [`sweep_once`] now and every [`SWEEP_INTERVAL`] until the runtime shuts down.
pub fn spawn(state: AppState, days: u32) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            interval.tick().await;
            let now = now_ms();
            let result = state
                .run_store(move |store| sweep_once(store, now, days))
                .await;
            match result {
                Ok(report) if report != SweepReport::default() => tracing::info!(
                    transactions = report.transactions,
                    spans = report.spans,
                    logs = report.logs,
                    days,
                    "deleted trace data past its retention"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "trace retention sweep failed; will retry"),
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
