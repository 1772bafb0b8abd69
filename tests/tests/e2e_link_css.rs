//! A `<link rel=stylesheet>` replays from the CSS the recorder captured, not from its `href`:
//! the fixture page's stylesheet is served by the page server, which is stopped before the
//! replay, and the replayed link's sheet must still hold the page's rules, including a CSSOM
//! edit made after the capture.

use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::{Value, json};
use sightline_tests::browser::Browser;
use sightline_tests::dom::CANONICAL_DOM_JS;
use sightline_tests::pages::PageServer;
use sightline_tests::server::{Server, project_root};
use sightline_tests::wait_for;

const IFRAME: &str = "[data-sl-player] iframe";

#[test]
fn linked_stylesheet_replays_without_its_server() -> Result<()> {
    let server = Server::start()?;
    let pages = PageServer::fixtures(&server.base, &server.dsn)?;
    let browser = Browser::start()?;
    browser.goto(&pages.url("/link-css.html"))?;
    browser.wait_until(
        "!!(window.Sightline && Sightline.getReplayId() && window.steps \
         && document.getElementById('theme').sheet)",
        Duration::from_secs(30),
    )?;
    settle(&browser)?;
    let outcome = browser.eval_async(
        "const done = arguments[0];
         Promise.resolve().then(() => window.steps[0]()).then(() => done('ok'), (e) => done(String(e)));",
        &[],
    )?;
    ensure!(outcome == json!("ok"), "the page's step failed: {outcome}");
    settle(&browser)?;
    let live = browser.eval(CANONICAL_DOM_JS, &[Value::Null, json!(true), json!(true)])?;
    let live = live.as_str().context("canonical DOM")?.to_owned();
    // The page's own rules and its edit are what the replay must show.
    for rule in [
        ".card { border: 2px solid",
        "border-radius: 6px",
        "color: rgb(200, 30, 30)",
    ] {
        ensure!(live.contains(rule), "the live page lacks {rule:?}: {live}");
    }
    let at_ms = browser
        .eval("return Date.now()", &[])?
        .as_u64()
        .context("Date.now()")?;
    let replay_id = browser.flush_recording()?;
    // The recorded site is gone: its stylesheet can no longer be fetched.
    drop(pages);

    let (status, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    ensure!(status == 200, "GET replay answered {status}: {replay}");
    let started = replay["started_at_ms"].as_u64().context("started_at_ms")?;
    let offset = at_ms.saturating_sub(started);
    browser.goto(&format!(
        "{}/replays/{replay_id}?t={offset}&token={}",
        server.base, server.token
    ))?;
    let replayed = wait_for("the replayed stylesheet", Duration::from_secs(20), || {
        let replayed =
            browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(true), json!(true)])?;
        Ok((replayed.as_str() == Some(live.as_str())).then_some(()))
    });
    if let Err(error) = replayed {
        browser.screenshot(&project_root().join("target/e2e/link-css-replay.png"))?;
        let replayed =
            browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(true), json!(true)])?;
        bail!(
            "{error}: the replay differs from the live page.\nlive:     {live}\nreplayed: {replayed}"
        );
    }
    let href = browser.eval(
        "const frame = document.querySelector(arguments[0]);
         return frame.contentDocument.querySelector('link').getAttribute('href');",
        &[json!(IFRAME)],
    )?;
    ensure!(
        href.as_str()
            .is_some_and(|h| h.starts_with("data:text/css")),
        "the replayed link points at {href}, not at the captured CSS"
    );
    Ok(())
}

/// Lets the recorder observe what the page just did: a pause, then until the page is idle.
fn settle(browser: &Browser) -> Result<()> {
    browser.eval_async(
        "const done = arguments[0];
         setTimeout(() => requestIdleCallback(() => done(), { timeout: 5000 }), 400);",
        &[],
    )?;
    Ok(())
}
