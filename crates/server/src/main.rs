//! The `sightline` binary: `sightline serve [--addr] [--data] [--assets] [--demo [--demo-shop]]
//! [--rate-limit] [--retention-days]`,
//! and the client commands `releases`, `ownership`, `code-mappings`, `users`, `tokens` and `keys` (see
//! [`sightline_server::cli`]).
//!
//! Startup lines (listen address, DSN, first-start admin token) go to stdout; logs go to stderr
//! (filter with `RUST_LOG`). A client command prints what it did to stdout and, when it fails,
//! one `error: …` line to stderr and exits with status 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sightline_server::Config;
use sightline_server::cli::{
    self, CliError, CodeMappingsCommand, KeysCommand, OwnershipCommand, ReleasesCommand,
    ServerOptions, TokensCommand, UsersCommand,
};
use sightline_server::config::{DEFAULT_ADDR, DEFAULT_DATA_DIR, DEFAULT_DEMO_SHOP};
use sightline_server::limits;
use sightline_server::retention::DEFAULT_RETENTION_DAYS;
use tracing_subscriber::EnvFilter;

/// Sightline: session replay and error tracking in one binary.
#[derive(Debug, Parser)]
#[command(name = "sightline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: ingest, API, SDK and viewer.
    Serve(ServeArgs),
    /// Create releases, set their commits from git, record deploys, list them.
    Releases {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: ReleasesCommand,
    },
    /// Set the project's ownership rules and CODEOWNERS.
    Ownership {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: OwnershipCommand,
    },
    /// Map stack-trace paths to repository paths.
    CodeMappings {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: CodeMappingsCommand,
    },
    /// Create users (superuser token needed).
    Users {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Create API tokens with scopes.
    Tokens {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Add, list and revoke the project's DSN keys.
    Keys {
        #[command(flatten)]
        server: ServerOptions,
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: String,
    /// Data directory (SQLite database); created on first start.
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Project root holding www/, pkg/ and target/viewer/.
    #[arg(long, default_value = ".")]
    assets: PathBuf,
    /// Also redirect /demo/ to the demo shop (sightline-demo-shop, started by `cargo xtask demo`).
    #[arg(long)]
    demo: bool,
    /// URL of the demo shop that /demo/ redirects to.
    #[arg(long, value_name = "URL", default_value = DEFAULT_DEMO_SHOP)]
    demo_shop: String,
    /// Sentry-ingest requests per second allowed per project (bursts of ten seconds' worth);
    /// default 100/s with bursts of 1000.
    #[arg(long, value_name = "PER_SECOND")]
    rate_limit: Option<u32>,
    /// Days to keep transactions, spans and logs (trace data); older ones are deleted hourly.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_RETENTION_DAYS,
          value_parser = clap::value_parser!(u32).range(1..))]
    retention_days: u32,
    /// Always mark the session cookie Secure (it is already when a proxy sends
    /// X-Forwarded-Proto: https).
    #[arg(long)]
    secure_cookies: bool,
    /// CSP frame-ancestors of the viewer and player pages: who may embed them in a frame.
    #[arg(long, value_name = "SOURCES", default_value = sightline_server::auth::DEFAULT_FRAME_ANCESTORS)]
    frame_ancestors: String,
    /// Most ingest requests handled at once; more are answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = limits::MAX_INGEST_IN_FLIGHT)]
    max_in_flight: usize,
    /// Most inbox entries waiting for the processor; beyond it ingest answers 503.
    #[arg(long, value_name = "N", default_value_t = limits::MAX_INBOX_ENTRIES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_inbox_entries: u64,
    /// Most inbox payload bytes waiting for the processor; beyond it ingest answers 503.
    #[arg(long, value_name = "BYTES", default_value_t = limits::MAX_INBOX_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_inbox_bytes: u64,
    /// Resident memory (MiB) at which ingest stops admitting requests (503 with Retry-After).
    #[arg(long, value_name = "MIB", default_value_t = limits::MAX_MEMORY_BYTES / (1024 * 1024),
          value_parser = clap::value_parser!(u64).range(16..))]
    max_memory_mb: u64,
}

fn main() -> ExitCode {
    let mut out = std::io::stdout();
    let result = match Cli::parse().command {
        Command::Serve(args) => {
            return match serve(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Releases { server, command } => cli::run_releases(&server, command, &mut out),
        Command::Ownership { server, command } => cli::run_ownership(&server, command, &mut out),
        Command::CodeMappings { server, command } => {
            cli::run_code_mappings(&server, command, &mut out)
        }
        Command::Users { server, command } => {
            cli::run_users(&server, command, &mut std::io::stdin().lock(), &mut out)
        }
        Command::Tokens { server, command } => cli::run_tokens(&server, command, &mut out),
        Command::Keys { server, command } => cli::run_keys(&server, command, &mut out),
    };
    report(result)
}

fn report(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config {
        addr: args.addr,
        data_dir: args.data,
        assets_dir: args.assets,
        demo: args.demo,
        demo_shop: args.demo_shop,
        rate_limit: args.rate_limit,
        retention_days: args.retention_days,
        secure_cookies: args.secure_cookies,
        frame_ancestors: args.frame_ancestors,
        max_in_flight: args.max_in_flight,
        max_inbox_entries: args.max_inbox_entries,
        max_inbox_bytes: args.max_inbox_bytes,
        max_memory_bytes: args.max_memory_mb.saturating_mul(1024 * 1024),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            sightline_server::startup::serve(config, &mut std::io::stdout(), shutdown_signal())
                .await
        })?;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
///
/// The handlers are installed before this returns, not when the future is first polled: a
/// parent that sends SIGTERM as soon as it read the startup lines must not kill the process
/// by the signal's default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
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
    #[cfg(not(unix))]
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
