//! Admission of ingest requests under load: a bounded number in flight, a bounded inbox
//! backlog and a resident-memory ceiling. Past any bound ingest answers 503 with `Retry-After`
//! before reading the body, so a burst costs a few bytes per refused request instead of
//! unbounded memory or disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;
use crate::limits::{
    BACKLOG_RETRY_AFTER_SECS, BUSY_RETRY_AFTER_SECS, MAX_INBOX_BYTES, MAX_INBOX_ENTRIES,
    MAX_INGEST_IN_FLIGHT, MAX_MEMORY_BYTES, MEMORY_CHECK_INTERVAL_MS,
};
use crate::store::quarantine::InboxStats;

/// The bounds admission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Most ingest requests handled at once.
    pub max_in_flight: usize,
    /// Most inbox entries waiting.
    pub max_inbox_entries: u64,
    /// Most inbox payload bytes waiting.
    pub max_inbox_bytes: u64,
    /// Resident memory at which new requests are refused.
    pub max_memory_bytes: u64,
}

impl AdmissionLimits {
    /// The named constants of [`crate::limits`].
    pub const DEFAULT: Self = Self {
        max_in_flight: MAX_INGEST_IN_FLIGHT,
        max_inbox_entries: MAX_INBOX_ENTRIES,
        max_inbox_bytes: MAX_INBOX_BYTES,
        max_memory_bytes: MAX_MEMORY_BYTES,
    };
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A snapshot of admission's figures, for the queue endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionStats {
    /// The bounds.
    pub limits: AdmissionLimits,
    /// Ingest requests being handled now.
    pub in_flight: usize,
    /// Inbox entries waiting, as last counted (updated by ingest and the processor).
    pub inbox: InboxStats,
    /// Requests refused because every slot was busy.
    pub refused_busy: u64,
    /// Requests refused because the inbox backlog was full.
    pub refused_backlog: u64,
    /// Requests refused because resident memory was at its ceiling.
    pub refused_memory: u64,
    /// Resident memory as last read (bytes; 0 where it cannot be read).
    pub resident_bytes: u64,
}

/// The in-flight slots and the inbox backlog gauge shared by every ingest request.
#[derive(Debug)]
pub struct Admission {
    limits: AdmissionLimits,
    slots: Arc<Semaphore>,
    inbox_entries: AtomicU64,
    inbox_bytes: AtomicU64,
    refused_busy: AtomicU64,
    refused_backlog: AtomicU64,
    refused_memory: AtomicU64,
    saturated: AtomicBool,
    started: Instant,
    /// When resident memory was last read, in ms since `started` plus one (0: never).
    memory_read_at: AtomicU64,
    resident_bytes: AtomicU64,
}

/// An ingest slot, given back when dropped.
#[derive(Debug)]
pub struct IngestSlot {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// Admission applying `limits`.
    pub fn new(limits: AdmissionLimits) -> Self {
        let max_in_flight = limits.max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            limits: AdmissionLimits {
                max_in_flight,
                ..limits
            },
            slots: Arc::new(Semaphore::new(max_in_flight)),
            inbox_entries: AtomicU64::new(0),
            inbox_bytes: AtomicU64::new(0),
            refused_busy: AtomicU64::new(0),
            refused_backlog: AtomicU64::new(0),
            refused_memory: AtomicU64::new(0),
            saturated: AtomicBool::new(false),
            started: Instant::now(),
            memory_read_at: AtomicU64::new(0),
            resident_bytes: AtomicU64::new(0),
        }
    }

    /// The bounds applied.
    pub fn limits(&self) -> AdmissionLimits {
        self.limits
    }

    /// Takes an ingest slot for the request being handled.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] (503, `Retry-After`) when every slot is busy.
    pub fn enter(&self) -> Result<IngestSlot, AppError> {
        self.check_memory()?;
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            if self.saturated.swap(false, Ordering::Relaxed) {
                tracing::info!("ingest is taking requests again");
            }
            return Ok(IngestSlot { _permit: permit });
        }
        self.refused_busy.fetch_add(1, Ordering::Relaxed);
        if !self.saturated.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                max_in_flight = self.limits.max_in_flight,
                "ingest saturated: every slot is busy; answering 503 with Retry-After"
            );
        }
        Err(AppError::Unavailable {
            reason: format!(
                "the server is busy: {} ingest requests in flight (MAX_INGEST_IN_FLIGHT)",
                self.limits.max_in_flight
            ),
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        })
    }

    /// Checks that resident memory is under its ceiling (read at most every
    /// [`MEMORY_CHECK_INTERVAL_MS`]).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] (503, `Retry-After`) at the ceiling.
    fn check_memory(&self) -> Result<(), AppError> {
        let now = u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let read_at = self.memory_read_at.load(Ordering::Relaxed);
        if (read_at == 0 || now.saturating_sub(read_at) >= MEMORY_CHECK_INTERVAL_MS)
            && self
                .memory_read_at
                .compare_exchange(read_at, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.resident_bytes
                .store(resident_bytes().unwrap_or(0), Ordering::Relaxed);
        }
        let resident = self.resident_bytes.load(Ordering::Relaxed);
        if resident < self.limits.max_memory_bytes {
            return Ok(());
        }
        if self
            .refused_memory
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1000)
        {
            tracing::warn!(
                resident,
                max_memory = self.limits.max_memory_bytes,
                "ingest paused: resident memory is at its ceiling; answering 503 with Retry-After"
            );
        }
        Err(AppError::Unavailable {
            reason: format!(
                "the server is short of memory: {} MiB resident (MAX_MEMORY_BYTES {} MiB)",
                resident / (1024 * 1024),
                self.limits.max_memory_bytes / (1024 * 1024)
            ),
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        })
    }

    /// Checks that the inbox has room for more.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] (503, `Retry-After`) when the backlog is at a bound.
    pub fn check_backlog(&self) -> Result<(), AppError> {
        let entries = self.inbox_entries.load(Ordering::Relaxed);
        let bytes = self.inbox_bytes.load(Ordering::Relaxed);
        if entries < self.limits.max_inbox_entries && bytes < self.limits.max_inbox_bytes {
            return Ok(());
        }
        if self
            .refused_backlog
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1000)
        {
            tracing::warn!(
                entries,
                bytes,
                max_entries = self.limits.max_inbox_entries,
                max_bytes = self.limits.max_inbox_bytes,
                "inbox backlog full: answering 503 with Retry-After until the processor catches up"
            );
        }
        Err(AppError::Unavailable {
            reason: format!(
                "the server is catching up: {entries} entries ({bytes} bytes) wait in the inbox \
                 (MAX_INBOX_ENTRIES {}, MAX_INBOX_BYTES {})",
                self.limits.max_inbox_entries, self.limits.max_inbox_bytes
            ),
            retry_after_secs: BACKLOG_RETRY_AFTER_SECS,
        })
    }

    /// Counts an entry of `bytes` written to the inbox.
    pub fn enqueued(&self, bytes: u64) {
        self.inbox_entries.fetch_add(1, Ordering::Relaxed);
        self.inbox_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Sets the backlog to what the store counted (the processor does after its batches).
    pub fn set_inbox(&self, stats: InboxStats) {
        self.inbox_entries.store(stats.entries, Ordering::Relaxed);
        self.inbox_bytes.store(stats.bytes, Ordering::Relaxed);
    }

    /// The current figures.
    pub fn stats(&self) -> AdmissionStats {
        AdmissionStats {
            limits: self.limits,
            in_flight: self
                .limits
                .max_in_flight
                .saturating_sub(self.slots.available_permits()),
            inbox: InboxStats {
                entries: self.inbox_entries.load(Ordering::Relaxed),
                bytes: self.inbox_bytes.load(Ordering::Relaxed),
            },
            refused_busy: self.refused_busy.load(Ordering::Relaxed),
            refused_backlog: self.refused_backlog.load(Ordering::Relaxed),
            refused_memory: self.refused_memory.load(Ordering::Relaxed),
            resident_bytes: self.resident_bytes.load(Ordering::Relaxed),
        }
    }
}

/// The process's resident memory in bytes (`VmRSS` of `/proc/self/status`); `None` where
/// there is no such file.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib.saturating_mul(1024))
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(AdmissionLimits::DEFAULT)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn slots_are_bounded_and_given_back() {
        let admission = Admission::new(AdmissionLimits {
            max_in_flight: 2,
            ..AdmissionLimits::DEFAULT
        });
        let first = admission.enter().unwrap();
        let _second = admission.enter().unwrap();
        let refused = admission.enter().unwrap_err();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(admission.stats().in_flight, 2);
        drop(first);
        assert!(admission.enter().is_ok());
        assert_eq!(admission.stats().refused_busy, 1);
    }

    #[test]
    fn at_the_memory_ceiling_requests_are_refused() {
        if resident_bytes().is_none() {
            return; // Not Linux: the ceiling is not applied.
        }
        let admission = Admission::new(AdmissionLimits {
            max_memory_bytes: 1024,
            ..AdmissionLimits::DEFAULT
        });
        let refused = admission.enter().unwrap_err();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            refused.to_string().contains("MAX_MEMORY_BYTES"),
            "{refused}"
        );
        assert_eq!(admission.stats().refused_memory, 1);
        assert_eq!(admission.stats().in_flight, 0, "no slot was taken");
        assert!(admission.stats().resident_bytes > 1024);
        assert!(
            Admission::default().enter().is_ok(),
            "a test process is far below 512 MiB"
        );
    }

    #[test]
    fn a_full_backlog_refuses_until_the_processor_drains_it() {
        let admission = Admission::new(AdmissionLimits {
            max_inbox_entries: 2,
            max_inbox_bytes: 1_000,
            ..AdmissionLimits::DEFAULT
        });
        admission.enqueued(10);
        assert!(admission.check_backlog().is_ok());
        admission.enqueued(10);
        assert!(admission.check_backlog().is_err(), "two entries wait");
        admission.set_inbox(InboxStats {
            entries: 0,
            bytes: 0,
        });
        assert!(admission.check_backlog().is_ok());
        admission.enqueued(5_000);
        let refused = admission.check_backlog().unwrap_err();
        assert!(refused.to_string().contains("MAX_INBOX_BYTES"), "{refused}");
    }
}
