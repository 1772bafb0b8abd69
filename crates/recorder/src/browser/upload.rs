//! The browser transport: compress with `CompressionStream('deflate-raw')` and POST with `fetch`,
//! or beacon the segment uncompressed when the page goes away.
//!
//! Background uploads wait in an [`Outbox`] and go one after another, so segments reach the
//! server in index order; when the server is unreachable, rate-limiting or failing, the front
//! segment is retried with backoff (honouring `Retry-After`) from a timer, and the outbox keeps a
//! bounded number of bytes meanwhile. [`idle`] hands `flush()` callers one promise for the
//! attempts under way. Failures are swallowed (the page must never see them) and reported once
//! on the console.
//!
//! Segments that have to wait are also stored in the page's IndexedDB (`js/hooks.js`, records in
//! the [`persisted`](crate::persisted) format), and deleted once they leave the outbox. When a
//! page load continues the tab's replay, [`restore`] reads them back and sends them first, in
//! index order; nothing is sent until it is done. When the page's Content-Security-Policy
//! blocks the upload origin ([`watch_csp`]), recording stops, the outbox is emptied and one
//! console message says why.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use sightline_protocol::v1::Compression;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Blob, ReadableWritablePair, RequestInit, Response};

use super::recorder::{now, take_recorder};
use crate::outbox::{Dropped, Outbox, Outcome};
use crate::persisted::{MAX_RECORDS, encode_record, sort_records};
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

#[wasm_bindgen(module = "/js/hooks.js")]
extern "C" {
    /// Stores a record in the outbox's IndexedDB store.
    #[wasm_bindgen(js_name = outboxPut)]
    fn outbox_put(key: &str, bytes: &Uint8Array) -> Promise;

    /// Deletes records of the outbox's IndexedDB store.
    #[wasm_bindgen(js_name = outboxDelete)]
    fn outbox_delete(keys: &Array) -> Promise;

    /// Resolves to `[[key, bytes], …]`, the stored records.
    #[wasm_bindgen(js_name = outboxLoad)]
    fn outbox_load(limit: u32) -> Promise;

    /// Calls `on_blocked` once when the page's CSP blocks a connection to `origin`.
    #[wasm_bindgen(js_name = watchCsp)]
    fn watch_csp_js(origin: &str, on_blocked: &JsValue);
}

thread_local! {
    /// Segments on their way to the server.
    static OUTBOX: RefCell<Outbox> = RefCell::new(Outbox::new());
    /// The attempts under way: resolves once the outbox is empty or waits for a retry.
    static PUMP: RefCell<Option<Promise>> = const { RefCell::new(None) };
    static PUMPING: Cell<bool> = const { Cell::new(false) };
    /// Whether a retry timer is set.
    static RETRY_SET: Cell<bool> = const { Cell::new(false) };
    static WARNED: Cell<bool> = const { Cell::new(false) };
    /// Whether stored segments are being read back: nothing is sent meanwhile.
    static RESTORING: Cell<bool> = const { Cell::new(false) };
    /// Resolves once the stored segments were read back and the attempts that followed ended.
    static RESTORE: RefCell<Option<Promise>> = const { RefCell::new(None) };
    /// Whether the page's CSP blocks uploads: recording is off for the page's lifetime.
    static OFF: Cell<bool> = const { Cell::new(false) };
}

/// Whether the page's CSP turned recording off.
pub(crate) fn is_off() -> bool {
    OFF.with(Cell::get)
}

/// Sets the outbox's bound in body bytes (the page's `offlineBufferBytes`).
pub(crate) fn set_limit(limit: usize) {
    let keys = OUTBOX.with(|outbox| outbox.borrow_mut().set_limit(limit));
    delete_stored(keys);
}

/// Reads back the segments of `replay_id` stored by an earlier page load of this tab and queues
/// them before anything new; deletes broken and expired records. Nothing is sent until done.
pub(crate) fn restore(replay_id: String) {
    RESTORING.with(|restoring| restoring.set(true));
    let restore = future_to_promise(async move {
        let mut records = Vec::new();
        let limit = u32::try_from(MAX_RECORDS).unwrap_or(u32::MAX);
        if let Ok(found) = JsFuture::from(outbox_load(limit)).await {
            for pair in Array::from(&found).iter() {
                let pair = Array::from(&pair);
                if let (Some(key), Ok(bytes)) = (
                    pair.get(0).as_string(),
                    pair.get(1).dyn_into::<Uint8Array>(),
                ) {
                    records.push((key, bytes.to_vec()));
                }
            }
        }
        let sorted = sort_records(records, &replay_id, now());
        delete_stored(sorted.delete);
        let keys = OUTBOX.with(|outbox| outbox.borrow_mut().restore(sorted.restore));
        delete_stored(keys);
        RESTORING.with(|restoring| restoring.set(false));
        store_waiting();
        pump();
        // `flush()` callers that came meanwhile wait for these attempts too.
        let _ = JsFuture::from(idle()).await;
        Ok(JsValue::UNDEFINED)
    });
    RESTORE.with(|slot| *slot.borrow_mut() = Some(restore));
}

/// Turns recording off for good when the page's CSP blocks connections to the DSN's `origin`:
/// stops the recorder, empties the outbox and says so once on the console.
pub(crate) fn watch_csp(origin: &str) {
    let message = format!(
        "Sightline: this page's Content-Security-Policy (connect-src) blocks uploads to {origin}; \
         session recording is turned off"
    );
    let blocked = super::guard::once(move || {
        if OFF.with(|off| off.replace(true)) {
            return;
        }
        drop(take_recorder());
        let keys = OUTBOX.with(|outbox| outbox.borrow_mut().clear());
        delete_stored(keys);
        web_sys::console::warn_1(&JsValue::from_str(&message));
    });
    watch_csp_js(origin, &blocked);
}

/// Stores the segments that now have to wait, each once.
fn store_waiting() {
    OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        for (key, upload) in outbox.take_to_store() {
            if let Ok(bytes) = encode_record(upload, now()) {
                // The promise never rejects; what it resolves to does not matter here.
                let _ = outbox_put(&key, &Uint8Array::from(&bytes[..]));
            }
        }
    });
}

/// Deletes the stored records under `keys`.
fn delete_stored(keys: Vec<String>) {
    if keys.is_empty() {
        return;
    }
    let list = Array::new();
    for key in keys {
        list.push(&JsValue::from_str(&key));
    }
    let _ = outbox_delete(&list);
}

/// A promise that resolves once every upload attempt started so far has finished (delivered,
/// refused, or waiting for a retry).
pub(crate) fn idle() -> Promise {
    if RESTORING.with(Cell::get)
        && let Some(restore) = RESTORE.with(|restore| restore.borrow().clone())
    {
        return restore;
    }
    PUMP.with(|pump| pump.borrow().clone())
        .unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED))
}

/// How many uploads wait and when the next retry is due; empties the outbox when `clear`.
#[cfg(test)]
pub(crate) fn outbox_state(clear: bool) -> (usize, Option<u64>) {
    OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        let state = (outbox.len(), outbox.retry_at());
        if clear {
            *outbox = Outbox::new();
        }
        state
    })
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
        if OFF.with(Cell::get) {
            return;
        }
        // A beacon goes out of order, so only when nothing waits before it.
        let waiting =
            RESTORING.with(Cell::get) || OUTBOX.with(|outbox| !outbox.borrow().is_empty());
        if upload.delivery == Delivery::Unload && !waiting && beacon(&upload) {
            return;
        }
        let keys = OUTBOX.with(|outbox| outbox.borrow_mut().push(upload));
        delete_stored(keys);
        store_waiting();
        pump();
    }

    fn take_dropped(&mut self) -> Option<Dropped> {
        OUTBOX.with(|outbox| outbox.borrow_mut().take_dropped())
    }
}

/// Sends what is due in the outbox, one segment after another, unless that is under way.
fn pump() {
    if RESTORING.with(Cell::get) || PUMPING.with(|pumping| pumping.replace(true)) {
        return;
    }
    let promise = future_to_promise(async {
        loop {
            let next = OUTBOX.with(|outbox| {
                outbox
                    .borrow()
                    .next(now())
                    .map(|(id, upload)| (id, upload.clone()))
            });
            let Some((id, upload)) = next else {
                break;
            };
            let outcome = deliver(&upload).await;
            let key = OUTBOX.with(|outbox| outbox.borrow_mut().settle(id, now(), outcome));
            delete_stored(key.into_iter().collect());
            store_waiting();
        }
        PUMPING.with(|pumping| pumping.set(false));
        schedule_retry();
        Ok(JsValue::UNDEFINED)
    });
    PUMP.with(|pump| *pump.borrow_mut() = Some(promise));
}

/// Sets a timer for the outbox's next retry, if one waits and no timer is set.
fn schedule_retry() {
    let Some(at) = OUTBOX.with(|outbox| outbox.borrow().retry_at()) else {
        return;
    };
    if RETRY_SET.with(|set| set.replace(true)) {
        return;
    }
    let delay = i32::try_from(at.saturating_sub(now())).unwrap_or(i32::MAX);
    let retry = super::guard::once(|| {
        RETRY_SET.with(|set| set.set(false));
        pump();
    });
    let set = web_sys::window().and_then(|window| {
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&retry, delay)
            .ok()
    });
    if set.is_none() {
        RETRY_SET.with(|set| set.set(false));
    }
}

/// One attempt at `upload`.
async fn deliver(upload: &Upload) -> Outcome {
    let segment = &upload.segment;
    let bytes = match deflate_raw(&segment.body).await {
        Ok(compressed) => segment.to_bytes_with_body(Compression::DeflateRaw, &compressed),
        // Browsers without CompressionStream (Safari < 16.4) upload the body as is.
        Err(_) => segment.to_bytes(),
    };
    let Ok(bytes) = bytes else {
        warn_once(
            "Sightline: a replay segment could not be uploaded",
            &JsValue::from_str("segment header too large"),
        );
        return Outcome::Rejected;
    };
    match post(&upload.url, &bytes).await {
        Ok(response) => {
            let retry_after = header(&response, "retry-after");
            let outcome = Outcome::for_status(response.status(), retry_after.as_deref());
            if outcome != Outcome::Delivered {
                warn_once(
                    "Sightline: a replay segment could not be uploaded",
                    &JsValue::from(response.status()),
                );
            }
            outcome
        }
        Err(error) => {
            // Not at the first failure: when the page's CSP blocked the request, the violation
            // event comes just after, and its own message says why (see `watch_csp`).
            if OUTBOX.with(|outbox| outbox.borrow().failures()) > 0 {
                warn_once("Sightline: a replay segment could not be uploaded", &error);
            }
            Outcome::Retry {
                retry_after_ms: None,
            }
        }
    }
}

/// A response header's value (readable cross-origin only when the server exposes it).
fn header(response: &Response, name: &str) -> Option<String> {
    let headers = Reflect::get(response, &JsValue::from_str("headers")).ok()?;
    let get: Function = Reflect::get(&headers, &JsValue::from_str("get"))
        .ok()?
        .dyn_into()
        .ok()?;
    get.call1(&headers, &JsValue::from_str(name))
        .ok()?
        .as_string()
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

async fn post(url: &str, bytes: &[u8]) -> Result<Response, JsValue> {
    // No custom headers and a binary body: a "simple" request, so no CORS preflight.
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&Uint8Array::from(bytes));
    if bytes.len() < KEEPALIVE_LIMIT {
        Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE)?;
    }
    // The page's fetch from before the recorder's wrapper: uploads are neither recorded nor traced.
    JsFuture::from(super::hooks::upload_fetch(url, &init)?)
        .await?
        .dyn_into()
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
