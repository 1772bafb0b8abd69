//! The player: a playhead moving over a [`Timeline`] and the [`Mirror`] of the page at that moment.
//!
//! Playing forward applies the events between two times to the mirror and reports the resulting
//! [`Change`]s, so that a renderer can patch its DOM. Seeking backward (or across a full snapshot)
//! rebuilds the mirror from the latest checkpoint at or before the target — a full snapshot, or a
//! copy of the mirror the player kept while playing — and asks the renderer to re-render.

use sightline_protocol::DecodedSegment;

use crate::mirror::{Change, Mirror};
use crate::timeline::Timeline;

/// Keep a copy of the mirror every this many ms of replay time, so that a seek applies at most
/// this much of the recording.
pub const CHECKPOINT_INTERVAL_MS: u64 = 5_000;

/// Most mirror copies kept; older ones are thinned out beyond this.
const MAX_CHECKPOINTS: usize = 64;

/// The speeds the player offers.
pub const SPEEDS: [f64; 4] = [1.0, 2.0, 4.0, 8.0];

/// Where the player is: what `data-sl-state` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybackState {
    /// The replay is not ready to show yet.
    Loading,
    /// The playhead is moving.
    Playing,
    /// The playhead stands still.
    Paused,
    /// The playhead reached the end while playing.
    Ended,
}

impl PlaybackState {
    /// The state's name as written in `data-sl-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Playing => "playing",
            Self::Paused => "paused",
            Self::Ended => "ended",
        }
    }
}

/// What a renderer must do after the player moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The page did not change.
    Nothing,
    /// Apply these changes, in order, to the rendered page.
    Changes(Vec<Change>),
    /// Render the whole mirror again.
    Rebuild,
}

#[derive(Debug, Clone)]
struct Checkpoint {
    /// Number of timeline events applied to `mirror`.
    applied: usize,
    /// Offset of the last applied event.
    time: u64,
    mirror: Mirror,
}

/// The replay player's state.
#[derive(Debug, Clone)]
pub struct Player {
    timeline: Timeline,
    mirror: Mirror,
    /// Number of timeline events applied to the mirror (a prefix of the timeline).
    applied: usize,
    /// Every event at or before this offset is applied.
    applied_to: Option<u64>,
    playhead: f64,
    state: PlaybackState,
    speed: f64,
    checkpoints: Vec<Checkpoint>,
}

impl Player {
    /// Creates a paused player at the start of `timeline` with nothing applied yet.
    #[must_use]
    pub fn new(timeline: Timeline) -> Self {
        Self {
            timeline,
            mirror: Mirror::new(),
            applied: 0,
            applied_to: None,
            playhead: 0.0,
            state: PlaybackState::Paused,
            speed: 1.0,
            checkpoints: Vec::new(),
        }
    }

    /// The timeline being played.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The page at the playhead.
    pub fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// The playhead in whole ms since the replay's start.
    pub fn time(&self) -> u64 {
        // The playhead is never negative and never beyond the duration (a u64).
        self.playhead.max(0.0).floor() as u64
    }

    /// The replay's duration in ms.
    pub fn duration(&self) -> u64 {
        self.timeline.duration()
    }

    /// Playing, paused or ended.
    pub fn state(&self) -> PlaybackState {
        self.state
    }

    /// The playback speed (1.0 is real time).
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Sets the playback speed; non-positive or non-finite speeds are ignored.
    pub fn set_speed(&mut self, speed: f64) {
        if speed.is_finite() && speed > 0.0 {
            self.speed = speed;
        }
    }

    /// Starts playing; from the end, starts again from the beginning.
    pub fn play(&mut self) -> Step {
        let step = if self.state == PlaybackState::Ended || self.time() >= self.duration() {
            self.seek(0)
        } else {
            Step::Nothing
        };
        self.state = PlaybackState::Playing;
        step
    }

    /// Stops the playhead where it is.
    pub fn pause(&mut self) {
        if self.state == PlaybackState::Playing {
            self.state = PlaybackState::Paused;
        }
    }

    /// Plays when paused or ended, pauses when playing.
    pub fn toggle(&mut self) -> Step {
        if self.state == PlaybackState::Playing {
            self.pause();
            Step::Nothing
        } else {
            self.play()
        }
    }

    /// Moves the playhead by `elapsed_ms` of wall-clock time (times the speed) when playing, and
    /// applies the events it passed. Reaching the end stops the player in [`PlaybackState::Ended`].
    pub fn advance(&mut self, elapsed_ms: f64) -> Step {
        if self.state != PlaybackState::Playing || !elapsed_ms.is_finite() || elapsed_ms <= 0.0 {
            return Step::Nothing;
        }
        let duration = self.duration() as f64;
        self.playhead = (self.playhead + elapsed_ms * self.speed).min(duration);
        if self.playhead >= duration {
            self.state = PlaybackState::Ended;
        }
        self.apply_until(self.time())
    }

    /// Moves the playhead to `t` ms (clamped to the duration) and brings the page to that moment.
    /// A player that had ended is paused afterwards; a playing one keeps playing.
    pub fn seek(&mut self, t: u64) -> Step {
        let t = t.min(self.duration());
        self.playhead = t as f64;
        if self.state == PlaybackState::Ended {
            self.state = PlaybackState::Paused;
        }
        self.apply_until(t)
    }

    /// Brings the page to the playhead again: call it once the first segment arrived.
    pub fn refresh(&mut self) -> Step {
        self.apply_until(self.time())
    }

    /// Merges a newly loaded segment. When it holds events before what was already applied, the
    /// page is rebuilt at the playhead.
    pub fn push_segment(&mut self, segment: &DecodedSegment) -> Step {
        let duration_before = self.duration();
        let Some(earliest) = self.timeline.push_segment(segment) else {
            return Step::Nothing;
        };
        if self.state == PlaybackState::Ended && self.duration() > duration_before {
            self.state = PlaybackState::Playing;
        }
        self.checkpoints.retain(|c| c.time < earliest);
        match self.applied_to {
            Some(applied_to) if earliest <= applied_to => {
                let effective = self.effective_time(self.time());
                self.applied_to = Some(effective);
                self.rebuild(self.timeline.count_until(effective));
                Step::Rebuild
            }
            _ => self.refresh(),
        }
    }

    /// Records that a segment could not be loaded; the replay plays on without it.
    pub fn record_gap(&mut self, index: u32, reason: impl Into<String>) {
        self.timeline.record_gap(index, reason);
    }

    /// The time the page must show for the playhead at `t`. Before the first full snapshot
    /// there is no page, so the first one is shown from the start.
    fn effective_time(&self, t: u64) -> u64 {
        self.timeline
            .first_checkpoint()
            .map_or(t, |first| t.max(first))
    }

    fn apply_until(&mut self, t: u64) -> Step {
        let effective = self.effective_time(t);
        self.applied_to = Some(effective);
        let target = self.timeline.count_until(effective);
        if target == self.applied {
            return Step::Nothing;
        }
        if target < self.applied {
            self.rebuild(target);
            return Step::Rebuild;
        }
        let mut changes = Vec::new();
        let mut reset = false;
        for index in self.applied..target {
            let applied = self.mirror.apply(&self.timeline.events()[index].data);
            if applied.first() == Some(&Change::Reset) {
                reset = true;
                changes.clear();
            } else {
                changes.extend(applied);
            }
            self.applied = index + 1;
            self.maybe_checkpoint();
        }
        if reset {
            Step::Rebuild
        } else if changes.is_empty() {
            Step::Nothing
        } else {
            Step::Changes(changes)
        }
    }

    /// Restores the mirror to exactly `target` applied events, starting from the latest full
    /// snapshot or kept copy at or before it.
    fn rebuild(&mut self, target: usize) {
        let snapshot = self.timeline.checkpoint_before(target);
        let copy = self
            .checkpoints
            .iter()
            .filter(|c| c.applied <= target && snapshot.is_none_or(|s| c.applied > s))
            .max_by_key(|c| c.applied);
        let start = if let Some(copy) = copy {
            self.mirror = copy.mirror.clone();
            copy.applied
        } else if let Some(index) = snapshot {
            self.mirror = Mirror::new();
            index
        } else {
            self.mirror = Mirror::new();
            0
        };
        for index in start..target {
            self.mirror.apply(&self.timeline.events()[index].data);
        }
        self.applied = target;
    }

    fn maybe_checkpoint(&mut self) {
        let Some(event) = self
            .applied
            .checked_sub(1)
            .map(|i| &self.timeline.events()[i])
        else {
            return;
        };
        let time = event.offset;
        let due = self
            .checkpoints
            .iter()
            .filter(|c| c.applied <= self.applied)
            .map(|c| c.time)
            .max()
            .is_none_or(|last| time >= last + CHECKPOINT_INTERVAL_MS);
        let next_is_same_time = self
            .timeline
            .events()
            .get(self.applied)
            .is_some_and(|next| next.offset == time);
        if !due || next_is_same_time || self.mirror.is_empty() {
            return;
        }
        if self.checkpoints.iter().any(|c| c.applied == self.applied) {
            return;
        }
        self.checkpoints.push(Checkpoint {
            applied: self.applied,
            time,
            mirror: self.mirror.clone(),
        });
        self.checkpoints.sort_by_key(|c| c.applied);
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Keep the spread: drop every other copy.
            let mut keep = false;
            self.checkpoints.retain(|_| {
                keep = !keep;
                keep
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sightline_protocol::v1::{
        AddedNode, AttributeChange, Event, EventData, Mutation, Node, RemovedNode, SegmentHeader,
        TextChange,
    };

    const REPLAY: &str = "0123456789abcdef0123456789abcdef";

    fn page(title: &str) -> Node {
        Node::Document {
            id: 1,
            children: vec![Node::element(
                2,
                "html",
                vec![],
                vec![Node::element(
                    3,
                    "body",
                    vec![],
                    vec![Node::element(4, "h1", vec![], vec![Node::text(5, title)])],
                )],
            )],
        }
    }

    /// A scripted session: a snapshot, then every 700 ms a list item is added before the previous
    /// one, the title text changes and an attribute flips; one item is removed now and then, and
    /// a second full snapshot arrives half-way.
    fn events() -> Vec<Event> {
        let mut events = vec![
            Event::new(
                0,
                EventData::Meta {
                    href: "https://shop.example/".into(),
                    width: 800,
                    height: 600,
                    user_agent: "test".into(),
                },
            ),
            Event::new(
                20,
                EventData::FullSnapshot {
                    root: page("start"),
                },
            ),
        ];
        let mut previous: Option<u32> = None;
        for step in 0..40u32 {
            if step == 20 {
                events.push(Event::new(
                    300,
                    EventData::FullSnapshot {
                        root: page("again"),
                    },
                ));
                previous = None;
            }
            let id = 100 + step * 2;
            let mut mutation = Mutation {
                adds: vec![AddedNode {
                    parent_id: 3,
                    next_id: previous,
                    node: Node::element(id, "li", vec![], vec![Node::text(id + 1, "item")]),
                }],
                texts: vec![TextChange {
                    id: 5,
                    text: format!("step {step}"),
                }],
                attributes: vec![AttributeChange {
                    id: 4,
                    name: "data-step".into(),
                    value: (step % 3 != 0).then(|| step.to_string()),
                }],
                ..Mutation::default()
            };
            if let Some(prev) = previous.filter(|_| step % 5 == 4) {
                mutation.removes.push(RemovedNode {
                    parent_id: 3,
                    id: prev,
                });
                mutation.adds[0].next_id = None;
            }
            previous = Some(id);
            events.push(Event::new(700, EventData::Mutation(mutation)));
        }
        events
    }

    fn timeline() -> Timeline {
        let events = events();
        let (first, second) = events.split_at(25);
        let first_end: u64 = first.iter().map(|e| u64::from(e.dt)).sum();
        let second_end: u64 = second.iter().map(|e| u64::from(e.dt)).sum();
        Timeline::from_segments(&[
            DecodedSegment {
                header: SegmentHeader::new(REPLAY, 0, 1, 0).with_end(first_end),
                events: first.to_vec(),
            },
            DecodedSegment {
                header: SegmentHeader::new(REPLAY, 1, 1, first_end)
                    .with_end(first_end + second_end),
                events: second.to_vec(),
            },
        ])
    }

    fn played_to(t: u64, tick: f64) -> Player {
        let mut player = Player::new(timeline());
        player.refresh();
        player.play();
        while (player.time() as f64 + tick) <= t as f64 {
            player.advance(tick);
        }
        player.advance(t as f64 - player.playhead);
        player
    }

    #[test]
    fn seeking_gives_the_same_page_as_playing_there() {
        let duration = timeline().duration();
        let mut from_end = Player::new(timeline());
        from_end.seek(duration);
        for t in (0..=duration).step_by(97).chain([0, 20, 720, duration]) {
            let played = played_to(t, 33.0);
            let mut fresh = Player::new(timeline());
            fresh.seek(t);
            from_end.seek(duration);
            assert!(from_end.seek(t) != Step::Nothing || t >= duration - 700);
            assert_eq!(played.time(), t);
            assert_eq!(
                fresh.mirror().to_tree(),
                played.mirror().to_tree(),
                "fresh at {t}"
            );
            assert_eq!(
                from_end.mirror().to_tree(),
                played.mirror().to_tree(),
                "back at {t}"
            );
            assert_eq!(fresh.mirror().len(), played.mirror().len());
        }
    }

    #[test]
    fn incremental_changes_are_reported_and_seek_back_rebuilds() {
        let mut player = Player::new(timeline());
        assert_eq!(player.seek(20), Step::Rebuild);
        match player.seek(720) {
            Step::Changes(changes) => assert_eq!(changes.len(), 3),
            other => panic!("expected changes, got {other:?}"),
        }
        assert_eq!(player.seek(100), Step::Rebuild);
        assert_eq!(player.seek(100), Step::Nothing);
    }

    #[test]
    fn the_first_snapshot_shows_before_its_time() {
        let mut player = Player::new(timeline());
        assert_eq!(player.seek(0), Step::Rebuild);
        assert_eq!(player.time(), 0);
        assert!(player.mirror().root().is_some());
    }

    #[test]
    fn plays_to_the_end_then_restarts() {
        let mut player = Player::new(timeline());
        player.play();
        assert_eq!(player.state(), PlaybackState::Playing);
        player.set_speed(8.0);
        for _ in 0..1_000 {
            player.advance(50.0);
        }
        assert_eq!(player.state(), PlaybackState::Ended);
        assert_eq!(player.time(), player.duration());
        assert_eq!(player.play(), Step::Rebuild);
        assert_eq!(player.time(), 0);
        assert_eq!(player.state(), PlaybackState::Playing);
    }

    #[test]
    fn paused_player_does_not_move_and_seek_clamps() {
        let mut player = Player::new(timeline());
        player.seek(1_000);
        assert_eq!(player.advance(500.0), Step::Nothing);
        assert_eq!(player.time(), 1_000);
        player.seek(u64::MAX);
        assert_eq!(player.time(), player.duration());
        assert_eq!(player.state(), PlaybackState::Paused);
    }

    #[test]
    fn late_segment_rebuilds_the_page_it_changes() {
        let events = events();
        let (first, second) = events.split_at(25);
        let first_end: u64 = first.iter().map(|e| u64::from(e.dt)).sum();
        let second_segment = DecodedSegment {
            header: SegmentHeader::new(REPLAY, 1, 1, first_end),
            events: second.to_vec(),
        };
        let mut complete = Player::new(timeline());
        complete.seek(first_end + 2_000);

        // Segment 1 arrives while the player already waits beyond the first segment's end.
        let mut loading = Player::new(Timeline::new(0).with_known_duration(complete.duration()));
        loading.push_segment(&DecodedSegment {
            header: SegmentHeader::new(REPLAY, 0, 1, 0).with_end(first_end),
            events: first.to_vec(),
        });
        loading.seek(first_end + 2_000);
        assert_eq!(loading.push_segment(&second_segment), Step::Rebuild);
        assert_eq!(loading.mirror().to_tree(), complete.mirror().to_tree());
    }

    #[test]
    fn gap_in_the_middle_still_plays() {
        let events = events();
        let (first, rest) = events.split_at(10);
        let (_lost, last) = rest.split_at(10);
        let mut timeline = Timeline::new(0);
        timeline.push_segment(&DecodedSegment {
            header: SegmentHeader::new(REPLAY, 0, 1, 0),
            events: first.to_vec(),
        });
        timeline.record_gap(1, "HTTP 500");
        timeline.push_segment(&DecodedSegment {
            header: SegmentHeader::new(REPLAY, 2, 1, 20_000),
            events: last.to_vec(),
        });
        let mut player = Player::new(timeline);
        player.seek(u64::MAX);
        // Items added by the lost segment are missing: later adds that refer to them are
        // skipped or appended, never a crash, and the second snapshot restores the page.
        assert!(player.mirror().root().is_some());
        assert_eq!(player.timeline().gaps().len(), 1);
    }
}
