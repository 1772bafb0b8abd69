//! `/demo/…` (only with `--demo`): the demo shop page with project 1's DSN filled in, its files,
//! and a tiny backend whose checkout fails on purpose so the replay shows a 500.

use std::path::Path;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::assets::{read_asset, relative_path, serve_file};
use crate::AppState;
use crate::error::AppError;
use crate::project::{DEFAULT_PROJECT_ID, dsn};

/// The placeholder in demo HTML replaced by project 1's DSN.
pub const DSN_PLACEHOLDER: &str = "%SIGHTLINE_DSN%";

/// Routes of the demo.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(demo_index))
        .route("/demo/api/products", get(products))
        .route("/demo/api/checkout", post(checkout))
        .route("/demo/{*path}", get(demo_file))
}

/// `GET /demo/`: `www/demo/index.html` with the DSN filled in.
pub async fn demo_index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    demo_html(&state, &headers, Path::new("index.html")).await
}

/// `GET /demo/{path}`: a file from `www/demo/`; HTML files get the DSN filled in.
pub async fn demo_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(path): UrlPath<String>,
) -> Result<Response, AppError> {
    let relative = relative_path(&path)?;
    if relative
        .extension()
        .is_some_and(|extension| extension == "html")
    {
        demo_html(&state, &headers, &relative).await
    } else {
        serve_file(&demo_dir(&state), &relative).await
    }
}

/// `GET /demo/api/products`: the shop's catalogue.
pub async fn products() -> Json<Value> {
    Json(json!([
        { "id": 1, "name": "Trail Running Shoes", "price_cents": 12900, "currency": "EUR" },
        { "id": 2, "name": "Merino Wool Socks", "price_cents": 1900, "currency": "EUR" },
        { "id": 3, "name": "Rain Jacket", "price_cents": 18900, "currency": "EUR" },
        { "id": 4, "name": "Headlamp", "price_cents": 4500, "currency": "EUR" },
    ]))
}

/// `POST /demo/api/checkout`: always fails with 500, the demo's deliberate backend error.
pub async fn checkout() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "payment provider timeout" })),
    )
        .into_response()
}

async fn demo_html(
    state: &AppState,
    headers: &HeaderMap,
    relative: &Path,
) -> Result<Response, AppError> {
    let bytes = read_asset(&demo_dir(state), relative).await?;
    let html = String::from_utf8(bytes)
        .map_err(|_| AppError::Internal(format!("{} is not UTF-8", relative.display())))?;
    let project = state
        .run_store(|store| store.project(DEFAULT_PROJECT_ID))
        .await?
        .ok_or_else(|| AppError::NotFound("the default project does not exist".into()))?;
    let host = request_host(headers).unwrap_or_else(|| state.public_host());
    let html = html.replace(DSN_PLACEHOLDER, &dsn(&project, host));
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response())
}

fn demo_dir(state: &AppState) -> std::path::PathBuf {
    state.assets_dir().join("www").join("demo")
}

/// The request's `Host` when it is a plain `host[:port]`, so the page's DSN points where the
/// browser already connects (the bound address may be `0.0.0.0`).
fn request_host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    plain.then_some(host)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_plain_hosts_are_used() {
        let mut headers = HeaderMap::new();
        assert_eq!(request_host(&headers), None);
        headers.insert(HOST, HeaderValue::from_static("localhost:8080"));
        assert_eq!(request_host(&headers), Some("localhost:8080"));
        headers.insert(HOST, HeaderValue::from_static("a\"><script>"));
        assert_eq!(request_host(&headers), None);
    }
}
