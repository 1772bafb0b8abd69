//! Buffer mode's memory: the last checkpoint windows of a replay, as finished segments.
//!
//! A window starts with a segment holding a checkpoint (a full snapshot) and runs until the next
//! one. The buffer keeps the fewest latest windows that cover [`BUFFER_WINDOW_MS`]: with a
//! checkpoint every 30 s (the default, and what buffer mode asks for when none comes), that is the
//! last two windows, 30 to 60 seconds of context that the viewer can play from the first snapshot;
//! with more frequent checkpoints it is more windows, never less than 30 s. The bytes are bounded too
//! ([`MAX_BUFFER_BYTES`]): an older window goes first, and a single window that outgrows the budget
//! asks for an early checkpoint (and is dropped whole at twice the budget, since a window without
//! its snapshot cannot be replayed).

use crate::segmenter::Segment;

/// How long a window runs before buffer mode asks for a checkpoint, in ms.
pub const BUFFER_WINDOW_MS: u64 = 30_000;

/// Most uncompressed body bytes the buffer keeps.
pub const MAX_BUFFER_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug)]
struct Window {
    /// When its first event happened (ms since epoch).
    started: u64,
    bytes: usize,
    segments: Vec<Segment>,
}

/// Segments waiting for an error, grouped by the checkpoint they start from.
#[derive(Debug, Default)]
pub struct Buffer {
    /// Oldest first; a few at most, so a `Vec` (a `VecDeque` costs bundle bytes).
    windows: Vec<Window>,
    bytes: usize,
}

impl Buffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `segment`; a segment with a checkpoint starts a new window, and the oldest window
    /// goes once the later ones cover [`BUFFER_WINDOW_MS`] (or the bytes are over budget).
    pub fn push(&mut self, segment: Segment) {
        let size = segment.body.len();
        let (started, now) = (segment.header.start, segment.header.end);
        let starts_window = segment.header.contains_checkpoint();
        match self.windows.last_mut() {
            Some(window) if !starts_window => {
                window.bytes += size;
                window.segments.push(segment);
            }
            // Events before the first checkpoint cannot be replayed alone; they start a window all
            // the same so that nothing is lost when the snapshot was cut into an earlier segment.
            _ => self.windows.push(Window {
                started,
                bytes: size,
                segments: vec![segment],
            }),
        }
        self.bytes += size;
        while self.windows.len() > 1
            && (self.windows[1].started.saturating_add(BUFFER_WINDOW_MS) <= now
                || self.bytes > MAX_BUFFER_BYTES)
        {
            self.drop_oldest();
        }
        if self.bytes > 2 * MAX_BUFFER_BYTES {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if !self.windows.is_empty() {
            self.bytes -= self.windows.remove(0).bytes;
        }
    }

    /// Whether the kept bytes outgrew the budget (only an early checkpoint can shrink them).
    pub fn over_budget(&self) -> bool {
        self.bytes > MAX_BUFFER_BYTES
    }

    /// The uncompressed bytes kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes every kept segment, oldest first.
    pub fn take(&mut self) -> Vec<Segment> {
        self.bytes = 0;
        std::mem::take(&mut self.windows)
            .into_iter()
            .flat_map(|window| window.segments)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::{FLAG_CONTAINS_CHECKPOINT, SegmentHeader};

    use super::*;

    fn segment(start: u64, checkpoint: bool, bytes: usize) -> Segment {
        let mut header = SegmentHeader::new("a".repeat(32), 0, 1, start).with_end(start + 4_999);
        if checkpoint {
            header.flags = FLAG_CONTAINS_CHECKPOINT;
        }
        Segment {
            header,
            body: vec![0; bytes],
        }
    }

    fn starts(segments: &[Segment]) -> Vec<u64> {
        segments.iter().map(|s| s.header.start).collect()
    }

    #[test]
    fn two_checkpoint_windows_are_kept() {
        let mut buffer = Buffer::new();
        // A checkpoint every 30 s, a segment every 5 s, for two minutes.
        for second in (0..120).step_by(5) {
            buffer.push(segment(second * 1_000, second % 30 == 0, 100));
        }
        let kept = buffer.take();
        // The windows that started at 60 s and 90 s: 30 to 60 s of context.
        assert_eq!(
            starts(&kept),
            (60..120).step_by(5).map(|s| s * 1_000).collect::<Vec<_>>()
        );
        assert!(kept[0].header.contains_checkpoint());
        assert_eq!(buffer.bytes(), 0);
        assert!(buffer.take().is_empty());
    }

    #[test]
    fn bytes_stay_bounded_dropping_the_older_window_first() {
        let mut buffer = Buffer::new();
        let third = MAX_BUFFER_BYTES / 3;
        buffer.push(segment(0, true, third));
        buffer.push(segment(5_000, false, third));
        buffer.push(segment(10_000, true, third));
        assert_eq!(buffer.bytes(), 3 * third);
        buffer.push(segment(15_000, false, third));
        assert!(buffer.bytes() <= MAX_BUFFER_BYTES);
        assert_eq!(starts(&buffer.take()), [10_000, 15_000]);
    }

    #[test]
    fn one_window_over_budget_asks_for_a_checkpoint_and_never_grows_without_bound() {
        let mut buffer = Buffer::new();
        buffer.push(segment(0, true, MAX_BUFFER_BYTES / 2));
        buffer.push(segment(1_000, false, MAX_BUFFER_BYTES));
        assert!(buffer.over_budget());
        for i in 2..10 {
            buffer.push(segment(i * 1_000, false, MAX_BUFFER_BYTES / 2));
            assert!(buffer.bytes() <= 2 * MAX_BUFFER_BYTES);
        }
    }

    #[test]
    fn frequent_checkpoints_still_keep_thirty_seconds() {
        let mut buffer = Buffer::new();
        // A checkpoint every 10 s, a segment every 5 s, for two minutes.
        for second in (0..120).step_by(5) {
            buffer.push(segment(second * 1_000, second % 10 == 0, 100));
        }
        let kept = buffer.take();
        let context = 120_000 - kept[0].header.start;
        assert!((30_000..=40_000).contains(&context), "{context} ms");
        assert!(kept[0].header.contains_checkpoint());
    }
}
