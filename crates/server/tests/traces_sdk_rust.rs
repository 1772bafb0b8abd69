//! The Rust `sentry` crate (0.49) sending a transaction with a child span, an error and a log
//! inside that span to the real `sightline` binary: the trace API nests them under the
//! browser's request that started the trace.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use sightline_protocol::v1::{Compression, Event, EventData, NetworkRequest};
use support::running::RunningServer;
use support::{meta, replay_id, segment};

const TRACE: &str = "7777777777777777777777777777777a";
const BROWSER_SPAN: &str = "888888888888888b";

#[derive(Debug)]
struct ChargeError;

impl std::fmt::Display for ChargeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for ChargeError {}

#[test]
fn a_rust_transaction_its_child_span_and_its_error_join_the_browser_request() {
    let server = RunningServer::start();
    let replay = replay_id('7');
    // The request lasts a minute around the moment the test starts, so it surely spans the
    // backend's work.
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let start = now_ms - 30_000;
    let request = Event::new(
        60_000,
        EventData::NetworkRequest(NetworkRequest {
            method: "POST".into(),
            url: "https://shop.example/api/pay".into(),
            status: 502,
            duration: 60_000,
            trace_id: TRACE.into(),
            span_id: BROWSER_SPAN.into(),
            response_size: None,
        }),
    );
    server.upload_segment(&segment(
        &replay,
        0,
        start,
        &[meta(0, "https://shop.example/cart"), request],
        Compression::None,
    ));

    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn(&server.dsn)
            .release("payments@0.3.0")
            .server_name("payments")
            .traces_sample_rate(1.0),
    );
    let sentry_trace = format!("{TRACE}-{BROWSER_SPAN}-1");
    let context = sentry::TransactionContext::continue_from_headers(
        "POST /charge",
        "http.server",
        [("sentry-trace", sentry_trace.as_str())],
    );
    let transaction = sentry::start_transaction(context);
    let child = transaction.start_child("http.client", "POST https://bank.example/charge");
    sentry::configure_scope(|scope| scope.set_span(Some(child.clone().into())));
    let event_id = sentry::capture_error(&ChargeError);
    sentry::logger_error!("charge failed: {}", ChargeError.to_string());
    child.set_status(sentry::protocol::SpanStatus::Unavailable);
    child.finish();
    transaction.finish();
    assert!(
        guard.flush(Some(Duration::from_secs(10))),
        "flushed in time"
    );

    let trace = server.wait_for_json(&format!("/api/0/traces/{TRACE}/"), |trace| {
        trace["spans"]
            .as_array()
            .is_some_and(|spans| spans.len() == 3)
            && trace["events"]
                .as_array()
                .is_some_and(|events| !events.is_empty())
            // The SDK sends its logs in an envelope of their own, which may come later.
            && trace["logs"]
                .as_array()
                .is_some_and(|logs| !logs.is_empty())
    });
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans[0]["span_id"], BROWSER_SPAN, "{trace}");
    assert_eq!(spans[0]["status"], "internal_error");
    assert_eq!(spans[1]["kind"], "transaction");
    assert_eq!(spans[1]["parent_span_id"], BROWSER_SPAN);
    assert_eq!(spans[1]["service"], "payments");
    assert_eq!(spans[1]["transaction"], "POST /charge");
    assert_eq!(spans[2]["kind"], "span");
    assert_eq!(spans[2]["parent_span_id"], spans[1]["span_id"]);
    assert_eq!(spans[2]["op"], "http.client");
    assert_eq!(spans[2]["status"], "unavailable");
    assert_eq!(
        spans[2]["error_ids"],
        json!([event_id.simple().to_string()])
    );
    assert!(spans[2]["duration_ms"].as_f64().unwrap() >= 0.0);
    let log = &trace["logs"][0];
    assert_eq!(log["message"], "charge failed: card declined", "{trace}");
    assert_eq!(log["level"], "error");
    assert_eq!(
        log["span_id"], spans[2]["span_id"],
        "the log names the span it ran in"
    );
    assert_eq!(log["service"], "payments");
    assert_eq!(trace["services"], json!(["browser", "payments"]));
    assert_eq!(trace["failing_service"], "payments");
    assert_eq!(trace["replay_ids"], json!([replay]));
}
