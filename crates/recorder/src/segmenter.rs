//! The event buffer and the cutting of buffered events into segments.
//!
//! Events arrive with absolute times (ms since the Unix epoch). The [`Segmenter`] keeps them until
//! the next upload, then [`Segmenter::cut`] turns them into [`Segment`]s: a header whose `start` is
//! the first event's time and whose `end` is the last one's, bodies whose `dt`s are the deltas
//! between consecutive events, and indexes 0, 1, 2 … that never repeat within a replay. When the
//! buffered events would make a body larger than the caller's limit, they are split over several
//! segments.

use sightline_protocol::v1::{Compression, Event, EventData, SegmentHeader};
use sightline_protocol::{EncodeError, encode_body, encode_header_prefix, flags_for};

/// Most events in one segment, well under the decoder's
/// [`MAX_EVENTS`](sightline_protocol::limits::MAX_EVENTS).
pub const MAX_SEGMENT_EVENTS: usize = 10_000;

/// What every segment of one replay carries in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayInfo {
    /// The replay id (32 hex).
    pub replay_id: String,
    /// The project id from the DSN.
    pub project: u64,
    /// The page's release, empty when unknown.
    pub release: String,
    /// The deployment environment.
    pub environment: String,
}

/// One segment ready to upload: its header and its uncompressed MessagePack body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The header; `compression` is set when the segment is encoded.
    pub header: SegmentHeader,
    /// The body as produced by [`encode_body`], not yet compressed.
    pub body: Vec<u8>,
}

impl Segment {
    /// Encodes the segment with its body uncompressed, as sent when the page goes away.
    ///
    /// # Errors
    /// [`EncodeError`] if the header does not fit its limit.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        self.to_bytes_with_body(Compression::None, &self.body)
    }

    /// Encodes the segment with `body`, which is this segment's body compressed as `compression`.
    ///
    /// # Errors
    /// [`EncodeError`] if the header does not fit its limit.
    pub fn to_bytes_with_body(
        &self,
        compression: Compression,
        body: &[u8],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut header = self.header.clone();
        header.compression = compression;
        let mut bytes = encode_header_prefix(&header)?;
        bytes.extend_from_slice(body);
        Ok(bytes)
    }
}

/// Buffers timed events and cuts them into numbered segments.
#[derive(Debug)]
pub struct Segmenter {
    info: ReplayInfo,
    next_index: u32,
    last_time: u64,
    pending: Vec<(u64, EventData)>,
}

impl Segmenter {
    /// Starts the segments of one replay at index 0.
    pub fn new(info: ReplayInfo) -> Self {
        Self {
            info,
            next_index: 0,
            last_time: 0,
            pending: Vec::new(),
        }
    }

    /// The header fields shared by every segment.
    pub fn info(&self) -> &ReplayInfo {
        &self.info
    }

    /// Buffers an event that happened at `time` (ms since epoch). Times never go backwards: an
    /// event stamped before the previous one (the wall clock was adjusted) is moved up to it.
    pub fn push(&mut self, time: u64, data: EventData) {
        let time = time.max(self.last_time);
        self.last_time = time;
        self.pending.push((time, data));
    }

    /// Whether events are waiting for the next cut.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The index the next segment will get.
    pub fn next_index(&self) -> u32 {
        self.next_index
    }

    /// Sets the index the next segment gets: a replay continued after a page load goes on from
    /// where the previous page stopped.
    pub fn set_next_index(&mut self, index: u32) {
        self.next_index = index;
    }

    /// The time of the latest event buffered so far (ms since epoch).
    pub fn last_time(&self) -> u64 {
        self.last_time
    }

    /// Starts replay `replay_id` at index 0; events still buffered are dropped.
    pub fn renew(&mut self, replay_id: String) {
        self.info.replay_id = replay_id;
        self.next_index = 0;
        self.pending.clear();
    }

    /// Like [`Segmenter::cut`], but a trailing meta event stays buffered: a checkpoint is about
    /// to be recorded, and its segment should start with the page's meta.
    ///
    /// # Errors
    /// As [`Segmenter::cut`].
    pub fn cut_before_checkpoint(
        &mut self,
        max_body_bytes: usize,
    ) -> Result<Vec<Segment>, EncodeError> {
        let meta = match self.pending.last() {
            Some((_, EventData::Meta { .. })) => self.pending.pop(),
            _ => None,
        };
        let segments = self.cut(max_body_bytes);
        self.pending.extend(meta);
        segments
    }

    /// Takes every buffered event and returns them as segments whose bodies stay under
    /// `max_body_bytes` (a single event larger than that still gets a segment of its own).
    ///
    /// # Errors
    /// [`EncodeError`] if an event cannot be encoded; the buffered events are dropped then, since
    /// retrying would fail the same way.
    pub fn cut(&mut self, max_body_bytes: usize) -> Result<Vec<Segment>, EncodeError> {
        let pending = std::mem::take(&mut self.pending);
        let mut segments = Vec::new();
        for chunk in pending.chunks(MAX_SEGMENT_EVENTS) {
            self.cut_chunk(chunk, max_body_bytes, &mut segments)?;
        }
        Ok(segments)
    }

    fn cut_chunk(
        &mut self,
        chunk: &[(u64, EventData)],
        max_body_bytes: usize,
        out: &mut Vec<Segment>,
    ) -> Result<(), EncodeError> {
        let (Some((start, _)), Some((end, _))) = (chunk.first(), chunk.last()) else {
            return Ok(());
        };
        let mut previous = *start;
        let events: Vec<Event> = chunk
            .iter()
            .map(|(time, data)| {
                let dt = u32::try_from(time - previous).unwrap_or(u32::MAX);
                previous = *time;
                Event::new(dt, data.clone())
            })
            .collect();
        let body = encode_body(&events)?;
        if body.len() > max_body_bytes && chunk.len() > 1 {
            let (first, second) = chunk.split_at(chunk.len() / 2);
            self.cut_chunk(first, max_body_bytes, out)?;
            return self.cut_chunk(second, max_body_bytes, out);
        }
        let mut header = SegmentHeader::new(
            self.info.replay_id.clone(),
            self.next_index,
            self.info.project,
            *start,
        )
        .with_release(self.info.release.clone())
        .with_environment(self.info.environment.clone())
        .with_end(*end);
        header.event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
        header.flags = flags_for(&events);
        self.next_index += 1;
        out.push(Segment { header, body });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::{JsError, MouseInteraction, Node};
    use sightline_protocol::{DecodedSegment, decode_segment};

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn info() -> ReplayInfo {
        ReplayInfo {
            replay_id: "0123456789abcdef0123456789abcdef".into(),
            project: 3,
            release: "shop@1.4.2".into(),
            environment: "staging".into(),
        }
    }

    fn click(id: u32) -> EventData {
        EventData::MouseInteraction {
            interaction: MouseInteraction::Click,
            id,
            x: 10,
            y: 20,
        }
    }

    fn decode(segment: &Segment) -> Result<DecodedSegment, Box<dyn std::error::Error>> {
        Ok(decode_segment(&segment.to_bytes()?)?)
    }

    #[test]
    fn a_cut_turns_absolute_times_into_header_bounds_and_deltas() -> TestResult {
        let mut segmenter = Segmenter::new(info());
        segmenter.push(1_000, click(1));
        segmenter.push(1_250, click(2));
        segmenter.push(1_250, click(3));
        segmenter.push(2_000, click(4));
        let segments = segmenter.cut(usize::MAX)?;
        assert_eq!(segments.len(), 1);
        let decoded = decode(&segments[0])?;
        let header = &decoded.header;
        assert_eq!(
            (header.index, header.start, header.end, header.event_count),
            (0, 1_000, 2_000, 4)
        );
        assert_eq!(header.project, 3);
        assert_eq!(header.release, "shop@1.4.2");
        assert_eq!(header.environment, "staging");
        assert_eq!(header.compression, Compression::None);
        let dts: Vec<u32> = decoded.events.iter().map(|e| e.dt).collect();
        assert_eq!(dts, [0, 250, 0, 750]);
        let times: Vec<u64> = decoded.timed_events().map(|(t, _)| t).collect();
        assert_eq!(times, [1_000, 1_250, 1_250, 2_000]);
        assert!(!segmenter.has_pending());
        Ok(())
    }

    #[test]
    fn indexes_increase_across_cuts_and_empty_cuts_make_nothing() -> TestResult {
        let mut segmenter = Segmenter::new(info());
        assert!(segmenter.cut(usize::MAX)?.is_empty());
        segmenter.push(5, click(1));
        let first = segmenter.cut(usize::MAX)?;
        assert!(segmenter.cut(usize::MAX)?.is_empty());
        segmenter.push(9, click(1));
        let second = segmenter.cut(usize::MAX)?;
        assert_eq!(first[0].header.index, 0);
        assert_eq!(second[0].header.index, 1);
        assert_eq!(decode(&second[0])?.header.start, 9);
        assert_eq!(segmenter.next_index(), 2);
        Ok(())
    }

    #[test]
    fn a_clock_going_backwards_never_makes_time_run_backwards() -> TestResult {
        let mut segmenter = Segmenter::new(info());
        segmenter.push(5_000, click(1));
        segmenter.push(4_000, click(2));
        let decoded = decode(&segmenter.cut(usize::MAX)?[0])?;
        assert_eq!((decoded.header.start, decoded.header.end), (5_000, 5_000));
        assert_eq!(decoded.events[1].dt, 0);
        Ok(())
    }

    #[test]
    fn flags_mark_errors_and_checkpoints() -> TestResult {
        let mut segmenter = Segmenter::new(info());
        segmenter.push(
            1,
            EventData::FullSnapshot {
                root: Node::Document {
                    id: 1,
                    children: vec![],
                },
            },
        );
        let snapshot = decode(&segmenter.cut(usize::MAX)?[0])?;
        assert!(snapshot.header.contains_checkpoint());
        assert!(!snapshot.header.contains_error());
        segmenter.push(
            2,
            EventData::JsError(JsError {
                event_id: "f".repeat(32),
                error_type: "TypeError".into(),
                message: "boom".into(),
                frames: vec![],
                release: "shop@1.4.2".into(),
            }),
        );
        let error = decode(&segmenter.cut(usize::MAX)?[0])?;
        assert!(error.header.contains_error());
        assert!(!error.header.contains_checkpoint());
        Ok(())
    }

    #[test]
    fn large_buffers_split_into_consecutive_segments_that_keep_every_event() -> TestResult {
        let mut segmenter = Segmenter::new(info());
        for i in 0..1_000u32 {
            segmenter.push(10_000 + u64::from(i) * 3, click(i));
        }
        let segments = segmenter.cut(2_000)?;
        assert!(segments.len() > 4, "{} segments", segments.len());
        let mut times = Vec::new();
        let mut ids = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            assert!(segment.body.len() <= 2_000);
            let decoded = decode(segment)?;
            assert_eq!(decoded.header.index as usize, index);
            assert_eq!(decoded.events[0].dt, 0);
            for (time, event) in decoded.timed_events() {
                times.push(time);
                if let EventData::MouseInteraction { id, .. } = event.data {
                    ids.push(id);
                }
            }
        }
        assert_eq!(ids, (0..1_000).collect::<Vec<_>>());
        assert_eq!(
            times,
            (0..1_000).map(|i| 10_000 + i * 3).collect::<Vec<_>>()
        );
        Ok(())
    }

    #[test]
    fn compressed_bodies_are_framed_with_a_deflate_header() -> TestResult {
        use std::io::Write as _;
        let mut segmenter = Segmenter::new(info());
        segmenter.push(1, click(7));
        let segment = segmenter.cut(usize::MAX)?.remove(0);
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
        encoder.write_all(&segment.body)?;
        let bytes = segment.to_bytes_with_body(Compression::DeflateRaw, &encoder.finish()?)?;
        let decoded = decode_segment(&bytes)?;
        assert_eq!(decoded.header.compression, Compression::DeflateRaw);
        assert_eq!(decoded.events, vec![Event::new(0, click(7))]);
        Ok(())
    }
}
