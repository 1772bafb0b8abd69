//! What the user did over time: the idle stretches the player may skip, and the event density the
//! timeline's activity graph shows.

use sightline_protocol::v1::EventData;

use crate::timeline::{TimedEvent, Timeline};

/// Stretches without user interaction longer than this are idle: skipped while playing with
/// "skip inactivity" on, and shaded on the timeline.
pub const IDLE_THRESHOLD_MS: u64 = 5_000;

/// Number of bars in the activity graph.
pub const ACTIVITY_BUCKETS: usize = 100;

/// A stretch of the replay without user interaction, `[start, end)` in ms since its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleRange {
    /// Where the idle stretch starts (the last interaction before it).
    pub start: u64,
    /// Where it ends (the next interaction, or the replay's end).
    pub end: u64,
}

/// Whether `event` is something the user did: pointer, keyboard input, scrolling, resizing or
/// navigating. Page-side changes (DOM mutations, console, network) are not.
pub fn is_interaction(event: &EventData) -> bool {
    matches!(
        event,
        EventData::MouseInteraction { .. }
            | EventData::MouseMove(_)
            | EventData::Scroll { .. }
            | EventData::ViewportResize { .. }
            | EventData::Input(_)
            | EventData::Navigation { .. }
    )
}

/// The stretches longer than `threshold` ms without user interaction, in order, between the
/// replay's start and `duration`.
pub fn idle_ranges(events: &[TimedEvent], duration: u64, threshold: u64) -> Vec<IdleRange> {
    let mut ranges = Vec::new();
    let mut last = 0u64;
    let interactions = events
        .iter()
        .filter(|e| is_interaction(&e.data))
        .map(|e| e.offset.min(duration))
        .chain(std::iter::once(duration));
    for at in interactions {
        if at > last && at - last > threshold {
            ranges.push(IdleRange {
                start: last,
                end: at,
            });
        }
        last = last.max(at);
    }
    ranges
}

/// The idle stretches of a timeline with the default threshold, up to its last loaded event:
/// while later segments are still loading, the time after it is unknown, not idle.
pub fn timeline_idle_ranges(timeline: &Timeline) -> Vec<IdleRange> {
    let loaded_to = timeline
        .events()
        .last()
        .map_or(0, |e| e.offset)
        .min(timeline.duration());
    idle_ranges(timeline.events(), loaded_to, IDLE_THRESHOLD_MS)
}

/// Where a playhead at `t` must jump to when skipping inactivity: the end of the idle range
/// holding `t`, if any. A short lead-in before the next interaction is kept so that it is seen.
pub fn skip_target(ranges: &[IdleRange], t: u64) -> Option<u64> {
    const LEAD_IN_MS: u64 = 1_000;
    ranges
        .iter()
        .find(|r| t >= r.start && t < r.end.saturating_sub(LEAD_IN_MS))
        .map(|r| r.end.saturating_sub(LEAD_IN_MS))
}

/// Event counts in `buckets` equal slices of `[0, duration]`, for the activity graph.
/// Events past the duration count in the last slice; an empty replay gives all zeros.
pub fn activity(events: &[TimedEvent], duration: u64, buckets: usize) -> Vec<u32> {
    let mut counts = vec![0u32; buckets];
    if buckets == 0 {
        return counts;
    }
    let span = duration.max(1);
    for event in events {
        let offset = event.offset.min(span);
        let index = usize::try_from(offset.saturating_mul(buckets as u64) / span)
            .unwrap_or(usize::MAX)
            .min(buckets - 1);
        counts[index] = counts[index].saturating_add(1);
    }
    counts
}

/// Bucket counts scaled to 0–100 (percent of the busiest bucket), for bar heights.
pub fn normalized(counts: &[u32]) -> Vec<u8> {
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if max == 0 {
                0
            } else {
                u8::try_from(u64::from(c) * 100 / u64::from(max)).unwrap_or(100)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_protocol::v1::{MouseInteraction, Mutation};

    fn at(offset: u64, data: EventData) -> TimedEvent {
        TimedEvent {
            offset,
            segment: 0,
            data,
        }
    }

    fn click(offset: u64) -> TimedEvent {
        at(
            offset,
            EventData::MouseInteraction {
                interaction: MouseInteraction::Click,
                id: 1,
                x: 0,
                y: 0,
            },
        )
    }

    fn mutation(offset: u64) -> TimedEvent {
        at(offset, EventData::Mutation(Mutation::default()))
    }

    #[test]
    fn idle_stretches_are_found_between_interactions_only() {
        // Mutations at 8 s do not count as activity: 2 s → 20 s is idle.
        let events = vec![click(1_000), click(2_000), mutation(8_000), click(20_000)];
        let ranges = idle_ranges(&events, 30_000, IDLE_THRESHOLD_MS);
        assert_eq!(
            ranges,
            vec![
                IdleRange {
                    start: 2_000,
                    end: 20_000
                },
                IdleRange {
                    start: 20_000,
                    end: 30_000
                }
            ]
        );
    }

    #[test]
    fn gaps_up_to_the_threshold_are_not_idle() {
        let events = vec![click(0), click(5_000), click(10_000)];
        assert!(idle_ranges(&events, 10_000, IDLE_THRESHOLD_MS).is_empty());
        // Before the first interaction counts too.
        let late = vec![click(7_000)];
        assert_eq!(
            idle_ranges(&late, 7_000, IDLE_THRESHOLD_MS),
            vec![IdleRange {
                start: 0,
                end: 7_000
            }]
        );
    }

    #[test]
    fn skipping_jumps_to_just_before_the_next_interaction() {
        let ranges = vec![IdleRange {
            start: 2_000,
            end: 20_000,
        }];
        assert_eq!(skip_target(&ranges, 1_999), None);
        assert_eq!(skip_target(&ranges, 2_000), Some(19_000));
        assert_eq!(skip_target(&ranges, 10_000), Some(19_000));
        assert_eq!(skip_target(&ranges, 19_000), None);
        assert_eq!(skip_target(&ranges, 25_000), None);
    }

    #[test]
    fn time_not_loaded_yet_is_not_idle() {
        // The replay lasts 45 s but only its first segment (up to 3 s) has arrived.
        let mut timeline = Timeline::new(0).with_known_duration(45_000);
        let segment = sightline_protocol::DecodedSegment {
            header: sightline_protocol::v1::SegmentHeader::new(
                "0123456789abcdef0123456789abcdef",
                0,
                1,
                0,
            )
            .with_end(3_000),
            events: vec![
                sightline_protocol::v1::Event::new(
                    1_000,
                    EventData::MouseInteraction {
                        interaction: MouseInteraction::Click,
                        id: 1,
                        x: 0,
                        y: 0,
                    },
                ),
                sightline_protocol::v1::Event::new(2_000, EventData::Mutation(Mutation::default())),
            ],
        };
        timeline.push_segment(&segment);
        assert_eq!(timeline.duration(), 45_000);
        assert!(timeline_idle_ranges(&timeline).is_empty());
    }

    #[test]
    fn activity_counts_events_per_slice() {
        let events = vec![
            click(0),
            click(999),
            mutation(1_000),
            click(9_999),
            click(50_000),
        ];
        let counts = activity(&events, 10_000, 10);
        assert_eq!(counts, vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(normalized(&counts), vec![100, 50, 0, 0, 0, 0, 0, 0, 0, 100]);
        assert_eq!(activity(&[], 0, 4), vec![0, 0, 0, 0]);
        assert_eq!(normalized(&[0, 0]), vec![0, 0]);
        assert!(activity(&events, 10_000, 0).is_empty());
    }
}
