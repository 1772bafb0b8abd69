//! The fixture page corpus (`tests/fixtures/pages/`), each recorded by the real recorder in
//! headless Chromium with its default privacy settings, stored by the real server and replayed
//! by the real viewer: at every moment of the page's script (its `window.steps`, run one by
//! one), the replayed DOM — elements, attributes, text, shadow roots, same-origin frames, form
//! state and stylesheet rules — must equal the live DOM as masking shows it. The uploaded
//! segments must hold none of the page's private text.

use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::{Value, json};
use sightline_tests::browser::Browser;
use sightline_tests::dom::CANONICAL_DOM_JS;
use sightline_tests::pages::PageServer;
use sightline_tests::server::{Server, project_root};
use sightline_tests::wait_for;

const IFRAME: &str = "[data-sl-player] iframe";

/// Pause after a step before waiting for the page to be idle and capturing it.
const SETTLE_MS: u64 = 400;

/// The page's DOM at one moment: its canonical form, and the end of the moment (ms since the
/// epoch, page clock), just before the page changed again.
struct Moment {
    at_ms: u64,
    dom: String,
}

/// Records `page`, running its steps; checks privacy and the replay at every moment.
fn page_replays_as_recorded(page: &str, secrets: &[&str]) -> Result<()> {
    let server = Server::start()?;
    let pages = PageServer::fixtures(&server.base, &server.dsn)?;
    let browser = Browser::start()?;
    browser.goto(&pages.url(&format!("/{page}")))?;
    browser.wait_until(
        "window.Sightline && Sightline.getReplayId() && window.steps",
        Duration::from_secs(30),
    )?;
    let steps = browser
        .eval("return window.steps.length", &[])?
        .as_u64()
        .context("steps")?;
    settle(&browser)?;
    let mut moments = vec![capture(&browser)?];
    for step in 0..steps {
        // The page stays as captured until this step starts: the replay is compared just before.
        end_moment(&browser, &mut moments)?;
        let outcome = browser.eval_async(
            "const [step, done] = arguments;
             Promise.resolve()
               .then(() => window.steps[step]())
               .then(() => done('ok'), (e) => done(String(e)));",
            &[json!(step)],
        )?;
        ensure!(
            outcome == json!("ok"),
            "{page} step {step} failed: {outcome}"
        );
        settle(&browser)?;
        moments.push(capture(&browser)?);
    }
    end_moment(&browser, &mut moments)?;
    let replay_id = browser.flush_recording()?;
    let stem = page.trim_end_matches(".html");
    browser.screenshot(&project_root().join(format!("target/e2e/fixture-{stem}-live.png")))?;

    let (status, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    ensure!(status == 200, "GET replay answered {status}: {replay}");
    let started = replay["started_at_ms"].as_u64().context("started_at_ms")?;
    assert_private(&server, &replay_id, secrets)?;

    for (index, moment) in moments.iter().enumerate() {
        let offset = moment.at_ms.saturating_sub(started);
        browser.goto(&format!(
            "{}/replays/{replay_id}?t={offset}&token={}",
            server.base, server.token
        ))?;
        let what = format!("{page} at moment {index} (t={offset} ms)");
        if let Err(error) = wait_for(&what, Duration::from_secs(20), || {
            let replayed =
                browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(true), json!(true)])?;
            Ok((replayed.as_str() == Some(moment.dom.as_str())).then_some(()))
        }) {
            browser.screenshot(
                &project_root().join(format!("target/e2e/fixture-{stem}-replay-{index}.png")),
            )?;
            let replayed =
                browser.eval(CANONICAL_DOM_JS, &[json!(IFRAME), json!(true), json!(true)])?;
            let player = browser.eval(
                "const p = document.querySelector('[data-sl-player]'); return p && [p.dataset.slState, p.dataset.slTime];",
                &[],
            )?;
            bail!(
                "{error}: the replayed DOM differs from the live page.\nplayer: {player}\n{}",
                first_difference(&moment.dom, replayed.as_str().unwrap_or("null"))
            );
        }
    }
    Ok(())
}

/// Lets the recorder observe what the page just did: a pause, then until the page is idle (the
/// recorder serializes big changes in time-sliced tasks).
fn settle(browser: &Browser) -> Result<()> {
    browser.eval_async(
        "const [settle, done] = arguments;
         setTimeout(() => requestIdleCallback(() => done(), { timeout: 5000 }), settle);",
        &[json!(SETTLE_MS)],
    )?;
    Ok(())
}

/// The live page now, with default masking; its moment lasts until [`end_moment`].
fn capture(browser: &Browser) -> Result<Moment> {
    let dom = browser.eval(CANONICAL_DOM_JS, &[Value::Null, json!(true), json!(true)])?;
    let dom = dom.as_str().context("canonical DOM")?.to_owned();
    Ok(Moment { at_ms: 0, dom })
}

/// Ends the last moment: the page clock now, less 1 ms, is when the replay is compared.
fn end_moment(browser: &Browser, moments: &mut [Moment]) -> Result<()> {
    let now = browser
        .eval("return Date.now()", &[])?
        .as_u64()
        .context("Date.now()")?;
    if let Some(last) = moments.last_mut() {
        last.at_ms = now.saturating_sub(1);
    }
    Ok(())
}

/// Fails when any of `secrets` appears in the decoded events of the replay's segments.
fn assert_private(server: &Server, replay_id: &str, secrets: &[&str]) -> Result<()> {
    let mut uploaded = String::new();
    for segment in server.segments(replay_id)? {
        uploaded.push_str(&String::from_utf8_lossy(&sightline_protocol::encode_body(
            &segment.events,
        )?));
    }
    for secret in secrets {
        ensure!(
            !uploaded.contains(secret),
            "{secret:?} reached the uploaded segments"
        );
    }
    Ok(())
}

/// The two canonical forms around where they first differ.
fn first_difference(expected: &str, replayed: &str) -> String {
    let at = expected
        .char_indices()
        .zip(replayed.chars())
        .find(|((_, a), b)| a != b)
        .map_or_else(
            || expected.len().min(replayed.len()),
            |((index, _), _)| index,
        );
    let window = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        let at = text
            .char_indices()
            .take_while(|(index, _)| *index < at)
            .count();
        chars[at.saturating_sub(300)..(at + 300).min(chars.len())]
            .iter()
            .collect::<String>()
    };
    format!(
        "first difference at byte {at}\nlive:     …{}…\nreplayed: …{}…",
        window(expected),
        window(replayed)
    )
}

#[test]
fn svg_and_mathml() -> Result<()> {
    page_replays_as_recorded("svg.html", &["Revenue", "Costs rising", "foreign object"])
}

#[test]
fn shadow_dom_with_adopted_styles() -> Result<()> {
    page_replays_as_recorded(
        "shadow.html",
        // Attribute values such as `name="Grace Hopper"` are the page's markup, recorded as
        // they are; text is masked, in shadow roots too.
        &["slotted text", "attached later"],
    )
}

#[test]
fn cssom_edits() -> Result<()> {
    page_replays_as_recorded("cssom.html", &["Panel"])
}

#[test]
fn forms_of_every_kind() -> Result<()> {
    page_replays_as_recorded(
        "forms.html",
        &[
            "Prefilled Name",
            "Marie Curie",
            "marie@example.org",
            "correct horse",
            "hidden-csrf-token-value",
            "rotated-hidden-token",
            "Physicist",
            "Initial biography",
            "Typed private notes",
            "1867-11-07",
        ],
    )
}

#[test]
fn long_list() -> Result<()> {
    page_replays_as_recorded("long-list.html", &["Order 1999", "refunded"])
}

#[test]
fn single_page_navigation() -> Result<()> {
    page_replays_as_recorded("spa.html", &["Welcome back", "Pending payment", "Shipped"])
}

#[test]
fn mutation_flood() -> Result<()> {
    page_replays_as_recorded("flood.html", &["after the flood", "r19-499"])
}

#[test]
fn nested_same_origin_frames() -> Result<()> {
    page_replays_as_recorded(
        "iframes.html",
        &[
            "Outer frame changed",
            "Inner frame changed",
            "added inside the inner frame",
            "Later frame edited",
        ],
    )
}
