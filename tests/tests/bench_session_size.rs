//! `cargo xtask bench session-size`: records one scripted minute of the demo shop in headless
//! Chromium and prints how many bytes the recorder uploaded. Ignored by `cargo test`; it is a
//! measurement, not a test. With `SIGHTLINE_SAVE_DEMO_SESSION=1` it also stores the segments as the
//! session `cargo xtask demo` preloads (`tests/fixtures/demo-session/`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sightline_protocol::decode_segment;
use sightline_protocol::v1::Compression;
use sightline_tests::browser::Browser;
use sightline_tests::server::{Server, Shop, project_root};

const MINUTE: Duration = Duration::from_secs(60);

#[test]
#[ignore = "a measurement: run with `cargo xtask bench session-size`"]
fn one_scripted_minute_of_the_demo_shop() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let browser = Browser::start()?;
    let started = Instant::now();
    browser.goto(&format!("{}/", shop.base))?;
    browser.wait_until(
        "document.querySelectorAll('.add').length >= 4 && window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    // A shopper adds a product every four seconds, then checks out into the backend failure.
    for step in 0..11 {
        browser.click(&format!(".add[data-product='{}']", step % 4 + 1))?;
        std::thread::sleep(Duration::from_secs(4));
    }
    browser.click("#checkout")?;
    browser.wait_until(
        "document.querySelector('#notice.error')",
        Duration::from_secs(10),
    )?;
    std::thread::sleep(MINUTE.saturating_sub(started.elapsed()));
    let replay_id = browser.eval_async(
        "const done = arguments[0]; Sightline.flush().then(() => done(Sightline.getReplayId()));",
        &[],
    )?;
    let replay_id = replay_id.as_str().context("no replay id")?.to_owned();
    let (_, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    let count = replay["segment_count"].as_u64().context("segment_count")?;

    let save = std::env::var_os("SIGHTLINE_SAVE_DEMO_SESSION").is_some();
    let fixture_dir = project_root().join("tests/fixtures/demo-session");
    if save {
        if fixture_dir.exists() {
            std::fs::remove_dir_all(&fixture_dir)?;
        }
        std::fs::create_dir_all(&fixture_dir)?;
    }
    let (mut uploaded, mut inflated, mut events, mut compressed) = (0, 0, 0, 0);
    for index in 0..count {
        let bytes = server.api_bytes(&format!("/api/0/replays/{replay_id}/segments/{index}"))?;
        let segment = decode_segment(&bytes)?;
        uploaded += bytes.len();
        inflated += sightline_protocol::encode_body(&segment.events)?.len();
        events += segment.events.len();
        compressed += usize::from(segment.header.compression == Compression::DeflateRaw);
        if save {
            std::fs::write(fixture_dir.join(format!("segment-{index:03}.bin")), &bytes)?;
        }
    }
    println!(
        "one scripted minute of the demo shop ({:.1} s recorded):",
        started.elapsed().as_secs_f64()
    );
    println!("  segments uploaded        {count} ({compressed} deflate-raw)");
    println!("  events                   {events}");
    println!("  bytes uploaded           {uploaded}");
    println!("  MessagePack before deflate {inflated}");
    if save {
        println!("  saved to                 {}", fixture_dir.display());
    }
    Ok(())
}
