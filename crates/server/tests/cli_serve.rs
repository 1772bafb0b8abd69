//! The real `sightline` binary: startup lines, an upload to the printed DSN, a listing with the
//! printed token, restarts, and a clean stop on SIGTERM.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{T0, replay_id, simple_segment};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `sightline serve`, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    lines: Receiver<String>,
}

impl Server {
    fn start(data: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(STARTUP_TIMEOUT)
            .expect("the server printed a line in time")
    }

    /// Waits for the process to exit by itself.
    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip<'a>(line: &'a str, prefix: &str) -> &'a str {
    line.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"))
}

/// Splits `http://KEY@HOST/1` into key and host.
fn parse_dsn(dsn: &str) -> (String, String) {
    let rest = strip(dsn, "http://");
    let (key, rest) = rest.split_once('@').unwrap();
    let host = rest
        .strip_suffix("/1")
        .unwrap_or_else(|| panic!("{dsn:?} is not for project 1"));
    (key.to_owned(), host.to_owned())
}

#[test]
fn serve_prints_dsn_and_token_then_ingests_and_lists() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let listening = server.line();
    let addr = strip(&listening, "Listening on http://").to_owned();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let dsn_line = server.line();
    let (key, host) = parse_dsn(strip(&dsn_line, "DSN: "));
    assert_eq!(host, addr);
    assert_eq!(key.len(), 32);
    let token_line = server.line();
    let token = strip(&token_line, "Admin token: ").to_owned();

    let replay = replay_id('a');
    let bytes = simple_segment(&replay, 0, T0);
    let mut response = ureq::post(format!("http://{host}/api/1/replay/"))
        .header(
            "X-Sentry-Auth",
            format!("Sentry sentry_key={key}, sentry_version=7"),
        )
        .send(&bytes[..])
        .unwrap();
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(body["id"], replay);
    assert_eq!(body["index"], 0);

    let mut response = ureq::get(format!("http://{host}/api/0/replays/"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let list: Value = response.body_mut().read_json().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], replay);
    assert!(data.path().join("sightline.db").is_file());
}

#[test]
fn restart_prints_the_dsn_again_but_not_the_token() {
    let data = tempfile::tempdir().unwrap();
    let first_key = {
        let server = Server::start(data.path());
        server.line();
        let (key, _) = parse_dsn(strip(&server.line(), "DSN: "));
        strip(&server.line(), "Admin token: ");
        key
    };
    let mut server = Server::start(data.path());
    let listening = server.line();
    let addr = strip(&listening, "Listening on http://").to_owned();
    let (key, host) = parse_dsn(strip(&server.line(), "DSN: "));
    assert_eq!(key, first_key, "the project keeps its key");
    assert_eq!(host, addr, "the DSN names the new bound address");
    assert!(
        server
            .lines
            .recv_timeout(Duration::from_millis(500))
            .is_err(),
        "no token on later starts"
    );
    assert!(server.child.try_wait().unwrap().is_none(), "still serving");
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path());
    for _ in 0..3 {
        server.line();
    }
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait_exit(Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit}");
}
