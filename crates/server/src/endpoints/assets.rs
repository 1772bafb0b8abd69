//! Static files: the SDK loader and recorder package under `/sdk/`, the viewer under `/viewer/`,
//! the embeddable player element under `/player/`, and the viewer's `index.html` for its
//! client-side routes. Everything but `index.html` may be loaded from any origin (CORS `*`), so
//! pages elsewhere can record and dashboards elsewhere can embed the player.
//!
//! Files are read from the project root given by `--assets`: `www/sdk/sightline.js`, `pkg/…`,
//! `www/player/…` and `target/viewer/…`. The latter two are built by `cargo xtask build`; a missing file answers 404
//! saying so.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderValue;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::AppError;

/// Routes of the static assets.
pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/sdk/sightline.js", get(sdk_loader))
        .route("/sdk/{*path}", get(sdk_file))
        .route("/viewer/{*path}", get(viewer_file))
        .route("/player/{*path}", get(player_file));
    for route in [
        "/",
        "/replays",
        "/replays/",
        "/replays/{id}",
        "/issues",
        "/issues/",
        "/issues/{id}",
        "/releases",
        "/releases/",
        "/releases/{version}",
        "/alerts",
        "/alerts/",
        "/events/{id}",
        "/traces/{id}",
    ] {
        router = router.route(route, get(viewer_index));
    }
    router
}

/// `GET /sdk/sightline.js`: the classic-script loader from `www/sdk/`.
pub async fn sdk_loader(State(state): State<AppState>) -> Response {
    let dir = state.assets_dir().join("www").join("sdk");
    with_cors(serve_file(&dir, Path::new("sightline.js")).await)
}

/// `GET /sdk/{path}`: the recorder's ES module package from `pkg/`, loadable from any origin.
pub async fn sdk_file(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    let dir = state.assets_dir().join("pkg");
    with_cors(match relative_path(&path) {
        Ok(relative) => serve_file(&dir, &relative).await,
        Err(error) => Err(error),
    })
}

/// `GET /viewer/{path}`: the built viewer from `target/viewer/`, loadable from any origin (the
/// embedded player imports its module and wasm from here).
pub async fn viewer_file(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    with_cors(match relative_path(&path) {
        Ok(relative) => serve_file(&viewer_dir(&state), &relative).await,
        Err(error) => Err(error),
    })
}

/// `GET /player/{path}`: the `<sightline-player>` element and its demo dashboard from
/// `www/player/`.
pub async fn player_file(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    let dir = state.assets_dir().join("www").join("player");
    with_cors(match relative_path(&path) {
        Ok(relative) => serve_file(&dir, &relative).await,
        Err(error) => Err(error),
    })
}

/// The viewer's `index.html`, for every client-side route of the viewer.
pub async fn viewer_index(State(state): State<AppState>) -> Result<Response, AppError> {
    serve_file(&viewer_dir(&state), Path::new("index.html")).await
}

fn viewer_dir(state: &AppState) -> PathBuf {
    state.assets_dir().join("target").join("viewer")
}

/// Lets pages on any origin load the SDK (ES modules and wasm are fetched in CORS mode).
fn with_cors(response: Result<Response, AppError>) -> Response {
    let mut response = response.unwrap_or_else(IntoResponse::into_response);
    response
        .headers_mut()
        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// Turns a URL path tail into a relative file path that cannot leave its directory.
///
/// # Errors
/// [`AppError::BadRequest`] for empty, `.` or `..` segments, backslashes, colons or NUL.
pub fn relative_path(path: &str) -> Result<PathBuf, AppError> {
    let mut relative = PathBuf::new();
    for segment in path.split('/') {
        let bad = segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['\\', ':', '\0']);
        if bad {
            return Err(AppError::BadRequest(format!(
                "invalid asset path {:?}",
                path.chars().take(100).collect::<String>()
            )));
        }
        relative.push(segment);
    }
    Ok(relative)
}

/// Reads `dir/relative` into a response with its content type.
///
/// # Errors
/// [`AppError::NotFound`] (telling to run `cargo xtask build`) when the file is missing.
pub async fn serve_file(dir: &Path, relative: &Path) -> Result<Response, AppError> {
    let bytes = read_asset(dir, relative).await?;
    let content_type = content_type(relative);
    let mut response = (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        bytes,
    )
        .into_response();
    if content_type.starts_with("text/html") {
        response.extensions_mut().insert(super::headers::AssetHtml);
    }
    Ok(response)
}

/// Reads `dir/relative`.
///
/// # Errors
/// [`AppError::NotFound`] when it is not a readable file.
pub async fn read_asset(dir: &Path, relative: &Path) -> Result<Vec<u8>, AppError> {
    let full = dir.join(relative);
    let missing = || {
        AppError::NotFound(format!(
            "asset {} not found; run `cargo xtask build` to build the SDK and viewer assets",
            full.display()
        ))
    };
    match tokio::fs::metadata(&full).await {
        Ok(metadata) if metadata.is_file() => {}
        _ => return Err(missing()),
    }
    tokio::fs::read(&full).await.map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            missing()
        } else {
            AppError::Internal(format!("cannot read {}: {error}", full.display()))
        }
    })
}

/// The `Content-Type` for a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "js" | "mjs" => "text/javascript",
        "wasm" => "application/wasm",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "ts" => "text/plain; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for path in [
            "../Cargo.toml",
            "a/../../b",
            "./x",
            "a//b",
            "a\\b",
            "C:x",
            "",
        ] {
            assert!(relative_path(path).is_err(), "{path:?} must be refused");
        }
        assert!(relative_path("snippets/x/inline0.js").is_ok());
    }

    #[test]
    fn content_types_match_the_browser_expectations() {
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("a.js")), "text/javascript");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("x.d.ts")),
            "text/plain; charset=utf-8"
        );
    }
}
