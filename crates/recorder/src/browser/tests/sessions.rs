//! Sessions in the browser: the tab's replay continued from `sessionStorage` after a page load,
//! buffer mode holding everything back until an error, and unsampled sessions sending nothing.

use sightline_protocol::decode_segment;
use sightline_protocol::v1::EventData;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use crate::browser::api;
use crate::browser::recorder::{Recorder, now, take_recorder, with_recorder};
use crate::browser::tab_storage;
use crate::dsn::Dsn;
use crate::mask::PrivacyConfig;
use crate::propagation::PageHeaders;
use crate::sampling::{SampleRates, Sampling};
use crate::tab_session::{STORAGE_KEY, TabSession};
use crate::transport::{CapturingTransport, Delivery};

fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

fn clear_storage() -> TestResult {
    super::capture::run(&format!("sessionStorage.removeItem('{STORAGE_KEY}');")).map(drop)
}

/// Starts recording `tab` as `api::start` does, into a capturing transport.
fn start(tab: TabSession) -> Result<CapturingTransport, JsValue> {
    drop(take_recorder());
    let transport = CapturingTransport::new();
    let dsn = Dsn::parse("http://key@127.0.0.1:9/1").map_err(|e| e.to_string())?;
    Recorder::start_in(
        &dsn,
        tab,
        SampleRates::default(),
        "",
        "test",
        PrivacyConfig::default(),
        Box::new(transport.clone()),
    )?;
    Ok(transport)
}

/// What `api::stop` does: upload the rest and stop.
fn stop() {
    if let Some(mut recorder) = take_recorder() {
        recorder.flush(Delivery::Background);
    }
}

/// The uploaded segments: (replay id, index, events).
fn segments(transport: &CapturingTransport) -> Result<Vec<(String, u32, Vec<EventData>)>, JsValue> {
    let mut out = Vec::new();
    for bytes in transport.segment_bytes().map_err(|e| e.to_string())? {
        let segment = decode_segment(&bytes).map_err(|e| e.to_string())?;
        let events = segment.events.into_iter().map(|e| e.data).collect();
        out.push((segment.header.replay_id, segment.header.index, events));
    }
    Ok(out)
}

fn new_id(byte: u8) -> String {
    crate::ids::hex_id([byte; 16])
}

#[wasm_bindgen_test]
fn a_page_load_in_the_same_tab_continues_the_replay() -> TestResult {
    clear_storage()?;
    let window = window()?;
    let first_tab = tab_storage::begin(&window, SampleRates::default(), now(), || new_id(1));
    let first = start(first_tab)?;
    with_recorder(|recorder| {
        recorder.record(EventData::Custom {
            tag: "step".into(),
            payload: "1".into(),
        })
    });
    stop();
    let first_segments = segments(&first)?;
    let sent = u32::try_from(first_segments.len()).map_err(|e| e.to_string())?;
    assert!(sent >= 1);

    // The next page of the tab: same storage, a new recorder.
    let second_tab = tab_storage::begin(&window, SampleRates::default(), now(), || new_id(2));
    assert_eq!(second_tab.replay_id, new_id(1), "the replay continues");
    let second = start(second_tab)?;
    assert_eq!(api::get_replay_id(), Some(new_id(1)));
    stop();
    let second_segments = segments(&second)?;
    let (replay_id, index, events) = &second_segments[0];
    assert_eq!((replay_id.as_str(), *index), (new_id(1).as_str(), sent));
    assert!(
        matches!(
            events[..],
            [EventData::Meta { .. }, EventData::FullSnapshot { .. }, ..]
        ),
        "the new page starts with its meta and a full snapshot"
    );
    clear_storage()
}

#[wasm_bindgen_test]
fn an_expired_stored_replay_is_not_continued() -> TestResult {
    clear_storage()?;
    let window = window()?;
    let long_ago = now() - 16 * 60 * 1000;
    tab_storage::save(
        &window,
        &TabSession::new(new_id(3), long_ago, Sampling::Session),
    );
    let tab = tab_storage::begin(&window, SampleRates::default(), now(), || new_id(4));
    assert_eq!((tab.replay_id, tab.next_index), (new_id(4), 0));
    clear_storage()
}

#[wasm_bindgen_test]
fn buffer_mode_uploads_the_kept_context_when_an_error_happens() -> TestResult {
    clear_storage()?;
    let transport = start(TabSession::new(new_id(5), now(), Sampling::Buffer))?;
    with_recorder(|recorder| {
        recorder.record(EventData::Custom {
            tag: "before".into(),
            payload: "{}".into(),
        });
        recorder.flush(Delivery::Background);
        recorder.flush(Delivery::Unload);
    });
    assert_eq!(transport.uploads().len(), 0, "buffer mode sends nothing");
    assert_eq!(api::get_replay_id(), Some(new_id(5)));

    let error = js_sys::Error::new("checkout failed");
    let event_id = api::capture_exception(error.into()).ok_or("recording")?;
    let uploaded = segments(&transport)?;
    assert!(!uploaded.is_empty(), "the error uploads the buffer");
    let events: Vec<&EventData> = uploaded.iter().flat_map(|s| &s.2).collect();
    assert!(matches!(
        events[..],
        [EventData::Meta { .. }, EventData::FullSnapshot { .. }, ..]
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventData::Custom { tag, .. } if tag == "before"))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventData::JsError(error) if error.event_id == event_id))
    );
    let indexes: Vec<u32> = uploaded.iter().map(|s| s.1).collect();
    assert_eq!(
        indexes,
        (0..u32::try_from(indexes.len()).map_err(|e| e.to_string())?).collect::<Vec<_>>()
    );

    // Recording goes on in full, and so does the next page load.
    with_recorder(|recorder| {
        recorder.record(EventData::Custom {
            tag: "after".into(),
            payload: "{}".into(),
        });
        recorder.flush(Delivery::Background);
    });
    let after = segments(&transport)?;
    assert!(after.len() > uploaded.len());
    let stored = TabSession::resume(
        super::capture::run(&format!("return sessionStorage.getItem('{STORAGE_KEY}');"))?
            .as_string()
            .as_deref(),
        now(),
    );
    assert_eq!(stored.map(|t| t.sampling), Some(Sampling::Session));
    stop();
    clear_storage()
}

#[wasm_bindgen_test]
fn an_unsampled_session_sends_nothing_but_requests_are_still_traced() -> TestResult {
    clear_storage()?;
    let transport = start(TabSession::new(new_id(6), now(), Sampling::Off))?;
    assert_eq!(api::get_replay_id(), None);
    let url = window()?.location().origin()? + "/api/cart";
    let trace =
        with_recorder(|recorder| recorder.trace_request(&url, &PageHeaders::default(), true))
            .flatten()
            .ok_or("a same-origin request is traced")?;
    assert!(trace.sentry_trace.is_some());
    let baggage = trace.baggage.unwrap_or_default();
    assert!(baggage.starts_with("sentry-trace_id="), "{baggage}");
    assert!(!baggage.contains("replay_id"), "{baggage}");
    api::capture_exception(js_sys::Error::new("ignored").into());
    stop();
    assert_eq!(transport.uploads().len(), 0);
    clear_storage()
}

#[wasm_bindgen_test]
fn sample_rates_given_as_loader_text_decide_the_tab_keeps_the_decision_and_stop_ends_it()
-> TestResult {
    clear_storage()?;
    drop(take_recorder());
    let options = super::capture::run(
        "return { dsn: 'http://key@127.0.0.1:9/1', sessionSampleRate: '0', \
         onErrorSampleRate: ' 0 ' };",
    )?;
    assert_eq!(api::start(options.clone()).map_err(JsValue::from)?, None);
    assert_eq!(api::get_replay_id(), None);
    stop();
    let stored = super::capture::run(&format!("return sessionStorage.getItem('{STORAGE_KEY}');"))?
        .as_string()
        .and_then(|value| TabSession::parse(&value))
        .ok_or("the decision is stored")?;
    assert_eq!(stored.sampling, Sampling::Off);
    // The next page load of the tab keeps it, whatever its own rates say.
    let everything = super::capture::run("return { dsn: 'http://key@127.0.0.1:9/1' };")?;
    assert_eq!(api::start(everything).map_err(JsValue::from)?, None);
    // `stop()` ends the tab's replay.
    drop(api::stop());
    let stored = super::capture::run(&format!("return sessionStorage.getItem('{STORAGE_KEY}');"))?;
    assert!(stored.is_null(), "{stored:?}");
    Ok(())
}
