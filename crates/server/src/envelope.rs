//! The Sentry envelope format: a JSON header line, then items, each a JSON header line and a
//! payload.
//!
//! A payload is either exactly `length` bytes (when the item header says so) followed by a
//! newline or the end, or everything up to the next newline. The header may be `{}`, the final
//! newline may be missing, and item types this server does not know are kept as
//! [`ItemType::Unknown`] so the caller can skip them. Parsing is bounded: header lines, item
//! count and the sizes of events and transactions are limited (see [`crate::limits`]), and every
//! malformed or truncated input is a typed [`EnvelopeError`], never a panic.
//!
//! ```
//! use sightline_server::envelope::{Envelope, ItemType};
//! let bytes = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n\
//!     {\"type\":\"event\",\"length\":2}\n{}\n\
//!     {\"type\":\"client_report\"}\n{\"discarded_events\":[]}";
//! let envelope = Envelope::parse(bytes).unwrap();
//! assert_eq!(envelope.items.len(), 2);
//! assert_eq!(envelope.items[0].item_type, ItemType::Event);
//! assert_eq!(envelope.items[1].payload, b"{\"discarded_events\":[]}");
//! ```

use serde_json::{Map, Value};
use thiserror::Error;

use crate::event_id::EventId;
use crate::limits::{
    MAX_ENVELOPE_ITEMS, MAX_EVENT_BYTES, MAX_HEADER_LINE_BYTES, MAX_TRANSACTION_BYTES,
};

/// Why an envelope cannot be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The body is empty or only whitespace.
    #[error("envelope is empty")]
    Empty,
    /// The envelope header line is not a JSON object.
    #[error("envelope header is not a JSON object: {0}")]
    InvalidHeader(String),
    /// A header line is longer than [`MAX_HEADER_LINE_BYTES`].
    #[error("{line} is longer than MAX_HEADER_LINE_BYTES ({MAX_HEADER_LINE_BYTES} bytes)")]
    HeaderTooLong {
        /// Which line: the envelope header or an item's.
        line: String,
    },
    /// An item header is not a JSON object with a string `type` and a valid `length`.
    #[error("item {index}: invalid item header: {reason}")]
    InvalidItemHeader {
        /// Position of the item (0-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An item declares more payload bytes than the envelope holds.
    #[error(
        "item {index} ({item_type}) declares {declared} bytes but only {available} follow: the envelope is truncated"
    )]
    Truncated {
        /// Position of the item (0-based).
        index: usize,
        /// The item's type.
        item_type: String,
        /// Its `length`.
        declared: usize,
        /// The bytes left in the envelope.
        available: usize,
    },
    /// A payload of declared length is followed by something other than a newline.
    #[error("item {index} ({item_type}): payload of declared length is not followed by a newline")]
    MissingNewline {
        /// Position of the item (0-based).
        index: usize,
        /// The item's type.
        item_type: String,
    },
    /// The envelope has more than [`MAX_ENVELOPE_ITEMS`] items.
    #[error("envelope has more than MAX_ENVELOPE_ITEMS ({MAX_ENVELOPE_ITEMS}) items")]
    TooManyItems,
    /// An item is larger than the limit for its type.
    #[error("item {index} ({item_type}) is {size} bytes, larger than {limit_name} ({limit} bytes)")]
    ItemTooLarge {
        /// Position of the item (0-based).
        index: usize,
        /// The item's type.
        item_type: String,
        /// The payload's size.
        size: usize,
        /// The name of the limit in [`crate::limits`].
        limit_name: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The envelope header's `event_id` is neither 32 hex digits nor a UUID.
    #[error("invalid event_id {0:?}: expected 32 hex digits or a UUID")]
    InvalidEventId(String),
}

impl EnvelopeError {
    /// Whether the envelope broke a size limit (413) rather than being malformed (400).
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            Self::ItemTooLarge { .. } | Self::TooManyItems | Self::HeaderTooLong { .. }
        )
    }
}

/// The kind of an envelope item, from its header's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemType {
    /// An error or message event.
    Event,
    /// A performance transaction (spans of one service).
    Transaction,
    /// A release-health session update.
    Session,
    /// Aggregated release-health sessions.
    Sessions,
    /// The SDK's counts of events it dropped.
    ClientReport,
    /// A cron monitor check-in.
    CheckIn,
    /// A profile or a profile chunk.
    Profile,
    /// Standalone spans.
    Span,
    /// Structured logs.
    Log,
    /// A file attached to an event.
    Attachment,
    /// Session replay items of Sentry's browser SDK (Sightline's recorder has its own endpoint).
    Replay,
    /// User feedback.
    Feedback,
    /// Metrics (statsd lines, buckets or trace metrics).
    Metric,
    /// Any other type, skipped.
    Unknown,
}

impl ItemType {
    /// The type named by an item header's `type`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "event" => Self::Event,
            "transaction" => Self::Transaction,
            "session" => Self::Session,
            "sessions" => Self::Sessions,
            "client_report" => Self::ClientReport,
            "check_in" => Self::CheckIn,
            "profile" | "profile_chunk" => Self::Profile,
            "span" | "otel_span" => Self::Span,
            "log" | "otel_log" => Self::Log,
            "attachment" => Self::Attachment,
            "replay_event" | "replay_recording" | "replay_video" => Self::Replay,
            "feedback" | "user_report" => Self::Feedback,
            "statsd" | "metric_buckets" | "metric_meta" | "trace_metric" => Self::Metric,
            _ => Self::Unknown,
        }
    }

    /// The size limit for payloads of this type, with the limit's name, if it has one of its own.
    fn size_limit(self) -> Option<(&'static str, usize)> {
        match self {
            Self::Event => Some(("MAX_EVENT_BYTES", MAX_EVENT_BYTES)),
            Self::Transaction => Some(("MAX_TRANSACTION_BYTES", MAX_TRANSACTION_BYTES)),
            Self::Span => Some(("MAX_SPAN_ITEM_BYTES", crate::trace::MAX_SPAN_ITEM_BYTES)),
            Self::Log => Some(("MAX_LOG_ITEM_BYTES", crate::trace::MAX_LOG_ITEM_BYTES)),
            _ => None,
        }
    }

    /// Why the server accepts but does not keep items of this type; `None` for the types it
    /// stores (events, transactions, spans and logs).
    pub fn drop_reason(self) -> Option<&'static str> {
        match self {
            Self::Event | Self::Transaction | Self::Span | Self::Log => None,
            Self::Session | Self::Sessions => Some("release_health_not_tracked"),
            Self::ClientReport => Some("client_report"),
            Self::CheckIn => Some("cron_monitors_not_supported"),
            Self::Profile => Some("profiling_not_supported"),
            Self::Attachment => Some("attachments_not_supported"),
            Self::Replay => Some("sentry_replays_not_supported"),
            Self::Feedback => Some("feedback_not_supported"),
            Self::Metric => Some("metrics_not_supported"),
            Self::Unknown => Some("unknown_item_type"),
        }
    }
}

/// One item: its type, its header (with `type` and, when given, `length`) and its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> {
    /// The kind of item.
    pub item_type: ItemType,
    /// The `type` exactly as sent (useful for unknown types).
    pub type_name: String,
    /// The whole item header.
    pub headers: Map<String, Value>,
    /// The payload bytes.
    pub payload: &'a [u8],
}

/// A parsed envelope borrowing its payloads from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// The envelope header (`event_id`, `dsn`, `sent_at`, `trace`, …); may be empty.
    pub header: Map<String, Value>,
    /// The event id of the envelope header, normalized.
    pub event_id: Option<EventId>,
    /// The items in order.
    pub items: Vec<Item<'a>>,
}

impl<'a> Envelope<'a> {
    /// Parses a whole envelope.
    ///
    /// # Errors
    /// An [`EnvelopeError`] saying what is malformed, truncated or too large.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(EnvelopeError::Empty);
        }
        let (line, mut rest) = next_line(bytes, "envelope header")?;
        let header = match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(header)) => header,
            Ok(other) => {
                return Err(EnvelopeError::InvalidHeader(format!(
                    "expected an object, got {}",
                    json_kind(&other)
                )));
            }
            Err(error) => return Err(EnvelopeError::InvalidHeader(error.to_string())),
        };
        let event_id = match header.get("event_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => {
                Some(EventId::parse(id).ok_or_else(|| EnvelopeError::InvalidEventId(id.clone()))?)
            }
            Some(other) => return Err(EnvelopeError::InvalidEventId(other.to_string())),
        };
        let mut items = Vec::new();
        while !rest.iter().all(u8::is_ascii_whitespace) {
            if items.len() == MAX_ENVELOPE_ITEMS {
                return Err(EnvelopeError::TooManyItems);
            }
            let (item, after) = parse_item(items.len(), rest)?;
            items.push(item);
            rest = after;
        }
        Ok(Self {
            header,
            event_id,
            items,
        })
    }

    /// A string field of the envelope header's `trace` object (the dynamic sampling context),
    /// such as `trace_id` or `replay_id`.
    pub fn trace_field(&self, name: &str) -> Option<&str> {
        self.header.get("trace")?.get(name)?.as_str()
    }

    /// The envelope header's `dsn`, if any.
    pub fn dsn(&self) -> Option<&str> {
        self.header.get("dsn")?.as_str()
    }
}

/// Parses the item starting at `input`; returns it and what follows it.
fn parse_item(index: usize, input: &[u8]) -> Result<(Item<'_>, &[u8]), EnvelopeError> {
    let (line, after_header) = next_line(input, &format!("item {index} header"))?;
    let invalid = |reason: String| EnvelopeError::InvalidItemHeader { index, reason };
    let headers = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(headers)) => headers,
        Ok(other) => {
            return Err(invalid(format!(
                "expected an object, got {}",
                json_kind(&other)
            )));
        }
        Err(error) => return Err(invalid(error.to_string())),
    };
    let type_name = match headers.get("type") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "type is {}, not a string",
                json_kind(other)
            )));
        }
        None => return Err(invalid("missing type".into())),
    };
    let item_type = ItemType::from_name(&type_name);
    let length = match headers.get("length") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => Some(
            number
                .as_u64()
                .and_then(|length| usize::try_from(length).ok())
                .ok_or_else(|| invalid(format!("length {number} is not a byte count")))?,
        ),
        Some(other) => return Err(invalid(format!("length is {}", json_kind(other)))),
    };
    let (payload, rest) = match length {
        Some(declared) => {
            if after_header.len() < declared {
                return Err(EnvelopeError::Truncated {
                    index,
                    item_type: type_name,
                    declared,
                    available: after_header.len(),
                });
            }
            let (payload, rest) = after_header.split_at(declared);
            let rest = if let Some(rest) = rest.strip_prefix(b"\r\n") {
                rest
            } else if let Some(rest) = rest.strip_prefix(b"\n") {
                rest
            } else if rest.is_empty() {
                rest
            } else {
                return Err(EnvelopeError::MissingNewline {
                    index,
                    item_type: type_name,
                });
            };
            (payload, rest)
        }
        None => {
            let end = after_header
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(after_header.len());
            let payload = &after_header[..end];
            let payload = payload.strip_suffix(b"\r").unwrap_or(payload);
            (payload, after_header.get(end + 1..).unwrap_or_default())
        }
    };
    if let Some((limit_name, limit)) = item_type.size_limit()
        && payload.len() > limit
    {
        return Err(EnvelopeError::ItemTooLarge {
            index,
            item_type: type_name,
            size: payload.len(),
            limit_name,
            limit,
        });
    }
    let item = Item {
        item_type,
        type_name,
        headers,
        payload,
    };
    Ok((item, rest))
}

/// Splits off one header line (without its `\n` or `\r\n`), refusing lines longer than
/// [`MAX_HEADER_LINE_BYTES`] without scanning past the limit.
fn next_line<'a>(input: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), EnvelopeError> {
    let window = &input[..input.len().min(MAX_HEADER_LINE_BYTES + 2)];
    let (line, rest) = match window.iter().position(|b| *b == b'\n') {
        Some(end) => (&input[..end], &input[end + 1..]),
        None => (input, &input[input.len()..]),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_HEADER_LINE_BYTES {
        return Err(EnvelopeError::HeaderTooLong { line: what.into() });
    }
    Ok((line, rest))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ID: &str = "9ec79c33ec9942ab8353589fcb2e04dc";

    fn parse(text: &str) -> Result<Envelope<'_>, EnvelopeError> {
        Envelope::parse(text.as_bytes())
    }

    #[test]
    fn items_with_and_without_length() {
        let text = format!(
            "{{\"event_id\":\"{ID}\"}}\n{{\"type\":\"event\",\"length\":12}}\n{{\"a\":\"b\\nc\"}}\n\
             {{\"type\":\"attachment\"}}\nhello\n"
        );
        let envelope = parse(&text).unwrap();
        assert_eq!(envelope.event_id.unwrap().as_str(), ID);
        assert_eq!(envelope.items.len(), 2);
        assert_eq!(envelope.items[0].payload, b"{\"a\":\"b\\nc\"}");
        assert_eq!(envelope.items[1].item_type, ItemType::Attachment);
        assert_eq!(envelope.items[1].payload, b"hello");
    }

    #[test]
    fn declared_length_payload_may_contain_raw_newlines() {
        let text =
            "{}\n{\"type\":\"attachment\",\"length\":7}\nab\ncd\ne\n{\"type\":\"event\"}\n{}";
        let envelope = parse(text).unwrap();
        assert_eq!(envelope.items[0].payload, b"ab\ncd\ne");
        assert_eq!(envelope.items[1].payload, b"{}");
    }

    #[test]
    fn empty_header_and_missing_final_newline_are_fine() {
        let envelope = parse("{}\n{\"type\":\"event\"}\n{\"message\":\"hi\"}").unwrap();
        assert!(envelope.header.is_empty());
        assert!(envelope.event_id.is_none());
        assert_eq!(envelope.items[0].payload, b"{\"message\":\"hi\"}");

        let envelope = parse("{}\n{\"type\":\"event\",\"length\":2}\n{}").unwrap();
        assert_eq!(envelope.items[0].payload, b"{}");
    }

    #[test]
    fn header_only_envelopes_have_no_items() {
        assert!(parse("{}").unwrap().items.is_empty());
        assert!(parse("{}\n").unwrap().items.is_empty());
        assert!(parse("{}\n\n\r\n").unwrap().items.is_empty());
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        let envelope = parse("{}\r\n{\"type\":\"event\",\"length\":2}\r\n{}\r\n").unwrap();
        assert_eq!(envelope.items[0].payload, b"{}");
        let envelope = parse("{}\r\n{\"type\":\"event\"}\r\n{}\r\n").unwrap();
        assert_eq!(envelope.items[0].payload, b"{}");
    }

    #[test]
    fn empty_payloads() {
        let envelope =
            parse("{}\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"event\"}\n").unwrap();
        assert_eq!(envelope.items.len(), 2);
        assert!(envelope.items[0].payload.is_empty());
        assert!(envelope.items[1].payload.is_empty());
        let envelope = parse("{}\n{\"type\":\"event\"}").unwrap();
        assert!(envelope.items[0].payload.is_empty());
    }

    #[test]
    fn unknown_item_types_are_kept_for_the_caller_to_skip() {
        let envelope =
            parse("{}\n{\"type\":\"future_thing\"}\n{}\n{\"type\":\"event\"}\n{}\n").unwrap();
        assert_eq!(envelope.items[0].item_type, ItemType::Unknown);
        assert_eq!(envelope.items[0].type_name, "future_thing");
        assert_eq!(
            envelope.items[0].item_type.drop_reason(),
            Some("unknown_item_type")
        );
        assert_eq!(envelope.items[1].item_type.drop_reason(), None);
    }

    #[test]
    fn every_known_type_has_a_kind() {
        for (name, kind) in [
            ("session", ItemType::Session),
            ("sessions", ItemType::Sessions),
            ("client_report", ItemType::ClientReport),
            ("check_in", ItemType::CheckIn),
            ("profile", ItemType::Profile),
            ("profile_chunk", ItemType::Profile),
            ("span", ItemType::Span),
            ("log", ItemType::Log),
            ("attachment", ItemType::Attachment),
            ("replay_recording", ItemType::Replay),
            ("transaction", ItemType::Transaction),
        ] {
            assert_eq!(ItemType::from_name(name), kind, "{name}");
        }
    }

    #[test]
    fn truncated_payload_is_an_error() {
        let error = parse("{}\n{\"type\":\"event\",\"length\":100}\n{\"a\":1}").unwrap_err();
        assert_eq!(
            error,
            EnvelopeError::Truncated {
                index: 0,
                item_type: "event".into(),
                declared: 100,
                available: 7
            }
        );
        assert!(!error.is_too_large());
        let error = parse("{}\n{\"type\":\"event\",\"length\":10}").unwrap_err();
        assert!(matches!(
            error,
            EnvelopeError::Truncated { available: 0, .. }
        ));
    }

    #[test]
    fn truncated_header_lines_are_errors() {
        assert!(matches!(
            parse("{\"event_id\":\"ab").unwrap_err(),
            EnvelopeError::InvalidHeader(_)
        ));
        assert!(matches!(
            parse("{}\n{\"type\":\"ev").unwrap_err(),
            EnvelopeError::InvalidItemHeader { index: 0, .. }
        ));
    }

    #[test]
    fn junk_after_a_declared_payload_is_an_error() {
        let error = parse("{}\n{\"type\":\"event\",\"length\":2}\n{}xx\n").unwrap_err();
        assert!(matches!(
            error,
            EnvelopeError::MissingNewline { index: 0, .. }
        ));
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert_eq!(parse("").unwrap_err(), EnvelopeError::Empty);
        assert_eq!(parse(" \n ").unwrap_err(), EnvelopeError::Empty);
        assert!(matches!(
            parse("[]\n").unwrap_err(),
            EnvelopeError::InvalidHeader(_)
        ));
        assert!(matches!(
            parse("not json\n").unwrap_err(),
            EnvelopeError::InvalidHeader(_)
        ));
        for item_header in [
            "{\"length\":2}",
            "{\"type\":3}",
            "{\"type\":\"event\",\"length\":-1}",
            "{\"type\":\"event\",\"length\":\"2\"}",
            "{\"type\":\"event\",\"length\":1.5}",
            "17",
        ] {
            let text = format!("{{}}\n{item_header}\n{{}}\n");
            assert!(
                matches!(
                    parse(&text).unwrap_err(),
                    EnvelopeError::InvalidItemHeader { .. }
                ),
                "{item_header}"
            );
        }
    }

    #[test]
    fn event_ids_are_validated_and_normalized() {
        let envelope = parse("{\"event_id\":\"9EC79C33-EC99-42AB-8353-589FCB2E04DC\"}").unwrap();
        assert_eq!(envelope.event_id.unwrap().as_str(), ID);
        assert_eq!(
            parse("{\"event_id\":\"xyz\"}").unwrap_err(),
            EnvelopeError::InvalidEventId("xyz".into())
        );
        assert!(matches!(
            parse("{\"event_id\":5}").unwrap_err(),
            EnvelopeError::InvalidEventId(_)
        ));
        assert!(parse("{\"event_id\":null}").unwrap().event_id.is_none());
    }

    #[test]
    fn trace_header_and_dsn_are_readable() {
        let envelope = parse(
            "{\"dsn\":\"http://k@h/1\",\"trace\":{\"trace_id\":\"t\",\"replay_id\":\"r\"}}\n",
        )
        .unwrap();
        assert_eq!(envelope.dsn(), Some("http://k@h/1"));
        assert_eq!(envelope.trace_field("replay_id"), Some("r"));
        assert_eq!(envelope.trace_field("release"), None);
    }

    #[test]
    fn oversized_events_break_the_named_limit() {
        let payload = "x".repeat(MAX_EVENT_BYTES + 1);
        let text = format!("{{}}\n{{\"type\":\"event\"}}\n{payload}\n");
        let error = parse(&text).unwrap_err();
        assert!(error.is_too_large());
        assert!(error.to_string().contains("MAX_EVENT_BYTES"), "{error}");
        // Attachments are only bounded by the envelope as a whole.
        let text = format!("{{}}\n{{\"type\":\"attachment\"}}\n{payload}\n");
        assert_eq!(parse(&text).unwrap().items[0].payload.len(), payload.len());
    }

    #[test]
    fn item_count_is_limited() {
        let mut text = String::from("{}\n");
        for _ in 0..=MAX_ENVELOPE_ITEMS {
            text.push_str("{\"type\":\"client_report\"}\n{}\n");
        }
        assert_eq!(parse(&text).unwrap_err(), EnvelopeError::TooManyItems);
    }

    #[test]
    fn overlong_header_lines_are_refused() {
        let text = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(MAX_HEADER_LINE_BYTES));
        assert!(matches!(
            parse(&text).unwrap_err(),
            EnvelopeError::HeaderTooLong { .. }
        ));
        let text = format!(
            "{{}}\n{{\"type\":\"event\",\"pad\":\"{}\"}}\n{{}}",
            "x".repeat(MAX_HEADER_LINE_BYTES)
        );
        assert!(matches!(
            parse(&text).unwrap_err(),
            EnvelopeError::HeaderTooLong { .. }
        ));
    }

    #[test]
    fn binary_payloads_survive() {
        let mut bytes = b"{}\n{\"type\":\"attachment\",\"length\":4}\n".to_vec();
        bytes.extend_from_slice(&[0, 255, b'\n', 7]);
        let envelope = Envelope::parse(&bytes).unwrap();
        assert_eq!(envelope.items[0].payload, [0, 255, b'\n', 7]);
    }
}
