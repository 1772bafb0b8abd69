//! The network panel's rows: every request the page made, and the backend errors each one
//! caused, joined by the trace headers the recorder sent.
//!
//! A backend event names the browser request that caused it by trace id and span id (the
//! server's link, or the event's parent span). The join takes the request with that trace id and
//! span id; when only the trace id is known (one trace id per page view), it takes the request
//! of that trace that failed, closest to where the server placed the event.

use sightline_protocol::v1::NetworkRequest;

use crate::backend::BackendEvent;

/// One request in the network panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRow {
    /// When the response came in (or the request failed), ms from the replay's start.
    pub offset: u64,
    /// When the request started, ms from the replay's start.
    pub start: u64,
    /// HTTP method.
    pub method: String,
    /// URL as recorded.
    pub url: String,
    /// Response status, 0 when there was no response.
    pub status: u16,
    /// Duration in ms.
    pub duration: u32,
    /// Response body size in bytes, when known.
    pub response_size: Option<u64>,
    /// Trace id sent with it, empty when untraced.
    pub trace_id: String,
    /// Span id sent with it, empty when untraced.
    pub span_id: String,
}

impl NetworkRow {
    /// The row of a recorded request whose event is at `offset`.
    pub fn new(offset: u64, request: &NetworkRequest) -> Self {
        Self {
            offset,
            start: offset.saturating_sub(u64::from(request.duration)),
            method: request.method.clone(),
            url: request.url.clone(),
            status: request.status,
            duration: request.duration,
            response_size: request.response_size,
            trace_id: request.trace_id.clone(),
            span_id: request.span_id.clone(),
        }
    }

    /// No response at all (network error, CORS, aborted).
    pub fn failed(&self) -> bool {
        self.status == 0
    }

    /// A 5xx answer.
    pub fn server_error(&self) -> bool {
        self.status >= 500
    }

    /// Highlighted in the panel: failed or 5xx.
    pub fn highlighted(&self) -> bool {
        self.failed() || self.server_error()
    }

    /// The status as shown: the number, or `failed`.
    pub fn status_label(&self) -> String {
        match self.status {
            0 => "failed".to_owned(),
            status => status.to_string(),
        }
    }

    /// A value for `data-sl-request`: the span id when traced, else `offset-method-url`.
    pub fn key(&self) -> String {
        if self.span_id.is_empty() {
            format!("{}-{}-{}", self.offset, self.method, self.url)
        } else {
            self.span_id.clone()
        }
    }
}

/// The URL as the panel shows it: the path (and query) for a request to the page's own origin,
/// the whole URL for another origin.
pub fn display_url(url: &str, page_url: &str) -> String {
    match (origin_and_rest(url), origin_and_rest(page_url)) {
        (Some((origin, rest)), Some((page_origin, _)))
            if origin.eq_ignore_ascii_case(page_origin) =>
        {
            if rest.is_empty() {
                "/".to_owned()
            } else {
                rest.to_owned()
            }
        }
        _ => url.to_owned(),
    }
}

/// Splits `scheme://host[:port]` from the rest of an absolute URL.
fn origin_and_rest(url: &str) -> Option<(&str, &str)> {
    let scheme_end = url.find("://")? + 3;
    let host_len = url[scheme_end..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - scheme_end);
    let split = scheme_end + host_len;
    (host_len > 0).then(|| url.split_at(split))
}

/// A response size for people: `512 B`, `1.5 kB`, `2.0 MB`.
pub fn format_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1_000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

/// The index of the row (in `rows`, in time order) of the request that caused `event`, if it
/// was recorded.
pub fn request_of(rows: &[NetworkRow], event: &BackendEvent) -> Option<usize> {
    let trace = event.trace();
    let span = event.request_span();
    if let Some(span) = span {
        let exact = rows.iter().position(|row| {
            row.span_id == span
                && trace.is_none_or(|t| row.trace_id.is_empty() || row.trace_id == t)
        });
        if exact.is_some() {
            return exact;
        }
    }
    let trace = trace?;
    let near = event.replay_offset_ms.unwrap_or(0);
    let distance = |row: &NetworkRow| row.offset.abs_diff(near);
    let same_trace = || rows.iter().enumerate().filter(|(_, r)| r.trace_id == trace);
    let status = event.status();
    let failing = same_trace()
        .filter(|(_, r)| match status {
            Some(status) if status >= 100 => r.status == status || r.failed(),
            _ => r.highlighted(),
        })
        .min_by_key(|(_, r)| distance(r));
    failing
        .or_else(|| same_trace().min_by_key(|(_, r)| distance(r)))
        .map(|(i, _)| i)
}

/// Where an event goes on the timeline: the server's offset (the failing request's client
/// time), else the time of the request it was joined to.
pub fn event_offset(event: &BackendEvent, row: Option<&NetworkRow>) -> Option<u64> {
    event.replay_offset_ms.or(row.map(|r| r.offset))
}

/// A backend event with its place on the timeline and the request that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedEvent {
    /// The event.
    pub event: BackendEvent,
    /// Where it goes on the timeline, when known (see [`event_offset`]).
    pub offset: Option<u64>,
    /// The index of its request's row, when the request was recorded.
    pub row: Option<usize>,
}

/// Joins every event to its request and places it, in time order (unplaced events last).
pub fn place_events(rows: &[NetworkRow], events: &[BackendEvent]) -> Vec<PlacedEvent> {
    let mut placed: Vec<PlacedEvent> = events
        .iter()
        .map(|event| {
            let row = request_of(rows, event);
            PlacedEvent {
                offset: event_offset(event, row.map(|i| &rows[i])),
                row,
                event: event.clone(),
            }
        })
        .collect();
    placed.sort_unstable_by(|a, b| {
        (a.offset.unwrap_or(u64::MAX), &a.event.id)
            .cmp(&(b.offset.unwrap_or(u64::MAX), &b.event.id))
    });
    placed
}

/// The index of the last row whose response came in at or before `time` (the playhead).
pub fn current_row(rows: &[NetworkRow], time: u64) -> Option<usize> {
    rows.partition_point(|r| r.offset <= time).checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::LinkedRequest;

    const TRACE: &str = "0123456789abcdef0123456789abcdef";

    fn row(offset: u64, status: u16, span: &str) -> NetworkRow {
        NetworkRow::new(
            offset,
            &NetworkRequest {
                method: "POST".into(),
                url: "/api/checkout".into(),
                status,
                duration: 120,
                trace_id: TRACE.into(),
                span_id: span.into(),
                response_size: Some(1_536),
            },
        )
    }

    fn rows() -> Vec<NetworkRow> {
        vec![
            row(1_000, 200, "aaaaaaaaaaaaaaa1"),
            row(2_000, 500, "aaaaaaaaaaaaaaa2"),
            row(3_000, 0, "aaaaaaaaaaaaaaa3"),
            row(9_000, 500, "aaaaaaaaaaaaaaa4"),
        ]
    }

    #[test]
    fn a_row_knows_its_start_and_whether_it_failed() {
        let rows = rows();
        assert_eq!(rows[0].start, 880);
        assert!(!rows[0].highlighted());
        assert!(rows[1].server_error() && rows[1].highlighted());
        assert!(rows[2].failed() && rows[2].highlighted());
        assert_eq!(rows[2].status_label(), "failed");
        assert_eq!(rows[1].key(), "aaaaaaaaaaaaaaa2");
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(1_536), "1.5 kB");
        assert_eq!(format_size(2_000_000), "2.0 MB");
    }

    #[test]
    fn an_event_joins_the_request_with_its_trace_and_span() {
        let event = BackendEvent {
            trace_id: Some(TRACE.into()),
            request: Some(LinkedRequest {
                span_id: "aaaaaaaaaaaaaaa4".into(),
                trace_id: TRACE.into(),
                status: 500,
                ..LinkedRequest::default()
            }),
            // Even when the server placed it elsewhere, the span decides.
            replay_offset_ms: Some(2_000),
            ..BackendEvent::default()
        };
        assert_eq!(request_of(&rows(), &event), Some(3));
        // Through the event's parent span when the link has no request.
        let by_parent = BackendEvent {
            trace_id: Some(TRACE.into()),
            parent_span_id: Some("aaaaaaaaaaaaaaa2".into()),
            ..BackendEvent::default()
        };
        assert_eq!(request_of(&rows(), &by_parent), Some(1));
    }

    #[test]
    fn with_only_the_trace_the_closest_failing_request_is_taken() {
        let event = |offset, status| BackendEvent {
            trace_id: Some(TRACE.into()),
            replay_offset_ms: Some(offset),
            status_code: status,
            ..BackendEvent::default()
        };
        assert_eq!(request_of(&rows(), &event(8_000, Some(500))), Some(3));
        assert_eq!(request_of(&rows(), &event(2_500, Some(500))), Some(1));
        // A status no request had: the closest failing one.
        assert_eq!(request_of(&rows(), &event(3_100, Some(503))), Some(2));
        assert_eq!(request_of(&rows(), &event(3_100, None)), Some(2));
        // Another trace: no request.
        let other = BackendEvent {
            trace_id: Some("f".repeat(32)),
            ..BackendEvent::default()
        };
        assert_eq!(request_of(&rows(), &other), None);
        assert_eq!(request_of(&rows(), &BackendEvent::default()), None);
    }

    #[test]
    fn events_without_an_offset_go_to_their_request() {
        let rows = rows();
        let event = BackendEvent {
            trace_id: Some(TRACE.into()),
            parent_span_id: Some("aaaaaaaaaaaaaaa3".into()),
            ..BackendEvent::default()
        };
        let unplaced = BackendEvent::default();
        let placed = place_events(&rows, &[unplaced, event]);
        assert_eq!((placed[0].offset, placed[0].row), (Some(3_000), Some(2)));
        assert_eq!((placed[1].offset, placed[1].row), (None, None));
    }

    #[test]
    fn same_origin_urls_show_their_path() {
        let page = "http://127.0.0.1:8080/shop/?a=1";
        assert_eq!(
            display_url("http://127.0.0.1:8080/api/checkout?x=", page),
            "/api/checkout?x="
        );
        assert_eq!(display_url("http://127.0.0.1:8080", page), "/");
        assert_eq!(
            display_url("https://api.other.example/v1", page),
            "https://api.other.example/v1"
        );
        assert_eq!(display_url("/relative", page), "/relative");
        assert_eq!(
            display_url("http://127.0.0.1:8080/x", ""),
            "http://127.0.0.1:8080/x"
        );
    }

    #[test]
    fn the_current_row_follows_the_playhead() {
        let rows = rows();
        assert_eq!(current_row(&rows, 500), None);
        assert_eq!(current_row(&rows, 2_000), Some(1));
        assert_eq!(current_row(&rows, 8_999), Some(2));
        assert_eq!(current_row(&rows, 60_000), Some(3));
    }
}
