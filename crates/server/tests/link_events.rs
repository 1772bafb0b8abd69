//! Backend events linked to the replay whose request caused them: by replay id (envelope
//! header, replay context, baggage), by trace and parent span, by trace alone, with segments
//! arriving before or after the event, and through a database upgraded from schema version 1.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use support::{
    T0, TestServer, envelope, js_error, meta, python_event, replay_id, segment, traced_request,
};

const ID: &str = "78b08263fc50486c99adf1be127f7b19";
const TRACE: &str = "0123456789abcdef0123456789abcdef";
const SPAN_OK: &str = "1111111111111111";
const SPAN_FAIL: &str = "2222222222222222";
/// The failing request's network event is recorded 3.5 s after the replay starts.
const FAIL_OFFSET: u64 = 3_500;

fn js_error_id() -> String {
    replay_id('e')
}

/// Segment 0 of `replay`: a page view whose checkout request fails with a 500.
fn checkout_segment(replay: &str) -> Vec<u8> {
    segment(
        replay,
        0,
        T0,
        &[
            meta(0, "https://shop.example/cart"),
            traced_request(1_000, 200, TRACE, SPAN_OK),
            js_error(500, &js_error_id()),
            traced_request(2_000, 500, TRACE, SPAN_FAIL),
        ],
        Compression::DeflateRaw,
    )
}

async fn upload(server: &TestServer, bytes: Vec<u8>) {
    let (status, body) = server.upload(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn send_event(server: &TestServer, header: Value, event: Value) {
    let (status, body) = server.envelope(envelope(&header, &event)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], ID);
}

async fn event_json(server: &TestServer) -> Value {
    let (status, event) = server.get_json(&format!("/api/0/events/{ID}/")).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    event
}

/// Asserts that the event is placed at the failing request of `replay`.
async fn assert_linked_at_failing_request(server: &TestServer, replay: &str, source: &str) {
    let event = event_json(server).await;
    assert_eq!(event["replay_id"], replay, "{event}");
    assert_eq!(event["link_source"], source);
    assert_eq!(event["replay_offset_ms"], FAIL_OFFSET);
    assert_eq!(event["replay_offset_source"], "request");
    assert_eq!(event["replay_request"]["span_id"], SPAN_FAIL);
    assert_eq!(event["replay_request"]["status"], 500);
    assert_eq!(event["replay_request"]["timestamp_ms"], T0 + FAIL_OFFSET);

    let (_, replay_json) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(
        replay_json["error_ids"],
        json!([js_error_id(), ID]),
        "backend events follow the JS errors"
    );
    let (status, events) = server
        .get_json(&format!("/api/0/replays/{replay}/events/"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let linked = &events[0];
    assert_eq!(linked["id"], ID);
    assert_eq!(linked["title"], "ZeroDivisionError: division by zero");
    assert_eq!(linked["replay_offset_ms"], FAIL_OFFSET);
    assert_eq!(linked["span_id"], SPAN_FAIL);
    assert_eq!(linked["trace_id"], TRACE);
    assert_eq!(linked["status_code"], 500);
    assert_eq!(linked["service"], "api-1");
    assert_eq!(linked["release"], "shop-backend@2.0.0");
    assert_eq!(
        linked["request"]["url"],
        "https://shop.example/api/checkout"
    );
}

#[tokio::test]
async fn replay_id_in_the_envelope_trace_header_links() {
    let server = TestServer::new();
    let replay = replay_id('a');
    upload(&server, checkout_segment(&replay)).await;
    let header = json!({"event_id": ID, "trace": {"trace_id": TRACE, "replay_id": replay}});
    send_event(&server, header, python_event(ID, TRACE, Some(SPAN_FAIL))).await;
    assert_linked_at_failing_request(&server, &replay, "replay_id").await;
}

#[tokio::test]
async fn trace_and_parent_span_link_without_a_replay_id() {
    let server = TestServer::new();
    let replay = replay_id('b');
    upload(&server, checkout_segment(&replay)).await;
    send_event(
        &server,
        json!({ "event_id": ID }),
        python_event(ID, TRACE, Some(SPAN_FAIL)),
    )
    .await;
    assert_linked_at_failing_request(&server, &replay, "trace_and_span").await;
}

#[tokio::test]
async fn trace_alone_links_to_the_failed_request() {
    let server = TestServer::new();
    let replay = replay_id('c');
    upload(&server, checkout_segment(&replay)).await;
    send_event(&server, json!({}), python_event(ID, TRACE, None)).await;
    assert_linked_at_failing_request(&server, &replay, "trace_id").await;
}

#[tokio::test]
async fn replay_id_from_the_replay_context_or_the_baggage_header() {
    for (index, via) in ["context", "baggage"].into_iter().enumerate() {
        let server = TestServer::new();
        let replay = replay_id(['d', 'f'][index]);
        upload(&server, checkout_segment(&replay)).await;
        let mut event = python_event(ID, TRACE, Some(SPAN_FAIL));
        if via == "context" {
            event["contexts"]["replay"] = json!({ "replay_id": replay });
        } else {
            event["request"] = json!({"method": "POST", "url": "http://api/checkout",
                "headers": [["Sentry-Trace", format!("{TRACE}-{SPAN_FAIL}-1")],
                            ["Baggage", format!("sentry-trace_id={TRACE},sentry-replay_id={replay}")]]});
        }
        send_event(&server, json!({}), event).await;
        assert_linked_at_failing_request(&server, &replay, "replay_id").await;
    }
}

#[tokio::test]
async fn a_segment_arriving_after_the_event_completes_the_link() {
    let server = TestServer::new();
    let replay = replay_id('1');
    send_event(&server, json!({}), python_event(ID, TRACE, Some(SPAN_FAIL))).await;
    let event = event_json(&server).await;
    assert_eq!(event["replay_id"], Value::Null, "no replay yet");

    upload(&server, checkout_segment(&replay)).await;
    assert_linked_at_failing_request(&server, &replay, "trace_and_span").await;
}

#[tokio::test]
async fn a_named_replay_links_at_once_and_finds_its_request_later() {
    let server = TestServer::new();
    let replay = replay_id('2');
    let header = json!({"event_id": ID, "trace": {"trace_id": TRACE, "replay_id": replay}});
    send_event(&server, header, python_event(ID, TRACE, Some(SPAN_FAIL))).await;
    let event = event_json(&server).await;
    assert_eq!(event["replay_id"], replay.as_str());
    assert_eq!(
        event["replay_offset_ms"],
        Value::Null,
        "the replay is not stored yet"
    );

    // A first segment without the request, then the one with it.
    upload(
        &server,
        segment(
            &replay,
            1,
            T0 + 10_000,
            &[meta(0, "https://shop.example/thanks")],
            Compression::None,
        ),
    )
    .await;
    assert_eq!(event_json(&server).await["replay_request"], Value::Null);
    upload(&server, checkout_segment(&replay)).await;
    assert_linked_at_failing_request(&server, &replay, "replay_id").await;
}

#[tokio::test]
async fn an_event_of_another_trace_stays_unlinked() {
    let server = TestServer::new();
    let replay = replay_id('3');
    upload(&server, checkout_segment(&replay)).await;
    let other_trace = "ffffffffffffffffffffffffffffffff";
    send_event(
        &server,
        json!({}),
        python_event(ID, other_trace, Some(SPAN_FAIL)),
    )
    .await;
    let event = event_json(&server).await;
    assert_eq!(event["replay_id"], Value::Null);
    assert_eq!(event["replay_offset_ms"], Value::Null);
    let (_, events) = server
        .get_json(&format!("/api/0/replays/{replay}/events/"))
        .await;
    assert_eq!(events, json!([]));
    let (_, replay_json) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(replay_json["error_ids"], json!([js_error_id()]));
    let (status, _) = server
        .get_json(&format!("/api/0/replays/{}/events/", replay_id('9')))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn segments_stored_before_the_upgrade_are_indexed_for_linking() {
    let server = TestServer::new();
    let replay = replay_id('4');
    upload(&server, checkout_segment(&replay)).await;
    // Make the database look like schema version 1: no request index.
    let database = server
        .dir
        .path()
        .join(sightline_server::store::DATABASE_FILE);
    {
        let connection = rusqlite::Connection::open(&database).unwrap();
        connection
            .execute_batch("DELETE FROM network_requests; PRAGMA user_version = 1;")
            .unwrap();
    }
    let server = server.reopen();
    send_event(&server, json!({}), python_event(ID, TRACE, Some(SPAN_FAIL))).await;
    assert_linked_at_failing_request(&server, &replay, "trace_and_span").await;
}
