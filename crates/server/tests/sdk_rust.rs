//! The Rust `sentry` crate, as a Rust backend uses it, sending to the real `sightline` binary.
//! It compresses nothing and names no replay id, so linking must go through the trace: the
//! backend continues the trace of the browser's request (`sentry-trace`), captures an error,
//! and the event must land on the replay that recorded that request.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use sightline_protocol::v1::Compression;
use support::running::RunningServer;
use support::{T0, meta, replay_id, segment, traced_request};

const TRACE: &str = "5555555555555555555555555555555a";
const SPAN: &str = "666666666666666b";

/// What the shop backend fails with.
#[derive(Debug)]
struct CheckoutError;

impl std::fmt::Display for CheckoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("payment provider timeout")
    }
}

impl std::error::Error for CheckoutError {}

#[test]
fn rust_sdk_events_link_by_trace_id() {
    let server = RunningServer::start();
    let replay = replay_id('5');
    server.upload_segment(&segment(
        &replay,
        0,
        T0,
        &[
            meta(0, "https://shop.example/cart"),
            traced_request(4_000, 500, TRACE, SPAN),
        ],
        Compression::None,
    ));

    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn(&server.dsn)
            .release("shop-backend@3.0.0")
            .environment("production")
            .traces_sample_rate(1.0),
    );
    let sentry_trace = format!("{TRACE}-{SPAN}-1");
    let context = sentry::TransactionContext::continue_from_headers(
        "POST /api/checkout",
        "http.server",
        [("sentry-trace", sentry_trace.as_str())],
    );
    let transaction = sentry::start_transaction(context);
    sentry::configure_scope(|scope| {
        scope.set_span(Some(transaction.clone().into()));
        scope.set_tag("http.status_code", "500");
    });
    let event_id = sentry::capture_error(&CheckoutError);
    transaction.finish();
    assert!(
        guard.flush(Some(Duration::from_secs(10))),
        "flushed in time"
    );

    let event = server.wait_for_json(&format!("/api/0/events/{event_id}/"), |_| true);
    assert_eq!(event["id"], event_id.simple().to_string());
    assert_eq!(event["replay_id"], replay.as_str(), "{event}");
    assert_eq!(event["link_source"], "trace_and_span");
    assert_eq!(event["trace_id"], TRACE);
    assert_eq!(event["parent_span_id"], SPAN);
    assert_eq!(event["replay_offset_ms"], 4_000);
    assert_eq!(event["title"], "CheckoutError: payment provider timeout");
    assert_eq!(event["release"], "shop-backend@3.0.0");
    assert_eq!(event["status_code"], 500);
    assert_eq!(event["level"], "error");

    let events = server.wait_for_json(&format!("/api/0/replays/{replay}/events/"), |list| {
        list.as_array().is_some_and(|list| !list.is_empty())
    });
    assert_eq!(events[0]["span_id"], SPAN);
    let encodings = server.accepted_encodings();
    eprintln!("Content-Encoding of the envelopes sent by the sentry crate: {encodings:?}");
    assert!(
        !encodings.is_empty() && encodings.iter().all(|e| e == "identity"),
        "{encodings:?}"
    );
}
