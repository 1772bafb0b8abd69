//! One trace across services, as `GET /api/0/traces/{trace_id}/` serves it: the browser's
//! requests as root spans, backend transactions and their child spans under them, the error
//! events placed on the innermost span that holds them, and the logs.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::log::NewLog;
use super::service::service_of;
use super::span::NewSpan;
use super::time::rfc3339_us;
use crate::link::TracedRequest;
use crate::store::StoredEvent;

/// The service of the browser's requests.
const BROWSER: &str = "browser";

/// Deepest parent chain followed (a cycle in what SDKs sent ends there).
const MAX_CHAIN: usize = 256;

/// An error event of the trace with the issue it was grouped into.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// The stored event.
    pub stored: StoredEvent,
    /// Its issue, once grouped.
    pub issue_id: Option<u64>,
}

/// One span of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSpanJson {
    /// Span id (16 hex).
    pub span_id: String,
    /// The caller's span id; `null` for a root.
    pub parent_span_id: Option<String>,
    /// Trace id (32 hex).
    pub trace_id: String,
    /// `browser` or the backend service's name.
    pub service: String,
    /// Operation (`http.client`, `http.server`, `db.query`, …).
    pub op: Option<String>,
    /// What it did.
    pub description: Option<String>,
    /// Sentry's span status (`ok`, `internal_error`, …).
    pub status: String,
    /// `browser`, `transaction` or `span`.
    pub kind: &'static str,
    /// Start, RFC 3339 with microseconds.
    pub start: String,
    /// End, RFC 3339 with microseconds.
    pub end: String,
    /// Start, ms since the epoch.
    pub start_ms: f64,
    /// End, ms since the epoch.
    pub end_ms: f64,
    /// End minus start, ms.
    pub duration_ms: f64,
    /// The transaction it belongs to.
    pub transaction: Option<String>,
    /// The transaction's event id.
    pub event_id: Option<String>,
    /// The replay that recorded it (browser spans).
    pub replay_id: Option<String>,
    /// Error events that happened in this span (not in a span below it).
    pub error_ids: Vec<String>,
    /// Its data, bounded.
    pub data: Map<String, Value>,
}

/// One error event of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEventJson {
    /// Event id (32 hex).
    pub id: String,
    /// Its issue.
    pub issue_id: Option<String>,
    /// Title (`Type: value`, or the message).
    pub title: String,
    /// Level (`error`, `fatal`, …).
    pub level: String,
    /// The service that sent it.
    pub service: String,
    /// The span active when it happened.
    pub span_id: Option<String>,
    /// That span's parent.
    pub parent_span_id: Option<String>,
    /// RFC 3339 with microseconds.
    pub timestamp: String,
    /// Release.
    pub release: Option<String>,
    /// Environment.
    pub environment: String,
    /// The replay it is linked to.
    pub replay_id: Option<String>,
}

/// One log of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceLogJson {
    /// RFC 3339 with microseconds.
    pub timestamp: String,
    /// ms since the epoch.
    pub timestamp_ms: f64,
    /// `trace` … `fatal`.
    pub level: String,
    /// The message.
    pub message: String,
    /// The service of its span when that is known, else the one its attributes name.
    pub service: String,
    /// The span active when it was written.
    pub span_id: Option<String>,
    /// Its attributes, bounded.
    pub attributes: Map<String, Value>,
}

/// A whole trace as the API serves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceView {
    /// Trace id (32 hex).
    pub trace_id: String,
    /// Every span, by start (a parent before a child starting with it).
    pub spans: Vec<TraceSpanJson>,
    /// Error events, by timestamp.
    pub events: Vec<TraceEventJson>,
    /// Logs, by timestamp.
    pub logs: Vec<TraceLogJson>,
    /// Replays that recorded the trace.
    pub replay_ids: Vec<String>,
    /// Services in the order the trace reached them.
    pub services: Vec<String>,
    /// The service of the innermost span holding an error event; `null` when none.
    pub failing_service: Option<String>,
}

impl TraceView {
    /// Joins what is stored for `trace_id`; `None` when nothing is.
    pub fn assemble(
        trace_id: &str,
        requests: &[TracedRequest],
        spans: &[NewSpan],
        events: &[TraceEvent],
        logs: &[NewLog],
    ) -> Option<Self> {
        if requests.is_empty() && spans.is_empty() && events.is_empty() && logs.is_empty() {
            return None;
        }
        let mut out: Vec<TraceSpanJson> = Vec::with_capacity(requests.len() + spans.len());
        let mut seen = HashSet::new();
        for request in requests {
            if seen.insert(request.span_id.clone()) {
                out.push(browser_span(request));
            }
        }
        for span in spans {
            if seen.insert(span.span_id.clone()) {
                out.push(backend_span(span));
            }
        }
        stretch_unknown_durations(&mut out);
        let index: HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(at, span)| (span.span_id.clone(), at))
            .collect();
        let depths: Vec<usize> = (0..out.len()).map(|at| depth(&out, &index, at)).collect();

        let mut event_rows: Vec<(i64, TraceEventJson)> = events.iter().map(event_json).collect();
        event_rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let mut failing: Option<(usize, i64, String)> = None;
        for (time, event) in &event_rows {
            let own = event.span_id.as_ref().and_then(|id| index.get(id)).copied();
            let parent = event
                .parent_span_id
                .as_ref()
                .and_then(|id| index.get(id))
                .copied();
            // An event sits one level below the span that holds it. When its own span was not
            // stored (the service sent no transaction), its parent holds it, but the service
            // that failed is still the event's own.
            let (rank, service) = match (own, parent) {
                (Some(at), _) => {
                    out[at].error_ids.push(event.id.clone());
                    (depths[at] + 1, out[at].service.clone())
                }
                (None, Some(at)) => {
                    out[at].error_ids.push(event.id.clone());
                    (depths[at] + 1, event.service.clone())
                }
                (None, None) => (0, event.service.clone()),
            };
            if failing
                .as_ref()
                .is_none_or(|(best, at, _)| rank > *best || (rank == *best && time > at))
            {
                failing = Some((rank, *time, service));
            }
        }

        let mut order: Vec<usize> = (0..out.len()).collect();
        order.sort_by(|&a, &b| {
            out[a]
                .start_ms
                .total_cmp(&out[b].start_ms)
                .then(depths[a].cmp(&depths[b]))
                .then_with(|| out[a].span_id.cmp(&out[b].span_id))
        });
        let mut slots: Vec<Option<TraceSpanJson>> = out.into_iter().map(Some).collect();
        let spans: Vec<TraceSpanJson> = order.iter().filter_map(|&at| slots[at].take()).collect();

        let span_services: HashMap<&str, &str> = spans
            .iter()
            .map(|span| (span.span_id.as_str(), span.service.as_str()))
            .collect();
        let mut log_rows: Vec<&NewLog> = logs.iter().collect();
        log_rows.sort_by_key(|log| log.timestamp_us);
        let logs: Vec<TraceLogJson> = log_rows
            .into_iter()
            .map(|log| log_json(log, &span_services))
            .collect();

        let mut services: Vec<String> = Vec::new();
        let mut replay_ids: Vec<String> = Vec::new();
        let named = spans
            .iter()
            .map(|span| &span.service)
            .chain(event_rows.iter().map(|(_, event)| &event.service))
            .chain(logs.iter().map(|log| &log.service));
        for service in named {
            if !services.contains(service) {
                services.push(service.clone());
            }
        }
        let replays = spans
            .iter()
            .filter_map(|span| span.replay_id.as_ref())
            .chain(
                event_rows
                    .iter()
                    .filter_map(|(_, event)| event.replay_id.as_ref()),
            );
        for replay in replays {
            if !replay_ids.contains(replay) {
                replay_ids.push(replay.clone());
            }
        }
        Some(Self {
            trace_id: trace_id.to_owned(),
            spans,
            events: event_rows.into_iter().map(|(_, event)| event).collect(),
            logs,
            replay_ids,
            services,
            failing_service: failing.map(|(_, _, service)| service),
        })
    }
}

/// A browser request stored without its duration (before the server kept durations) starts
/// no later than the first backend span it caused.
fn stretch_unknown_durations(spans: &mut [TraceSpanJson]) {
    let mut first_child: HashMap<String, f64> = HashMap::new();
    for span in spans.iter() {
        if let Some(parent) = &span.parent_span_id {
            let start = first_child.entry(parent.clone()).or_insert(span.start_ms);
            *start = start.min(span.start_ms);
        }
    }
    for span in spans.iter_mut() {
        let unknown = span.kind == "browser" && span.duration_ms == 0.0;
        let Some(&child_start) = first_child.get(&span.span_id) else {
            continue;
        };
        if unknown && child_start < span.start_ms {
            // Whole µs: the children's times are.
            #[allow(clippy::cast_possible_truncation)]
            let start_us = (child_start * 1000.0).round() as i64;
            span.start = rfc3339_us(start_us);
            span.start_ms = child_start;
            span.duration_ms = span.end_ms - child_start;
        }
    }
}

/// How many ancestors span `at` has among the spans of the trace.
fn depth(spans: &[TraceSpanJson], index: &HashMap<String, usize>, at: usize) -> usize {
    let mut depth = 0;
    let mut current = at;
    while let Some(parent) = spans[current]
        .parent_span_id
        .as_ref()
        .and_then(|id| index.get(id))
    {
        depth += 1;
        current = *parent;
        if depth >= MAX_CHAIN || current == at {
            break;
        }
    }
    depth
}

/// Sentry's span status for an HTTP status seen by the browser (0: no response).
pub(crate) fn http_status(status: u16) -> &'static str {
    match status {
        200..=399 => "ok",
        0 => "unknown_error",
        401 => "unauthenticated",
        403 => "permission_denied",
        404 => "not_found",
        409 => "already_exists",
        412 => "failed_precondition",
        429 => "resource_exhausted",
        499 => "cancelled",
        400..=499 => "invalid_argument",
        501 => "unimplemented",
        503 => "unavailable",
        504 => "deadline_exceeded",
        _ => "internal_error",
    }
}

fn us_to_ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

fn browser_span(request: &TracedRequest) -> TraceSpanJson {
    let end_us = i64::try_from(request.time_ms)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let start_us = end_us.saturating_sub(i64::from(request.duration_ms).saturating_mul(1000));
    let mut data = Map::new();
    data.insert("http.request.method".into(), request.method.clone().into());
    data.insert("url".into(), request.url.clone().into());
    data.insert("http.response.status_code".into(), request.status.into());
    TraceSpanJson {
        span_id: request.span_id.clone(),
        parent_span_id: None,
        trace_id: request.trace_id.clone(),
        service: BROWSER.to_owned(),
        op: Some("http.client".to_owned()),
        description: Some(format!("{} {}", request.method, request.url)),
        status: http_status(request.status).to_owned(),
        kind: "browser",
        start: rfc3339_us(start_us),
        end: rfc3339_us(end_us),
        start_ms: us_to_ms(start_us),
        end_ms: us_to_ms(end_us),
        duration_ms: us_to_ms(end_us - start_us),
        transaction: None,
        event_id: None,
        replay_id: Some(request.replay_id.clone()),
        error_ids: Vec::new(),
        data,
    }
}

fn backend_span(span: &NewSpan) -> TraceSpanJson {
    TraceSpanJson {
        span_id: span.span_id.clone(),
        parent_span_id: span.parent_span_id.clone(),
        trace_id: span.trace_id.clone(),
        service: span.service.clone(),
        op: span.op.clone(),
        description: span.description.clone(),
        status: span.status.clone(),
        kind: span.kind.as_str(),
        start: rfc3339_us(span.start_us),
        end: rfc3339_us(span.end_us),
        start_ms: us_to_ms(span.start_us),
        end_ms: us_to_ms(span.end_us),
        duration_ms: us_to_ms(span.end_us - span.start_us),
        transaction: span.transaction.clone(),
        event_id: span.event_id.clone(),
        replay_id: None,
        error_ids: Vec::new(),
        data: span.data.clone(),
    }
}

/// The event as the trace shows it, with its time in µs for ordering.
fn event_json(trace_event: &TraceEvent) -> (i64, TraceEventJson) {
    let stored = &trace_event.stored;
    let event = &stored.event;
    let tags: Map<String, Value> = event
        .tags
        .iter()
        .map(|tag| (tag.key.clone(), Value::String(tag.value.clone())))
        .collect();
    let service = service_of(
        Some(&Value::Object(tags)),
        event.server_name.as_deref(),
        event.release.as_deref(),
        stored.project_id,
    );
    let time_us = i64::try_from(event.timestamp_ms)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    (
        time_us,
        TraceEventJson {
            id: event.event_id.clone(),
            issue_id: trace_event.issue_id.map(|id| id.to_string()),
            title: event.title.clone(),
            level: event.level.clone(),
            service,
            span_id: event.span_id.clone(),
            parent_span_id: event.parent_span_id.clone(),
            timestamp: rfc3339_us(time_us),
            release: event.release.clone(),
            environment: event.environment.clone(),
            replay_id: stored.link.as_ref().map(|link| link.replay_id.clone()),
        },
    )
}

fn log_json(log: &NewLog, span_services: &HashMap<&str, &str>) -> TraceLogJson {
    let service = log
        .span_id
        .as_deref()
        .and_then(|span| span_services.get(span))
        .map_or_else(|| log.service.clone(), |service| (*service).to_owned());
    TraceLogJson {
        timestamp: rfc3339_us(log.timestamp_us),
        timestamp_ms: us_to_ms(log.timestamp_us),
        level: log.level.clone(),
        message: log.message.clone(),
        service,
        span_id: log.span_id.clone(),
        attributes: log.attributes.clone(),
    }
}
