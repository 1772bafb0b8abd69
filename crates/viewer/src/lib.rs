//! Sightline's viewer: the issues list and issue page, releases, alerts, the replays list and the
//! replay player, a Leptos client-side app compiled to WebAssembly and served by the Sightline
//! server under `/viewer/`.
//!
//! The issue pages keep their logic in plain Rust too: [`issue_query`] holds the list's query and
//! order in the address bar, [`sparkline`] draws an issue's last day, [`issue`], [`release`] and
//! [`event_detail`] read the API leniently (free-form SDK data through the bounded [`loose`]
//! value) and turn it into rows, [`format`](mod@format) prints counts and times.
//!
//! The replay engine is plain Rust, unit-tested natively: [`timeline`] merges the events of every
//! decoded segment (and collects the [`markers`], breadcrumbs and [`pointer`](mod@pointer) track the player's
//! chrome shows), [`mirror`] keeps the recorded page as an id → node map with the state besides
//! it (form values, scroll, media, stylesheets), [`sanitize`] decides what of it may reach the
//! browser, and [`player`] moves a playhead over the timeline (skipping the idle stretches
//! [`activity`] finds, pausing on a deep link's error). The player keeps copies of the mirror
//! every few seconds of activity, made as segments arrive, so that a seek anywhere applies at
//! most a few seconds of events whatever the session's length (`cargo xtask bench seek`
//! measures it; `tests/replay_fixtures.rs` checks that a seek shows what playing shows). [`shortcuts`] maps keys to player
//! actions and [`deep_link`] turns an event into "open replay at error".
//!
//! The backend errors a session caused ([`backend`], from `GET /api/0/replays/{id}/events/`) are
//! joined to the recorded requests by trace and span id ([`network`]) and placed on the timeline
//! at the failing request; the side panels' rows are plain Rust too: [`network`] for the network
//! panel, [`error_list`] and [`stack`] for the errors panel (JS and backend errors with their
//! stack traces), [`metadata`] and [`user_agent`] for the metadata panel. Only the renderer
//! (which builds the page in a sandboxed `<iframe>`) and the Leptos UI are browser-only.
//!
//! The trace page follows one request across services: [`trace`] reads the trace API
//! (`GET /api/0/traces/{id}/`: spans, errors, logs) and [`waterfall`] lays its spans out as a
//! tree on one time axis, marks the failing and slow ones and names the service that failed.
//!
//! Signing in: the viewer's own pages use the server's session cookie ([`login`] checks it on
//! start, signs in with a link's `?token=`, and shows the sign-in page while signed out); every
//! state change sends the session's CSRF token. An embedded player sends its own token as a
//! bearer and never the cookies ([`session::Credential`]).
//!
//! The same module serves two kinds of pages: the viewer's own (`www/viewer/index.html`, whose
//! `<body data-sl-viewer-app>` makes [`start`] mount the app with its routes), and any page
//! embedding players through [`embed::mount`] or the `<sightline-player>` custom element of
//! `www/player/sightline-player.js`.
//!
//! ```
//! use sightline_protocol::v1::{Event, EventData, Node, SegmentHeader};
//! use sightline_protocol::DecodedSegment;
//! use sightline_viewer::player::Player;
//! use sightline_viewer::timeline::Timeline;
//!
//! let page = Node::Document {
//!     id: 1,
//!     children: vec![Node::element(2, "html", vec![], vec![Node::text(3, "hello")])],
//! };
//! let segment = DecodedSegment {
//!     header: SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 1_000).with_end(2_000),
//!     events: vec![Event::new(0, EventData::FullSnapshot { root: page.clone() })],
//! };
//! let mut player = Player::new(Timeline::from_segments(&[segment]));
//! player.seek(500);
//! assert_eq!(player.mirror().to_tree(), Some(page));
//! assert_eq!(player.duration(), 1_000);
//! ```

pub mod activity;
pub mod api;
pub mod backend;
pub mod css_head;
pub mod deep_link;
pub mod error_list;
pub mod event_detail;
pub mod format;
pub mod issue;
pub mod issue_query;
pub mod loose;
pub mod markers;
pub mod metadata;
pub mod mirror;
pub mod network;
pub mod player;
pub mod pointer;
pub mod release;
pub mod sanitize;
pub mod session;
pub mod shortcuts;
pub mod sparkline;
pub mod stack;
pub mod timeline;
pub mod token;
pub mod trace;
pub mod user_agent;
pub mod waterfall;

pub mod alert_list;
pub mod app;
pub mod embed;
pub mod event_page;
#[cfg(all(test, target_arch = "wasm32"))]
mod fake_issues;
#[cfg(all(test, target_arch = "wasm32"))]
mod fake_server;
#[cfg(all(test, target_arch = "wasm32"))]
mod fake_session;
#[cfg(all(test, target_arch = "wasm32"))]
mod fake_traces;
pub mod http;
#[cfg(all(test, target_arch = "wasm32"))]
mod issue_browser_tests;
pub mod issue_list;
pub mod issue_page;
pub mod login;
#[cfg(all(test, target_arch = "wasm32"))]
mod login_browser_tests;
pub mod player_view;
pub mod release_pages;
pub mod render;
pub mod replay_list;
#[cfg(all(test, target_arch = "wasm32"))]
mod trace_browser_tests;
pub mod trace_page;

/// The attribute on the viewer page's `<body>` (`www/viewer/index.html`) that asks for the app.
pub const APP_MARKER: &str = "data-sl-viewer-app";

/// Runs when the wasm module is instantiated (not in the crate's own browser tests, which bring
/// their own page): mounts the viewer on `document.body` when the page is the viewer's own
/// (its body carries [`APP_MARKER`]). A page embedding players loads the same module and calls
/// [`embed::mount`] instead.
#[cfg_attr(not(test), wasm_bindgen::prelude::wasm_bindgen(start))]
pub fn start() {
    console_error_panic_hook::set_once();
    let is_app = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .is_some_and(|body| body.has_attribute(APP_MARKER));
    if is_app {
        leptos::mount::mount_to_body(app::App);
    }
}
