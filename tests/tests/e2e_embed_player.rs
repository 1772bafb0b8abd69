//! The embeddable player end to end: a replay recorded by the real recorder, shown by two
//! `<sightline-player>` elements on a dashboard page, each inside its own shadow root.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::json;
use sightline_tests::browser::Browser;
use sightline_tests::server::{Server, Shop, project_root};

/// JS: per player element, whether its shadow root holds a player whose iframe shows the demo shop.
const EMBEDDED_STATE_JS: &str = r#"
return Array.from(document.querySelectorAll("sightline-player"), (element) => {
  const root = element.shadowRoot;
  const player = root && root.querySelector("[data-sl-player]");
  const frame = player && player.querySelector("iframe");
  const doc = frame && frame.contentDocument;
  return {
    state: player ? player.dataset.slState : null,
    cards: doc ? doc.querySelectorAll(".product").length : 0,
    leaked: !!document.querySelector("[data-sl-player]"),
  };
});
"#;

#[test]
fn two_embedded_players_replay_a_recorded_session_in_shadow_roots() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let browser = Browser::start()?;
    browser.goto(&format!("{}/", shop.base))?;
    browser.wait_until(
        "document.querySelectorAll('.add').length >= 3 && window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    browser.click(".add[data-product='2']")?;
    let replay_id = browser.eval_async(
        "const done = arguments[0]; Sightline.flush().then(() => done(Sightline.getReplayId()));",
        &[],
    )?;
    let replay_id = replay_id.as_str().context("no replay id")?;

    browser.goto(&format!(
        "{base}/player/demo.html?a={replay_id}&b={replay_id}&token={token}&server={base}",
        base = server.base,
        token = server.token,
    ))?;
    let states = sightline_tests::wait_for(
        "both embedded players to show the recorded shop",
        Duration::from_secs(45),
        || {
            let states = browser.eval(EMBEDDED_STATE_JS, &[])?;
            let ready = states.as_array().is_some_and(|list| {
                list.len() == 2 && list.iter().all(|s| s["cards"].as_u64() >= Some(3))
            });
            Ok(ready.then_some(states))
        },
    );
    let states = match states {
        Ok(states) => states,
        Err(error) => {
            let now = browser.eval(EMBEDDED_STATE_JS, &[])?;
            let console = browser.console().unwrap_or_default();
            anyhow::bail!("{error}: {now}\nconsole: {console:#?}");
        }
    };
    for state in states.as_array().context("player states")? {
        ensure!(
            state["leaked"] == json!(false),
            "player markup leaked out of the shadow root"
        );
    }
    // The wasm is fetched once for the page, however many players it embeds.
    let wasm_loads = browser.eval(
        "return performance.getEntriesByType('resource').filter((e) => e.name.endsWith('sightline_viewer_bg.wasm')).length",
        &[],
    )?;
    assert_eq!(wasm_loads, json!(1), "viewer wasm loads");
    browser.screenshot(&project_root().join("target/e2e/embedded-players.png"))?;
    Ok(())
}
