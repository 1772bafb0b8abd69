//! Transparent wrappers around page functions: `history.pushState` / `replaceState` (single-page
//! navigation), `Element.prototype.attachShadow` (shadow roots attached after the snapshot),
//! `console.debug/log/info/warn/error` (breadcrumbs), and the CSSOM methods of
//! [`stylesheets`](super::stylesheets).
//!
//! A wrapper is a `Proxy` of the original function whose `apply` trap calls the original with the
//! very `this` and arguments it got, returns what the original returned and throws what it threw.
//! Only after the original returned does it tell the recorder. The traps are JavaScript
//! (`js/hooks.js`, shipped with the wasm-bindgen glue) and call into the recorder inside
//! try/catch, so not even a trap of the wasm module can throw into the page. A proxy keeps the
//! original's `name` and `length`, and its source reads as native code. The wrappers are installed
//! once per page and stay (the page may hold references to them); without a running recorder they
//! only forward. `fetch` and `XMLHttpRequest` are wrapped the same way by
//! [`network`](super::network).

use std::cell::Cell;

use js_sys::{Array, Error as JsErrorValue, Function, JSON, JsString, Object, Promise, Reflect};
use sightline_protocol::v1::NavigationKind;
use wasm_bindgen::prelude::*;
use web_sys::Window;

use super::recorder::with_recorder;
use crate::breadcrumb::{ConsoleMethod, MAX_ARGUMENT_BYTES, MAX_ARGUMENTS, console_breadcrumb};

#[wasm_bindgen(module = "/js/hooks.js")]
extern "C" {
    /// Wraps `target[name]` in a proxy that calls `after(this, arguments)` once the original
    /// returned; false when it is not a function or cannot be replaced.
    fn wrap(target: &Object, name: &str, after: &JsValue) -> bool;

    /// `fetch(url, init)` with the page's fetch from before any wrapper.
    #[wasm_bindgen(js_name = uploadFetch, catch)]
    pub(crate) fn upload_fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue>;

    /// Sets the recorder's `begin` and `end` callbacks of the network wrappers.
    pub(crate) fn network(begin: &JsValue, end: &JsValue);

    /// `new RegExp(source, flags)`, or `null` when that throws.
    pub(crate) fn regex(source: &str, flags: &str) -> JsValue;

    /// Wraps `target.fetch`.
    #[wasm_bindgen(js_name = wrapFetch)]
    pub(crate) fn wrap_fetch(target: &JsValue) -> bool;

    /// Wraps `open`, `setRequestHeader` and `send` of an `XMLHttpRequest` prototype.
    #[wasm_bindgen(js_name = wrapXhr)]
    pub(crate) fn wrap_xhr(prototype: &JsValue) -> bool;
}

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the history and console methods of `window`, once per page.
pub(crate) fn install(window: &Window) {
    if INSTALLED.with(|installed| installed.replace(true)) {
        return;
    }
    super::stylesheets::install(window);
    super::network::install(window);
    if let Ok(history) = Reflect::get(window, &JsValue::from_str("history"))
        && let Ok(history) = history.dyn_into::<Object>()
    {
        for (name, kind) in [
            ("pushState", NavigationKind::Push),
            ("replaceState", NavigationKind::Replace),
        ] {
            wrap_method(&history, name, move |_, _| {
                with_recorder(|recorder| recorder.record_navigation(kind));
            });
        }
    }
    // Shadow roots attached after the snapshot: `attachShadow` makes no DOM mutation.
    if let Ok(element) = Reflect::get(window, &JsValue::from_str("Element"))
        && let Ok(prototype) = Reflect::get(&element, &JsValue::from_str("prototype"))
        && let Ok(prototype) = prototype.dyn_into::<Object>()
    {
        wrap_method(&prototype, "attachShadow", |host, _| {
            if let Some(host) = host.dyn_ref::<web_sys::Element>() {
                with_recorder(|recorder| recorder.record_attached_shadow(host));
            }
        });
    }
    if let Ok(console) = Reflect::get(window, &JsValue::from_str("console"))
        && let Ok(console) = console.dyn_into::<Object>()
    {
        for method in ConsoleMethod::ALL {
            wrap_method(&console, method.name(), move |_, arguments| {
                record_console(method, arguments);
            });
        }
    }
}

/// [`wrap`] with any JS function as the callback, for tests of what a failing callback does.
#[cfg(test)]
pub(crate) fn wrap_for_test(target: &Object, name: &str, after: &JsValue) -> bool {
    wrap(target, name, after)
}

/// Replaces the function `target[name]` by a transparent proxy that calls `after(this, arguments)`
/// once the original returned. Returns false (and changes nothing) when `target[name]` is not a
/// function or cannot be replaced.
pub(crate) fn wrap_method(
    target: &Object,
    name: &str,
    after: impl Fn(&JsValue, &Array) + 'static,
) -> bool {
    let after = Closure::<dyn Fn(JsValue, Array)>::new(move |this: JsValue, arguments: Array| {
        after(&this, &arguments);
    });
    let wrapped = wrap(target, name, after.as_ref());
    if wrapped {
        // The page may keep the wrapper for as long as it lives, so the callback must too.
        after.forget();
    }
    wrapped
}

fn record_console(method: ConsoleMethod, arguments: &Array) {
    // Reading the arguments costs the page time, so do it only while recording.
    let Some(mask) = with_recorder(|recorder| recorder.privacy().config().mask_all_text) else {
        return;
    };
    let format = arguments.get(0).is_string();
    let texts: Vec<String> = arguments
        .iter()
        .take(MAX_ARGUMENTS)
        .map(|argument| argument_text(&argument))
        .collect();
    let breadcrumb = console_breadcrumb(method, &texts, format, mask);
    with_recorder(|recorder| recorder.record_breadcrumb(breadcrumb));
}

/// One console argument as text, roughly as a console prints it, read in bounded size: strings
/// as they are, errors as `Name: message`, arrays and plain objects as JSON, the rest through
/// `String()`.
fn argument_text(value: &JsValue) -> String {
    let text = if let Some(text) = value.dyn_ref::<JsString>() {
        text.clone()
    } else if let Some(error) = value.dyn_ref::<JsErrorValue>() {
        error
            .name()
            .concat(&JsValue::from_str(": "))
            .concat(&error.message())
    } else if is_plain(value) {
        JSON::stringify(value).unwrap_or_else(|_| JsString::from("[object]"))
    } else {
        string_of(value)
    };
    // Cut in JS first, so that a huge argument is never copied whole into the recorder.
    let limit = u32::try_from(MAX_ARGUMENT_BYTES).unwrap_or(u32::MAX);
    let text = if text.length() > limit {
        text.slice(0, limit)
    } else {
        text
    };
    String::from(text)
}

/// Whether `value` is an array or an object made by a literal (or with no prototype).
fn is_plain(value: &JsValue) -> bool {
    if Array::is_array(value) {
        return true;
    }
    let Some(object) = value.dyn_ref::<Object>() else {
        return false;
    };
    if value.is_function() {
        return false;
    }
    let prototype = Object::get_prototype_of(object);
    prototype.is_null() || Object::is(&prototype, &Object::get_prototype_of(&Object::new()).into())
}

/// `String(value)`, or `[object]` when that throws (objects without a usable `toString`).
fn string_of(value: &JsValue) -> JsString {
    let string = Reflect::get(&js_sys::global(), &JsValue::from_str("String"))
        .ok()
        .and_then(|string| string.dyn_into::<Function>().ok());
    string
        .and_then(|string| string.call1(&JsValue::UNDEFINED, value).ok())
        .and_then(|text| text.dyn_into::<JsString>().ok())
        .unwrap_or_else(|| JsString::from("[object]"))
}
