//! "Open replay at error", end to end: the shop page records with the real recorder in headless
//! Chromium, a click on Checkout fails with a 500 in the real demo shop backend (the official
//! Rust `sentry` crate reporting to the real `sightline` binary), and the event's link in the
//! viewer (`/events/{id}`) must open the session paused on that error: the backend 500 marker on
//! the timeline, the failing request highlighted in the network panel with the backend error
//! inline. Screenshots go to `target/e2e/` and are checked: the page's size, not blank, and the
//! highlighted row visible in them with its highlight colour.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};
use sightline_tests::browser::Browser;
use sightline_tests::checkout;
use sightline_tests::server::{Server, Shop, project_root};

/// The background of a failed or 5xx request row (`www/viewer/index.html`), as RGB.
const HIGHLIGHT_RGB: [u64; 3] = [0xfd, 0xee, 0xf0];

/// Records a failing checkout in the shop; returns the replay id and the linked event.
fn record_failing_checkout(
    server: &Server,
    shop: &Shop,
    browser: &Browser,
) -> Result<(String, Value)> {
    checkout::fill_cart(browser, &shop.base)?;
    let replay_id = checkout::check_out(browser)?;
    let linked = server.linked_events(&replay_id, 1)?.swap_remove(0);
    Ok((replay_id, linked))
}

/// Takes a screenshot into `target/e2e/{name}.png` and measures it in the page: its size in
/// pixels, how many distinct colours it has, and the share of the highlight colour inside the
/// element `selector` (by its bounding box, which must lie in the viewport).
fn checked_screenshot(browser: &Browser, name: &str, selector: &str) -> Result<Value> {
    let path = project_root().join(format!("target/e2e/{name}.png"));
    browser.screenshot(&path)?;
    let png = std::fs::read(&path)?;
    ensure!(png.starts_with(b"\x89PNG"), "{name}.png is not a PNG");
    let encoded = base64_encode(&png);
    browser.eval_async(
        "const [data, selector, rgb, done] = arguments;
         const image = new Image();
         image.onerror = () => done({ error: 'the screenshot does not decode' });
         image.onload = () => {
           const canvas = document.createElement('canvas');
           canvas.width = image.width; canvas.height = image.height;
           const context = canvas.getContext('2d');
           context.drawImage(image, 0, 0);
           const pixels = context.getImageData(0, 0, image.width, image.height).data;
           const colours = new Set();
           for (let i = 0; i < pixels.length; i += 4 * 7) {
             colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
           }
           const element = document.querySelector(selector);
           const rect = element ? element.getBoundingClientRect() : null;
           const scale = window.devicePixelRatio || 1;
           let inside = 0, matching = 0;
           if (rect) {
             const x0 = Math.max(0, Math.floor(rect.left * scale)), x1 = Math.min(image.width, Math.ceil(rect.right * scale));
             const y0 = Math.max(0, Math.floor(rect.top * scale)), y1 = Math.min(image.height, Math.ceil(rect.bottom * scale));
             for (let y = y0; y < y1; y++) {
               for (let x = x0; x < x1; x++) {
                 const i = (y * image.width + x) * 4;
                 inside++;
                 if (Math.abs(pixels[i] - rgb[0]) <= 3 && Math.abs(pixels[i + 1] - rgb[1]) <= 3
                     && Math.abs(pixels[i + 2] - rgb[2]) <= 3) matching++;
               }
             }
           }
           done({
             width: image.width, height: image.height,
             expected_width: Math.round(window.innerWidth * scale),
             expected_height: Math.round(window.innerHeight * scale),
             colours: colours.size,
             rect: rect && { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right },
             in_view: !!rect && rect.top >= 0 && rect.left >= 0 && rect.bottom <= window.innerHeight
               && rect.right <= window.innerWidth && rect.width > 0 && rect.height > 0,
             highlight_share: inside ? matching / inside : 0,
           });
         };
         image.src = 'data:image/png;base64,' + data;",
        &[json!(encoded), json!(selector), json!(HIGHLIGHT_RGB)],
    )
}

/// Standard base64 (the screenshot travels back into the page as a data URL).
fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn the_error_link_opens_the_session_paused_on_the_backend_500() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let browser = Browser::start()?;
    let (replay_id, linked) = record_failing_checkout(&server, &shop, &browser)?;
    let event_id = linked["id"].as_str().context("no event id")?.to_owned();
    let offset = linked["replay_offset_ms"]
        .as_u64()
        .context("the event has no place on the replay")?;

    browser.goto(&format!(
        "{}/events/{event_id}?token={}",
        server.base, server.token
    ))?;
    // The link starts 5 s before the error, plays up to it and pauses there.
    let paused = browser.wait_until(
        &format!(
            "(() => {{
               const p = document.querySelector('[data-sl-player]');
               return p && p.dataset.slState === 'paused'
                 && Math.abs(Number(p.dataset.slTime) - {offset}) <= 50
                 && [p.dataset.slState, Number(p.dataset.slTime), location.pathname];
             }})()"
        ),
        Duration::from_secs(30),
    );
    let paused = match paused {
        Ok(value) => value,
        Err(error) => {
            browser.screenshot(&project_root().join("target/e2e/error-link-failed.png"))?;
            let player = browser.eval(
                "const p = document.querySelector('[data-sl-player]'); return [location.href, p && p.dataset.slState, p && p.dataset.slTime];",
                &[],
            )?;
            return Err(error.context(format!(
                "the player did not pause at the error ({offset} ms): {player}"
            )));
        }
    };
    assert_eq!(paused[2], format!("/replays/{replay_id}"), "{paused}");

    // The backend 500 on the timeline, at the failing request.
    let marker = browser.eval(
        "const m = document.querySelector('[data-sl-marker=backend]');
         return m && [m.dataset.slOffset, m.getAttribute('title') || m.textContent];",
        &[],
    )?;
    ensure!(!marker.is_null(), "no backend marker on the timeline");
    assert_eq!(marker[0], offset.to_string(), "{marker}");

    // The failing request highlighted, with the backend error inline.
    let row_selector = format!("tr[data-sl-highlight]:has([data-sl-backend-error='{event_id}'])");
    let row = browser.eval(
        "const row = document.querySelector(arguments[0]);
         const panel = document.querySelector('[data-sl-panel=network]');
         return row && [row.dataset.slStatus, row.querySelector('.request-url').title,
                        row.querySelector('[data-sl-backend-error]').textContent, panel.hidden];",
        &[json!(row_selector)],
    )?;
    ensure!(
        !row.is_null(),
        "no highlighted request row carries the backend error {event_id}"
    );
    assert_eq!(row[0], "500", "{row}");
    assert_eq!(row[1], format!("{}/api/checkout", shop.base), "{row}");
    ensure!(
        row[2]
            .as_str()
            .is_some_and(|t| t.contains("ProviderTimeout")),
        "the inline backend error does not name the shop's error: {row}"
    );
    assert_eq!(
        row[3], false,
        "the network panel is not the one shown: {row}"
    );

    // What the user sees: a full-size, non-blank page with the highlighted row on screen.
    browser.eval(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' }); return true;",
        &[json!(row_selector)],
    )?;
    let shot = checked_screenshot(&browser, "error-link", &row_selector)?;
    ensure!(shot["error"].is_null(), "{shot}");
    assert_eq!(shot["width"], shot["expected_width"], "{shot}");
    assert_eq!(shot["height"], shot["expected_height"], "{shot}");
    ensure!(
        shot["colours"].as_u64().unwrap_or(0) > 20,
        "the screenshot is nearly blank: {shot}"
    );
    ensure!(
        shot["in_view"] == true,
        "the highlighted row is off screen: {shot}"
    );
    ensure!(
        shot["highlight_share"].as_f64().unwrap_or(0.0) > 0.3,
        "the highlighted row does not show its highlight in the screenshot: {shot}"
    );
    // The replayed page itself is on screen too (the shop, not an empty frame).
    let frame = browser.eval(
        "const f = document.querySelector('[data-sl-player] iframe');
         const d = f && f.contentDocument;
         return d && d.body ? d.body.innerText.length : 0;",
        &[],
    )?;
    ensure!(
        frame.as_u64().unwrap_or(0) > 0,
        "the replayed page is empty"
    );
    Ok(())
}
