//! `fetch` and `XMLHttpRequest`: trace headers on requests to the propagation targets, and a
//! network event for every request.
//!
//! The wrappers are JavaScript (`js/hooks.js`): they read the trace headers a request already
//! has, ask [`begin`] what to add, call the original with the page's own `this` and (for fetch, a
//! copy of) its arguments, and report the end to [`end`]. Deciding (targets, ids, baggage) and
//! recording happen here and in the plain-Rust [`propagation`](crate::propagation) and
//! [`network`](crate::network) modules.

use std::cell::RefCell;

use js_sys::{Array, Reflect, RegExp};
use wasm_bindgen::prelude::*;
use web_sys::Window;

use super::hooks::{network, regex, wrap_fetch, wrap_xhr};
use super::recorder::with_recorder;
use crate::ids::hex_id;
use crate::network::FinishedRequest;
use crate::propagation::PageHeaders;
use crate::propagation::targets::{
    MAX_TARGETS, Pattern, Target, TargetSpec, Targets, parse_target_list,
};

thread_local! {
    /// The page view's trace id, made on first use and kept across recordings.
    static TRACE_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The trace id of this page view (32 hex).
pub(crate) fn page_trace_id(random: impl FnOnce() -> [u8; 16]) -> String {
    TRACE_ID.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| hex_id(random()))
            .clone()
    })
}

/// A page's `RegExp` target.
#[derive(Debug, Clone)]
pub(crate) struct JsPattern(RegExp);

impl Pattern for JsPattern {
    fn is_match(&self, url: &str) -> bool {
        // `g` and `y` regexes remember where they stopped; every URL is tested from the start.
        self.0.set_last_index(0);
        self.0.test(url)
    }
}

/// Reads `tracePropagationTargets`: an array of strings and `RegExp`s, one `RegExp`, or a
/// comma-separated string (the loader attribute). Absent means the default, the page's origin.
pub(crate) fn propagation_targets(option: &JsValue) -> Targets<JsPattern> {
    if option.is_undefined() || option.is_null() {
        return Targets::SameOrigin;
    }
    let mut targets = Vec::new();
    if let Some(text) = option.as_string() {
        for spec in parse_target_list(&text) {
            match spec {
                TargetSpec::Text(text) => targets.extend(Target::text(&text)),
                TargetSpec::Regex { source, flags } => {
                    // An invalid regex is left out.
                    if let Ok(regex) = regex(&source, &flags).dyn_into::<RegExp>() {
                        targets.push(Target::Pattern(JsPattern(regex)));
                    }
                }
            }
        }
        return Targets::List(targets);
    }
    let items = if Array::is_array(option) {
        Array::from(option)
    } else {
        Array::of1(option)
    };
    for item in items.iter().take(MAX_TARGETS) {
        if let Some(text) = item.as_string() {
            targets.extend(Target::text(&text));
        } else if let Ok(regex) = item.dyn_into::<RegExp>() {
            targets.push(Target::Pattern(JsPattern(regex)));
        }
    }
    Targets::List(targets)
}

/// Installs the `fetch` and `XMLHttpRequest` wrappers of `window`.
pub(crate) fn install(window: &Window) {
    let begin = Closure::<dyn Fn(String, JsValue, JsValue, JsValue, bool) -> JsValue>::new(begin);
    let end = Closure::<dyn Fn(String, String, f64, f64, String, String, JsValue)>::new(end);
    network(begin.as_ref(), end.as_ref());
    // The wrappers call them for as long as the page lives.
    begin.forget();
    end.forget();
    wrap_fetch(window);
    if let Ok(xhr) = Reflect::get(window, &JsValue::from_str("XMLHttpRequest"))
        && let Ok(prototype) = Reflect::get(&xhr, &JsValue::from_str("prototype"))
        && prototype.is_object()
    {
        wrap_xhr(&prototype);
    }
}

/// A request to `url` is about to be sent with these trace headers: returns `undefined` when not
/// recording, else `[traceId, spanId, sentryTrace?, traceparent?, baggage?]`. `can_add` says
/// whether the wrapper can add headers to this request.
fn begin(
    url: String,
    sentry_trace: JsValue,
    traceparent: JsValue,
    baggage: JsValue,
    can_add: bool,
) -> JsValue {
    let (sentry_trace, traceparent, baggage) = (
        sentry_trace.as_string(),
        traceparent.as_string(),
        baggage.as_string(),
    );
    let page = PageHeaders {
        sentry_trace: sentry_trace.as_deref(),
        traceparent: traceparent.as_deref(),
        baggage: baggage.as_deref(),
    };
    let Some(Some(trace)) = with_recorder(|recorder| recorder.trace_request(&url, &page, can_add))
    else {
        return JsValue::UNDEFINED;
    };
    let header = |value: Option<String>| value.map_or(JsValue::UNDEFINED, |v| v.into());
    Array::of5(
        &trace.trace_id.into(),
        &trace.span_id.into(),
        &header(trace.sentry_trace),
        &header(trace.traceparent),
        &header(trace.baggage),
    )
    .into()
}

/// A request ended: `status` 0 without a response; `started` in ms since the epoch.
fn end(
    method: String,
    url: String,
    status: f64,
    started: f64,
    trace_id: String,
    span_id: String,
    content_length: JsValue,
) {
    let content_length = content_length.as_string();
    // Statuses are small integers and times non-negative ones; `as` saturates anything else.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (status, started) = (status as u16, started as u64);
    with_recorder(|recorder| {
        recorder.record_request(FinishedRequest {
            method: &method,
            url: &url,
            status,
            started,
            ended: super::recorder::now(),
            trace_id: &trace_id,
            span_id: &span_id,
            content_length: content_length.as_deref(),
        });
    });
}
