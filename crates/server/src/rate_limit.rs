//! Per-project rate limiting of Sentry-compatible ingest: a token bucket per project.
//!
//! Each accepted request takes one token; tokens come back at a steady rate up to a burst
//! size. An empty bucket answers 429 with `Retry-After` and `X-Sentry-Rate-Limits`, which
//! official SDKs obey by holding back events until then.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How fast a project may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests that may arrive at once after a quiet period.
    pub burst: u32,
}

impl RateLimit {
    /// The default: 100 requests per second sustained, bursts of 1000 — far above what a
    /// healthy service sends, low enough to stop a crash loop from flooding the disk.
    pub const DEFAULT: Self = Self {
        per_second: 100.0,
        burst: 1000,
    };

    /// `per_second` sustained with bursts of ten seconds' worth (at least one request).
    pub fn per_second(per_second: f64) -> Self {
        let burst = (per_second * 10.0).ceil().clamp(1.0, f64::from(u32::MAX));
        // Clamped to the u32 range above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Self {
            per_second,
            burst: burst as u32,
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets for every project that sent something.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

impl RateLimiter {
    /// A limiter applying `limit` to each project separately.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limit applied.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token for `project_id` at `now`; `Err(wait)` with the time until the next token
    /// when the bucket is empty.
    ///
    /// # Errors
    /// The [`Duration`] to wait before a request can be accepted.
    pub fn check(&self, project_id: u64, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(project_id).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.per_second).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        if self.limit.per_second <= 0.0 {
            return Err(Duration::from_secs(60));
        }
        let missing = 1.0 - bucket.tokens;
        Err(Duration::from_secs_f64(missing / self.limit.per_second))
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(RateLimit::DEFAULT)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bursts_pass_then_the_rate_applies() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(1, start).is_ok());
        }
        let wait = limiter.check(1, start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert!(
            limiter
                .check(1, start + Duration::from_millis(400))
                .is_err()
        );
        assert!(limiter.check(1, start + Duration::from_millis(600)).is_ok());
        assert!(
            limiter
                .check(1, start + Duration::from_millis(600))
                .is_err()
        );
    }

    #[test]
    fn projects_have_separate_buckets() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1.0,
            burst: 1,
        });
        let now = Instant::now();
        assert!(limiter.check(1, now).is_ok());
        assert!(limiter.check(1, now).is_err());
        assert!(limiter.check(2, now).is_ok());
    }

    #[test]
    fn buckets_never_hold_more_than_a_burst() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 100.0,
            burst: 2,
        });
        let start = Instant::now();
        assert!(limiter.check(1, start).is_ok());
        let later = start + Duration::from_secs(3600);
        assert!(limiter.check(1, later).is_ok());
        assert!(limiter.check(1, later).is_ok());
        assert!(limiter.check(1, later).is_err());
    }

    #[test]
    fn per_second_sets_a_ten_second_burst() {
        assert_eq!(RateLimit::per_second(5.0).burst, 50);
        assert_eq!(RateLimit::per_second(0.01).burst, 1);
    }
}
