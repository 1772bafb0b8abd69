//! Sentry-compatible ingest through the real router: auth forms, encodings, limits, malformed
//! envelopes, duplicates, dropped item types, the store endpoint, rate limits, CORS and the
//! durability of an accepted envelope.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_server::limits::{MAX_DECOMPRESSED_BODY_BYTES, MAX_EVENT_BYTES};
use sightline_server::rate_limit::RateLimit;
use support::{StateExt, TestServer, envelope, error_message, python_event};

const ID: &str = "78b08263fc50486c99adf1be127f7b19";
const TRACE: &str = "0123456789abcdef0123456789abcdef";

fn event_envelope(id: &str) -> Vec<u8> {
    envelope(&json!({ "event_id": id }), &python_event(id, TRACE, None))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn raw_deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn async_encode<W: tokio::io::AsyncWrite + Unpin>(mut encoder: W, bytes: &[u8]) -> W {
    use tokio::io::AsyncWriteExt;
    encoder.write_all(bytes).await.unwrap();
    encoder.shutdown().await.unwrap();
    encoder
}

async fn brotli(bytes: &[u8]) -> Vec<u8> {
    let encoder = async_compression::tokio::write::BrotliEncoder::new(Vec::new());
    async_encode(encoder, bytes).await.into_inner()
}

async fn zstd(bytes: &[u8]) -> Vec<u8> {
    let encoder = async_compression::tokio::write::ZstdEncoder::new(Vec::new());
    async_encode(encoder, bytes).await.into_inner()
}

async fn stored_event(server: &TestServer, id: &str) -> (StatusCode, Value) {
    server.get_json(&format!("/api/0/events/{id}/")).await
}

#[tokio::test]
async fn an_event_is_acknowledged_stored_and_normalized() {
    let server = TestServer::new();
    let auth = server.sentry_auth();
    let (status, body, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
            gzip(&event_envelope(ID)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "id": ID }));
    // The background processor picks it up on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored_event(&server, ID).await.0 != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "never processed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let (status, event) = stored_event(&server, ID).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    assert_eq!(event["id"], ID);
    assert_eq!(event["issue_id"], "1", "grouped into the first issue");
    assert_eq!(event["project"], "1");
    assert_eq!(event["title"], "ZeroDivisionError: division by zero");
    assert_eq!(event["culprit"], "shop.pay in pay");
    assert_eq!(event["level"], "error");
    assert_eq!(event["platform"], "python");
    assert_eq!(event["status_code"], 500);
    assert_eq!(event["trace_id"], TRACE);
    assert_eq!(event["timestamp"], "2026-11-26T06:09:00.500Z");
    assert_eq!(event["release"], "shop-backend@2.0.0");
    assert_eq!(
        event["tags"],
        json!([{"key": "http.status_code", "value": "500"}])
    );
    let frames = &event["exception"]["values"][0]["stacktrace"]["frames"];
    assert_eq!(frames[1]["context_line"], "    return total / len(cart)");
    assert_eq!(frames[1]["in_app"], true);
    assert_eq!(frames[1]["vars"]["total"], "0");
    assert_eq!(event["replay_id"], Value::Null, "nothing to link to");

    let (status, _) = stored_event(&server, "78B08263-FC50-486C-99AD-F1BE127F7B19").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "dashed upper-case ids find the event"
    );
    let (status, body) = stored_event(&server, "00000000000000000000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_message(&body).contains("not found"));
}

#[tokio::test]
async fn the_read_api_needs_the_admin_token() {
    let server = TestServer::new();
    let request = Request::get(format!("/api/0/events/{ID}/"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        server.send(request).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// A path, request headers and an envelope header.
type AuthCase = (String, Vec<(&'static str, String)>, Value);

#[tokio::test]
async fn every_sentry_auth_form_is_accepted() {
    let server = TestServer::new();
    let key = server.key.clone();
    let cases: Vec<AuthCase> = vec![
        (
            format!("/api/1/envelope/?sentry_key={key}&sentry_version=7"),
            vec![],
            json!({}),
        ),
        (
            "/api/1/envelope/".into(),
            vec![("x-sentry-auth", server.sentry_auth())],
            json!({}),
        ),
        (
            "/api/1/envelope".into(),
            vec![("authorization", format!("Sentry sentry_key={key}"))],
            json!({}),
        ),
        (
            "/api/1/envelope/".into(),
            vec![],
            json!({ "dsn": format!("http://{key}@localhost:8080/1") }),
        ),
    ];
    for (index, (path, headers, mut header)) in cases.into_iter().enumerate() {
        let id = format!("{index:032x}");
        header["event_id"] = json!(id);
        let body = envelope(&header, &json!({"message": "hello"}));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let (status, answer, _) = server.post(&path, &headers, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["id"], id.as_str());
    }
    server.state.process_inbox().await.unwrap();
    let (status, event) = stored_event(&server, &format!("{:032x}", 3)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["title"], "hello");
}

#[tokio::test]
async fn missing_unknown_or_mismatched_credentials_are_refused_with_a_reason() {
    let server = TestServer::new();
    let body = || event_envelope(ID);
    let (status, answer, _) = server.post("/api/1/envelope/", &[], body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        error_message(&answer).contains("missing DSN key"),
        "{answer}"
    );

    let (status, answer, _) = server
        .post("/api/1/envelope/?sentry_key=nope", &[], body())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error_message(&answer).contains("not valid"), "{answer}");

    let path = format!("/api/2/envelope/?sentry_key={}", server.key);
    let (status, answer, _) = server.post(&path, &[], body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        error_message(&answer).contains("unknown project"),
        "{answer}"
    );

    let other_project = envelope(
        &json!({ "dsn": format!("http://{}@h/7", server.key) }),
        &json!({}),
    );
    let (status, answer, _) = server.post("/api/1/envelope/", &[], other_project).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error_message(&answer).contains("project 7"), "{answer}");
    assert_eq!(server.state.rejections().count("forbidden"), 3);
}

#[tokio::test]
async fn every_content_encoding_and_chunked_bodies_are_accepted() {
    let server = TestServer::new();
    let auth = server.sentry_auth();
    for (index, encoding) in [
        "identity", "gzip", "deflate", "deflate", "br", "zstd", "none", "chunked",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("{:032x}", index + 100);
        let plain = event_envelope(&id);
        let (body, header) = match (index, encoding) {
            (_, "identity") => (Body::from(plain), Some("identity")),
            (_, "gzip") => (Body::from(gzip(&plain)), Some("gzip")),
            (2, "deflate") => (Body::from(zlib(&plain)), Some("deflate")),
            (_, "deflate") => (Body::from(raw_deflate(&plain)), Some("deflate")),
            (_, "br") => (Body::from(brotli(&plain).await), Some("br")),
            (_, "zstd") => (Body::from(zstd(&plain).await), Some("zstd")),
            (_, "none") => (Body::from(plain), None),
            _ => {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    gzip(&plain).chunks(50).map(|c| Ok(c.to_vec())).collect();
                (
                    Body::from_stream(futures_util::stream::iter(chunks)),
                    Some("gzip"),
                )
            }
        };
        let mut headers = vec![
            ("x-sentry-auth", auth.as_str()),
            ("content-type", "application/x-sentry-envelope"),
        ];
        if let Some(header) = header {
            headers.push(("content-encoding", header));
        }
        let (status, answer, _) = server.post("/api/1/envelope/", &headers, body).await;
        assert_eq!(status, StatusCode::OK, "{encoding}: {answer}");
        assert_eq!(answer["id"], id.as_str(), "{encoding}");
    }
    let report = server.state.process_inbox().await.unwrap();
    assert_eq!(report.failed, 0);
    for index in 0..8 {
        let (status, _) = stored_event(&server, &format!("{:032x}", index + 100)).await;
        assert_eq!(status, StatusCode::OK, "encoding #{index}");
    }
}

#[tokio::test]
async fn size_limits_answer_413_naming_the_limit() {
    let server = TestServer::new();
    let big = json!({ "message": "x".repeat(MAX_EVENT_BYTES) });
    let (status, answer) = server
        .envelope(envelope(&json!({ "event_id": ID }), &big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        error_message(&answer).contains("MAX_EVENT_BYTES"),
        "{answer}"
    );

    // Past the decoded cap while inflating like real data (runs of pseudo-random digits, about
    // ten to one), so the cap, not the ratio limit, is what refuses it.
    let mut bomb = b"{}\n{\"type\":\"attachment\"}\n".to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    while bomb.len() <= MAX_DECOMPRESSED_BODY_BYTES + 10 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let digit = b"0123456789abcdef"[usize::try_from(state % 16).unwrap_or(0)];
        bomb.extend([digit; 16]);
    }
    let compressed = gzip(&bomb);
    assert!(compressed.len() < MAX_DECOMPRESSED_BODY_BYTES / 5);
    assert!(compressed.len() * 100 > bomb.len(), "under the ratio limit");
    let auth = server.sentry_auth();
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
            compressed,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        error_message(&answer).contains("MAX_DECOMPRESSED_BODY_BYTES"),
        "{answer}"
    );
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-length", "999999999")],
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        error_message(&answer).contains("MAX_BODY_BYTES"),
        "{answer}"
    );
    assert_eq!(server.state.rejections().count("too_large"), 3);
}

#[tokio::test]
async fn malformed_envelopes_are_400_with_the_reason() {
    let server = TestServer::new();
    let cases: [(&[u8], &str); 7] = [
        (b"", "empty"),
        (b"{\"event_id\":\"nope\"}\n", "invalid event_id"),
        (
            b"{}\n{\"type\":\"event\",\"length\":500}\n{\"a\":1}",
            "truncated",
        ),
        (b"{}\n{\"type\":\"event\"}\nnot json\n", "not a JSON object"),
        (b"{}\n{\"type\":\"event\"}\n[1,2]\n", "not a JSON object"),
        (
            b"{}\n{\"type\":\"event\"}\n{\"event_id\":\"xyz\"}\n",
            "invalid event_id",
        ),
        (b"[]\n", "not a JSON object"),
    ];
    for (body, reason) in cases {
        let (status, answer) = server.envelope(body.to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert!(error_message(&answer).contains(reason), "{answer}");
    }
    let auth = server.sentry_auth();
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "compress")],
            event_envelope(ID),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_message(&answer).contains("compress"), "{answer}");
    let (status, _, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
            b"not gzip".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(server.state.inbox_len_for_tests().await, 0);
}

#[tokio::test]
async fn the_same_event_twice_is_answered_twice_and_stored_once() {
    let mut server = TestServer::new();
    server.state = server.state.clone().with_background_processing(false);
    let auth = server.sentry_auth();
    for body in [
        event_envelope(ID),
        event_envelope("78b08263-fc50-486c-99ad-f1be127f7b19"),
    ] {
        let (status, answer, _) = server
            .post("/api/1/envelope/", &[("x-sentry-auth", &auth)], body)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["id"], ID);
    }
    let report = server.state.process_inbox().await.unwrap();
    assert_eq!((report.stored, report.duplicates), (1, 1), "{report:?}");
    let (status, event) = stored_event(&server, ID).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["id"], ID);
}

#[tokio::test]
async fn other_item_types_are_accepted_dropped_and_counted() {
    let server = TestServer::new();
    let body = "{\"sent_at\":\"2026-11-26T06:09:00Z\"}\n\
        {\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n\
        {\"type\":\"client_report\"}\n{\"discarded_events\":[]}\n\
        {\"type\":\"check_in\"}\n{}\n{\"type\":\"profile\"}\n{}\n{\"type\":\"span\"}\n{}\n\
        {\"type\":\"log\"}\n{}\n{\"type\":\"attachment\",\"length\":3}\nabc\n\
        {\"type\":\"from_the_future\"}\n{}\n";
    let (status, answer) = server.envelope(body.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({}));
    let dropped = server.state.dropped_items();
    assert_eq!(dropped.count("session", "release_health_not_tracked"), 1);
    assert_eq!(dropped.count("client_report", "client_report"), 1);
    assert_eq!(dropped.count("from_the_future", "unknown_item_type"), 1);
    assert_eq!(dropped.count("attachment", "attachments_not_supported"), 1);
    assert_eq!(server.state.inbox_len_for_tests().await, 0);

    // Dropped items next to an event do not stop it.
    let mut mixed = event_envelope(ID);
    mixed.extend_from_slice(b"{\"type\":\"session\"}\n{}\n");
    let (status, answer) = server.envelope(mixed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["id"], ID);
    assert_eq!(stored_event(&server, ID).await.0, StatusCode::OK);
}

#[tokio::test]
async fn transactions_are_kept_and_answered_with_their_id() {
    let server = TestServer::new();
    let transaction = json!({"type": "transaction", "event_id": ID, "transaction": "GET /",
        "contexts": {"trace": {"trace_id": TRACE, "span_id": "aaaaaaaaaaaaaaaa"}},
        "start_timestamp": 1.0, "timestamp": 2.0, "spans": []});
    let payload = serde_json::to_string(&transaction).unwrap();
    let body = format!("{{}}\n{{\"type\":\"transaction\"}}\n{payload}\n");
    let (status, answer) = server.envelope(body.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], ID);
    assert_eq!(
        stored_event(&server, ID).await.0,
        StatusCode::NOT_FOUND,
        "a transaction is not an error event"
    );
}

#[tokio::test]
async fn the_store_endpoint_takes_a_bare_event() {
    let server = TestServer::new();
    let key = server.key.clone();
    let event = python_event(ID, TRACE, None);
    let (status, answer, _) = server
        .post(
            &format!("/api/1/store/?sentry_key={key}"),
            &[("content-encoding", "gzip")],
            gzip(&serde_json::to_vec(&event).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], ID);

    let (status, answer, _) = server
        .post(
            &format!("/api/1/store?sentry_key={key}"),
            &[],
            b"{\"message\":\"no id\"}".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let generated = answer["id"].as_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32);
    server.state.process_inbox().await.unwrap();
    assert_eq!(
        stored_event(&server, ID).await.1["title"],
        "ZeroDivisionError: division by zero"
    );
    assert_eq!(stored_event(&server, &generated).await.1["title"], "no id");

    let (status, _, _) = server.post("/api/1/store/", &[], b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer, _) = server
        .post(
            &format!("/api/1/store/?sentry_key={key}"),
            &[],
            vec![b' '; MAX_EVENT_BYTES + 1],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_message(&answer).contains("MAX_EVENT_BYTES"));
}

#[tokio::test]
async fn over_the_rate_limit_sdks_are_told_when_to_retry() {
    let mut server = TestServer::new();
    server.state = server.state.clone().with_rate_limit(RateLimit {
        per_second: 0.5,
        burst: 2,
    });
    let auth = server.sentry_auth();
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let (status, answer, headers) = server
            .post(
                "/api/1/envelope/",
                &[("x-sentry-auth", &auth)],
                event_envelope(ID),
            )
            .await;
        assert_eq!(status, expected, "{answer}");
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(headers["retry-after"], "2");
            assert_eq!(headers["x-sentry-rate-limits"], "2::project:project_quota");
            assert_eq!(headers["access-control-allow-origin"], "*");
            assert!(error_message(&answer).contains("rate limit"));
        }
    }
}

#[tokio::test]
async fn cors_preflight_is_answered_for_envelopes() {
    let server = TestServer::new();
    let request = Request::options("/api/1/envelope/")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-sentry-auth",
        )
        .body(Body::empty())
        .unwrap();
    let response = server.send(request).await;
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-sentry-auth"), "{allowed}");
}

#[tokio::test]
async fn an_acknowledged_envelope_survives_a_restart_before_processing() {
    let server = TestServer::new();
    // Write to the inbox directly through the endpoint's store path, without the processor.
    let entry = sightline_server::store::NewInboxEntry {
        project_id: 1,
        event_id: ID.into(),
        received_at_ms: 1_795_673_336_123,
        payload: event_envelope(ID),
    };
    server
        .state
        .run_store(move |store| store.enqueue(&entry))
        .await
        .unwrap();
    let server = server.reopen();
    assert_eq!(server.state.inbox_len_for_tests().await, 1);
    let report = server.state.process_inbox().await.unwrap();
    assert_eq!(report.entries, 1);
    assert_eq!(server.state.inbox_len_for_tests().await, 0);
    assert_eq!(stored_event(&server, ID).await.0, StatusCode::OK);
}
