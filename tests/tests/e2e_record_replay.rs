//! The walking skeleton end to end: the demo shop recorded by the real recorder in headless
//! Chromium, stored by the real server, and replayed by the real viewer.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use sightline_protocol::decode_segment;
use sightline_protocol::v1::{EventData, MouseInteraction};
use sightline_tests::browser::Browser;
use sightline_tests::dom::CANONICAL_DOM_JS;
use sightline_tests::server::{SHOP_ENVIRONMENT, SHOP_RELEASE, Server, Shop, project_root};
use sightline_tests::wait_for;

const IFRAME: &str = "[data-sl-player] iframe";

fn artifacts() -> PathBuf {
    project_root().join("target/e2e")
}

/// How the demo page's recorder is configured for a test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Privacy {
    /// As the loader starts it: all text and inputs masked, media blocked.
    Default,
    /// Restarted through `Sightline.init` with text and input masking turned off.
    Unmasked,
}

/// Drives the demo shop: add two products, check out into the backend 500 and the uncaught error.
/// Returns the replay id and the page's canonical DOM after the session, masked as the recorder
/// masks it.
fn record_demo_session(
    shop: &Shop,
    browser: &Browser,
    privacy: Privacy,
) -> Result<(String, String)> {
    browser.goto(&format!("{}/", shop.base))?;
    browser.wait_until(
        "document.querySelectorAll('.add').length >= 3 && window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    if privacy == Privacy::Unmasked {
        browser.eval_async(
            "const done = arguments[0];
             const tag = document.querySelector('script[data-dsn]');
             Sightline.stop()
               .then(() => Sightline.init({ dsn: tag.dataset.dsn, release: tag.dataset.release,
                 environment: tag.dataset.environment, maskAllText: false, maskAllInputs: false }))
               .then(done, (e) => done(String(e)));",
            &[],
        )?;
    }
    browser.click(".add[data-product='1']")?;
    browser.click(".add[data-product='3']")?;
    browser.wait_until(
        "document.getElementById('cart-count').textContent === 'Cart: 2 items'",
        Duration::from_secs(10),
    )?;
    browser.click("#checkout")?;
    browser.wait_until(
        "document.querySelector('#notice.error') && !document.getElementById('checkout').disabled",
        Duration::from_secs(10),
    )?;
    // Let the unhandled rejection fire before flushing.
    browser.eval_async("setTimeout(arguments[0], 300)", &[])?;
    let replay_id = browser.flush_recording()?;
    ensure!(replay_id.len() == 32, "unexpected replay id {replay_id}");
    let dom = browser.eval(
        CANONICAL_DOM_JS,
        &[Value::Null, json!(privacy == Privacy::Default)],
    )?;
    browser.screenshot(&artifacts().join(match privacy {
        Privacy::Default => "demo-page-masked.png",
        Privacy::Unmasked => "demo-page-unmasked.png",
    }))?;
    Ok((replay_id, dom.as_str().context("no DOM")?.to_owned()))
}

/// Waits until the replayed iframe's canonical DOM equals `expected`, with a readable failure.
fn assert_replayed_dom(browser: &Browser, expected: &str, what: &str) -> Result<()> {
    let outcome = wait_for(what, Duration::from_secs(30), || {
        let replayed = browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(false)])?;
        Ok((replayed.as_str() == Some(expected)).then_some(()))
    });
    if outcome.is_err() {
        let replayed = browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(false)])?;
        let state = browser.eval(
            "const p = document.querySelector('[data-sl-player]'); return p && [p.dataset.slState, p.dataset.slTime];",
            &[],
        )?;
        let console = browser.console().unwrap_or_default();
        anyhow::bail!(
            "{what}: replayed DOM differs from the recorded page.\nplayer: {state}\nexpected: {expected}\nreplayed: {replayed}\nconsole: {console:#?}"
        );
    }
    Ok(())
}

/// Page text that must never reach the server while text masking is on.
const PAGE_TEXT: [&str; 4] = [
    "Trail Running Shoes",
    "Acme Shop",
    "Payment failed",
    "Your cart",
];

#[test]
fn demo_session_is_recorded_masked_stored_and_replayed() -> Result<()> {
    let uploaded = record_store_and_replay(Privacy::Default)?;
    for text in PAGE_TEXT {
        ensure!(
            !uploaded.contains(text),
            "{text:?} reached the server although all text is masked by default"
        );
    }
    Ok(())
}

#[test]
fn unmasked_session_replays_the_exact_page_text() -> Result<()> {
    let uploaded = record_store_and_replay(Privacy::Unmasked)?;
    ensure!(
        uploaded.contains("Trail Running Shoes"),
        "unmasked text was not recorded"
    );
    Ok(())
}

/// Records the demo session, checks what the server stored and that the viewer replays it; returns
/// every string of the stored events (decompressed), to check what reached the server.
fn record_store_and_replay(privacy: Privacy) -> Result<String> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let browser = Browser::start()?;
    let (replay_id, original_dom) = record_demo_session(&shop, &browser, privacy)?;

    // Stored: the replay summary says what happened.
    let (status, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    ensure!(status == 200, "GET replay answered {status}: {replay}");
    assert_eq!(replay["id"], json!(replay_id));
    assert_eq!(replay["release"], json!(SHOP_RELEASE));
    assert_eq!(replay["environment"], json!(SHOP_ENVIRONMENT));
    let urls = replay["urls"].as_array().context("urls")?;
    let shop_page = format!("{}/", shop.base);
    assert!(
        urls.iter().any(|u| u.as_str() == Some(shop_page.as_str())),
        "{replay}"
    );
    let segment_count = replay["segment_count"].as_u64().context("segment_count")?;
    ensure!(segment_count >= 1, "{replay}");

    // The segments as uploaded hold the snapshot, the clicks and the error.
    let (mut snapshots, mut mutations, mut clicks) = (0, 0, 0);
    let mut js_errors = Vec::new();
    let mut uploaded = String::new();
    for index in 0..segment_count {
        let bytes = server.api_bytes(&format!("/api/0/replays/{replay_id}/segments/{index}"))?;
        let segment = decode_segment(&bytes)?;
        uploaded.push_str(&String::from_utf8_lossy(&sightline_protocol::encode_body(
            &segment.events,
        )?));
        for event in segment.events {
            match &event.data {
                EventData::FullSnapshot { .. } => snapshots += 1,
                EventData::Mutation(_) => mutations += 1,
                EventData::MouseInteraction {
                    interaction: MouseInteraction::Click,
                    ..
                } => clicks += 1,
                EventData::JsError(error) => js_errors.push(error.clone()),
                _ => {}
            }
        }
    }
    let [js_error] = &js_errors[..] else {
        anyhow::bail!("one uncaught error expected: {js_errors:?}");
    };
    assert!(
        js_error.message.contains("Checkout failed with HTTP 500"),
        "{js_error:?}"
    );
    // The shop's backend reported its 500 with the sentry crate; once linked, the replay lists it
    // after the page's own error.
    let backend_error = server.linked_events(&replay_id, 1)?.swap_remove(0);
    let (_, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    assert_eq!(
        replay["error_ids"],
        json!([js_error.event_id, backend_error["id"]]),
        "{replay}"
    );
    assert_eq!(snapshots, 1, "one full snapshot at start");
    assert_eq!(clicks, 3, "two add-to-cart clicks and the checkout click");
    assert!(
        mutations >= 3,
        "products, cart and notice changes: {mutations} mutations"
    );

    // Replayed: opened at the end, the iframe shows the page as it was at the end of the session.
    browser.goto(&format!(
        "{}/replays/{replay_id}?t=86400000&token={}",
        server.base, server.token
    ))?;
    browser.wait_until(
        "document.querySelector('[data-sl-player][data-sl-state=\"paused\"], [data-sl-player][data-sl-state=\"ended\"]')",
        Duration::from_secs(30),
    )?;
    assert_replayed_dom(&browser, &original_dom, "replay opened at its end")?;
    let marker = browser.wait_until(
        "document.querySelector('[data-sl-marker=\"error\"]') && document.querySelector('[data-sl-marker=\"error\"]').getAttribute('title')",
        Duration::from_secs(10),
    )?;
    assert!(
        marker
            .as_str()
            .is_some_and(|t| t.contains("Checkout failed")),
        "error marker title: {marker}"
    );
    ensure!(
        browser.eval("return location.search.includes('token=')", &[])? == json!(false),
        "the viewer must remove the token from the address bar"
    );
    let name = if privacy == Privacy::Default {
        "masked"
    } else {
        "unmasked"
    };
    browser.screenshot(&artifacts().join(format!("replay-end-{name}.png")))?;

    // Played in time from the start, the replay reaches the same final page.
    browser.goto(&format!("{}/replays/{replay_id}", server.base))?;
    browser.wait_until(
        "document.querySelector('[data-sl-player][data-sl-state=\"ended\"]')",
        Duration::from_secs(60),
    )?;
    assert_replayed_dom(&browser, &original_dom, "replay played to the end")?;
    Ok(uploaded)
}
