//! `cargo xtask test`: installs what the tests need, builds the bundles and runs every test.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::{build, setup, tool};

/// Runs the whole test suite; extra arguments go to `cargo test`.
///
/// # Errors
/// When setup, the build or any test fails.
pub fn run(extra: &[String]) -> Result<()> {
    let mut cargo = prepared_cargo_test()?;
    cargo.arg("--workspace").args(extra);
    tool::run(&mut cargo)?;
    if extra.is_empty() {
        browser_unit_tests()?;
    }
    Ok(())
}

/// How long the in-browser unit tests may take before they count as hung.
const BROWSER_UNIT_TEST_LIMIT: Duration = Duration::from_secs(600);

/// The crates whose DOM unit tests (wasm-bindgen-test) run in headless Chromium.
const BROWSER_TESTED: [&str; 2] = ["sightline-recorder", "sightline-viewer"];

/// Runs the recorder's and the viewer's DOM unit tests (wasm-bindgen-test) in headless Chromium.
///
/// `wasm-bindgen-test-runner`'s headless WebDriver mode was seen to hang with some Chromium builds
/// ("Timed out receiving message from renderer"), so the run has a hard time limit and a hang fails
/// the suite with that explanation rather than stalling CI.
fn browser_unit_tests() -> Result<()> {
    let mut cargo = tool::cargo();
    cargo.arg("test");
    for package in BROWSER_TESTED {
        cargo.args(["-p", package]);
    }
    cargo
        .args(["--lib", "--target", "wasm32-unknown-unknown"])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env(
            "CHROMEDRIVER",
            tool::find("chromedriver").unwrap_or_else(|| "chromedriver".into()),
        )
        // The runner gives a whole crate's browser tests 20 s by default, and the viewer's take
        // about 18 s on a busy machine; the hang limit below is what guards against a stall.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
        .current_dir(tool::root());
    eprintln!("xtask: {cargo:?}");
    let mut child = cargo.spawn()?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the in-browser unit tests failed with {status}");
            }
            return Ok(());
        }
        if started.elapsed() > BROWSER_UNIT_TEST_LIMIT {
            let _ = child.kill();
            bail!(
                "the in-browser unit tests did not finish in {BROWSER_UNIT_TEST_LIMIT:?}: \
                 wasm-bindgen-test-runner's headless mode may have hung on this Chromium"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Installs and builds what the tests need; returns `cargo test` pointed at the built binary.
pub(crate) fn prepared_cargo_test() -> Result<std::process::Command> {
    setup::install(true)?;
    let report = build::all(build::Profile::Debug)?;
    report.print();
    let mut cargo = tool::cargo();
    cargo
        .arg("test")
        .env("SIGHTLINE_BIN", &report.server)
        .env("SIGHTLINE_DEMO_SHOP_BIN", &report.demo_shop)
        .env("SIGHTLINE_ROOT", tool::root());
    Ok(cargo)
}
