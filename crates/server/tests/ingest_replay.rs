//! Replay segment ingest through the real router: storage, idempotency, conflicts, every kind of
//! bad input, authentication and CORS.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sightline_protocol::limits::{MAX_BODY_BYTES, MAX_SEGMENT_BYTES};
use sightline_protocol::v1::{Compression, SegmentHeader};
use sightline_protocol::{decode_header, encode_header_prefix, encode_segment};
use support::{
    T0, TestServer, body_bytes, error_message, js_error, meta, network, replay_id, segment,
    simple_segment,
};

#[tokio::test]
async fn segments_in_both_compressions_are_stored_and_acknowledged() {
    let server = TestServer::new();
    let replay = replay_id('a');
    for (index, compression) in [(0, Compression::None), (1, Compression::DeflateRaw)] {
        let events = [
            meta(0, "https://shop.example/"),
            js_error(5, &replay_id('e')),
        ];
        let bytes = segment(
            &replay,
            index,
            T0 + u64::from(index) * 1_000,
            &events,
            compression,
        );
        let (status, body) = server.upload(bytes.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({ "id": replay, "index": index }));
        let stored = server.stored_segment(&replay, index).await;
        assert_eq!(stored.as_ref(), bytes.as_slice());
    }
    let (_, replay_json) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(replay_json["segment_count"], 2);
}

#[tokio::test]
async fn identical_reupload_is_accepted_once() {
    let server = TestServer::new();
    let replay = replay_id('b');
    let bytes = simple_segment(&replay, 0, T0);
    for _ in 0..3 {
        let (status, body) = server.upload(bytes.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({ "id": replay, "index": 0 }));
    }
    let (_, segments) = server
        .get_json(&format!("/api/0/replays/{replay}/segments/"))
        .await;
    assert_eq!(segments.as_array().unwrap().len(), 1);
    let (_, replay_json) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(replay_json["segment_count"], 1);
}

#[tokio::test]
async fn different_bytes_under_a_stored_index_conflict() {
    let server = TestServer::new();
    let replay = replay_id('c');
    let original = simple_segment(&replay, 0, T0);
    assert_eq!(server.upload(original.clone()).await.0, StatusCode::OK);
    let different = simple_segment(&replay, 0, T0 + 5);
    let (status, body) = server.upload(different).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_message(&body).contains("different content"), "{body}");
    let stored = body_bytes(
        server
            .get(&format!("/api/0/replays/{replay}/segments/0"))
            .await,
    )
    .await;
    assert_eq!(
        stored.as_ref(),
        original.as_slice(),
        "the first upload wins"
    );
    assert_eq!(server.state.rejections().count("conflict"), 1);
}

/// Uploads `bad`, expects `status` with a message containing `needle`, and checks that the
/// segment stored before is intact and a later upload still works.
async fn assert_rejected(bad: Vec<u8>, status: StatusCode, needle: &str) {
    let server = TestServer::new();
    let replay = replay_id('d');
    let before = simple_segment(&replay, 0, T0);
    assert_eq!(server.upload(before.clone()).await.0, StatusCode::OK);

    let (got, body) = server.upload(bad).await;
    assert_eq!(got, status, "{body}");
    let message = error_message(&body);
    assert!(
        message.to_lowercase().contains(needle),
        "{message:?} should mention {needle:?}"
    );

    let after = simple_segment(&replay, 1, T0 + 1_000);
    assert_eq!(server.upload(after.clone()).await.0, StatusCode::OK);
    let (_, segments) = server
        .get_json(&format!("/api/0/replays/{replay}/segments/"))
        .await;
    let indexes: Vec<u64> = segments
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1], "only the good segments are stored");
    for (index, bytes) in [(0, before), (1, after)] {
        let stored = server.stored_segment(&replay, index).await;
        assert_eq!(stored.as_ref(), bytes.as_slice());
    }
    let (_, replay_json) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(replay_json["segment_count"], 2);
}

#[tokio::test]
async fn malformed_body_is_rejected() {
    let mut bytes = encode_header_prefix(&SegmentHeader::new(replay_id('d'), 5, 1, T0)).unwrap();
    bytes.extend_from_slice(&[0xc1, 0xc1, 0xc1]);
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "segment").await;
}

#[tokio::test]
async fn body_that_is_not_an_event_array_is_rejected() {
    let mut header = SegmentHeader::new(replay_id('d'), 5, 1, T0);
    header.event_count = 1;
    let mut bytes = encode_header_prefix(&header).unwrap();
    bytes.extend_from_slice(&[0x93, 0x63, 0x00, 0x00]);
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "malformed").await;
}

#[tokio::test]
async fn truncated_segment_is_rejected() {
    let full = segment(
        &replay_id('d'),
        5,
        T0,
        &[meta(0, "https://shop.example/"), network(3, 500, "")],
        Compression::None,
    );
    assert_rejected(
        full[..full.len() - 4].to_vec(),
        StatusCode::BAD_REQUEST,
        "truncated",
    )
    .await;
    assert_rejected(full[..10].to_vec(), StatusCode::BAD_REQUEST, "truncated").await;
}

#[tokio::test]
async fn corrupt_deflate_body_is_rejected() {
    let mut bytes = segment(
        &replay_id('d'),
        5,
        T0,
        &[meta(0, "https://shop.example/")],
        Compression::DeflateRaw,
    );
    let last = bytes.len() - 1;
    bytes.truncate(last - 3);
    bytes.extend_from_slice(&[0xff; 8]);
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "segment").await;
}

#[tokio::test]
async fn wrong_version_byte_is_rejected() {
    let mut bytes = simple_segment(&replay_id('d'), 5, T0);
    bytes[4] = 9;
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "version 9").await;
}

#[tokio::test]
async fn wrong_magic_is_rejected() {
    let mut bytes = simple_segment(&replay_id('d'), 5, T0);
    bytes[..4].copy_from_slice(b"GIF8");
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "magic").await;
}

#[tokio::test]
async fn empty_body_is_rejected() {
    assert_rejected(Vec::new(), StatusCode::BAD_REQUEST, "segment").await;
}

#[tokio::test]
async fn segment_for_another_project_is_rejected() {
    let header = SegmentHeader::new(replay_id('d'), 5, 2, T0);
    let bytes = encode_segment(&header, &[meta(0, "https://x/")], Compression::None).unwrap();
    assert_rejected(bytes, StatusCode::BAD_REQUEST, "project 2").await;
}

#[tokio::test]
async fn oversized_body_is_413_naming_the_limit() {
    let oversized = vec![0_u8; MAX_SEGMENT_BYTES + 1];
    assert_rejected(
        oversized,
        StatusCode::PAYLOAD_TOO_LARGE,
        &MAX_SEGMENT_BYTES.to_string(),
    )
    .await;
}

#[tokio::test]
async fn a_compression_bomb_is_413_naming_the_inflated_limit() {
    use std::io::Write as _;
    let header = SegmentHeader::new(replay_id('d'), 1, 1, T0);
    let valid = encode_segment(&header, &[meta(0, "https://x/")], Compression::DeflateRaw).unwrap();
    let (_, body) = decode_header(&valid).unwrap();
    let mut bomb = valid[..valid.len() - body.len()].to_vec();
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0_u8; 1024 * 1024];
    for _ in 0..=MAX_BODY_BYTES / zeros.len() {
        deflate.write_all(&zeros).unwrap();
    }
    bomb.extend(deflate.finish().unwrap());
    assert!(
        bomb.len() < MAX_SEGMENT_BYTES,
        "small on the wire: {}",
        bomb.len()
    );
    assert_rejected(
        bomb,
        StatusCode::PAYLOAD_TOO_LARGE,
        &MAX_BODY_BYTES.to_string(),
    )
    .await;
}

#[tokio::test]
async fn oversized_body_with_content_length_is_refused_before_reading() {
    let server = TestServer::new();
    let request = Request::post(format!("/api/1/replay/?sentry_key={}", server.key))
        .header("content-length", (MAX_SEGMENT_BYTES + 1).to_string())
        .body(Body::from(vec![0_u8; 16]))
        .unwrap();
    let (status, body) = support::json_response(server.send(request).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_message(&body).contains(&MAX_SEGMENT_BYTES.to_string()));
    assert_eq!(server.state.rejections().count("too_large"), 1);
}

#[tokio::test]
async fn key_is_accepted_from_every_sentry_auth_form() {
    let server = TestServer::new();
    let replay = replay_id('f');
    let headers = [
        (
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", server.key),
        ),
        (
            "authorization",
            format!("Sentry sentry_key={}, sentry_version=7", server.key),
        ),
    ];
    for (index, (name, value)) in headers.into_iter().enumerate() {
        let index = u32::try_from(index).unwrap();
        let request = Request::post("/api/1/replay/")
            .header(name, value)
            .header("content-type", "application/octet-stream")
            .body(Body::from(simple_segment(&replay, index, T0)))
            .unwrap();
        let (status, body) = support::json_response(server.send(request).await).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
    }
}

#[tokio::test]
async fn missing_key_is_401() {
    let server = TestServer::new();
    let (status, body) = server
        .upload_to(1, "", simple_segment(&replay_id('a'), 0, T0))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(error_message(&body).contains("missing DSN key"));
    assert_eq!(server.state.rejections().count("missing_key"), 1);
}

#[tokio::test]
async fn unknown_key_is_403() {
    let server = TestServer::new();
    let (status, body) = server
        .upload_to(
            1,
            "?sentry_key=0000",
            simple_segment(&replay_id('a'), 0, T0),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        error_message(&body).contains("not valid for project 1"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_project_is_403() {
    let server = TestServer::new();
    let query = format!("?sentry_key={}", server.key);
    for project in [7, 0] {
        let (status, body) = server
            .upload_to(project, &query, simple_segment(&replay_id('a'), 0, T0))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(error_message(&body).contains("unknown project"), "{body}");
    }
    let (status, _) = server.get_json("/api/0/replays/").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn cors_preflight_is_answered_and_responses_allow_any_origin() {
    let server = TestServer::new();
    let preflight = Request::options("/api/1/replay/")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-sentry-auth",
        )
        .body(Body::empty())
        .unwrap();
    let response = server.send(preflight).await;
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in ["content-type", "x-sentry-auth", "authorization"] {
        assert!(allowed.contains(header), "{allowed} lacks {header}");
    }

    for query in [format!("?sentry_key={}", server.key), String::new()] {
        let request = Request::post(format!("/api/1/replay/{query}"))
            .header("origin", "https://shop.example")
            .body(Body::from(simple_segment(&replay_id('a'), 0, T0)))
            .unwrap();
        let response = server.send(request).await;
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
    }
}
