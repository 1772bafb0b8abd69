//! Browser tests of the player's chrome against the fake server (see [`crate::fake_server`]):
//! the five speeds, the keyboard shortcuts, scaling to fit a narrow container, the click ripple
//! and the optional pointer trail, and the console's level filters; lost segments.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{PlayerOptions, ReplayPlayer};
use crate::app::Auth;
use crate::fake_server::{
    REPLAY, REPLAY_WITH_GAPS, click, container, find, install, mount_player, paused_player,
    wait_within,
};

fn key(target: &web_sys::Element, key: &str) -> Result<(), JsValue> {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)?;
    target.dispatch_event(&event)?;
    Ok(())
}

#[wasm_bindgen_test]
async fn speeds_shortcuts_scaling_pointer_and_console_filters_work() -> Result<(), JsValue> {
    let _server = install()?;
    let element = container()?;
    // Narrower than the recorded 800 px viewport: the page must be scaled down to fit.
    element.style().set_property("width", "400px")?;
    let _handle = leptos::mount::mount_to(element.clone(), || {
        provide_context(Auth::fixed(Some("t0k".into())));
        view! {
            <ReplayPlayer
                id=REPLAY.to_owned()
                start_at=Some(0)
                focus_event=None
                options=PlayerOptions { page: true, ..PlayerOptions::default() }
            />
        }
    });
    let root: web_sys::Element = element.clone().into();
    let player = paused_player(&root).await?;
    let attr = |name: &str| player.get_attribute(name).unwrap_or_default();

    // Speeds 1× to 16×; the number keys pick them.
    let select: web_sys::HtmlSelectElement =
        find(&root, "select.speed").ok_or("no speed")?.dyn_into()?;
    let options: Vec<String> = (0..select.length())
        .filter_map(|i| select.item(i).and_then(|o| o.text_content()))
        .collect();
    assert_eq!(options, ["1×", "2×", "4×", "8×", "16×"]);
    key(&player, "3")?;
    wait_within(2_000, || select.value() == "4", "speed 4× after key 3").await?;
    key(&player, "1")?;
    wait_within(2_000, || select.value() == "1", "speed 1× after key 1").await?;

    // Arrows move the playhead by 5 s; space plays and pauses.
    key(&player, "ArrowRight")?;
    wait_within(2_000, || attr("data-sl-time") == "5000", "→ to 5 s").await?;
    key(&player, "ArrowLeft")?;
    wait_within(2_000, || attr("data-sl-time") == "0", "← back to 0").await?;
    key(&player, " ")?;
    wait_within(2_000, || attr("data-sl-state") == "playing", "space plays").await?;
    key(&player, " ")?;
    wait_within(2_000, || attr("data-sl-state") == "paused", "space pauses").await?;

    // The 800 px page fits the 400 px container.
    let screen = find(&root, ".screen").ok_or("no screen")?;
    let width = screen.get_bounding_client_rect().width();
    assert!(
        width > 0.0 && width <= 400.5,
        "the page is {width} px wide in a 400 px container"
    );
    let fullscreen = find(&root, "[data-sl-action='fullscreen']");
    assert!(fullscreen.is_some(), "no fullscreen button");

    // The click at the start ripples; the trail appears only once turned on.
    let seek = |t: u64| -> Result<(), JsValue> {
        let input: web_sys::HtmlInputElement = find(&root, "[data-sl-scrubber]")
            .ok_or("no scrubber")?
            .dyn_into()?;
        input.set_value(&t.to_string());
        input.dispatch_event(&web_sys::Event::new("input")?)?;
        Ok(())
    };
    seek(100)?;
    wait_within(2_000, || attr("data-sl-time") == "100", "the seek to 0.1 s").await?;
    assert!(find(&root, "[data-sl-ripple]").is_some(), "no click ripple");
    assert!(
        find(&root, "[data-sl-trail]").is_none(),
        "a trail while off"
    );
    click(&root, "[data-sl-action='trail']")?;
    wait_within(
        2_000,
        || find(&root, "[data-sl-trail]").is_some(),
        "the trail",
    )
    .await?;
    let points = find(&root, "[data-sl-trail] polyline")
        .and_then(|p| p.get_attribute("points"))
        .unwrap_or_default();
    assert!(points.split(' ').count() >= 2, "trail points: {points:?}");
    click(&root, "[data-sl-action='trail']")?;
    wait_within(
        2_000,
        || find(&root, "[data-sl-trail]").is_none(),
        "no trail",
    )
    .await?;

    // Console level filters: the warning goes and comes back.
    seek(1_000)?;
    let console_has = |level: &str| {
        find(
            &root,
            &format!("[data-sl-console] [data-sl-level='{level}']"),
        )
        .is_some()
    };
    wait_within(
        2_000,
        || console_has("warning") && console_has("log"),
        "the console",
    )
    .await?;
    click(&root, "[data-sl-level-filter='warning']")?;
    wait_within(2_000, || !console_has("warning"), "warnings hidden").await?;
    assert!(console_has("log"), "the log went with the warnings");
    click(&root, "[data-sl-level-filter='warning']")?;
    wait_within(2_000, || console_has("warning"), "warnings back").await?;
    Ok(())
}

#[wasm_bindgen_test]
async fn lost_segments_are_gaps_on_the_timeline_and_the_replay_plays_on() -> Result<(), JsValue> {
    let _server = install()?;
    let (_handle, root) = mount_player(REPLAY_WITH_GAPS, 0)?;
    let player = paused_player(&root).await?;
    let attr = |name: &str| player.get_attribute(name).unwrap_or_default();
    let gaps = || {
        root.query_selector("[data-sl-marker='gap']")
            .ok()
            .flatten()
            .is_some()
    };
    wait_within(5_000, gaps, "gap markers").await?;
    // Both lost segments span from the end of the first one (10 s) to the end (30 s).
    assert!(
        find(&root, "[data-sl-gap='10000-30000']").is_some(),
        "no gap from 10 s to 30 s on the timeline"
    );
    let listed = find(&root, "ul.gaps")
        .and_then(|l| l.text_content())
        .unwrap_or_default();
    assert!(
        listed.contains("Segment 1") && listed.contains("Segment 2"),
        "the errors panel lists the lost segments: {listed:?}"
    );
    // The page of the first segment is shown, and seeking into the gap keeps it.
    let input: web_sys::HtmlInputElement = find(&root, "[data-sl-scrubber]")
        .ok_or("no scrubber")?
        .dyn_into()?;
    input.set_value("20000");
    input.dispatch_event(&web_sys::Event::new("input")?)?;
    wait_within(
        2_000,
        || attr("data-sl-time") == "20000",
        "a seek into the gap",
    )
    .await?;
    let iframe: web_sys::HtmlIFrameElement = find(&root, "[data-sl-player] iframe")
        .ok_or("no frame")?
        .dyn_into()?;
    let body = iframe
        .content_document()
        .and_then(|d| d.body())
        .and_then(|b| b.text_content())
        .unwrap_or_default();
    assert!(body.contains("shop"), "the page in the gap: {body:?}");
    Ok(())
}
