//! Counting of rejected uploads by reason, so an operator can see what clients get wrong.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::error::AppError;

/// Running totals of rejected uploads, keyed by [`AppError::reason`].
#[derive(Debug, Default)]
pub struct Rejections {
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Rejections {
    /// Counts one rejected upload and logs it with its reason and the running total.
    pub fn record(&self, what: &str, error: &AppError) -> u64 {
        let reason = error.reason();
        let total = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let count = counts.entry(reason).or_insert(0);
            *count += 1;
            *count
        };
        tracing::warn!(
            reason,
            total,
            status = error.status().as_u16(),
            "rejected {what}: {error}"
        );
        total
    }

    /// How many uploads were rejected for `reason` so far.
    pub fn count(&self, reason: &str) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(reason)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_reason() {
        let rejections = Rejections::default();
        rejections.record("replay segment", &AppError::MissingKey);
        rejections.record("replay segment", &AppError::MissingKey);
        rejections.record("replay segment", &AppError::PayloadTooLarge { limit: 1 });
        assert_eq!(rejections.count("missing_key"), 2);
        assert_eq!(rejections.count("too_large"), 1);
        assert_eq!(rejections.count("conflict"), 0);
    }
}
