//! `GET /api/0/traces/{trace_id}/` over what real clients send: a recorded browser request,
//! then the envelopes the official Python `sentry-sdk` 2.75.0 sent for the request it handled
//! (`fixtures/traces/`: an error event inside a child span, the transaction with that span, and
//! two structured logs), ingested through the router.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use support::{TestServer, meta, replay_id, segment, traced_request};

const TRACE: &str = "0123456789abcdef0123456789abcdef";
/// The browser request's span id: the Python transaction's `parent_span_id`.
const BROWSER_SPAN: &str = "89abcdef01234567";
/// The Python transaction's root span.
const BILLING_TX: &str = "82fbd125e9bdfde0";
/// Its `db.query` child span, where the exception was captured.
const DB_SPAN: &str = "a8d8edc620b360f2";
const EVENT_ID: &str = "ea6aba8200614825950f54cb156c6b42";
/// The replay the browser's `baggage` named (the Python SDK forwards it).
const REPLAY: &str = "fedcba9876543210fedcba9876543210";
/// The segment starts 206 ms before the Python transaction; its request ends 250 ms in,
/// after 80 ms, so it spans the whole backend work.
const SEGMENT_START: u64 = 1_795_695_529_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/traces/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

const EVENT_FIXTURE: &str = "python-trace-0-event.envelope";
const TRANSACTION_FIXTURE: &str = "python-trace-1-transaction.envelope";
const LOG_FIXTURE: &str = "python-trace-2-log.envelope";

/// An envelope's header and its items' (header, payload) pairs; the fixtures keep every
/// payload on one line.
fn split(bytes: &[u8]) -> (Value, Vec<(Value, Value)>) {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut lines = text.lines().filter(|line| !line.is_empty());
    let header = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut items = Vec::new();
    while let (Some(item), Some(payload)) = (lines.next(), lines.next()) {
        items.push((
            serde_json::from_str(item).unwrap(),
            serde_json::from_str(payload).unwrap(),
        ));
    }
    (header, items)
}

fn join(header: &Value, items: &[(Value, Value)]) -> Vec<u8> {
    let mut out = format!("{header}\n");
    for (item, payload) in items {
        let payload = payload.to_string();
        let mut item = item.clone();
        item["length"] = json!(payload.len());
        out.push_str(&format!("{item}\n{payload}\n"));
    }
    out.into_bytes()
}

async fn send(server: &TestServer, bytes: Vec<u8>) {
    let (status, body) = server.envelope(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn record_browser_request(server: &TestServer, replay: &str) {
    let bytes = segment(
        replay,
        0,
        SEGMENT_START,
        &[
            meta(0, "https://shop.example/cart"),
            traced_request(250, 500, TRACE, BROWSER_SPAN),
        ],
        Compression::DeflateRaw,
    );
    let (status, body) = server.upload(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn trace(server: &TestServer, id: &str) -> Value {
    let (status, trace) = server.get_json(&format!("/api/0/traces/{id}/")).await;
    assert_eq!(status, StatusCode::OK, "{trace}");
    trace
}

fn span_ids(trace: &Value) -> Vec<&str> {
    trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["span_id"].as_str().unwrap())
        .collect()
}

fn span<'a>(trace: &'a Value, id: &str) -> &'a Value {
    trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|span| span["span_id"] == id)
        .unwrap_or_else(|| panic!("no span {id} in {trace}"))
}

#[tokio::test]
async fn the_browser_request_the_transaction_its_span_its_error_and_logs_form_one_trace() {
    let server = TestServer::new();
    let replay = REPLAY.to_owned();
    record_browser_request(&server, &replay).await;
    for name in [EVENT_FIXTURE, TRANSACTION_FIXTURE, LOG_FIXTURE] {
        send(&server, fixture(name)).await;
    }
    let trace = trace(&server, TRACE).await;

    assert_eq!(trace["trace_id"], TRACE);
    assert_eq!(
        span_ids(&trace),
        [BROWSER_SPAN, BILLING_TX, DB_SPAN],
        "{trace}"
    );
    let browser = span(&trace, BROWSER_SPAN);
    assert_eq!(browser["kind"], "browser");
    assert_eq!(browser["service"], "browser");
    assert_eq!(browser["parent_span_id"], Value::Null);
    assert_eq!(browser["op"], "http.client");
    assert_eq!(
        browser["description"],
        "POST https://shop.example/api/checkout"
    );
    assert_eq!(browser["status"], "internal_error");
    assert_eq!(browser["replay_id"], replay.as_str());
    assert_eq!(browser["duration_ms"], 80.0);
    assert_eq!(browser["end_ms"], (SEGMENT_START + 250) as f64);
    assert_eq!(browser["start"], "2026-11-26T12:18:49.170000Z");

    let transaction = span(&trace, BILLING_TX);
    assert_eq!(transaction["kind"], "transaction");
    assert_eq!(transaction["parent_span_id"], BROWSER_SPAN);
    assert_eq!(transaction["service"], "billing", "the SDK's service tag");
    assert_eq!(transaction["op"], "http.server");
    assert_eq!(transaction["transaction"], "POST /api/checkout");
    assert_eq!(transaction["event_id"], "26491d13daf64f728536d63181db4c70");
    assert_eq!(transaction["start"], "2026-11-26T12:18:49.206402Z");
    assert_eq!(transaction["end"], "2026-11-26T12:18:49.217533Z");
    assert_eq!(transaction["duration_ms"], 11.131);
    assert_eq!(transaction["error_ids"], json!([]));

    let query = span(&trace, DB_SPAN);
    assert_eq!(query["kind"], "span");
    assert_eq!(query["parent_span_id"], BILLING_TX);
    assert_eq!(query["service"], "billing");
    assert_eq!(query["op"], "db.query");
    assert_eq!(query["description"], "SELECT price FROM items");
    assert_eq!(query["transaction"], "POST /api/checkout");
    assert_eq!(
        query["error_ids"],
        json!([EVENT_ID]),
        "the error is in the query span"
    );
    assert_eq!(query["data"]["thread.name"], "MainThread");

    let events = trace["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], EVENT_ID);
    assert_eq!(events[0]["title"], "ZeroDivisionError: division by zero");
    assert_eq!(events[0]["service"], "billing");
    assert_eq!(events[0]["span_id"], DB_SPAN);
    assert_eq!(events[0]["parent_span_id"], BILLING_TX);
    assert_eq!(events[0]["release"], "billing@2.0.0");
    assert_eq!(events[0]["replay_id"], replay.as_str());
    assert!(events[0]["issue_id"].is_string(), "{}", events[0]);

    let logs = trace["logs"].as_array().unwrap();
    let messages: Vec<_> = logs
        .iter()
        .map(|log| log["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["checkout for cart-42 started", "price lookup slow: 420 ms"]
    );
    assert_eq!(logs[0]["level"], "info");
    assert_eq!(logs[0]["span_id"], BILLING_TX);
    assert_eq!(logs[1]["level"], "warn");
    assert_eq!(logs[1]["span_id"], DB_SPAN);
    assert_eq!(
        logs[1]["service"], "billing",
        "the service of the log's span"
    );
    assert_eq!(logs[1]["attributes"]["sentry.message.parameter.ms"], 420);
    assert_eq!(logs[1]["timestamp"], "2026-11-26T12:18:49.209473Z");

    assert_eq!(trace["replay_ids"], json!([replay]));
    assert_eq!(trace["services"], json!(["browser", "billing"]));
    assert_eq!(trace["failing_service"], "billing");

    let issue_id = events[0]["issue_id"].as_str().unwrap();
    let (status, issue) = server.get_json(&format!("/api/0/issues/{issue_id}/")).await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    assert_eq!(issue["latest_trace_id"], TRACE);
}

/// The gateway's transaction, made from the real one: it continues the browser's request and
/// calls billing through an `http.client` span.
fn gateway_transaction(gateway_tx: &str, call_span: &str) -> Vec<u8> {
    let (header, mut items) = split(&fixture(TRANSACTION_FIXTURE));
    let payload = &mut items[0].1;
    payload["event_id"] = json!("0000000000000000000000000000beef");
    payload["contexts"]["trace"]["span_id"] = json!(gateway_tx);
    payload["tags"] = json!({"service": "gateway"});
    payload["server_name"] = json!("gateway-host");
    payload["release"] = json!("gateway@1.0.0");
    payload["transaction"] = json!("POST /checkout");
    payload["start_timestamp"] = json!("2026-11-26T12:18:49.190000Z");
    payload["timestamp"] = json!("2026-11-26T12:18:49.230000Z");
    payload["spans"] = json!([{
        "trace_id": TRACE,
        "span_id": call_span,
        "parent_span_id": gateway_tx,
        "op": "http.client",
        "description": "POST http://billing/charge",
        "status": "internal_error",
        "start_timestamp": "2026-11-26T12:18:49.200000Z",
        "timestamp": "2026-11-26T12:18:49.225000Z",
        "data": {"http.response.status_code": 500},
    }]);
    join(&header, &items)
}

#[tokio::test]
async fn a_call_from_one_service_to_another_nests_the_callee_under_the_outgoing_span() {
    let gateway_tx = "1000000000000001";
    let call_span = "1000000000000002";
    let server = TestServer::new();
    record_browser_request(&server, &replay_id('b')).await;
    send(&server, gateway_transaction(gateway_tx, call_span)).await;
    // Billing continued the trace from the gateway's outgoing call.
    let (header, mut items) = split(&fixture(TRANSACTION_FIXTURE));
    items[0].1["contexts"]["trace"]["parent_span_id"] = json!(call_span);
    send(&server, join(&header, &items)).await;
    send(&server, fixture(EVENT_FIXTURE)).await;

    let trace = trace(&server, TRACE).await;
    assert_eq!(
        span_ids(&trace),
        [BROWSER_SPAN, gateway_tx, call_span, BILLING_TX, DB_SPAN],
        "{trace}"
    );
    assert_eq!(span(&trace, gateway_tx)["parent_span_id"], BROWSER_SPAN);
    assert_eq!(span(&trace, gateway_tx)["service"], "gateway");
    assert_eq!(span(&trace, call_span)["service"], "gateway");
    assert_eq!(span(&trace, call_span)["status"], "internal_error");
    assert_eq!(span(&trace, BILLING_TX)["parent_span_id"], call_span);
    assert_eq!(trace["services"], json!(["browser", "gateway", "billing"]));
    assert_eq!(
        trace["failing_service"], "billing",
        "the innermost span with the error"
    );
}

#[tokio::test]
async fn backend_spans_alone_make_a_trace_and_unknown_or_malformed_ids_do_not() {
    let server = TestServer::new();
    send(&server, fixture(TRANSACTION_FIXTURE)).await;
    let trace = trace(&server, &TRACE.to_ascii_uppercase()).await;
    assert_eq!(span_ids(&trace), [BILLING_TX, DB_SPAN]);
    assert_eq!(trace["replay_ids"], json!([]));
    assert_eq!(trace["failing_service"], Value::Null, "no error event");

    let (status, body) = server
        .get_json(&format!("/api/0/traces/{}/", "f".repeat(32)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = server.get_json("/api/0/traces/not-a-trace/").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("32 hex"), "{body}");

    let response = server
        .send(
            axum::http::Request::get(format!("/api/0/traces/{TRACE}/"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// A transaction of `spans` child spans, made from the real one, with span ids from `first`.
fn big_transaction(event_id: &str, root: u64, first: u64, spans: u64) -> Vec<u8> {
    let (header, mut items) = split(&fixture(TRANSACTION_FIXTURE));
    let payload = &mut items[0].1;
    let root = format!("{root:016x}");
    payload["event_id"] = json!(event_id);
    payload["contexts"]["trace"]["span_id"] = json!(root);
    let child = payload["spans"][0].clone();
    payload["spans"] = (first..first + spans)
        .map(|id| {
            let mut span = child.clone();
            span["span_id"] = json!(format!("{id:016x}"));
            span["parent_span_id"] = json!(root);
            span
        })
        .collect();
    join(&header, &items)
}

#[tokio::test]
async fn spans_are_bounded_per_transaction_and_per_trace() {
    let server = TestServer::new();
    send(
        &server,
        big_transaction(&"a".repeat(32), 1, 1_000_000, 1_200),
    )
    .await;
    let trace = trace(&server, TRACE).await;
    assert_eq!(
        trace["spans"].as_array().unwrap().len(),
        1 + 1_000,
        "1000 spans per transaction"
    );

    for batch in 1..=10_u64 {
        let id = format!("{batch:032x}");
        send(
            &server,
            big_transaction(&id, 1 + batch, 10_000_000 * batch, 1_000),
        )
        .await;
    }
    let trace = trace_len(&server).await;
    assert_eq!(trace, 10_000, "10 000 spans per trace");
}

async fn trace_len(server: &TestServer) -> usize {
    trace(server, TRACE).await["spans"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn logs_are_bounded_per_item() {
    let server = TestServer::new();
    let (header, mut items) = split(&fixture(LOG_FIXTURE));
    let mut entry = items[0].1["items"][0].clone();
    entry["attributes"] = json!({});
    items[0].1["items"] = (0..1_500).map(|_| entry.clone()).collect();
    items[0].0["item_count"] = json!(1_500);
    send(&server, join(&header, &items)).await;
    let trace = trace(&server, TRACE).await;
    assert_eq!(trace["logs"].as_array().unwrap().len(), 1_000);
}

#[tokio::test]
async fn a_database_without_request_durations_is_upgraded() {
    let server = TestServer::new();
    record_browser_request(&server, &replay_id('c')).await;
    let path = server
        .dir
        .path()
        .join(sightline_server::store::DATABASE_FILE);
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch(
                "ALTER TABLE network_requests DROP COLUMN duration_ms; \
                 DROP TABLE spans; DROP TABLE logs; PRAGMA user_version = 3;",
            )
            .unwrap();
    }
    let server = server.reopen();
    let trace = trace(&server, TRACE).await;
    assert_eq!(
        span(&trace, BROWSER_SPAN)["end_ms"],
        (SEGMENT_START + 250) as f64
    );
    send(&server, fixture(TRANSACTION_FIXTURE)).await;
    let trace = trace_again(&server).await;
    assert_eq!(span_ids(&trace), [BROWSER_SPAN, BILLING_TX, DB_SPAN]);
    let browser = span(&trace, BROWSER_SPAN);
    assert_eq!(
        browser["start"], "2026-11-26T12:18:49.206402Z",
        "a request stored without its duration starts no later than the backend it called"
    );
}

async fn trace_again(server: &TestServer) -> Value {
    trace(server, TRACE).await
}
