//! `cargo xtask bench …`: benchmarks are commands that print figures, never timed assertions.
//!
//! - `session-size [--save]`: one scripted minute of the demo shop, the bytes uploaded.
//! - `recorder [--print]`: Sightline's recorder against rrweb's in one headless Chromium session
//!   on the dashboard fixture (`tests/tests/bench_recorder.rs` measures, this prints the table
//!   with the bundle sizes and the issue's goals; `--print` reprints the last run's table).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::build::gzip_size;
use crate::{test, tool};

/// rrweb from the npm registry, pinned: the recorder Sightline is measured against.
const RRWEB_NPM: &str = "rrweb@2.2.2";

/// Where `npm` puts rrweb (its own prefix, so it never prunes binaryen from `target/tools/`).
const RRWEB_PREFIX: &str = "target/tools/rrweb";

/// The browser bundle of rrweb an app would load from a CDN (record and replay, minified).
const RRWEB_BUNDLE: &str = "node_modules/rrweb/dist/rrweb.umd.min.cjs";

/// Where the recorder benchmark writes its figures.
const RECORDER_FIGURES: &str = "target/bench/recorder.json";

/// The issue's goals: bytes and script time as fractions of rrweb's, task and bundle limits.
const GOAL_BYTES_RATIO: f64 = 0.45;
const GOAL_SCRIPT_RATIO: f64 = 0.33;
const GOAL_LONGEST_TASK_MS: f64 = 50.0;
const GOAL_BUNDLE_BYTES: usize = 30 * 1024;

/// Runs a named benchmark (`args`: its name, then its flags), which prints its figures.
///
/// # Errors
/// For an unknown benchmark, or when it fails.
pub fn run(args: &[String]) -> Result<()> {
    let flag = |name: &str| args.iter().any(|a| a == name);
    match args.first().map(String::as_str) {
        Some("session-size") => {
            let mut cargo = bench_test("bench_session_size")?;
            if flag("--save") {
                cargo.env("SIGHTLINE_SAVE_DEMO_SESSION", "1");
            }
            tool::run(&mut cargo)
        }
        Some("recorder") => recorder(flag("--print")),
        other => bail!("unknown benchmark {other:?}; available: session-size, recorder"),
    }
}

/// `cargo test` of one ignored benchmark test of `sightline-tests`, after setup and build.
fn bench_test(test_name: &str) -> Result<Command> {
    let mut cargo = test::prepared_cargo_test()?;
    cargo.args([
        "-p",
        "sightline-tests",
        "--test",
        test_name,
        "--",
        "--ignored",
        "--nocapture",
    ]);
    Ok(cargo)
}

/// Measures (unless `print_only`) and prints the recorder table.
fn recorder(print_only: bool) -> Result<()> {
    let root = tool::root();
    let figures_path = root.join(RECORDER_FIGURES);
    if !print_only {
        // Setup first: on a fresh clone it is what installs npm.
        let mut cargo = bench_test("bench_recorder")?;
        install_rrweb()?;
        cargo.env("SIGHTLINE_BENCH_OUT", &figures_path);
        tool::run(&mut cargo)?;
    }
    let figures: Value = serde_json::from_slice(
        &std::fs::read(&figures_path)
            .with_context(|| format!("reading {}", figures_path.display()))?,
    )?;
    let bundles = Bundles::measure(&root)?;
    print_recorder_table(&figures, &bundles);
    Ok(())
}

fn install_rrweb() -> Result<()> {
    let prefix = tool::root().join(RRWEB_PREFIX);
    let wanted = RRWEB_NPM.rsplit('@').next().unwrap_or_default();
    let manifest = prefix.join("node_modules/rrweb/package.json");
    let installed = std::fs::read(&manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|package| package["version"].as_str().map(str::to_owned));
    if installed.as_deref() == Some(wanted) && prefix.join(RRWEB_BUNDLE).exists() {
        return Ok(());
    }
    if !tool::exists("npm") {
        bail!(
            "npm is missing: install it (`apt-get install npm`); binaryen and rrweb come from it"
        );
    }
    std::fs::create_dir_all(&prefix)?;
    tool::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(RRWEB_NPM),
    )
}

/// The shipped sizes after gzip -9: Sightline's files (each served on its own) and rrweb's.
struct Bundles {
    sightline: Vec<(String, usize)>,
    rrweb: usize,
}

impl Bundles {
    fn measure(root: &Path) -> Result<Self> {
        let glue = root.join("pkg/sightline_recorder.js");
        let mut files: Vec<PathBuf> = vec![
            root.join("pkg/sightline_recorder_bg.wasm"),
            glue.clone(),
            root.join("www/sdk/sightline.js"),
        ];
        // The JS snippets the glue imports are loaded too (`pkg/snippets/` may also hold stale
        // ones from earlier builds, so only the imported ones count).
        let glue_text = std::fs::read_to_string(&glue)
            .with_context(|| format!("reading {}", glue.display()))?;
        files.extend(
            snippets_imported_by(&glue_text)
                .into_iter()
                .map(|path| root.join("pkg").join(path)),
        );
        let mut sightline = Vec::new();
        for file in files {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            sightline.push((name, gzip_size(&bytes)));
        }
        let rrweb_path = root.join(RRWEB_PREFIX).join(RRWEB_BUNDLE);
        let rrweb = gzip_size(
            &std::fs::read(&rrweb_path)
                .with_context(|| format!("reading {}", rrweb_path.display()))?,
        );
        Ok(Self { sightline, rrweb })
    }

    fn sightline_total(&self) -> usize {
        self.sightline.iter().map(|(_, size)| size).sum()
    }
}

/// The distinct `./snippets/….js` paths a wasm-bindgen glue file imports.
fn snippets_imported_by(glue: &str) -> Vec<String> {
    let mut paths: Vec<String> = glue
        .match_indices("./snippets/")
        .filter_map(|(at, _)| {
            let rest = &glue[at + 2..];
            let end = rest.find(['"', '\''])?;
            Some(rest[..end].to_owned())
        })
        .filter(|path| path.ends_with(".js") && !path.contains(".."))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A finite number from the figures, if there is one (missing figures print as "n/a").
fn number(value: &Value) -> Option<f64> {
    value.as_f64().filter(|v| v.is_finite())
}

fn fmt_ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.1} ms"))
}

fn fmt_bytes(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |b| format!("{:.1} KB", b / 1024.0))
}

fn fmt_ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) if theirs > 0.0 => format!("{:.2}×", ours / theirs),
        _ => "n/a".to_owned(),
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "NOT met",
        None => "n/a",
    }
}

/// "N, longest a, b, c ms" for a list of long tasks.
fn long_task_summary(tasks: &Value) -> String {
    let mut durations: Vec<f64> = tasks
        .as_array()
        .map(|list| list.iter().filter_map(|t| number(&t["duration"])).collect())
        .unwrap_or_default();
    if durations.is_empty() {
        return "none".to_owned();
    }
    durations.sort_by(|a, b| b.total_cmp(a));
    let longest: Vec<String> = durations
        .iter()
        .take(3)
        .map(|d| format!("{d:.0}"))
        .collect();
    format!("{}, longest {} ms", durations.len(), longest.join(", "))
}

/// The longest long task (>= 50 ms) of a run after its recorder started; 0 when there was none.
fn longest_task(run: &Value) -> Option<f64> {
    let tasks = run["long_tasks_after_start"].as_array()?;
    Some(
        tasks
            .iter()
            .filter_map(|task| number(&task["duration"]))
            .fold(0.0, f64::max),
    )
}

fn print_recorder_table(figures: &Value, bundles: &Bundles) {
    let runs = &figures["runs"];
    let (base, ours, theirs) = (&runs["baseline"], &runs["sightline"], &runs["rrweb"]);
    // Figures per minute: the run is a real minute, scaled only if it was configured shorter.
    let per_minute = number(&figures["minute_ms"]).map_or(1.0, |ms| 60_000.0 / ms);
    let scaled = |value: Option<f64>| value.map(|v| v * per_minute);
    // Half the spread of a figure over the run's minutes plus the baseline's: how far apart
    // identical minutes came out, so a difference smaller than this is noise.
    let spread = |run: &Value, key: &str| {
        let half_range = |run: &Value| {
            let values: Vec<f64> = run["rounds"]
                .as_array()?
                .iter()
                .filter_map(|round| number(&round[key]))
                .collect();
            let max = values.iter().copied().fold(f64::MIN, f64::max);
            let min = values.iter().copied().fold(f64::MAX, f64::min);
            (!values.is_empty()).then(|| (max - min) / 2.0)
        };
        scaled(half_range(run).zip(half_range(base)).map(|(r, b)| r + b))
    };
    let fmt_spread = |value: Option<f64>, run: &Value, key: &str| match (value, spread(run, key)) {
        (Some(ms), Some(noise)) => format!("{ms:.0} ±{noise:.0} ms"),
        _ => fmt_ms(value),
    };
    let added = |run: &Value, key: &str| {
        scaled(
            number(&run[key])
                .zip(number(&base[key]))
                .map(|(r, b)| r - b),
        )
    };

    let bytes = (
        scaled(number(&ours["bytes"])),
        scaled(number(&theirs["bytes"])),
    );
    let one_gzip = scaled(number(&theirs["bytes_one_gzip"]));
    let script = (added(ours, "script_ms"), added(theirs, "script_ms"));
    let task = (added(ours, "task_ms"), added(theirs, "task_ms"));
    let cpu = (added(ours, "cpu_ms"), added(theirs, "cpu_ms"));
    let longest = (longest_task(ours), longest_task(theirs));
    let sampled_ms = |run: &Value| scaled(number(&run["attribution"]["recorder_ms"]));
    let sampled = (sampled_ms(ours), sampled_ms(theirs));
    let stretch_ms = |run: &Value| number(&run["attribution"]["longest_in_long_task_ms"]);
    let stretch = (stretch_ms(ours), stretch_ms(theirs));
    let burst_added = |run: &Value, key: &str| {
        number(&run["burst"][key])
            .zip(number(&base["burst"][key]))
            .map(|(r, b)| r - b)
    };
    let burst_cpu = |run: &Value| burst_added(run, "cpu_median_ms");
    let burst_busy = |run: &Value| burst_added(run, "busy_median_ms");
    let burst_idle = |run: &Value| burst_added(run, "median_ms");
    let burst_task = |run: &Value| number(&run["burst"]["longest_task_median_ms"]);
    let snapshot = |run: &Value, size: &str| number(&run[format!("snapshot_{size}")]["median_ms"]);
    let snapshot_elements = |size: &str| {
        ours[format!("snapshot_{size}")]["elements"]
            .as_u64()
            .map_or_else(|| size.to_owned(), |n| n.to_string())
    };
    let bundle = (bundles.sightline_total(), bundles.rrweb);

    println!();
    println!(
        "Recorder benchmark — {} elements, {:.0} s scripted minute, one headless Chromium \
         session",
        ours["elements"],
        number(&figures["minute_ms"]).unwrap_or(0.0) / 1000.0
    );
    println!("{}", figures["chromium"].as_str().unwrap_or_default());
    println!();
    let rule = "-".repeat(104);
    println!(
        "{:<46} {:>14} {:>14} {:>9} {:>9} {:>8}",
        "figure", "Sightline", "rrweb 2.2.2", "ratio", "goal", ""
    );
    println!("{rule}");
    println!(
        "{:<46} {:>14} {:>14} {:>9} {:>9} {:>8}",
        "compressed bytes per minute",
        fmt_bytes(bytes.0),
        fmt_bytes(bytes.1),
        fmt_ratio(bytes.0, bytes.1),
        format!("≤ {GOAL_BYTES_RATIO}×"),
        verdict(ratio_met(bytes, GOAL_BYTES_RATIO)),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  rrweb as one gzip of the whole minute",
        "",
        fmt_bytes(one_gzip),
        fmt_ratio(bytes.0, one_gzip),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9} {:>9} {:>8}",
        "main-thread script time added per minute",
        fmt_spread(script.0, ours, "script_ms"),
        fmt_spread(script.1, theirs, "script_ms"),
        fmt_ratio(script.0, script.1),
        format!("≤ {GOAL_SCRIPT_RATIO}×"),
        verdict(ratio_met(script, GOAL_SCRIPT_RATIO)),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  main-thread CPU time added per minute",
        fmt_spread(cpu.0, ours, "cpu_ms"),
        fmt_spread(cpu.1, theirs, "cpu_ms"),
        fmt_ratio(cpu.0, cpu.1),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  main-thread task time added per minute",
        fmt_spread(task.0, ours, "task_ms"),
        fmt_spread(task.1, theirs, "task_ms"),
        fmt_ratio(task.0, task.1),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  recorder's own code per minute (sampled)",
        fmt_ms(sampled.0),
        fmt_ms(sampled.1),
        fmt_ratio(sampled.0, sampled.1),
    );
    // Long tasks are those of 50 ms or more: none means every task was shorter.
    let fmt_longest = |ms: Option<f64>| match ms {
        Some(ms) if ms <= 0.0 => "< 50 ms".to_owned(),
        other => fmt_ms(other),
    };
    println!(
        "{:<46} {:>14} {:>14}",
        "longest task after the snapshot (any cause)",
        fmt_longest(longest.0),
        fmt_longest(longest.1),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9} {:>9} {:>8}",
        "  longest recorder work in one task (sampled)",
        fmt_longest(stretch.0),
        fmt_longest(stretch.1),
        "",
        format!("≤ {GOAL_LONGEST_TASK_MS:.0} ms"),
        verdict(stretch.0.map(|ms| ms <= GOAL_LONGEST_TASK_MS)),
    );
    for size in ["1000", "9000"] {
        println!(
            "{:<46} {:>14} {:>14} {:>9}",
            format!("initial snapshot, {} elements", snapshot_elements(size)),
            fmt_ms(snapshot(ours, size)),
            fmt_ms(snapshot(theirs, size)),
            fmt_ratio(snapshot(ours, size), snapshot(theirs, size)),
        );
    }
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "burst of 1000×10 nodes: main-thread CPU added",
        fmt_ms(burst_cpu(ours)),
        fmt_ms(burst_cpu(theirs)),
        fmt_ratio(burst_cpu(ours), burst_cpu(theirs)),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  main-thread task time added",
        fmt_ms(burst_busy(ours)),
        fmt_ms(burst_busy(theirs)),
        fmt_ratio(burst_busy(ours), burst_busy(theirs)),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9}",
        "  wall time to idle added",
        fmt_ms(burst_idle(ours)),
        fmt_ms(burst_idle(theirs)),
        fmt_ratio(burst_idle(ours), burst_idle(theirs)),
    );
    println!(
        "{:<46} {:>14} {:>14}",
        "  its longest task (insertion + recorder)",
        fmt_ms(burst_task(ours)),
        fmt_ms(burst_task(theirs)),
    );
    println!(
        "{:<46} {:>14} {:>14} {:>9} {:>9} {:>8}",
        "bundle, gzip -9",
        fmt_bytes(Some(bundle.0 as f64)),
        fmt_bytes(Some(bundle.1 as f64)),
        fmt_ratio(Some(bundle.0 as f64), Some(bundle.1 as f64)),
        format!("≤ {} KB", GOAL_BUNDLE_BYTES / 1024),
        verdict(Some(bundle.0 <= GOAL_BUNDLE_BYTES)),
    );
    println!("{rule}");
    print_recorder_notes(figures, bundles);
}

fn ratio_met((ours, theirs): (Option<f64>, Option<f64>), goal: f64) -> Option<bool> {
    let (ours, theirs) = (ours?, theirs?);
    (theirs > 0.0).then(|| ours / theirs <= goal)
}

fn print_recorder_notes(figures: &Value, bundles: &Bundles) {
    let runs = &figures["runs"];
    let (base, ours, theirs) = (&runs["baseline"], &runs["sightline"], &runs["rrweb"]);
    println!("notes:");
    println!(
        "  {} scripted minutes per recorder, run in alternation: bytes are their mean, \
         main-thread times the lowest (work elsewhere on the machine only ever adds time); \
         script, CPU and task = CDP Performance.getMetrics ScriptDuration, \
         ThreadTime and TaskDuration deltas minus the baseline's (rrweb's include its 5 s \
         JSON + gzip shipping); script and task are wall times, which grow when the machine \
         is busy elsewhere, CPU does not",
        figures["minute_rounds"]
    );
    println!(
        "  ±: half the spread between the minutes of the run plus the baseline's (how far \
         identical minutes came out apart on this machine)"
    );
    println!(
        "  sampled rows: a separate minute per recorder under the JS Self-Profiling API (10 ms \
         samples); a sample is the recorder's when its stack holds a frame of the recorder's \
         scripts; the longest recorder work in one task is the most recorder samples inside one \
         long task (±10 ms; tasks under 50 ms cannot hold 50 ms of it)"
    );
    println!(
        "  snapshot: median of {} page loads; burst: median of {} page loads, main-thread CPU \
         and task time = CDP ThreadTime and TaskDuration from the insertion until idle (next \
         frame, then an idle callback); \
         machine load average before/after {}",
        figures["repeats"], figures["burst_repeats"], figures["load_average"]
    );
    println!(
        "  baseline (no recorder): script {}, CPU {}, tasks {}, long tasks: {}; burst: \
         CPU {}, tasks {}, idle after {}, longest task {}; each minute {}",
        fmt_ms(number(&base["script_ms"])),
        fmt_ms(number(&base["cpu_ms"])),
        fmt_ms(number(&base["task_ms"])),
        long_task_summary(&base["long_tasks_after_start"]),
        fmt_ms(number(&base["burst"]["cpu_median_ms"])),
        fmt_ms(number(&base["burst"]["busy_median_ms"])),
        fmt_ms(number(&base["burst"]["median_ms"])),
        fmt_ms(number(&base["burst"]["longest_task_median_ms"])),
        base["rounds"],
    );
    for (name, run) in [("Sightline", ours), ("rrweb", theirs)] {
        println!(
            "  {name}: {:.0} events in {:.0} uploads per minute; each minute {}; long tasks \
             after the snapshot: {}",
            number(&run["events"]).unwrap_or(0.0),
            number(&run["segments"]).unwrap_or(0.0),
            run["rounds"],
            long_task_summary(&run["long_tasks_after_start"]),
        );
        if let Some(tasks) = run["attribution"]["long_tasks"].as_array() {
            let shares: Vec<String> = tasks
                .iter()
                .map(|task| {
                    format!(
                        "{:.0} ms of a {:.0} ms task",
                        number(&task["recorder_ms"]).unwrap_or(0.0),
                        number(&task["duration"]).unwrap_or(0.0)
                    )
                })
                .collect();
            println!(
                "    under the sampler, recorder time inside each long task: {}",
                if shares.is_empty() {
                    "no long task".to_owned()
                } else {
                    shares.join(", ")
                }
            );
        }
    }
    println!(
        "  Sightline's full snapshot is recorded {} ms after its start call's meta event \
         (0 = inside the synchronous start() call, so start() time is the snapshot time)",
        ours["snapshot_offset_ms"]
    );
    println!(
        "  snapshot rows: Sightline's whole start() call, or until the last slice of a \
         time-sliced snapshot (sliced in {} of the loads at 1k, {} at 9k elements); rrweb's \
         record() call until its emit callback got the full snapshot (the whole record() call: \
         {} at 1k, {} at 9k elements)",
        ours["snapshot_1000"]["sliced_loads"],
        ours["snapshot_9000"]["sliced_loads"],
        fmt_ms(number(&theirs["snapshot_1000"]["call_median_ms"])),
        fmt_ms(number(&theirs["snapshot_9000"]["call_median_ms"])),
    );
    println!(
        "  Sightline bundle: {}",
        bundles
            .sightline
            .iter()
            .map(|(name, size)| format!("{name} {size} B"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  rrweb bundle: {RRWEB_BUNDLE} {} B (record and replay: the npm package `rrweb` has \
         no record-only bundle)",
        bundles.rrweb
    );
}

#[cfg(test)]
mod tests {
    use super::snippets_imported_by;

    #[test]
    fn the_bundle_counts_each_imported_snippet_once() {
        let glue = r#"import { wrap } from './snippets/rec-1a/js/hooks.js';
import * as import1 from "./snippets/rec-1a/js/hooks.js"
const imports = { "./snippets/rec-1a/js/hooks.js": import1, "./snippets/rec-2b/js/more.js": 2 };"#;
        assert_eq!(
            snippets_imported_by(glue),
            ["snippets/rec-1a/js/hooks.js", "snippets/rec-2b/js/more.js"]
        );
    }
}
