//! `sightline-demo-shop`: the demo shop's backend, two services reporting to Sightline with the
//! `sentry` crate: the shop (the default) and the payments service it calls.
//!
//! ```text
//! sightline-demo-shop --service payments --dsn http://KEY@127.0.0.1:8080/1
//!     [--addr 127.0.0.1:8082] [--release shop@1.4.2] [--environment demo]
//! sightline-demo-shop --dsn http://KEY@127.0.0.1:8080/1 [--addr 127.0.0.1:8081]
//!     [--payments http://127.0.0.1:8082] [--sdk http://127.0.0.1:8080] [--release shop@1.4.2]
//!     [--environment demo] [--assets .]
//! ```
//!
//! Each prints `Listening on http://{addr}` once it accepts connections; logs go to stderr.
//!
//! `sightline-demo-shop --write-history DIR --release shop@1.4.1` instead writes the shop's git
//! history up to that release into `DIR` (see [`sightline_demo_shop::history`]), prints the
//! release's commit id and exits.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use sightline_demo_shop::page::{Page, PageSettings};
use sightline_demo_shop::payments_client::PaymentsClient;
use sightline_demo_shop::{app, payments};
use tracing_subscriber::EnvFilter;

/// Which of the demo's two backend services to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Service {
    /// The shop: its page, products and checkout (calls payments).
    Shop,
    /// The payments service: authorizes the shop's payments.
    Payments,
}

impl Service {
    /// The address it listens on by default.
    fn default_addr(self) -> &'static str {
        match self {
            Self::Shop => "127.0.0.1:8081",
            Self::Payments => "127.0.0.1:8082",
        }
    }

    /// Its `server_name`, which Sightline shows as the service.
    fn server_name(self) -> &'static str {
        match self {
            Self::Shop => "shop-backend",
            Self::Payments => "payments",
        }
    }
}

/// The Sightline demo shop: a real backend whose checkout fails in this release.
#[derive(Debug, Parser)]
#[command(name = "sightline-demo-shop", version, about)]
struct Cli {
    /// Which service to run.
    #[arg(long, value_enum, default_value = "shop")]
    service: Service,
    /// Address to listen on (default 127.0.0.1:8081 for the shop, :8082 for payments); port 0
    /// picks a free port.
    #[arg(long)]
    addr: Option<String>,
    /// Base URL of the payments service the shop's checkout calls.
    #[arg(long, default_value = "http://127.0.0.1:8082")]
    payments: String,
    /// Sightline DSN for both the backend's errors and the page's recorder.
    #[arg(long, required_unless_present = "write_history", default_value = "")]
    dsn: String,
    /// Write the shop's git history up to `--release` into this directory, then exit.
    #[arg(long, value_name = "DIR")]
    write_history: Option<PathBuf>,
    /// Base URL of the Sightline server the page loads `/sdk/sightline.js` from
    /// (default: the DSN's server).
    #[arg(long)]
    sdk: Option<String>,
    /// Release of the shop, page and backend.
    #[arg(long, default_value = "shop@1.4.2")]
    release: String,
    /// Environment of the shop.
    #[arg(long, default_value = "demo")]
    environment: String,
    /// Project root holding www/demo/.
    #[arg(long, default_value = ".")]
    assets: PathBuf,
}

/// How long the backend may take, when stopping, to send what it captured.
const SENTRY_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if let Some(dir) = &cli.write_history {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?;
        let now_secs = i64::try_from(now.as_secs()).context("the clock is out of range")?;
        let id = sightline_demo_shop::history::write_history(dir, &cli.release, now_secs)
            .with_context(|| format!("writing the shop's history into {}", dir.display()))?;
        println!("{id}");
        return Ok(());
    }
    let addr = cli
        .addr
        .clone()
        .unwrap_or_else(|| cli.service.default_addr().to_owned());
    // Initialised before the runtime starts, as the sentry crate asks, and kept until the end so
    // that dropping it sends what is still queued.
    let _sentry = sentry::init(
        sentry::ClientOptions::new()
            .dsn(&cli.dsn)
            .release(cli.release.clone())
            .environment(cli.environment.clone())
            .server_name(cli.service.server_name())
            .traces_sample_rate(1.0)
            .attach_stacktrace(true)
            .in_app_include(vec!["sightline_demo_shop"])
            .shutdown_timeout(SENTRY_SHUTDOWN_TIMEOUT),
    );
    let router = match cli.service {
        Service::Payments => payments::app(&cli.release),
        Service::Shop => shop(&cli)?,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(&addr, router))
}

/// The shop's routes for `cli`.
fn shop(cli: &Cli) -> Result<axum::Router> {
    let sdk_base = match &cli.sdk {
        Some(sdk) => sdk.trim_end_matches('/').to_owned(),
        None => server_of_dsn(&cli.dsn).context("--dsn is not a URL like http://KEY@HOST/1")?,
    };
    let page = Page::new(
        PageSettings {
            sdk_base,
            dsn: cli.dsn.clone(),
            release: cli.release.clone(),
            environment: cli.environment.clone(),
        },
        &cli.assets,
    );
    Ok(app(page, PaymentsClient::new(&cli.payments)))
}

async fn serve(addr: &str, router: axum::Router) -> Result<()> {
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "Listening on http://{}", listener.local_addr()?)?;
    out.flush()?;
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// `http://KEY@host:port/1` → `http://host:port`.
fn server_of_dsn(dsn: &str) -> Option<String> {
    let (scheme, rest) = dsn.split_once("://")?;
    let after_key = rest.split_once('@').map_or(rest, |(_, host)| host);
    let host = after_key
        .split('/')
        .next()
        .filter(|host| !host.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

/// Resolves on SIGINT or SIGTERM; the handlers are installed before it returns, so a parent's
/// early SIGTERM stops the shop gracefully instead of killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot listen for SIGINT or SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_defaults_to_the_dsns_server() {
        assert_eq!(
            server_of_dsn("http://abc@127.0.0.1:8080/1").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(server_of_dsn("not a dsn"), None);
    }
}
