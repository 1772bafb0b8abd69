//! Events that are recorded late and seldom: mouse moves, scrolls and viewport resizes.
//!
//! Browsers fire these dozens of times a second. [`Throttled`] keeps the latest state of each
//! (one pending scroll per node, one pending resize, one mouse-move batch) and releases them when
//! they are due, at most every [`SCROLL_THROTTLE_MS`] for scrolls and resizes and every
//! [`MOVE_BATCH_MS`] for moves, or all at once before any other
//! event is recorded, so that event times stay in order.

use sightline_protocol::v1::{EventData, NodeId};

use crate::pointer::{MOVE_BATCH_MS, MoveBatch};

/// Shortest time between two recorded scrolls of one node, or two viewport resizes, in ms.
pub const SCROLL_THROTTLE_MS: u64 = 100;

/// Most nodes with a pending scroll; scrolls of further nodes are recorded at once.
pub const MAX_PENDING_SCROLLS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending<T> {
    /// When the first change since the last release was seen.
    since: u64,
    /// When the latest change was seen.
    time: u64,
    state: T,
}

/// Scrolls, resizes and mouse moves waiting to be recorded.
#[derive(Debug, Default)]
pub struct Throttled {
    moves: MoveBatch,
    scrolls: Vec<Pending<(NodeId, i32, i32)>>,
    resize: Option<Pending<(u32, u32)>>,
}

impl Throttled {
    /// Nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pointer was seen at `(x, y)` at `time`.
    pub fn mouse_move(&mut self, time: u64, x: i32, y: i32) {
        self.moves.sample(time, x, y);
    }

    /// Node `id` (the document for the window) was scrolled to `(x, y)` at `time`. Returns the
    /// events to record at once, when too many nodes are pending already.
    pub fn scroll(&mut self, time: u64, id: NodeId, x: i32, y: i32) -> Vec<(u64, EventData)> {
        if let Some(pending) = self.scrolls.iter_mut().find(|p| p.state.0 == id) {
            pending.time = time;
            pending.state = (id, x, y);
            return Vec::new();
        }
        let overflow = if self.scrolls.len() >= MAX_PENDING_SCROLLS {
            self.take_all()
        } else {
            Vec::new()
        };
        self.scrolls.push(Pending {
            since: time,
            time,
            state: (id, x, y),
        });
        overflow
    }

    /// The viewport was resized to `width` × `height` at `time`.
    pub fn resize(&mut self, time: u64, width: u32, height: u32) {
        let since = self.resize.map_or(time, |pending| pending.since);
        self.resize = Some(Pending {
            since,
            time,
            state: (width, height),
        });
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.moves.started_at().is_none() && self.scrolls.is_empty() && self.resize.is_none()
    }

    /// When the earliest pending event falls due (ms since epoch); `None` when nothing is pending.
    pub fn due_at(&self) -> Option<u64> {
        let scrolls = self.scrolls.iter().map(|p| p.since + SCROLL_THROTTLE_MS);
        let resize = self.resize.map(|p| p.since + SCROLL_THROTTLE_MS);
        let moves = self.moves.started_at().map(|start| start + MOVE_BATCH_MS);
        scrolls.chain(resize).chain(moves).min()
    }

    /// Takes the events that are due at `now`, in time order.
    pub fn take_due(&mut self, now: u64) -> Vec<(u64, EventData)> {
        let mut events = Vec::new();
        if self.moves.is_due(now) {
            events.extend(self.take_moves());
        }
        self.scrolls.retain(|pending| {
            let release = now >= pending.since + SCROLL_THROTTLE_MS;
            if release {
                events.push(scroll_event(pending));
            }
            !release
        });
        if self
            .resize
            .is_some_and(|pending| now >= pending.since + SCROLL_THROTTLE_MS)
        {
            events.extend(self.resize.take().map(|pending| resize_event(&pending)));
        }
        in_time_order(events)
    }

    /// Takes every pending event, in time order.
    pub fn take_all(&mut self) -> Vec<(u64, EventData)> {
        let mut events: Vec<_> = self.take_moves().into_iter().collect();
        events.extend(self.scrolls.drain(..).map(|pending| scroll_event(&pending)));
        events.extend(self.resize.take().map(|pending| resize_event(&pending)));
        in_time_order(events)
    }

    fn take_moves(&mut self) -> Option<(u64, EventData)> {
        self.moves
            .take()
            .map(|(time, moves)| (time, EventData::MouseMove(moves)))
    }
}

/// Sorts the few released events by time. An insertion sort: the lists are short, and the
/// standard sorts would add kilobytes to the bundle.
fn in_time_order(mut events: Vec<(u64, EventData)>) -> Vec<(u64, EventData)> {
    for index in 1..events.len() {
        let mut at = index;
        while at > 0 && events[at - 1].0 > events[at].0 {
            events.swap(at - 1, at);
            at -= 1;
        }
    }
    events
}

fn scroll_event(pending: &Pending<(NodeId, i32, i32)>) -> (u64, EventData) {
    let (id, x, y) = pending.state;
    (pending.time, EventData::Scroll { id, x, y })
}

fn resize_event(pending: &Pending<(u32, u32)>) -> (u64, EventData) {
    let (width, height) = pending.state;
    (pending.time, EventData::ViewportResize { width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scroll(id: NodeId, y: i32) -> EventData {
        EventData::Scroll { id, x: 0, y }
    }

    #[test]
    fn scrolls_keep_the_latest_position_per_node_until_100_ms_passed() {
        let mut throttled = Throttled::new();
        assert!(throttled.is_empty());
        assert!(throttled.scroll(1_000, 1, 0, 10).is_empty());
        assert!(throttled.scroll(1_020, 1, 0, 40).is_empty());
        assert!(throttled.scroll(1_050, 7, 0, 5).is_empty());
        assert_eq!(throttled.due_at(), Some(1_100));
        assert!(throttled.take_due(1_099).is_empty());
        assert_eq!(throttled.take_due(1_100), [(1_020, scroll(1, 40))]);
        assert_eq!(throttled.due_at(), Some(1_150));
        assert!(throttled.scroll(1_120, 1, 0, 90).is_empty());
        assert_eq!(
            throttled.take_all(),
            [(1_050, scroll(7, 5)), (1_120, scroll(1, 90))]
        );
        assert!(throttled.is_empty());
        assert_eq!(throttled.due_at(), None);
    }

    #[test]
    fn resizes_keep_the_last_size() {
        let mut throttled = Throttled::new();
        throttled.resize(10, 800, 600);
        throttled.resize(60, 900, 650);
        assert!(throttled.take_due(100).is_empty());
        assert_eq!(
            throttled.take_due(110),
            [(
                60,
                EventData::ViewportResize {
                    width: 900,
                    height: 650
                }
            )]
        );
    }

    #[test]
    fn moves_are_due_after_500_ms_and_everything_comes_out_in_time_order() {
        let mut throttled = Throttled::new();
        throttled.mouse_move(1_000, 1, 1);
        throttled.mouse_move(1_200, 2, 2);
        assert!(throttled.scroll(1_100, 1, 0, 3).is_empty());
        assert_eq!(throttled.due_at(), Some(1_200));
        let events = throttled.take_due(1_500);
        let kinds: Vec<_> = events
            .iter()
            .map(|(time, event)| (*time, matches!(event, EventData::MouseMove(_))))
            .collect();
        assert_eq!(kinds, [(1_000, true), (1_100, false)]);
    }

    #[test]
    fn released_events_are_sorted_by_time_keeping_ties_in_order() {
        let events = (0..6u32)
            .map(|i| (u64::from((i * 7) % 4), scroll(i, 0)))
            .collect();
        let times: Vec<(u64, u32)> = in_time_order(events)
            .into_iter()
            .map(|(time, event)| match event {
                EventData::Scroll { id, .. } => (time, id),
                _ => (time, u32::MAX),
            })
            .collect();
        assert_eq!(times, [(0, 0), (0, 4), (1, 3), (2, 2), (3, 1), (3, 5)]);
    }

    #[test]
    fn too_many_scrolling_nodes_release_the_pending_ones() {
        let mut throttled = Throttled::new();
        for id in 0..MAX_PENDING_SCROLLS as u32 {
            assert!(throttled.scroll(5, id, 0, 1).is_empty());
        }
        let released = throttled.scroll(6, 999, 0, 1);
        assert_eq!(released.len(), MAX_PENDING_SCROLLS);
        assert_eq!(throttled.take_all(), [(6, scroll(999, 1))]);
    }
}
