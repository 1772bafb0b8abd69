//! Reading an [`ErrorReport`] out of whatever the page threw or rejected with.

use js_sys::{JSON, Reflect};
use sightline_protocol::v1::StackFrame;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, PromiseRejectionEvent};

use crate::error_report::ErrorReport;

/// The report for a thrown value: an `Error` (any subclass) or anything else.
pub(crate) fn report_for_value(value: &JsValue) -> ErrorReport {
    let Some(error) = value.dyn_ref::<js_sys::Error>() else {
        return ErrorReport {
            message: describe(value),
            ..ErrorReport::default()
        };
    };
    let mut error_type = String::from(error.name());
    // A subclass that does not set `name` reports "Error"; its constructor says more.
    if error_type == "Error" {
        let constructor = String::from(error.constructor().name());
        if !constructor.is_empty() && constructor != "Object" {
            error_type = constructor;
        }
    }
    ErrorReport {
        error_type,
        message: String::from(error.message()),
        stack: Reflect::get(value, &JsValue::from_str("stack"))
            .ok()
            .and_then(|stack| stack.as_string()),
        location: None,
    }
}

/// The report for a window `error` event. Cross-origin scripts give no error object ("Script
/// error."), so the event's own message and position are the fallback.
pub(crate) fn report_for_error_event(event: &ErrorEvent) -> ErrorReport {
    let error = event.error();
    let mut report = if error.is_null() || error.is_undefined() {
        ErrorReport {
            message: event.message(),
            ..ErrorReport::default()
        }
    } else {
        report_for_value(&error)
    };
    let filename = event.filename();
    if !filename.is_empty() {
        report.location = Some(StackFrame {
            function: String::new(),
            filename,
            lineno: event.lineno(),
            colno: event.colno(),
        });
    }
    report
}

/// The report for an `unhandledrejection` event.
pub(crate) fn report_for_rejection(event: &PromiseRejectionEvent) -> ErrorReport {
    let reason = event.reason();
    let mut report = report_for_value(&reason);
    if reason.dyn_ref::<js_sys::Error>().is_none() {
        report.error_type = "UnhandledRejection".to_owned();
    }
    report
}

/// A thrown non-`Error` value as text: strings as they are, the rest as JSON.
fn describe(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    JSON::stringify(value)
        .ok()
        .and_then(|json| json.as_string())
        .unwrap_or_else(|| {
            if value.is_undefined() {
                "undefined".to_owned()
            } else {
                "[unserializable value]".to_owned()
            }
        })
}
