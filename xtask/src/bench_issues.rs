//! `cargo xtask bench issues`: the issue pipeline's figures on a fresh file-backed store —
//! processing throughput (with and without alert rules, and what grouping's fingerprinting
//! costs of it), issue search latency at 1k, 10k and 50k issues, suspect commits over releases
//! of 1,000 commits, and the issue list page. The measuring is the server crate's
//! `issues_bench` example (`crates/server/examples/issues_bench.rs`), run in release mode.

use anyhow::Result;

use crate::tool;

/// Builds and runs the issue benchmark, which prints its tables.
///
/// # Errors
/// When the example fails to build or run.
pub fn run() -> Result<()> {
    tool::run(tool::cargo().args([
        "run",
        "--release",
        "-p",
        "sightline-server",
        "--example",
        "issues_bench",
    ]))
}
