//! `cargo xtask test`: installs what the tests need, builds the bundles and runs every test.

use anyhow::Result;

use crate::{build, setup, tool};

/// Runs the whole test suite; extra arguments go to `cargo test`.
///
/// # Errors
/// When setup, the build or any test fails.
pub fn run(extra: &[String]) -> Result<()> {
    setup::install(true)?;
    let report = build::all(build::Profile::Debug)?;
    report.print();
    let mut cargo = tool::cargo();
    cargo
        .args(["test", "--workspace"])
        .args(extra)
        .env("SIGHTLINE_BIN", &report.server)
        .env("SIGHTLINE_ROOT", tool::root());
    tool::run(&mut cargo)
}
