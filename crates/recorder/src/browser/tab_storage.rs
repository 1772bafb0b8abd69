//! The tab's replay in `sessionStorage` (under [`STORAGE_KEY`]), so that a full page load in the
//! same tab continues the same replay.
//!
//! Storage can be missing or throw (sandboxed frames, disabled storage, quota): then every page
//! load starts a new replay, and nothing reaches the page.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::Window;

use crate::sampling::SampleRates;
use crate::tab_session::{STORAGE_KEY, TabSession};

/// `window.sessionStorage`, or `None` where reading it is refused.
fn storage(window: &Window) -> Option<JsValue> {
    Reflect::get(window, &JsValue::from_str("sessionStorage"))
        .ok()
        .filter(JsValue::is_object)
}

/// Calls `storage[method](args…)`, swallowing what it throws.
fn call(storage: &JsValue, method: &str, args: &[&str]) -> Option<JsValue> {
    let function: Function = Reflect::get(storage, &JsValue::from_str(method))
        .ok()?
        .dyn_into()
        .ok()?;
    match args {
        [key] => function.call1(storage, &JsValue::from_str(key)).ok(),
        [key, value] => function
            .call2(storage, &JsValue::from_str(key), &JsValue::from_str(value))
            .ok(),
        _ => None,
    }
}

/// The stored value, if any.
fn load(window: &Window) -> Option<String> {
    call(&storage(window)?, "getItem", &[STORAGE_KEY])?.as_string()
}

/// Stores `tab` for the next page load of this tab.
pub(crate) fn save(window: &Window, tab: &TabSession) {
    if let Some(storage) = storage(window) {
        call(&storage, "setItem", &[STORAGE_KEY, &tab.encode()]);
    }
}

/// Ends the tab's replay: the next page load or `start` begins a new one.
pub(crate) fn forget(window: &Window) {
    if let Some(storage) = storage(window) {
        call(&storage, "removeItem", &[STORAGE_KEY]);
    }
}

/// Continues the tab's stored replay at `now`, or starts a new one with id `new_id()` sampled by
/// `rates`; the result is stored.
pub(crate) fn begin(
    window: &Window,
    rates: SampleRates,
    now: u64,
    new_id: impl FnOnce() -> String,
) -> TabSession {
    let tab = TabSession::resume(load(window).as_deref(), now)
        .unwrap_or_else(|| new_tab(rates, now, new_id()));
    save(window, &tab);
    tab
}

/// A new replay `replay_id` starting at `now`, sampled by `rates` with `Math.random`.
pub(crate) fn new_tab(rates: SampleRates, now: u64, replay_id: String) -> TabSession {
    let sampling = rates.decide(js_sys::Math::random(), js_sys::Math::random());
    TabSession::new(replay_id, now, sampling)
}
