//! The real `sightline` binary on a free port over a temporary data directory, with its
//! credentials parsed from the startup lines and its log lines kept for assertions.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// How long to wait for startup lines, events and other processes.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A running `sightline serve`, killed when dropped.
pub struct RunningServer {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    agent: ureq::Agent,
    /// `host:port` it listens on.
    pub host: String,
    /// Project 1's DSN.
    pub dsn: String,
    /// Project 1's public key.
    pub key: String,
    /// The admin token.
    pub token: String,
    _data: TempDir,
}

impl RunningServer {
    /// Starts the binary with `RUST_LOG=info` and reads its startup lines.
    pub fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let next = |prefix: &str| {
            let line = lines.recv_timeout(TIMEOUT).expect("a startup line in time");
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"))
                .to_owned()
        };
        let host = next("Listening on http://");
        let dsn = next("DSN: ");
        let token = next("Admin token: ");
        let key = dsn
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('@'))
            .map(|(key, _)| key.to_owned())
            .unwrap();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            child,
            logs,
            agent,
            host,
            dsn,
            key,
            token,
            _data: data,
        }
    }

    /// Uploads a replay segment to project 1.
    pub fn upload_segment(&self, bytes: &[u8]) {
        let mut response = self
            .agent
            .post(format!(
                "http://{}/api/1/replay/?sentry_key={}",
                self.host, self.key
            ))
            .send(bytes)
            .unwrap();
        let body: Value = response.body_mut().read_json().unwrap();
        assert_eq!(response.status(), 200, "{body}");
    }

    /// `GET path` on the read API: the status and JSON body.
    pub fn get_json(&self, path: &str) -> (u16, Value) {
        let mut response = self
            .agent
            .get(format!("http://{}{path}", self.host))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_json().unwrap())
    }

    /// Polls `GET path` until `done` accepts the JSON body, within [`TIMEOUT`].
    pub fn wait_for_json(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let (status, body) = self.get_json(path);
            if status == 200 && done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never matched; last answer {status}: {body}\nserver log:\n{}",
                self.logs().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// The `content_encoding` of every envelope the server accepted so far, in order.
    pub fn accepted_encodings(&self) -> Vec<String> {
        self.logs()
            .iter()
            .filter(|line| line.contains("accepted envelope"))
            .filter_map(|line| {
                let (_, rest) = line.split_once("content_encoding=")?;
                let value = rest.split_whitespace().next()?.trim_matches('"');
                Some(value.to_owned())
            })
            .collect()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
