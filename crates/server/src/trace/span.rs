//! Spans: the root span and child spans of a `transaction` item, and standalone `span` items
//! (one span per item, or a `{"items": […]}` container of them), as bounded rows.

use serde_json::{Map, Value};
use sightline_protocol::v1::is_hex_id;

use super::bounded::{self, truncate};
use super::service::service_of;
use super::time::timestamp_us;
use super::{MAX_NAME_CHARS, MAX_SPANS_PER_TRANSACTION, Received, TraceError};

/// What a stored span stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// The root span of a backend transaction (or a standalone span marked as a segment).
    Transaction,
    /// A child span inside a service (a query, an outgoing call, a function).
    Span,
}

impl SpanKind {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transaction => "transaction",
            Self::Span => "span",
        }
    }

    /// The kind named by [`SpanKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "transaction" => Some(Self::Transaction),
            "span" => Some(Self::Span),
            _ => None,
        }
    }
}

/// One span, normalized and bounded, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSpan {
    /// The project it was sent to.
    pub project_id: u64,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// Trace id, 32 lowercase hex.
    pub trace_id: String,
    /// Span id, 16 lowercase hex.
    pub span_id: String,
    /// The caller's span id; `None` for the root of a trace.
    pub parent_span_id: Option<String>,
    /// Transaction root or child span.
    pub kind: SpanKind,
    /// The service that ran it (see [`service_of`]).
    pub service: String,
    /// Operation (`http.server`, `db.query`, `http.client`, …).
    pub op: Option<String>,
    /// What it did (a query, `GET https://…`, a function name).
    pub description: Option<String>,
    /// Sentry's span status (`ok`, `internal_error`, …; `unknown` when not sent).
    pub status: String,
    /// Start, µs since the Unix epoch.
    pub start_us: i64,
    /// End, µs since the Unix epoch (never before the start).
    pub end_us: i64,
    /// The transaction it belongs to.
    pub transaction: Option<String>,
    /// The transaction's event id.
    pub event_id: Option<String>,
    /// Its `data` (or attributes), bounded.
    pub data: Map<String, Value>,
}

/// The spans of one item, and how many of its spans were dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanBatch {
    /// The spans kept, the transaction's root span first.
    pub spans: Vec<NewSpan>,
    /// Spans dropped: malformed, or beyond [`MAX_SPANS_PER_TRANSACTION`].
    pub dropped: usize,
    /// Why the first malformed span was dropped.
    pub first_error: Option<TraceError>,
}

impl SpanBatch {
    fn drop_span(&mut self, error: Option<TraceError>) {
        self.dropped += 1;
        if self.first_error.is_none() {
            self.first_error = error;
        }
    }
}

/// The root span and child spans of a `transaction` payload with event id `event_id`.
///
/// # Errors
/// [`TraceError`] when the transaction itself has no valid trace id, span id or start time;
/// malformed child spans are only counted in [`SpanBatch::dropped`].
pub fn spans_from_transaction(
    payload: &Value,
    event_id: &str,
    received: Received,
) -> Result<SpanBatch, TraceError> {
    let what = "transaction";
    let object = payload
        .as_object()
        .ok_or(TraceError::NotAnObject { what })?;
    let trace = object
        .get("contexts")
        .and_then(|contexts| contexts.get("trace"))
        .and_then(Value::as_object)
        .ok_or(TraceError::Missing {
            what,
            field: "contexts.trace",
        })?;
    let trace_id = required_id(trace, "trace_id", 32, what)?;
    let span_id = required_id(trace, "span_id", 16, what)?;
    let (start_us, end_us) = times(object, what)?;
    let name = text(object, "transaction");
    let service = service_of(
        object.get("tags"),
        object.get("server_name").and_then(Value::as_str),
        object.get("release").and_then(Value::as_str),
        received.project_id,
    );
    let root = NewSpan {
        project_id: received.project_id,
        received_at_ms: received.at_ms,
        trace_id: trace_id.clone(),
        parent_span_id: optional_id(trace, "parent_span_id", 16),
        span_id: span_id.clone(),
        kind: SpanKind::Transaction,
        service: service.clone(),
        op: text(trace, "op"),
        description: text(trace, "description").or_else(|| name.clone()),
        status: status(trace),
        start_us,
        end_us,
        transaction: name.clone(),
        event_id: Some(event_id.to_owned()),
        data: data_of(trace),
    };
    let mut batch = SpanBatch {
        spans: vec![root],
        ..SpanBatch::default()
    };
    let children = object
        .get("spans")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (index, child) in children.iter().enumerate() {
        if index >= MAX_SPANS_PER_TRANSACTION {
            batch.drop_span(None);
            continue;
        }
        let parent = Parent {
            trace_id: &trace_id,
            span_id: &span_id,
            service: &service,
            transaction: name.as_deref(),
            event_id,
        };
        match child_span(child, &parent, received) {
            Ok(span) => batch.spans.push(span),
            Err(error) => batch.drop_span(Some(error)),
        }
    }
    Ok(batch)
}

/// What a child span takes from its transaction.
struct Parent<'a> {
    trace_id: &'a str,
    span_id: &'a str,
    service: &'a str,
    transaction: Option<&'a str>,
    event_id: &'a str,
}

fn child_span(
    value: &Value,
    parent: &Parent<'_>,
    received: Received,
) -> Result<NewSpan, TraceError> {
    let what = "span";
    let object = value.as_object().ok_or(TraceError::NotAnObject { what })?;
    let trace_id = match object.get("trace_id") {
        Some(_) => required_id(object, "trace_id", 32, what)?,
        None => parent.trace_id.to_owned(),
    };
    let (start_us, end_us) = times(object, what)?;
    Ok(NewSpan {
        project_id: received.project_id,
        received_at_ms: received.at_ms,
        trace_id,
        span_id: required_id(object, "span_id", 16, what)?,
        parent_span_id: optional_id(object, "parent_span_id", 16)
            .or_else(|| Some(parent.span_id.to_owned())),
        kind: SpanKind::Span,
        service: parent.service.to_owned(),
        op: text(object, "op"),
        description: text(object, "description"),
        status: status(object),
        start_us,
        end_us,
        transaction: parent.transaction.map(str::to_owned),
        event_id: Some(parent.event_id.to_owned()),
        data: data_of(object),
    })
}

/// The spans of a standalone `span` item: one span object, or a `{"items": […]}` container
/// (attributes in the typed `{"value": …, "type": …}` form are flattened).
///
/// # Errors
/// [`TraceError::NotAnObject`] when the payload is not an object; malformed spans inside a
/// container are only counted in [`SpanBatch::dropped`], a malformed single span is an error.
pub fn spans_from_item(payload: &Value, received: Received) -> Result<SpanBatch, TraceError> {
    let object = payload
        .as_object()
        .ok_or(TraceError::NotAnObject { what: "span item" })?;
    let mut batch = SpanBatch::default();
    let Some(items) = object.get("items").and_then(Value::as_array) else {
        batch.spans.push(standalone_span(object, received)?);
        return Ok(batch);
    };
    for (index, item) in items.iter().enumerate() {
        if index >= MAX_SPANS_PER_TRANSACTION {
            batch.drop_span(None);
            continue;
        }
        let span = item
            .as_object()
            .ok_or(TraceError::NotAnObject { what: "span" })
            .and_then(|object| standalone_span(object, received));
        match span {
            Ok(span) => batch.spans.push(span),
            Err(error) => batch.drop_span(Some(error)),
        }
    }
    Ok(batch)
}

fn standalone_span(object: &Map<String, Value>, received: Received) -> Result<NewSpan, TraceError> {
    let what = "span";
    let mut data = data_of(object);
    if let Some(attributes) = object.get("attributes").and_then(Value::as_object) {
        for (key, value) in bounded::data(&flatten_attributes(attributes)) {
            data.entry(key).or_insert(value);
        }
    }
    let field = |key: &str| -> Option<String> {
        object
            .get(key)
            .or_else(|| data.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // Span attributes name the service as `service.name` (OpenTelemetry) when no tag does.
    let named = field("service.name").map(|name| serde_json::json!({ "service": name }));
    let service = service_of(
        object.get("tags").or(named.as_ref()),
        field("server_name")
            .or_else(|| field("server.address"))
            .as_deref(),
        field("release")
            .or_else(|| field("sentry.release"))
            .as_deref(),
        received.project_id,
    );
    let is_segment = object.get("is_segment").and_then(Value::as_bool) == Some(true);
    let trace_id = required_id(object, "trace_id", 32, what)?;
    let span_id = required_id(object, "span_id", 16, what)?;
    let (start_us, end_us) = times(object, what)?;
    Ok(NewSpan {
        project_id: received.project_id,
        received_at_ms: received.at_ms,
        trace_id,
        span_id,
        parent_span_id: optional_id(object, "parent_span_id", 16),
        kind: if is_segment {
            SpanKind::Transaction
        } else {
            SpanKind::Span
        },
        service,
        op: text(object, "op")
            .or_else(|| field("sentry.op").map(|op| truncate(&op, MAX_NAME_CHARS))),
        description: text(object, "description").or_else(|| text(object, "name")),
        status: status(object),
        start_us,
        end_us,
        transaction: field("segment_name")
            .or_else(|| field("sentry.segment.name"))
            .or_else(|| field("transaction"))
            .map(|name| truncate(&name, MAX_NAME_CHARS)),
        event_id: None,
        data,
    })
}

/// `{"k": {"value": v, "type": t}}` → `{"k": v}`; plain values stay as they are.
pub(super) fn flatten_attributes(attributes: &Map<String, Value>) -> Map<String, Value> {
    attributes
        .iter()
        .take(super::MAX_DATA_KEYS)
        .map(|(key, value)| {
            let plain = match value {
                Value::Object(typed) if typed.contains_key("value") => {
                    typed.get("value").cloned().unwrap_or(Value::Null)
                }
                other => other.clone(),
            };
            (key.clone(), plain)
        })
        .collect()
}

fn required_id(
    object: &Map<String, Value>,
    field: &'static str,
    digits: usize,
    what: &'static str,
) -> Result<String, TraceError> {
    let value = object
        .get(field)
        .ok_or(TraceError::Missing { what, field })?;
    parse_id(value, digits).ok_or_else(|| TraceError::InvalidId {
        field,
        digits,
        value: truncate(&value.to_string(), 40),
    })
}

fn optional_id(object: &Map<String, Value>, field: &str, digits: usize) -> Option<String> {
    parse_id(object.get(field)?, digits)
}

/// A hex id as stored: lowercase, dashes of a UUID removed.
pub(super) fn parse_id(value: &Value, digits: usize) -> Option<String> {
    let text = value.as_str()?.trim();
    if text.len() > digits + 4 {
        return None;
    }
    let compact: String = text
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    is_hex_id(&compact, digits).then_some(compact)
}

/// `start_timestamp` and `timestamp` (or `end_timestamp`); a missing or earlier end is the
/// start.
fn times(object: &Map<String, Value>, what: &'static str) -> Result<(i64, i64), TraceError> {
    let start = object
        .get("start_timestamp")
        .ok_or(TraceError::Missing {
            what,
            field: "start_timestamp",
        })
        .and_then(|value| {
            timestamp_us(value).ok_or(TraceError::InvalidTimestamp {
                field: "start_timestamp",
            })
        })?;
    let end = object
        .get("timestamp")
        .or_else(|| object.get("end_timestamp"))
        .and_then(timestamp_us)
        .unwrap_or(start);
    Ok((start, end.max(start)))
}

fn text(object: &Map<String, Value>, field: &str) -> Option<String> {
    let text = object.get(field)?.as_str()?.trim();
    (!text.is_empty()).then(|| truncate(text, MAX_NAME_CHARS))
}

fn status(object: &Map<String, Value>) -> String {
    text(object, "status").map_or_else(
        || "unknown".to_owned(),
        |status| status.to_ascii_lowercase(),
    )
}

fn data_of(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .get("data")
        .and_then(Value::as_object)
        .map(bounded::data)
        .unwrap_or_default()
}
