//! Logs: the entries of a `log` item (`{"items": [{timestamp, level, body, trace_id, span_id,
//! attributes}]}`, attributes typed as `{"value": …, "type": …}`), as bounded rows.

use serde_json::{Map, Value};

use super::bounded::{self, truncate};
use super::service::service_of;
use super::span::{flatten_attributes, parse_id};
use super::time::timestamp_us;
use super::{MAX_LOG_MESSAGE_CHARS, MAX_LOGS_PER_ITEM, MAX_NAME_CHARS, Received, TraceError};

/// One log entry, normalized and bounded, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLog {
    /// The project it was sent to.
    pub project_id: u64,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// Trace id, 32 lowercase hex.
    pub trace_id: String,
    /// The span that was active when it was written, if the SDK said.
    pub span_id: Option<String>,
    /// When it was written, µs since the Unix epoch.
    pub timestamp_us: i64,
    /// `trace`, `debug`, `info`, `warn`, `error` or `fatal` (as sent, lowercase).
    pub level: String,
    /// The formatted message.
    pub message: String,
    /// The service that wrote it: its `service` attribute, else `server.address`, else the
    /// name of `sentry.release` (the trace API prefers the service of its span).
    pub service: String,
    /// Its attributes as plain values, bounded.
    pub attributes: Map<String, Value>,
}

/// The logs of one item, and how many were dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogBatch {
    /// The logs kept, in the item's order.
    pub logs: Vec<NewLog>,
    /// Logs dropped: malformed, or beyond [`MAX_LOGS_PER_ITEM`].
    pub dropped: usize,
    /// Why the first malformed log was dropped.
    pub first_error: Option<TraceError>,
}

/// The logs of a `log` item's payload.
///
/// # Errors
/// [`TraceError`] when the payload is not an object with an `items` list; malformed entries
/// are only counted in [`LogBatch::dropped`].
pub fn logs_from_item(payload: &Value, received: Received) -> Result<LogBatch, TraceError> {
    let items = payload
        .as_object()
        .ok_or(TraceError::NotAnObject { what: "log item" })?
        .get("items")
        .and_then(Value::as_array)
        .ok_or(TraceError::Missing {
            what: "log item",
            field: "items",
        })?;
    let mut batch = LogBatch::default();
    for (index, item) in items.iter().enumerate() {
        let log = if index >= MAX_LOGS_PER_ITEM {
            Err(None)
        } else {
            log_entry(item, received).map_err(Some)
        };
        match log {
            Ok(log) => batch.logs.push(log),
            Err(error) => {
                batch.dropped += 1;
                if batch.first_error.is_none() {
                    batch.first_error = error;
                }
            }
        }
    }
    Ok(batch)
}

fn log_entry(value: &Value, received: Received) -> Result<NewLog, TraceError> {
    let what = "log";
    let object = value.as_object().ok_or(TraceError::NotAnObject { what })?;
    let attributes = object
        .get("attributes")
        .and_then(Value::as_object)
        .map(|attributes| bounded::data(&flatten_attributes(attributes)))
        .unwrap_or_default();
    let trace_value = object.get("trace_id").ok_or(TraceError::Missing {
        what,
        field: "trace_id",
    })?;
    let trace_id = parse_id(trace_value, 32).ok_or_else(|| TraceError::InvalidId {
        field: "trace_id",
        digits: 32,
        value: truncate(&trace_value.to_string(), 40),
    })?;
    let timestamp_us = object
        .get("timestamp")
        .and_then(timestamp_us)
        .ok_or(TraceError::InvalidTimestamp { field: "timestamp" })?;
    // Python sends `span_id`; the Rust crate names the active span in a `parent_span_id`
    // attribute (or the `sentry.trace.parent_span_id` one, when the caller set it).
    let span_id = ["span_id"]
        .iter()
        .filter_map(|key| object.get(*key))
        .chain(
            ["sentry.trace.parent_span_id", "parent_span_id"]
                .iter()
                .filter_map(|key| attributes.get(*key)),
        )
        .find_map(|value| parse_id(value, 16));
    let attribute = |key: &str| attributes.get(key).and_then(Value::as_str);
    let named = attribute("service")
        .or_else(|| attribute("service.name"))
        .map(|name| serde_json::json!({ "service": name }));
    let service = service_of(
        named.as_ref(),
        attribute("server.address"),
        attribute("sentry.release"),
        received.project_id,
    );
    let level = object
        .get("level")
        .and_then(Value::as_str)
        .or_else(|| attribute("sentry.severity_text"))
        .map_or_else(
            || "info".to_owned(),
            |level| truncate(level, MAX_NAME_CHARS).to_ascii_lowercase(),
        );
    let message = object
        .get("body")
        .and_then(Value::as_str)
        .map(|body| truncate(body, MAX_LOG_MESSAGE_CHARS))
        .unwrap_or_default();
    Ok(NewLog {
        project_id: received.project_id,
        received_at_ms: received.at_ms,
        trace_id,
        span_id,
        timestamp_us,
        level,
        message,
        service,
        attributes,
    })
}
