//! Linking a backend event to the session replay whose request caused it.
//!
//! The recorder stamps each request to the app's backend with one trace id per page view and a
//! fresh span id per request (`sentry-trace: {trace}-{span}-1`, plus `baggage` naming the replay
//! id), and records the request as a network event carrying both ids. The backend's Sentry SDK
//! continues that trace, so its error event names the trace id and, as `parent_span_id`, the
//! request's span id; Python's SDK also forwards the replay id in the envelope header.
//!
//! [`LinkHints::from_event`] collects what the event says; [`resolve`] picks the replay and the
//! exact request among the stored network requests. Both are plain functions, so every rule is
//! tested here; the store only runs them.

use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::{EventData, is_hex_id};

use crate::normalize::NormalizedEvent;

/// What a backend event says about the session that caused it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkHints {
    /// A replay id named outright: `contexts.replay.replay_id`, the envelope header's
    /// `trace.replay_id`, or `sentry-replay_id` in the handled request's `baggage` header.
    pub replay_id: Option<String>,
    /// The trace id (32 hex) the event belongs to.
    pub trace_id: Option<String>,
    /// The span id (16 hex) of the caller: the browser request, when the trace came from one.
    pub parent_span_id: Option<String>,
}

impl LinkHints {
    /// The hints in a normalized event, with `envelope_replay_id` from the envelope header.
    pub fn from_event(event: &NormalizedEvent, envelope_replay_id: Option<&str>) -> Self {
        let from_context = event
            .contexts
            .get("replay")
            .and_then(|replay| replay.get("replay_id"))
            .and_then(|id| id.as_str());
        let from_baggage = event
            .request
            .as_ref()
            .and_then(|request| request.header("baggage"))
            .and_then(|baggage| baggage_entry(baggage, "sentry-replay_id"));
        let replay_id = [from_context, envelope_replay_id, from_baggage.as_deref()]
            .into_iter()
            .flatten()
            .find_map(normalize_replay_id);
        Self {
            replay_id,
            trace_id: event.trace_id.clone(),
            parent_span_id: event.parent_span_id.clone(),
        }
    }

    /// Whether there is anything to link by.
    pub fn is_empty(&self) -> bool {
        self.replay_id.is_none() && self.trace_id.is_none()
    }
}

/// A replay id as stored: 32 lowercase hex, dashes of a UUID removed.
fn normalize_replay_id(id: &str) -> Option<String> {
    let compact: String = id
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    is_hex_id(&compact, 32).then_some(compact)
}

/// The value of `key` in a W3C `baggage` header (`k=v,k2=v2;prop`), percent-decoded.
pub fn baggage_entry(baggage: &str, key: &str) -> Option<String> {
    baggage.split(',').find_map(|member| {
        let member = member.split(';').next()?.trim();
        let (name, value) = member.split_once('=')?;
        (name.trim() == key).then(|| percent_decode(value.trim()))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let decoded = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A traced network request recorded in a replay segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedRequest {
    /// The replay that recorded it.
    pub replay_id: String,
    /// The segment it was recorded in.
    pub segment_index: u32,
    /// Trace id sent with the request (32 hex).
    pub trace_id: String,
    /// Span id sent with the request (16 hex).
    pub span_id: String,
    /// Client time of the network event (when the response ended), ms since the epoch.
    pub time_ms: u64,
    /// HTTP method.
    pub method: String,
    /// Request URL.
    pub url: String,
    /// Response status (0 when there was no response).
    pub status: u16,
    /// How long the request took, ms (it started `duration_ms` before `time_ms`).
    pub duration_ms: u32,
}

/// The traced requests of a decoded segment, in recorded order.
pub fn traced_requests(segment: &DecodedSegment) -> Vec<TracedRequest> {
    segment
        .timed_events()
        .filter_map(|(time_ms, event)| match &event.data {
            EventData::NetworkRequest(request) if !request.trace_id.is_empty() => {
                Some(TracedRequest {
                    replay_id: segment.header.replay_id.clone(),
                    segment_index: segment.header.index,
                    trace_id: request.trace_id.to_ascii_lowercase(),
                    span_id: request.span_id.to_ascii_lowercase(),
                    time_ms,
                    method: request.method.clone(),
                    url: request.url.clone(),
                    status: request.status,
                    duration_ms: request.duration,
                })
            }
            _ => None,
        })
        .collect()
}

/// How an event was tied to its replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSource {
    /// The event named the replay id.
    ReplayId,
    /// The event's trace id and parent span id matched a recorded request.
    TraceAndSpan,
    /// Only the event's trace id matched the page view's requests.
    TraceId,
}

impl LinkSource {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReplayId => "replay_id",
            Self::TraceAndSpan => "trace_and_span",
            Self::TraceId => "trace_id",
        }
    }

    /// The source named by [`LinkSource::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "replay_id" => Some(Self::ReplayId),
            "trace_and_span" => Some(Self::TraceAndSpan),
            "trace_id" => Some(Self::TraceId),
            _ => None,
        }
    }
}

/// A backend event's place in a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The replay.
    pub replay_id: String,
    /// How it was found.
    pub source: LinkSource,
    /// The request that failed, when it could be told apart.
    pub request: Option<TracedRequest>,
}

/// Picks the replay and request for an event from `candidates`: the stored requests whose trace
/// id is the event's or whose replay is the one the event names.
///
/// Rules, in order: a request of the event's trace whose span id is the event's parent span
/// (inside the named replay when there is one) is the exact request; a named replay id links
/// even when no request matches (yet); otherwise the trace id alone links to the replay that
/// recorded that trace, and the request is the first of that trace that failed with a 5xx,
/// if any.
pub fn resolve(hints: &LinkHints, candidates: &[TracedRequest]) -> Option<Link> {
    let in_replay = |request: &&TracedRequest| {
        hints
            .replay_id
            .as_ref()
            .is_none_or(|replay| &request.replay_id == replay)
    };
    let of_trace = |request: &&TracedRequest| {
        hints
            .trace_id
            .as_ref()
            .is_some_and(|trace| &request.trace_id == trace)
    };
    let exact = hints.parent_span_id.as_ref().and_then(|span| {
        candidates
            .iter()
            .filter(in_replay)
            .filter(of_trace)
            .find(|request| &request.span_id == span)
    });
    if let Some(request) = exact {
        let source = if hints.replay_id.is_some() {
            LinkSource::ReplayId
        } else {
            LinkSource::TraceAndSpan
        };
        return Some(Link {
            replay_id: request.replay_id.clone(),
            source,
            request: Some(request.clone()),
        });
    }
    let failed_of_trace = |replay: &str| {
        candidates
            .iter()
            .filter(of_trace)
            .filter(|request| request.replay_id == replay && request.status >= 500)
            .min_by_key(|request| request.time_ms)
            .cloned()
    };
    if let Some(replay_id) = &hints.replay_id {
        return Some(Link {
            replay_id: replay_id.clone(),
            source: LinkSource::ReplayId,
            request: failed_of_trace(replay_id),
        });
    }
    let first = candidates
        .iter()
        .filter(of_trace)
        .min_by_key(|r| r.time_ms)?;
    Some(Link {
        replay_id: first.replay_id.clone(),
        source: LinkSource::TraceId,
        request: failed_of_trace(&first.replay_id),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event_id::EventId;
    use crate::normalize::{NormalizeContext, normalize_event};

    const TRACE: &str = "0123456789abcdef0123456789abcdef";
    const REPLAY: &str = "fedcba9876543210fedcba9876543210";
    const OTHER_REPLAY: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn event(raw: serde_json::Value) -> NormalizedEvent {
        let context = NormalizeContext {
            event_id: EventId::random(),
            received_ms: 0,
        };
        normalize_event(&raw, &context)
    }

    fn request(replay: &str, span: &str, time_ms: u64, status: u16) -> TracedRequest {
        TracedRequest {
            replay_id: replay.into(),
            segment_index: 0,
            trace_id: TRACE.into(),
            span_id: span.into(),
            time_ms,
            method: "POST".into(),
            url: "/api/checkout".into(),
            status,
            duration_ms: 0,
        }
    }

    #[test]
    fn replay_id_from_context_envelope_or_baggage() {
        let from_context = event(json!({"contexts": {"replay": {"replay_id": REPLAY}}}));
        assert_eq!(
            LinkHints::from_event(&from_context, None)
                .replay_id
                .as_deref(),
            Some(REPLAY)
        );
        let plain = event(json!({}));
        let dashed = "FEDCBA98-7654-3210-FEDC-BA9876543210";
        assert_eq!(
            LinkHints::from_event(&plain, Some(dashed))
                .replay_id
                .as_deref(),
            Some(REPLAY)
        );
        let from_baggage = event(json!({"request": {"headers": [["Baggage",
            format!("other=1, sentry-replay_id={REPLAY};prop, sentry-trace_id={TRACE}")]]}}));
        assert_eq!(
            LinkHints::from_event(&from_baggage, None)
                .replay_id
                .as_deref(),
            Some(REPLAY)
        );
        assert!(LinkHints::from_event(&plain, Some("not-a-replay")).is_empty());
    }

    #[test]
    fn baggage_values_are_percent_decoded() {
        assert_eq!(
            baggage_entry("sentry-release=shop%401.4.2, a=b", "sentry-release").as_deref(),
            Some("shop@1.4.2")
        );
        assert_eq!(baggage_entry("a=b", "sentry-release"), None);
        assert_eq!(baggage_entry("bad%zz=1,k=%zz", "k").as_deref(), Some("%zz"));
    }

    #[test]
    fn trace_and_parent_span_pick_the_exact_request() {
        let hints = LinkHints {
            replay_id: None,
            trace_id: Some(TRACE.into()),
            parent_span_id: Some("2222222222222222".into()),
        };
        let candidates = [
            request(REPLAY, "1111111111111111", 100, 500),
            request(REPLAY, "2222222222222222", 200, 500),
        ];
        let link = resolve(&hints, &candidates).unwrap();
        assert_eq!(link.replay_id, REPLAY);
        assert_eq!(link.source, LinkSource::TraceAndSpan);
        assert_eq!(link.request.unwrap().time_ms, 200);
    }

    #[test]
    fn trace_alone_links_to_the_first_failed_request() {
        let hints = LinkHints {
            trace_id: Some(TRACE.into()),
            ..LinkHints::default()
        };
        let candidates = [
            request(REPLAY, "1111111111111111", 300, 500),
            request(REPLAY, "2222222222222222", 100, 200),
            request(REPLAY, "3333333333333333", 200, 503),
        ];
        let link = resolve(&hints, &candidates).unwrap();
        assert_eq!(link.source, LinkSource::TraceId);
        assert_eq!(link.request.unwrap().span_id, "3333333333333333");

        let only_ok = [request(REPLAY, "2222222222222222", 100, 200)];
        let link = resolve(&hints, &only_ok).unwrap();
        assert_eq!(link.replay_id, REPLAY);
        assert!(link.request.is_none());
    }

    #[test]
    fn unknown_parent_span_still_links_by_trace() {
        let hints = LinkHints {
            trace_id: Some(TRACE.into()),
            parent_span_id: Some("9999999999999999".into()),
            ..LinkHints::default()
        };
        let candidates = [request(REPLAY, "1111111111111111", 100, 500)];
        let link = resolve(&hints, &candidates).unwrap();
        assert_eq!(link.source, LinkSource::TraceId);
        assert_eq!(link.request.unwrap().span_id, "1111111111111111");
    }

    #[test]
    fn a_named_replay_wins_and_links_before_its_segments_arrive() {
        let hints = LinkHints {
            replay_id: Some(REPLAY.into()),
            trace_id: Some(TRACE.into()),
            parent_span_id: Some("1111111111111111".into()),
        };
        let link = resolve(&hints, &[]).unwrap();
        assert_eq!(link.replay_id, REPLAY);
        assert_eq!(link.source, LinkSource::ReplayId);
        assert!(link.request.is_none());

        // The same span in another replay is not this event's request.
        let candidates = [
            request(OTHER_REPLAY, "1111111111111111", 100, 500),
            request(REPLAY, "1111111111111111", 150, 500),
        ];
        let link = resolve(&hints, &candidates).unwrap();
        assert_eq!(link.request.unwrap().replay_id, REPLAY);
    }

    #[test]
    fn nothing_matches_nothing_links() {
        let hints = LinkHints {
            trace_id: Some("ffffffffffffffffffffffffffffffff".into()),
            ..LinkHints::default()
        };
        assert!(resolve(&hints, &[request(REPLAY, "1111111111111111", 1, 500)]).is_none());
        assert!(resolve(&LinkHints::default(), &[]).is_none());
    }
}
