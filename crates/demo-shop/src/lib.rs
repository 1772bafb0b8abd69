//! The demo shop's backend: a small axum service instrumented with the official Rust `sentry`
//! crate, as any Rust team would run it, pointed at Sightline by its DSN.
//!
//! It serves the shop page (`www/demo/`) with Sightline's recorder loader filled in,
//! `GET /api/products` and `POST /api/checkout`. The API routes run inside `sentry-tower`'s
//! layers: each request gets its own hub and a transaction that continues the browser's trace
//! from the `sentry-trace` and `baggage` headers the recorder adds. Checkout fails in release
//! `shop@1.4.2` (see [`payment`]; every other release pays): the error is captured with `sentry::capture_error` and the
//! page gets a 500, so Sightline links the backend error to the replay at the failing click.
//!
//! ```no_run
//! use sightline_demo_shop::{app, page::{Page, PageSettings}};
//!
//! # async fn run() -> std::io::Result<()> {
//! let settings = PageSettings {
//!     sdk_base: "http://127.0.0.1:8080".into(),
//!     dsn: "http://KEY@127.0.0.1:8080/1".into(),
//!     release: "shop@1.4.2".into(),
//!     environment: "demo".into(),
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app(Page::new(settings, std::path::Path::new(".")))).await
//! # }
//! ```

pub mod catalogue;
pub mod checkout;
pub mod history;
pub mod page;
pub mod payment;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use sentry::integrations::tower::{NewSentryLayer, SentryHttpLayer};
use tower_http::services::ServeDir;

use crate::checkout::CheckoutSettings;
use crate::page::Page;

/// The shop's routes: the API inside Sentry's per-request hub and transaction, the page and its
/// files outside (a transaction per image would only be noise).
///
/// Initialise `sentry` before calling this: the HTTP layer reads the client's PII setting.
pub fn app(page: Page) -> Router {
    let api = Router::new()
        .route("/api/products", get(catalogue::list_products))
        .route("/api/checkout", post(checkout::checkout))
        .with_state(CheckoutSettings::for_release(page.release()))
        .layer(SentryHttpLayer::new().enable_transaction())
        .layer(NewSentryLayer::<Request>::new_from_top());
    let files = ServeDir::new(page.dir());
    Router::new()
        .route("/", get(page::index))
        .route("/index.html", get(page::index))
        .with_state(page)
        .merge(api)
        .fallback_service(files)
}
