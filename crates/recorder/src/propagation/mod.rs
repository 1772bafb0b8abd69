//! Trace propagation: the headers that join a page's request to the backend error it caused.
//!
//! A page view has one trace id; every request gets a new span id. Requests to the page's
//! [`targets`] carry `sentry-trace: {trace_id}-{span_id}-1` (official Sentry backend SDKs continue
//! the trace from it), W3C `traceparent: 00-{trace_id}-{span_id}-01`, and a `baggage` with the
//! replay id, release, environment and public key (backend SDKs forward it in their envelopes).
//! The request's network event records the same two ids, so the server can link a backend event
//! to the exact request.
//!
//! Requests that already carry trace context keep it: with a page-set `sentry-trace` its ids are
//! recorded and no `sentry-trace` or `traceparent` is added; a page-set `traceparent` is kept and
//! its ids are reused for `sentry-trace` and `baggage`, so all describe one trace; a page-set
//! `baggage` without `sentry-` entries gets ours (with the request's trace id) appended.
//!
//! ```
//! use sightline_recorder::propagation::{PageHeaders, Propagation};
//!
//! let trace_id = "0af7651916cd43dd8448eb211c80319c";
//! let propagation = Propagation::new(trace_id, "00112233445566778899aabbccddeeff", "shop@1.4.2",
//!                                    "production", "publickey");
//! let request = propagation.plan(&PageHeaders::default(), true, || "b7ad6b7169203331".into());
//! assert_eq!(request.sentry_trace.as_deref(), Some("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"));
//! assert_eq!(request.traceparent.as_deref(), Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
//! assert_eq!(request.baggage.as_deref(), Some("sentry-trace_id=0af7651916cd43dd8448eb211c80319c,\
//!     sentry-replay_id=00112233445566778899aabbccddeeff,sentry-release=shop%401.4.2,\
//!     sentry-environment=production,sentry-public_key=publickey"));
//! ```

mod baggage;
pub mod targets;

pub use baggage::{MAX_BAGGAGE_BYTES, baggage_to_append, has_sentry_entries, percent_encode};

use sightline_protocol::v1::is_hex_id;

/// Makes a 16-hex span id from 8 random bytes; never all zeros (W3C forbids it).
pub fn span_id(random: [u8; 8]) -> String {
    let mut bytes = random;
    if bytes == [0; 8] {
        bytes[7] = 1;
    }
    let mut id = String::with_capacity(16);
    for byte in bytes {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The trace context a page set itself on a request, as header values (`None` when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageHeaders<'a> {
    /// The page's `sentry-trace`.
    pub sentry_trace: Option<&'a str>,
    /// The page's `traceparent`.
    pub traceparent: Option<&'a str>,
    /// The page's `baggage`.
    pub baggage: Option<&'a str>,
}

/// What one request carries: the ids to record and the headers to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestTrace {
    /// The trace id the request carries (32 hex), empty when it carries none.
    pub trace_id: String,
    /// The span id the request carries (16 hex), empty when it carries none.
    pub span_id: String,
    /// `sentry-trace` to set.
    pub sentry_trace: Option<String>,
    /// `traceparent` to set.
    pub traceparent: Option<String>,
    /// Entries to append to `baggage` (or its whole value when the page set none).
    pub baggage: Option<String>,
}

/// The page view's trace id and what its `baggage` says about the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    trace_id: String,
    /// `,sentry-replay_id=…` and the rest after the trace id, values percent-encoded.
    baggage_tail: String,
}

impl Propagation {
    /// The propagation of a page view with `trace_id` (32 hex) recorded as `replay_id`; an empty
    /// `release` is left out of the baggage.
    pub fn new(
        trace_id: &str,
        replay_id: &str,
        release: &str,
        environment: &str,
        public_key: &str,
    ) -> Self {
        let mut baggage_tail = String::new();
        for (key, value) in [
            ("replay_id", replay_id),
            ("release", release),
            ("environment", environment),
            ("public_key", public_key),
        ] {
            if value.is_empty() {
                continue;
            }
            baggage_tail.push_str(",sentry-");
            baggage_tail.push_str(key);
            baggage_tail.push('=');
            baggage_tail.push_str(&percent_encode(value));
        }
        Self {
            trace_id: trace_id.to_owned(),
            baggage_tail,
        }
    }

    /// The page view's trace id.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The Sentry baggage entries of a request in trace `trace_id`.
    pub fn baggage(&self, trace_id: &str) -> String {
        format!("sentry-trace_id={trace_id}{}", self.baggage_tail)
    }

    /// Decides what a request carries, given the trace headers the page set on it. `propagate`
    /// says whether it goes to a propagation target (and its headers can be changed); only then
    /// are headers added. `new_span` makes the span id when the request needs a new one.
    pub fn plan(
        &self,
        page: &PageHeaders<'_>,
        propagate: bool,
        new_span: impl FnOnce() -> String,
    ) -> RequestTrace {
        if let Some(sentry_trace) = page.sentry_trace {
            let Some((trace_id, span_id, _)) = parse_sentry_trace(sentry_trace) else {
                return RequestTrace::default();
            };
            // The page's trace, with our replay id for the backend when its baggage has none.
            let baggage = propagate
                .then(|| baggage_to_append(page.baggage, &self.baggage(&trace_id)))
                .flatten();
            return RequestTrace {
                trace_id,
                span_id,
                baggage,
                ..RequestTrace::default()
            };
        }
        let parent = page.traceparent.and_then(parse_traceparent);
        if !propagate {
            let (trace_id, span_id, _) = parent.unwrap_or_default();
            return RequestTrace {
                trace_id,
                span_id,
                ..RequestTrace::default()
            };
        }
        let (trace_id, span_id, sampled) =
            parent.unwrap_or_else(|| (self.trace_id.clone(), new_span(), true));
        let sentry_trace = format!("{trace_id}-{span_id}-{}", if sampled { '1' } else { '0' });
        let traceparent = page
            .traceparent
            .is_none()
            .then(|| format!("00-{trace_id}-{span_id}-01"));
        let baggage = baggage_to_append(page.baggage, &self.baggage(&trace_id));
        RequestTrace {
            trace_id,
            span_id,
            sentry_trace: Some(sentry_trace),
            traceparent,
            baggage,
        }
    }
}

/// Reads `{trace_id}-{span_id}[-{sampled}]` into lowercase ids and the sampling decision
/// (sampled unless `-0`); the first value counts when several were combined with commas.
pub fn parse_sentry_trace(value: &str) -> Option<(String, String, bool)> {
    let value = value.split(',').next()?.trim();
    let mut parts = value.split('-');
    let trace_id = parts.next()?.to_ascii_lowercase();
    let span_id = parts.next()?.to_ascii_lowercase();
    let sampled = match parts.next() {
        None | Some("1") => true,
        Some("0") => false,
        Some(_) => return None,
    };
    let valid = parts.next().is_none() && is_hex_id(&trace_id, 32) && is_hex_id(&span_id, 16);
    valid.then_some((trace_id, span_id, sampled))
}

/// Reads a W3C `traceparent` (`{version}-{trace_id}-{parent_id}-{flags}`) into lowercase ids and
/// the sampled flag; `None` when it is malformed or uses all-zero ids.
pub fn parse_traceparent(value: &str) -> Option<(String, String, bool)> {
    let value = value.split(',').next()?.trim().to_ascii_lowercase();
    let mut parts = value.split('-');
    let (version, trace_id, span_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |text: &str, len: usize| is_hex_id(text, len) && text.bytes().any(|b| b != b'0');
    let valid = is_hex_id(version, 2)
        && version != "ff"
        && (version != "00" || parts.next().is_none())
        && hex(trace_id, 32)
        && hex(span_id, 16)
        && is_hex_id(flags, 2);
    if !valid {
        return None;
    }
    let sampled = u8::from_str_radix(flags, 16).is_ok_and(|flags| flags & 1 == 1);
    Some((trace_id.to_owned(), span_id.to_owned(), sampled))
}

#[cfg(test)]
mod tests;
