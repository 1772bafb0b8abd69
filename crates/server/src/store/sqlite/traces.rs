//! The SQL behind traces: spans and logs written with the inbox entry that held them (bounded
//! per trace), a trace read back with its browser requests and error events, and the
//! retention sweep.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::SqliteStore;
use super::event_rows::{EVENT_COLUMNS, REQUEST_COLUMNS, event_row, json_column, request_row};
use crate::store::StoreError;
use crate::store::traces::{StoredTrace, SweepReport, TraceStore};
use crate::trace::{
    MAX_LOGS_PER_TRACE, MAX_SPANS_PER_TRACE, NewLog, NewSpan, SpanKind, TraceEvent,
};

/// Most error events a trace read returns.
const MAX_EVENTS_PER_TRACE: usize = 1000;

/// What writing spans or logs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Written {
    /// Rows stored.
    pub stored: usize,
    /// Rows already stored (same trace and span id).
    pub duplicates: usize,
    /// Rows dropped because their trace is full.
    pub over_limit: usize,
}

/// Stores spans, at most [`MAX_SPANS_PER_TRACE`] per trace.
pub(super) fn insert_spans(
    connection: &Connection,
    spans: &[NewSpan],
) -> Result<Written, StoreError> {
    let mut written = Written::default();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut statement = connection.prepare_cached(
        "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, project_id, kind, \
         service, op, description, status, start_us, end_us, transaction_name, event_id, data, \
         received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for span in spans {
        let count = match counts.get(span.trace_id.as_str()) {
            Some(count) => *count,
            None => count_rows(connection, "spans", &span.trace_id)?,
        };
        if count >= MAX_SPANS_PER_TRACE {
            written.over_limit += 1;
            counts.insert(&span.trace_id, count);
            continue;
        }
        let inserted = statement.execute(params![
            span.trace_id,
            span.span_id,
            span.parent_span_id,
            span.project_id,
            span.kind.as_str(),
            span.service,
            span.op,
            span.description,
            span.status,
            span.start_us,
            span.end_us,
            span.transaction,
            span.event_id,
            to_json(&span.data)?,
            span.received_at_ms,
        ])?;
        written.stored += inserted;
        written.duplicates += 1 - inserted.min(1);
        counts.insert(&span.trace_id, count + inserted);
    }
    Ok(written)
}

/// Stores logs, at most [`MAX_LOGS_PER_TRACE`] per trace.
pub(super) fn insert_logs(connection: &Connection, logs: &[NewLog]) -> Result<Written, StoreError> {
    let mut written = Written::default();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut statement = connection.prepare_cached(
        "INSERT INTO logs (trace_id, span_id, project_id, timestamp_us, level, message, service, \
         attributes, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for log in logs {
        let count = match counts.get(log.trace_id.as_str()) {
            Some(count) => *count,
            None => count_rows(connection, "logs", &log.trace_id)?,
        };
        if count >= MAX_LOGS_PER_TRACE {
            written.over_limit += 1;
            counts.insert(&log.trace_id, count);
            continue;
        }
        statement.execute(params![
            log.trace_id,
            log.span_id,
            log.project_id,
            log.timestamp_us,
            log.level,
            log.message,
            log.service,
            to_json(&log.attributes)?,
            log.received_at_ms,
        ])?;
        written.stored += 1;
        counts.insert(&log.trace_id, count + 1);
    }
    Ok(written)
}

fn count_rows(connection: &Connection, table: &str, trace_id: &str) -> Result<usize, StoreError> {
    Ok(connection
        .prepare_cached(&format!("SELECT COUNT(*) FROM {table} WHERE trace_id = ?1"))?
        .query_row([trace_id], |row| row.get(0))?)
}

impl TraceStore for SqliteStore {
    fn trace(&self, trace_id: &str) -> Result<StoredTrace, StoreError> {
        let connection = self.connection();
        let requests = {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM network_requests WHERE trace_id = ?1 \
                 ORDER BY time_ms, segment_index, position LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![trace_id, MAX_SPANS_PER_TRACE], request_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let spans = {
            let mut statement = connection.prepare_cached(
                "SELECT trace_id, span_id, parent_span_id, project_id, kind, service, op, \
                 description, status, start_us, end_us, transaction_name, event_id, data, \
                 received_at_ms FROM spans WHERE trace_id = ?1 ORDER BY start_us, span_id",
            )?;
            let rows = statement.query_map([trace_id], span_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let events = {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS}, (SELECT issue_id FROM issue_events \
                 WHERE event_id = events.id) FROM events WHERE trace_id = ?1 \
                 ORDER BY timestamp_ms, id LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![trace_id, MAX_EVENTS_PER_TRACE], |row| {
                Ok(TraceEvent {
                    stored: event_row(row)?,
                    issue_id: row.get(11)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let logs = {
            let mut statement = connection.prepare_cached(
                "SELECT trace_id, span_id, project_id, timestamp_us, level, message, service, \
                 attributes, received_at_ms FROM logs WHERE trace_id = ?1 \
                 ORDER BY timestamp_us, id",
            )?;
            let rows = statement.query_map([trace_id], log_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        Ok(StoredTrace {
            requests,
            spans,
            events,
            logs,
        })
    }

    fn latest_trace_id(&self, issue_id: u64) -> Result<Option<String>, StoreError> {
        let connection = self.connection();
        Ok(connection
            .prepare_cached(
                "SELECT events.trace_id FROM issue_events JOIN events \
                 ON events.id = issue_events.event_id \
                 WHERE issue_events.issue_id = ?1 AND events.trace_id IS NOT NULL \
                 ORDER BY issue_events.timestamp_ms DESC, events.received_at_ms DESC LIMIT 1",
            )?
            .query_row([issue_id], |row| row.get(0))
            .optional()?)
    }

    fn sweep_traces(&self, before_ms: u64) -> Result<SweepReport, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = SweepReport {
            transactions: tx.execute(
                "DELETE FROM transactions WHERE received_at_ms < ?1",
                [before_ms],
            )?,
            spans: tx.execute("DELETE FROM spans WHERE received_at_ms < ?1", [before_ms])?,
            logs: tx.execute("DELETE FROM logs WHERE received_at_ms < ?1", [before_ms])?,
        };
        tx.commit()?;
        Ok(report)
    }
}

fn span_row(row: &Row<'_>) -> rusqlite::Result<NewSpan> {
    let kind: String = row.get(4)?;
    Ok(NewSpan {
        trace_id: row.get(0)?,
        span_id: row.get(1)?,
        parent_span_id: row.get(2)?,
        project_id: row.get(3)?,
        kind: SpanKind::from_name(&kind).unwrap_or(SpanKind::Span),
        service: row.get(5)?,
        op: row.get(6)?,
        description: row.get(7)?,
        status: row.get(8)?,
        start_us: row.get(9)?,
        end_us: row.get(10)?,
        transaction: row.get(11)?,
        event_id: row.get(12)?,
        data: json_column(row, 13)?,
        received_at_ms: row.get(14)?,
    })
}

fn log_row(row: &Row<'_>) -> rusqlite::Result<NewLog> {
    Ok(NewLog {
        trace_id: row.get(0)?,
        span_id: row.get(1)?,
        project_id: row.get(2)?,
        timestamp_us: row.get(3)?,
        level: row.get(4)?,
        message: row.get(5)?,
        service: row.get(6)?,
        attributes: json_column(row, 7)?,
        received_at_ms: row.get(8)?,
    })
}

fn to_json(map: &Map<String, Value>) -> Result<String, StoreError> {
    serde_json::to_string(map).map_err(|error| StoreError::Corrupt(error.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::processor::{process_entry, process_inbox_once};
    use crate::store::{InboxEntry, NewInboxEntry, Project, Store};

    const TRACE: &str = "0123456789abcdef0123456789abcdef";
    const FIXTURES: [&str; 3] = [
        include_str!("../../../tests/fixtures/traces/python-trace-0-event.envelope"),
        include_str!("../../../tests/fixtures/traces/python-trace-1-transaction.envelope"),
        include_str!("../../../tests/fixtures/traces/python-trace-2-log.envelope"),
    ];

    fn store() -> SqliteStore {
        let store = SqliteStore::open_in_memory().unwrap();
        let project = Project {
            id: 1,
            public_key: "k".into(),
        };
        store.create_project(&project, "digest").unwrap();
        store
    }

    fn enqueue(store: &SqliteStore, payload: &str, received_at_ms: u64) {
        store
            .enqueue(&NewInboxEntry {
                project_id: 1,
                event_id: "ea6aba8200614825950f54cb156c6b42".into(),
                received_at_ms,
                payload: payload.as_bytes().to_vec(),
            })
            .unwrap();
    }

    #[test]
    fn spans_logs_and_events_are_read_back_by_trace_and_stored_once() {
        let store = store();
        for fixture in FIXTURES {
            enqueue(&store, fixture, 1_000);
        }
        let report = process_inbox_once(&store).unwrap();
        assert_eq!((report.spans, report.logs), (2, 2));
        let trace = store.trace(TRACE).unwrap();
        let spans: Vec<_> = trace.spans.iter().map(|s| s.span_id.as_str()).collect();
        assert_eq!(spans, ["82fbd125e9bdfde0", "a8d8edc620b360f2"]);
        assert_eq!(trace.logs.len(), 2);
        assert_eq!(trace.events.len(), 1);
        let issue = trace.events[0].issue_id.unwrap();
        assert_eq!(
            store.latest_trace_id(issue).unwrap().as_deref(),
            Some(TRACE)
        );
        assert_eq!(store.latest_trace_id(issue + 1).unwrap(), None);
        assert!(store.trace(&"f".repeat(32)).unwrap().is_empty());

        // The same entries completed again (a crash after commit, a second processor): the
        // spans are known by id, the logs are not written twice.
        for fixture in &FIXTURES[1..] {
            let entry = InboxEntry {
                id: 999,
                project_id: 1,
                event_id: String::new(),
                received_at_ms: 1_000,
                payload: fixture.as_bytes().to_vec(),
            };
            let (decoded, _) = process_entry(&entry).unwrap();
            let outcome = store.complete_inbox_entry(999, &decoded.envelope).unwrap();
            assert_eq!((outcome.spans, outcome.logs), (0, 0));
        }
        let again = store.trace(TRACE).unwrap();
        assert_eq!((again.spans.len(), again.logs.len()), (2, 2));
    }

    #[test]
    fn the_sweep_deletes_trace_data_received_before_the_cutoff() {
        let store = store();
        enqueue(&store, FIXTURES[0], 1_000);
        enqueue(&store, FIXTURES[1], 1_000);
        enqueue(&store, FIXTURES[2], 5_000);
        process_inbox_once(&store).unwrap();
        let report = store.sweep_traces(3_000).unwrap();
        assert_eq!(
            report,
            SweepReport {
                transactions: 1,
                spans: 2,
                logs: 0
            }
        );
        let trace = store.trace(TRACE).unwrap();
        assert!(trace.spans.is_empty());
        assert_eq!(trace.logs.len(), 2, "received after the cutoff");
        assert_eq!(trace.events.len(), 1, "error events are not trace data");
        assert_eq!(store.sweep_traces(3_000).unwrap(), SweepReport::default());
    }
}
