//! `cargo xtask demo`: builds everything and runs the server with the demo shop and a recorded
//! session, on <http://127.0.0.1:8080>.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{build, setup, tool};

/// Where the demo session's recorded segments are kept (recorded from the demo page in Chromium).
const DEMO_SESSION: &str = "tests/fixtures/demo-session";

/// Builds and runs the demo until interrupted.
///
/// # Errors
/// When the build fails or the server does not start.
pub fn run() -> Result<()> {
    setup::install(false)?;
    let report = build::all(build::Profile::Release)?;
    report.print();
    let root = tool::root();
    let data = root.join("target/demo-data");
    if data.exists() {
        std::fs::remove_dir_all(&data).context("clearing target/demo-data")?;
    }
    let addr = std::env::var("SIGHTLINE_DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut server = Command::new(&report.server)
        .args(["serve", "--demo", "--addr", &addr, "--data"])
        .arg(&data)
        .arg("--assets")
        .arg(&root)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the sightline server")?;
    let stdout = server.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let (mut base, mut dsn, mut token) = (None, None, None);
    while base.is_none() || dsn.is_none() || token.is_none() {
        let Some(line) = lines.next().transpose()? else {
            bail!("the server exited before printing its DSN and admin token");
        };
        println!("{line}");
        if let Some(rest) = line.strip_prefix("Listening on ") {
            base = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("DSN: ") {
            dsn = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("Admin token: ") {
            token = Some(rest.trim().to_owned());
        }
    }
    let (base, dsn, token) = (
        base.unwrap_or_default(),
        dsn.unwrap_or_default(),
        token.unwrap_or_default(),
    );
    let seeded = seed_recorded_session(&base, &dsn)?;
    println!();
    println!("Sightline demo is running ({seeded} recorded segments loaded).");
    println!("  Demo shop (recorded live):  {base}/demo/");
    println!("  Viewer, replays:            {base}/replays?token={token}");
    println!("  DSN:                        {dsn}");
    println!("Press Ctrl-C to stop.");
    // Keep echoing the server's output until it stops.
    for line in lines {
        println!("{}", line?);
    }
    let status = server.wait()?;
    if !status.success() {
        bail!("the server stopped with {status}");
    }
    Ok(())
}

/// Uploads the checked-in recorded demo session through the real ingest endpoint.
fn seed_recorded_session(base: &str, dsn: &str) -> Result<usize> {
    let key = dsn
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .context("DSN without a public key")?;
    let mut files: Vec<_> = std::fs::read_dir(tool::root().join(DEMO_SESSION))
        .with_context(|| format!("reading {DEMO_SESSION}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    for file in &files {
        let bytes = std::fs::read(file)?;
        ureq::post(&format!("{base}/api/1/replay/?sentry_key={key}"))
            .send(&bytes[..])
            .with_context(|| format!("uploading {}", file.display()))?;
    }
    Ok(files.len())
}
