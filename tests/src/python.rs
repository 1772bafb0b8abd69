//! Virtual environments with the official Python `sentry-sdk` from PyPI, created once under the
//! cargo target directory and reused (the check takes a fraction of a second), and the small
//! WSGI services the compatibility tests run in them (`tests/fixtures/sdk/`: the shop backend,
//! and the gateway and billing services of the trace tests).
//!
//! Needs `python3` with the `venv` module (Debian: `python3-venv`, which `cargo xtask test`
//! installs) and access to PyPI on the first run. Set `SIGHTLINE_SKIP_SDK_TESTS=1` to skip these
//! tests where that is impossible.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};

use crate::server::project_root;

/// The pinned `sentry-sdk` release the tests run against.
pub const SENTRY_SDK_VERSION: &str = "2.75.0";

/// The pinned `brotli` release; with it installed, the SDK compresses with `br`.
pub const BROTLI_VERSION: &str = "1.2.1";

/// The cargo target directory: `CARGO_TARGET_DIR`, else `target/` under the project root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}

/// Whether the environment asks to skip tests that need Python and PyPI.
pub fn skipped() -> bool {
    std::env::var_os("SIGHTLINE_SKIP_SDK_TESTS").is_some_and(|value| value != "0")
}

/// The Python interpreter of `target/{name}` with `sentry-sdk` (and `brotli` when `brotli`),
/// creating the environment if it is missing or holds other versions.
///
/// # Errors
/// When `python3 -m venv` or `pip install` fails.
pub fn sdk_python(name: &str, brotli: bool) -> Result<PathBuf> {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    if is_ready(&python, brotli) {
        return Ok(python);
    }
    // Built under a temporary name and renamed, so a concurrent run never sees half of it.
    let building = target_dir().join(format!("{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&building),
        "python3 -m venv (install python3 and python3-venv)",
    )?;
    let mut packages = vec![format!("sentry-sdk=={SENTRY_SDK_VERSION}")];
    if brotli {
        packages.push(format!("brotli=={BROTLI_VERSION}"));
    }
    run(
        Command::new(building.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&packages),
        "pip install from PyPI",
    )?;
    if is_ready(&python, brotli) {
        let _ = std::fs::remove_dir_all(&building);
    } else {
        let _ = std::fs::remove_dir_all(&venv);
        if std::fs::rename(&building, &venv).is_err() {
            // Another run finished first; use theirs.
            let _ = std::fs::remove_dir_all(&building);
        }
    }
    ensure!(
        is_ready(&python, brotli),
        "{} is not usable",
        venv.display()
    );
    Ok(python)
}

fn is_ready(python: &Path, brotli: bool) -> bool {
    let check = format!(
        "import importlib.util, sys, sentry_sdk\n\
         has_brotli = importlib.util.find_spec('brotli') is not None\n\
         sys.exit(0 if sentry_sdk.VERSION == '{SENTRY_SDK_VERSION}' and has_brotli == {} else 1)",
        if brotli { "True" } else { "False" }
    );
    python.is_file()
        && Command::new(python)
            .args(["-c", &check])
            .output()
            .is_ok_and(|output| output.status.success())
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what} could not start"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}\n{}\nSet SIGHTLINE_SKIP_SDK_TESTS=1 to skip tests with real SDKs.",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A WSGI service of `tests/fixtures/sdk/` (by default the shop backend, `backend.py`) running
/// with the official SDK, killed when dropped.
pub struct Backend {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl Backend {
    /// The backend script.
    pub fn script() -> PathBuf {
        project_root().join("tests/fixtures/sdk/backend.py")
    }

    /// Starts the backend with `python`, sending to `dsn`; `env` adds variables (such as
    /// `SIGHTLINE_SDK_URL`, which makes it serve a page with the recorder at `/`).
    ///
    /// # Errors
    /// When it does not start or print its port within 30 s.
    pub fn start(python: &Path, dsn: &str, env: &[(&str, &str)]) -> Result<Self> {
        Self::start_script(python, "backend.py", dsn, env)
    }

    /// Starts `tests/fixtures/sdk/{script}` (such as `gateway.py` or `billing.py`) with
    /// `python`, sending to `dsn`, with the variables of `env`.
    ///
    /// # Errors
    /// When it does not start or print its port within 30 s.
    pub fn start_script(
        python: &Path,
        script: &str,
        dsn: &str,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        // A clean environment: the SDK sends local variables, and the WSGI environ holds them.
        // It runs from its own directory, as a deployed service does: the SDK counts frames
        // under the working directory as in-app.
        let script = Self::script().with_file_name(script);
        let mut child = Command::new(python)
            .arg(&script)
            .current_dir(script.parent().context("backend directory")?)
            .env_clear()
            .env("SENTRY_DSN", dsn)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            // wsgiref prints each 500's traceback; run the script by hand to see them.
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", python.display()))?;
        let lines = crate::server::stdout_lines(&mut child)?;
        let line = match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                bail!("{} did not start in 30 s", script.display());
            }
        };
        let Some(port) = line
            .strip_prefix("LISTENING ")
            .and_then(|port| port.parse().ok())
        else {
            let _ = child.kill();
            bail!("unexpected backend line {line:?}");
        };
        Ok(Self { child, port })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `POST path` with `headers`; the status.
    ///
    /// # Errors
    /// On a transport failure.
    pub fn post(&self, path: &str, headers: &[(&str, String)]) -> Result<u16> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut request = agent.post(format!("{}{path}", self.base()));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        Ok(request.send_empty()?.status().as_u16())
    }

    /// Waits until the SDK has sent everything it captured.
    ///
    /// # Errors
    /// On a transport failure or a non-200 answer.
    pub fn flush(&self) -> Result<()> {
        let status = self.post("/flush", &[])?;
        ensure!(status == 200, "POST /flush answered {status}");
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
