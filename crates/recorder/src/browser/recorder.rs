//! The running recorder: the session, the node ids and everything hooked into the page.
//!
//! It lives in a thread-local slot; every callback borrows it with `try_borrow_mut` and does
//! nothing when it is gone or busy, so a callback can never panic into the page.

use std::cell::RefCell;

use js_sys::Array;
use sightline_protocol::v1::{EventData, MouseInteraction};
use wasm_bindgen::prelude::*;
use web_sys::{
    Document, ErrorEvent, Event, EventTarget, MouseEvent, MutationObserver, MutationObserverInit,
    PromiseRejectionEvent, VisibilityState, Window,
};

use super::error_value::{report_for_error_event, report_for_rejection};
use super::mirror::Mirror;
use super::mutations::mutation_from_records;
use super::privacy::{Context, Privacy};
use super::snapshot::serialize;
use super::upload::{BrowserTransport, warn_once};
use crate::dsn::Dsn;
use crate::error_report::ErrorReport;
use crate::ids::hex_id;
use crate::mask::PrivacyConfig;
use crate::session::Session;
use crate::transport::Delivery;

/// How often buffered events are uploaded, in ms.
const UPLOAD_INTERVAL_MS: i32 = 5_000;

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Runs `f` on the running recorder; `None` when there is none (or it is busy).
pub(crate) fn with_recorder<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    RECORDER.with(|slot| slot.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Takes the running recorder out of its slot.
pub(crate) fn take_recorder() -> Option<Recorder> {
    RECORDER.with(|slot| slot.try_borrow_mut().ok()?.take())
}

/// An event listener that removes itself from its target when dropped.
struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    fn new(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        handler: impl FnMut(Event) + 'static,
    ) -> Result<Self, JsValue> {
        let callback = Closure::<dyn FnMut(Event)>::new(handler);
        target.add_event_listener_with_callback_and_bool(
            kind,
            callback.as_ref().unchecked_ref(),
            capture,
        )?;
        Ok(Self {
            target: target.clone(),
            kind,
            capture,
            callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// A recording in progress.
pub(crate) struct Recorder {
    session: Session<BrowserTransport>,
    mirror: Mirror,
    privacy: Privacy,
    window: Window,
    observer: MutationObserver,
    _on_mutations: Closure<dyn FnMut(Array)>,
    _listeners: Vec<Listener>,
    interval: i32,
    _on_tick: Closure<dyn FnMut()>,
}

impl Recorder {
    /// Starts recording the page: meta event, full snapshot, observers, listeners and the upload
    /// timer. The snapshot is uploaded at once.
    pub(crate) fn start(
        dsn: &Dsn,
        release: &str,
        environment: &str,
        privacy: PrivacyConfig,
    ) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let document = window
            .document()
            .ok_or_else(|| JsValue::from_str("no document"))?;
        let replay_id = hex_id(random_bytes(&window));
        let mut session = Session::new(dsn, replay_id, release, environment, BrowserTransport);
        let time = now();
        session.record(time, meta(&window)?);
        let mut mirror = Mirror::new();
        let privacy = Privacy::new(privacy, &document);
        if let Some(root) = serialize(&mut mirror, &privacy, &document, 0, Context::default()) {
            session.record(time, EventData::FullSnapshot { root });
        }

        let on_mutations = Closure::<dyn FnMut(Array)>::new(|records: Array| {
            with_recorder(|recorder| recorder.record_mutations(&records));
        });
        let observer = MutationObserver::new(on_mutations.as_ref().unchecked_ref())?;
        let options = MutationObserverInit::new();
        options.set_child_list(true);
        options.set_attributes(true);
        options.set_character_data(true);
        options.set_subtree(true);
        observer.observe_with_options(&document, &options)?;

        let listeners = listeners(&window, &document)?;
        let on_tick = Closure::<dyn FnMut()>::new(|| {
            with_recorder(|recorder| {
                if recorder.session.has_pending() {
                    recorder.flush(Delivery::Background);
                }
            });
        });
        let interval = window.set_interval_with_callback_and_timeout_and_arguments_0(
            on_tick.as_ref().unchecked_ref(),
            UPLOAD_INTERVAL_MS,
        )?;
        let mut recorder = Self {
            session,
            mirror,
            privacy,
            window,
            observer,
            _on_mutations: on_mutations,
            _listeners: listeners,
            interval,
            _on_tick: on_tick,
        };
        recorder.flush(Delivery::Background);
        RECORDER.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = Some(recorder);
            }
        });
        Ok(())
    }

    /// The replay id of this recording.
    pub(crate) fn replay_id(&self) -> &str {
        self.session.replay_id()
    }

    /// Records an error the page reported; returns its event id.
    pub(crate) fn record_error(&mut self, report: ErrorReport) -> String {
        self.take_pending_mutations();
        let event_id = hex_id(random_bytes(&self.window));
        self.session.record_error(now(), report, event_id)
    }

    /// Uploads everything recorded so far.
    pub(crate) fn flush(&mut self, delivery: Delivery) {
        self.take_pending_mutations();
        if self.session.flush(delivery).is_err() {
            warn_once("Sightline: events could not be encoded", &JsValue::NULL);
        }
    }

    /// Records DOM changes the observer has queued but not yet delivered, so that they keep
    /// their place before whatever is recorded next.
    fn take_pending_mutations(&mut self) {
        let records = self.observer.take_records();
        if records.length() > 0 {
            self.record_mutations(&records);
        }
    }

    fn record_mutations(&mut self, records: &Array) {
        if let Some(mutation) = mutation_from_records(&mut self.mirror, &self.privacy, records) {
            self.session.record(now(), EventData::Mutation(mutation));
        }
    }

    fn record_click(&mut self, event: &Event) {
        let Some(mouse) = event.dyn_ref::<MouseEvent>() else {
            return;
        };
        self.take_pending_mutations();
        // The target may be unrecorded (inside a clipped subtree): use its nearest recorded
        // ancestor.
        let mut node = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
        while let Some(current) = node {
            if let Some(id) = self.mirror.id_of(&current) {
                self.session.record(
                    now(),
                    EventData::MouseInteraction {
                        interaction: MouseInteraction::Click,
                        id,
                        x: mouse.client_x(),
                        y: mouse.client_y(),
                    },
                );
                return;
            }
            node = current.parent_node();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.observer.disconnect();
        self.window.clear_interval_with_handle(self.interval);
    }
}

fn listeners(window: &Window, document: &Document) -> Result<Vec<Listener>, JsValue> {
    let on_hide = |_: Event| {
        with_recorder(|recorder| recorder.flush(Delivery::Unload));
    };
    let hidden_document = document.clone();
    Ok(vec![
        // Capture phase: the page cannot stop the click from reaching us first.
        Listener::new(document, "click", true, |event| {
            with_recorder(|recorder| recorder.record_click(&event));
        })?,
        Listener::new(window, "error", false, |event| {
            if let Some(event) = event.dyn_ref::<ErrorEvent>() {
                let report = report_for_error_event(event);
                with_recorder(|recorder| recorder.record_error(report));
            }
        })?,
        Listener::new(window, "unhandledrejection", false, |event| {
            if let Some(event) = event.dyn_ref::<PromiseRejectionEvent>() {
                let report = report_for_rejection(event);
                with_recorder(|recorder| recorder.record_error(report));
            }
        })?,
        Listener::new(window, "pagehide", false, on_hide)?,
        Listener::new(document, "visibilitychange", false, move |event| {
            if hidden_document.visibility_state() == VisibilityState::Hidden {
                on_hide(event);
            }
        })?,
    ])
}

fn meta(window: &Window) -> Result<EventData, JsValue> {
    let pixels = |value: JsValue| {
        // Viewport sizes are small non-negative numbers.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        value.as_f64().map_or(0, |pixels| pixels as u32)
    };
    Ok(EventData::Meta {
        href: window.location().href()?,
        width: pixels(window.inner_width()?),
        height: pixels(window.inner_height()?),
        user_agent: window.navigator().user_agent()?,
    })
}

/// The current time in ms since the Unix epoch.
fn now() -> u64 {
    // `Date.now()` is a non-negative integer.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let now = js_sys::Date::now() as u64;
    now
}

/// 16 random bytes from `crypto.getRandomValues`, or `Math.random` where crypto is missing.
fn random_bytes(window: &Window) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = window
        .crypto()
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes))
        .is_ok();
    if !filled {
        for byte in &mut bytes {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let random = (js_sys::Math::random() * 256.0) as u8;
            *byte = random;
        }
    }
    bytes
}
