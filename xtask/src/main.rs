//! `cargo xtask`: the project's automation, so that a fresh clone needs only two commands.
//!
//! - `cargo xtask demo` installs what is missing, builds everything and starts the server on
//!   <http://127.0.0.1:8080> and the demo shop's real backend on <http://127.0.0.1:8081>, seeded
//!   with a recorded session whose failing checkout is sent to that backend.
//! - `cargo xtask test` installs what is missing (including headless Chromium), builds the browser
//!   bundles and runs every test of the workspace.
//! - `cargo xtask build [--release]` builds `pkg/` (the recorder's npm package), the viewer
//!   (`target/viewer/`), the `sightline` binary and `sightline-demo-shop`, and prints the bundle
//!   sizes.
//! - `cargo xtask bench session-size [--save]` records one scripted minute of the demo shop and
//!   prints the bytes uploaded (`--save` keeps it as the demo's preloaded session).
//! - `cargo xtask bench recorder [--print]` measures Sightline's recorder against rrweb's on a
//!   scripted dashboard minute in headless Chromium and prints the table (`--print` reprints the
//!   last run's table).
//! - `cargo xtask bench seek` prints the replay engine's seek times on generated 10, 30 and 60
//!   minute sessions, with and without its checkpoints, and the checkpoints' memory.
//! - `cargo xtask bench issues` prints the issue pipeline's processing throughput (with and
//!   without alert rules), issue search latency at 1k, 10k and 50k issues, and suspect commits.
//! - `cargo xtask fuzz [TARGET …] [--seconds N]` runs the cargo-fuzz targets under `fuzz/` (the
//!   segment decoder, the envelope parser, each decompressor, the search parser) with the nightly
//!   toolchain, 600 s each by default, and prints executions and crashes per target; not part of
//!   `cargo xtask test`.
//! - `cargo xtask setup [--browser]` only installs the tools.

mod bench;
mod bench_issues;
mod bench_seek;
mod build;
mod demo;
mod fuzz;
mod setup;
mod test;
mod tool;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    match args.first().map(String::as_str) {
        Some("setup") => setup::install(flag("--browser")),
        Some("build") => {
            setup::install(false)?;
            let profile = if flag("--release") {
                build::Profile::Release
            } else {
                build::Profile::Debug
            };
            build::all(profile).map(|report| report.print())
        }
        Some("demo") => demo::run(),
        Some("test") => test::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("bench") if args.get(1).is_some_and(|a| a == "seek") => bench_seek::run(),
        Some("bench") if args.get(1).is_some_and(|a| a == "issues") => bench_issues::run(),
        Some("bench") => bench::run(&args[1..]),
        _ => bail!(
            "usage: cargo xtask <demo | test [cargo test args…] | bench <session-size [--save] | recorder [--print] | seek | issues> | fuzz [TARGET…] [--seconds N] | build [--release] | setup [--browser]>"
        ),
    }
}
