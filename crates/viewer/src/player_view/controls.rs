//! The signals the player's chrome reads, copied from the engine after every step.

use leptos::prelude::*;

use crate::activity::{ACTIVITY_BUCKETS, IdleRange, activity, normalized};
use crate::backend::BackendEvent;
use crate::markers::{Crumb, Marker};
use crate::network::{NetworkRow, PlacedEvent, place_events};
use crate::player::{PlaybackState, Player};
use crate::pointer::PointerSample;
use crate::timeline::{ErrorMarker, Gap, PageMeta};

/// The viewport shown until the recording says otherwise.
const DEFAULT_VIEWPORT: (u32, u32) = (1280, 720);

/// What the controls, the overlay and the panels show.
#[derive(Clone, Copy)]
pub(super) struct Controls {
    pub state: RwSignal<PlaybackState>,
    pub time: RwSignal<u64>,
    pub duration: RwSignal<u64>,
    pub speed: RwSignal<f64>,
    pub errors: RwSignal<Vec<ErrorMarker>>,
    pub markers: RwSignal<Vec<Marker>>,
    pub crumbs: RwSignal<Vec<Crumb>>,
    pub gaps: RwSignal<Vec<Gap>>,
    /// The recorded viewport at the playhead, in CSS pixels.
    pub viewport: RwSignal<(u32, u32)>,
    /// The page's URL at the playhead.
    pub url: RwSignal<Option<String>>,
    /// The mouse pointer at the playhead, in CSS pixels of the recorded viewport.
    pub pointer: RwSignal<Option<(f64, f64)>>,
    /// The click whose ripple shows at the playhead.
    pub ripple: RwSignal<Option<PointerSample>>,
    /// The pointer trail is on (off by default).
    pub trail_on: RwSignal<bool>,
    /// The pointer's recent path when the trail is on, oldest first.
    pub trail: RwSignal<Vec<(f64, f64)>>,
    pub skipped: RwSignal<usize>,
    /// Skip inactivity is on.
    pub skip: RwSignal<bool>,
    /// The idle stretches shaded on the timeline.
    pub idle: RwSignal<Vec<IdleRange>>,
    /// Bar heights (0–100) of the activity graph.
    pub activity: RwSignal<Vec<u8>>,
    /// Every request the page made, in time order.
    pub requests: RwSignal<Vec<NetworkRow>>,
    /// The recording's first `Meta` event.
    pub meta: RwSignal<Option<PageMeta>>,
    /// The backend errors linked to the replay, as loaded so far.
    pub backend: RwSignal<Vec<BackendEvent>>,
    /// Why the backend errors could not be loaded.
    pub backend_failure: RwSignal<Option<String>>,
    /// Stack traces of backend errors are still being fetched.
    pub backend_details_loading: RwSignal<bool>,
    /// The backend errors joined to their requests and placed on the timeline.
    pub placed: Memo<Vec<PlacedEvent>>,
}

impl Controls {
    pub fn new() -> Self {
        let requests = RwSignal::new(Vec::new());
        let backend = RwSignal::new(Vec::new());
        let placed = Memo::new(move |_| {
            requests
                .with(|rows: &Vec<NetworkRow>| backend.with(|events| place_events(rows, events)))
        });
        Self {
            state: RwSignal::new(PlaybackState::Loading),
            time: RwSignal::new(0),
            duration: RwSignal::new(0),
            speed: RwSignal::new(1.0),
            errors: RwSignal::new(Vec::new()),
            markers: RwSignal::new(Vec::new()),
            crumbs: RwSignal::new(Vec::new()),
            gaps: RwSignal::new(Vec::new()),
            viewport: RwSignal::new(DEFAULT_VIEWPORT),
            url: RwSignal::new(None),
            pointer: RwSignal::new(None),
            ripple: RwSignal::new(None),
            trail_on: RwSignal::new(false),
            trail: RwSignal::new(Vec::new()),
            skipped: RwSignal::new(0),
            skip: RwSignal::new(true),
            idle: RwSignal::new(Vec::new()),
            activity: RwSignal::new(Vec::new()),
            requests,
            meta: RwSignal::new(None),
            backend,
            backend_failure: RwSignal::new(None),
            backend_details_loading: RwSignal::new(false),
            placed,
        }
    }

    /// Copies what the chrome shows from the player; `full` also copies the timeline's lists
    /// (after a segment arrived).
    pub fn sync(&self, player: &Player, full: bool) {
        let time = player.time();
        let mirror = player.mirror();
        let timeline = player.timeline();
        set_if_changed(self.state, player.state());
        set_if_changed(self.time, time);
        set_if_changed(self.duration, player.duration());
        set_if_changed(self.skipped, mirror.skipped());
        let viewport = mirror
            .viewport()
            .or_else(|| timeline.meta().map(|m| (m.width, m.height)))
            .unwrap_or(DEFAULT_VIEWPORT);
        set_if_changed(self.viewport, (viewport.0.max(1), viewport.1.max(1)));
        set_if_changed(self.url, mirror.url().map(str::to_owned));
        set_if_changed(self.pointer, timeline.pointer().position_at(time));
        set_if_changed(self.ripple, timeline.pointer().click_at(time));
        let trail = if self.trail_on.get_untracked() {
            timeline.pointer().trail_at(time)
        } else {
            Vec::new()
        };
        set_if_changed(self.trail, trail);
        if full {
            set_if_changed(self.errors, timeline.errors().to_vec());
            set_if_changed(self.markers, timeline.markers().to_vec());
            set_if_changed(self.crumbs, timeline.crumbs().to_vec());
            set_if_changed(self.gaps, timeline.gaps().to_vec());
            set_if_changed(self.requests, timeline.requests().to_vec());
            set_if_changed(self.meta, timeline.meta());
            set_if_changed(self.idle, player.idle_ranges().to_vec());
            let counts = activity(timeline.events(), player.duration(), ACTIVITY_BUCKETS);
            set_if_changed(self.activity, normalized(&counts));
        }
    }
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|current| *current != value) {
        signal.set(value);
    }
}
