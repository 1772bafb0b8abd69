//! Mouse movement: positions sampled about every [`MOVE_SAMPLE_MS`] and batched into delta-coded
//! [`MouseMove`] events.
//!
//! The browser reports `mousemove` far more often than a replay needs. A [`MoveBatch`] keeps one
//! position per sampling interval plus the latest one seen since (so the pointer's resting place
//! is exact), and hands them out as one event when the recorder flushes it: before any other
//! event, and at least every [`MOVE_BATCH_MS`].

use sightline_protocol::v1::MouseMove;

/// Shortest time between two kept positions, in ms.
pub const MOVE_SAMPLE_MS: u64 = 50;

/// Longest time a batch collects positions before it is recorded, in ms.
pub const MOVE_BATCH_MS: u64 = 500;

/// Most positions in one batch; a full batch is recorded at once.
pub const MAX_BATCH_POSITIONS: usize = 64;

/// Mouse positions waiting to be recorded as one [`MouseMove`].
#[derive(Debug, Clone, Default)]
pub struct MoveBatch {
    samples: Vec<(u64, i32, i32)>,
    trailing: Option<(u64, i32, i32)>,
}

impl MoveBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers the position `(x, y)` seen at `time` (ms). It is kept when the previous kept one
    /// is at least [`MOVE_SAMPLE_MS`] older; otherwise it waits as the latest position, replaced
    /// by newer ones, until the batch is taken.
    pub fn sample(&mut self, time: u64, x: i32, y: i32) {
        match self.samples.last() {
            Some(&(last, ..)) if time < last.saturating_add(MOVE_SAMPLE_MS) => {
                self.trailing = Some((time.max(last), x, y));
            }
            _ => {
                self.samples.push((time, x, y));
                self.trailing = None;
            }
        }
    }

    /// When the batch's first position was seen; `None` when empty.
    pub fn started_at(&self) -> Option<u64> {
        self.samples.first().map(|&(time, ..)| time)
    }

    /// Whether the batch must be recorded now: it is full, or older than [`MOVE_BATCH_MS`].
    pub fn is_due(&self, now: u64) -> bool {
        self.samples.len() >= MAX_BATCH_POSITIONS
            || self
                .started_at()
                .is_some_and(|start| now >= start.saturating_add(MOVE_BATCH_MS))
    }

    /// Takes the batch as a [`MouseMove`] and the time of its first position; `None` when empty.
    pub fn take(&mut self) -> Option<(u64, MouseMove)> {
        self.samples.extend(self.trailing.take());
        let samples = std::mem::take(&mut self.samples);
        let start = samples.first()?.0;
        MouseMove::from_positions(&samples).map(|batch| (start, batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_sampled_every_50_ms_and_the_last_one_is_kept() {
        let mut batch = MoveBatch::new();
        assert_eq!(batch.take(), None);
        batch.sample(1_000, 10, 10);
        batch.sample(1_010, 11, 11); // dropped: replaced by the next one
        batch.sample(1_030, 12, 12); // dropped: replaced by 1_050
        batch.sample(1_050, 20, 15);
        batch.sample(1_060, 25, 17); // the resting position
        assert_eq!(batch.started_at(), Some(1_000));
        let (start, moves) = batch.take().unwrap_or_default();
        assert_eq!(start, 1_000);
        let positions: Vec<_> = moves.positions().collect();
        assert_eq!(positions, [(0, 10, 10), (50, 20, 15), (60, 25, 17)]);
        assert_eq!(batch.take(), None, "taking empties the batch");
    }

    #[test]
    fn deltas_code_the_moves() {
        let mut batch = MoveBatch::new();
        batch.sample(500, 100, 200);
        batch.sample(560, 90, 230);
        let (_, moves) = batch.take().unwrap_or_default();
        assert_eq!((moves.x, moves.y), (100, 200));
        assert_eq!(moves.deltas.len(), 1);
        assert_eq!(
            (moves.deltas[0].dx, moves.deltas[0].dy, moves.deltas[0].dt),
            (-10, 30, 60)
        );
    }

    #[test]
    fn a_batch_is_due_after_500_ms_or_when_full() {
        let mut batch = MoveBatch::new();
        assert!(!batch.is_due(u64::MAX));
        batch.sample(1_000, 0, 0);
        assert!(!batch.is_due(1_499));
        assert!(batch.is_due(1_500));
        let mut batch = MoveBatch::new();
        for i in 0..MAX_BATCH_POSITIONS as u64 {
            assert!(!batch.is_due(0), "{i}");
            batch.sample(i * MOVE_SAMPLE_MS, 1, 1);
        }
        assert!(batch.is_due(0));
    }

    #[test]
    fn a_clock_going_backwards_keeps_times_ordered() {
        let mut batch = MoveBatch::new();
        batch.sample(2_000, 0, 0);
        batch.sample(1_000, 5, 5);
        let (_, moves) = batch.take().unwrap_or_default();
        assert_eq!(
            moves.positions().collect::<Vec<_>>(),
            [(0, 0, 0), (0, 5, 5)]
        );
    }
}
