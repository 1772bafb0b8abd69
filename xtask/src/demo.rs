//! `cargo xtask demo`: builds everything and runs the whole story on loopback: the Sightline
//! server on <http://127.0.0.1:8080>, the demo shop (`sightline-demo-shop`, a real backend with
//! the `sentry` crate) on <http://127.0.0.1:8081> calling its payments service
//! (`sightline-demo-shop --service payments`) on <http://127.0.0.1:8082>, and a recorded session
//! whose failing checkout is sent to the real shop, so its replay has a real linked backend error
//! and a trace from the click through the shop to the line in payments that threw.

mod alerts;
mod checkout;

use std::io::{BufRead as _, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use sightline_tests::shop_releases::{RELEASES, ShopReleases};

use crate::{build, setup, tool};

/// Where the demo session's recorded segments are kept (recorded from the demo page in Chromium).
const DEMO_SESSION: &str = "tests/fixtures/demo-session";

/// The environment the shop is deployed to.
const SHOP_ENVIRONMENT: &str = "demo";

/// Builds and runs the demo until interrupted.
///
/// # Errors
/// When the build fails, or the server or the shop does not start.
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
    let shop_addr =
        std::env::var("SIGHTLINE_DEMO_SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let payments_addr =
        std::env::var("SIGHTLINE_DEMO_PAYMENTS_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".into());
    let mut server = Service(
        Command::new(&report.server)
            .args(["serve", "--demo", "--addr", &addr, "--data"])
            .arg(&data)
            .arg("--assets")
            .arg(&root)
            .args(["--demo-shop", &format!("http://{shop_addr}/")])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the sightline server")?,
    );
    let mut server_lines = child_lines(&mut server.0)?;
    let [base, dsn, token] = read_until(
        &mut server_lines,
        ["Listening on ", "DSN: ", "Admin token: "],
        "the server",
    )?;
    let webhook = alerts::start_receiver()?;
    alerts::create_rules(&base, &token, SHOP_ENVIRONMENT, &webhook)?;

    // The release story: shop@1.4.1 is deployed and pays; then shop@1.4.2, with the commit that
    // broke checkout, is deployed in its place.
    let stack_root = root
        .canonicalize()
        .context("resolving the project root")?
        .join("crates/demo-shop");
    let releases = ShopReleases::new(
        &report.server,
        &report.demo_shop,
        &base,
        &token,
        &data.join("shop-repo"),
    );
    let [previous, broken] = RELEASES;
    releases.ship(previous, SHOP_ENVIRONMENT, &stack_root)?;
    let addrs = ShopAddrs {
        shop: &shop_addr,
        payments: &payments_addr,
    };
    {
        let shop = start_shop(&report.demo_shop, &addrs, &dsn, &base, previous)?;
        let paid = checkout::pay_once(&shop.base)?;
        println!("{previous} is deployed: a checkout paid ({paid}).");
        drop(shop);
    }
    releases.ship(broken, SHOP_ENVIRONMENT, &stack_root)?;
    let shop = start_shop(&report.demo_shop, &addrs, &dsn, &base, broken)?;
    let shop_base = shop.base.clone();
    println!("{broken} is deployed.");

    let session = checkout::seed_recorded_session(&base, &dsn, &root.join(DEMO_SESSION))?;
    let linked = match &session.checkout {
        Some(recorded) => {
            let sent = Instant::now();
            let event_id = checkout::replay_checkout(&shop_base, recorded, &dsn)?;
            let event = checkout::wait_for_link(&base, &token, &event_id)?;
            Some((event_id, event, sent.elapsed()))
        }
        None => None,
    };

    println!();
    println!(
        "Sightline demo is running ({} recorded segments loaded).",
        session.segments
    );
    println!("  Demo shop (recorded live):  {shop_base}/");
    println!("  Its payments service:       {}/", shop.payments_base);
    println!("  Viewer, issues:             {base}/issues?token={token}");
    println!("  Viewer, replays:            {base}/replays?token={token}");
    println!("  Release {broken}:         {base}/releases/{broken}?token={token}");
    match &linked {
        Some((event_id, event, took)) => {
            println!("  Backend error of the recorded session, from payments' sentry crate:");
            println!("    {}", event["title"].as_str().unwrap_or("(untitled)"));
            println!(
                "    linked to replay {} by {} in {} ms",
                event["replay_id"].as_str().unwrap_or("?"),
                event["link_source"].as_str().unwrap_or("?"),
                took.as_millis()
            );
            println!("    {base}/events/{event_id}?token={token}");
            if let Some(recorded) = &session.checkout {
                println!("  Its trace, from the click through the shop to payments:");
                println!("    {base}/traces/{}?token={token}", recorded.trace_id());
            }
            if let Some(issue) = event["issue_id"].as_str() {
                println!("  Its issue, with suspect commit and owner:");
                println!("    {base}/issues/{issue}?token={token}");
            }
        }
        None => println!(
            "  (the recorded session has no traced checkout request: re-record it with \
             `cargo xtask bench session-size --save`)"
        ),
    }
    println!(
        "  Alerts (new issue, regression, spike > 5/min) go to {webhook} and print here as [alert]."
    );
    println!("  DSN:                        {dsn}");
    println!("Click \"Checkout\" in the shop, then open the viewer. Press Ctrl-C to stop.");

    // Echo every service's output until the server stops; then stop the shop too.
    let RunningShop {
        shop: shop_service,
        payments: payments_service,
        shop_lines,
        payments_lines,
        ..
    } = shop;
    let echo = |lines: Lines<BufReader<ChildStdout>>, who: &'static str| {
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                println!("[{who}] {line}");
            }
        })
    };
    let shop_echo = echo(shop_lines, "shop");
    let payments_echo = echo(payments_lines, "payments");
    for line in server_lines {
        println!("{}", line?);
    }
    let status = server.0.wait()?;
    drop(shop_service);
    drop(payments_service);
    let _ = shop_echo.join();
    let _ = payments_echo.join();
    if !status.success() {
        bail!("the server stopped with {status}");
    }
    Ok(())
}

/// Where the demo shop's two services listen.
struct ShopAddrs<'a> {
    shop: &'a str,
    payments: &'a str,
}

/// The demo shop's two services, running, with their output.
struct RunningShop {
    // Dropped in this order: the shop stops before the service it calls.
    shop: Service,
    payments: Service,
    shop_lines: Lines<BufReader<ChildStdout>>,
    payments_lines: Lines<BufReader<ChildStdout>>,
    base: String,
    payments_base: String,
}

/// Starts `release` of the demo shop: its payments service, then the shop calling it; waits
/// until both listen.
fn start_shop(
    binary: &std::path::Path,
    addrs: &ShopAddrs<'_>,
    dsn: &str,
    sdk: &str,
    release: &str,
) -> Result<RunningShop> {
    let root = tool::root();
    let mut payments = Service(
        Command::new(binary)
            .args([
                "--service",
                "payments",
                "--addr",
                addrs.payments,
                "--dsn",
                dsn,
            ])
            .args(["--release", release, "--environment", SHOP_ENVIRONMENT])
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting the payments service of {release}"))?,
    );
    let mut payments_lines = child_lines(&mut payments.0)?;
    let [payments_base] = read_until(
        &mut payments_lines,
        ["Listening on "],
        "the payments service",
    )?;
    let mut shop = Service(
        Command::new(binary)
            .args(["--addr", addrs.shop, "--dsn", dsn, "--sdk", sdk])
            .args(["--payments", &payments_base])
            .args(["--release", release, "--environment", SHOP_ENVIRONMENT])
            .arg("--assets")
            .arg(&root)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting the demo shop's {release}"))?,
    );
    let mut shop_lines = child_lines(&mut shop.0)?;
    let [base] = read_until(&mut shop_lines, ["Listening on "], "the demo shop")?;
    Ok(RunningShop {
        shop,
        payments,
        shop_lines,
        payments_lines,
        base,
        payments_base,
    })
}

fn child_lines(child: &mut Child) -> Result<Lines<BufReader<ChildStdout>>> {
    let stdout = child.stdout.take().context("child stdout")?;
    Ok(BufReader::new(stdout).lines())
}

/// Echoes `lines` until one starting with each of `prefixes` was seen; returns what followed each
/// prefix.
fn read_until<const N: usize>(
    lines: &mut Lines<BufReader<ChildStdout>>,
    prefixes: [&str; N],
    who: &str,
) -> Result<[String; N]> {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    while found.iter().any(Option::is_none) {
        let Some(line) = lines.next().transpose()? else {
            bail!("{who} exited before it was ready");
        };
        println!("{line}");
        for (prefix, slot) in prefixes.iter().zip(found.iter_mut()) {
            if let Some(rest) = line.strip_prefix(prefix) {
                *slot = Some(rest.trim().to_owned());
            }
        }
    }
    Ok(found.map(Option::unwrap_or_default))
}

/// A child service of the demo, stopped when dropped: on Ctrl-C, when the other one stops, or
/// when the demo fails half-way.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        stop(&mut self.0);
    }
}

/// Asks `child` to stop (SIGTERM, so it sends what it still holds), then waits a little.
fn stop(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}
