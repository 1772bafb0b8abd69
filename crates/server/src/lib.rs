//! The Sightline server: replay ingest, Sentry-compatible event ingest, durable storage, the
//! JSON read API, and the SDK and viewer assets (plus, with `--demo`, a redirect to the demo
//! shop, a separate service), all behind one [`axum::Router`].
//!
//! Backend services running an official Sentry SDK point their DSN at the server; their error
//! events go through [`encoding`] (bounded decompression), [`envelope`] (bounded parsing), a
//! durable inbox, the [`processor`] ([`normalize`], then [`link`] to the session replay whose
//! request caused them) into the [`store`]; their transactions, spans and logs become the rows
//! of their traces ([`trace`]), joined with the browser's requests by the trace API.
//!
//! [`app`] builds the router from an [`AppState`], so tests drive it in-process; the `sightline`
//! binary only parses its command line and calls [`startup::serve`].
//!
//! ```no_run
//! use std::sync::Arc;
//! use sightline_server::store::SqliteStore;
//! use sightline_server::{AppState, app, project};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(SqliteStore::open("./sightline-data".as_ref())?);
//! let default = project::ensure_default_project(store.as_ref())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let host = listener.local_addr()?.to_string();
//! println!("DSN: {}", project::dsn(&default.project, &host));
//! let state = AppState::new(store, ".").with_public_host(host);
//! axum::serve(listener, app(state)).await?;
//! # Ok(())
//! # }
//! ```

pub mod admission;
pub mod auth;
pub mod cli;
pub mod config;
pub mod encoding;
pub mod endpoints;
pub mod envelope;
pub mod error;
pub mod event_id;
pub mod grouping;
pub mod ingest;
pub mod limits;
pub mod link;
pub mod normalize;
pub mod outcomes;
pub mod ownership;
pub mod processor;
pub mod project;
pub mod rate_limit;
pub mod rejection;
pub mod retention;
pub mod scrub;
pub mod search;
pub mod startup;
pub mod store;
pub mod summary;
pub mod suspects;
pub mod timestamp;
pub mod trace;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use tokio::sync::Notify;

use crate::admission::{Admission, AdmissionLimits};
pub use crate::config::Config;
pub use crate::error::AppError;
use crate::outcomes::DroppedItems;
use crate::processor::ProcessReport;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::rejection::Rejections;
use crate::store::{Store, StoreError};

/// Everything the request handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    assets_dir: Arc<PathBuf>,
    public_host: Arc<str>,
    demo: bool,
    demo_shop: Arc<str>,
    rejections: Arc<Rejections>,
    dropped_items: Arc<DroppedItems>,
    rate_limiter: Arc<RateLimiter>,
    replay_rate_limiter: Arc<RateLimiter>,
    admission: Arc<Admission>,
    inbox_signal: Arc<Notify>,
    alert_signal: Arc<Notify>,
    processor_started: Arc<AtomicBool>,
    background_processing: bool,
    access: Arc<auth::AccessState>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("assets_dir", &self.assets_dir)
            .field("public_host", &self.public_host)
            .field("demo", &self.demo)
            .field("demo_shop", &self.demo_shop)
            .field("rate_limit", &self.rate_limiter.limit())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, serving assets from the project root `assets_dir`; the demo is off
    /// and the public host is [`config::DEFAULT_ADDR`].
    pub fn new(store: Arc<dyn Store>, assets_dir: impl Into<PathBuf>) -> Self {
        Self {
            store,
            assets_dir: Arc::new(assets_dir.into()),
            public_host: Arc::from(config::DEFAULT_ADDR),
            demo: false,
            demo_shop: Arc::from(config::DEFAULT_DEMO_SHOP),
            rejections: Arc::default(),
            dropped_items: Arc::default(),
            rate_limiter: Arc::default(),
            replay_rate_limiter: Arc::default(),
            admission: Arc::default(),
            inbox_signal: Arc::default(),
            alert_signal: Arc::default(),
            processor_started: Arc::default(),
            background_processing: true,
            access: Arc::default(),
        }
    }

    /// Sets how sessions and security headers behave (`--secure-cookies`,
    /// `--frame-ancestors`); the defaults suit a server on localhost.
    #[must_use]
    pub fn with_access_config(mut self, config: auth::AccessConfig) -> Self {
        self.access = Arc::new(auth::AccessState::new(config));
        self
    }

    /// Session settings, the login rate limiter and the embed signing key.
    pub fn access(&self) -> &auth::AccessState {
        &self.access
    }

    /// Turns the background inbox processor that [`app`] starts on (the default) or off; with
    /// it off, accepted envelopes wait until [`AppState::process_inbox`] is called.
    #[must_use]
    pub fn with_background_processing(mut self, enabled: bool) -> Self {
        self.background_processing = enabled;
        self
    }

    /// Sets the per-project rate limit of Sentry-compatible ingest, and the same limit for
    /// replay segments, counted separately (default [`RateLimit::DEFAULT`]).
    #[must_use]
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limiter = Arc::new(RateLimiter::new(limit));
        self.replay_rate_limiter = Arc::new(RateLimiter::new(limit));
        self
    }

    /// Sets the bounds on ingest requests in flight and on the inbox backlog (default
    /// [`AdmissionLimits::DEFAULT`]).
    #[must_use]
    pub fn with_admission_limits(mut self, limits: AdmissionLimits) -> Self {
        self.admission = Arc::new(Admission::new(limits));
        self
    }

    /// Turns `/demo/`, a redirect to the demo shop, on or off.
    #[must_use]
    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// Sets the demo shop's URL that `/demo/` redirects to (default
    /// [`config::DEFAULT_DEMO_SHOP`]).
    #[must_use]
    pub fn with_demo_shop(mut self, url: impl AsRef<str>) -> Self {
        self.demo_shop = Arc::from(url.as_ref());
        self
    }

    /// Sets the `host:port` written into DSNs when a request names no usable `Host`.
    #[must_use]
    pub fn with_public_host(mut self, host: impl AsRef<str>) -> Self {
        self.public_host = Arc::from(host.as_ref());
        self
    }

    /// The project root holding `www/`, `pkg/` and `target/viewer/`.
    pub fn assets_dir(&self) -> &Path {
        &self.assets_dir
    }

    /// The `host:port` written into DSNs by default.
    pub fn public_host(&self) -> &str {
        &self.public_host
    }

    /// Whether `/demo/` redirects to the demo shop.
    pub fn demo(&self) -> bool {
        self.demo
    }

    /// The demo shop's URL.
    pub fn demo_shop(&self) -> &str {
        &self.demo_shop
    }

    /// Totals of rejected uploads.
    pub fn rejections(&self) -> &Rejections {
        &self.rejections
    }

    /// Totals of envelope items accepted but not kept.
    pub fn dropped_items(&self) -> &DroppedItems {
        &self.dropped_items
    }

    /// The per-project rate limiter of Sentry-compatible ingest.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.rate_limiter
    }

    /// The per-project rate limiter of replay segment ingest.
    pub fn replay_rate_limiter(&self) -> &RateLimiter {
        &self.replay_rate_limiter
    }

    /// The bounds on ingest requests in flight and on the inbox backlog.
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// Woken whenever ingest writes to the inbox.
    pub(crate) fn inbox_signal(&self) -> &Notify {
        &self.inbox_signal
    }

    /// Woken whenever alerts may have been written, so the webhook task delivers them.
    pub(crate) fn alert_signal(&self) -> &Notify {
        &self.alert_signal
    }

    /// Tells the webhook task that new alerts may be waiting (it also looks every
    /// [`webhook::IDLE_POLL`] on its own).
    pub fn wake_alert_delivery(&self) {
        self.alert_signal.notify_one();
    }

    /// Processes the whole inbox now, on the blocking pool; the background processor does the
    /// same on its own, so this is for tests and tools that need the result at once.
    ///
    /// # Errors
    /// The store's error as an [`AppError`].
    pub async fn process_inbox(&self) -> Result<ProcessReport, AppError> {
        let report = self.run_store(processor::process_inbox_once).await;
        if let Ok(stats) = self.run_store(|store| store.inbox_stats()).await {
            self.admission.set_inbox(stats);
        }
        self.wake_alert_delivery();
        report
    }

    /// Starts the background processor and the webhook delivery task unless they run already
    /// (needs a Tokio runtime).
    fn start_processor(&self) {
        if self.background_processing
            && tokio::runtime::Handle::try_current().is_ok()
            && !self.processor_started.swap(true, Ordering::SeqCst)
        {
            processor::spawn(self.clone());
            webhook::spawn(self.clone());
        }
    }

    /// Runs blocking work on the store off the async runtime.
    ///
    /// # Errors
    /// Whatever `work` returns, or [`AppError::Internal`] if it panicked.
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, AppError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(store.as_ref())).await?
    }

    /// Runs one store call off the async runtime.
    ///
    /// # Errors
    /// The store's error as an [`AppError`], or [`AppError::Internal`] if it panicked.
    pub async fn run_store<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        self.blocking(move |store| work(store).map_err(AppError::from))
            .await
    }
}

/// The whole HTTP surface: ingest, read API, SDK and viewer assets, and the demo when enabled.
///
/// Called inside a Tokio runtime, it also starts the inbox processor (once per state), which
/// turns accepted Sentry envelopes into stored, linked events.
pub fn app(state: AppState) -> Router {
    state.start_processor();
    endpoints::router(state)
}
