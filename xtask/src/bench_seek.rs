//! `cargo xtask bench seek`: the replay engine's seek time against the session's length,
//! natively — generated 10, 30 and 60 minute sessions, with and without the player's
//! checkpoints, plus the memory the checkpoints hold. The measuring is the viewer crate's
//! `seek_bench` example (`crates/viewer/examples/seek_bench.rs`), run in release mode.

use anyhow::Result;

use crate::tool;

/// Builds and runs the seek benchmark, which prints its table.
///
/// # Errors
/// When the example fails to build or run.
pub fn run() -> Result<()> {
    tool::run(tool::cargo().args([
        "run",
        "--release",
        "-p",
        "sightline-viewer",
        "--example",
        "seek_bench",
    ]))
}
