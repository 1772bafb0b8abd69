//! Overload never means unbounded memory: a burst of ten times what the server admits at once —
//! far over the project's rate limit and the in-flight bound, with large bodies — sent to the
//! real `sightline` binary. The server answers 429 (`Retry-After`, `X-Sentry-Rate-Limits`) or
//! 503 (`Retry-After`) instead of failing, keeps serving reads, loses nothing it acknowledged,
//! and its peak resident memory (`VmHWM`) stays under [`PEAK_RSS_BOUND_MB`].

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use sightline_protocol::encode_segment;
use sightline_protocol::v1::{Compression, Event, EventData, SegmentHeader};
use sightline_tests::server::spawn_serve;

/// Ingest requests the server handles at once (`--max-in-flight`).
const MAX_IN_FLIGHT: usize = 8;
/// Sustained requests per second per project (`--rate-limit`; bursts of ten seconds' worth).
const RATE_LIMIT: u32 = 2;
/// Concurrent clients: ten times the in-flight bound.
const CLIENTS: usize = 10 * MAX_IN_FLIGHT;
/// Requests each client sends, as fast as it can, without waiting for `Retry-After`.
const REQUESTS_PER_CLIENT: usize = 12;
/// Size of each event's padding: close to the 1 MiB event limit.
const EVENT_PADDING: usize = 900 * 1024;
/// The bound on the server's peak resident memory under the burst, in MiB (stated in
/// docs/durability.md).
const PEAK_RSS_BOUND_MB: u64 = 192;

/// A running `sightline serve`, killed when dropped.
struct Sightline {
    child: Child,
    base: String,
    key: String,
    token: String,
    _data: tempfile::TempDir,
}

impl Sightline {
    fn start(extra: &[&str]) -> Result<Self> {
        let data = tempfile::tempdir()?;
        let (child, startup) = spawn_serve("127.0.0.1:0", data.path(), extra, Stdio::null())?;
        Ok(Self {
            child,
            key: startup.dsn_key().context("DSN key")?.to_owned(),
            token: startup.token.context("token")?,
            base: startup.base,
            _data: data,
        })
    }

    /// The peak resident set size so far (`VmHWM`), in KiB.
    fn peak_rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmHWM in /proc/PID/status")
    }

    fn get(&self, agent: &ureq::Agent, path: &str) -> Result<(u16, Value)> {
        let mut response = agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        let status = response.status().as_u16();
        Ok((
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        ))
    }
}

impl Drop for Sightline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn event_id(client: usize, n: usize) -> String {
    format!("{:08x}{:024x}", 0x0ff1_0000_u32 + client as u32, n)
}

/// An envelope of one event padded to about [`EVENT_PADDING`] bytes.
fn envelope(id: &str, client: usize) -> Vec<u8> {
    let event = json!({
        "event_id": id,
        "level": "error",
        "exception": {"values": [{"type": format!("BurstError{}", client % 3), "value": id}]},
        "extra": {"padding": "x".repeat(EVENT_PADDING)},
    })
    .to_string();
    format!(
        "{}\n{}\n{event}\n",
        json!({ "event_id": id }),
        json!({ "type": "event", "length": event.len() })
    )
    .into_bytes()
}

/// A segment with about [`EVENT_PADDING`] bytes of custom payload, uncompressed.
fn segment(client: usize, index: u32) -> Result<Vec<u8>> {
    let replay = format!("{:032x}", 0x0ff1_1000_u64 + client as u64);
    let header = SegmentHeader::new(replay, index, 1, 1_795_673_336_123 + u64::from(index));
    let events = [Event {
        dt: 0,
        data: EventData::Custom {
            tag: "burst".into(),
            payload: "y".repeat(EVENT_PADDING),
        },
    }];
    Ok(encode_segment(&header, &events, Compression::None)?)
}

/// How the server answered the burst.
#[derive(Default)]
struct Answers {
    by_status: Mutex<BTreeMap<u16, u64>>,
    without_retry_after: AtomicU64,
    without_rate_limits_header: AtomicU64,
    no_answer: AtomicU64,
    acknowledged_events: Mutex<Vec<String>>,
    acknowledged_segments: AtomicU64,
}

#[test]
fn a_ten_times_burst_is_refused_with_retry_after_in_bounded_memory() -> Result<()> {
    let server = Arc::new(Sightline::start(&[
        "--max-in-flight",
        &MAX_IN_FLIGHT.to_string(),
        "--rate-limit",
        &RATE_LIMIT.to_string(),
    ])?);
    let idle_kib = server.peak_rss_kib()?;
    let answers = Arc::new(Answers::default());
    let burst_over = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    // Reads keep being served during the burst.
    let reads = {
        let (server, burst_over) = (Arc::clone(&server), Arc::clone(&burst_over));
        thread::spawn(move || -> Result<(u64, u64)> {
            let agent = agent();
            let (mut ok, mut failed) = (0, 0);
            while !burst_over.load(Ordering::Relaxed) {
                for path in [
                    "/api/0/issues/",
                    "/api/0/replays/",
                    "/api/0/internal/queue/",
                ] {
                    match server.get(&agent, path) {
                        Ok((200, _)) => ok += 1,
                        _ => failed += 1,
                    }
                }
                thread::sleep(Duration::from_millis(50));
            }
            Ok((ok, failed))
        })
    };

    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (server, answers) = (Arc::clone(&server), Arc::clone(&answers));
        clients.push(thread::spawn(move || -> Result<()> {
            let agent = agent();
            for n in 0..REQUESTS_PER_CLIENT {
                // One client in four uploads replay segments, the others envelopes.
                let (path, body, id) = if client % 4 == 3 {
                    let index = u32::try_from(n)?;
                    ("replay", segment(client, index)?, None)
                } else {
                    let id = event_id(client, n);
                    ("envelope", envelope(&id, client), Some(id))
                };
                let url = format!("{}/api/1/{path}/?sentry_key={}", server.base, server.key);
                let mut response = match agent.post(&url).send(&body[..]) {
                    Ok(response) => response,
                    Err(_) => {
                        answers.no_answer.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let status = response.status().as_u16();
                let headers = response.headers();
                let retry_after = headers.contains_key("retry-after");
                let rate_limits = headers.contains_key("x-sentry-rate-limits");
                let _ = response.body_mut().read_to_vec();
                *answers
                    .by_status
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .entry(status)
                    .or_default() += 1;
                if matches!(status, 429 | 503) && !retry_after {
                    answers.without_retry_after.fetch_add(1, Ordering::Relaxed);
                }
                if status == 429 && !rate_limits {
                    answers
                        .without_rate_limits_header
                        .fetch_add(1, Ordering::Relaxed);
                }
                if status == 200 {
                    match id {
                        Some(id) => answers
                            .acknowledged_events
                            .lock()
                            .map_err(|_| anyhow::anyhow!("poisoned"))?
                            .push(id),
                        None => {
                            answers
                                .acknowledged_segments
                                .fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Ok(())
        }));
    }
    for client in clients {
        client
            .join()
            .map_err(|_| anyhow::anyhow!("a client panicked"))??;
    }
    let burst_time = started.elapsed();
    burst_over.store(true, Ordering::Relaxed);
    let (reads_ok, reads_failed) = reads
        .join()
        .map_err(|_| anyhow::anyhow!("the reader panicked"))??;

    // The processor catches up; everything acknowledged is there.
    let agent = agent();
    let drain_started = Instant::now();
    loop {
        let (status, queue) = server.get(&agent, "/api/0/internal/queue/")?;
        ensure!(status == 200, "queue answered {status}");
        if queue["inbox"]["entries"] == 0 {
            break;
        }
        ensure!(
            drain_started.elapsed() < Duration::from_secs(60),
            "the inbox did not drain in 60 s: {queue}"
        );
        thread::sleep(Duration::from_millis(100));
    }
    let acknowledged = answers
        .acknowledged_events
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let mut lost = Vec::new();
    for id in &acknowledged {
        let (status, _) = server.get(&agent, &format!("/api/0/events/{id}/"))?;
        if status != 200 {
            lost.push(id.clone());
        }
    }
    let peak_kib = server.peak_rss_kib()?;
    let by_status = answers
        .by_status
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let sent = CLIENTS * REQUESTS_PER_CLIENT;
    let body_mib = sent as f64 * EVENT_PADDING as f64 / (1024.0 * 1024.0);
    println!("overload burst:");
    println!(
        "  sent:          {sent} requests of ~{} KiB ({body_mib:.0} MiB) from {CLIENTS} \
         clients in {:.1} s (in-flight bound {MAX_IN_FLIGHT}, rate limit {RATE_LIMIT}/s, \
         burst {})",
        EVENT_PADDING / 1024,
        burst_time.as_secs_f64(),
        RATE_LIMIT * 10
    );
    println!(
        "  answers:       {by_status:?}, no answer {}",
        answers.no_answer.load(Ordering::Relaxed)
    );
    println!(
        "  acknowledged:  {} events, {} segments; lost {}",
        acknowledged.len(),
        answers.acknowledged_segments.load(Ordering::Relaxed),
        lost.len()
    );
    println!("  reads:         {reads_ok} answered 200 during the burst, {reads_failed} failed");
    println!(
        "  peak RSS:      {} MiB (idle {} MiB; bound {PEAK_RSS_BOUND_MB} MiB)",
        peak_kib / 1024,
        idle_kib / 1024
    );

    let refused =
        by_status.get(&429).copied().unwrap_or(0) + by_status.get(&503).copied().unwrap_or(0);
    ensure!(refused > 0, "nothing was refused: {by_status:?}");
    ensure!(
        by_status.contains_key(&429) && by_status.contains_key(&503),
        "expected both 429 and 503: {by_status:?}"
    );
    ensure!(
        by_status
            .keys()
            .all(|status| matches!(status, 200 | 429 | 503)),
        "unexpected answers {by_status:?}"
    );
    ensure!(
        answers.without_retry_after.load(Ordering::Relaxed) == 0,
        "429/503 without Retry-After"
    );
    ensure!(
        answers.without_rate_limits_header.load(Ordering::Relaxed) == 0,
        "429 without X-Sentry-Rate-Limits"
    );
    ensure!(
        lost.is_empty(),
        "{} acknowledged events lost: {lost:?}",
        lost.len()
    );
    ensure!(
        reads_failed == 0 && reads_ok > 0,
        "reads failed during the burst"
    );
    ensure!(
        peak_kib < PEAK_RSS_BOUND_MB * 1024,
        "peak RSS {} MiB over the bound of {PEAK_RSS_BOUND_MB} MiB",
        peak_kib / 1024
    );
    Ok(())
}
