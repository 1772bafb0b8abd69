//! One trace across services as `GET /api/0/traces/{trace_id}/` returns it: the browser's
//! requests, the backend transactions and their child spans, the error events of the trace and
//! its logs. Read leniently (see [`FromLoose`]): a missing or odd field takes its empty value.
//! The page's layout is computed from these in [`crate::waterfall`].

use crate::api::encode_segment_path;
use crate::loose::{FromLoose, Loose};

/// Most spans the trace page reads (the server keeps up to 10 000 per trace); the rest are
/// counted, not shown.
pub const MAX_SPANS: usize = 2_000;
/// Most logs the trace page reads.
pub const MAX_LOGS: usize = 1_000;
/// Most error events the trace page reads.
pub const MAX_EVENTS: usize = 100;
/// Longest id kept (span, event, issue and replay ids are at most 32 characters).
const MAX_ID_CHARS: usize = 64;

/// One span: a browser request, a backend transaction or a span inside one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceSpan {
    /// Span id (16 hex).
    pub span_id: String,
    /// The caller's span id; `None` for a root.
    pub parent_span_id: Option<String>,
    /// `browser` or the backend service's name.
    pub service: String,
    /// Operation: `http.client`, `http.server`, `db.query`, …
    pub op: String,
    /// What it did: `POST /api/checkout`, `SELECT …`.
    pub description: String,
    /// Sentry's span status: `ok`, `internal_error`, `deadline_exceeded`, …
    pub status: String,
    /// `browser`, `transaction` or `span`.
    pub kind: String,
    /// Start, RFC 3339.
    pub start: String,
    /// Start, ms since the epoch.
    pub start_ms: f64,
    /// End, ms since the epoch.
    pub end_ms: f64,
    /// The transaction it belongs to.
    pub transaction: Option<String>,
    /// The transaction's event id.
    pub event_id: Option<String>,
    /// The replay that recorded it (browser requests).
    pub replay_id: Option<String>,
    /// Error events that happened in this span.
    pub error_ids: Vec<String>,
    /// Its data (bounded).
    pub data: Loose,
}

impl TraceSpan {
    /// How long it took, ms (0 when the end is before the start or a time is unknown).
    pub fn duration_ms(&self) -> f64 {
        let duration = self.end_ms - self.start_ms;
        if duration.is_finite() && duration > 0.0 {
            duration
        } else {
            0.0
        }
    }

    /// An error event happened in it.
    pub fn failed(&self) -> bool {
        !self.error_ids.is_empty()
    }

    /// Its status says it failed: anything but `ok`, `unset` and `unknown` (what SDKs send
    /// when they could not tell, e.g. the Python SDK for a span whose outcome it never saw).
    pub fn status_failed(&self) -> bool {
        !matches!(self.status.as_str(), "" | "ok" | "unset" | "unknown")
    }

    /// What the waterfall says of it: the description, else the op, else the span id.
    pub fn label(&self) -> &str {
        [&self.description, &self.op, &self.span_id]
            .into_iter()
            .find(|s| !s.is_empty())
            .map_or("", String::as_str)
    }
}

/// An error event of the trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceEvent {
    /// Event id (32 hex).
    pub id: String,
    /// Its issue.
    pub issue_id: Option<String>,
    /// Headline: `Type: value` or the message.
    pub title: String,
    /// `error`, `fatal`, …
    pub level: String,
    /// The service that sent it.
    pub service: String,
    /// The span active when it happened.
    pub span_id: Option<String>,
    /// When, RFC 3339.
    pub timestamp: String,
    /// The sending service's release.
    pub release: Option<String>,
    /// The replay it is linked to.
    pub replay_id: Option<String>,
}

/// A structured log written during the trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceLog {
    /// When, RFC 3339.
    pub timestamp: String,
    /// When, ms since the epoch.
    pub timestamp_ms: f64,
    /// `trace`, `debug`, `info`, `warn`, `error` or `fatal`.
    pub level: String,
    /// The message.
    pub message: String,
    /// The service that wrote it.
    pub service: String,
    /// The span active when it was written.
    pub span_id: Option<String>,
    /// Its attributes (bounded).
    pub attributes: Loose,
}

/// A whole trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Trace id (32 hex).
    pub trace_id: String,
    /// Every span, by start.
    pub spans: Vec<TraceSpan>,
    /// Error events, by time.
    pub events: Vec<TraceEvent>,
    /// Logs, by time.
    pub logs: Vec<TraceLog>,
    /// Replays that recorded the trace.
    pub replay_ids: Vec<String>,
    /// Services in the order the trace reached them.
    pub services: Vec<String>,
    /// The service of the innermost span holding an error event.
    pub failing_service: Option<String>,
    /// Spans the server sent beyond what was read.
    pub spans_left_out: usize,
    /// Logs the server sent beyond what was read.
    pub logs_left_out: usize,
}

impl Trace {
    /// The event with this id.
    pub fn event(&self, id: &str) -> Option<&TraceEvent> {
        self.events.iter().find(|e| e.id == id)
    }

    /// The span with this id.
    pub fn span(&self, id: &str) -> Option<&TraceSpan> {
        self.spans.iter().find(|s| s.span_id == id)
    }
}

/// An id as text, cut to a sane length.
fn id(v: &Loose, key: &str) -> Option<String> {
    v.text(key)
        .map(|text| text.chars().take(MAX_ID_CHARS).collect())
}

/// A time in ms since the epoch (`None`, negative or not a number: 0).
fn epoch_ms(v: &Loose, key: &str) -> f64 {
    v.number(key).filter(|n| *n >= 0.0).unwrap_or(0.0)
}

impl FromLoose for TraceSpan {
    fn from_loose(v: &Loose) -> Self {
        let start_ms = epoch_ms(v, "start_ms");
        let end_ms = match v.number("end_ms") {
            Some(end) if end >= 0.0 => end,
            _ => start_ms + v.number("duration_ms").filter(|d| *d > 0.0).unwrap_or(0.0),
        };
        Self {
            span_id: id(v, "span_id").unwrap_or_default(),
            parent_span_id: id(v, "parent_span_id"),
            service: v.string("service"),
            op: v.string("op"),
            description: v.string("description"),
            status: v.string("status"),
            kind: v.string("kind"),
            start: v.string("start"),
            start_ms,
            end_ms,
            transaction: v.text("transaction"),
            event_id: id(v, "event_id"),
            replay_id: id(v, "replay_id"),
            error_ids: v.strings("error_ids"),
            data: v.get("data").cloned().unwrap_or_default(),
        }
    }
}

impl FromLoose for TraceEvent {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: id(v, "id").unwrap_or_default(),
            issue_id: id(v, "issue_id"),
            title: v.string("title"),
            level: v.string("level"),
            service: v.string("service"),
            span_id: id(v, "span_id"),
            timestamp: v.string("timestamp"),
            release: v.text("release"),
            replay_id: id(v, "replay_id"),
        }
    }
}

impl FromLoose for TraceLog {
    fn from_loose(v: &Loose) -> Self {
        Self {
            timestamp: v.string("timestamp"),
            timestamp_ms: epoch_ms(v, "timestamp_ms"),
            level: v.string("level"),
            message: v.string("message"),
            service: v.string("service"),
            span_id: id(v, "span_id"),
            attributes: v.get("attributes").cloned().unwrap_or_default(),
        }
    }
}

/// The whole trace from one value; its lists hold at most [`crate::loose::MAX_ITEMS`] items
/// (the page reads longer lists item by item, up to [`MAX_SPANS`] and [`MAX_LOGS`]).
impl FromLoose for Trace {
    fn from_loose(v: &Loose) -> Self {
        Self {
            trace_id: id(v, "trace_id").unwrap_or_default(),
            spans: v.get("spans").map(Loose::map_items).unwrap_or_default(),
            events: v.get("events").map(Loose::map_items).unwrap_or_default(),
            logs: v.get("logs").map(Loose::map_items).unwrap_or_default(),
            replay_ids: v.strings("replay_ids"),
            services: v.strings("services"),
            failing_service: v.text("failing_service"),
            spans_left_out: 0,
            logs_left_out: 0,
        }
    }
}

/// `GET` path of one trace.
pub fn trace_path(trace_id: &str) -> String {
    format!("/api/0/traces/{}/", encode_segment_path(trace_id))
}

/// The viewer page of one trace: `/traces/{trace_id}`.
pub fn trace_page_path(trace_id: &str) -> String {
    format!("/traces/{}", encode_segment_path(trace_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<Trace, serde_json::Error> {
        Ok(Trace::from_loose(&serde_json::from_str::<Loose>(body)?))
    }

    #[test]
    fn only_statuses_that_say_so_are_failures() {
        let span = |status: &str| TraceSpan {
            status: status.to_owned(),
            ..TraceSpan::default()
        };
        for status in ["", "ok", "unset", "unknown"] {
            assert!(!span(status).status_failed(), "{status}");
        }
        for status in ["internal_error", "deadline_exceeded", "not_found"] {
            assert!(span(status).status_failed(), "{status}");
        }
    }

    #[test]
    fn reads_the_api_contract() -> Result<(), serde_json::Error> {
        let trace = read(
            r#"{"trace_id": "feedfacefeedfacefeedfacefeedface",
                "spans": [{"span_id": "aaaaaaaaaaaaaaaa", "parent_span_id": null,
                           "trace_id": "feedfacefeedfacefeedfacefeedface", "service": "browser",
                           "op": "http.client", "description": "POST /api/checkout",
                           "status": "internal_error", "kind": "browser",
                           "start": "2026-11-26T06:08:56.850000Z", "end": "2026-11-26T06:08:57.000000Z",
                           "start_ms": 1795500536850.0, "end_ms": 1795500537000.0,
                           "duration_ms": 150.0, "transaction": null, "event_id": null,
                           "replay_id": "0123456789abcdef0123456789abcdef", "error_ids": [],
                           "data": {"url": "/api/checkout"}},
                          {"span_id": "bbbbbbbbbbbbbbbb", "parent_span_id": "aaaaaaaaaaaaaaaa",
                           "service": "billing", "start_ms": 1795500536900.5,
                           "end_ms": 1795500536990.5, "error_ids": ["ee01"], "status": "ok"}],
                "events": [{"id": "ee01", "issue_id": 21, "title": "ValueError: card declined",
                            "service": "billing", "span_id": "bbbbbbbbbbbbbbbb"}],
                "logs": [{"timestamp_ms": 1795500536950.0, "level": "error",
                          "message": "charge failed", "service": "billing",
                          "span_id": "bbbbbbbbbbbbbbbb", "attributes": {"card": "visa"}}],
                "replay_ids": ["0123456789abcdef0123456789abcdef"],
                "services": ["browser", "billing"], "failing_service": "billing"}"#,
        )?;
        assert_eq!(trace.spans.len(), 2);
        let browser = &trace.spans[0];
        assert_eq!(browser.parent_span_id, None);
        assert_eq!(browser.label(), "POST /api/checkout");
        assert_eq!(browser.duration_ms(), 150.0);
        assert!(browser.status_failed() && !browser.failed());
        let billing = &trace.spans[1];
        assert_eq!(billing.parent_span_id.as_deref(), Some("aaaaaaaaaaaaaaaa"));
        assert!(billing.failed() && !billing.status_failed());
        assert_eq!(billing.label(), "bbbbbbbbbbbbbbbb");
        assert_eq!(
            trace.event("ee01").and_then(|e| e.issue_id.clone()),
            Some("21".into())
        );
        assert_eq!(
            trace.logs[0].attributes.text("card").as_deref(),
            Some("visa")
        );
        assert_eq!(trace.failing_service.as_deref(), Some("billing"));
        assert_eq!(trace.services, vec!["browser", "billing"]);
        Ok(())
    }

    #[test]
    fn odd_fields_take_their_empty_value() -> Result<(), serde_json::Error> {
        let trace = read(
            r#"{"spans": [{"span_id": 7, "start_ms": "oops", "end_ms": -5, "duration_ms": 12,
                           "error_ids": "not a list", "data": [1]},
                          "not a span"],
                "failing_service": null, "logs": {"no": "list"}}"#,
        )?;
        assert_eq!(trace.spans.len(), 2);
        assert_eq!(trace.spans[0].span_id, "7");
        assert_eq!(trace.spans[0].start_ms, 0.0);
        assert_eq!(trace.spans[0].end_ms, 12.0);
        assert!(trace.spans[0].error_ids.is_empty());
        assert_eq!(trace.spans[1], TraceSpan::default());
        assert!(trace.logs.is_empty());
        assert_eq!(trace.failing_service, None);
        let long = read(&format!(r#"{{"trace_id": "{}"}}"#, "a".repeat(5_000)))?;
        assert_eq!(long.trace_id.len(), MAX_ID_CHARS);
        Ok(())
    }

    #[test]
    fn paths_cannot_escape_the_trace() {
        assert_eq!(trace_path("abc"), "/api/0/traces/abc/");
        assert_eq!(trace_page_path("abc"), "/traces/abc");
        assert_eq!(trace_path("../x?y"), "/api/0/traces/..%2Fx%3Fy/");
    }
}
