//! The player: a playhead moving over a [`Timeline`] and the [`Mirror`] of the page at that moment.
//!
//! Playing forward applies the events between two times to the mirror and reports the resulting
//! [`Change`]s, so that a renderer can patch its DOM. Seeking backward, or far forward, rebuilds
//! the mirror from the latest checkpoint at or before the target — a full snapshot, or a copy of
//! the mirror — and asks the renderer to re-render.
//!
//! The copies are made as segments arrive, not as the user plays: a second mirror (the indexer)
//! runs once through every loaded event and keeps a copy every [`CHECKPOINT_INTERVAL_MS`] of
//! activity, so that a seek anywhere in the session applies at most that much of it, however
//! long the session is. Mirror nodes are shared between copies (see [`Mirror`]): a copy costs
//! a pointer per node, and the nodes that changed since the previous one.

use sightline_protocol::DecodedSegment;

use crate::activity::{IdleRange, skip_target, timeline_idle_ranges};
use crate::mirror::{Change, Mirror};
use crate::timeline::Timeline;

/// Keep a copy of the mirror every this many ms of replay time, so that a seek applies at most
/// this much of the recording.
pub const CHECKPOINT_INTERVAL_MS: u64 = 5_000;

/// A copy is only worth keeping when at least this many events were applied since the previous
/// one: idle stretches need none.
const CHECKPOINT_MIN_EVENTS: usize = 16;

/// A copy is made after this many events however short the time (bursts of mutations).
const CHECKPOINT_MAX_EVENTS: usize = 1_000;

/// A seek forward by more than this many events starts from a checkpoint rather than applying
/// them all (when a checkpoint is closer).
const JUMP_EVENTS: usize = 200;

/// Most mirror copies kept (11 hours of busy recording at one per 5 s); beyond it every other
/// one is dropped.
const MAX_CHECKPOINTS: usize = 8_192;

/// The speeds the player offers.
pub const SPEEDS: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 16.0];

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

/// A copy of the mirror after a prefix of the timeline.
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
    /// Copies of the mirror, ascending by `applied`.
    checkpoints: Vec<Checkpoint>,
    /// Whether copies are kept at all (off only to measure what they save).
    keep_checkpoints: bool,
    /// Runs through the loaded events once, making the copies.
    indexer: Checkpoint,
    /// Jump over idle stretches while playing.
    skip_inactivity: bool,
    idle: Vec<IdleRange>,
    /// Pause when the playhead reaches this offset while playing (an error from a deep link).
    pause_at: Option<u64>,
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
            keep_checkpoints: true,
            indexer: Checkpoint {
                applied: 0,
                time: 0,
                mirror: Mirror::new(),
            },
            skip_inactivity: false,
            idle: Vec::new(),
            pause_at: None,
        }
        .indexed()
    }

    /// The same player without copies of the mirror: every seek starts from the latest full
    /// snapshot, as players without checkpoints do. For comparisons (`cargo xtask bench seek`).
    #[must_use]
    pub fn without_checkpoints(mut self) -> Self {
        self.keep_checkpoints = false;
        self.checkpoints.clear();
        self.indexer = Checkpoint {
            applied: 0,
            time: 0,
            mirror: Mirror::new(),
        };
        self
    }

    /// How many copies of the mirror the player keeps.
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// Roughly how many heap bytes the copies of the mirror hold (nodes shared with the
    /// player's own mirror or between copies counted once, not counting the mirror's own).
    pub fn checkpoint_bytes(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        self.mirror.heap_bytes(&mut seen);
        self.checkpoints
            .iter()
            .chain(self.keep_checkpoints.then_some(&self.indexer))
            .map(|c| c.mirror.heap_bytes(&mut seen))
            .sum()
    }

    fn indexed(mut self) -> Self {
        self.index();
        self
    }

    /// Whether idle stretches are jumped over while playing.
    pub fn skip_inactivity(&self) -> bool {
        self.skip_inactivity
    }

    /// Turns skipping of idle stretches (see [`crate::activity`]) on or off.
    pub fn set_skip_inactivity(&mut self, skip: bool) {
        self.skip_inactivity = skip;
    }

    /// The idle stretches of the timeline loaded so far.
    pub fn idle_ranges(&self) -> &[IdleRange] {
        &self.idle
    }

    /// Pauses the player once playing reaches `t` (clamped to it), as "open replay at error"
    /// asks; `None` cancels it.
    pub fn set_pause_at(&mut self, t: Option<u64>) {
        self.pause_at = t;
    }

    /// "Open replay at error": once the JS error `event_id` is on the timeline, plays up to it
    /// and pauses there (or, when the playhead is already past it, goes back and pauses on it).
    /// Returns `None` while the error is not loaded yet, else what the renderer must do.
    pub fn focus_error(&mut self, event_id: &str) -> Option<Step> {
        let offset = self
            .timeline
            .errors()
            .iter()
            .find(|e| e.event_id == event_id)?
            .offset;
        Some(self.focus_at(offset))
    }

    /// "Open replay at error" for an error known by its offset (a backend error, placed at its
    /// failing request): plays up to `offset` and pauses there, or, when the playhead is already
    /// past it or not playing, goes to it and pauses.
    pub fn focus_at(&mut self, offset: u64) -> Step {
        if self.time() <= offset && self.state == PlaybackState::Playing {
            self.set_pause_at(Some(offset));
            Step::Nothing
        } else {
            self.pause();
            self.seek(offset)
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
        let before = self.playhead;
        self.playhead = (self.playhead + elapsed_ms * self.speed).min(duration);
        // On the way to a deep link's error, every moment before it is shown.
        if self.skip_inactivity
            && self.pause_at.is_none()
            && let Some(target) = skip_target(&self.idle, self.time())
        {
            self.playhead = (target as f64).min(duration);
        }
        if let Some(stop) = self.pause_at
            && before <= stop as f64
            && self.playhead >= stop as f64
        {
            self.playhead = stop as f64;
            self.pause_at = None;
            self.state = PlaybackState::Paused;
            return self.apply_until(stop);
        }
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
        self.idle = timeline_idle_ranges(&self.timeline);
        if self.state == PlaybackState::Ended && self.duration() > duration_before {
            self.state = PlaybackState::Playing;
        }
        self.checkpoints.retain(|c| c.time < earliest);
        let unchanged = self
            .timeline
            .events()
            .partition_point(|e| e.offset < earliest);
        if self.indexer.applied > unchanged {
            // The indexer went past where the new events landed: resume from the latest copy.
            self.indexer = self.checkpoints.last().cloned().unwrap_or(Checkpoint {
                applied: 0,
                time: 0,
                mirror: Mirror::new(),
            });
        }
        self.index();
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
        let ahead = Self::latest_checkpoint(&self.checkpoints, target).map(|c| c.applied);
        if target < self.applied
            || (target - self.applied > JUMP_EVENTS && ahead.is_some_and(|a| a > self.applied))
        {
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
    ///
    /// Starting from a full snapshot, the state that outlives snapshots (URL, viewport,
    /// constructed stylesheets) is caught up first from the latest copy before it: only the
    /// session part of the events in between is applied.
    fn rebuild(&mut self, target: usize) {
        let snapshot = self.timeline.checkpoint_before(target);
        let copy = Self::latest_checkpoint(&self.checkpoints, target);
        let start = match (copy, snapshot) {
            (Some(copy), snapshot) if snapshot.is_none_or(|s| copy.applied > s) => {
                self.mirror = copy.mirror.clone();
                copy.applied
            }
            (copy, Some(snapshot)) => {
                let (session, from) = copy.map_or_else(
                    || (Default::default(), 0),
                    |c| (c.mirror.session().clone(), c.applied),
                );
                self.mirror = Mirror::with_session(session);
                for event in &self.timeline.events()[from..snapshot] {
                    self.mirror.apply_session(&event.data);
                }
                snapshot
            }
            (_, None) => {
                self.mirror = Mirror::new();
                0
            }
        };
        for index in start..target {
            self.mirror.apply(&self.timeline.events()[index].data);
        }
        self.applied = target;
    }

    /// The latest copy of the mirror with at most `target` events applied.
    fn latest_checkpoint(checkpoints: &[Checkpoint], target: usize) -> Option<&Checkpoint> {
        let after = checkpoints.partition_point(|c| c.applied <= target);
        after.checked_sub(1).map(|i| &checkpoints[i])
    }

    /// Runs the indexer through the events loaded since it last ran, keeping copies of its
    /// mirror.
    fn index(&mut self) {
        if !self.keep_checkpoints {
            return;
        }
        let events = self.timeline.events();
        let mut since = self.checkpoints.last().map_or(0, |c| c.applied);
        let mut since_time = self.checkpoints.last().map_or(0, |c| c.time);
        while self.indexer.applied < events.len() {
            let event = &events[self.indexer.applied];
            self.indexer.mirror.apply(&event.data);
            self.indexer.applied += 1;
            self.indexer.time = event.offset;
            let count = self.indexer.applied - since;
            let due = count >= CHECKPOINT_MAX_EVENTS
                || (count >= CHECKPOINT_MIN_EVENTS
                    && event.offset >= since_time + CHECKPOINT_INTERVAL_MS);
            // A copy between two events of the same moment could never be a seek's target.
            let same_moment = events
                .get(self.indexer.applied)
                .is_some_and(|next| next.offset == event.offset);
            if due && !same_moment && !self.indexer.mirror.is_empty() {
                self.checkpoints.push(self.indexer.clone());
                since = self.indexer.applied;
                since_time = event.offset;
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
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
