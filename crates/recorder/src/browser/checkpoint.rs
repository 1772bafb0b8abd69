//! When the recorder takes checkpoints (full snapshots) and how it paces DOM work so that no
//! task of its own blocks the page for long.
//!
//! - A checkpoint every [`DEFAULT_CHECKPOINT_INTERVAL_MS`] (the `checkpointIntervalMs` option),
//!   so a viewer seeks from a nearby snapshot and buffers stay bounded.
//! - Serialization runs under a time budget ([`SLICE_MS`] per task): what does not fit is
//!   deferred and recorded in the following tasks (see [`super::mirror::Mirror`]).
//! - A mutation flood (more than [`FLOOD_RECORDS`] observer records within [`FLOOD_WINDOW_MS`])
//!   is not turned into thousands of events: its records are dropped, and once it calms down a
//!   checkpoint records the page as it is, after a breadcrumb that says so. Recording never stops.
//!
//! A checkpoint does not carry everything a viewer shows, and the viewer resets its state on
//! one: [`carried_state`] is what is re-sent after it (scroll offsets, media playback).

use sightline_protocol::v1::{Breadcrumb, EventData, Level, Media, MediaAction};
use wasm_bindgen::JsCast;
use web_sys::HtmlMediaElement;

use super::mirror::Mirror;

/// Default time between two checkpoints, in ms.
pub(crate) const DEFAULT_CHECKPOINT_INTERVAL_MS: u64 = 30_000;

/// Serialization time allowed in one task, in ms (after the first snapshot's).
pub(crate) const SLICE_MS: f64 = 25.0;

/// Serialization time allowed for the first snapshot before the rest is sliced, in ms. Generous:
/// a page is only shown once its first snapshot is complete, and the 50 ms rule applies after
/// it; only really big pages (or a busy machine) get the rest of theirs in slices.
pub(crate) const FIRST_SNAPSHOT_MS: f64 = 150.0;

/// The window over which mutation records are counted, in ms.
const FLOOD_WINDOW_MS: u64 = 1_000;

/// Observer records within [`FLOOD_WINDOW_MS`] beyond which the DOM is re-recorded by a
/// checkpoint rather than event by event.
const FLOOD_RECORDS: u32 = 20_000;

/// The checkpoint schedule and the mutation flood detector.
pub(crate) struct Pacing {
    interval_ms: u64,
    last_checkpoint: u64,
    window_start: u64,
    window_records: u32,
    /// Records dropped since the flood began; `0` when there is no flood.
    dropped: u32,
}

impl Pacing {
    /// A schedule whose last checkpoint (the first snapshot) was at `now`.
    pub(crate) fn new(now: u64) -> Self {
        Self {
            interval_ms: DEFAULT_CHECKPOINT_INTERVAL_MS,
            last_checkpoint: now,
            window_start: now,
            window_records: 0,
            dropped: 0,
        }
    }

    /// Sets the time between checkpoints; `0` turns periodic checkpoints off.
    pub(crate) fn set_interval(&mut self, interval_ms: u64) {
        self.interval_ms = interval_ms;
    }

    /// Notes a checkpoint taken at `now`.
    pub(crate) fn checkpointed(&mut self, now: u64) {
        self.last_checkpoint = now;
        self.dropped = 0;
        self.window_start = now;
        self.window_records = 0;
    }

    /// Whether a checkpoint is due at `now`: the interval passed, or a flood is over (its
    /// window closed).
    pub(crate) fn checkpoint_due(&self, now: u64) -> bool {
        let periodic =
            self.interval_ms > 0 && now.saturating_sub(self.last_checkpoint) >= self.interval_ms;
        periodic || (self.dropped > 0 && !self.window_open(now))
    }

    /// How long until a flood's window closes, in ms; `None` when there is no flood.
    pub(crate) fn flood_ends_in(&self, now: u64) -> Option<u64> {
        (self.dropped > 0).then(|| {
            self.window_start
                .saturating_add(FLOOD_WINDOW_MS)
                .saturating_sub(now)
        })
    }

    /// Whether `records` observer records arriving at `now` are to be recorded as mutations;
    /// false during a flood (they are counted, and a checkpoint follows).
    pub(crate) fn admit(&mut self, now: u64, records: u32) -> bool {
        if !self.window_open(now) {
            if self.dropped > 0 {
                // Still flooding: the checkpoint waits for a calm window.
                self.dropped = self.dropped.saturating_add(records);
                self.window_start = now;
                self.window_records = records;
                return false;
            }
            self.window_start = now;
            self.window_records = 0;
        }
        self.window_records = self.window_records.saturating_add(records);
        if self.dropped > 0 || self.window_records > FLOOD_RECORDS {
            self.dropped = self.dropped.saturating_add(records);
            return false;
        }
        true
    }

    /// The breadcrumb that says a flood was recorded as a checkpoint; `None` without a flood.
    pub(crate) fn flood_notice(&self) -> Option<Breadcrumb> {
        (self.dropped > 0).then(|| Breadcrumb {
            category: "sightline".to_owned(),
            level: Level::Warning,
            message: format!(
                "{} DOM changes arrived too fast to record one by one: recorded as a checkpoint",
                self.dropped
            ),
            data: String::new(),
        })
    }

    fn window_open(&self, now: u64) -> bool {
        now >= self.window_start && now < self.window_start.saturating_add(FLOOD_WINDOW_MS)
    }
}

/// What a viewer loses on a checkpoint and the page still shows: the scroll offsets of the
/// elements the user scrolled and the playback of media the user played.
pub(crate) fn carried_state(mirror: &Mirror) -> Vec<EventData> {
    let mut events = Vec::new();
    for element in mirror.stateful() {
        let Some(id) = mirror.id_of(&element) else {
            continue;
        };
        if matches!(element.local_name().as_str(), "video" | "audio") {
            let media: &HtmlMediaElement = element.unchecked_ref();
            let action = if media.paused() {
                MediaAction::Pause
            } else {
                MediaAction::Play
            };
            events.push(EventData::Media(media_state(id, media, action)));
        }
        let (x, y) = (element.scroll_left(), element.scroll_top());
        if x != 0 || y != 0 {
            events.push(EventData::Scroll { id, x, y });
        }
    }
    events
}

/// The playback state of `media`, recorded as `id`, at `action`.
pub(crate) fn media_state(id: u32, media: &HtmlMediaElement, action: MediaAction) -> Media {
    // Media times, volumes and rates are small non-negative numbers; `as` saturates the rest.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Media {
        id,
        action,
        current_time: (media.current_time() * 1000.0).round() as u32,
        volume: (media.volume() * 100.0).round() as u8,
        muted: media.muted(),
        rate: (media.playback_rate() * 100.0).round() as u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn a_flood_is_recorded_by_a_checkpoint_once_it_calms_down() {
        let mut pacing = Pacing::new(0);
        assert!(pacing.admit(10, FLOOD_RECORDS));
        assert!(
            !pacing.admit(20, 5),
            "beyond the budget, records are dropped"
        );
        assert!(!pacing.admit(900, 100));
        assert!(
            !pacing.checkpoint_due(950),
            "the flood's window is still open"
        );
        // Records keep coming in the next window: still a flood.
        assert!(!pacing.admit(1_100, 1));
        assert!(!pacing.checkpoint_due(1_500));
        assert!(pacing.checkpoint_due(2_100));
        let notice = pacing.flood_notice().map(|notice| notice.message);
        assert!(notice.is_some_and(|message| message.starts_with("106 ")));
        pacing.checkpointed(2_100);
        assert!(pacing.flood_notice().is_none());
        assert!(
            pacing.admit(2_200, 10),
            "after the checkpoint, changes are recorded again"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn checkpoints_come_at_the_interval() {
        let mut pacing = Pacing::new(1_000);
        assert!(!pacing.checkpoint_due(30_999));
        assert!(pacing.checkpoint_due(31_000));
        pacing.checkpointed(31_000);
        assert!(!pacing.checkpoint_due(31_001));
        pacing.set_interval(0);
        assert!(!pacing.checkpoint_due(1_000_000));
    }
}
