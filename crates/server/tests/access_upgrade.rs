//! A database written by the previous version (schema 4: one project, admin tokens, no
//! accounts) opens: its admin token still works as a superuser's admin-scope token, its DSN key
//! still ingests, and the default organization and `admin@localhost` exist.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use sightline_server::auth::token_digest;
use sightline_server::project::ensure_default_project;
use sightline_server::store::{AccessStore, DATABASE_FILE, SqliteStore};
use sightline_server::{AppState, app};
use support::{T0, meta, replay_id, segment};
use tower::ServiceExt;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";

#[tokio::test]
async fn a_version_4_database_keeps_its_admin_token_and_dsn_key() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        old.execute_batch(include_str!("fixtures/schema_v4.sql"))
            .unwrap();
        old.execute(
            "INSERT INTO projects (id, public_key, created_at_ms) VALUES (1, ?1, 1)",
            [KEY],
        )
        .unwrap();
        old.execute(
            "INSERT INTO admin_tokens (token_sha256, created_at_ms) VALUES (?1, 1)",
            [token_digest(TOKEN)],
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let default = ensure_default_project(&store).unwrap();
    assert!(
        default.new_admin_token.is_none(),
        "no new token for an old database"
    );
    let row = store.api_token(&token_digest(TOKEN)).unwrap().unwrap();
    assert_eq!(row.scopes, "read write admin");
    let admin = store.user(row.user_id).unwrap().unwrap();
    assert_eq!(admin.email, "admin@localhost");
    assert!(admin.is_superuser);
    assert_eq!(store.organizations().unwrap()[0].slug, "default");
    assert_eq!(store.org_projects().unwrap()[0].organization_id, 1);

    let state = AppState::new(Arc::new(store), dir.path());
    let bytes = segment(
        &replay_id('a'),
        0,
        T0,
        &[meta(0, "https://x.example/")],
        sightline_protocol::v1::Compression::None,
    );
    let upload = axum::http::Request::post(format!("/api/1/replay/?sentry_key={KEY}"))
        .body(axum::body::Body::from(bytes))
        .unwrap();
    let response = app(state.clone()).oneshot(upload).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the old DSN key ingests");
    let request = axum::http::Request::get("/api/0/replays/")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the old admin token works"
    );
    let request = axum::http::Request::post("/api/0/users/")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"email": "new@example.com", "password": "long enough"}"#,
        ))
        .unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "with admin scope");
}
