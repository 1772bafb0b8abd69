//! Traces: the spans and logs that official Sentry SDKs send (`transaction` items with their
//! child spans, standalone `span` items, `log` containers), turned into bounded rows indexed by
//! trace id and span id, and the view of one trace across services that the trace API serves.
//!
//! Everything here is plain functions over JSON and rows, so every rule is tested without a
//! store: [`spans_from_transaction`], [`spans_from_item`] and [`logs_from_item`] normalize what
//! arrives (each bounded: ids checked, times in range, `data` and attributes cut to
//! [`MAX_DATA_KEYS`] keys, [`MAX_DATA_DEPTH`] levels and [`MAX_DATA_STRING_CHARS`] characters);
//! [`TraceView::assemble`] joins the stored spans with the browser's requests, the error events
//! and the logs of the trace.
//!
//! ```
//! use serde_json::json;
//! use sightline_server::trace::{Received, spans_from_transaction};
//!
//! let transaction = json!({
//!     "type": "transaction", "transaction": "GET /", "server_name": "gateway-1",
//!     "start_timestamp": 1_795_695_529.0, "timestamp": 1_795_695_529.25,
//!     "contexts": {"trace": {"trace_id": "0123456789abcdef0123456789abcdef",
//!                            "span_id": "82fbd125e9bdfde0", "op": "http.server"}},
//! });
//! let received = Received { project_id: 1, at_ms: 0 };
//! let batch = spans_from_transaction(&transaction, "26491d13daf64f728536d63181db4c70", received)?;
//! assert_eq!(batch.spans[0].service, "gateway-1");
//! assert_eq!(batch.spans[0].end_us - batch.spans[0].start_us, 250_000);
//! # Ok::<(), sightline_server::trace::TraceError>(())
//! ```

mod bounded;
mod log;
mod service;
mod span;
mod time;
mod view;

#[cfg(test)]
mod tests;

use thiserror::Error;

pub use self::log::{LogBatch, NewLog, logs_from_item};
pub use self::service::service_of;
pub use self::span::{NewSpan, SpanBatch, SpanKind, spans_from_item, spans_from_transaction};
pub use self::time::{rfc3339_us, timestamp_us};
pub use self::view::{TraceEvent, TraceEventJson, TraceLogJson, TraceSpanJson, TraceView};

/// Largest `span` item payload accepted, in bytes.
pub const MAX_SPAN_ITEM_BYTES: usize = 1024 * 1024;

/// Largest `log` item payload accepted, in bytes.
pub const MAX_LOG_ITEM_BYTES: usize = 1024 * 1024;

/// Most spans kept per transaction (as Sentry); further ones are dropped and counted.
pub const MAX_SPANS_PER_TRANSACTION: usize = 1000;

/// Most logs kept per `log` item; further ones are dropped and counted.
pub const MAX_LOGS_PER_ITEM: usize = 1000;

/// Most spans stored per trace; spans arriving after that are dropped and counted.
pub const MAX_SPANS_PER_TRACE: usize = 10_000;

/// Most logs stored per trace; logs arriving after that are dropped and counted.
pub const MAX_LOGS_PER_TRACE: usize = 10_000;

/// Most keys kept per object of span `data` or log attributes.
pub const MAX_DATA_KEYS: usize = 64;

/// Deepest nesting kept in span `data` and log attributes.
pub const MAX_DATA_DEPTH: usize = 4;

/// Longest string kept in span `data` and log attributes, in characters.
pub const MAX_DATA_STRING_CHARS: usize = 1024;

/// Longest op, description, transaction name, status, level or service kept, in characters.
pub const MAX_NAME_CHARS: usize = 512;

/// Longest log message kept, in characters.
pub const MAX_LOG_MESSAGE_CHARS: usize = 8192;

/// Who sent a span or log, and when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The project it was sent to.
    pub project_id: u64,
    /// When it arrived, ms since the Unix epoch.
    pub at_ms: u64,
}

/// Why a transaction, span or log was not kept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The payload (or one of its entries) is not a JSON object.
    #[error("{what} is not a JSON object")]
    NotAnObject {
        /// What was expected to be an object.
        what: &'static str,
    },
    /// A required field is missing.
    #[error("{what} has no {field}")]
    Missing {
        /// The payload.
        what: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A trace id (32 hex) or span id (16 hex) is malformed.
    #[error("{field} is not {digits} hex digits: {value:?}")]
    InvalidId {
        /// The field.
        field: &'static str,
        /// How many hex digits it must have.
        digits: usize,
        /// What was sent (cut to 40 characters).
        value: String,
    },
    /// A timestamp is neither RFC 3339 nor float seconds between 1970 and 9999.
    #[error("{field} is not a time between 1970 and 9999")]
    InvalidTimestamp {
        /// The field.
        field: &'static str,
    },
}
