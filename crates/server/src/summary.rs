//! What the server remembers about segments and replays besides their bytes: derived at ingest
//! from the decoded events, so listing replays never decodes a segment again.

use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::EventData;
use thiserror::Error;

/// Latest accepted timestamp: 9999-12-31T23:59:59.999Z in ms since the Unix epoch. Later times
/// cannot be written as RFC 3339 and only come from broken clocks or hostile clients.
pub const MAX_TIMESTAMP_MS: u64 = 253_402_300_799_999;

/// Why a decoded segment cannot be summarized.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SummaryError {
    /// A time in the segment lies after [`MAX_TIMESTAMP_MS`].
    #[error("segment time {0} ms is after the latest accepted time {MAX_TIMESTAMP_MS} ms")]
    TimeOutOfRange(u64),
}

/// The facts about one segment that replay summaries and segment listings need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    /// The replay the segment belongs to (32 hex).
    pub replay_id: String,
    /// Position in the replay.
    pub index: u32,
    /// Start time, ms since epoch.
    pub start: u64,
    /// End time, ms since epoch: the later of the header's end and the last event's time.
    pub end: u64,
    /// Number of events.
    pub event_count: u32,
    /// The release named in the header.
    pub release: String,
    /// The environment named in the header.
    pub environment: String,
    /// Distinct page URLs of Meta events, in recorded order.
    pub urls: Vec<String>,
    /// Event ids of JS errors, in recorded order.
    pub error_ids: Vec<String>,
    /// Distinct non-empty trace ids of network requests, in recorded order.
    pub trace_ids: Vec<String>,
}

impl SegmentSummary {
    /// Summarizes a decoded segment.
    ///
    /// # Errors
    /// [`SummaryError::TimeOutOfRange`] when the header's start or an event's time is later than
    /// [`MAX_TIMESTAMP_MS`].
    pub fn from_decoded(segment: &DecodedSegment) -> Result<Self, SummaryError> {
        let header = &segment.header;
        // Checked before `timed_events`, whose running sum must not overflow.
        if header.start > MAX_TIMESTAMP_MS {
            return Err(SummaryError::TimeOutOfRange(header.start));
        }
        if header.end > MAX_TIMESTAMP_MS {
            return Err(SummaryError::TimeOutOfRange(header.end));
        }
        let mut summary = Self {
            replay_id: header.replay_id.clone(),
            index: header.index,
            start: header.start,
            end: header.end,
            event_count: header.event_count,
            release: header.release.clone(),
            environment: header.environment.clone(),
            urls: Vec::new(),
            error_ids: Vec::new(),
            trace_ids: Vec::new(),
        };
        for (time, event) in segment.timed_events() {
            if time > MAX_TIMESTAMP_MS {
                return Err(SummaryError::TimeOutOfRange(time));
            }
            summary.end = summary.end.max(time);
            match &event.data {
                EventData::Meta { href, .. } => push_distinct(&mut summary.urls, href),
                EventData::JsError(error) => push_distinct(&mut summary.error_ids, &error.event_id),
                EventData::NetworkRequest(request) if !request.trace_id.is_empty() => {
                    push_distinct(&mut summary.trace_ids, &request.trace_id);
                }
                _ => {}
            }
        }
        Ok(summary)
    }
}

/// What the replay list shows about one replay, merged from all its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Replay id (32 hex).
    pub id: String,
    /// The project it belongs to.
    pub project_id: u64,
    /// Earliest segment start, ms since epoch.
    pub started_at_ms: u64,
    /// Latest segment end, ms since epoch.
    pub finished_at_ms: u64,
    /// Distinct page URLs in segment and event order.
    pub urls: Vec<String>,
    /// Release of the latest segment that names one.
    pub release: String,
    /// Environment of the latest segment that names one.
    pub environment: String,
    /// Number of stored segments.
    pub segment_count: u32,
    /// JS error event ids in segment and event order.
    pub error_ids: Vec<String>,
    /// Distinct trace ids in segment and event order.
    pub trace_ids: Vec<String>,
}

impl ReplaySummary {
    /// Merges the summaries of a replay's segments, whatever order they arrived in; returns
    /// `None` when `segments` is empty.
    pub fn merge(project_id: u64, segments: &[SegmentSummary]) -> Option<Self> {
        let mut ordered: Vec<&SegmentSummary> = segments.iter().collect();
        ordered.sort_by_key(|segment| segment.index);
        let first = ordered.first()?;
        let mut replay = Self {
            id: first.replay_id.clone(),
            project_id,
            started_at_ms: first.start,
            finished_at_ms: first.end,
            urls: Vec::new(),
            release: String::new(),
            environment: String::new(),
            segment_count: u32::try_from(ordered.len()).unwrap_or(u32::MAX),
            error_ids: Vec::new(),
            trace_ids: Vec::new(),
        };
        for segment in ordered {
            replay.started_at_ms = replay.started_at_ms.min(segment.start);
            replay.finished_at_ms = replay.finished_at_ms.max(segment.end);
            if !segment.release.is_empty() {
                replay.release.clone_from(&segment.release);
            }
            if !segment.environment.is_empty() {
                replay.environment.clone_from(&segment.environment);
            }
            for url in &segment.urls {
                push_distinct(&mut replay.urls, url);
            }
            for id in &segment.error_ids {
                push_distinct(&mut replay.error_ids, id);
            }
            for id in &segment.trace_ids {
                push_distinct(&mut replay.trace_ids, id);
            }
        }
        Some(replay)
    }

    /// Length of the replay in ms.
    pub fn duration_ms(&self) -> u64 {
        self.finished_at_ms.saturating_sub(self.started_at_ms)
    }
}

fn push_distinct(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|existing| existing == value) {
        list.push(value.to_owned());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sightline_protocol::v1::{Event, JsError, NetworkRequest, SegmentHeader};

    use super::*;

    const REPLAY: &str = "0123456789abcdef0123456789abcdef";

    fn meta(dt: u32, href: &str) -> Event {
        Event::new(
            dt,
            EventData::Meta {
                href: href.into(),
                width: 800,
                height: 600,
                user_agent: "test".into(),
            },
        )
    }

    fn request(dt: u32, trace_id: &str) -> Event {
        Event::new(
            dt,
            EventData::NetworkRequest(NetworkRequest {
                method: "GET".into(),
                url: "/api".into(),
                status: 500,
                duration: 3,
                trace_id: trace_id.into(),
                span_id: String::new(),
                response_size: None,
            }),
        )
    }

    fn error(dt: u32, event_id: &str) -> Event {
        Event::new(
            dt,
            EventData::JsError(JsError {
                event_id: event_id.into(),
                error_type: "TypeError".into(),
                message: "x is undefined".into(),
                frames: Vec::new(),
                release: String::new(),
            }),
        )
    }

    fn decoded(index: u32, start: u64, events: Vec<Event>) -> DecodedSegment {
        let mut header = SegmentHeader::new(REPLAY, index, 1, start).with_release("shop@1");
        header.event_count = u32::try_from(events.len()).unwrap();
        DecodedSegment { header, events }
    }

    #[test]
    fn segment_summary_collects_urls_errors_and_traces() {
        let trace = "a".repeat(32);
        let segment = decoded(
            0,
            1_000,
            vec![
                meta(0, "https://a/"),
                request(10, &trace),
                request(5, ""),
                request(5, &trace),
                error(30, "e1"),
                meta(50, "https://a/"),
                meta(1, "https://b/"),
            ],
        );
        let summary = SegmentSummary::from_decoded(&segment).unwrap();
        assert_eq!(summary.urls, ["https://a/", "https://b/"]);
        assert_eq!(summary.trace_ids, [trace]);
        assert_eq!(summary.error_ids, ["e1"]);
        assert_eq!(summary.start, 1_000);
        assert_eq!(
            summary.end, 1_101,
            "the last event lies after the header's end"
        );
    }

    #[test]
    fn times_beyond_year_9999_are_rejected() {
        let segment = decoded(0, u64::MAX - 1, vec![meta(5, "https://a/")]);
        assert!(matches!(
            SegmentSummary::from_decoded(&segment),
            Err(SummaryError::TimeOutOfRange(_))
        ));
        let segment = decoded(0, MAX_TIMESTAMP_MS, vec![meta(5, "https://a/")]);
        assert!(SegmentSummary::from_decoded(&segment).is_err());
    }

    #[test]
    fn merge_orders_by_index_whatever_the_arrival_order() {
        let first = SegmentSummary::from_decoded(&decoded(
            0,
            1_000,
            vec![meta(0, "https://a/"), error(5, "e1")],
        ))
        .unwrap();
        let mut second = SegmentSummary::from_decoded(&decoded(
            1,
            2_000,
            vec![meta(0, "https://b/"), error(5, "e2")],
        ))
        .unwrap();
        second.release = "shop@2".into();
        let replay = ReplaySummary::merge(1, &[second, first]).unwrap();
        assert_eq!(replay.urls, ["https://a/", "https://b/"]);
        assert_eq!(replay.error_ids, ["e1", "e2"]);
        assert_eq!(replay.started_at_ms, 1_000);
        assert_eq!(replay.finished_at_ms, 2_005);
        assert_eq!(replay.duration_ms(), 1_005);
        assert_eq!(replay.segment_count, 2);
        assert_eq!(replay.release, "shop@2");
        assert!(ReplaySummary::merge(1, &[]).is_none());
    }
}
