//! A small static file server for test pages (`tests/fixtures/pages/`), on its own loopback
//! origin like a real site: the page is served from here and records itself with the recorder
//! loaded from the Sightline server.
//!
//! HTML files get placeholders replaced (such as `%SDK%` and `%DSN%`), so a page can include
//! `<script src="%SDK%" data-dsn="%DSN%">`. Only `GET` is served; request heads are bounded;
//! paths cannot leave their directory. The server stops when dropped.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

/// Largest request head read.
const MAX_HEAD: u64 = 16 * 1024;

/// A directory served over HTTP under URL prefixes.
#[derive(Debug, Clone)]
pub struct Mount {
    /// URL path prefix, starting and ending with `/`.
    pub prefix: String,
    /// The directory it serves.
    pub dir: PathBuf,
}

/// A running page server, stopped when dropped.
pub struct PageServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    stop: Arc<AtomicBool>,
}

struct Site {
    mounts: Vec<Mount>,
    replacements: Vec<(String, String)>,
}

impl PageServer {
    /// Serves `mounts` (longest prefix wins), replacing each `(placeholder, value)` in HTML.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn start(mounts: Vec<Mount>, replacements: Vec<(String, String)>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let mut mounts = mounts;
        mounts.sort_by_key(|mount| std::cmp::Reverse(mount.prefix.len()));
        let site = Arc::new(Site {
            mounts,
            replacements,
        });
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let site = Arc::clone(&site);
                std::thread::spawn(move || {
                    let _ = site.answer(stream);
                });
            }
        });
        Ok(Self { base, stop })
    }

    /// Serves `tests/fixtures/pages/` at `/`, with `%SDK%` the recorder loader of the Sightline
    /// server at `sightline_base` and `%DSN%` its DSN.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn fixtures(sightline_base: &str, dsn: &str) -> Result<Self> {
        Self::start(
            vec![Mount {
                prefix: "/".to_owned(),
                dir: crate::server::project_root().join("tests/fixtures/pages"),
            }],
            vec![
                (
                    "%SDK%".to_owned(),
                    format!("{sightline_base}/sdk/sightline.js"),
                ),
                ("%DSN%".to_owned(), dsn.to_owned()),
            ],
        )
    }

    /// The URL of `path` (starting with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

impl Site {
    fn answer(&self, stream: TcpStream) -> Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new((&stream).take(MAX_HEAD));
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        // Drain the rest of the head (bounded by `take`).
        let mut line = String::new();
        while reader.read_line(&mut line)? > 2 {
            line.clear();
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let mut out = &stream;
        if method != "GET" {
            return respond(
                &mut out,
                "405 Method Not Allowed",
                "text/plain",
                b"GET only",
            );
        }
        match self.file(path) {
            Ok((body, content_type)) => respond(&mut out, "200 OK", content_type, &body),
            Err(error) => respond(
                &mut out,
                "404 Not Found",
                "text/plain",
                error.to_string().as_bytes(),
            ),
        }
    }

    /// The bytes and content type of URL `path`.
    fn file(&self, path: &str) -> Result<(Vec<u8>, &'static str)> {
        let mount = self
            .mounts
            .iter()
            .find(|mount| path.starts_with(&mount.prefix))
            .with_context(|| format!("no mount for {path}"))?;
        let mut relative = PathBuf::new();
        for component in Path::new(&path[mount.prefix.len()..]).components() {
            match component {
                Component::Normal(part) => relative.push(part),
                Component::CurDir => {}
                _ => bail!("{path} leaves its directory"),
            }
        }
        if relative.as_os_str().is_empty() {
            relative.push("index.html");
        }
        let full = mount.dir.join(&relative);
        let bytes =
            std::fs::read(&full).with_context(|| format!("{} not found", full.display()))?;
        let extension = full.extension().and_then(|e| e.to_str()).unwrap_or("");
        let content_type = match extension {
            "html" => "text/html; charset=utf-8",
            "js" => "text/javascript",
            "css" => "text/css",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "json" => "application/json",
            _ => "application/octet-stream",
        };
        if extension != "html" {
            return Ok((bytes, content_type));
        }
        let mut text = String::from_utf8(bytes).context("HTML is not UTF-8")?;
        for (placeholder, value) in &self.replacements {
            text = text.replace(placeholder, value);
        }
        Ok((text.into_bytes(), content_type))
    }
}

fn respond(
    out: &mut impl std::io::Write,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()?;
    Ok(())
}
