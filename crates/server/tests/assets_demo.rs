//! Static assets and the demo through the real router: files from `--assets`, content types,
//! CORS on the SDK, the viewer's client-side routes, traversal, missing builds and `--demo`.

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{TestServer, body_bytes, error_message, json_response};

fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// Lays out a built project root: loader, recorder package, viewer and demo page.
fn build_assets(server: &TestServer) {
    let root = server.assets();
    write(&root.join("www/sdk/sightline.js"), "/* loader */");
    write(&root.join("pkg/sightline_recorder.js"), "export default 1;");
    write(&root.join("pkg/sightline_recorder_bg.wasm"), "\0asm");
    write(
        &root.join("pkg/snippets/rec-1/inline0.js"),
        "export const x = 1;",
    );
    write(
        &root.join("target/viewer/index.html"),
        "<!doctype html><title>viewer</title>",
    );
    write(
        &root.join("target/viewer/sightline_viewer.js"),
        "export default 2;",
    );
    write(
        &root.join("www/demo/index.html"),
        "<script data-dsn=\"%SIGHTLINE_DSN%\"></script><p>%SIGHTLINE_DSN%</p>",
    );
    write(&root.join("www/demo/shop.css"), "body {}");
    write(&root.join("secret.txt"), "do not serve");
}

async fn get(server: &TestServer, path: &str) -> axum::http::Response<Body> {
    server
        .send(Request::get(path).body(Body::empty()).unwrap())
        .await
}

#[tokio::test]
async fn sdk_files_have_content_types_and_allow_any_origin() {
    let server = TestServer::new();
    build_assets(&server);
    let cases = [
        ("/sdk/sightline.js", "text/javascript", "/* loader */"),
        (
            "/sdk/sightline_recorder.js",
            "text/javascript",
            "export default 1;",
        ),
        (
            "/sdk/sightline_recorder_bg.wasm",
            "application/wasm",
            "\0asm",
        ),
        (
            "/sdk/snippets/rec-1/inline0.js",
            "text/javascript",
            "export const x = 1;",
        ),
    ];
    for (path, content_type, contents) in cases {
        let response = get(&server, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert_eq!(body_bytes(response).await.as_ref(), contents.as_bytes());
    }
}

#[tokio::test]
async fn viewer_files_and_client_side_routes() {
    let server = TestServer::new();
    build_assets(&server);
    let response = get(&server, "/viewer/sightline_viewer.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/javascript");
    let id = "a".repeat(32);
    for path in [
        "/".to_owned(),
        "/replays".to_owned(),
        format!("/replays/{id}?t=1500"),
        "/issues".to_owned(),
        "/issues/42".to_owned(),
        "/issues?query=is%3Aunresolved&sort=freq".to_owned(),
        "/releases".to_owned(),
        "/releases/shop%401.4.2".to_owned(),
        "/alerts".to_owned(),
        format!("/events/{id}"),
        format!("/traces/{id}"),
    ] {
        let response = get(&server, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        let body = body_bytes(response).await;
        assert!(body.starts_with(b"<!doctype html><title>viewer"), "{path}");
    }
}

#[tokio::test]
async fn missing_build_says_to_run_xtask_build() {
    let server = TestServer::new();
    for path in [
        "/sdk/sightline_recorder_bg.wasm",
        "/sdk/sightline.js",
        "/viewer/sightline_viewer.js",
        "/replays",
    ] {
        let (status, body) = json_response(get(&server, path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            error_message(&body).contains("cargo xtask build"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let server = TestServer::new();
    build_assets(&server);
    for path in [
        "/sdk/../secret.txt",
        "/sdk/%2e%2e/secret.txt",
        "/sdk/..%2Fsecret.txt",
        "/viewer/../../secret.txt",
        "/viewer/%2e%2e/%2e%2e/secret.txt",
        "/viewer/..%5C..%5Csecret.txt",
    ] {
        let response = get(&server, path).await;
        let status = response.status();
        assert!(status.is_client_error(), "{path} answered {status}");
        let body = body_bytes(response).await;
        assert!(
            !String::from_utf8_lossy(&body).contains("do not serve"),
            "{path} leaked a file"
        );
    }
}

#[tokio::test]
async fn demo_is_off_without_the_flag() {
    let server = TestServer::new();
    build_assets(&server);
    for path in ["/demo/", "/demo/api/products"] {
        assert_eq!(get(&server, path).await.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn demo_redirects_to_the_demo_shop() {
    let server = TestServer::with_demo();
    for (path, location) in [
        ("/demo", "http://127.0.0.1:8081/"),
        ("/demo/", "http://127.0.0.1:8081/"),
        ("/demo/app.js", "http://127.0.0.1:8081/app.js"),
    ] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(response.headers()["location"], location, "{path}");
    }
    // The shop is its own service: no backend route of it is answered here.
    let request = Request::post("/demo/api/checkout")
        .body(Body::from(r#"{"items":[1]}"#))
        .unwrap();
    assert!(server.send(request).await.status().is_client_error());
}

#[tokio::test]
async fn player_and_viewer_files_and_the_read_api_can_be_used_from_other_origins() {
    let server = TestServer::new();
    build_assets(&server);
    write(
        &server.assets().join("www/player/sightline-player.js"),
        "customElements.define('sightline-player', class extends HTMLElement {});",
    );
    for (path, content_type) in [
        ("/player/sightline-player.js", "text/javascript"),
        ("/viewer/sightline_viewer.js", "text/javascript"),
    ] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
    }
    let missing = get(&server, "/player/nope.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&server, "/player/../secret.txt")
            .await
            .status()
            .as_u16()
            / 100,
        4
    );

    // A dashboard elsewhere asks before sending the bearer token, and can read a 401.
    let preflight = server
        .send(
            Request::options("/api/0/replays/")
                .header("origin", "https://dashboard.example")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let unauthorized = server
        .send(
            Request::get("/api/0/replays/")
                .header("origin", "https://dashboard.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unauthorized.headers()["access-control-allow-origin"], "*");
}
