//! The server's in-app rules: which stack frames are the application's own code. SDKs mark
//! frames with `in_app`, but not always correctly (a vendored library under `site-packages`, a
//! Rust frame in `std`); these rules overrule the flag for code that is never the app's.

use crate::normalize::Frame;

/// Path fragments of code that is never the application's: installed packages, language
/// runtimes and standard libraries. Matched against the lowercased path with `/` separators.
const LIBRARY_PATHS: &[&str] = &[
    "/site-packages/",
    "/dist-packages/",
    "/node_modules/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/rustc/",
    "/rustlib/",
    "/usr/lib/python",
    "/usr/local/lib/python",
    "/lib/python2",
    "/lib/python3",
    "<frozen ",
    "<frozen>",
];

/// Path prefixes of runtime-internal code (Node's core modules).
const LIBRARY_PREFIXES: &[&str] = &["node:", "internal/", "<anonymous>", "native "];

/// Crates and packages that are libraries even when an SDK calls them in-app: Rust's standard
/// library and the async stack under a web service, and the Sentry SDKs themselves. Matched
/// as the first path segment of a Rust path (`tokio::runtime::…`) or a dotted module
/// (`sentry_sdk.hub`).
const LIBRARY_ROOTS: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "hyper",
    "hyper_util",
    "axum",
    "axum_core",
    "tower",
    "tower_http",
    "futures",
    "futures_util",
    "futures_core",
    "backtrace",
    "anyhow",
    "tracing",
    "sentry",
    "sentry_core",
    "sentry_backtrace",
    "sentry_panic",
    "sentry_sdk",
    "__rust_begin_short_backtrace",
    "__rust_end_short_backtrace",
    "rust_begin_unwind",
];

/// Whether `frame` is the application's own code: the SDK's `in_app` flag, overruled for
/// frames under package and runtime directories or in library crates and modules. A frame
/// the SDK says nothing about and no rule claims is not in-app.
pub fn is_in_app(frame: &Frame) -> bool {
    if is_library(frame) {
        return false;
    }
    frame.in_app == Some(true)
}

/// Whether a rule says `frame` belongs to a library or the runtime.
fn is_library(frame: &Frame) -> bool {
    let paths = [frame.abs_path.as_deref(), frame.filename.as_deref()];
    if paths.into_iter().flatten().any(is_library_path) {
        return true;
    }
    if let Some(module) = frame.module.as_deref() {
        if module.starts_with("@sentry/") || is_library_path(module) {
            return true;
        }
        if library_root(module) {
            return true;
        }
    }
    // Rust frames usually name their crate only in the function's path.
    frame
        .function
        .as_deref()
        .is_some_and(|function| function.contains("::") && library_root(function))
}

fn is_library_path(path: &str) -> bool {
    let path = path.replace('\\', "/").to_ascii_lowercase();
    LIBRARY_PATHS.iter().any(|part| path.contains(part))
        || LIBRARY_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Whether the first segment of a module or Rust path names a library root. Trait-impl
/// frames such as `<alloc::boxed::Box<F> as core::ops::FnOnce>::call_once` are judged by the
/// type they start with.
fn library_root(path: &str) -> bool {
    let path = path.trim_start_matches(['<', '&']).trim_start();
    let path = path.strip_prefix("dyn ").unwrap_or(path);
    let root = path.split([':', '.', '<', ' ']).next().unwrap_or_default();
    LIBRARY_ROOTS.contains(&root) || root.starts_with("sentry_")
}
