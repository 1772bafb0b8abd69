//! The site of the recorder's resilience and transparency tests: serves
//! `tests/fixtures/recorder/` on its own loopback origin, with placeholders replaced in HTML and
//! CSP files (`%SDK%`, `%DSN%`, `%SIGHTLINE%`), a `Content-Security-Policy` header on `X.html`
//! when `X.html.csp` exists, and echo endpoints under `/echo/` that the page's own `fetch` and
//! `XMLHttpRequest` calls talk to:
//!
//! - `/echo/body` (any method): JSON with the method, query, `Content-Type`, `X-Custom` and the
//!   body as text (multipart boundaries replaced by `BOUNDARY`, which differ on every run);
//! - `/echo/headers`: text with custom response headers;
//! - `/echo/status/{code}`: that status;
//! - `/echo/redirect`: a 302 to `/echo/body?redirected=1`;
//! - `/echo/stream?id=N`: a chunked answer whose second chunk is sent only once
//!   `/echo/release?id=N` was requested, so a page that reads it incrementally can prove it;
//! - `/echo/slow`: answers after 3 s (for aborts and timeouts);
//! - `/echo/json`, `/echo/html`, `/echo/bytes`: bodies for `responseType` variants.
//!
//! One request per connection; heads and bodies are bounded. The server stops when dropped.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// Largest request body read.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A running site, stopped when dropped.
pub struct RecorderSite {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    stop: Arc<AtomicBool>,
}

struct Site {
    dir: PathBuf,
    replacements: Vec<(String, String)>,
    released: Mutex<HashSet<String>>,
    release: Condvar,
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl RecorderSite {
    /// Serves `tests/fixtures/recorder/` with `%SDK%` the loader of the Sightline server at
    /// `sightline_base`, `%SIGHTLINE%` that origin and `%DSN%` the DSN recordings upload to.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn start(sightline_base: &str, dsn: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let site = Arc::new(Site {
            dir: crate::server::project_root().join("tests/fixtures/recorder"),
            replacements: vec![
                (
                    "%SDK%".to_owned(),
                    format!("{sightline_base}/sdk/sightline.js"),
                ),
                ("%SIGHTLINE%".to_owned(), sightline_base.to_owned()),
                ("%DSN%".to_owned(), dsn.to_owned()),
            ],
            released: Mutex::new(HashSet::new()),
            release: Condvar::new(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let site = Arc::clone(&site);
                std::thread::spawn(move || {
                    let _ = site.answer(&stream);
                });
            }
        });
        Ok(Self { base, stop })
    }

    /// The URL of `path` (starting with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for RecorderSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn read_request(stream: &TcpStream) -> Result<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut reader = BufReader::new(stream.take((MAX_HEAD + MAX_BODY) as u64));
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut headers = Vec::new();
    let mut head_bytes = line.len();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("connection closed in the request head");
        }
        head_bytes += line.len();
        if head_bytes > MAX_HEAD {
            bail!("request head too large");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .map_or(Ok(0), str::parse)
        .context("Content-Length")?;
    if length > MAX_BODY {
        bail!("request body too large");
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(request)
}

/// Writes a whole answer with `Connection: close`.
fn respond(
    stream: &TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<()> {
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()?;
    Ok(())
}

/// A multipart boundary in `content_type`, if any.
fn boundary(content_type: &str) -> Option<&str> {
    let start = content_type.find("boundary=")? + "boundary=".len();
    Some(content_type[start..].split(';').next()?.trim_matches('"'))
}

fn query_value<'a>(query: &'a str, name: &str) -> &'a str {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or("")
}

impl Site {
    fn answer(&self, stream: &TcpStream) -> Result<()> {
        let request = read_request(stream)?;
        if let Some(rest) = request.path.strip_prefix("/echo/") {
            return self.echo(stream, rest, &request);
        }
        if request.method != "GET" {
            return respond(stream, "405 Method Not Allowed", &[], b"GET only");
        }
        match self.file(&request.path) {
            Ok((body, content_type, csp)) => {
                let mut headers = vec![("Content-Type", content_type.to_owned())];
                if let Some(csp) = csp {
                    headers.push(("Content-Security-Policy", csp));
                }
                respond(stream, "200 OK", &headers, &body)
            }
            Err(error) => respond(stream, "404 Not Found", &[], error.to_string().as_bytes()),
        }
    }

    fn replace(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (placeholder, value) in &self.replacements {
            text = text.replace(placeholder, value);
        }
        text
    }

    /// The bytes, content type and CSP of URL `path`.
    fn file(&self, path: &str) -> Result<(Vec<u8>, &'static str, Option<String>)> {
        let mut relative = PathBuf::new();
        for component in Path::new(path.trim_start_matches('/')).components() {
            match component {
                Component::Normal(part) => relative.push(part),
                Component::CurDir => {}
                _ => bail!("{path} leaves its directory"),
            }
        }
        let full = self.dir.join(&relative);
        let bytes =
            std::fs::read(&full).with_context(|| format!("{} not found", full.display()))?;
        let extension = full.extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension != "html" {
            let content_type = if extension == "js" {
                "text/javascript"
            } else {
                "application/octet-stream"
            };
            return Ok((bytes, content_type, None));
        }
        let text = String::from_utf8(bytes).context("HTML is not UTF-8")?;
        let csp = std::fs::read_to_string(full.with_extension("html.csp"))
            .ok()
            .map(|csp| self.replace(csp.trim()));
        Ok((
            self.replace(&text).into_bytes(),
            "text/html; charset=utf-8",
            csp,
        ))
    }

    fn echo(&self, stream: &TcpStream, rest: &str, request: &Request) -> Result<()> {
        let json = ("Content-Type", "application/json".to_owned());
        match rest {
            "body" => {
                let content_type = request.header("content-type").unwrap_or("").to_owned();
                let mut body = String::from_utf8_lossy(&request.body).into_owned();
                let mut content_type_seen = content_type.clone();
                if let Some(boundary) = boundary(&content_type) {
                    body = body.replace(boundary, "BOUNDARY");
                    content_type_seen = content_type.replace(boundary, "BOUNDARY");
                }
                let answer = serde_json::json!({
                    "method": request.method,
                    "query": request.query,
                    "content_type": content_type_seen,
                    "custom": request.header("x-custom"),
                    "body": body,
                });
                respond(
                    stream,
                    "200 OK",
                    &[json, ("X-Echo", "1".to_owned())],
                    answer.to_string().as_bytes(),
                )
            }
            "headers" => respond(
                stream,
                "200 OK",
                &[
                    ("Content-Type", "text/plain; charset=utf-8".to_owned()),
                    ("X-One", "1".to_owned()),
                    ("X-Two", "a, b".to_owned()),
                ],
                b"hello headers",
            ),
            "redirect" => respond(
                stream,
                "302 Found",
                &[("Location", "/echo/body?redirected=1".to_owned())],
                b"",
            ),
            "stream" => self.stream(stream, query_value(&request.query, "id")),
            "release" => {
                let id = query_value(&request.query, "id").to_owned();
                self.released
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(id);
                self.release.notify_all();
                respond(stream, "200 OK", &[], b"released")
            }
            "slow" => {
                std::thread::sleep(Duration::from_secs(3));
                respond(stream, "200 OK", &[], b"late")
            }
            "json" => respond(stream, "200 OK", &[json], br#"{"a":[1,2],"b":"x"}"#),
            "html" => respond(
                stream,
                "200 OK",
                &[("Content-Type", "text/html".to_owned())],
                b"<!doctype html><p id=x>hi</p>",
            ),
            "bytes" => respond(
                stream,
                "200 OK",
                &[("Content-Type", "application/octet-stream".to_owned())],
                &[0, 1, 2, 127, 128, 254, 255],
            ),
            _ => match rest
                .strip_prefix("status/")
                .and_then(|s| s.parse::<u16>().ok())
            {
                Some(code) => respond(
                    stream,
                    &format!("{code} Status"),
                    &[("Content-Type", "text/plain".to_owned())],
                    format!("status {code}").as_bytes(),
                ),
                None => respond(stream, "404 Not Found", &[], b"no such echo"),
            },
        }
    }

    /// A chunked answer: `first;`, then (once `id` is released, or after 20 s) `second;`.
    fn stream(&self, stream: &TcpStream, id: &str) -> Result<()> {
        let mut out = stream;
        out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\
              Cache-Control: no-store\r\nConnection: close\r\n\r\n6\r\nfirst;\r\n",
        )?;
        out.flush()?;
        let released = self
            .released
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_released, _) = self
            .release
            .wait_timeout_while(released, Duration::from_secs(20), |set| !set.contains(id))
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.write_all(b"7\r\nsecond;\r\n0\r\n\r\n")?;
        out.flush()?;
        Ok(())
    }
}
