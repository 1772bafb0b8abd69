//! The replay's timeline: the events of every decoded segment merged into one ordered list, with
//! times relative to the replay's start.
//!
//! Segments arrive one by one (and some may never arrive); the timeline accepts them in any order
//! and records a [`Gap`] for every segment that could not be loaded instead of failing the replay.

use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::{EventData, JsError, StackFrame};

use crate::markers::{Crumb, Marker};
use crate::network::NetworkRow;
use crate::pointer::PointerTrack;

/// One event placed on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// The segment the event came from.
    pub segment: u32,
    /// What happened.
    pub data: EventData,
}

/// An error shown on the timeline as a marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMarker {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// The error's event id (32 hex).
    pub event_id: String,
    /// The error's type, such as `TypeError`.
    pub error_type: String,
    /// The error message.
    pub message: String,
    /// Its stack, innermost frame first.
    pub frames: Vec<StackFrame>,
    /// The page's release when it happened.
    pub release: String,
}

impl ErrorMarker {
    fn from_js_error(offset: u64, error: &JsError) -> Self {
        Self {
            offset,
            event_id: error.event_id.clone(),
            error_type: error.error_type.clone(),
            message: error.message.clone(),
            frames: error.frames.clone(),
            release: error.release.clone(),
        }
    }

    /// The marker's label: `Type: message`, or just the message when the type is unknown.
    pub fn label(&self) -> String {
        if self.error_type.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.error_type, self.message)
        }
    }
}

/// A segment that could not be loaded; the replay plays on without its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The missing segment's index.
    pub index: u32,
    /// Why it is missing (fetch or decode error).
    pub reason: String,
    /// Where the missing stretch starts: the end of the loaded segment before it (ms offset).
    pub start: u64,
    /// Where it ends: the start of the loaded segment after it, or the replay's end.
    pub end: u64,
}

/// The recorded page's viewport and address, from the first `Meta` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMeta {
    /// The page URL.
    pub href: String,
    /// Viewport width in CSS pixels.
    pub width: u32,
    /// Viewport height in CSS pixels.
    pub height: u32,
    /// The browser's user agent string.
    pub user_agent: String,
}

/// All events of a replay in time order, plus what the player's chrome needs (duration,
/// markers, breadcrumbs, the pointer, gaps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    origin: u64,
    known_duration: u64,
    end: u64,
    events: Vec<TimedEvent>,
    /// Indexes in `events` of the full snapshots, ascending.
    snapshots: Vec<usize>,
    errors: Vec<ErrorMarker>,
    markers: Vec<Marker>,
    crumbs: Vec<Crumb>,
    requests: Vec<NetworkRow>,
    pointer: PointerTrack,
    gaps: Vec<Gap>,
    loaded: Vec<u32>,
    /// The loaded segments' `(index, start, end)` offsets, from their headers.
    spans: Vec<(u32, u64, u64)>,
}

impl Timeline {
    /// Creates an empty timeline whose offsets count from `origin` (ms since the Unix epoch; the
    /// replay's `started_at_ms`, so that `?t=` links computed by the server land at the same spot).
    #[must_use]
    pub fn new(origin: u64) -> Self {
        Self {
            origin,
            known_duration: 0,
            end: origin,
            events: Vec::new(),
            snapshots: Vec::new(),
            errors: Vec::new(),
            markers: Vec::new(),
            crumbs: Vec::new(),
            requests: Vec::new(),
            pointer: PointerTrack::new(),
            gaps: Vec::new(),
            loaded: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Builds a timeline from the segments that were loaded; the origin is the earliest segment's
    /// start. Order does not matter.
    #[must_use]
    pub fn from_segments(segments: &[DecodedSegment]) -> Self {
        let origin = segments.iter().map(|s| s.header.start).min().unwrap_or(0);
        let mut timeline = Self::new(origin);
        for segment in segments {
            timeline.push_segment(segment);
        }
        timeline
    }

    /// Sets a duration the timeline spans at least (the server's `duration_ms`), so the scrubber
    /// has its full length while segments are still loading.
    #[must_use]
    pub fn with_known_duration(mut self, duration: u64) -> Self {
        self.known_duration = duration;
        self
    }

    /// Merges a decoded segment's events; returns the offset of its earliest event (`None` when
    /// the segment had no events or was already merged). Events at equal times keep segment order.
    pub fn push_segment(&mut self, segment: &DecodedSegment) -> Option<u64> {
        let index = segment.header.index;
        if self.loaded.contains(&index) {
            return None;
        }
        self.loaded.push(index);
        let span = (
            index,
            segment.header.start.saturating_sub(self.origin),
            segment.header.end.saturating_sub(self.origin),
        );
        let at = self.spans.partition_point(|s| s.0 < index);
        self.spans.insert(at, span);
        self.gaps.retain(|gap| gap.index != index);
        self.end = self.end.max(segment.header.end);
        let mut earliest = None;
        for (time, event) in segment.timed_events() {
            self.end = self.end.max(time);
            let offset = time.saturating_sub(self.origin);
            earliest = Some(earliest.map_or(offset, |e: u64| e.min(offset)));
            if let EventData::JsError(error) = &event.data {
                let at = self.errors.partition_point(|m| m.offset <= offset);
                self.errors
                    .insert(at, ErrorMarker::from_js_error(offset, error));
            }
            if let Some(marker) = Marker::for_event(offset, &event.data) {
                let at = self.markers.partition_point(|m| m.offset <= offset);
                self.markers.insert(at, marker);
            }
            if let EventData::NetworkRequest(request) = &event.data {
                let at = self.requests.partition_point(|r| r.offset <= offset);
                self.requests.insert(at, NetworkRow::new(offset, request));
            }
            if let Some(crumb) = Crumb::for_event(offset, &event.data) {
                let at = self.crumbs.partition_point(|c| c.offset <= offset);
                self.crumbs.insert(at, crumb);
            }
            self.pointer.push_event(offset, &event.data);
            let at = self
                .events
                .partition_point(|e| (e.offset, e.segment) <= (offset, index));
            self.events.insert(
                at,
                TimedEvent {
                    offset,
                    segment: index,
                    data: event.data.clone(),
                },
            );
        }
        if let Some(earliest) = earliest {
            // Events before the segment's earliest one kept their indexes.
            let from = self.events.partition_point(|e| e.offset < earliest);
            self.snapshots.retain(|&at| at < from);
            self.snapshots.extend(
                self.events[from..]
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| matches!(e.data, EventData::FullSnapshot { .. }))
                    .map(|(at, _)| from + at),
            );
        }
        earliest
    }

    /// Records that segment `index` could not be loaded.
    pub fn record_gap(&mut self, index: u32, reason: impl Into<String>) {
        if !self.loaded.contains(&index) && !self.gaps.iter().any(|g| g.index == index) {
            self.gaps.push(Gap {
                index,
                reason: reason.into(),
                start: 0,
                end: 0,
            });
            self.gaps.sort_by_key(|g| g.index);
        }
    }

    /// The replay's start in ms since the Unix epoch.
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// The replay's length in ms: the latest of the last event, the last segment's end and the
    /// known duration.
    pub fn duration(&self) -> u64 {
        (self.end - self.origin).max(self.known_duration)
    }

    /// Every event in time order.
    pub fn events(&self) -> &[TimedEvent] {
        &self.events
    }

    /// The JS errors in time order.
    pub fn errors(&self) -> &[ErrorMarker] {
        &self.errors
    }

    /// Errors, clicks, navigations and failed requests, in time order.
    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    /// Console messages and application breadcrumbs, in time order.
    pub fn crumbs(&self) -> &[Crumb] {
        &self.crumbs
    }

    /// Every request the page made, in time order (by when its response came in).
    pub fn requests(&self) -> &[NetworkRow] {
        &self.requests
    }

    /// The recorded mouse pointer.
    pub fn pointer(&self) -> &PointerTrack {
        &self.pointer
    }

    /// The segments that could not be loaded, by index, each spanning from the end of the
    /// loaded segment before it to the start of the loaded segment after it (as far as the
    /// segments loaded so far tell).
    pub fn gaps(&self) -> Vec<Gap> {
        self.gaps
            .iter()
            .map(|gap| {
                let after = self.spans.partition_point(|s| s.0 < gap.index);
                let start = after.checked_sub(1).map_or(0, |i| self.spans[i].2);
                let end = self.spans.get(after).map_or(self.duration(), |s| s.1);
                Gap {
                    start,
                    end: end.max(start),
                    ..gap.clone()
                }
            })
            .collect()
    }

    /// Segment indexes below `expected` that were neither loaded nor recorded as gaps.
    pub fn missing(&self, expected: u32) -> Vec<u32> {
        (0..expected)
            .filter(|i| !self.loaded.contains(i) && !self.gaps.iter().any(|g| g.index == *i))
            .collect()
    }

    /// The recorded page's URL and viewport, from the first `Meta` event.
    pub fn meta(&self) -> Option<PageMeta> {
        self.events.iter().find_map(|event| match &event.data {
            EventData::Meta {
                href,
                width,
                height,
                user_agent,
            } => Some(PageMeta {
                href: href.clone(),
                width: *width,
                height: *height,
                user_agent: user_agent.clone(),
            }),
            _ => None,
        })
    }

    /// The indexes of the events in the half-open time range `(from, to]`.
    pub fn range(&self, from: u64, to: u64) -> std::ops::Range<usize> {
        let start = self.events.partition_point(|e| e.offset <= from);
        let end = self.events.partition_point(|e| e.offset <= to);
        start..end.max(start)
    }

    /// The number of events at or before `t`.
    pub fn count_until(&self, t: u64) -> usize {
        self.events.partition_point(|e| e.offset <= t)
    }

    /// The index of the latest full snapshot among the first `count` events.
    pub fn checkpoint_before(&self, count: usize) -> Option<usize> {
        let before = self.snapshots.partition_point(|&at| at < count);
        before.checked_sub(1).map(|i| self.snapshots[i])
    }

    /// The offset of the first full snapshot: before it there is no page to show.
    pub fn first_checkpoint(&self) -> Option<u64> {
        self.snapshots.first().map(|&at| self.events[at].offset)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sightline_protocol::v1::{Event, SegmentHeader};

    const REPLAY: &str = "0123456789abcdef0123456789abcdef";

    fn segment(index: u32, start: u64, events: Vec<Event>) -> DecodedSegment {
        let end = start + events.iter().map(|e| u64::from(e.dt)).sum::<u64>();
        DecodedSegment {
            header: SegmentHeader::new(REPLAY, index, 1, start).with_end(end),
            events,
        }
    }

    fn error(id: &str, message: &str) -> EventData {
        EventData::JsError(JsError {
            event_id: id.into(),
            error_type: "TypeError".into(),
            message: message.into(),
            frames: vec![],
            release: String::new(),
        })
    }

    fn meta() -> EventData {
        EventData::Meta {
            href: "https://shop.example/".into(),
            width: 1280,
            height: 720,
            user_agent: "test".into(),
        }
    }

    #[test]
    fn merges_segments_into_offsets_from_the_start() {
        let first = segment(
            0,
            1_000,
            vec![Event::new(0, meta()), Event::new(500, error("a", "x"))],
        );
        let second = segment(1, 5_000, vec![Event::new(250, error("b", "y"))]);
        let timeline = Timeline::from_segments(&[second, first]);
        let offsets: Vec<u64> = timeline.events().iter().map(|e| e.offset).collect();
        assert_eq!(offsets, vec![0, 500, 4_250]);
        assert_eq!(timeline.duration(), 4_250);
        let markers: Vec<(u64, String)> = timeline
            .errors()
            .iter()
            .map(|m| (m.offset, m.label()))
            .collect();
        assert_eq!(
            markers,
            vec![(500, "TypeError: x".into()), (4_250, "TypeError: y".into())]
        );
        assert_eq!(timeline.meta().unwrap().width, 1280);
    }

    #[test]
    fn markers_crumbs_and_pointer_come_from_every_segment_in_time_order() {
        use sightline_protocol::v1::{Breadcrumb, Level, MouseInteraction, NavigationKind};
        let click = EventData::MouseInteraction {
            interaction: MouseInteraction::Click,
            id: 4,
            x: 30,
            y: 40,
        };
        let navigation = EventData::Navigation {
            href: "https://shop.example/cart".into(),
            kind: NavigationKind::Push,
        };
        let crumb = EventData::Breadcrumb(Breadcrumb {
            category: "console".into(),
            level: Level::Error,
            message: "boom".into(),
            data: String::new(),
        });
        let later = segment(
            1,
            2_000,
            vec![Event::new(0, navigation), Event::new(10, crumb)],
        );
        let first = segment(
            0,
            1_000,
            vec![
                Event::new(0, meta()),
                Event::new(5, click),
                Event::new(5, error("a", "x")),
            ],
        );
        let timeline = Timeline::from_segments(&[later, first]);
        let markers: Vec<(u64, &str)> = timeline
            .markers()
            .iter()
            .map(|m| (m.offset, m.kind.as_str()))
            .collect();
        assert_eq!(
            markers,
            vec![(5, "click"), (10, "error"), (1_000, "navigation")]
        );
        assert_eq!(timeline.crumbs().len(), 1);
        assert_eq!(timeline.crumbs()[0].offset, 1_010);
        assert_eq!(timeline.pointer().position_at(600), Some((30.0, 40.0)));
    }

    #[test]
    fn requests_from_every_segment_are_rows_in_time_order() {
        use sightline_protocol::v1::NetworkRequest;
        let request = |url: &str, status| {
            EventData::NetworkRequest(NetworkRequest {
                method: "GET".into(),
                url: url.into(),
                status,
                duration: 40,
                trace_id: String::new(),
                span_id: String::new(),
                response_size: None,
            })
        };
        let later = segment(1, 3_000, vec![Event::new(0, request("/b", 500))]);
        let first = segment(0, 1_000, vec![Event::new(100, request("/a", 200))]);
        let timeline = Timeline::from_segments(&[later, first]);
        let rows: Vec<(u64, u64, &str, bool)> = timeline
            .requests()
            .iter()
            .map(|r| (r.start, r.offset, r.url.as_str(), r.highlighted()))
            .collect();
        assert_eq!(
            rows,
            vec![(60, 100, "/a", false), (1_960, 2_000, "/b", true)]
        );
    }

    #[test]
    fn missing_segment_is_a_gap_not_a_failure() {
        let mut timeline = Timeline::new(1_000).with_known_duration(9_000);
        timeline.push_segment(&segment(0, 1_000, vec![Event::new(0, meta())]));
        timeline.record_gap(1, "HTTP 404");
        timeline.push_segment(&segment(2, 8_000, vec![Event::new(10, error("c", "z"))]));
        assert_eq!(timeline.gaps().len(), 1);
        assert_eq!(timeline.gaps()[0].index, 1);
        assert_eq!(timeline.events().len(), 2);
        assert_eq!(timeline.errors()[0].offset, 7_010);
        assert_eq!(timeline.duration(), 9_000);
        assert_eq!(timeline.missing(4), vec![3]);
    }

    #[test]
    fn a_segment_merged_twice_adds_nothing() {
        let seg = segment(0, 0, vec![Event::new(5, meta())]);
        let mut timeline = Timeline::new(0);
        assert_eq!(timeline.push_segment(&seg), Some(5));
        assert_eq!(timeline.push_segment(&seg), None);
        assert_eq!(timeline.events().len(), 1);
    }

    #[test]
    fn range_is_half_open() {
        let seg = segment(
            0,
            0,
            vec![
                Event::new(10, meta()),
                Event::new(10, meta()),
                Event::new(0, meta()),
            ],
        );
        let timeline = Timeline::from_segments(&[seg]);
        assert_eq!(timeline.range(0, 10), 0..1);
        assert_eq!(timeline.range(10, 20), 1..3);
        assert_eq!(timeline.range(20, 30), 3..3);
    }
}
