//! A 2xx from ingest survives `kill -9`: concurrent clients send thousands of Sentry envelopes
//! and replay segments to the real `sightline` binary while the test SIGKILLs it and restarts
//! it on the same data directory and port several times; clients retry whatever got no answer,
//! a 5xx or a 429. Afterwards every acknowledged event is stored exactly once, every
//! acknowledged segment holds its bytes, the issues count each event once, and the inbox drains.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use sightline_protocol::encode_segment;
use sightline_protocol::v1::{Compression, Event, EventData, SegmentHeader};
use sightline_tests::server::{Startup, spawn_serve};

/// Client threads sending envelopes.
const EVENT_THREADS: usize = 4;
/// Envelopes each of them sends.
const EVENTS_PER_THREAD: usize = 1000;
/// Distinct fingerprints (issues) the events fall into.
const FINGERPRINTS: usize = 4;
/// Client threads sending replay segments, one replay each.
const REPLAY_THREADS: usize = 3;
/// Segments of each replay.
const SEGMENTS_PER_REPLAY: u32 = 200;
/// Times the server is killed with SIGKILL and restarted while the clients send.
const KILLS_WHILE_SENDING: usize = 4;

/// The `sightline serve` process under test, on a fixed data directory and port.
struct Sightline {
    child: Option<Child>,
    data: PathBuf,
    port: u16,
    base: String,
    token: String,
    key: String,
}

impl Sightline {
    /// First start on a free port; reads the DSN key and admin token.
    fn first_start(data: &Path) -> Result<Self> {
        let mut server = Self {
            child: None,
            data: data.to_owned(),
            port: 0,
            base: String::new(),
            token: String::new(),
            key: String::new(),
        };
        let startup = server.spawn()?;
        server.key = startup.dsn_key().context("DSN key")?.to_owned();
        server.token = startup.token.context("admin token")?;
        Ok(server)
    }

    /// Starts the binary (on `self.port`, 0 the first time) and returns what it printed once
    /// it listens and printed the DSN (and on the first start the admin token).
    fn spawn(&mut self) -> Result<Startup> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.with_extension("log"))?;
        let (child, startup) = spawn_serve(
            &format!("127.0.0.1:{}", self.port),
            &self.data,
            &["--rate-limit", "1000000"],
            Stdio::from(log),
        )?;
        startup.base.clone_into(&mut self.base);
        self.port = self.base.rsplit(':').next().context("port")?.parse()?;
        self.child = Some(child);
        Ok(startup)
    }

    /// SIGKILLs the server (no shutdown of any kind) and waits for it to be gone.
    fn kill9(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?; // SIGKILL on Unix.
            child.wait()?;
        }
        Ok(())
    }

    /// Starts it again on the same data directory and port (retrying while the port is busy).
    fn restart(&mut self) -> Result<()> {
        let mut last = None;
        for _ in 0..20 {
            match self.spawn() {
                Ok(_) => return Ok(()),
                Err(error) => {
                    last = Some(error);
                    thread::sleep(Duration::from_millis(250));
                }
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("restart failed")))
    }
}

impl Drop for Sightline {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}

/// The bytes of every acknowledged segment, by replay and index.
type SentSegments = HashMap<(String, u32), Vec<u8>>;

/// What the clients saw.
#[derive(Default)]
struct Tally {
    attempts: AtomicU64,
    no_answer: AtomicU64,
    server_errors: AtomicU64,
    rate_limited: AtomicU64,
    acknowledged: AtomicU64,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// POSTs `body` until the server answers 2xx; retries transport failures, 5xx and 429.
fn send_until_acknowledged(
    agent: &ureq::Agent,
    url: &str,
    content_type: &str,
    body: &[u8],
    tally: &Tally,
) -> Result<Value> {
    let started = Instant::now();
    loop {
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "{url} not acknowledged in 120 s"
        );
        tally.attempts.fetch_add(1, Ordering::Relaxed);
        let mut response = match agent
            .post(url)
            .header("content-type", content_type)
            .send(body)
        {
            Ok(response) => response,
            Err(_) => {
                tally.no_answer.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let status = response.status().as_u16();
        let answer = response.body_mut().read_json::<Value>();
        match status {
            200..=299 => {
                tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                return Ok(answer.unwrap_or(Value::Null));
            }
            429 => {
                tally.rate_limited.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(100));
            }
            500..=599 => {
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(100));
            }
            other => bail!("{url} answered {other}: {answer:?}"),
        }
    }
}

fn event_id(thread: usize, n: usize) -> String {
    format!("{:08x}{:024x}", 0xd0ab_0000_u32 + thread as u32, n)
}

fn fingerprint_of(n: usize) -> usize {
    n % FINGERPRINTS
}

fn envelope(id: &str, fingerprint: usize) -> Vec<u8> {
    let event = json!({
        "event_id": id,
        "level": "error",
        "platform": "python",
        "exception": {"values": [{
            "type": format!("DurabilityError{fingerprint}"),
            "value": format!("event {id}"),
        }]},
    })
    .to_string();
    format!(
        "{}\n{}\n{event}\n",
        json!({ "event_id": id }),
        json!({ "type": "event", "length": event.len() })
    )
    .into_bytes()
}

fn replay_id(thread: usize) -> String {
    format!("{:032x}", 0xd0ab_1000_u64 + thread as u64)
}

/// Segment `index` of replay `replay`: a few custom events, deflated.
fn segment(replay: &str, index: u32) -> Result<Vec<u8>> {
    let start = 1_795_673_336_123 + u64::from(index) * 5_000;
    let header = SegmentHeader::new(replay.to_owned(), index, 1, start);
    let mut events = Vec::new();
    for n in 0..10_u32 {
        events.push(Event {
            dt: 100,
            data: EventData::Custom {
                tag: "durability".into(),
                payload: format!("{replay}:{index}:{n}"),
            },
        });
    }
    Ok(encode_segment(&header, &events, Compression::DeflateRaw)?)
}

#[test]
fn acknowledged_ingest_survives_kill_9_and_is_stored_exactly_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut server = Sightline::first_start(&data)?;
    let base = server.base.clone();
    let key = server.key.clone();
    let tally = Arc::new(Tally::default());
    let segments: Arc<Mutex<SentSegments>> = Arc::default();
    let started = Instant::now();

    let mut clients = Vec::new();
    for thread in 0..EVENT_THREADS {
        let (tally, url) = (
            Arc::clone(&tally),
            format!("{base}/api/1/envelope/?sentry_key={key}"),
        );
        clients.push(thread::spawn(move || -> Result<()> {
            let agent = agent();
            for n in 0..EVENTS_PER_THREAD {
                let id = event_id(thread, n);
                let answer = send_until_acknowledged(
                    &agent,
                    &url,
                    "application/x-sentry-envelope",
                    &envelope(&id, fingerprint_of(n)),
                    &tally,
                )?;
                ensure!(answer["id"] == id.as_str(), "answered {answer} for {id}");
            }
            Ok(())
        }));
    }
    for thread in 0..REPLAY_THREADS {
        let (tally, segments) = (Arc::clone(&tally), Arc::clone(&segments));
        let url = format!("{base}/api/1/replay/?sentry_key={key}");
        clients.push(thread::spawn(move || -> Result<()> {
            let agent = agent();
            let replay = replay_id(thread);
            for index in 0..SEGMENTS_PER_REPLAY {
                let bytes = segment(&replay, index)?;
                send_until_acknowledged(&agent, &url, "application/octet-stream", &bytes, &tally)?;
                segments
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .insert((replay.clone(), index), bytes);
            }
            Ok(())
        }));
    }

    // Kill -9 and restart while the clients send, spread over the run.
    let mut restarts = 0;
    let total = (EVENT_THREADS * EVENTS_PER_THREAD) as u64
        + REPLAY_THREADS as u64 * u64::from(SEGMENTS_PER_REPLAY);
    for kill in 1..=KILLS_WHILE_SENDING {
        let target = total * kill as u64 / (KILLS_WHILE_SENDING as u64 + 1);
        while tally.acknowledged.load(Ordering::Relaxed) < target
            && clients.iter().any(|client| !client.is_finished())
        {
            thread::sleep(Duration::from_millis(20));
        }
        server.kill9()?;
        thread::sleep(Duration::from_millis(200));
        server.restart()?;
        restarts += 1;
    }
    for client in clients {
        client
            .join()
            .map_err(|_| anyhow::anyhow!("a client panicked"))??;
    }
    let send_time = started.elapsed();
    // One more the moment the last answer came: the inbox must survive too.
    server.kill9()?;
    server.restart()?;
    restarts += 1;

    let caught_up = Instant::now();
    let reader = Reader::new(&server);
    let backlog_after_restart = reader.inbox_entries()?;
    loop {
        let waiting = reader.inbox_entries()?;
        if waiting == 0 {
            break;
        }
        ensure!(
            caught_up.elapsed() < Duration::from_secs(60),
            "the inbox still holds {waiting} entries after 60 s"
        );
        thread::sleep(Duration::from_millis(100));
    }
    let catch_up_time = caught_up.elapsed();

    // Every acknowledged event, exactly once.
    let mut found_events = 0;
    let mut lost_events = Vec::new();
    let mut per_fingerprint: BTreeMap<usize, u64> = BTreeMap::new();
    for thread in 0..EVENT_THREADS {
        for n in 0..EVENTS_PER_THREAD {
            let id = event_id(thread, n);
            let (status, event) = reader.get(&format!("/api/0/events/{id}/"))?;
            if status == 200 && event["id"] == id.as_str() {
                found_events += 1;
                *per_fingerprint.entry(fingerprint_of(n)).or_default() += 1;
            } else {
                lost_events.push(id);
            }
        }
    }
    // Issue counts equal the distinct stored events: no double counting after a re-run batch.
    let (status, issues) = reader.get("/api/0/issues/?query=&limit=100")?;
    ensure!(status == 200, "issues answered {status}: {issues}");
    let mut issue_counts: BTreeMap<usize, u64> = BTreeMap::new();
    for issue in issues.as_array().context("issue list")? {
        let title = issue["title"].as_str().unwrap_or_default();
        if let Some(rest) = title.strip_prefix("DurabilityError") {
            let fingerprint: usize = rest.split(':').next().unwrap_or("").parse()?;
            *issue_counts.entry(fingerprint).or_default() += issue["count"].as_u64().unwrap_or(0);
        }
    }
    let counted: u64 = issue_counts.values().sum();

    // Every acknowledged segment, with its bytes.
    let sent_segments = segments
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let mut found_segments = 0;
    let mut lost_segments = Vec::new();
    for ((replay, index), bytes) in &sent_segments {
        let stored = reader.bytes(&format!("/api/0/replays/{replay}/segments/{index}"))?;
        if stored.as_deref() == Some(bytes.as_slice()) {
            found_segments += 1;
        } else {
            lost_segments.push(format!("{replay}/{index}"));
        }
    }
    let mut segment_counts = Vec::new();
    for thread in 0..REPLAY_THREADS {
        let (_, replay) = reader.get(&format!("/api/0/replays/{}/", replay_id(thread)))?;
        segment_counts.push(replay["segment_count"].as_u64().unwrap_or(0));
    }

    let events_sent = EVENT_THREADS * EVENTS_PER_THREAD;
    let segments_sent = REPLAY_THREADS * SEGMENTS_PER_REPLAY as usize;
    println!("durability under kill -9:");
    println!(
        "  sent:          {events_sent} envelopes + {segments_sent} segments = {} items \
         ({} requests with retries) in {:.1} s",
        events_sent + segments_sent,
        tally.attempts.load(Ordering::Relaxed),
        send_time.as_secs_f64()
    );
    println!(
        "  acknowledged:  {} (no answer {}, 5xx {}, 429 {}: all retried)",
        tally.acknowledged.load(Ordering::Relaxed),
        tally.no_answer.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
        tally.rate_limited.load(Ordering::Relaxed)
    );
    println!("  restarts:      {restarts} (SIGKILL each time)");
    println!("  found:         {found_events} events, {found_segments} segments with their bytes");
    println!(
        "  lost:          {}",
        lost_events.len() + lost_segments.len()
    );
    println!(
        "  duplicates:    {} (issue counts {counted} vs {found_events} distinct events: \
         {issue_counts:?} vs {per_fingerprint:?})",
        counted.saturating_sub(found_events as u64)
    );
    println!(
        "  catch-up:      {backlog_after_restart} inbox entries after the last restart, \
         drained in {:.2} s",
        catch_up_time.as_secs_f64()
    );

    ensure!(
        lost_events.is_empty(),
        "{} acknowledged events lost, such as {:?}",
        lost_events.len(),
        &lost_events[..lost_events.len().min(5)]
    );
    ensure!(
        lost_segments.is_empty(),
        "{} acknowledged segments lost or changed, such as {:?}",
        lost_segments.len(),
        &lost_segments[..lost_segments.len().min(5)]
    );
    ensure!(
        found_segments == segments_sent,
        "{found_segments} of {segments_sent} segments"
    );
    ensure!(
        segment_counts
            .iter()
            .all(|count| *count == u64::from(SEGMENTS_PER_REPLAY)),
        "replay segment counts {segment_counts:?}"
    );
    ensure!(
        issue_counts == per_fingerprint,
        "issue counts {issue_counts:?} differ from the stored events per fingerprint \
         {per_fingerprint:?}"
    );
    ensure!(
        restarts > KILLS_WHILE_SENDING,
        "the server was killed {restarts} times"
    );
    Ok(())
}

/// Reads the API of the running server with its admin token.
struct Reader {
    agent: ureq::Agent,
    base: String,
    token: String,
}

impl Reader {
    fn new(server: &Sightline) -> Self {
        Self {
            agent: agent(),
            base: server.base.clone(),
            token: server.token.clone(),
        }
    }

    fn get(&self, path: &str) -> Result<(u16, Value)> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        let status = response.status().as_u16();
        Ok((
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        ))
    }

    fn bytes(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        if response.status() != 200 {
            return Ok(None);
        }
        Ok(Some(response.body_mut().read_to_vec()?))
    }

    fn inbox_entries(&self) -> Result<u64> {
        let (status, queue) = self.get("/api/0/internal/queue/")?;
        ensure!(status == 200, "queue answered {status}: {queue}");
        queue["inbox"]["entries"].as_u64().context("inbox.entries")
    }
}
