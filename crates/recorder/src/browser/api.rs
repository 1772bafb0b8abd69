//! The functions the ES module exports to JavaScript.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::error_value::report_for_value;
use super::recorder::{Recorder, take_recorder, with_recorder};
use super::upload::{BrowserTransport, idle};
use crate::dsn::Dsn;
use crate::mask::{MAX_SELECTORS, PrivacyConfig, RawOption};
use crate::transport::Delivery;

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
}
"#;

/// Starts recording the page and returns the new replay id. Takes `{dsn, release, environment}`
/// (or just the DSN string). When a recording is already running, it keeps running and its replay
/// id is returned.
///
/// # Errors
/// Throws when the DSN is missing or invalid, or the page has no document.
#[wasm_bindgen]
pub fn start(
    #[wasm_bindgen(unchecked_param_type = "StartOptions | string")] options: JsValue,
) -> Result<String, JsError> {
    if let Some(replay_id) = get_replay_id() {
        return Ok(replay_id);
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
    Recorder::start(
        &dsn,
        &option("release"),
        &option("environment"),
        privacy_config(&options),
        Box::new(BrowserTransport),
    )
    .map_err(|_| JsError::new("Sightline could not start recording this page"))?;
    get_replay_id().ok_or_else(|| JsError::new("Sightline could not start recording this page"))
}

/// Records `error` (an `Error` or any thrown value) as a JS error of the replay; returns its event
/// id, or `undefined` when not recording.
#[wasm_bindgen(js_name = captureException)]
pub fn capture_exception(error: JsValue) -> Option<String> {
    let report = report_for_value(&error);
    with_recorder(|recorder| recorder.record_error(report))
}

/// Uploads everything recorded so far; the promise resolves once every pending segment has been
/// uploaded or has failed. It never rejects.
#[wasm_bindgen(unchecked_return_type = "Promise<void>")]
pub fn flush() -> Promise {
    with_recorder(|recorder| recorder.flush(Delivery::Background));
    idle()
}

/// Stops recording and uploads what is left; the promise resolves like `flush()`'s.
#[wasm_bindgen(unchecked_return_type = "Promise<void>")]
pub fn stop() -> Promise {
    if let Some(mut recorder) = take_recorder() {
        recorder.flush(Delivery::Background);
    }
    idle()
}

/// The id of the replay being recorded, or `undefined` when not recording.
#[wasm_bindgen(js_name = getReplayId)]
pub fn get_replay_id() -> Option<String> {
    with_recorder(|recorder| recorder.replay_id().to_owned())
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
