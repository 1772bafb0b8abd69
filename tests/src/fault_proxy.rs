//! A loopback HTTP proxy in front of the real Sightline server that can fail on purpose: down
//! (the connection closes without an answer), slow, or answering a status such as 429 with
//! `Retry-After` or 500. A recorder whose DSN names the proxy uploads through it; every upload
//! attempt is logged with the decoded segment and the answer the page got.
//!
//! One request per connection (`Connection: close` both ways); request heads and bodies are
//! bounded. The proxy stops when dropped.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sightline_protocol::{DecodedSegment, decode_segment};

/// Largest request head read.
const MAX_HEAD: u64 = 16 * 1024;

/// Largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the proxy does with the next uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward to the server.
    Pass,
    /// Close the connection without answering (as a server that is down).
    Down,
    /// Answer `status` without forwarding, with `Retry-After: seconds` when given.
    Status(u16, Option<u32>),
    /// Wait this long, then forward.
    Slow(Duration),
}

/// One upload attempt that reached the proxy.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When it arrived.
    pub at: Instant,
    /// The segment it carried, when it decoded.
    pub segment: Option<DecodedSegment>,
    /// The status the page got; 0 when the connection was closed without an answer.
    pub status: u16,
}

#[derive(Debug)]
struct State {
    fault: Fault,
    attempts: Vec<Attempt>,
}

/// A running proxy, stopped when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`http://127.0.0.1:{port}`), passing everything at first.
    ///
    /// # Errors
    /// When no loopback port can be bound or `upstream` is not a loopback `http://` base.
    pub fn start(upstream: &str) -> Result<Self> {
        let upstream = upstream
            .strip_prefix("http://")
            .context("upstream must be http://host:port")?
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State {
            fault: Fault::Pass,
            attempts: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, upstream) = (Arc::clone(&shared), upstream.clone());
                std::thread::spawn(move || {
                    let _ = handle(&stream, &state, &upstream);
                });
            }
        });
        Ok(Self { base, state, stop })
    }

    /// `dsn` (of the real server) with its host replaced by the proxy's.
    ///
    /// # Errors
    /// When `dsn` is not `http://KEY@HOST/PROJECT`.
    pub fn dsn(&self, dsn: &str) -> Result<String> {
        let (key, rest) = dsn
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('@'))
            .context("DSN must be http://KEY@HOST/PROJECT")?;
        let project = rest.split_once('/').context("DSN has no project")?.1;
        Ok(format!(
            "http://{key}@{}/{project}",
            self.base.trim_start_matches("http://")
        ))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the next uploads meet `fault`.
    pub fn set(&self, fault: Fault) {
        self.state().fault = fault;
    }

    /// Every attempt so far, in arrival order.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.state().attempts.clone()
    }

    /// The segments the server accepted (2xx), in the order they arrived.
    pub fn delivered(&self) -> Vec<DecodedSegment> {
        self.state()
            .attempts
            .iter()
            .filter(|attempt| (200..300).contains(&attempt.status))
            .filter_map(|attempt| attempt.segment.clone())
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

/// Reads one request: the head's lines and the body.
fn read_request(stream: &TcpStream) -> Result<(Vec<String>, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut reader = BufReader::new(stream.take(MAX_HEAD + MAX_BODY as u64));
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("connection closed in the request head");
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
        head.push(line);
        if head.iter().map(String::len).sum::<usize>() as u64 > MAX_HEAD {
            bail!("request head too large");
        }
    }
    if length > MAX_BODY {
        bail!("request body too large");
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((head, body))
}

fn handle(stream: &TcpStream, state: &Mutex<State>, upstream: &str) -> Result<()> {
    let (head, body) = read_request(stream)?;
    let fault = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .fault
        .clone();
    let at = Instant::now();
    let is_upload = head.first().is_some_and(|line| line.starts_with("POST "));
    let (status, answer) = match fault {
        Fault::Down => (0, None),
        Fault::Status(status, retry_after) => {
            let retry = retry_after
                .map(|seconds| format!("Retry-After: {seconds}\r\n"))
                .unwrap_or_default();
            let answer = format!(
                "HTTP/1.1 {status} Fault\r\nAccess-Control-Allow-Origin: *\r\n\
                 Access-Control-Expose-Headers: Retry-After\r\n{retry}Content-Length: 0\r\n\
                 Connection: close\r\n\r\n"
            );
            (status, Some(answer.into_bytes()))
        }
        Fault::Slow(delay) => {
            std::thread::sleep(delay);
            forward(&head, &body, upstream)?
        }
        Fault::Pass => forward(&head, &body, upstream)?,
    };
    if is_upload {
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .attempts
            .push(Attempt {
                at,
                segment: decode_segment(&body).ok(),
                status,
            });
    }
    if let Some(answer) = answer {
        let mut out = stream;
        out.write_all(&answer)?;
        out.flush()?;
    }
    Ok(())
}

/// Sends the request to `upstream` with `Connection: close` and returns its status and answer.
fn forward(head: &[String], body: &[u8], upstream: &str) -> Result<(u16, Option<Vec<u8>>)> {
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = String::new();
    for line in head {
        let name = line.split(':').next().unwrap_or("");
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("Connection: close\r\n\r\n");
    server.write_all(request.as_bytes())?;
    server.write_all(body)?;
    server.flush()?;
    let mut answer = Vec::new();
    server.take(MAX_BODY as u64).read_to_end(&mut answer)?;
    let status = std::str::from_utf8(&answer[..answer.len().min(64)])
        .ok()
        .and_then(|text| text.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, Some(answer)))
}
