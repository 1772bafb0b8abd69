//! [`LoginLimiter`]: failed sign-ins per email and per client address within a window; past
//! the limit, every attempt (even a correct one) waits until the window has passed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a failed sign-in counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures allowed per email within [`WINDOW`].
pub const PER_EMAIL: usize = 5;

/// Failures allowed per client address within [`WINDOW`].
pub const PER_CLIENT: usize = 20;

/// Keys tracked at most; past it, keys whose failures all expired are forgotten, then the
/// oldest ones.
const MAX_KEYS: usize = 10_000;

/// Counts failed sign-ins.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Err(wait)` if `email` or `client` is over its limit at `now`.
    ///
    /// # Errors
    /// How long to wait until the oldest counted failure leaves the window.
    pub fn check(&self, email: Option<&str>, client: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let mut wait = Duration::ZERO;
        for (key, limit) in keys(email, client) {
            if let Some(times) = failures.get_mut(&key) {
                expire(times, now);
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max((*oldest + WINDOW).saturating_duration_since(now));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    /// Counts a failed sign-in for `email` and `client` at `now`.
    pub fn record_failure(&self, email: Option<&str>, client: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                expire(times, now);
                !times.is_empty()
            });
            if failures.len() >= MAX_KEYS {
                failures.clear();
            }
        }
        for (key, limit) in keys(email, client) {
            let times = failures.entry(key).or_default();
            expire(times, now);
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// Forgets the failures of `email` after it signed in.
    pub fn record_success(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.remove(&email_key(email));
    }
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.to_lowercase())
}

fn keys(email: Option<&str>, client: &str) -> Vec<(String, usize)> {
    let mut keys = vec![(format!("client:{client}"), PER_CLIENT)];
    if let Some(email) = email {
        keys.push((email_key(email), PER_EMAIL));
    }
    keys
}

fn expire(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|time| now.saturating_duration_since(*time) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_per_email_block_until_the_window_passes() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for _ in 0..PER_EMAIL {
            assert_eq!(limiter.check(Some("A@x"), "ip", start), Ok(()));
            limiter.record_failure(Some("a@x"), "ip", start);
        }
        assert_eq!(limiter.check(Some("a@X"), "ip", start), Err(WINDOW));
        assert_eq!(limiter.check(Some("b@x"), "ip", start), Ok(()));
        assert_eq!(limiter.check(Some("a@x"), "ip", start + WINDOW), Ok(()));
    }

    #[test]
    fn twenty_failures_per_client_block_every_email() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for n in 0..PER_CLIENT {
            limiter.record_failure(Some(&format!("{n}@x")), "ip", start);
        }
        assert!(limiter.check(Some("new@x"), "ip", start).is_err());
        assert_eq!(limiter.check(Some("new@x"), "other", start), Ok(()));
    }
}
