//! Starts the real `sightline` binary on a free loopback port with a fresh data directory, and
//! the real demo shop (`sightline-demo-shop`) reporting to it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use sightline_protocol::{DecodedSegment, decode_segment};

/// The project root (holds `www/`, `pkg/`, `target/viewer/`).
pub fn project_root() -> PathBuf {
    std::env::var_os("SIGHTLINE_ROOT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
        PathBuf::from,
    )
}

/// The lines a child process writes to its piped stdout, read on a thread of their own so the
/// caller can wait for one with a timeout.
///
/// # Errors
/// When the child's stdout was not piped.
pub fn stdout_lines(child: &mut Child) -> Result<mpsc::Receiver<String>> {
    let stdout = child
        .stdout
        .take()
        .context("the child's stdout is not piped")?;
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Ok(lines)
}

/// What `sightline serve` printed once it was ready.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// The default project's DSN.
    pub dsn: String,
    /// The admin token, printed only on the first start of a data directory.
    pub token: Option<String>,
}

impl Startup {
    /// The DSN's public key.
    pub fn dsn_key(&self) -> Option<&str> {
        let (_, rest) = self.dsn.split_once("://")?;
        rest.split('@').next()
    }
}

/// Spawns `sightline serve --addr {addr} --data {data} --assets {project root} {args…}` with its
/// stderr going to `stderr` (`RUST_LOG=warn` unless the tests set `RUST_LOG`), and waits until
/// it printed its address and DSN and, on the first start of `data`, its admin token.
///
/// # Errors
/// When it cannot be started or does not print those lines within 30 s (it is killed then).
pub fn spawn_serve(
    addr: &str,
    data: &Path,
    args: &[&str],
    stderr: Stdio,
) -> Result<(Child, Startup)> {
    let bin = sightline_binary();
    let first_start = !data.join("sightline.db").exists();
    let mut child = Command::new(&bin)
        .args(["serve", "--addr", addr, "--data"])
        .arg(data)
        .arg("--assets")
        .arg(project_root())
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let lines_rx = stdout_lines(&mut child)?;
    let mut startup = Startup::default();
    while startup.base.is_empty()
        || startup.dsn.is_empty()
        || (first_start && startup.token.is_none())
    {
        let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server did not print its address, DSN and admin token in 30 s: {startup:?}");
        };
        if let Some(rest) = line.strip_prefix("Listening on ") {
            rest.trim().clone_into(&mut startup.base);
        } else if let Some(rest) = line.strip_prefix("DSN: ") {
            rest.trim().clone_into(&mut startup.dsn);
        } else if let Some(rest) = line.strip_prefix("Admin token: ") {
            startup.token = Some(rest.trim().to_owned());
        }
    }
    Ok((child, startup))
}

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    _data: tempfile::TempDir,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// The default project's DSN.
    pub dsn: String,
    /// The admin token for the read API.
    pub token: String,
    agent: ureq::Agent,
}

impl Server {
    /// Starts `sightline serve` and waits for its first-start lines.
    ///
    /// # Errors
    /// When the binary or the built bundles are missing, or it does not start within 30 s.
    pub fn start() -> Result<Self> {
        let root = project_root();
        let bin = sightline_binary();
        for needed in [
            bin.clone(),
            root.join("pkg/sightline_recorder_bg.wasm"),
            root.join("target/viewer/sightline_viewer_bg.wasm"),
        ] {
            if !needed.exists() {
                bail!(
                    "{} is missing: run the end-to-end tests through `cargo xtask test`",
                    needed.display()
                );
            }
        }
        let data = tempfile::tempdir()?;
        let (child, startup) = spawn_serve("127.0.0.1:0", data.path(), &[], Stdio::inherit())?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Self {
            child,
            _data: data,
            base: startup.base,
            dsn: startup.dsn,
            token: startup.token.unwrap_or_default(),
            agent,
        })
    }

    /// GETs a read-API path (such as `/api/0/replays/`) with the admin token; returns status and
    /// JSON body (`Value::Null` when the body is not JSON).
    ///
    /// # Errors
    /// On a transport failure.
    pub fn api(&self, path: &str) -> Result<(u16, Value)> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_json().unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Sends `body` as JSON with `method` (`POST`, `PUT`, `DELETE`) to an API path with the
    /// admin token; returns status and JSON body (`Value::Null` when the body is not JSON).
    ///
    /// # Errors
    /// On a transport failure.
    pub fn api_send(&self, method: &str, path: &str, body: &Value) -> Result<(u16, Value)> {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(body.to_string())?;
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_json().unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// GETs the bytes of a read-API path.
    ///
    /// # Errors
    /// On a transport failure or a non-200 answer.
    pub fn api_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        if response.status() != 200 {
            bail!("GET {path} answered {}", response.status());
        }
        Ok(response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()?)
    }
}

impl Server {
    /// Every stored segment of `replay_id`, decoded, in index order.
    ///
    /// # Errors
    /// When the replay is unknown or a segment does not decode.
    pub fn segments(&self, replay_id: &str) -> Result<Vec<DecodedSegment>> {
        let (status, replay) = self.api(&format!("/api/0/replays/{replay_id}/"))?;
        if status != 200 {
            bail!("GET replay {replay_id} answered {status}: {replay}");
        }
        let count = replay["segment_count"].as_u64().context("segment_count")?;
        (0..count)
            .map(|index| {
                let bytes =
                    self.api_bytes(&format!("/api/0/replays/{replay_id}/segments/{index}"))?;
                Ok(decode_segment(&bytes)?)
            })
            .collect()
    }

    /// The backend events linked to `replay_id`, once there are at least `count` (30 s at most).
    ///
    /// # Errors
    /// When fewer are linked in time.
    pub fn linked_events(&self, replay_id: &str, count: usize) -> Result<Vec<Value>> {
        let path = format!("/api/0/replays/{replay_id}/events/");
        crate::wait_for(
            &format!("{count} backend events linked to {replay_id}"),
            Duration::from_secs(30),
            || {
                let (status, events) = self.api(&path)?;
                Ok((status == 200)
                    .then(|| {
                        events
                            .as_array()
                            .filter(|list| list.len() >= count)
                            .cloned()
                    })
                    .flatten())
            },
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `sightline` binary under test (`SIGHTLINE_BIN`, else the debug build).
pub fn sightline_binary() -> PathBuf {
    std::env::var_os("SIGHTLINE_BIN").map_or_else(
        || project_root().join("target/debug/sightline"),
        PathBuf::from,
    )
}

/// The demo shop's binary (`SIGHTLINE_DEMO_SHOP_BIN`, else the debug build).
pub fn shop_binary() -> PathBuf {
    std::env::var_os("SIGHTLINE_DEMO_SHOP_BIN").map_or_else(
        || project_root().join("target/debug/sightline-demo-shop"),
        PathBuf::from,
    )
}

/// The release the demo shop runs in the tests (its default, whose checkout fails).
pub const SHOP_RELEASE: &str = "shop@1.4.2";

/// The environment the demo shop runs in the tests.
pub const SHOP_ENVIRONMENT: &str = "demo";

/// A running demo shop reporting to a [`Server`]: its two services, the shop API
/// (`sightline-demo-shop`) and the payments service it calls (`sightline-demo-shop --service
/// payments`), both killed when dropped.
pub struct Shop {
    child: Child,
    payments: Child,
    /// `http://127.0.0.1:{port}`: the shop page is `{base}/`.
    pub base: String,
    /// `http://127.0.0.1:{port}` of the payments service.
    pub payments_base: String,
    agent: ureq::Agent,
}

/// Starts `sightline-demo-shop` with `args`; the child and the address it printed it listens on.
fn start_shop_service(bin: &Path, args: &[&str], what: &str) -> Result<(Child, String)> {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let lines_rx = stdout_lines(&mut child)?;
    loop {
        let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the demo's {what} did not print its address in 30 s");
        };
        if let Some(rest) = line.strip_prefix("Listening on ") {
            return Ok((child, rest.trim().to_owned()));
        }
    }
}

impl Shop {
    /// Starts the shop's [`SHOP_RELEASE`] (its payments service, then the shop API calling it)
    /// on free loopback ports with `server`'s DSN, its page loading the recorder from `server`,
    /// and waits until both listen.
    ///
    /// # Errors
    /// When the binary is missing or a service does not start within 30 s.
    pub fn start(server: &Server) -> Result<Self> {
        Self::start_release(server, SHOP_RELEASE)
    }

    /// [`Shop::start`] for another release of the shop (both services run it).
    ///
    /// # Errors
    /// When the binary is missing or a service does not start within 30 s.
    pub fn start_release(server: &Server, release: &str) -> Result<Self> {
        let root = project_root();
        let bin = shop_binary();
        if !bin.exists() {
            bail!(
                "{} is missing: run the end-to-end tests through `cargo xtask test`",
                bin.display()
            );
        }
        let common = [
            "--addr",
            "127.0.0.1:0",
            "--dsn",
            &server.dsn,
            "--release",
            release,
            "--environment",
            SHOP_ENVIRONMENT,
        ];
        let (mut payments, payments_base) = start_shop_service(
            &bin,
            &[&common[..], &["--service", "payments"]].concat(),
            "payments service",
        )?;
        let assets = root.to_string_lossy();
        let shop = start_shop_service(
            &bin,
            &[
                &common[..],
                &["--sdk", &server.base, "--assets", &assets],
                &["--payments", &payments_base],
            ]
            .concat(),
            "shop",
        );
        let (child, base) = match shop {
            Ok(started) => started,
            Err(error) => {
                let _ = payments.kill();
                let _ = payments.wait();
                return Err(error);
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Self {
            child,
            payments,
            base,
            payments_base,
            agent,
        })
    }

    /// POSTs a checkout of `items` with extra request `headers`; returns status and JSON body.
    ///
    /// # Errors
    /// On a transport failure.
    pub fn checkout(&self, items: &[u32], headers: &[(&str, &str)]) -> Result<(u16, Value)> {
        let mut request = self
            .agent
            .post(&format!("{}/api/checkout", self.base))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send(serde_json::json!({ "items": items }).to_string())?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_json().unwrap_or(Value::Null);
        Ok((status, body))
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        for child in [&mut self.child, &mut self.payments] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
