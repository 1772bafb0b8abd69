//! The demo shop's backend: two small axum services instrumented with the official Rust `sentry`
//! crate, as any Rust team would run them, pointed at Sightline by their DSN.
//!
//! The shop ([`app`]) serves the shop page (`www/demo/`) with Sightline's recorder loader filled
//! in, `GET /api/products` and `POST /api/checkout`; checkout calls the payments service
//! ([`payments::app`]) over HTTP. The API routes of both run inside `sentry-tower`'s layers: each
//! request gets its own hub and a transaction that continues the caller's trace from the
//! `sentry-trace` and `baggage` headers (the recorder adds them in the browser, the shop's
//! [`payments_client`] on its call to payments). Authorization times out in release `shop@1.4.2`
//! (see [`payment`]; every other release pays): the payments service reports the error with its
//! own stack and answers 504, the shop answers 500, so Sightline links the error to the replay
//! at the failing click and shows the whole path in the trace.
//!
//! ```no_run
//! use sightline_demo_shop::{app, page::{Page, PageSettings}, payments_client::PaymentsClient};
//!
//! # async fn run() -> std::io::Result<()> {
//! let settings = PageSettings {
//!     sdk_base: "http://127.0.0.1:8080".into(),
//!     dsn: "http://KEY@127.0.0.1:8080/1".into(),
//!     release: "shop@1.4.2".into(),
//!     environment: "demo".into(),
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! let payments = PaymentsClient::new("http://127.0.0.1:8082");
//! let page = Page::new(settings, std::path::Path::new("."));
//! axum::serve(listener, app(page, payments)).await
//! # }
//! ```

pub mod catalogue;
pub mod checkout;
pub mod history;
pub mod page;
pub mod payment;
pub mod payments;
pub mod payments_client;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use sentry::integrations::tower::{NewSentryLayer, SentryHttpLayer};
use tower_http::services::ServeDir;

use crate::page::Page;
use crate::payments_client::PaymentsClient;

/// The shop's routes: the API inside Sentry's per-request hub and transaction, the page and its
/// files outside (a transaction per image would only be noise). Checkout pays through
/// `payments`.
///
/// Initialise `sentry` before calling this: the HTTP layer reads the client's PII setting.
pub fn app(page: Page, payments: PaymentsClient) -> Router {
    let api = Router::new()
        .route("/api/products", get(catalogue::list_products))
        .route("/api/checkout", post(checkout::checkout))
        .with_state(payments)
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
