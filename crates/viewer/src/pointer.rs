//! The recorded mouse pointer: where it was at any moment, and the clicks to ripple.
//!
//! Mouse moves arrive as batches of samples (about every 50 ms while moving); between two samples
//! close in time the pointer glides in a straight line, across a longer pause it stays where it
//! stopped until the next sample.

use sightline_protocol::v1::{EventData, MouseInteraction};

/// Samples further apart than this are not interpolated: the pointer rested in between.
pub const MAX_GLIDE_MS: u64 = 500;

/// How long a click ripple shows.
pub const RIPPLE_MS: u64 = 600;

/// How far back the optional pointer trail reaches.
pub const TRAIL_MS: u64 = 800;

/// The trail's spacing between points.
const TRAIL_STEP_MS: u64 = 40;

/// A pointer position at a moment of the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointerSample {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// Viewport x in CSS pixels.
    pub x: i32,
    /// Viewport y in CSS pixels.
    pub y: i32,
}

/// Every pointer position and click of a replay, in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointerTrack {
    samples: Vec<PointerSample>,
    clicks: Vec<PointerSample>,
}

impl PointerTrack {
    /// Creates an empty track.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the positions an event at `offset` carries (mouse moves, clicks and touches).
    pub fn push_event(&mut self, offset: u64, event: &EventData) {
        match event {
            EventData::MouseMove(batch) => {
                for (after, x, y) in batch.positions() {
                    insert(
                        &mut self.samples,
                        PointerSample {
                            offset: offset.saturating_add(after),
                            x,
                            y,
                        },
                    );
                }
            }
            EventData::MouseInteraction {
                interaction, x, y, ..
            } => {
                let sample = PointerSample {
                    offset,
                    x: *x,
                    y: *y,
                };
                // Focus and blur carry no pointer position.
                if !matches!(
                    interaction,
                    MouseInteraction::Focus | MouseInteraction::Blur
                ) {
                    insert(&mut self.samples, sample);
                }
                if matches!(
                    interaction,
                    MouseInteraction::Click | MouseInteraction::DblClick
                ) {
                    insert(&mut self.clicks, sample);
                }
            }
            _ => {}
        }
    }

    /// Where the pointer was at `t`, in CSS pixels of the recorded viewport; `None` before it
    /// was first seen.
    pub fn position_at(&self, t: u64) -> Option<(f64, f64)> {
        let next = self.samples.partition_point(|s| s.offset <= t);
        let previous = self.samples.get(next.checked_sub(1)?)?;
        let here = (f64::from(previous.x), f64::from(previous.y));
        let Some(following) = self.samples.get(next) else {
            return Some(here);
        };
        let span = following.offset - previous.offset;
        if span == 0 || span > MAX_GLIDE_MS {
            return Some(here);
        }
        let progress = (t - previous.offset) as f64 / span as f64;
        Some((
            here.0 + (f64::from(following.x) - here.0) * progress,
            here.1 + (f64::from(following.y) - here.1) * progress,
        ))
    }

    /// The pointer's path over the [`TRAIL_MS`] before `t`, oldest first, ending where the
    /// pointer is at `t`; empty when it did not move (nothing to draw).
    pub fn trail_at(&self, t: u64) -> Vec<(f64, f64)> {
        let from = t.saturating_sub(TRAIL_MS);
        let mut points: Vec<(f64, f64)> = (0..=TRAIL_MS / TRAIL_STEP_MS)
            .map(|k| from + k * TRAIL_STEP_MS)
            .filter(|at| *at <= t)
            .filter_map(|at| self.position_at(at))
            .collect();
        points.dedup();
        if points.len() < 2 { Vec::new() } else { points }
    }

    /// The click whose ripple shows at `t`: the latest click at most [`RIPPLE_MS`] before it.
    pub fn click_at(&self, t: u64) -> Option<PointerSample> {
        let next = self.clicks.partition_point(|c| c.offset <= t);
        let click = *self.clicks.get(next.checked_sub(1)?)?;
        (t - click.offset < RIPPLE_MS).then_some(click)
    }
}

/// Inserts a sample after every sample at or before its time.
fn insert(samples: &mut Vec<PointerSample>, sample: PointerSample) {
    let at = samples.partition_point(|s| s.offset <= sample.offset);
    samples.insert(at, sample);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_protocol::v1::MouseMove;

    fn track() -> PointerTrack {
        let mut track = PointerTrack::new();
        let moves = MouseMove::from_positions(&[(0, 100, 100), (50, 150, 100), (100, 150, 200)]);
        if let Some(moves) = moves {
            track.push_event(1_000, &EventData::MouseMove(moves));
        }
        // Two seconds later the user clicks somewhere else.
        track.push_event(
            3_100,
            &EventData::MouseInteraction {
                interaction: MouseInteraction::Click,
                id: 7,
                x: 400,
                y: 300,
            },
        );
        track
    }

    #[test]
    fn the_pointer_glides_between_close_samples() {
        let track = track();
        assert_eq!(track.position_at(999), None);
        assert_eq!(track.position_at(1_000), Some((100.0, 100.0)));
        assert_eq!(track.position_at(1_025), Some((125.0, 100.0)));
        assert_eq!(track.position_at(1_075), Some((150.0, 150.0)));
    }

    #[test]
    fn the_pointer_rests_across_a_long_pause_then_jumps_to_the_click() {
        let track = track();
        assert_eq!(track.position_at(2_000), Some((150.0, 200.0)));
        assert_eq!(track.position_at(3_099), Some((150.0, 200.0)));
        assert_eq!(track.position_at(3_100), Some((400.0, 300.0)));
        assert_eq!(track.position_at(99_000), Some((400.0, 300.0)));
    }

    #[test]
    fn a_click_ripples_for_a_moment() {
        let track = track();
        assert_eq!(track.click_at(3_099), None);
        let ripple = track.click_at(3_100 + RIPPLE_MS - 1);
        assert_eq!(ripple.map(|c| (c.x, c.y)), Some((400, 300)));
        assert_eq!(track.click_at(3_100 + RIPPLE_MS), None);
    }

    #[test]
    fn the_trail_follows_the_recent_path_and_vanishes_at_rest() {
        let mut track = PointerTrack::new();
        for (offset, x) in [(1_000, 0), (1_050, 10), (1_100, 20), (1_150, 30)] {
            track.push_event(
                offset,
                &EventData::MouseInteraction {
                    interaction: MouseInteraction::MouseDown,
                    id: 1,
                    x,
                    y: 5,
                },
            );
        }
        let trail = track.trail_at(1_150);
        assert_eq!(trail.last(), Some(&(30.0, 5.0)));
        assert!(trail.first().is_some_and(|p| p.0 < 10.0), "{trail:?}");
        assert!(trail.windows(2).all(|w| w[0].0 < w[1].0), "{trail:?}");
        // Long after the last move the pointer rests: no trail.
        assert!(track.trail_at(5_000).is_empty());
        assert!(PointerTrack::new().trail_at(100).is_empty());
    }
}
