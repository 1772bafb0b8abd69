//! What the store keeps for Sentry-compatible ingest: inbox entries (accepted envelopes not
//! processed yet), normalized events with their replay links, and raw transactions.

use crate::grouping::GroupingKey;
use crate::link::{LinkHints, LinkSource, TracedRequest};
use crate::normalize::NormalizedEvent;

/// An accepted envelope to write to the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboxEntry {
    /// The project it was sent to.
    pub project_id: u64,
    /// The event id answered to the SDK.
    pub event_id: String,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// The envelope, decompressed.
    pub payload: Vec<u8>,
}

/// An inbox entry waiting for the processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// Position in the inbox (increasing).
    pub id: i64,
    /// The project it was sent to.
    pub project_id: u64,
    /// The event id answered to the SDK.
    pub event_id: String,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// The envelope, decompressed.
    pub payload: Vec<u8>,
}

/// A normalized event ready to be stored and linked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The project it was sent to.
    pub project_id: u64,
    /// The event.
    pub event: NormalizedEvent,
    /// What it says about the replay that caused it.
    pub hints: LinkHints,
    /// The issue it belongs to (see [`crate::grouping::fingerprint_event`]).
    pub grouping: GroupingKey,
}

/// A transaction kept raw for the trace timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransaction {
    /// The project it was sent to.
    pub project_id: u64,
    /// Its event id (32 hex).
    pub event_id: String,
    /// `contexts.trace.trace_id`, if any.
    pub trace_id: Option<String>,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// The item's JSON exactly as sent.
    pub payload: Vec<u8>,
}

/// Everything an inbox entry turned into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessedEnvelope {
    /// Error events.
    pub events: Vec<NewEvent>,
    /// Transactions.
    pub transactions: Vec<NewTransaction>,
    /// Spans of the transactions and standalone spans, indexed for the trace view.
    pub spans: Vec<crate::trace::NewSpan>,
    /// Structured logs.
    pub logs: Vec<crate::trace::NewLog>,
}

/// What [`Store::complete_inbox_entry`](super::Store::complete_inbox_entry) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompleteOutcome {
    /// Events and transactions stored for the first time.
    pub stored: usize,
    /// Events and transactions already stored under the same id (left unchanged).
    pub duplicates: usize,
    /// New events linked to a replay.
    pub linked: usize,
    /// Issues created by new events.
    pub new_issues: usize,
    /// Resolved issues that new events reopened.
    pub regressions: usize,
    /// Spans stored for the first time.
    pub spans: usize,
    /// Logs stored.
    pub logs: usize,
    /// Spans and logs dropped because their trace already holds the most it may
    /// ([`MAX_SPANS_PER_TRACE`](crate::trace::MAX_SPANS_PER_TRACE),
    /// [`MAX_LOGS_PER_TRACE`](crate::trace::MAX_LOGS_PER_TRACE)).
    pub over_trace_limit: usize,
}

/// A stored link of an event to a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    /// The replay.
    pub replay_id: String,
    /// How the link was found.
    pub source: LinkSource,
    /// The request that failed, once known.
    pub request: Option<TracedRequest>,
}

/// A stored event with its link.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The project it was sent to.
    pub project_id: u64,
    /// The normalized event.
    pub event: NormalizedEvent,
    /// Its replay, once linked.
    pub link: Option<StoredLink>,
}
