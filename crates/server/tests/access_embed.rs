//! Embed tokens open exactly one replay's endpoints (and the events linked to it), nothing
//! else; they expire, a changed token is refused, and revoking a replay's tokens refuses those
//! issued before.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use sightline_server::auth::EMBED_KEY_NAME;
use sightline_server::auth::embed_token::{self, EmbedGrant};
use support::{
    T0, TestServer, body_bytes, envelope, meta, python_event, replay_id, segment, traced_request,
};

const TRACE: &str = "0123456789abcdef0123456789abcdef";
const LINKED: &str = "abcdefabcdefabcdefabcdefabcdef01";
const OTHER: &str = "abcdefabcdefabcdefabcdefabcdef02";

async fn get(server: &TestServer, path: &str, token: &str) -> (StatusCode, Value) {
    let request = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = server.send(request).await;
    let status = response.status();
    let bytes = body_bytes(response).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn upload(server: &TestServer, replay: &str) {
    let bytes = segment(
        replay,
        0,
        T0,
        &[
            meta(0, "https://shop.example/"),
            traced_request(100, 500, TRACE, "aaaaaaaaaaaaaaaa"),
        ],
        Compression::None,
    );
    let (status, body) = server.upload(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn send_event(server: &TestServer, id: &str, replay: Option<&str>) {
    let header = match replay {
        Some(replay) => json!({"event_id": id, "trace": {"trace_id": TRACE, "replay_id": replay}}),
        None => json!({"event_id": id}),
    };
    let (status, body) = server
        .envelope(envelope(&header, &python_event(id, &"9".repeat(32), None)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn embed_token_for(server: &TestServer, replay: &str, body: Value) -> (StatusCode, Value) {
    server
        .admin_json(
            "POST",
            &format!("/api/0/replays/{replay}/embed-tokens/"),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn an_embed_token_opens_its_replay_and_nothing_else() {
    let server = TestServer::new();
    let (mine, other) = (replay_id('a'), replay_id('b'));
    upload(&server, &mine).await;
    upload(&server, &other).await;
    send_event(&server, LINKED, Some(&mine)).await;
    send_event(&server, OTHER, None).await;

    let (status, body) = embed_token_for(&server, &mine, json!({"expires_in": 600})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["replay_id"], mine.as_str());
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sle1."), "{token}");

    for path in [
        format!("/api/0/replays/{mine}/"),
        format!("/api/0/replays/{mine}/segments/"),
        format!("/api/0/replays/{mine}/segments/0"),
        format!("/api/0/replays/{mine}/events/"),
        format!("/api/0/events/{LINKED}/"),
    ] {
        let (status, body) = get(&server, &path, &token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (_, events) = get(&server, &format!("/api/0/replays/{mine}/events/"), &token).await;
    assert_eq!(events[0]["id"], LINKED);

    for path in [
        format!("/api/0/replays/{other}/"),
        format!("/api/0/replays/{other}/segments/0"),
        format!("/api/0/events/{OTHER}/"),
        "/api/0/replays/".to_owned(),
        "/api/0/issues/".to_owned(),
        format!("/api/0/traces/{TRACE}/"),
        "/api/0/projects/".to_owned(),
        "/api/0/projects/1/releases/".to_owned(),
        "/api/0/api-tokens/".to_owned(),
    ] {
        let (status, body) = get(&server, &path, &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let request = Request::post(format!("/api/0/replays/{mine}/embed-tokens/"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        server.send(request).await.status(),
        StatusCode::FORBIDDEN,
        "an embed token cannot mint more"
    );
}

#[tokio::test]
async fn expired_and_tampered_embed_tokens_are_refused() {
    let server = TestServer::new();
    let replay = replay_id('a');
    upload(&server, &replay).await;
    let (_, body) = embed_token_for(&server, &replay, json!({})).await;
    let token = body["token"].as_str().unwrap().to_owned();
    let path = format!("/api/0/replays/{replay}/");
    assert_eq!(get(&server, &path, &token).await.0, StatusCode::OK);

    // Another replay's id in the payload, with the original signature.
    let other = EmbedGrant {
        replay_id: replay_id('b'),
        project_id: 1,
        expires_at: u64::MAX / 2,
        issued_at_ms: 0,
    };
    let forged = embed_token::sign(&other, b"a guessed key");
    let (payload, _) = forged.rsplit_once('.').unwrap();
    let (_, signature) = token.rsplit_once('.').unwrap();
    let (status, body) = get(&server, &path, &format!("{payload}.{signature}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = get(
        &server,
        &format!("/api/0/replays/{}/", replay_id('b')),
        &forged,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "signed with the wrong key"
    );
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        get(&server, &path, &flipped).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Signed with the server's key but already expired.
    let key = server
        .state
        .run_store(|store| store.server_secret(EMBED_KEY_NAME, &[0; 32]))
        .await
        .unwrap();
    let expired = EmbedGrant {
        replay_id: replay.clone(),
        project_id: 1,
        expires_at: 1_000,
        issued_at_ms: 0,
    };
    let (status, body) = get(&server, &path, &embed_token::sign(&expired, &key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    let (status, _) =
        embed_token_for(&server, &replay, json!({"expires_in": 31 * 24 * 3600})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "at most 30 days");
    let (status, _) = embed_token_for(&server, &replay_id('c'), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown replay");
}

#[tokio::test]
async fn revoking_a_replays_embed_tokens_refuses_those_issued_before() {
    let server = TestServer::new();
    let (mine, other) = (replay_id('a'), replay_id('b'));
    upload(&server, &mine).await;
    upload(&server, &other).await;
    let (_, old) = embed_token_for(&server, &mine, json!({})).await;
    let old = old["token"].as_str().unwrap().to_owned();
    let (_, untouched) = embed_token_for(&server, &other, json!({})).await;
    let untouched = untouched["token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&server, &format!("/api/0/replays/{mine}/"), &old)
            .await
            .0,
        StatusCode::OK
    );

    let (status, body) = server
        .admin_json(
            "DELETE",
            &format!("/api/0/replays/{mine}/embed-tokens/"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = get(&server, &format!("/api/0/replays/{mine}/"), &old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
    assert_eq!(
        get(&server, &format!("/api/0/replays/{other}/"), &untouched)
            .await
            .0,
        StatusCode::OK,
        "another replay's tokens still work"
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    let (_, new) = embed_token_for(&server, &mine, json!({})).await;
    let new = new["token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&server, &format!("/api/0/replays/{mine}/"), &new)
            .await
            .0,
        StatusCode::OK,
        "a token issued after the revocation works"
    );
}
