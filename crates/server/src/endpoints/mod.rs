//! The HTTP endpoints, one file each, and the [`router`] that mounts them.

pub mod accounts;
pub mod alerts;
pub mod assets;
pub mod demo;
pub mod embed;
pub mod envelope_ingest;
pub mod events;
pub mod headers;
pub mod issues;
pub mod privacy;
pub mod project_settings;
pub mod quarantine;
pub mod releases;
pub mod replay_events;
pub mod replay_ingest;
pub mod replays;
pub mod segments;
pub mod session;
pub mod store_ingest;
pub mod traces;

use std::time::Duration;

use axum::Router;
use axum::http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, Method, Uri};
use axum::routing::{MethodRouter, get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::error::AppError;

/// Mounts each `(path, handler)` both without and with a trailing slash, as Sentry's API
/// answers both forms.
pub(crate) fn with_and_without_slash(
    routes: impl IntoIterator<Item = (&'static str, MethodRouter<AppState>)>,
) -> Router<AppState> {
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router
                .route(&format!("{path}/"), handler.clone())
                .route(path, handler)
        })
}

/// Builds the router over `state`; see the crate documentation for the routes.
pub fn router(state: AppState) -> Router {
    let ingest = Router::new()
        .route(
            "/api/{project_id}/replay/",
            post(replay_ingest::ingest_replay),
        )
        .route(
            "/api/{project_id}/replay",
            post(replay_ingest::ingest_replay),
        )
        .route(
            "/api/{project_id}/envelope/",
            post(envelope_ingest::ingest_envelope),
        )
        .route(
            "/api/{project_id}/envelope",
            post(envelope_ingest::ingest_envelope),
        )
        .route("/api/{project_id}/store/", post(store_ingest::ingest_store))
        .route("/api/{project_id}/store", post(store_ingest::ingest_store))
        .layer(ingest_cors());

    let api = Router::new()
        .route("/api/0/replays/", get(replays::list_replays))
        .route("/api/0/replays", get(replays::list_replays))
        .route("/api/0/replays/{id}/", get(replays::get_replay))
        .route("/api/0/replays/{id}", get(replays::get_replay))
        .route(
            "/api/0/replays/{id}/segments/",
            get(segments::list_segments),
        )
        .route("/api/0/replays/{id}/segments", get(segments::list_segments))
        .route(
            "/api/0/replays/{id}/segments/{index}",
            get(segments::segment_bytes),
        )
        .route(
            "/api/0/replays/{id}/events/",
            get(replay_events::list_replay_events),
        )
        .route(
            "/api/0/replays/{id}/events",
            get(replay_events::list_replay_events),
        )
        .route("/api/0/events/{event_id}/", get(events::get_event))
        .route("/api/0/events/{event_id}", get(events::get_event))
        .route("/api/0/traces/{trace_id}/", get(traces::get_trace))
        .route("/api/0/traces/{trace_id}", get(traces::get_trace))
        .merge(issues::router())
        .merge(releases::router())
        .merge(project_settings::router())
        .merge(alerts::router())
        .merge(session::router())
        .merge(accounts::router())
        .merge(embed::router())
        .merge(privacy::router())
        .merge(quarantine::router())
        .layer(read_api_cors());

    let mut router = ingest.merge(api).merge(assets::router());
    if state.demo() {
        router = router.merge(demo::router());
    }
    router
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn(log_failed_requests))
        .with_state(state)
}

/// Logs which request failed with a server error (the error itself is logged where it
/// happened), so an operator reading the log knows what was affected. The query string is left
/// out: it may carry a token. Saturation (503) is logged once per episode where it is detected.
async fn log_failed_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if status.is_server_error() && status != axum::http::StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(%method, %path, status = status.as_u16(), "answered with a server error");
    }
    response
}

/// CORS for ingest: any origin may upload, with the headers Sentry SDKs send, and may read the
/// rate-limit headers that browser SDKs obey.
fn ingest_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            CONTENT_TYPE,
            CONTENT_ENCODING,
            AUTHORIZATION,
            HeaderName::from_static("x-sentry-auth"),
        ])
        .expose_headers([RETRY_AFTER, HeaderName::from_static("x-sentry-rate-limits")])
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// CORS for the API: dashboards on other origins embed the player, which calls the API with a
/// bearer token. Credentials (the session cookie) are never allowed cross-origin, so allowing
/// any origin exposes nothing without a token.
fn read_api_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static(crate::auth::CSRF_HEADER),
        ])
        .max_age(Duration::from_secs(10 * 60))
}

async fn no_route(method: Method, uri: Uri) -> AppError {
    AppError::NotFound(format!("no route for {method} {}", uri.path()))
}
