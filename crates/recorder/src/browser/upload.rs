//! The browser transport: compress with `CompressionStream('deflate-raw')` and POST with `fetch`,
//! or beacon the segment uncompressed when the page goes away.
//!
//! Background uploads run one after another on a promise chain, so segments reach the server in
//! index order and [`idle`] can hand `flush()` callers one promise for all of them. Failures are
//! swallowed (the page must never see them) and reported once on the console.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Promise, Reflect, Uint8Array};
use sightline_protocol::v1::Compression;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Blob, ReadableWritablePair, RequestInit, Response};

use crate::transport::{Delivery, Transport, Upload};

/// Largest request sent with `keepalive` or `sendBeacon`: browsers allow 64 KiB in flight.
const KEEPALIVE_LIMIT: usize = 60 * 1024;

#[wasm_bindgen]
extern "C" {
    /// `CompressionStream`, bound here because web-sys lists it as unstable.
    type CompressionStream;

    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
}

thread_local! {
    /// The last background upload; every new one starts when it has settled.
    static TAIL: RefCell<Option<Promise>> = const { RefCell::new(None) };
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// A promise that resolves once every upload started so far has finished or failed.
pub(crate) fn idle() -> Promise {
    TAIL.with(|tail| tail.borrow().clone())
        .unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED))
}

/// Logs the first failure of the page's lifetime; later ones would only add noise.
pub(crate) fn warn_once(message: &str, detail: &JsValue) {
    if !WARNED.with(|warned| warned.replace(true)) {
        web_sys::console::warn_2(&JsValue::from_str(message), detail);
    }
}

/// Sends segments from the page.
pub(crate) struct BrowserTransport;

impl Transport for BrowserTransport {
    fn send(&mut self, upload: Upload) {
        if upload.delivery == Delivery::Unload && beacon(&upload) {
            return;
        }
        enqueue(upload);
    }
}

fn enqueue(upload: Upload) {
    let previous = idle();
    let next = future_to_promise(async move {
        // Every link resolves (errors are handled inside), so awaiting it cannot fail.
        let _ = JsFuture::from(previous).await;
        if let Err(error) = deliver(&upload).await {
            warn_once("Sightline: a replay segment could not be uploaded", &error);
        }
        Ok(JsValue::UNDEFINED)
    });
    TAIL.with(|tail| *tail.borrow_mut() = Some(next));
}

async fn deliver(upload: &Upload) -> Result<(), JsValue> {
    let segment = &upload.segment;
    let bytes = match deflate_raw(&segment.body).await {
        Ok(compressed) => segment.to_bytes_with_body(Compression::DeflateRaw, &compressed),
        // Browsers without CompressionStream (Safari < 16.4) upload the body as is.
        Err(_) => segment.to_bytes(),
    }
    .map_err(|_| JsValue::from_str("segment header too large"))?;
    post(&upload.url, &bytes).await
}

async fn deflate_raw(body: &[u8]) -> Result<Vec<u8>, JsValue> {
    let compressor = CompressionStream::new("deflate-raw")?;
    let parts = Array::of1(&Uint8Array::from(body));
    let blob = Blob::new_with_u8_array_sequence(&parts)?;
    let compressed = blob
        .stream()
        .pipe_through(compressor.unchecked_ref::<ReadableWritablePair>());
    let response = Response::new_with_opt_readable_stream(Some(&compressed))?;
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

async fn post(url: &str, bytes: &[u8]) -> Result<(), JsValue> {
    // No custom headers and a binary body: a "simple" request, so no CORS preflight.
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&Uint8Array::from(bytes));
    if bytes.len() < KEEPALIVE_LIMIT {
        Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE)?;
    }
    // The page's fetch from before the recorder's wrapper: uploads are neither recorded nor traced.
    let response: Response = JsFuture::from(super::hooks::upload_fetch(url, &init)?)
        .await?
        .dyn_into()?;
    if response.ok() {
        Ok(())
    } else {
        Err(JsValue::from(response.status()))
    }
}

/// Hands the segment, uncompressed, to `navigator.sendBeacon`, which survives the page's unload.
/// Returns false when the browser refused it (too large, or over its in-flight budget).
fn beacon(upload: &Upload) -> bool {
    let Ok(bytes) = upload.segment.to_bytes() else {
        return false;
    };
    if bytes.len() > KEEPALIVE_LIMIT {
        return false;
    }
    let Some(window) = web_sys::window() else {
        return false;
    };
    window
        .navigator()
        .send_beacon_with_opt_buffer_source(&upload.url, Some(&Uint8Array::from(&bytes[..])))
        .unwrap_or(false)
}
