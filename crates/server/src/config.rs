//! [`Config`]: what `sightline serve` is told on its command line.

use std::path::PathBuf;

/// Default listen address of `sightline serve`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Default data directory of `sightline serve`.
pub const DEFAULT_DATA_DIR: &str = "./sightline-data";

/// Default URL of the demo shop (`sightline-demo-shop`) that `/demo/` redirects to.
pub const DEFAULT_DEMO_SHOP: &str = "http://127.0.0.1:8081/";

/// Settings of one server run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`host:port`; port 0 picks a free port).
    pub addr: String,
    /// Directory holding the SQLite database; created when missing.
    pub data_dir: PathBuf,
    /// Project root holding `www/`, `pkg/` and `target/viewer/`.
    pub assets_dir: PathBuf,
    /// Whether `/demo/` redirects to the demo shop.
    pub demo: bool,
    /// The demo shop's URL.
    pub demo_shop: String,
    /// Sustained Sentry-ingest requests per second per project (bursts of ten seconds' worth);
    /// `None` for [`RateLimit::DEFAULT`](crate::rate_limit::RateLimit::DEFAULT).
    pub rate_limit: Option<u32>,
    /// Days transactions, spans and logs are kept (see [`crate::retention`]).
    pub retention_days: u32,
    /// Always mark the session cookie `Secure` (else only behind `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// The CSP `frame-ancestors` sources of viewer and player pages (default `'self'`).
    pub frame_ancestors: String,
    /// Most ingest requests handled at once (see [`crate::admission`]).
    pub max_in_flight: usize,
    /// Most inbox entries waiting for the processor before ingest answers 503.
    pub max_inbox_entries: u64,
    /// Most inbox payload bytes waiting for the processor before ingest answers 503.
    pub max_inbox_bytes: u64,
    /// Resident memory at which ingest stops admitting requests.
    pub max_memory_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            assets_dir: PathBuf::from("."),
            demo: false,
            demo_shop: DEFAULT_DEMO_SHOP.to_owned(),
            rate_limit: None,
            retention_days: crate::retention::DEFAULT_RETENTION_DAYS,
            secure_cookies: false,
            frame_ancestors: crate::auth::DEFAULT_FRAME_ANCESTORS.to_owned(),
            max_in_flight: crate::limits::MAX_INGEST_IN_FLIGHT,
            max_inbox_entries: crate::limits::MAX_INBOX_ENTRIES,
            max_inbox_bytes: crate::limits::MAX_INBOX_BYTES,
            max_memory_bytes: crate::limits::MAX_MEMORY_BYTES,
        }
    }
}
