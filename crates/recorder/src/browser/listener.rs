//! Event listeners and timers that clean up after themselves.

use wasm_bindgen::prelude::*;
use web_sys::{AddEventListenerOptions, Event, EventTarget};

use super::guard::Guarded;

/// An event listener that removes itself from its target when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Guarded<dyn FnMut(Event)>,
}

/// How a listener is added.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// Bubbling phase.
    Bubble,
    /// Capture phase: the page cannot stop the event from reaching the recorder first, and events
    /// that do not bubble (focus, scroll, media) are seen on the document too.
    Capture,
}

impl Listener {
    /// Adds `handler` for `kind` events on `target`. Every listener is passive: the recorder never
    /// cancels an event, and the browser need not wait for it before scrolling.
    pub(crate) fn new(
        target: &EventTarget,
        kind: &'static str,
        phase: Phase,
        handler: impl FnMut(Event) + 'static,
    ) -> Result<Self, JsValue> {
        let capture = matches!(phase, Phase::Capture);
        let callback = Guarded::new(Closure::<dyn FnMut(Event)>::new(handler));
        let options = AddEventListenerOptions::new();
        options.set_capture(capture);
        options.set_passive(true);
        target.add_event_listener_with_callback_and_add_event_listener_options(
            kind,
            callback.function(),
            &options,
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
            self.callback.function(),
            self.capture,
        );
    }
}
