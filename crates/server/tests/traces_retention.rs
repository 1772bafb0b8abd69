//! `sightline serve --retention-days N` deletes the trace data received more than N days ago
//! when it starts (and hourly after), and keeps the rest.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sightline_server::processor::process_inbox_once;
use sightline_server::project::ensure_default_project;
use sightline_server::store::{NewInboxEntry, SqliteStore, Store};

const TRANSACTION: &str = include_str!("fixtures/traces/python-trace-1-transaction.envelope");
const LOGS: &str = include_str!("fixtures/traces/python-trace-2-log.envelope");
const RECENT: &str = "0123456789abcdef0123456789abcdef";
const OLD: &str = "00000000000000000000000000000001";
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

fn enqueue(store: &SqliteStore, payload: &str, received_at_ms: u64) {
    store
        .enqueue(&NewInboxEntry {
            project_id: 1,
            event_id: "26491d13daf64f728536d63181db4c70".into(),
            received_at_ms,
            payload: payload.as_bytes().to_vec(),
        })
        .unwrap();
}

/// Kills the server when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn trace_data_older_than_the_retention_is_deleted_at_start() {
    let data = tempfile::tempdir().unwrap();
    let now = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let token = {
        let store = SqliteStore::open(data.path()).unwrap();
        let token = ensure_default_project(&store)
            .unwrap()
            .new_admin_token
            .unwrap();
        enqueue(&store, &TRANSACTION.replace(RECENT, OLD), now - 25 * DAY_MS);
        enqueue(&store, &LOGS.replace(RECENT, OLD), now - 25 * DAY_MS);
        enqueue(&store, TRANSACTION, now - 10 * DAY_MS);
        enqueue(&store, LOGS, now - 10 * DAY_MS);
        let report = process_inbox_once(&store).unwrap();
        assert_eq!((report.spans, report.logs), (4, 4));
        token
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--retention-days",
            "20",
            "--data",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Killed(child);
    // Keep reading stdout: the server writes more startup lines after the first.
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let first = lines.recv_timeout(Duration::from_secs(60)).unwrap();
    let host = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap()
        .to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |trace: &str| -> (u16, Value) {
        let mut response = agent
            .get(format!("{host}/api/0/traces/{trace}/"))
            .header("authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_json().unwrap())
    };

    // The sweep runs in the background right after start: wait for it (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(OLD).0 != 404 {
        assert!(Instant::now() < deadline, "the old trace was never swept");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, recent) = get(RECENT);
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["spans"].as_array().unwrap().len(), 2);
    assert_eq!(recent["logs"].as_array().unwrap().len(), 2);
}
