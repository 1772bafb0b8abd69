//! The official Python `sentry-sdk` (from PyPI, in a venv under `target/`) inside a small WSGI
//! backend, sending to the real `sightline` binary: a request carrying the recorder's trace
//! headers fails with a 500, and the backend's event must arrive normalized and linked to the
//! replay that made the request — by replay id (from `baggage`) and, without one, by trace id
//! and parent span id. Run once with plain gzip and once with `brotli` installed, which makes
//! the SDK compress with `br`.
//!
//! Needs `python3` with `venv` and PyPI access on the first run; `SIGHTLINE_SKIP_SDK_TESTS=1`
//! skips.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::Value;
use sightline_protocol::v1::Compression;
use sightline_tests::python::{Backend, sdk_python, skipped};
use support::running::RunningServer;
use support::{T0, meta, replay_id, segment, traced_request};

/// A recorded page view: the browser's request to the backend, with its trace and span ids.
struct PageView {
    replay: String,
    trace: String,
    span: String,
}

impl PageView {
    fn new(digit: char) -> Self {
        Self {
            replay: replay_id(digit),
            trace: std::iter::repeat_n(digit, 31).chain(['1']).collect(),
            span: std::iter::repeat_n(digit, 15).chain(['2']).collect(),
        }
    }

    /// The segment the recorder uploads: a page, an earlier request, then the failing checkout
    /// request 2.5 s after the start.
    fn segment(&self) -> Vec<u8> {
        segment(
            &self.replay,
            0,
            T0,
            &[
                meta(0, "https://shop.example/cart"),
                traced_request(1_000, 200, &self.trace, "00000000000000aa"),
                traced_request(1_500, 500, &self.trace, &self.span),
            ],
            Compression::DeflateRaw,
        )
    }

    /// The trace headers the recorder adds; with or without the replay id in `baggage`.
    fn headers(&self, with_replay_id: bool) -> Vec<(&'static str, String)> {
        let mut baggage = format!(
            "sentry-trace_id={},sentry-release=shop%401.4.2,sentry-environment=production",
            self.trace
        );
        if with_replay_id {
            baggage.push_str(&format!(",sentry-replay_id={}", self.replay));
        }
        vec![
            ("sentry-trace", format!("{}-{}-1", self.trace, self.span)),
            ("baggage", baggage),
            ("traceparent", format!("00-{}-{}-01", self.trace, self.span)),
        ]
    }
}

/// Runs the whole story with the venv `venv`; returns the encodings the server saw.
fn backend_errors_link_to_their_replays(venv: &str, brotli: bool) -> Vec<String> {
    let python = sdk_python(venv, brotli).unwrap();
    let server = RunningServer::start();
    let backend = Backend::start(&python, &server.dsn, &[]).unwrap();

    let by_replay_id = PageView::new('a');
    let by_trace = PageView::new('b');
    server.upload_segment(&by_replay_id.segment());
    // This one's segment arrives after the backend event.
    assert_eq!(
        backend
            .post("/api/checkout", &by_replay_id.headers(true))
            .unwrap(),
        500
    );
    assert_eq!(
        backend
            .post("/api/checkout", &by_trace.headers(false))
            .unwrap(),
        500
    );
    backend.flush().unwrap();
    server.upload_segment(&by_trace.segment());

    for (page, source) in [(&by_replay_id, "replay_id"), (&by_trace, "trace_and_span")] {
        let path = format!("/api/0/replays/{}/events/", page.replay);
        let events = server.wait_for_json(&path, |events| {
            events.as_array().is_some_and(|list| !list.is_empty())
        });
        let linked = &events[0];
        assert_eq!(events.as_array().unwrap().len(), 1, "{events}");
        assert_eq!(linked["title"], "ZeroDivisionError: division by zero");
        assert_eq!(linked["trace_id"], page.trace.as_str());
        assert_eq!(linked["span_id"], page.span.as_str(), "the failing request");
        assert_eq!(linked["replay_offset_ms"], 2_500);
        assert_eq!(linked["replay_offset_source"], "request");
        assert_eq!(linked["status_code"], 500);
        assert_eq!(linked["service"], "shop-backend");
        assert_eq!(linked["release"], "shop-backend@2.0.0");
        assert_eq!(linked["link_source"], source);

        let id = linked["id"].as_str().unwrap();
        let (status, event) = server.get_json(&format!("/api/0/events/{id}/"));
        assert_eq!(status, 200, "{event}");
        assert_normalized_python_event(&event, page);
        let (_, replay) = server.get_json(&format!("/api/0/replays/{}/", page.replay));
        assert_eq!(replay["error_ids"], serde_json::json!([id]));
    }
    let encodings = server.accepted_encodings();
    eprintln!("Content-Encoding of the envelopes sent by sentry-sdk ({venv}): {encodings:?}");
    encodings
}

fn assert_normalized_python_event(event: &Value, page: &PageView) {
    assert_eq!(event["platform"], "python");
    assert_eq!(event["level"], "error");
    assert_eq!(event["environment"], "production");
    assert_eq!(event["transaction"], "generic WSGI request");
    assert_eq!(event["culprit"], "__main__ in price_per_item");
    assert_eq!(event["parent_span_id"], page.span.as_str());
    assert_eq!(event["replay_id"], page.replay.as_str());
    assert_eq!(event["request"]["method"], "POST");
    let exception = &event["exception"]["values"][0];
    assert_eq!(exception["type"], "ZeroDivisionError");
    assert_eq!(exception["mechanism"]["handled"], false);
    let frames = exception["stacktrace"]["frames"].as_array().unwrap();
    let raised = frames.last().unwrap();
    assert_eq!(raised["function"], "price_per_item");
    assert_eq!(raised["in_app"], true);
    assert_eq!(raised["context_line"], "    return total / len(cart)");
    assert_eq!(
        raised["pre_context"].as_array().unwrap().last().unwrap(),
        "    total = sum(item[\"price\"] for item in cart)"
    );
    assert!(raised["abs_path"].as_str().unwrap().ends_with("backend.py"));
    assert_eq!(raised["vars"]["total"], "0");
    assert_eq!(frames.len(), 2, "the SDK's own frames are not sent");
    assert_eq!(frames[0]["function"], "app");
    assert_eq!(frames[0]["vars"]["path"], "'/api/checkout'");
}

#[test]
fn python_sdk_with_gzip() {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return;
    }
    let encodings = backend_errors_link_to_their_replays("sdk-venv", false);
    assert!(!encodings.is_empty());
    assert!(encodings.iter().all(|e| e == "gzip"), "{encodings:?}");
}

#[test]
fn python_sdk_with_brotli() {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return;
    }
    let encodings = backend_errors_link_to_their_replays("sdk-venv-brotli", true);
    assert!(!encodings.is_empty());
    assert!(encodings.iter().all(|e| e == "br"), "{encodings:?}");
}
