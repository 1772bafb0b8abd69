//! The corpus of real envelopes under `tests/fixtures/envelopes/` (captured from the official
//! Python `sentry-sdk` and the Rust `sentry` crate by `capture.py` there): every file parses,
//! is accepted by the endpoint (plain and gzip-compressed), and normalizes to what the SDK meant.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::Value;
use sightline_server::envelope::{Envelope, ItemType};
use support::TestServer;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/envelopes");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "envelope"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the corpus is missing: run capture.py");
    files
}

fn fixture(name: &str) -> Vec<u8> {
    fixtures()
        .into_iter()
        .find(|(file, _)| file == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

/// Ingests `bytes` gzip-compressed and returns the stored event.
async fn ingest(server: &TestServer, bytes: &[u8]) -> Value {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    let auth = server.sentry_auth();
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
            encoder.finish().unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    server.state.process_inbox().await.unwrap();
    let id = answer["id"].as_str().unwrap();
    let (status, event) = server.get_json(&format!("/api/0/events/{id}/")).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    event
}

#[test]
fn every_fixture_parses_into_known_items() {
    for (name, bytes) in fixtures() {
        let envelope = Envelope::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!envelope.items.is_empty(), "{name}");
        for item in &envelope.items {
            assert_ne!(
                item.item_type,
                ItemType::Unknown,
                "{name}: {}",
                item.type_name
            );
            serde_json::from_slice::<Value>(item.payload)
                .unwrap_or_else(|e| panic!("{name}: payload is not JSON: {e}"));
        }
    }
}

#[tokio::test]
async fn every_fixture_is_accepted_as_sent() {
    let server = TestServer::new();
    for (name, bytes) in fixtures() {
        let (status, answer) = server.envelope(bytes.clone()).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        let envelope = Envelope::parse(&bytes).unwrap();
        let expected = envelope.event_id.unwrap();
        assert_eq!(answer["id"], expected.as_str(), "{name}");
    }
    assert_eq!(server.state.process_inbox().await.unwrap().failed, 0);
}

#[tokio::test]
async fn python_exception_keeps_its_frames_and_replay() {
    let server = TestServer::new();
    let event = ingest(&server, &fixture("python-exception-0-event.envelope")).await;
    assert_eq!(event["title"], "ZeroDivisionError: division by zero");
    assert_eq!(event["culprit"], "__main__ in price_per_item");
    assert_eq!(event["platform"], "python");
    assert_eq!(event["release"], "shop-backend@2.0.0");
    assert_eq!(event["parent_span_id"], "89abcdef01234567");
    assert_eq!(
        event["replay_id"], "fedcba9876543210fedcba9876543210",
        "the replay id of the envelope's trace header"
    );
    let frames = event["exception"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let raised = frames.last().unwrap();
    assert_eq!(raised["context_line"], "    return total / len(cart)");
    assert_eq!(raised["in_app"], true);
    assert_eq!(raised["vars"]["cart"], serde_json::json!([]));
    assert!(!raised["pre_context"].as_array().unwrap().is_empty());
    assert_eq!(event["errors"], serde_json::json!([]));
}

#[tokio::test]
async fn python_logging_error_is_formatted() {
    let server = TestServer::new();
    let event = ingest(&server, &fixture("python-logging-0-event.envelope")).await;
    assert_eq!(event["title"], "payment for cart-42 failed after 3 tries");
    assert_eq!(event["level"], "error");
}

#[tokio::test]
async fn python_message_keeps_level_tags_and_user() {
    let server = TestServer::new();
    let event = ingest(&server, &fixture("python-message-0-event.envelope")).await;
    assert_eq!(event["title"], "inventory sync is slow");
    assert_eq!(event["level"], "warning");
    assert!(
        event["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"key": "region", "value": "eu-west-1"}))
    );
    assert_eq!(event["user"]["id"], "user-7");
}

#[tokio::test]
async fn rust_error_with_dashed_ids_and_float_timestamp() {
    let server = TestServer::new();
    let bytes = fixture("rust-0-event.envelope");
    let header = String::from_utf8_lossy(&bytes[..bytes.iter().position(|b| *b == b'\n').unwrap()])
        .into_owned();
    assert!(header.contains('-'), "the Rust crate sends a dashed UUID");
    let event = ingest(&server, &bytes).await;
    assert_eq!(event["title"], "CheckoutError: payment provider timeout");
    assert_eq!(event["platform"], "native");
    assert_eq!(event["release"], "shop-backend@3.0.0");
    assert_eq!(event["trace_id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(event["parent_span_id"], "89abcdef01234567");
    assert_eq!(event["status_code"], 500);
    assert!(event["timestamp_ms"].as_u64().unwrap() > 1_700_000_000_000);
}
