//! The functions the ES module exports to JavaScript.

use std::cell::RefCell;

use js_sys::{Array, JSON, Object, Promise, Reflect};
use sightline_protocol::v1::Level;
use wasm_bindgen::prelude::*;

use super::error_value::report_for_value;
use super::network::propagation_targets;
use super::recorder::{Recorder, now, take_recorder, with_recorder};
use super::tab_storage;
use super::upload::{self, BrowserTransport, idle};
use crate::breadcrumb::{MAX_DATA_BYTES, MESSAGE_CATEGORY, app_breadcrumb, parse_level};
use crate::dsn::Dsn;
use crate::error_report::ErrorReport;
use crate::ids::hex_id;
use crate::mask::{MAX_SELECTORS, PrivacyConfig, RawOption};
use crate::sampling::SampleRates;
use crate::scope::{MAX_TAGS, MAX_USER_FIELDS, Scope};
use crate::transport::Delivery;

thread_local! {
    /// The user and tags, kept across recordings (and set before the first one starts).
    static SCOPE: RefCell<Scope> = RefCell::new(Scope::default());
}

#[wasm_bindgen(typescript_custom_section)]
const START_OPTIONS: &str = r#"
/** Options of `start`. */
export interface StartOptions {
  /** Where to upload: `https://{public_key}@{host}/{project_id}`. */
  dsn: string;
  /** The page's release, such as `shop@1.4.2`. */
  release?: string | null;
  /** The deployment environment; `production` when absent. */
  environment?: string | null;
  /** Mask all page text (every non-space character becomes `*`); default true. */
  maskAllText?: boolean | string;
  /** Mask all input values (recorded as `********`); default true. Passwords always are. */
  maskAllInputs?: boolean | string;
  /** Replace images, video, audio, canvas and cross-origin embeds by sized placeholders;
   * default true. */
  blockAllMedia?: boolean | string;
  /** Selectors of subtrees whose text and inputs are masked (besides `.sl-mask`,
   * `[data-sl-mask]`); an array or one comma-separated string. */
  mask?: string[] | string;
  /** Selectors of subtrees recorded unmasked (besides `.sl-unmask`, `[data-sl-unmask]`). */
  unmask?: string[] | string;
  /** Selectors of elements recorded as placeholders (besides `.sl-block`, `[data-sl-block]`). */
  block?: string[] | string;
  /** Selectors of media recorded although `blockAllMedia` is on (besides `.sl-unblock`). */
  unblock?: string[] | string;
  /** Selectors of inputs whose input events are not recorded (besides `.sl-ignore`). */
  ignore?: string[] | string;
  /** Which requests get `sentry-trace`, `baggage` and `traceparent` headers; default: the page's
   * own origin only. A string starting with `/` is a same-origin path prefix, one with a scheme a
   * prefix of the absolute URL, any other an exact `host[:port]`; a `RegExp` is tested against
   * the absolute URL. One comma-separated string also works (`/…/flags` entries with regex syntax
   * are regexes). An empty list traces nothing. */
  tracePropagationTargets?: Array<string | RegExp> | string | RegExp;
  /** Share of tab sessions (0 to 1) recorded and uploaded in full; default 1. The decision is
   * kept for the tab's replay, which continues across page loads (in `sessionStorage` under
   * `sightline.replay`) until 15 minutes without activity or 60 minutes in all. */
  sessionSampleRate?: number | string;
  /** Share of the other sessions (0 to 1) recorded in buffer mode: the last 30 to 60 seconds are
   * kept in memory and uploaded when a JS error, `captureException` or a failed request happens,
   * and recording goes on in full from there; default 1. Sessions sampled by neither send
   * nothing (requests still get trace headers, without a replay id). */
  onErrorSampleRate?: number | string;
  /** Milliseconds between two checkpoints (full snapshots, from which the viewer seeks);
   * default 30000; 0 turns periodic checkpoints off (a mutation flood still ends in one). */
  checkpointIntervalMs?: number | string;
  /** Most bytes of recording (uncompressed) kept while the server cannot be reached; default
   * 8 MiB, at least 4 KiB, at most 64 MiB. Beyond it the oldest segments without an error are
   * dropped first, and a later segment says what was dropped. */
  offlineBufferBytes?: number | string;
}

/** Severity of a message or breadcrumb. */
export type SeverityLevel = "debug" | "log" | "info" | "warning" | "error" | "fatal";

/** The user of the session, as `setUser` takes it: values are recorded as text. */
export interface User {
  id?: string | number;
  email?: string;
  username?: string;
  ip_address?: string;
  segment?: string;
  [key: string]: string | number | boolean | null | undefined;
}

/** A breadcrumb, as `addBreadcrumb` takes it. */
export interface BreadcrumbInput {
  /** What it is about, such as `auth` or `ui.click`; default `custom`. */
  category?: string;
  /** What happened. */
  message?: string;
  /** Default `info`. */
  level?: SeverityLevel;
  /** Extra data, recorded as JSON (left out beyond 4 KiB). */
  data?: Record<string, unknown>;
}

/** `window.Sightline`, defined by the `/sdk/sightline.js` loader. Calls made before the recorder
 * has loaded are queued and run in order. */
export interface SightlineLoader {
  /** Resolves to the replay id, or null when the session is not sampled or cannot record. */
  init(options: StartOptions | string): Promise<string | null>;
  captureException(error: unknown): string | undefined;
  captureMessage(message: string, level?: SeverityLevel): string | undefined;
  setUser(user: User | null): void;
  setTag(key: string, value: string | number | boolean | null | undefined): void;
  setTags(tags: Record<string, string | number | boolean | null | undefined>): void;
  addBreadcrumb(breadcrumb: BreadcrumbInput): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
  getReplayId(): string | null;
}
"#;

/// Starts recording the page and returns the replay id: the tab's replay continued after a page
/// load, else a new one. Takes `{dsn, release, environment, sessionSampleRate, onErrorSampleRate,
/// …}` (or just the DSN string). Returns `undefined` when the session is not sampled (nothing is
/// recorded; requests are still traced). When a recording is already running, it keeps running
/// and its replay id is returned.
///
/// # Errors
/// Throws when the DSN is missing or invalid, or the page has no document.
#[wasm_bindgen]
pub fn start(
    #[wasm_bindgen(unchecked_param_type = "StartOptions | string")] options: JsValue,
) -> Result<Option<String>, JsError> {
    if with_recorder(|_| ()).is_some() {
        return Ok(get_replay_id());
    }
    if upload::is_off() {
        // The page's CSP blocks the upload origin: recording stays off on this page.
        return Ok(None);
    }
    // Read with `Reflect` rather than serde-wasm-bindgen: the serde path linked float formatting
    // and its error machinery, a fifth of the bundle, to read three strings.
    let option = |name: &str| {
        js_sys::Reflect::get(&options, &JsValue::from_str(name))
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    };
    let dsn = match options.as_string() {
        Some(dsn) => dsn,
        None => option("dsn"),
    };
    if dsn.is_empty() {
        return Err(JsError::new("Sightline: start() needs a `dsn` option"));
    }
    let dsn = Dsn::parse(&dsn)?;
    let rates = sample_rates(&options);
    let window = web_sys::window().ok_or_else(|| JsError::new("Sightline needs a window"))?;
    let tab = tab_storage::begin(&window, rates, now(), || {
        hex_id(super::recorder::random_bytes(&window))
    });
    if let Some(limit) = number_option(&options, "offlineBufferBytes") {
        upload::set_limit(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    upload::watch_csp(&format!("{}://{}", dsn.scheme, dsn.host));
    // Before the first segment of this page is queued: the earlier pages' go first.
    upload::restore(tab.replay_id.clone());
    Recorder::start_in(
        &dsn,
        tab,
        rates,
        &option("release"),
        &option("environment"),
        privacy_config(&options),
        Box::new(BrowserTransport),
    )
    .map_err(|_| JsError::new("Sightline could not start recording this page"))?;
    let targets = js_sys::Reflect::get(&options, &JsValue::from_str("tracePropagationTargets"))
        .unwrap_or(JsValue::UNDEFINED);
    let targets = propagation_targets(&targets);
    let events = SCOPE.with(|scope| scope.borrow().events());
    let interval = number_option(&options, "checkpointIntervalMs");
    with_recorder(|recorder| {
        recorder.set_targets(targets);
        if let Some(interval) = interval {
            recorder.set_checkpoint_interval(interval);
        }
        for event in events {
            recorder.record(event);
        }
    });
    Ok(get_replay_id())
}

/// Reads option `name` as a finite non-negative integer, given as a number or as text (loader
/// attributes).
fn number_option(options: &JsValue, name: &str) -> Option<u64> {
    let value = Reflect::get(options, &JsValue::from_str(name)).ok()?;
    // `as` saturates huge ones.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let number = value
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n as u64);
    // Integers in text parse without the float tables.
    number.or_else(|| value.as_string()?.trim().parse().ok())
}

/// Reads `sessionSampleRate` and `onErrorSampleRate`, as numbers or as text (loader attributes).
/// Text is read with JavaScript's `parseFloat` (Rust's float parser would add its tables to the
/// bundle); empty or unreadable values keep the default.
fn sample_rates(options: &JsValue) -> SampleRates {
    let rate = |name: &str| {
        let value = Reflect::get(options, &JsValue::from_str(name)).ok()?;
        if let Some(rate) = value.as_f64() {
            return Some(rate);
        }
        let text = value.as_string().filter(|text| !text.trim().is_empty())?;
        Some(js_sys::Number::parse_float(&text))
    };
    if !options.is_object() {
        return SampleRates::default();
    }
    SampleRates::new(rate("sessionSampleRate"), rate("onErrorSampleRate"))
}

/// Records `error` (an `Error` or any thrown value) as a JS error of the replay; returns its event
/// id, or `undefined` when not recording.
#[wasm_bindgen(js_name = captureException)]
pub fn capture_exception(error: JsValue) -> Option<String> {
    let report = report_for_value(&error);
    with_recorder(|recorder| recorder.record_error(report))
}

/// Records a message: at level `error` or `fatal` as an error of the replay (listed with its
/// errors, uploaded promptly; returns its event id), at any other level (default `info`) as a
/// breadcrumb of category `message` (returns `undefined`). Also `undefined` when not recording.
#[wasm_bindgen(js_name = captureMessage)]
pub fn capture_message(
    message: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "SeverityLevel")] level: Option<String>,
) -> Option<String> {
    let level = level
        .as_deref()
        .and_then(parse_level)
        .unwrap_or(Level::Info);
    if matches!(level, Level::Error | Level::Fatal) {
        let report = ErrorReport {
            error_type: "Message".to_owned(),
            message: message.to_owned(),
            ..ErrorReport::default()
        };
        return with_recorder(|recorder| recorder.record_error(report));
    }
    let breadcrumb = app_breadcrumb(MESSAGE_CATEGORY, level, message, "");
    with_recorder(|recorder| recorder.record_app_breadcrumb(breadcrumb));
    None
}

/// Records a breadcrumb `{category, message, level, data}`; `data` is recorded as JSON. Nothing
/// is masked: the application chose what it says.
#[wasm_bindgen(js_name = addBreadcrumb)]
pub fn add_breadcrumb(
    #[wasm_bindgen(unchecked_param_type = "BreadcrumbInput")] breadcrumb: JsValue,
) {
    if !breadcrumb.is_object() {
        return;
    }
    let field = |name: &str| Reflect::get(&breadcrumb, &JsValue::from_str(name)).ok();
    let text = |name: &str| {
        field(name)
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    };
    let level = parse_level(&text("level")).unwrap_or(Level::Info);
    let data = field("data")
        .filter(JsValue::is_object)
        .and_then(|data| JSON::stringify(&data).ok())
        .filter(|json| json.length() as usize <= MAX_DATA_BYTES)
        .map(String::from)
        .unwrap_or_default();
    let breadcrumb = app_breadcrumb(&text("category"), level, &text("message"), &data);
    with_recorder(|recorder| recorder.record_app_breadcrumb(breadcrumb));
}

/// Sets the user of the session (`{id, email, username, …}`; values recorded as text), or clears
/// it with `null`; anything else is ignored. Kept for later recordings too.
#[wasm_bindgen(js_name = setUser)]
pub fn set_user(#[wasm_bindgen(unchecked_param_type = "User | null")] user: JsValue) {
    if !(user.is_object() || user.is_null() || user.is_undefined()) {
        return;
    }
    let fields = user
        .is_object()
        .then(|| entries(&user, MAX_USER_FIELDS * 2))
        .map(|entries| {
            entries
                .into_iter()
                .filter_map(|(key, value)| Some((key, value?)))
                .collect()
        });
    let event = SCOPE.with(|scope| scope.borrow_mut().set_user(fields));
    with_recorder(|recorder| recorder.record(event));
}

/// Sets one tag of the session; `null` or `undefined` removes it. Kept for later recordings too.
#[wasm_bindgen(js_name = setTag)]
pub fn set_tag(
    key: &str,
    #[wasm_bindgen(unchecked_param_type = "string | number | boolean | null | undefined")]
    value: JsValue,
) {
    apply_tags(vec![(key.to_owned(), text_of(&value))]);
}

/// Sets several tags of the session at once, like `setTag` for each entry.
#[wasm_bindgen(js_name = setTags)]
pub fn set_tags(
    #[wasm_bindgen(
        unchecked_param_type = "Record<string, string | number | boolean | null | undefined>"
    )]
    tags: JsValue,
) {
    if tags.is_object() {
        apply_tags(entries(&tags, MAX_TAGS * 2));
    }
}

fn apply_tags(tags: Vec<(String, Option<String>)>) {
    let Some(event) = SCOPE.with(|scope| scope.borrow_mut().set_tags(tags)) else {
        return;
    };
    with_recorder(|recorder| recorder.record(event));
}

/// The first `limit` own enumerable string-keyed entries of `object`, values as text.
fn entries(object: &JsValue, limit: usize) -> Vec<(String, Option<String>)> {
    let Some(object) = object.dyn_ref::<Object>() else {
        return Vec::new();
    };
    Object::entries(object)
        .iter()
        .take(limit)
        .filter_map(|entry| {
            let entry = Array::from(&entry);
            Some((entry.get(0).as_string()?, text_of(&entry.get(1))))
        })
        .collect()
}

/// A tag or user value as text: strings as they are, numbers and booleans written out; `None`
/// for `null`, `undefined` and objects.
fn text_of(value: &JsValue) -> Option<String> {
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    if let Some(flag) = value.as_bool() {
        return Some(if flag { "true" } else { "false" }.to_owned());
    }
    // `Number.prototype.toString`, not Rust's float formatting (which would grow the bundle).
    value
        .dyn_ref::<js_sys::Number>()
        .and_then(|number| number.to_string_with_radix(10).ok())
        .map(String::from)
}

/// Uploads everything recorded so far; the promise resolves once every pending segment has been
/// uploaded or has failed. It never rejects.
#[wasm_bindgen(unchecked_return_type = "Promise<void>")]
pub fn flush() -> Promise {
    with_recorder(|recorder| recorder.flush(Delivery::Background));
    idle()
}

/// Stops recording and uploads what is left; the promise resolves like `flush()`'s. This ends the
/// tab's replay: a later `start` (on this page or the next) begins a new one.
#[wasm_bindgen(unchecked_return_type = "Promise<void>")]
pub fn stop() -> Promise {
    if let Some(mut recorder) = take_recorder() {
        recorder.flush(Delivery::Background);
        tab_storage::forget(recorder.window());
    }
    idle()
}

/// The id of the replay being recorded, or `undefined` when not recording.
#[wasm_bindgen(js_name = getReplayId)]
pub fn get_replay_id() -> Option<String> {
    with_recorder(|recorder| recorder.replay_id().map(str::to_owned)).flatten()
}

/// Reads the privacy options of `start`: flags as booleans or strings, selector lists as arrays
/// or strings. A bare DSN string leaves every default on.
pub(crate) fn privacy_config(options: &JsValue) -> PrivacyConfig {
    if !options.is_object() {
        return PrivacyConfig::default();
    }
    PrivacyConfig::from_options(|name| {
        let value = js_sys::Reflect::get(options, &JsValue::from_str(name)).ok()?;
        if let Some(flag) = value.as_bool() {
            return Some(RawOption::Bool(flag));
        }
        if let Some(text) = value.as_string() {
            return Some(RawOption::Text(text));
        }
        if js_sys::Array::is_array(&value) {
            let items = js_sys::Array::from(&value)
                .iter()
                .take(MAX_SELECTORS)
                .filter_map(|item| item.as_string())
                .collect();
            return Some(RawOption::List(items));
        }
        None
    })
}
