//! What the store keeps for traces: spans and logs indexed by trace id and span id, read back
//! with the trace's browser requests and error events, and swept after the retention period.

use crate::link::TracedRequest;
use crate::store::StoreError;
use crate::trace::{NewLog, NewSpan, TraceEvent};

/// Everything stored under one trace id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredTrace {
    /// The browser's requests that carried the trace id, by time.
    pub requests: Vec<TracedRequest>,
    /// Backend spans (transaction roots and child spans), by start.
    pub spans: Vec<NewSpan>,
    /// Error events of the trace with their issues.
    pub events: Vec<TraceEvent>,
    /// Logs, by time.
    pub logs: Vec<NewLog>,
}

impl StoredTrace {
    /// Whether nothing at all is stored for the trace.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
            && self.spans.is_empty()
            && self.events.is_empty()
            && self.logs.is_empty()
    }
}

/// What a retention sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Raw transactions deleted.
    pub transactions: usize,
    /// Spans deleted.
    pub spans: usize,
    /// Logs deleted.
    pub logs: usize,
}

/// Trace storage (spans and logs are written by
/// [`Store::complete_inbox_entry`](super::Store::complete_inbox_entry)).
pub trait TraceStore {
    /// Everything stored under `trace_id` (32 lowercase hex).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn trace(&self, trace_id: &str) -> Result<StoredTrace, StoreError>;

    /// The trace id of an issue's newest event that has one.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn latest_trace_id(&self, issue_id: u64) -> Result<Option<String>, StoreError>;

    /// Deletes transactions, spans and logs received before `before_ms` (ms since the epoch).
    ///
    /// # Errors
    /// Any [`StoreError`]; nothing is deleted then.
    fn sweep_traces(&self, before_ms: u64) -> Result<SweepReport, StoreError>;
}
