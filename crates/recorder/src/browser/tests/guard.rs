//! What the browser calls into the recorder (listeners, observers, timers) never throws into the
//! page: a failing recorder callback does not reach the page's `error` handlers.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Event, EventTarget};

use super::TestResult;
use crate::browser::listener::{Listener, Phase};

#[wasm_bindgen_test]
fn a_recorder_listener_that_throws_never_reaches_the_pages_error_handlers() -> TestResult {
    let window = web_sys::window().ok_or("no window")?;
    let errors = Rc::new(Cell::new(0u32));
    let seen = Rc::clone(&errors);
    let on_error = Closure::<dyn FnMut(Event)>::new(move |_| seen.set(seen.get() + 1));
    window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())?;

    let target = EventTarget::new()?;
    let ran = Rc::new(Cell::new(0u32));
    let calls = Rc::clone(&ran);
    let listener = Listener::new(&target, "ping", Phase::Bubble, move |_| {
        calls.set(calls.get() + 1);
        wasm_bindgen::throw_str("the recorder failed");
    })?;
    let delivered = target.dispatch_event(&Event::new("ping")?)?;

    window.remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())?;
    drop(listener);
    assert!(delivered, "the event was dispatched as usual");
    assert_eq!(ran.get(), 1, "the recorder's listener ran");
    assert_eq!(
        errors.get(),
        0,
        "its failure reached the page's error handler"
    );
    Ok(())
}
