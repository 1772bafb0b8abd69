//! The `/replays/{id}?t={ms}` page: loads the replay's segments and plays them in a sandboxed
//! `<iframe>`.
//!
//! The [`Player`] and the [`Renderer`] live outside the reactive graph in one stored value; after
//! every step what the chrome shows is copied into signals, which thin components read: the
//! timeline markers, the mouse pointer overlay and the side panels (console, network, errors,
//! metadata). The backend errors linked to the replay load beside the segments; when they cannot
//! be loaded the player plays on without them.

mod backend_loader;
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod control_tests;
mod controls;
mod error_panel;
mod metadata_panel;
mod network_panel;
mod panels;
mod side;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use sightline_protocol::decode_segment;
use wasm_bindgen::JsCast;

use self::backend_loader::{BackendRequest, load_backend_events};
use self::controls::Controls;
pub(crate) use self::error_panel::stack_view;
use self::panels::{ActivityGraph, Markers, PointerLayer};
use self::side::{SidePanels, Tab};
use crate::api::{ReplaySummary, format_clock, format_started, replay_path, segment_path};
use crate::app::{Auth, TokenGate};
use crate::http::{FetchError, get_bytes, get_json};
use crate::player::{PlaybackState, Player, SPEEDS, Step};
use crate::render::Renderer;
use crate::shortcuts::{Shortcut, is_text_field, seek_by};
use crate::timeline::Timeline;

/// How often the playhead moves while playing.
const TICK: Duration = Duration::from_millis(50);

/// Room kept below the stage for the play button, scrubber and clock, in CSS pixels.
const CONTROLS_HEIGHT: f64 = 72.0;

/// The stage never shrinks below this height, however small the window.
const MIN_STAGE_HEIGHT: f64 = 240.0;

/// The player page.
#[component]
pub fn PlayerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let start_at = query
        .get_untracked()
        .get("t")
        .and_then(|t| t.trim().parse::<u64>().ok());
    let focus_event = StoredValue::new(query.get_untracked().get("event"));
    view! {
        <TokenGate>
            {move || {
                params
                    .with(|p| p.get("id"))
                    .map(|id| {
                        view! {
                            <ReplayPlayer
                                id=id
                                start_at=start_at
                                focus_event=focus_event.get_value()
                                options=PlayerOptions {
                                    page: true,
                                    ..PlayerOptions::default()
                                }
                            />
                        }
                    })
            }}
        </TokenGate>
    }
}

/// What another page asks of an embedded player (see [`crate::embed`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Start playing.
    Play,
    /// Stop the playhead.
    Pause,
    /// Move the playhead to this many ms from the replay's start.
    Seek(u64),
}

/// Commands waiting for the player's next tick.
pub type CommandQueue = Arc<Mutex<Vec<Command>>>;

/// How a player is embedded: where its API is and who listens to it.
#[derive(Clone, Default)]
pub struct PlayerOptions {
    /// Prefix of every API URL (`https://sightline.example`), empty for the viewer's own origin.
    pub base: String,
    /// Told the playhead whenever it moves.
    pub on_time: Option<Callback<u64>>,
    /// Told an error marker's offset and title when it is clicked.
    pub on_error_click: Option<Callback<(u64, String)>>,
    /// Commands from the embedding page.
    pub commands: Option<CommandQueue>,
    /// The viewer's own page: a heading and side panels, the stage fits the window, and the
    /// keyboard shortcuts also work when nothing has the focus. An embedded player is just the
    /// player, as wide as its container.
    pub page: bool,
}

/// What lives outside the reactive graph: the engine and the DOM it renders into.
struct Session {
    player: Option<Player>,
    renderer: Option<Renderer>,
    last_tick: f64,
}

/// The player for one replay.
#[component]
pub fn ReplayPlayer(
    /// The replay id.
    id: String,
    /// Open paused at this offset (ms).
    start_at: Option<u64>,
    /// Play from `start_at` and pause on this error (a JS error's or a linked backend error's
    /// event id).
    focus_event: Option<String>,
    /// Embedding options.
    #[prop(optional)]
    options: PlayerOptions,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let controls = Controls::new();
    let base = options.base.clone();
    let focus_pending = StoredValue::new(focus_event.clone());
    let opened_at_error = focus_event.is_some();
    let panel_id = id.clone();
    let summary = RwSignal::new(None::<ReplaySummary>);
    let failure = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(0u32);
    let iframe = NodeRef::<leptos::html::Iframe>::new();
    let stage = NodeRef::<leptos::html::Div>::new();
    let stage_width = RwSignal::new(0.0f64);
    let stage_max_height = RwSignal::new(0.0f64);
    let session = StoredValue::new_local(Session {
        player: None,
        renderer: None,
        last_tick: js_sys::Date::now(),
    });

    // Runs `action` on the player, renders what changed and updates the controls.
    let drive = move |action: &dyn Fn(&mut Player) -> Step, full: bool| {
        session.try_update_value(|session| {
            let Some(player) = session.player.as_mut() else {
                return;
            };
            let step = action(player);
            match session.renderer.as_mut() {
                Some(renderer) => renderer.update(player.mirror(), &step),
                None => {
                    let document = iframe
                        .get_untracked()
                        .and_then(|frame| frame.content_document());
                    if let Some(document) = document {
                        let mut renderer = Renderer::new(document);
                        renderer.rebuild(player.mirror());
                        session.renderer = Some(renderer);
                    }
                }
            }
            if full
                && let Some(event) = focus_pending.get_value()
                && let Some(step) = player.focus_error(&event).or_else(|| {
                    let offset = controls.placed.with_untracked(|placed| {
                        placed
                            .iter()
                            .find(|p| p.event.id == event)
                            .and_then(|p| p.offset)
                    })?;
                    Some(player.focus_at(offset))
                })
            {
                focus_pending.set_value(None);
                if let Some(renderer) = session.renderer.as_mut() {
                    renderer.update(player.mirror(), &step);
                }
            }
            controls.sync(player, full);
        });
    };

    // The backend errors linked to the replay, beside the segments; once listed, a deep link to
    // one of them can find where to pause.
    let events_id = id.clone();
    let events_base = options.base.clone();
    let with_details = options.page;
    leptos::task::spawn_local(async move {
        let Some(token) = auth.token_untracked() else {
            return;
        };
        let request = BackendRequest {
            base: events_base,
            replay_id: events_id,
            token,
            with_details,
        };
        load_backend_events(request, controls, move || drive(&|_| Step::Nothing, true)).await;
    });

    // Load the summary, then every segment in order; the first one starts the show.
    let load_id = id.clone();
    leptos::task::spawn_local(async move {
        let Some(token) = auth.token_untracked() else {
            return;
        };
        let url = format!("{base}{}", replay_path(&load_id));
        let replay = match get_json::<ReplaySummary>(&url, &token).await {
            Ok(replay) => replay,
            Err(FetchError::Unauthorized) => return auth.reject(),
            Err(error) => {
                failure.try_set(Some(error.to_string()));
                return;
            }
        };
        let count = replay.segment_count;
        let origin = replay.started_at_ms;
        let known_duration = replay.duration_ms;
        if summary.try_set(Some(replay)).is_some() {
            return;
        }
        let mut early_gaps: Vec<(u32, String)> = Vec::new();
        for index in 0..count {
            let url = format!("{base}{}", segment_path(&load_id, index));
            let bytes = get_bytes(&url, &token).await;
            let segment = match bytes {
                Err(FetchError::Unauthorized) => return auth.reject(),
                Err(error) => Err(error.to_string()),
                Ok(bytes) => decode_segment(&bytes).map_err(|e| e.to_string()),
            };
            let alive = session.try_update_value(|session| match (&mut session.player, segment) {
                (Some(player), Ok(segment)) => Some(player.push_segment(&segment)),
                (Some(player), Err(reason)) => {
                    player.record_gap(index, reason);
                    None
                }
                (None, Err(reason)) => {
                    early_gaps.push((index, reason));
                    None
                }
                (None, Ok(segment)) => {
                    let origin = if origin > 0 {
                        origin
                    } else {
                        segment.header.start
                    };
                    let mut player =
                        Player::new(Timeline::new(origin).with_known_duration(known_duration));
                    for (gap, reason) in early_gaps.drain(..) {
                        player.record_gap(gap, reason);
                    }
                    player.set_skip_inactivity(controls.skip.get_untracked());
                    player.push_segment(&segment);
                    match start_at {
                        Some(t) => {
                            player.seek(t);
                            if focus_event.is_some() {
                                player.play();
                            }
                        }
                        None => {
                            player.play();
                        }
                    }
                    session.player = Some(player);
                    session.last_tick = js_sys::Date::now();
                    Some(Step::Rebuild)
                }
            });
            let Some(step) = alive else {
                return;
            };
            let step = step.unwrap_or(Step::Nothing);
            drive(&move |_| step.clone(), true);
            loaded.try_set(index + 1);
        }
        let started = session
            .try_with_value(|s| s.player.is_some())
            .unwrap_or(true);
        if !started {
            failure.try_set(Some(if count == 0 {
                "This replay has no segments yet.".to_owned()
            } else {
                "None of the replay's segments could be loaded.".to_owned()
            }));
        }
    });

    // Move the playhead while playing; run what the embedding page asked for.
    let commands = options.commands.clone();
    let interval = set_interval_with_handle(
        move || {
            let pending = commands
                .as_ref()
                .and_then(|queue| queue.lock().ok().map(|mut q| std::mem::take(&mut *q)))
                .unwrap_or_default();
            for command in pending {
                match command {
                    Command::Play => drive(&Player::play, false),
                    Command::Pause => drive(
                        &|p| {
                            p.pause();
                            Step::Nothing
                        },
                        false,
                    ),
                    Command::Seek(t) => drive(&move |p| p.seek(t), false),
                }
            }
            let now = js_sys::Date::now();
            let elapsed = session
                .try_update_value(|s| {
                    let elapsed = now - s.last_tick;
                    s.last_tick = now;
                    elapsed
                })
                .unwrap_or(0.0);
            if controls.state.get_untracked() == PlaybackState::Playing {
                drive(&move |p| p.advance(elapsed), false);
            }
        },
        TICK,
    )
    .ok();
    let page = options.page;
    let measure = move || {
        if let Some(el) = stage.get_untracked() {
            stage_width.set(f64::from(el.client_width()));
            // Leave room below the stage for the controls, so they stay on screen.
            let window_height = window()
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
            let top = el.get_bounding_client_rect().top() + window().scroll_y().unwrap_or(0.0);
            // A full-screen player fits the screen; an embedded one is as wide as its container.
            if document().fullscreen_element().is_some() {
                stage_max_height.set((window_height - 2.0 * CONTROLS_HEIGHT).max(MIN_STAGE_HEIGHT));
            } else if page {
                stage_max_height.set((window_height - top - CONTROLS_HEIGHT).max(MIN_STAGE_HEIGHT));
            } else {
                stage_max_height.set(0.0);
            }
        }
    };
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    // Fired at the full-screen element; it bubbles up to the window.
    let fullscreen_change = window_event_listener_untyped("fullscreenchange", move |_| measure());
    on_cleanup(move || {
        if let Some(handle) = interval {
            handle.clear();
        }
        resize.remove();
        fullscreen_change.remove();
    });
    Effect::new(move || {
        if stage.get().is_some() {
            measure();
        }
    });

    let toggle = move |_| drive(&Player::toggle, false);
    let seek = move |t: u64| drive(&move |p| p.seek(t), false);
    let set_speed = move |speed: f64| {
        controls.speed.set(speed);
        drive(
            &move |p| {
                p.set_speed(speed);
                Step::Nothing
            },
            false,
        );
    };
    let toggle_skip = move |_| {
        let skip = !controls.skip.get_untracked();
        controls.skip.set(skip);
        drive(
            &move |p| {
                p.set_skip_inactivity(skip);
                Step::Nothing
            },
            false,
        );
    };
    let toggle_trail = move |_| {
        controls.trail_on.set(!controls.trail_on.get_untracked());
        drive(&|_| Step::Nothing, false);
    };
    let player_root = NodeRef::<leptos::html::Div>::new();
    let fullscreen = move |_| {
        let document = document();
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        } else if let Some(root) = player_root.get_untracked() {
            let _ = root.request_fullscreen();
        }
    };
    // Space, arrows and 1–5; `true` when the key was a shortcut.
    let on_key = move |ev: &web_sys::KeyboardEvent| -> bool {
        let in_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .is_some_and(|el| {
                let input_type = el.get_attribute("type").unwrap_or_default();
                is_text_field(&el.tag_name(), &input_type, el.is_content_editable())
            });
        let modified = ev.ctrl_key() || ev.meta_key() || ev.alt_key();
        let Some(shortcut) = Shortcut::for_key(&ev.key(), modified, in_field) else {
            return false;
        };
        ev.prevent_default();
        match shortcut {
            Shortcut::TogglePlay => drive(&Player::toggle, false),
            Shortcut::SeekBy(by) => drive(
                &move |p| {
                    let t = seek_by(p.time(), by, p.duration());
                    p.seek(t)
                },
                false,
            ),
            Shortcut::Speed(speed) => set_speed(speed),
        }
        true
    };
    let on_player_key = move |ev: leptos::ev::KeyboardEvent| {
        if on_key(&ev) {
            ev.stop_propagation();
        }
    };
    let global_keys = options.page.then(|| {
        window_event_listener(leptos::ev::keydown, move |ev| {
            // Only when nothing else has the focus: the player handles its own keys.
            let on_body = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                .is_some_and(|el| el.tag_name().eq_ignore_ascii_case("body"));
            if on_body {
                on_key(&ev);
            }
        })
    });
    on_cleanup(move || {
        if let Some(handle) = global_keys {
            handle.remove();
        }
    });
    if let Some(on_time) = options.on_time {
        Effect::new(move || on_time.run(controls.time.get()));
    }
    let on_error_click = options.on_error_click;
    let link_base = options.base.clone();
    let on_scrub = move |ev: leptos::ev::Event| {
        let value = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value_as_number());
        if let Some(value) = value.filter(|v| v.is_finite() && *v >= 0.0) {
            seek(value as u64);
        }
    };
    let on_speed = move |ev: leptos::ev::Event| {
        let value = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .and_then(|select| select.value().parse::<f64>().ok());
        if let Some(speed) = value {
            set_speed(speed);
        }
    };

    let viewport = move || controls.viewport.get();
    let scale = move || {
        let (width, height) = viewport();
        let available = stage_width.get();
        if available > 0.0 {
            let by_width = available / f64::from(width);
            let by_height = match stage_max_height.get() {
                max if max > 0.0 => max / f64::from(height),
                _ => f64::INFINITY,
            };
            by_width.min(by_height).min(1.0)
        } else {
            1.0
        }
    };
    let stage_style = move || {
        let (_, height) = viewport();
        format!("height:{:.0}px", f64::from(height) * scale())
    };
    let frame_style = move || {
        let (width, height) = viewport();
        let scale = scale();
        let left = ((stage_width.get() - f64::from(width) * scale) / 2.0).max(0.0);
        format!("width:{width}px;height:{height}px;left:{left:.0}px;transform:scale({scale:.4})")
    };
    let on_seek = Callback::new(seek);
    let header = move || {
        summary.get().map(|replay| {
            let first_url = replay.first_url().to_owned();
            view! {
                <div class="replay-meta">
                    <span class="url" data-sl-url="" title="The page's address at this moment">
                        {move || {
                            controls.url.get().unwrap_or_else(|| first_url.clone())
                        }}
                    </span>
                    <span>{format_started(&replay.started_at)}</span>
                    <span>{replay.release.clone()}</span>
                    <span>{replay.environment.clone()}</span>
                </div>
            }
        })
    };
    let progress = move || {
        let total = summary.with(|s| s.as_ref().map_or(0, |s| s.segment_count));
        let done = loaded.get();
        (done < total).then(|| format!("Loading segment {} of {total}…", done + 1))
    };

    view! {
        <section class="replay">
            {page.then(|| view! { <h1>"Replay " <code>{id}</code></h1> })}
            {header}
            {move || failure.get().map(|message| view! { <p class="error">{message}</p> })}
            <div class=if page { "replay-body with-panels" } else { "replay-body" }>
            <div class="player-column">
            <div
                class="player"
                data-sl-player=""
                tabindex="0"
                node_ref=player_root
                on:keydown=on_player_key
                data-sl-state=move || controls.state.get().as_str()
                data-sl-time=move || controls.time.get().to_string()
            >
                <div class="stage" node_ref=stage style=stage_style>
                    <div class="screen" style=frame_style>
                        <iframe
                            sandbox="allow-same-origin"
                            title="Recorded page"
                            node_ref=iframe
                        ></iframe>
                        <PointerLayer controls=controls />
                    </div>
                </div>
                <div class="controls">
                    <button
                        class="play"
                        data-sl-action="play"
                        on:click=toggle
                        disabled=move || controls.state.get() == PlaybackState::Loading
                    >
                        {move || match controls.state.get() {
                            PlaybackState::Playing => "Pause",
                            PlaybackState::Ended => "Replay",
                            _ => "Play",
                        }}
                    </button>
                    <div class="track">
                        <input
                            type="range"
                            data-sl-scrubber=""
                            min="0"
                            step="1"
                            max=move || controls.duration.get().to_string()
                            prop:value=move || controls.time.get().to_string()
                            on:input=on_scrub
                        />
                        <ActivityGraph controls=controls />
                        <Markers
                            controls=controls
                            on_seek=on_seek
                            on_error=on_error_click
                            link_base=link_base.clone()
                        />
                    </div>
                    <span class="clock" data-sl-clock="">
                        {move || format_clock(controls.time.get())}
                        " / "
                        {move || format_clock(controls.duration.get())}
                    </span>
                    <select class="speed" on:change=on_speed title="Playback speed">
                        {SPEEDS
                            .iter()
                            .map(|speed| {
                                let speed = *speed;
                                view! {
                                    <option
                                        value=speed.to_string()
                                        selected=move || controls.speed.get() == speed
                                    >
                                        {format!("{speed}×")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button
                        class="toggle"
                        data-sl-action="skip-inactivity"
                        aria-pressed=move || controls.skip.get().to_string()
                        title="Jump over stretches of more than 5 s without user activity"
                        on:click=toggle_skip
                    >
                        "Skip inactivity"
                    </button>
                    <button
                        class="toggle"
                        data-sl-action="trail"
                        aria-pressed=move || controls.trail_on.get().to_string()
                        title="Show the pointer's recent path"
                        on:click=toggle_trail
                    >
                        "Trail"
                    </button>
                    <button
                        data-sl-action="fullscreen"
                        title="Fullscreen"
                        on:click=fullscreen
                    >
                        "Fullscreen"
                    </button>
                </div>
                <p class="muted">{progress}</p>
            </div>
            </div>
            {page
                .then(|| {
                    let initial = if opened_at_error { Tab::Network } else { Tab::Console };
                    view! {
                        <SidePanels
                            controls=controls
                            on_seek=on_seek
                            replay_id=panel_id.clone()
                            summary=summary
                            initial=initial
                        />
                    }
                })}
            </div>
        </section>
    }
}
