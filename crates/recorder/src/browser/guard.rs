//! Callbacks the browser calls (event listeners, observers, timers) behind a JavaScript
//! `try/catch` (`guard` in `js/hooks.js`): whatever the recorder throws, even a trap of its wasm,
//! stays out of the page's `error` handlers.

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/hooks.js")]
extern "C" {
    /// A function that calls `callback` and swallows what it throws.
    #[wasm_bindgen(js_name = guard)]
    fn guard_js(callback: &JsValue) -> Function;
}

/// A closure and the guarded function that calls it; the function works while this lives.
pub(crate) struct Guarded<T: ?Sized> {
    _closure: Closure<T>,
    function: Function,
}

impl<T: ?Sized> Guarded<T> {
    /// Guards `closure`.
    pub(crate) fn new(closure: Closure<T>) -> Self {
        let function = guard_js(closure.as_ref());
        Self {
            _closure: closure,
            function,
        }
    }

    /// The guarded function, to hand to the browser.
    pub(crate) fn function(&self) -> &Function {
        &self.function
    }
}

/// Guards a closure called once, which frees itself after the call.
pub(crate) fn once(callback: impl FnOnce() + 'static) -> Function {
    guard_js(&Closure::once_into_js(callback))
}
