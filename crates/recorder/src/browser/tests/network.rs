//! `fetch` and `XMLHttpRequest`: trace headers where they belong, none elsewhere, the page's
//! requests and results unchanged, and a network event for each request.
//!
//! What a request really sends is read in a second realm: a same-origin `<iframe>` whose `fetch`
//! and `XMLHttpRequest.prototype.setRequestHeader` are replaced by spies that keep a copy of the
//! request (as `fetch` builds it from its arguments) before calling the real ones; the recorder's
//! wrappers are then installed over the spies, exactly as they are over the page's own functions.

use js_sys::{Array, Reflect};
use sightline_protocol::v1::{EventData, NetworkRequest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use super::capture::{Live, run, run_async, sleep};
use crate::browser::api;
use crate::browser::hooks::{wrap_fetch, wrap_xhr};
use crate::browser::network::propagation_targets;
use crate::browser::recorder::with_recorder;
use crate::mask::PrivacyConfig;

const SPIES: &str = "const frame = document.createElement('iframe');\
    document.body.appendChild(frame);\
    const w = frame.contentWindow;\
    w.sent = [];\
    const nativeFetch = w.fetch;\
    w.fetch = function (input, init) {\
      w.lastInit = init;\
      const request = new w.Request(input, init);\
      w.sent.push(request.clone());\
      w.lastPromise = nativeFetch.call(w, request);\
      return w.lastPromise;\
    };\
    const nativeSet = w.XMLHttpRequest.prototype.setRequestHeader;\
    w.XMLHttpRequest.prototype.setRequestHeader = function (name, value) {\
      (this.sentHeaders = this.sentHeaders || []).push([name.toLowerCase(), value]);\
      return nativeSet.call(this, name, value);\
    };\
    window.slFrame = frame;\
    return w;";

/// A recording and a spied-on second realm with the recorder's network wrappers.
struct Realm {
    live: Live,
}

impl Realm {
    fn new() -> Result<Self, JsValue> {
        let live = Live::start("<p>shop</p>", PrivacyConfig::default())?;
        let window = run(SPIES)?;
        assert!(wrap_fetch(&window), "fetch wrapped");
        let xhr = Reflect::get(&window, &"XMLHttpRequest".into())?;
        assert!(wrap_xhr(&Reflect::get(&xhr, &"prototype".into())?));
        Ok(Self { live })
    }

    fn requests(&self) -> Result<Vec<NetworkRequest>, JsValue> {
        Ok(self
            .live
            .events()?
            .into_iter()
            .filter_map(|event| match event {
                EventData::NetworkRequest(request) => Some(request),
                _ => None,
            })
            .collect())
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = run("window.slFrame.remove(); delete window.slFrame;");
    }
}

/// `[sentry-trace, baggage, traceparent]` as the spied request carried them (`null` if absent).
const SENT_HEADERS: &str = "const sent = slFrame.contentWindow.sent.at(-1);\
    return ['sentry-trace', 'baggage', 'traceparent'].map((name) => sent.headers.get(name));";

fn strings(value: &JsValue) -> Vec<Option<String>> {
    Array::from(value)
        .iter()
        .map(|item| item.as_string())
        .collect()
}

fn is_hex(text: &str, len: usize) -> bool {
    sightline_protocol::v1::is_hex_id(text, len)
}

#[wasm_bindgen_test]
async fn a_same_origin_fetch_carries_the_three_headers_and_its_event_their_ids() -> TestResult {
    let realm = Realm::new()?;
    let outcome = run_async(
        "const w = slFrame.contentWindow;\
         const returned = w.fetch(location.origin + location.pathname + '?q=shoes&page=2#top');\
         const same = returned === w.lastPromise;\
         const response = await returned;\
         const body = await response.text();\
         return [same, response.status, response.headers.get('content-type'), body.includes('<')];",
    )
    .await?;
    assert_eq!(
        format!("{:?}", Array::from(&outcome).to_vec()),
        format!(
            "{:?}",
            [
                JsValue::TRUE,
                JsValue::from(200),
                JsValue::from("text/html"),
                JsValue::TRUE
            ]
        ),
        "the page gets the original's promise and a readable response"
    );
    let sent = strings(&run(SENT_HEADERS)?);
    let [Some(sentry_trace), Some(baggage), Some(traceparent)] = sent.as_slice() else {
        return Err(format!("headers missing: {sent:?}").into());
    };
    let parts: Vec<&str> = sentry_trace.split('-').collect();
    let [trace_id, span_id, "1"] = parts.as_slice() else {
        return Err(format!("sentry-trace {sentry_trace}").into());
    };
    assert!(
        is_hex(trace_id, 32) && is_hex(span_id, 16),
        "{sentry_trace}"
    );
    assert_eq!(*traceparent, format!("00-{trace_id}-{span_id}-01"));
    let replay_id = api::get_replay_id().ok_or("recording")?;
    assert_eq!(
        *baggage,
        format!(
            "sentry-trace_id={trace_id},sentry-replay_id={replay_id},sentry-environment=test,sentry-public_key=key"
        )
    );
    let requests = realm.requests()?;
    let [request] = requests.as_slice() else {
        return Err(format!("one request expected: {requests:?}").into());
    };
    let page = run("return location.origin + location.pathname")?
        .as_string()
        .unwrap_or_default();
    assert_eq!(request.url, format!("{page}?q=&page="));
    assert_eq!((request.method.as_str(), request.status), ("GET", 200));
    assert_eq!(
        (request.trace_id.as_str(), request.span_id.as_str()),
        (*trace_id, *span_id)
    );

    // The next request has the same trace and a new span.
    run_async("await slFrame.contentWindow.fetch(location.href);").await?;
    let sent = strings(&run(SENT_HEADERS)?);
    let next = sent[0].clone().unwrap_or_default();
    assert!(next.starts_with(*trace_id) && !next.contains(*span_id));
    Ok(())
}

#[wasm_bindgen_test]
async fn a_cross_origin_fetch_gets_no_header_and_a_failure_records_status_0() -> TestResult {
    let realm = Realm::new()?;
    let outcome = run_async(
        "const w = slFrame.contentWindow;\
         let caught = null;\
         try { await w.fetch('http://127.0.0.1:9/api?key=secret', { headers: { 'x-app': '1' } }); }\
         catch (error) { caught = error; }\
         const original = await w.lastPromise.catch((error) => error);\
         return [caught !== null && caught === original, caught && caught.name];",
    )
    .await?;
    assert_eq!(
        strings(&outcome)[1].as_deref(),
        Some("TypeError"),
        "rejections still reject"
    );
    assert_eq!(
        Array::from(&outcome).get(0),
        JsValue::TRUE,
        "with the same error"
    );
    assert_eq!(strings(&run(SENT_HEADERS)?), [None, None, None]);
    let headers = run("return slFrame.contentWindow.sent.at(-1).headers.get('x-app')")?;
    assert_eq!(headers.as_string().as_deref(), Some("1"));
    let requests = realm.requests()?;
    let [request] = requests.as_slice() else {
        return Err(format!("one request expected: {requests:?}").into());
    };
    assert_eq!(request.url, "http://127.0.0.1:9/api?key=");
    assert_eq!(request.status, 0);
    assert_eq!(
        (request.trace_id.as_str(), request.span_id.as_str()),
        ("", "")
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn a_request_object_keeps_its_method_body_and_headers() -> TestResult {
    let _realm = Realm::new()?;
    let outcome = run_async(
        "const request = new Request(location.href, { method: 'POST', body: 'cart=42',\
           headers: { 'x-app': 'shop' }, referrerPolicy: 'no-referrer' });\
         const response = await slFrame.contentWindow.fetch(request);\
         const sent = slFrame.contentWindow.sent.at(-1);\
         return [response.status, sent.method, await sent.text(), sent.headers.get('x-app'),\
                 sent.referrerPolicy, sent.headers.has('sentry-trace'), sent.headers.has('traceparent')];",
    )
    .await?;
    assert_eq!(
        format!("{:?}", Array::from(&outcome).to_vec()),
        format!(
            "{:?}",
            [
                JsValue::from(200),
                JsValue::from("POST"),
                JsValue::from("cart=42"),
                JsValue::from("shop"),
                JsValue::from("no-referrer"),
                JsValue::TRUE,
                JsValue::TRUE,
            ]
        )
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn a_streaming_body_is_passed_on_untouched_and_no_cors_requests_are_not_traced() -> TestResult
{
    let realm = Realm::new()?;
    let outcome = run_async(
        "const w = slFrame.contentWindow;\
         const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('x')); c.close(); } });\
         const init = { method: 'POST', body, duplex: 'half' };\
         await w.fetch(location.href, init).catch(() => {});\
         const streamed = w.lastInit !== init && w.lastInit.body === body && w.lastInit.duplex === 'half'\
           && w.lastInit.headers instanceof Headers && init.headers === undefined;\
         await w.fetch(location.href, { mode: 'no-cors' });\
         return [streamed, w.sent.at(-1).headers.has('sentry-trace')];",
    )
    .await?;
    assert_eq!(
        format!("{:?}", Array::from(&outcome).to_vec()),
        format!("{:?}", [JsValue::TRUE, JsValue::FALSE])
    );
    let requests = realm.requests()?;
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].trace_id.is_empty(),
        "no ids recorded that were not sent"
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn trace_headers_the_page_set_are_kept_and_its_init_is_not_changed() -> TestResult {
    let realm = Realm::new()?;
    let outcome = run_async(
        "const headers = { 'Sentry-Trace': '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1' };\
         const init = { headers, cache: 'no-store' };\
         await slFrame.contentWindow.fetch(location.href, init);\
         return [Object.keys(init).join(), init.headers === headers, Object.keys(headers).join()];",
    )
    .await?;
    assert_eq!(
        strings(&outcome),
        [
            Some("headers,cache".into()),
            None,
            Some("Sentry-Trace".into())
        ]
    );
    assert_eq!(Array::from(&outcome).get(1), JsValue::TRUE);
    let replay_id = api::get_replay_id().ok_or("recording")?;
    assert_eq!(
        strings(&run(SENT_HEADERS)?),
        [
            Some("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1".into()),
            Some(format!(
                "sentry-trace_id=0af7651916cd43dd8448eb211c80319c,sentry-replay_id={replay_id},\
                 sentry-environment=test,sentry-public_key=key"
            )),
            None
        ],
        "the page's trace, our replay id in its baggage, no traceparent added"
    );
    let requests = realm.requests()?;
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.trace_id.as_str(), r.span_id.as_str()))
            .collect::<Vec<_>>(),
        [("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")]
    );

    // A page baggage without Sentry entries gets ours appended, from Headers and from arrays.
    for init in [
        "{ headers: new Headers({ baggage: 'vendor=1' }) }",
        "{ headers: [['baggage', 'vendor=1'], ['x-app', '1']] }",
    ] {
        run_async(&format!(
            "await slFrame.contentWindow.fetch(location.href, {init});"
        ))
        .await?;
        let baggage = strings(&run(SENT_HEADERS)?)[1].clone().unwrap_or_default();
        assert!(
            baggage.starts_with("vendor=1, sentry-trace_id="),
            "{init}: {baggage}"
        );
    }
    Ok(())
}

#[wasm_bindgen_test]
async fn xhr_requests_get_the_headers_and_are_recorded_with_their_status() -> TestResult {
    let realm = Realm::new()?;
    let outcome = run_async(
        "const w = slFrame.contentWindow;\
         const send = (url) => new Promise((resolve) => {\
           const xhr = new w.XMLHttpRequest();\
           xhr.open('get', url);\
           xhr.setRequestHeader('x-app', 'shop');\
           xhr.addEventListener('loadend', () => resolve(xhr));\
           xhr.send();\
         });\
         const found = await send(location.origin + location.pathname + '?q=secret');\
         const missing = await send('/sightline-no-such-file');\
         const other = await send('http://127.0.0.1:9/x');\
         return [found.status, found.responseText.includes('<'), JSON.stringify(found.sentHeaders),\
                 missing.status, JSON.stringify(missing.sentHeaders.map((h) => h[0])),\
                 other.status, JSON.stringify(other.sentHeaders.map((h) => h[0]))];",
    )
    .await?;
    let outcome = Array::from(&outcome);
    assert_eq!(outcome.get(0), JsValue::from(200));
    assert_eq!(
        outcome.get(1),
        JsValue::TRUE,
        "the page still reads its response"
    );
    let sent = outcome.get(2).as_string().unwrap_or_default();
    assert_eq!(outcome.get(3), JsValue::from(404));
    assert_eq!(
        outcome.get(4).as_string().as_deref(),
        Some(r#"["x-app","sentry-trace","traceparent","baggage"]"#)
    );
    assert_eq!(outcome.get(5), JsValue::from(0));
    assert_eq!(
        outcome.get(6).as_string().as_deref(),
        Some(r#"["x-app"]"#),
        "no trace headers to another origin"
    );
    let requests = realm.requests()?;
    let summary: Vec<(u16, bool)> = requests
        .iter()
        .map(|r| (r.status, r.trace_id.is_empty()))
        .collect();
    assert_eq!(summary, [(200, false), (404, false), (0, true)]);
    let first = &requests[0];
    assert_eq!(first.method, "GET");
    assert!(first.url.ends_with("?q="), "{}", first.url);
    assert!(
        sent.contains(&format!(
            "[\"sentry-trace\",\"{}-{}-1\"]",
            first.trace_id, first.span_id
        )),
        "{sent}"
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn configured_targets_replace_the_same_origin_default() -> TestResult {
    let realm = Realm::new()?;
    let targets = run("return ['/api', /^http:\\/\\/127\\.0\\.0\\.1:9\\//]")?;
    with_recorder(|recorder| recorder.set_targets(propagation_targets(&targets)))
        .ok_or("recording")?;
    run_async("await slFrame.contentWindow.fetch(location.href);").await?;
    assert_eq!(strings(&run(SENT_HEADERS)?), [None, None, None]);
    run_async("await slFrame.contentWindow.fetch('http://127.0.0.1:9/x').catch(() => {});").await?;
    assert!(
        strings(&run(SENT_HEADERS)?)[0].is_some(),
        "the regex target"
    );
    let text = JsValue::from_str("/nothing, localhost:1");
    with_recorder(|recorder| recorder.set_targets(propagation_targets(&text)))
        .ok_or("recording")?;
    run_async("await slFrame.contentWindow.fetch(location.href);").await?;
    assert_eq!(strings(&run(SENT_HEADERS)?), [None, None, None]);
    assert_eq!(realm.requests()?.len(), 3);
    Ok(())
}

#[wasm_bindgen_test]
async fn the_pages_own_fetch_is_recorded_and_a_failure_is_uploaded_promptly() -> TestResult {
    let live = Live::start("<p>shop</p>", PrivacyConfig::default())?;
    let status = run_async("return (await fetch(location.href)).status;").await?;
    assert_eq!(status, JsValue::from(200));
    let uploads = live.uploads();
    let failed =
        run_async("return fetch('http://127.0.0.1:9/').then(() => 'ok', (e) => e.name);").await?;
    assert_eq!(failed.as_string().as_deref(), Some("TypeError"));
    let mut waited = 0;
    while live.uploads() == uploads && waited < 5_000 {
        sleep(50).await?;
        waited += 50;
    }
    assert!(
        live.uploads() > uploads,
        "a failed request is uploaded without flush()"
    );
    let requests: Vec<(u16, bool)> = live
        .events()?
        .into_iter()
        .filter_map(|event| match event {
            EventData::NetworkRequest(r) => Some((r.status, is_hex(&r.trace_id, 32))),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [(200, true), (0, false)]);
    Ok(())
}

#[wasm_bindgen_test]
fn a_failing_recorder_callback_never_throws_into_the_page() -> TestResult {
    let target = run("return { pay(amount) { return amount * 2; } };")?;
    let throwing = run("return () => { throw new Error('recorder bug'); };")?;
    let wrapped = crate::browser::hooks::wrap_for_test(target.unchecked_ref(), "pay", &throwing);
    assert!(wrapped);
    let pay: js_sys::Function = Reflect::get(&target, &"pay".into())?.dyn_into()?;
    assert_eq!(pay.call1(&target, &JsValue::from(21))?, JsValue::from(42));
    Ok(())
}
