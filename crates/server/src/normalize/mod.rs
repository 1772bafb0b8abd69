//! Normalization of the event JSON real Sentry SDKs send into one [`NormalizedEvent`] shape.
//!
//! SDKs disagree on shapes: timestamps are RFC 3339 strings or float seconds, `exception` is a
//! list or `{values: [...]}`, `message` and `logentry` are strings or objects, tags and HTTP
//! headers are maps or lists of pairs. This module accepts all of them, applies the defaults
//! Sentry applies (`level=error`, `environment=production`), enforces the size limits of
//! [`crate::limits`], and derives what the UI needs: a `title` like Sentry's
//! (`ZeroDivisionError: division by zero`), a `culprit` (the innermost in-app frame) and the
//! HTTP status code. It never fails: what it cannot use is dropped and noted in
//! [`NormalizedEvent::errors`].
//!
//! ```
//! use serde_json::json;
//! use sightline_server::event_id::EventId;
//! use sightline_server::normalize::{NormalizeContext, normalize_event};
//!
//! let raw = json!({
//!     "timestamp": 1795673336.5,
//!     "exception": [{"type": "ValueError", "value": "bad cart", "stacktrace": {"frames": [
//!         {"module": "shop.checkout", "function": "pay", "lineno": 12, "in_app": true}
//!     ]}}],
//!     "tags": [["http.status_code", "500"]],
//! });
//! let context = NormalizeContext { event_id: EventId::random(), received_ms: 0 };
//! let event = normalize_event(&raw, &context);
//! assert_eq!(event.title, "ValueError: bad cart");
//! assert_eq!(event.culprit.as_deref(), Some("shop.checkout in pay"));
//! assert_eq!(event.level, "error");
//! assert_eq!(event.environment, "production");
//! assert_eq!(event.status_code, Some(500));
//! assert_eq!(event.timestamp_ms, 1_795_673_336_500);
//! ```

mod bounded;
mod exception;
mod fields;
mod time;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::exception::{ExceptionValue, Frame, Stacktrace};
pub use self::fields::{HttpRequest, Tag};
use crate::event_id::EventId;
use crate::limits::MAX_TITLE_CHARS;

/// What normalization needs besides the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeContext {
    /// The id to use when the payload names none (or an invalid one).
    pub event_id: EventId,
    /// When the server received the event, ms since the Unix epoch: the fallback timestamp.
    pub received_ms: u64,
}

/// Something normalization dropped or replaced, kept on the event like Sentry's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizationNote {
    /// What happened, such as `invalid_data` or `value_too_long`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The field concerned, such as `timestamp` or `tags.url`.
    pub name: String,
}

/// An error event in the one shape the server stores and serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedEvent {
    /// Event id, 32 lowercase hex digits.
    pub event_id: String,
    /// When the event happened per the SDK, ms since the Unix epoch (received time if absent).
    pub timestamp_ms: u64,
    /// When the server received it, ms since the Unix epoch.
    pub received_ms: u64,
    /// SDK platform (`python`, `node`, `native`, …); `other` when absent.
    pub platform: String,
    /// `fatal`, `error`, `warning`, `info` or `debug`; `error` when absent.
    pub level: String,
    /// The logger that emitted it, if any.
    pub logger: Option<String>,
    /// The transaction (route) name, if any.
    pub transaction: Option<String>,
    /// The host that sent it, if named.
    pub server_name: Option<String>,
    /// Release of the sending service.
    pub release: Option<String>,
    /// Deployment environment; `production` when absent.
    pub environment: String,
    /// The formatted message (from `logentry` or `message`), if any.
    pub message: Option<String>,
    /// Headline like Sentry's: `Type: value` of the main exception, else the message.
    pub title: String,
    /// Where it happened: `module in function` of the innermost in-app frame.
    pub culprit: Option<String>,
    /// Tags in the order sent.
    pub tags: Vec<Tag>,
    /// The exception chain, outermost cause first, the main exception last.
    pub exception: Vec<ExceptionValue>,
    /// A stack trace attached to a message event.
    pub stacktrace: Option<Stacktrace>,
    /// The HTTP request being handled, if any.
    pub request: Option<HttpRequest>,
    /// Contexts (`trace`, `runtime`, `os`, …) as sent, bounded.
    pub contexts: Map<String, Value>,
    /// The user, as sent, bounded.
    pub user: Option<Value>,
    /// Extra data, as sent, bounded.
    pub extra: Map<String, Value>,
    /// Breadcrumbs, as sent, bounded.
    pub breadcrumbs: Vec<Value>,
    /// Custom grouping fingerprint, if the SDK set one.
    pub fingerprint: Vec<String>,
    /// The SDK's `name` and `version`.
    pub sdk: Option<Value>,
    /// `contexts.trace.trace_id` (32 hex), if valid.
    pub trace_id: Option<String>,
    /// `contexts.trace.span_id` (16 hex), if valid.
    pub span_id: Option<String>,
    /// `contexts.trace.parent_span_id` (16 hex): the caller's span, such as the browser
    /// request that the backend handled.
    pub parent_span_id: Option<String>,
    /// The HTTP status code the event reports, from tags or contexts.
    pub status_code: Option<u16>,
    /// What was dropped or replaced during normalization.
    pub errors: Vec<NormalizationNote>,
}

/// Normalizes one event payload (the JSON object of an `event` item or a `/store/` body).
///
/// Anything that is not an object yields an event with only defaults and a note.
pub fn normalize_event(raw: &Value, context: &NormalizeContext) -> NormalizedEvent {
    let empty = Map::new();
    let mut notes = Vec::new();
    let object = match raw {
        Value::Object(object) => object,
        _ => {
            note(&mut notes, "invalid_data", "event");
            &empty
        }
    };
    let text = |name: &str| fields::string_field(object, name);

    let event_id = match object.get("event_id").and_then(Value::as_str) {
        Some(id) => EventId::parse(id).unwrap_or_else(|| {
            note(&mut notes, "invalid_data", "event_id");
            context.event_id.clone()
        }),
        None => context.event_id.clone(),
    };
    let timestamp_ms = match object.get("timestamp") {
        None | Some(Value::Null) => context.received_ms,
        Some(value) => time::timestamp_ms(value).unwrap_or_else(|| {
            note(&mut notes, "invalid_data", "timestamp");
            context.received_ms
        }),
    };
    let level = fields::level(object.get("level"), &mut notes);
    let message = fields::message(object);
    let tags = fields::tags(object.get("tags"), &mut notes);
    let request = object
        .get("request")
        .and_then(|request| fields::request(request, &mut notes));
    let exception = exception::exceptions(object.get("exception"), &mut notes);
    let stacktrace = object
        .get("stacktrace")
        .and_then(|stacktrace| exception::stacktrace(stacktrace, "stacktrace", &mut notes));
    let contexts = match object.get("contexts") {
        Some(Value::Object(contexts)) => bounded::object(contexts),
        _ => Map::new(),
    };
    let trace = contexts.get("trace");
    let trace_id = trace_hex(trace, "trace_id", 32);
    let span_id = trace_hex(trace, "span_id", 16);
    let parent_span_id = trace_hex(trace, "parent_span_id", 16);
    let status_code = fields::status_code(&tags, &contexts);
    let transaction = text("transaction");
    let culprit = exception
        .last()
        .and_then(|main| main.stacktrace.as_ref())
        .or(stacktrace.as_ref())
        .and_then(Stacktrace::culprit)
        .or_else(|| transaction.clone());
    let title = title(&exception, message.as_deref(), transaction.as_deref());

    NormalizedEvent {
        event_id: event_id.to_string(),
        timestamp_ms,
        received_ms: context.received_ms,
        platform: text("platform").unwrap_or_else(|| "other".to_owned()),
        level,
        logger: text("logger"),
        transaction,
        server_name: text("server_name"),
        release: text("release"),
        environment: text("environment").unwrap_or_else(|| "production".to_owned()),
        message,
        title,
        culprit,
        tags,
        exception,
        stacktrace,
        request,
        contexts,
        user: object
            .get("user")
            .filter(|user| user.is_object())
            .map(bounded::value),
        extra: match object.get("extra") {
            Some(Value::Object(extra)) => bounded::object(extra),
            _ => Map::new(),
        },
        breadcrumbs: breadcrumbs(object.get("breadcrumbs")),
        fingerprint: match object.get("fingerprint") {
            Some(Value::Array(parts)) => parts.iter().filter_map(fields::scalar_text).collect(),
            _ => Vec::new(),
        },
        sdk: object.get("sdk").filter(|sdk| sdk.is_object()).map(|sdk| {
            let pick = |name: &str| sdk.get(name).cloned().unwrap_or(Value::Null);
            serde_json::json!({ "name": pick("name"), "version": pick("version") })
        }),
        trace_id,
        span_id,
        parent_span_id,
        status_code,
        errors: notes,
    }
}

/// The headline Sentry shows for an event.
fn title(exception: &[ExceptionValue], message: Option<&str>, transaction: Option<&str>) -> String {
    let first_line = |text: &str| text.lines().next().unwrap_or_default().trim().to_owned();
    let title = if let Some(main) = exception.last() {
        let kind = main.kind.as_deref().filter(|kind| !kind.is_empty());
        let value = main
            .value
            .as_deref()
            .map(first_line)
            .filter(|value| !value.is_empty());
        match (kind, value) {
            (Some(kind), Some(value)) => format!("{kind}: {value}"),
            (Some(kind), None) => kind.to_owned(),
            (None, Some(value)) => value,
            (None, None) => "<unknown error>".to_owned(),
        }
    } else if let Some(message) = message.map(first_line).filter(|m| !m.is_empty()) {
        message
    } else if let Some(transaction) = transaction {
        transaction.to_owned()
    } else {
        "<unlabeled event>".to_owned()
    };
    bounded::truncate(&title, MAX_TITLE_CHARS)
}

fn trace_hex(trace: Option<&Value>, name: &str, len: usize) -> Option<String> {
    let value = trace?.get(name)?.as_str()?.trim().to_ascii_lowercase();
    (value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit())).then_some(value)
}

fn breadcrumbs(raw: Option<&Value>) -> Vec<Value> {
    let list = match raw {
        Some(Value::Array(list)) => list,
        Some(Value::Object(object)) => match object.get("values") {
            Some(Value::Array(list)) => list,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    // The newest crumbs are the ones that explain the error.
    let skip = list.len().saturating_sub(100);
    list.iter().skip(skip).map(bounded::value).collect()
}

fn note(notes: &mut Vec<NormalizationNote>, kind: &str, name: &str) {
    notes.push(NormalizationNote {
        kind: kind.to_owned(),
        name: name.to_owned(),
    });
}

#[cfg(test)]
mod tests;
