//! Counting of envelope items that ingest accepts but does not keep (sessions, client reports,
//! profiles, …), by item type and reason, so an operator can see what SDKs send in vain.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Running totals of dropped envelope items, keyed by item type and reason.
#[derive(Debug, Default)]
pub struct DroppedItems {
    counts: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl DroppedItems {
    /// Counts one dropped item of `item_type` (as the SDK named it) for `reason`.
    pub fn record(&self, item_type: &str, reason: &'static str) -> u64 {
        // Unknown type names come from clients: keep the key space small.
        let item_type: String = item_type.chars().take(40).collect();
        let total = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let count = counts.entry((item_type.clone(), reason)).or_insert(0);
            *count += 1;
            *count
        };
        tracing::debug!(item_type, reason, total, "dropped envelope item");
        total
    }

    /// How many items of `item_type` were dropped for `reason` so far.
    pub fn count(&self, item_type: &str, reason: &str) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|((kind, why), _)| kind == item_type && *why == reason)
            .map(|(_, count)| *count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_type_and_reason() {
        let dropped = DroppedItems::default();
        dropped.record("session", "release_health_not_tracked");
        dropped.record("session", "release_health_not_tracked");
        dropped.record("client_report", "client_report");
        assert_eq!(dropped.count("session", "release_health_not_tracked"), 2);
        assert_eq!(dropped.count("client_report", "client_report"), 1);
        assert_eq!(dropped.count("profile", "profiling_not_supported"), 0);
    }
}
