//! `cargo xtask bench recorder`: Sightline's recorder side by side with rrweb's in one headless
//! Chromium session, on the dashboard fixture (`tests/fixtures/pages/dashboard.html`). Ignored by
//! `cargo test`; it is a measurement, not a test.
//!
//! The same scripted minute runs with no recorder, with Sightline (the real loader and recorder
//! uploading to a real `sightline serve`) and with rrweb (shipping gzip'd JSON every 5 s), three
//! times each in alternation; main-thread time comes from CDP `Performance.getMetrics`. One more minute
//! per recorder runs under the JS Self-Profiling API to attribute time and long tasks to the
//! recorder's own code. Then the initial-snapshot time at 1k and 9k elements and the time to idle
//! after a burst of 1000×10 inserted nodes, each the median of several page loads. The figures go
//! to `target/bench/recorder.json` (or `SIGHTLINE_BENCH_OUT`), which the xtask prints as a table
//! next to the bundle sizes.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sightline_protocol::decode_segment;
use sightline_protocol::v1::EventData;
use sightline_tests::browser::Browser;
use sightline_tests::server::{Server, project_root};

/// The scripted stretch of activity: a real minute, so figures are per minute as measured.
const MINUTE_MS: u64 = 60_000;
/// The PRNG seed of the scripted minute.
const SEED: u64 = 7;
/// Elements of the dashboard for the minute and the burst.
const DASHBOARD_ELEMENTS: u64 = 2_400;
/// Page sizes of the initial-snapshot measurement.
const SNAPSHOT_ELEMENTS: [u64; 2] = [1_000, 9_000];
/// Page loads per snapshot and burst figure; the median is kept.
const REPEATS: usize = 5;
/// Page loads per burst figure (it is noisier than the snapshot); the median is kept.
const BURST_REPEATS: usize = 7;
/// Scripted minutes per recorder (see `summarize` for what is kept).
const MINUTE_ROUNDS: usize = 3;
/// Where the rrweb bundle is installed by `cargo xtask bench recorder`.
const RRWEB_BUNDLE: &str = "target/tools/rrweb/node_modules/rrweb/dist/rrweb.umd.min.cjs";
/// Source URLs of each recorder's scripts, for attributing profiler samples.
const SIGHTLINE_SCRIPTS: &str = "/sdk/";
const RRWEB_SCRIPTS: &str = "/rrweb\\.js";

/// Which recorder a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorder {
    Baseline,
    Sightline,
    Rrweb,
}

impl Recorder {
    const ALL: [Self; 3] = [Self::Baseline, Self::Sightline, Self::Rrweb];

    fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Sightline => "sightline",
            Self::Rrweb => "rrweb",
        }
    }
}

/// Cumulative main-thread figures of a page (ms): wall time in scripts and in tasks, and the
/// main thread's CPU time (which, unlike the other two, does not grow while the machine is busy
/// elsewhere).
#[derive(Debug, Clone, Copy)]
struct MainThread {
    script_ms: f64,
    task_ms: f64,
    cpu_ms: f64,
}

/// Everything a run needs: the browser, the page server and the Sightline server.
struct Bench {
    browser: Browser,
    pages: Pages,
    server: Server,
}

#[test]
#[ignore = "a measurement: run with `cargo xtask bench recorder`"]
fn recorder_against_rrweb_on_a_scripted_dashboard_minute() -> Result<()> {
    let root = project_root();
    let rrweb = root.join(RRWEB_BUNDLE);
    if !rrweb.exists() {
        bail!(
            "{} is missing: run `cargo xtask bench recorder`",
            rrweb.display()
        );
    }
    let bench = Bench {
        server: Server::start()?,
        pages: Pages::start(root.join("tests/fixtures/pages"), rrweb)?,
        browser: Browser::start()?,
    };
    bench
        .browser
        .set_script_timeout(Duration::from_millis(MINUTE_MS * 3))?;

    let load_before = load_average();
    // The minutes alternate between recorders, so a noisy stretch of the machine hits all three.
    let mut minutes: Vec<Vec<Value>> = vec![Vec::new(); Recorder::ALL.len()];
    for round in 1..=MINUTE_ROUNDS {
        for (index, recorder) in Recorder::ALL.into_iter().enumerate() {
            eprintln!(
                "bench: scripted minute {round}/{MINUTE_ROUNDS}, {}",
                recorder.name()
            );
            minutes[index].push(bench.minute(recorder)?);
        }
    }
    let mut runs = serde_json::Map::new();
    for (recorder, rounds) in Recorder::ALL.into_iter().zip(minutes) {
        let mut run = summarize(rounds);
        if recorder != Recorder::Baseline {
            eprintln!(
                "bench: scripted minute under the sampler, {}",
                recorder.name()
            );
            run["attribution"] = bench.attribution(recorder)?;
            for elements in SNAPSHOT_ELEMENTS {
                eprintln!(
                    "bench: snapshot at {elements} elements, {}",
                    recorder.name()
                );
                let snapshot = bench.snapshot(recorder, elements)?;
                run[format!("snapshot_{elements}")] = snapshot;
            }
        }
        eprintln!("bench: burst of 1000×10 nodes, {}", recorder.name());
        run["burst"] = bench.burst(recorder)?;
        runs.insert(recorder.name().to_owned(), run);
    }
    let report = json!({
        "minute_ms": MINUTE_MS,
        "repeats": REPEATS,
        "burst_repeats": BURST_REPEATS,
        "minute_rounds": MINUTE_ROUNDS,
        "load_average": [load_before, load_average()],
        "chromium": bench.browser.eval("return navigator.userAgent;", &[])?,
        "runs": runs,
    });
    let out = std::env::var_os("SIGHTLINE_BENCH_OUT")
        .map_or_else(|| root.join("target/bench/recorder.json"), PathBuf::from);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("recorder benchmark figures written to {}", out.display());
    Ok(())
}

impl Bench {
    /// Opens the dashboard with about `elements` elements and loads `recorder` (not started).
    fn open(&self, recorder: Recorder, elements: u64) -> Result<()> {
        self.browser.goto(&format!(
            "{}/dashboard.html?elements={elements}",
            self.pages.base
        ))?;
        self.browser
            .wait_until("window.bench", Duration::from_secs(20))?;
        let load = match recorder {
            Recorder::Baseline => return Ok(()),
            Recorder::Sightline => format!("bench.loadSightline({})", json!(self.server.base)),
            Recorder::Rrweb => format!(
                "bench.loadRrweb({})",
                json!(format!("{}/rrweb.js", self.pages.base))
            ),
        };
        self.run_async(&load)?;
        Ok(())
    }

    /// Runs a JS expression that yields a promise and returns what it resolves to.
    fn run_async(&self, expression: &str) -> Result<Value> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             Promise.resolve().then(() => {expression})
               .then((value) => done({{ ok: value === undefined ? null : value }}),
                     (error) => done({{ error: String(error && error.stack || error) }}));"
        );
        let answer = self.browser.eval_async(&script, &[])?;
        if let Some(error) = answer.get("error") {
            bail!("{expression} failed in the page: {error}");
        }
        Ok(answer["ok"].clone())
    }

    fn start(&self, recorder: Recorder) -> Result<Value> {
        self.run_async(&format!(
            "bench.start({}, {})",
            json!(recorder.name()),
            json!(self.server.dsn)
        ))
    }

    /// Main-thread time so far in this page, from CDP `Performance.getMetrics`.
    fn main_thread(&self) -> Result<MainThread> {
        let answer = self.browser.cdp("Performance.getMetrics", &json!({}))?;
        let metric = |name: &str| {
            answer["metrics"]
                .as_array()
                .and_then(|list| list.iter().find(|m| m["name"] == name))
                .and_then(|m| m["value"].as_f64())
                .map(|seconds| seconds * 1000.0)
                .with_context(|| format!("no {name} in Performance.getMetrics"))
        };
        Ok(MainThread {
            script_ms: metric("ScriptDuration")?,
            task_ms: metric("TaskDuration")?,
            cpu_ms: metric("ThreadTime")?,
        })
    }

    /// The scripted minute on the 2,400-element dashboard.
    fn minute(&self, recorder: Recorder) -> Result<Value> {
        self.open(recorder, DASHBOARD_ELEMENTS)?;
        std::thread::sleep(Duration::from_secs(1));
        self.browser.cdp("Performance.enable", &json!({}))?;
        let before = self.main_thread()?;
        let started = self.start(recorder)?;
        let ran_ms = self.run_async(&format!("bench.runMinute({SEED}, {MINUTE_MS})"))?;
        let finished = self.run_async("bench.finish()")?;
        let after = self.main_thread()?;
        let since = self.browser.eval("return bench.startedUntil();", &[])?;
        let long_tasks = self.browser.eval(
            "return bench.longTasks(arguments[0]);",
            std::slice::from_ref(&since),
        )?;
        let elements = self.browser.eval("return bench.elements;", &[])?;
        let mut run = json!({
            "elements": elements,
            "ran_ms": ran_ms,
            "script_ms": after.script_ms - before.script_ms,
            "task_ms": after.task_ms - before.task_ms,
            "cpu_ms": after.cpu_ms - before.cpu_ms,
            "start_ms": started["startMs"],
            "long_tasks_after_start": long_tasks,
        });
        match recorder {
            Recorder::Baseline => {}
            Recorder::Sightline => {
                let replay_id = finished["replayId"]
                    .as_str()
                    .context("Sightline gave no replay id")?;
                let uploaded = self.uploaded(replay_id)?;
                run["bytes"] = uploaded["bytes"].clone();
                run["events"] = uploaded["events"].clone();
                run["segments"] = uploaded["segments"].clone();
                run["snapshot_offset_ms"] = uploaded["snapshot_offset_ms"].clone();
            }
            Recorder::Rrweb => {
                run["bytes"] = finished["bytes"].clone();
                run["events"] = finished["events"].clone();
                run["segments"] = finished["batches"].clone();
                run["bytes_one_gzip"] = self.run_async("bench.rrwebWholeBytes()")?;
            }
        }
        Ok(run)
    }

    /// The scripted minute again under the JS Self-Profiling API's sampler, to attribute
    /// main-thread time to the recorder's code (kept apart from `minute`, whose figures the
    /// sampler would perturb).
    fn attribution(&self, recorder: Recorder) -> Result<Value> {
        self.open(recorder, DASHBOARD_ELEMENTS)?;
        std::thread::sleep(Duration::from_secs(1));
        if !self
            .browser
            .eval("return bench.startProfiler();", &[])?
            .as_bool()
            .unwrap_or(false)
        {
            return Ok(Value::Null);
        }
        self.start(recorder)?;
        self.run_async(&format!("bench.runMinute({SEED}, {MINUTE_MS})"))?;
        self.run_async("bench.finish()")?;
        let since = self.browser.eval("return bench.startedUntil();", &[])?;
        self.run_async(&format!(
            "bench.recorderProfile({since}, {})",
            json!(scripts_of(recorder))
        ))
    }

    /// What Sightline uploaded for `replay_id`: bytes as sent, events, segments, and how long
    /// after the meta event (the start call) the full snapshot was recorded.
    fn uploaded(&self, replay_id: &str) -> Result<Value> {
        let (status, replay) = self.server.api(&format!("/api/0/replays/{replay_id}/"))?;
        if status != 200 {
            bail!("GET replay {replay_id} answered {status}");
        }
        let count = replay["segment_count"]
            .as_u64()
            .context("no segment_count")?;
        let (mut bytes, mut events) = (0, 0);
        let (mut meta_at, mut snapshot_at, mut last_addition_at) = (None, None, None);
        for index in 0..count {
            let segment = self
                .server
                .api_bytes(&format!("/api/0/replays/{replay_id}/segments/{index}"))?;
            bytes += segment.len();
            let decoded = decode_segment(&segment)?;
            events += decoded.events.len();
            for (time, event) in decoded.timed_events() {
                match event.data {
                    EventData::Meta { .. } if meta_at.is_none() => meta_at = Some(time),
                    EventData::FullSnapshot { .. } if snapshot_at.is_none() => {
                        snapshot_at = Some(time);
                    }
                    EventData::Mutation(ref mutation) if !mutation.adds.is_empty() => {
                        last_addition_at = Some(time);
                    }
                    _ => {}
                }
            }
        }
        let offset = meta_at
            .zip(snapshot_at)
            .map(|(meta, snapshot)| snapshot.saturating_sub(meta));
        let addition_offset = meta_at
            .zip(last_addition_at)
            .map(|(meta, addition)| addition.saturating_sub(meta));
        Ok(json!({
            "bytes": bytes,
            "events": events,
            "segments": count,
            "snapshot_offset_ms": offset,
            "last_addition_offset_ms": addition_offset,
        }))
    }

    /// Median time of the recorder's initial snapshot on a page of about `elements` elements: the
    /// start call, or for a time-sliced Sightline snapshot until its last slice was recorded.
    fn snapshot(&self, recorder: Recorder, elements: u64) -> Result<Value> {
        let (mut times, mut calls, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
        let mut sliced = 0;
        let mut actual = Value::Null;
        for _ in 0..REPEATS {
            self.open(recorder, elements)?;
            actual = self.browser.eval("return bench.elements;", &[])?;
            std::thread::sleep(Duration::from_millis(500));
            let started = self.start(recorder)?;
            if started["synchronous"] == false {
                bail!("Sightline's init() returned before start() ran: the module was not ready");
            }
            // rrweb takes its snapshot inside record(); its emit time says when it was done.
            let time = started["snapshotMs"]
                .as_f64()
                .or_else(|| started["startMs"].as_f64())
                .context("no start time")?;
            calls.push(started["startMs"].as_f64().context("no start time")?);
            // Sightline time-slices a snapshot that outruns its budget: the rest arrives as
            // additions in later tasks. The page is static, so any addition is such a slice and
            // the snapshot is complete only with the last one.
            std::thread::sleep(Duration::from_millis(500));
            let finished = self.run_async("bench.finish()")?;
            let mut complete = time;
            if let Some(replay_id) = finished["replayId"].as_str() {
                let uploaded = self.uploaded(replay_id)?;
                offsets.push(uploaded["snapshot_offset_ms"].clone());
                if let Some(last) = uploaded["last_addition_offset_ms"].as_f64() {
                    sliced += 1;
                    complete = complete.max(last);
                }
            }
            times.push(complete);
        }
        Ok(json!({
            "elements": actual,
            "median_ms": median(&mut times),
            "all_ms": times,
            "call_median_ms": median(&mut calls),
            "sliced_loads": sliced,
            "snapshot_offsets_ms": offsets,
        }))
    }

    /// Medians over page loads of what a burst of 1000 inserted 10-node subtrees costs: the wall
    /// time until the page is idle again, the main thread's task time and CPU time meanwhile
    /// (immune to frame alignment and idle-callback latency) and the longest task.
    fn burst(&self, recorder: Recorder) -> Result<Value> {
        let (mut idle, mut busy, mut cpu, mut longest) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..BURST_REPEATS {
            self.open(recorder, DASHBOARD_ELEMENTS)?;
            self.start(recorder)?;
            std::thread::sleep(Duration::from_secs(1));
            self.browser.cdp("Performance.enable", &json!({}))?;
            let since = self.browser.eval("return performance.now();", &[])?;
            let before = self.main_thread()?;
            let idle_ms = self.run_async("bench.burst()")?;
            let after = self.main_thread()?;
            let idle_ms = idle_ms.as_f64().context("burst gave no time")?;
            let tasks = self
                .browser
                .eval("return bench.longTasks(arguments[0]);", &[since])?;
            let longest_task = tasks
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|task| task["duration"].as_f64())
                .fold(0.0, f64::max);
            eprintln!(
                "bench:   idle after {idle_ms:.1} ms, main thread: tasks {:.1} ms, CPU {:.1} ms; \
                 longest task {longest_task} ms",
                after.task_ms - before.task_ms,
                after.cpu_ms - before.cpu_ms,
            );
            idle.push(idle_ms);
            busy.push(after.task_ms - before.task_ms);
            cpu.push(after.cpu_ms - before.cpu_ms);
            longest.push(longest_task);
            self.run_async("bench.finish()")?;
        }
        Ok(json!({
            "median_ms": median(&mut idle),
            "busy_median_ms": median(&mut busy),
            "cpu_median_ms": median(&mut cpu),
            "longest_task_median_ms": median(&mut longest),
            "all_ms": idle,
            "busy_all_ms": busy,
            "cpu_all_ms": cpu,
            "longest_task_all_ms": longest,
        }))
    }
}

/// One run's figures from its scripted minutes: for main-thread times the lowest (work elsewhere
/// on the machine only ever adds to them), for sizes and counts the mean; every long task of
/// every minute; and the per-minute figures under `rounds`.
fn summarize(rounds: Vec<Value>) -> Value {
    let mut run = rounds.first().cloned().unwrap_or(Value::Null);
    let keys = [
        ("script_ms", true),
        ("task_ms", true),
        ("cpu_ms", true),
        ("bytes", false),
        ("bytes_one_gzip", false),
        ("events", false),
        ("segments", false),
    ];
    for (key, lowest) in keys {
        let values: Vec<f64> = rounds.iter().filter_map(|r| r[key].as_f64()).collect();
        if values.is_empty() || values.len() != rounds.len() {
            continue;
        }
        run[key] = if lowest {
            json!(values.iter().copied().fold(f64::INFINITY, f64::min))
        } else {
            json!(values.iter().sum::<f64>() / values.len() as f64)
        };
    }
    let long_tasks: Vec<Value> = rounds
        .iter()
        .filter_map(|r| r["long_tasks_after_start"].as_array())
        .flatten()
        .cloned()
        .collect();
    run["long_tasks_after_start"] = json!(long_tasks);
    let per_minute: Vec<Value> = rounds
        .iter()
        .map(|r| {
            json!({
                "script_ms": r["script_ms"],
                "task_ms": r["task_ms"],
                "cpu_ms": r["cpu_ms"],
                "bytes": r["bytes"],
            })
        })
        .collect();
    run["rounds"] = json!(per_minute);
    run
}

/// The machine's 1-minute load average (other work on it makes every figure noisier).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The pattern of the recorder's script URLs, for attributing profiler samples.
fn scripts_of(recorder: Recorder) -> &'static str {
    match recorder {
        Recorder::Rrweb => RRWEB_SCRIPTS,
        _ => SIGHTLINE_SCRIPTS,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A tiny static file server for the fixture pages and the rrweb bundle, so the page has an
/// `http://` origin of its own (Sightline's loader and uploads then go cross-origin, as on a
/// customer's site).
struct Pages {
    base: String,
}

/// Largest request head the page server reads.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

impl Pages {
    fn start(dir: PathBuf, rrweb: PathBuf) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (dir, rrweb) = (dir.clone(), rrweb.clone());
                // One thread per connection: Chromium may hold an idle preconnected socket.
                std::thread::spawn(move || {
                    let _ = serve_file(stream, &dir, &rrweb);
                });
            }
        });
        Ok(Self { base })
    }
}

fn serve_file(mut stream: TcpStream, dir: &Path, rrweb: &Path) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer)?;
        if read == 0 || head.len() + read > MAX_REQUEST_HEAD {
            bail!("incomplete or oversized request");
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or_default();
    let file = if path == "/rrweb.js" {
        Some(rrweb.to_path_buf())
    } else {
        path.strip_prefix('/')
            .filter(|name| {
                !name.is_empty()
                    && !name.starts_with('.')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            })
            .map(|name| dir.join(name))
    };
    let body = file.and_then(|file| std::fs::read(&file).ok().map(|body| (file, body)));
    let (status, kind, body) = match body {
        Some((file, body)) => {
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                _ => "text/javascript; charset=utf-8",
            };
            ("200 OK", kind, body)
        }
        None => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nDocument-Policy: js-profiling\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    Ok(())
}
