//! [`serve`]: bind, open the store, announce the DSN (and the admin token on first start), then
//! serve until the shutdown future resolves.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admission::AdmissionLimits;
use crate::auth::AccessConfig;
use crate::config::Config;
use crate::project::{dsn, ensure_default_project};
use crate::rate_limit::RateLimit;
use crate::store::{SqliteStore, StoreError};
use crate::{AppState, app};

/// How long open connections may finish after shutdown was requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start or stopped with an error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from the command line.
        addr: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The store could not be opened or initialized.
    #[error("cannot open the data directory: {0}")]
    Store(#[from] StoreError),
    /// Writing the startup lines or serving failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking startup task panicked.
    #[error("startup task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs the server described by `config`, writing the startup lines to `out`, until `shutdown`
/// resolves; then lets open requests finish for up to [`SHUTDOWN_GRACE`].
///
/// The lines are `Listening on http://{addr}`, `DSN: http://{key}@{addr}/1` and, only on the
/// start that created the data directory's project, `Admin token: {token}`; each is flushed at
/// once so a parent process can read them.
///
/// # Errors
/// Any [`StartupError`].
pub async fn serve(
    config: Config,
    out: &mut (impl Write + Send),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    // Bind before creating the project: a token printed for a server that never ran is lost.
    let listener = TcpListener::bind(&config.addr)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.addr.clone(),
            source,
        })?;
    let bound = listener.local_addr()?.to_string();
    let data_dir = config.data_dir.clone();
    let (store, default) = tokio::task::spawn_blocking(move || {
        let store = SqliteStore::open(&data_dir)?;
        let default = ensure_default_project(&store)?;
        Ok::<_, StoreError>((store, default))
    })
    .await??;

    writeln!(out, "Listening on http://{bound}")?;
    out.flush()?;
    writeln!(out, "DSN: {}", dsn(&default.project, &bound))?;
    out.flush()?;
    if let Some(token) = &default.new_admin_token {
        writeln!(out, "Admin token: {token}")?;
        out.flush()?;
    }
    tracing::info!(
        addr = %bound,
        data = %config.data_dir.display(),
        assets = %config.assets_dir.display(),
        demo = config.demo,
        "sightline serving"
    );

    let rate_limit = config.rate_limit.map_or(RateLimit::DEFAULT, |per_second| {
        RateLimit::per_second(f64::from(per_second))
    });
    let state = AppState::new(Arc::new(store), config.assets_dir)
        .with_demo(config.demo)
        .with_demo_shop(&config.demo_shop)
        .with_public_host(&bound)
        .with_rate_limit(rate_limit)
        .with_admission_limits(AdmissionLimits {
            max_in_flight: config.max_in_flight,
            max_inbox_entries: config.max_inbox_entries,
            max_inbox_bytes: config.max_inbox_bytes,
            max_memory_bytes: config.max_memory_bytes,
        })
        .with_access_config(AccessConfig {
            secure_cookies: config.secure_cookies,
            frame_ancestors: config.frame_ancestors.clone(),
        });
    crate::retention::spawn(state.clone(), config.retention_days);
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        // Nobody listening means the server is already gone.
        let _ = stop.send(true);
    });
    let mut graceful = stopped.clone();
    let server = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|stop| *stop).await;
        tracing::info!("shutting down");
    })
    .into_future();
    tokio::select! {
        result = server => result?,
        () = async {
            let _ = stopped.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("connections still open after the grace period; stopping anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}
