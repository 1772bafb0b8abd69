//! Sightline's browser SDK: records a page as a DOM snapshot (shadow roots included) plus
//! mutations, CSSOM edits and adopted stylesheets, what the user does (inputs, clicks and other
//! pointer, touch and focus interactions, mouse moves, scrolls, resizes, media playback),
//! single-page navigations, console breadcrumbs, JS errors and every `fetch` / `XMLHttpRequest`
//! call, and uploads the events as compact replay segments to a Sightline server. Requests to the
//! page's own origin (or its `tracePropagationTargets`) carry `sentry-trace`, `baggage` and
//! `traceparent` headers, so that a backend error links to the exact request of the session.
//!
//! The crate compiles to WebAssembly and is loaded by `www/sdk/sightline.js` (a classic script) or
//! imported as the ES module in `pkg/`. Its JavaScript API is `start({dsn, release, environment,
//! tracePropagationTargets, sessionSampleRate, onErrorSampleRate, …privacy options})`,
//! `captureException(error)`, `captureMessage(message, level)`, `setUser(user)`,
//! `setTag(key, value)`, `setTags(tags)`, `addBreadcrumb({category, message, level, data})`,
//! `flush()`, `stop()` and `getReplayId()`.
//!
//! A tab's replay continues across page loads (`sessionStorage`, [`tab_session`]) until 15
//! minutes without activity or an hour in all. Sessions not sampled in full can be kept in a
//! short memory buffer that is uploaded when an error happens ([`buffer`]); uploads that fail are
//! retried with backoff within a bounded [`outbox`].
//!
//! Privacy is on by default: all text and input values are masked and media is blocked before
//! anything is serialized, unless the page opts out ([`mask`]).
//!
//! Everything that needs no DOM is plain Rust and tested natively: parsing the [`dsn`], making
//! [`ids`], the [`mask`] rules, sampling [`pointer`](mod@pointer) moves, [`throttle`]d scrolls and resizes,
//! console [`breadcrumb`]s, [`navigation`] kinds, parsing [`stack`] traces, trace
//! [`propagation`] (targets, headers, baggage), recorded request [`url`]s and [`network`] events,
//! the user and tags [`scope`], cutting buffered events into numbered [`segmenter::Segment`]s and
//! driving a [`session::Session`] over a [`transport::Transport`]: the tab's replay kept across
//! page loads ([`tab_session`]), [`sampling`] and buffer mode's [`buffer`], early uploads of large
//! segments ([`event_size`]) and retries with backoff ([`outbox`]). Only the `browser` module
//! (compiled for `wasm32` alone) touches `web-sys`; it wraps page functions (`history`,
//! `console`, CSSOM, `attachShadow`, `fetch`, `XMLHttpRequest`) with transparent proxies, written
//! in JavaScript (`js/hooks.js`), that return and throw exactly what the originals do and never
//! let a recorder failure reach the page.
//!
//! ```
//! use sightline_protocol::decode_segment;
//! use sightline_protocol::v1::EventData;
//! use sightline_recorder::dsn::Dsn;
//! use sightline_recorder::sampling::Sampling;
//! use sightline_recorder::session::Session;
//! use sightline_recorder::tab_session::TabSession;
//! use sightline_recorder::transport::{CapturingTransport, Delivery};
//!
//! let dsn = Dsn::parse("http://publickey@127.0.0.1:8080/1")?;
//! let transport = CapturingTransport::new();
//! let replay_id = sightline_recorder::ids::hex_id([7; 16]);
//! let tab = TabSession::new(replay_id, 1_700_000_000_000, Sampling::Session);
//! let mut session = Session::new(&dsn, tab, "shop@1.0.0", "", transport.clone());
//! session.record(1_700_000_000_000, EventData::Meta {
//!     href: "http://127.0.0.1:8080/demo/".into(),
//!     width: 1280,
//!     height: 720,
//!     user_agent: "Mozilla/5.0".into(),
//! });
//! session.flush(Delivery::Background)?;
//! let segment = decode_segment(&transport.segment_bytes()?[0])?;
//! assert_eq!(segment.header.release, "shop@1.0.0");
//! assert_eq!(transport.uploads()[0].url, "http://127.0.0.1:8080/api/1/replay/?sentry_key=publickey");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod breadcrumb;
#[cfg(target_arch = "wasm32")]
mod browser;
pub mod buffer;
pub mod dsn;
pub mod error_report;
pub mod event_size;
pub mod ids;
pub mod mask;
pub mod navigation;
pub mod network;
pub mod outbox;
pub mod persisted;
pub mod pointer;
pub mod propagation;
pub mod sampling;
pub mod scope;
pub mod segmenter;
pub mod session;
pub mod stack;
pub mod tab_session;
pub mod throttle;
pub mod transport;
pub mod url;
