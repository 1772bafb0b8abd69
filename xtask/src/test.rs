//! `cargo xtask test`: installs what the tests need, builds the bundles and runs every test.

use anyhow::{Result, bail};

use crate::{build, setup, tool};

/// Runs the whole test suite; extra arguments go to `cargo test`.
///
/// # Errors
/// When setup, the build or any test fails.
pub fn run(extra: &[String]) -> Result<()> {
    let mut cargo = prepared_cargo_test()?;
    cargo.arg("--workspace").args(extra);
    tool::run(&mut cargo)
}

/// Runs a named benchmark, which prints its figures.
///
/// # Errors
/// For an unknown benchmark, or when it fails.
pub fn bench(name: Option<&str>, save: bool) -> Result<()> {
    let test = match name {
        Some("session-size") => "bench_session_size",
        other => bail!("unknown benchmark {other:?}; available: session-size"),
    };
    let mut cargo = prepared_cargo_test()?;
    cargo.args([
        "-p",
        "sightline-tests",
        "--test",
        test,
        "--",
        "--ignored",
        "--nocapture",
    ]);
    if save {
        cargo.env("SIGHTLINE_SAVE_DEMO_SESSION", "1");
    }
    tool::run(&mut cargo)
}

/// Installs and builds what the tests need; returns `cargo test` pointed at the built binary.
fn prepared_cargo_test() -> Result<std::process::Command> {
    setup::install(true)?;
    let report = build::all(build::Profile::Debug)?;
    report.print();
    let mut cargo = tool::cargo();
    cargo
        .arg("test")
        .env("SIGHTLINE_BIN", &report.server)
        .env("SIGHTLINE_ROOT", tool::root());
    Ok(cargo)
}
