//! `cargo xtask fuzz [TARGET] [--seconds N]`: runs the `cargo fuzz` targets of `fuzz/` with the
//! installed nightly toolchain, each for `N` seconds (600 by default), and prints executions and
//! crashes per target.
//!
//! Not part of `cargo xtask test`: a useful run takes minutes per target. Each target's corpus
//! grows in `fuzz/corpus/<target>/` (ignored by git) from the committed seeds in
//! `fuzz/seeds/<target>/` (taken from the test fixtures); a crashing input is written to
//! `fuzz/artifacts/<target>/` and becomes a regression test in the crate that owns the code.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::tool;

/// Every target of `fuzz/Cargo.toml`, in the order they run.
const TARGETS: &[&str] = &[
    "segment",
    "envelope",
    "gzip",
    "deflate_zlib",
    "deflate_raw",
    "br",
    "zstd",
    "search",
];

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 600;

/// What one target's run found.
struct Outcome {
    target: &'static str,
    executions: Option<u64>,
    /// Seconds libFuzzer reports having fuzzed (build time excluded).
    seconds: Option<u64>,
    crashes: usize,
    artifacts: Vec<String>,
}

/// Runs the targets named by `args` (all when none is) and prints a summary.
pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut chosen = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--seconds" {
            let value = rest.next().context("--seconds needs a number")?;
            seconds = value
                .parse()
                .with_context(|| format!("--seconds {value:?} is not a number of seconds"))?;
        } else if let Some(target) = TARGETS.iter().find(|t| **t == arg) {
            chosen.push(*target);
        } else {
            bail!(
                "unknown fuzz target {arg:?}; the targets are {}",
                TARGETS.join(", ")
            );
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.to_vec();
    }
    install()?;
    // Build once, then run the binaries: `cargo fuzz run` would rebuild before every target
    // whenever a source file changed in between.
    let mut build = Command::new("cargo");
    build
        .current_dir(tool::root().join("fuzz"))
        .args(["+nightly", "fuzz", "build"]);
    if let [only] = chosen.as_slice() {
        build.arg(only);
    }
    tool::run(&mut build)?;
    let mut outcomes = Vec::new();
    for target in chosen {
        outcomes.push(run_target(target, seconds)?);
    }
    println!(
        "\n{:<14} {:>14} {:>8} {:>8}",
        "target", "executions", "seconds", "crashes"
    );
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    for outcome in &outcomes {
        println!(
            "{:<14} {:>14} {:>8} {:>8}",
            outcome.target,
            show(outcome.executions),
            show(outcome.seconds),
            outcome.crashes
        );
        for artifact in &outcome.artifacts {
            println!("    crash: {artifact}");
        }
    }
    let crashed: usize = outcomes.iter().map(|o| o.crashes).sum();
    if crashed > 0 {
        bail!(
            "{crashed} crashing input(s): reproduce with `cargo +nightly fuzz run <target> <file>` in fuzz/"
        );
    }
    Ok(())
}

/// Installs `cargo-fuzz` when `cargo fuzz` is missing, and checks for a nightly toolchain.
fn install() -> Result<()> {
    let has_nightly = tool::output("rustup", &["toolchain", "list"])
        .is_some_and(|list| list.lines().any(|line| line.starts_with("nightly")));
    if !has_nightly {
        bail!("cargo fuzz needs a nightly toolchain: `rustup toolchain install nightly`");
    }
    if tool::output("cargo", &["fuzz", "--version"]).is_none() {
        tool::run(tool::cargo().args(["install", "cargo-fuzz"]))?;
    }
    Ok(())
}

/// Runs one built target for `seconds` and reads libFuzzer's final statistics.
fn run_target(target: &'static str, seconds: u64) -> Result<Outcome> {
    let fuzz_dir = tool::root().join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    let seeds = fuzz_dir.join("seeds").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let before = files(&artifacts);
    let binary = fuzz_binary(&fuzz_dir, target)?;
    let mut command = Command::new(&binary);
    command
        .current_dir(&fuzz_dir)
        .arg(&corpus)
        .arg(&seeds)
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .stderr(Stdio::piped());
    eprintln!("xtask: fuzzing {target} for {seconds} s: {command:?}");
    let output = command
        .output()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    // Keep libFuzzer's own report, without the progress lines.
    for line in log.lines().filter(|line| !line.starts_with('#')) {
        eprintln!("{line}");
    }
    let executions = log
        .lines()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok());
    // "Done 71459 runs in 6 second(s)"
    let fuzzed = log.lines().find_map(|line| {
        let (_, after) = line.strip_prefix("Done ")?.split_once(" runs in ")?;
        after.split_whitespace().next()?.parse().ok()
    });
    let new: Vec<String> = files(&artifacts)
        .into_iter()
        .filter(|file| !before.contains(file))
        .collect();
    if !output.status.success() && new.is_empty() {
        bail!(
            "fuzz target {target} failed with {} and left no crashing input",
            output.status
        );
    }
    Ok(Outcome {
        target,
        executions,
        seconds: fuzzed,
        crashes: new.len(),
        artifacts: new,
    })
}

/// The built binary of `target` (`cargo fuzz build` puts it under the host's target triple).
fn fuzz_binary(fuzz_dir: &Path, target: &str) -> Result<PathBuf> {
    let triples = std::fs::read_dir(fuzz_dir.join("target")).with_context(|| {
        format!(
            "no {}/target: did cargo fuzz build run?",
            fuzz_dir.display()
        )
    })?;
    triples
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("release").join(target))
        .find(|path| path.is_file())
        .with_context(|| format!("no built binary for fuzz target {target}"))
}

/// The files in `dir`, by path.
fn files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.path().display().to_string())
                .collect()
        })
        .unwrap_or_default()
}
