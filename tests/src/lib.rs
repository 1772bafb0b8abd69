//! End-to-end test support: the real `sightline` binary, headless Chromium driven over WebDriver,
//! and helpers to compare a recorded page with its replay.
//!
//! The tests need the browser bundles (`pkg/`, `target/viewer/`) and the binary built, which
//! `cargo xtask test` does before running them; run through it:
//!
//! ```text
//! cargo xtask test -p sightline-tests
//! ```

pub mod browser;
pub mod checkout;
pub mod dom;
pub mod fault_proxy;
pub mod pages;
pub mod python;
pub mod recorder_site;
pub mod server;
pub mod shop_releases;

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// Calls `check` until it returns `Some`, or fails after `timeout` with `what` in the message.
///
/// # Errors
/// When `check` fails or `timeout` passes.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = check()? {
            return Ok(value);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
