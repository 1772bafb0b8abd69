//! A Rust backend's use of the official `sentry` crate, reduced to one failing request: it
//! continues the browser's trace from a `sentry-trace` header, fails, captures the error and
//! flushes. Used to capture real payloads for the test corpus
//! (`tests/fixtures/envelopes/capture.py` runs it) and handy to try a server by hand:
//!
//! ```text
//! cargo run -p sightline-server --example sentry_rust_client -- http://KEY@127.0.0.1:8080/1 \
//!     [TRACE_ID SPAN_ID]
//! ```

use std::time::Duration;

/// What the shop backend fails with.
#[derive(Debug)]
struct CheckoutError;

impl std::fmt::Display for CheckoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("payment provider timeout")
    }
}

impl std::error::Error for CheckoutError {}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dsn) = args.next() else {
        eprintln!("usage: sentry_rust_client DSN [TRACE_ID SPAN_ID]");
        std::process::exit(2);
    };
    let trace = args
        .next()
        .unwrap_or_else(|| "5555555555555555555555555555555a".into());
    let span = args.next().unwrap_or_else(|| "666666666666666b".into());
    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn(&dsn)
            .release("shop-backend@3.0.0")
            .environment("production")
            .traces_sample_rate(1.0),
    );
    let sentry_trace = format!("{trace}-{span}-1");
    let context = sentry::TransactionContext::continue_from_headers(
        "POST /api/checkout",
        "http.server",
        [("sentry-trace", sentry_trace.as_str())],
    );
    let transaction = sentry::start_transaction(context);
    sentry::configure_scope(|scope| {
        scope.set_span(Some(transaction.clone().into()));
        scope.set_tag("http.status_code", "500");
    });
    let event_id = sentry::capture_error(&CheckoutError);
    transaction.finish();
    if !guard.flush(Some(Duration::from_secs(10))) {
        eprintln!("could not send everything within 10 s");
        std::process::exit(1);
    }
    println!("{event_id}");
}
