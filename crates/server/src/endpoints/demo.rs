//! `/demo/…` (only with `--demo`): sends the browser to the demo shop, a separate service
//! (`sightline-demo-shop`, see `cargo xtask demo`) on its own origin, as a real shop would be. The
//! shop's backend reports to Sightline with the official `sentry` crate; nothing of it runs here.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::get;

use crate::AppState;

/// Routes of the demo.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(to_shop))
        .route("/demo/", get(to_shop))
        .route("/demo/{*path}", get(to_shop_path))
}

/// `GET /demo/`: a temporary redirect to the demo shop's page.
pub async fn to_shop(State(state): State<AppState>) -> Redirect {
    Redirect::temporary(&shop_url(state.demo_shop(), ""))
}

/// `GET /demo/{path}`: a temporary redirect to the same path at the demo shop.
pub async fn to_shop_path(State(state): State<AppState>, Path(path): Path<String>) -> Redirect {
    Redirect::temporary(&shop_url(state.demo_shop(), &path))
}

/// `path` (relative, without its leading slash) under the shop's base URL.
fn shop_url(shop: &str, path: &str) -> String {
    let path: String = path
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '\\')
        .collect();
    format!(
        "{}/{}",
        shop.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_joined_under_the_shop() {
        assert_eq!(
            shop_url("http://127.0.0.1:8081/", ""),
            "http://127.0.0.1:8081/"
        );
        assert_eq!(
            shop_url("http://127.0.0.1:8081", "app.js"),
            "http://127.0.0.1:8081/app.js"
        );
        assert_eq!(
            shop_url("http://shop.example/", "//evil.example/x"),
            "http://shop.example/evil.example/x"
        );
    }
}
