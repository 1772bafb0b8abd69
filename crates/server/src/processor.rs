//! The processor: drains the inbox that ingest fills. For each accepted envelope it decodes the
//! items, normalizes events and fingerprints them, turns transactions, spans and logs into the
//! rows of their traces ([`crate::trace`]), and hands them to the store, which stores
//! them, groups them into issues, links them to replays and deletes the inbox entries — a whole
//! batch of entries in one transaction (one commit) — so a crash at any point loses nothing and
//! stores nothing twice.
//!
//! [`app`](crate::app) starts it as a background task woken by every ingest;
//! [`process_inbox_once`] runs it synchronously, for tests and tools.

use std::time::Duration;

use serde_json::Value;

use crate::AppState;
use crate::envelope::{Envelope, EnvelopeError, ItemType};
use crate::event_id::EventId;
use crate::grouping::fingerprint_event;
use crate::limits::{PROCESSOR_BATCH, PROCESSOR_BATCH_BYTES};
use crate::link::LinkHints;
use crate::normalize::{NormalizeContext, normalize_event};
use crate::scrub::{Scrubber, ScrubberCache};
use crate::store::quarantine::{QuarantineLimits, is_transient};
use crate::store::{
    CompleteOutcome, InboxEntry, NewEvent, NewTransaction, ProcessedEnvelope, Store, StoreError,
};
use crate::trace::{self, Received, TraceError};

/// How often an idle processor looks at the inbox even without being woken (entries left by a
/// crash, or written by another process).
pub const IDLE_POLL: Duration = Duration::from_secs(5);

/// What one run over the inbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessReport {
    /// Inbox entries completed.
    pub entries: usize,
    /// Events and transactions stored.
    pub stored: usize,
    /// Events and transactions that were already stored.
    pub duplicates: usize,
    /// New events linked to a replay.
    pub linked: usize,
    /// Issues created.
    pub new_issues: usize,
    /// Resolved issues reopened.
    pub regressions: usize,
    /// Entries or items that could not be decoded or stored (entries are quarantined, items
    /// dropped; each logged).
    pub failed: usize,
    /// Entries moved to the quarantine.
    pub quarantined: usize,
    /// Spans stored (transaction roots, their child spans and standalone spans).
    pub spans: usize,
    /// Logs stored.
    pub logs: usize,
    /// Spans and logs dropped: malformed, beyond the per-transaction or per-item bound, or
    /// beyond the per-trace bound (each logged).
    pub dropped_trace_items: usize,
}

/// Processes inbox entries until the inbox is empty, completing each batch the inbox returns
/// (at most [`PROCESSOR_BATCH`] entries and [`PROCESSOR_BATCH_BYTES`] payload bytes) in one
/// store transaction.
///
/// An entry that cannot be decoded, makes the decoder panic, or whose storing fails for a
/// reason that is not transient (see [`is_transient`]) moves to the quarantine with the
/// reason, so a poison entry never blocks the inbox; the rest of its batch is completed.
///
/// # Errors
/// The first transient [`StoreError`] (disk full, I/O error, busy): batches completed before it
/// stay completed, every entry of the failing batch stays in the inbox for the next run.
pub fn process_inbox_once(store: &dyn Store) -> Result<ProcessReport, StoreError> {
    let mut report = ProcessReport::default();
    while process_inbox_batches(store, usize::MAX, &mut report)? {}
    Ok(report)
}

/// Processes at most `max_batches` batches into `report`; `true` when entries may remain.
///
/// # Errors
/// As [`process_inbox_once`].
pub fn process_inbox_batches(
    store: &dyn Store,
    max_batches: usize,
    report: &mut ProcessReport,
) -> Result<bool, StoreError> {
    for _ in 0..max_batches {
        let batch = store.inbox_batch(PROCESSOR_BATCH, PROCESSOR_BATCH_BYTES)?;
        if batch.is_empty() {
            return Ok(false);
        }
        let mut decoded = Vec::with_capacity(batch.len());
        let mut batch_report = ProcessReport::default();
        let mut scrubbers = ScrubberCache::new(store);
        for entry in &batch {
            match decode_guarded(entry, scrubbers.for_project(entry.project_id)?) {
                Ok((processed, failed_items)) => {
                    batch_report.failed += failed_items;
                    batch_report.dropped_trace_items += processed.dropped_trace_items;
                    decoded.push((entry.id, processed.envelope));
                }
                Err(reason) => {
                    quarantine_entry(store, entry.id, &reason, &mut batch_report)?;
                }
            }
        }
        let outcomes = match store_guarded(store, &decoded) {
            Ok(outcomes) => outcomes,
            Err(error) if is_transient(&error) => return Err(error),
            Err(error) => {
                // One entry may be poison: store them one by one, quarantining what fails.
                tracing::warn!(
                    %error,
                    entries = decoded.len(),
                    "storing a batch failed; storing its entries one by one"
                );
                let mut kept = Vec::with_capacity(decoded.len());
                let mut outcomes = Vec::with_capacity(decoded.len());
                for (id, processed) in decoded {
                    let one = [(id, processed)];
                    match store_guarded(store, &one) {
                        Ok(mut outcome) => {
                            outcomes.append(&mut outcome);
                            let [entry] = one;
                            kept.push(entry);
                        }
                        Err(error) if is_transient(&error) => return Err(error),
                        Err(error) => {
                            let reason = format!("storing it failed: {error}");
                            quarantine_entry(store, id, &reason, &mut batch_report)?;
                        }
                    }
                }
                decoded = kept;
                outcomes
            }
        };
        for ((id, processed), outcome) in decoded.iter().zip(&outcomes) {
            batch_report.entries += 1;
            batch_report.stored += outcome.stored;
            batch_report.duplicates += outcome.duplicates;
            batch_report.linked += outcome.linked;
            batch_report.new_issues += outcome.new_issues;
            batch_report.regressions += outcome.regressions;
            batch_report.spans += outcome.spans;
            batch_report.logs += outcome.logs;
            batch_report.dropped_trace_items += outcome.over_trace_limit;
            if outcome.over_trace_limit > 0 {
                tracing::warn!(
                    entry = id,
                    dropped = outcome.over_trace_limit,
                    "trace holds the most spans or logs it may; dropped the rest"
                );
            }
            for event in &processed.events {
                tracing::info!(
                    event_id = %event.event.event_id,
                    title = %event.event.title,
                    replay_hint = ?event.hints.replay_id,
                    trace_id = ?event.hints.trace_id,
                    "processed event"
                );
            }
        }
        report.add(&batch_report);
    }
    Ok(true)
}

/// Decodes one entry, turning a decoder panic into an error: a bug triggered by one payload
/// must not stop the processor.
fn decode_guarded(
    entry: &InboxEntry,
    scrubber: &Scrubber,
) -> Result<(DecodedEntry, usize), String> {
    let decode = || process_entry_scrubbed(entry, scrubber);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)) {
        Ok(Ok(decoded)) => Ok(decoded),
        Ok(Err(error)) => Err(format!("the envelope does not parse: {error}")),
        Err(panic) => Err(format!(
            "processing it panicked: {}",
            panic_message(&*panic)
        )),
    }
}

/// Stores a batch, turning a panic into a [`StoreError::Corrupt`] (not transient).
fn store_guarded(
    store: &dyn Store,
    entries: &[(i64, ProcessedEnvelope)],
) -> Result<Vec<CompleteOutcome>, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.complete_inbox_entries(entries)
    }))
    .unwrap_or_else(|panic| {
        Err(StoreError::Corrupt(format!(
            "storing panicked: {}",
            panic_message(&*panic)
        )))
    })
}

/// The message of a panic payload.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Moves inbox entry `id` to the quarantine with `reason` and logs it once.
///
/// # Errors
/// The store's error when the move fails (the entry stays in the inbox).
fn quarantine_entry(
    store: &dyn Store,
    id: i64,
    reason: &str,
    report: &mut ProcessReport,
) -> Result<(), StoreError> {
    let outcome = store.quarantine_inbox_entry(id, reason, QuarantineLimits::DEFAULT)?;
    report.failed += 1;
    if let Some(outcome) = outcome {
        // Done with, as far as the inbox is concerned.
        report.entries += 1;
        report.quarantined += 1;
        tracing::error!(
            entry = id,
            quarantine_id = outcome.id,
            %reason,
            "inbox entry cannot be processed: moved to the quarantine"
        );
    }
    Ok(())
}

impl ProcessReport {
    /// Adds another run's counts to this one.
    fn add(&mut self, other: &Self) {
        self.entries += other.entries;
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.linked += other.linked;
        self.new_issues += other.new_issues;
        self.regressions += other.regressions;
        self.failed += other.failed;
        self.quarantined += other.quarantined;
        self.spans += other.spans;
        self.logs += other.logs;
        self.dropped_trace_items += other.dropped_trace_items;
    }
}

/// What one inbox entry decoded into, with the spans and logs dropped on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodedEntry {
    /// What to store.
    pub envelope: ProcessedEnvelope,
    /// Spans and logs dropped while decoding (malformed, or beyond a per-item bound).
    pub dropped_trace_items: usize,
}

/// Decodes one inbox entry into what it stores, and the number of items that failed to decode.
///
/// The first event takes the id that ingest answered (`entry.event_id`); others keep their own
/// or get a random one. Transactions are kept raw and as spans; `span` and `log` items become
/// spans and logs.
///
/// # Errors
/// [`EnvelopeError`] when the stored envelope does not parse.
pub fn process_entry(entry: &InboxEntry) -> Result<(DecodedEntry, usize), EnvelopeError> {
    process_entry_scrubbed(entry, &Scrubber::default())
}

/// [`process_entry`] with the project's scrubber, which every item passes before anything is
/// derived from it ([`crate::scrub`]).
///
/// # Errors
/// [`EnvelopeError`] when the stored envelope does not parse.
pub fn process_entry_scrubbed(
    entry: &InboxEntry,
    scrubber: &Scrubber,
) -> Result<(DecodedEntry, usize), EnvelopeError> {
    let envelope = Envelope::parse(&entry.payload)?;
    let replay_hint = envelope.trace_field("replay_id");
    let received = Received {
        project_id: entry.project_id,
        at_ms: entry.received_at_ms,
    };
    let mut decoded = DecodedEntry::default();
    let processed = &mut decoded.envelope;
    let mut failed = 0;
    for (index, item) in envelope.items.iter().enumerate() {
        if !matches!(
            item.item_type,
            ItemType::Event | ItemType::Transaction | ItemType::Span | ItemType::Log
        ) {
            continue;
        }
        let mut payload: Value = match serde_json::from_slice(item.payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(entry = entry.id, index, %error, "item is not JSON; dropped");
                failed += 1;
                continue;
            }
        };
        let scrubbed = match item.item_type {
            ItemType::Log => scrubber.scrub_item(&mut payload),
            _ => scrubber.scrub_event(&mut payload),
        };
        let own_id = payload
            .get("event_id")
            .and_then(Value::as_str)
            .and_then(EventId::parse);
        match item.item_type {
            ItemType::Event => {
                let first = processed.events.is_empty();
                let id = if first {
                    EventId::parse(&entry.event_id)
                } else {
                    own_id
                }
                .unwrap_or_else(EventId::random);
                let context = NormalizeContext {
                    event_id: id.clone(),
                    received_ms: entry.received_at_ms,
                };
                let mut event = normalize_event(&payload, &context);
                scrubbed.note_on(&mut event);
                event.event_id = id.to_string();
                let hints = LinkHints::from_event(&event, replay_hint);
                let grouping = fingerprint_event(&event);
                processed.events.push(NewEvent {
                    project_id: entry.project_id,
                    event,
                    hints,
                    grouping,
                });
            }
            ItemType::Transaction => {
                let id = own_id
                    .or_else(|| envelope.event_id.clone())
                    .unwrap_or_else(EventId::random);
                let trace_id = payload
                    .pointer("/contexts/trace/trace_id")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase);
                match trace::spans_from_transaction(&payload, id.as_str(), received) {
                    Ok(batch) => {
                        note_dropped(entry, index, batch.dropped, batch.first_error.as_ref());
                        decoded.dropped_trace_items += batch.dropped;
                        processed.spans.extend(batch.spans);
                    }
                    Err(error) => {
                        tracing::warn!(entry = entry.id, index, %error, "transaction has no spans");
                        decoded.dropped_trace_items += 1;
                    }
                }
                processed.transactions.push(NewTransaction {
                    project_id: entry.project_id,
                    event_id: id.to_string(),
                    trace_id,
                    received_at_ms: entry.received_at_ms,
                    payload: if scrubbed.replaced == 0 {
                        item.payload.to_vec()
                    } else {
                        serde_json::to_vec(&payload).unwrap_or_default()
                    },
                });
            }
            ItemType::Span => match trace::spans_from_item(&payload, received) {
                Ok(batch) => {
                    note_dropped(entry, index, batch.dropped, batch.first_error.as_ref());
                    decoded.dropped_trace_items += batch.dropped;
                    processed.spans.extend(batch.spans);
                }
                Err(error) => {
                    tracing::warn!(entry = entry.id, index, %error, "span item dropped");
                    failed += 1;
                }
            },
            _ => match trace::logs_from_item(&payload, received) {
                Ok(batch) => {
                    note_dropped(entry, index, batch.dropped, batch.first_error.as_ref());
                    decoded.dropped_trace_items += batch.dropped;
                    processed.logs.extend(batch.logs);
                }
                Err(error) => {
                    tracing::warn!(entry = entry.id, index, %error, "log item dropped");
                    failed += 1;
                }
            },
        }
    }
    Ok((decoded, failed))
}

/// Logs the spans or logs an item lost while decoding.
fn note_dropped(entry: &InboxEntry, index: usize, dropped: usize, first: Option<&TraceError>) {
    if dropped > 0 {
        let reason = first.map_or_else(
            || "beyond the per-item bound".to_owned(),
            ToString::to_string,
        );
        tracing::warn!(entry = entry.id, index, dropped, %reason, "dropped spans or logs");
    }
}

/// Runs the processor until the runtime shuts down: a pass over the inbox, then sleep until
/// ingest signals new work or [`IDLE_POLL`] passes.
pub(crate) fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            // A few batches at a time, then the inbox figures ingest's backlog bound reads.
            let result = state
                .blocking(|store| {
                    let mut report = ProcessReport::default();
                    let more = process_inbox_batches(store, BATCHES_PER_PASS, &mut report);
                    let stats = store.inbox_stats();
                    Ok((more.map(|more| (report, more)), stats))
                })
                .await;
            let mut more = false;
            match result {
                Ok((outcome, stats)) => {
                    if let Ok(stats) = stats {
                        state.admission().set_inbox(stats);
                    }
                    match outcome {
                        Ok((report, remaining)) => {
                            more = remaining;
                            log_pass(&state, &report);
                        }
                        Err(error) => {
                            tracing::error!(%error, "processing the inbox failed; will retry");
                        }
                    }
                }
                Err(error) => tracing::error!(%error, "processing the inbox failed; will retry"),
            }
            if more {
                continue;
            }
            tokio::select! {
                () = state.inbox_signal().notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    });
}

/// Batches the background processor completes before it updates the inbox figures.
const BATCHES_PER_PASS: usize = 10;

/// Logs what a pass did and wakes alert delivery when it stored something.
fn log_pass(state: &AppState, report: &ProcessReport) {
    if report.entries == 0 && report.quarantined == 0 {
        return;
    }
    // Storing events may have fired alerts: deliver them now.
    state.wake_alert_delivery();
    tracing::info!(
        entries = report.entries,
        stored = report.stored,
        duplicates = report.duplicates,
        linked = report.linked,
        new_issues = report.new_issues,
        regressions = report.regressions,
        spans = report.spans,
        logs = report.logs,
        dropped_trace_items = report.dropped_trace_items,
        failed = report.failed,
        quarantined = report.quarantined,
        "processed the inbox"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ID: &str = "78b08263fc50486c99adf1be127f7b19";

    fn entry(payload: &str) -> InboxEntry {
        InboxEntry {
            id: 1,
            project_id: 1,
            event_id: ID.into(),
            received_at_ms: 1_000,
            payload: payload.as_bytes().to_vec(),
        }
    }

    #[test]
    fn events_and_transactions_are_decoded_and_the_rest_skipped() {
        let payload = format!(
            "{{\"event_id\":\"{ID}\",\"trace\":{{\"replay_id\":\"{replay}\"}}}}\n\
             {{\"type\":\"event\"}}\n{{\"exception\":[{{\"type\":\"E\",\"value\":\"v\"}}]}}\n\
             {{\"type\":\"transaction\"}}\n{{\"contexts\":{{\"trace\":{{\"trace_id\":\"AB\"}}}}}}\n\
             {{\"type\":\"session\"}}\n{{}}\n",
            replay = "f".repeat(32)
        );
        let (decoded, failed) = process_entry(&entry(&payload)).unwrap();
        let processed = decoded.envelope;
        assert_eq!(failed, 0);
        assert_eq!(processed.events.len(), 1);
        let event = &processed.events[0];
        assert_eq!(event.event.event_id, ID);
        assert_eq!(event.event.title, "E: v");
        assert_eq!(event.event.timestamp_ms, 1_000);
        assert_eq!(event.hints.replay_id, Some("f".repeat(32)));
        assert_eq!(processed.transactions.len(), 1);
        assert_eq!(processed.transactions[0].trace_id.as_deref(), Some("ab"));
        assert_eq!(processed.transactions[0].event_id, ID);
    }

    #[test]
    fn the_first_event_takes_the_answered_id() {
        let payload = "{}\n{\"type\":\"event\"}\n{\"message\":\"a\"}\n\
                       {\"type\":\"event\"}\n{\"message\":\"b\",\"event_id\":\"00000000000000000000000000000002\"}\n";
        let processed = process_entry(&entry(payload)).unwrap().0.envelope;
        assert_eq!(processed.events[0].event.event_id, ID);
        assert_eq!(
            processed.events[1].event.event_id,
            "00000000000000000000000000000002"
        );
    }

    #[test]
    fn items_that_are_not_json_are_counted_as_failed() {
        let (decoded, failed) =
            process_entry(&entry("{}\n{\"type\":\"event\"}\nnot json\n")).unwrap();
        let processed = decoded.envelope;
        assert!(processed.events.is_empty());
        assert_eq!(failed, 1);
        assert!(process_entry(&entry("not an envelope")).is_err());
    }

    #[test]
    fn transactions_spans_and_logs_become_the_rows_of_their_trace() {
        let transaction =
            include_str!("../tests/fixtures/traces/python-trace-1-transaction.envelope");
        let (decoded, failed) = process_entry(&entry(transaction)).unwrap();
        assert_eq!(failed, 0);
        assert_eq!(decoded.envelope.transactions.len(), 1, "kept raw too");
        assert_eq!(decoded.envelope.spans.len(), 2);
        assert_eq!(decoded.envelope.spans[0].project_id, 1);

        let logs = include_str!("../tests/fixtures/traces/python-trace-2-log.envelope");
        let (decoded, failed) = process_entry(&entry(logs)).unwrap();
        assert_eq!((decoded.envelope.logs.len(), failed), (2, 0));
        assert_eq!(decoded.envelope.logs[0].received_at_ms, 1_000);

        let payload = format!(
            "{{}}\n{{\"type\":\"span\"}}\n{{\"trace_id\":\"{trace}\",\"span_id\":\"{span}\",\
             \"start_timestamp\":1.0}}\n{{\"type\":\"log\"}}\n{{\"items\":[{{}},{{}}]}}\n\
             {{\"type\":\"log\"}}\n[]\n",
            trace = "a".repeat(32),
            span = "b".repeat(16)
        );
        let (decoded, failed) = process_entry(&entry(&payload)).unwrap();
        assert_eq!(decoded.envelope.spans.len(), 1);
        assert_eq!(decoded.dropped_trace_items, 2, "the two empty log entries");
        assert_eq!(failed, 1, "the log item that is not an object");
    }
}
