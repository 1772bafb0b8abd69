//! The read API through the real router: replay summaries, segment listings and bytes, admin
//! token checks, and data surviving a restart.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sightline_protocol::v1::Compression;
use support::{
    T0, TestServer, body_bytes, error_message, js_error, json_response, meta, network, replay_id,
    segment, simple_segment,
};

/// Uploads a two-segment replay (`a…`) with errors and traces, then a later one-segment replay
/// (`b…`); returns the byte strings of replay `a`.
async fn upload_two_replays(server: &TestServer) -> Vec<Vec<u8>> {
    let trace = "c".repeat(32);
    let older = replay_id('a');
    let first = segment(
        &older,
        0,
        T0,
        &[
            meta(0, "https://shop.example/"),
            network(100, 200, &trace),
            network(50, 200, ""),
            js_error(10, &"1".repeat(32)),
        ],
        Compression::DeflateRaw,
    );
    let second = segment(
        &older,
        1,
        T0 + 5_000,
        &[
            meta(0, "https://shop.example/cart"),
            network(20, 500, &trace),
            meta(30, "https://shop.example/"),
            js_error(1_000, &"2".repeat(32)),
        ],
        Compression::None,
    );
    // The later segment arrives first: summaries must not depend on arrival order.
    for bytes in [&second, &first] {
        let (status, body) = server.upload(bytes.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let newer = simple_segment(&replay_id('b'), 0, T0 + 60_000);
    assert_eq!(server.upload(newer).await.0, StatusCode::OK);
    vec![first, second]
}

#[tokio::test]
async fn replay_list_shows_derived_summaries_newest_first() {
    let server = TestServer::new();
    upload_two_replays(&server).await;
    let (status, list) = server.get_json("/api/0/replays/").await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], replay_id('b'));
    assert_eq!(
        list[1],
        json!({
            "id": replay_id('a'),
            "project": "1",
            "started_at": "2026-11-26T06:08:56.123Z",
            "finished_at": "2026-11-26T06:09:02.173Z",
            "urls": ["https://shop.example/", "https://shop.example/cart"],
            "release": "shop@1.4.2",
            "environment": "staging",
            "segment_count": 2,
            "error_ids": ["1".repeat(32), "2".repeat(32)],
            "trace_ids": ["c".repeat(32)],
            "duration_ms": 6_050,
            "started_at_ms": T0,
        })
    );
}

#[tokio::test]
async fn one_replay_by_id_or_404() {
    let server = TestServer::new();
    upload_two_replays(&server).await;
    let (_, list) = server.get_json("/api/0/replays/").await;
    for path in [
        format!("/api/0/replays/{}/", replay_id('a')),
        format!("/api/0/replays/{}", replay_id('a')),
    ] {
        let (status, one) = server.get_json(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one, list[1]);
    }
    let (status, body) = server
        .get_json(&format!("/api/0/replays/{}/", replay_id('9')))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_message(&body), "replay not found");
}

#[tokio::test]
async fn segments_are_listed_by_index_and_returned_byte_for_byte() {
    let server = TestServer::new();
    let uploaded = upload_two_replays(&server).await;
    let replay = replay_id('a');
    let (status, segments) = server
        .get_json(&format!("/api/0/replays/{replay}/segments/"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        segments,
        json!([
            { "index": 0, "start": T0, "end": T0 + 160, "event_count": 4,
              "size": uploaded[0].len() },
            { "index": 1, "start": T0 + 5_000, "end": T0 + 6_050, "event_count": 4,
              "size": uploaded[1].len() },
        ])
    );
    for (index, bytes) in uploaded.iter().enumerate() {
        let response = server
            .get(&format!("/api/0/replays/{replay}/segments/{index}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "application/octet-stream"
        );
        assert_eq!(body_bytes(response).await.as_ref(), bytes.as_slice());
    }
    let (status, _) = server
        .get_json(&format!("/api/0/replays/{replay}/segments/7"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server
        .get_json(&format!("/api/0/replays/{replay}/segments/x"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("segment index"));
    let (status, _) = server
        .get_json(&format!("/api/0/replays/{}/segments/", replay_id('9')))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn read_api_requires_the_admin_token() {
    let server = TestServer::new();
    upload_two_replays(&server).await;
    let replay = replay_id('a');
    let paths = [
        "/api/0/replays/".to_owned(),
        format!("/api/0/replays/{replay}/"),
        format!("/api/0/replays/{replay}/segments/"),
        format!("/api/0/replays/{replay}/segments/0"),
    ];
    let credentials = [
        None,
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {}", server.key)),
        Some(format!("Sentry sentry_key={}", server.key)),
        Some(server.token.clone()),
    ];
    for path in &paths {
        for credential in &credentials {
            let mut request = Request::get(path);
            if let Some(value) = credential {
                request = request.header("authorization", value);
            }
            let response = server.send(request.body(Body::empty()).unwrap()).await;
            let (status, body) = json_response(response).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{path} with {credential:?}"
            );
            assert!(error_message(&body).contains("admin token"), "{body}");
        }
        let query_token = format!("{path}?token={}", server.token);
        let response = server
            .send(Request::get(query_token).body(Body::empty()).unwrap())
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "header only");
        assert_eq!(server.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn data_survives_reopening_the_store() {
    let server = TestServer::new();
    let uploaded = upload_two_replays(&server).await;
    let (_, before) = server.get_json("/api/0/replays/").await;

    let server = server.reopen();
    let (status, after) = server.get_json("/api/0/replays/").await;
    assert_eq!(status, StatusCode::OK, "the first token still works");
    assert_eq!(after, before);
    let replay = replay_id('a');
    let stored = body_bytes(
        server
            .get(&format!("/api/0/replays/{replay}/segments/1"))
            .await,
    )
    .await;
    assert_eq!(stored.as_ref(), uploaded[1].as_slice());
    let (status, _) = server.upload(uploaded[0].clone()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "re-upload after restart is idempotent"
    );
    let next = simple_segment(&replay, 2, T0 + 10_000);
    assert_eq!(server.upload(next).await.0, StatusCode::OK);
    let (_, one) = server.get_json(&format!("/api/0/replays/{replay}/")).await;
    assert_eq!(one["segment_count"], 3);
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let server = TestServer::new();
    let (status, body) = server.get_json("/api/0/nothing/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_message(&body).contains("/api/0/nothing/"));
}
