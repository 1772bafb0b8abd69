//! Browser tests of the player page against a fake server (see [`crate::fake_server`]): the
//! backend error on the timeline, the failing request in the network panel with its backend
//! error inline, the errors and metadata panels, and the event deep link.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use crate::fake_server::{
    BACKEND_EVENT, FAILED_AT, FAILED_SPAN, LONELY_EVENT, REPLAY, container, find, install,
    mount_player, paused_player, wait_within,
};

wasm_bindgen_test_configure!(run_in_browser);

fn text(element: Option<web_sys::Element>) -> String {
    element.and_then(|e| e.text_content()).unwrap_or_default()
}

fn click(element: Option<web_sys::Element>, what: &str) -> Result<(), JsValue> {
    let element: web_sys::HtmlElement = element.ok_or(format!("no {what}"))?.dyn_into()?;
    element.click();
    Ok(())
}

#[wasm_bindgen_test]
async fn the_backend_error_is_on_the_timeline_and_inline_in_its_failing_request()
-> Result<(), JsValue> {
    let _server = install()?;
    let (handle, root) = mount_player(REPLAY, 1_000)?;
    let player = paused_player(&root).await?;
    let attr = |name: &str| player.get_attribute(name).unwrap_or_default();

    // The marker sits at the failing request's client time and says what, where and which
    // release; its card links to the event.
    let marker_selector = "[data-sl-marker='backend']";
    wait_within(
        5_000,
        || find(&root, marker_selector).is_some(),
        "backend marker",
    )
    .await?;
    let marker = find(&root, marker_selector).ok_or("no backend marker")?;
    assert_eq!(
        marker.get_attribute("data-sl-offset").as_deref(),
        Some("6000")
    );
    let title = marker.get_attribute("title").unwrap_or_default();
    for part in [
        "ZeroDivisionError: division by zero",
        "checkout-api",
        "api@7.1.0",
        "HTTP 500",
    ] {
        assert!(title.contains(part), "{part:?} missing from {title:?}");
    }
    let card = find(&root, "[data-sl-marker-card]").ok_or("no hover card")?;
    assert!(text(Some(card.clone())).contains("ZeroDivisionError"));
    let link = find(&card, "a").ok_or("no event link in the card")?;
    assert_eq!(
        link.get_attribute("href"),
        Some(format!("/events/{BACKEND_EVENT}"))
    );
    // Clicking the marker seeks to the error.
    click(Some(marker), "marker")?;
    wait_within(
        5_000,
        || attr("data-sl-time") == "6000",
        "seek to the marker",
    )
    .await?;

    // The 500 is highlighted, with the backend error inline; the 200 is not.
    let row = find(&root, &format!("tr[data-sl-request='{FAILED_SPAN}']")).ok_or("no 500 row")?;
    assert!(row.class_list().contains("server-error"));
    assert!(row.has_attribute("data-sl-highlight"));
    assert_eq!(row.get_attribute("data-sl-status").as_deref(), Some("500"));
    let row_text = text(Some(row.clone()));
    assert!(row_text.contains("POST") && row_text.contains("/api/checkout"));
    assert!(row_text.contains("150 ms") && row_text.contains("2.0 kB"));
    let inline = find(&row, &format!("[data-sl-backend-error='{BACKEND_EVENT}']"))
        .ok_or("no inline backend error")?;
    assert!(text(Some(inline.clone())).contains("ZeroDivisionError: division by zero"));
    assert_eq!(
        inline.get_attribute("href"),
        Some(format!("/events/{BACKEND_EVENT}"))
    );
    let ok_row = find(&root, "tr[data-sl-request='1111111111111111']").ok_or("no 200 row")?;
    assert!(!ok_row.has_attribute("data-sl-highlight"));
    assert!(find(&ok_row, "[data-sl-backend-error]").is_none());

    // Clicking a row seeks to its request.
    click(Some(ok_row.clone()), "200 row")?;
    wait_within(
        5_000,
        || attr("data-sl-time") == "2000",
        "seek to the request",
    )
    .await?;
    assert!(ok_row.class_list().contains("current"));
    assert!(row.class_list().contains("future"));

    // The errors panel: the backend error (with its stack, fetched from the event) before the
    // JS error that followed it, the application's frame highlighted, library frames folded.
    let errors = find(&root, "[data-sl-errors]").ok_or("no errors panel")?;
    wait_within(
        5_000,
        || find(&errors, "[data-sl-error-source='backend'] li.frame.in-app").is_some(),
        "the backend stack trace",
    )
    .await?;
    let source = |selector: &str| {
        find(&errors, selector).and_then(|e| e.get_attribute("data-sl-error-source"))
    };
    assert_eq!(source("[data-sl-error-source]").as_deref(), Some("backend"));
    assert_eq!(
        source("[data-sl-error-source] + [data-sl-error-source]").as_deref(),
        Some("js")
    );
    let in_app = find(&errors, "[data-sl-error-source='backend'] li.frame.in-app");
    assert!(text(in_app).contains("total"));
    let folded = find(
        &errors,
        "[data-sl-error-source='backend'] li.library summary",
    );
    assert_eq!(text(folded), "2 library frames");
    let js_frame = find(&errors, "[data-sl-error-source='js'] li.frame.in-app");
    assert!(text(js_frame).contains("https://shop.example/app.js:12:5"));
    // Clicking an error seeks to it.
    click(
        find(
            &errors,
            "[data-sl-error-source='backend'] button.error-type",
        ),
        "backend error title",
    )?;
    wait_within(
        5_000,
        || attr("data-sl-time") == "6000",
        "seek to the error",
    )
    .await?;

    // The metadata panel reads the user agent and the summary.
    assert_eq!(text(find(&root, "[data-sl-meta='browser']")), "Chrome 120");
    assert_eq!(text(find(&root, "[data-sl-meta='os']")), "Linux");
    assert_eq!(text(find(&root, "[data-sl-meta='viewport']")), "800 × 600");
    assert_eq!(text(find(&root, "[data-sl-meta='release']")), "shop@1.4.2");

    drop(handle);
    root.remove();
    Ok(())
}

use crate::fake_server::open_routes as open;

#[wasm_bindgen_test]
async fn an_event_link_opens_the_replay_before_the_backend_error_and_pauses_on_it()
-> Result<(), JsValue> {
    let _server = install()?;
    let (element, handle) = open(&format!("/events/{BACKEND_EVENT}"))?;
    let root: web_sys::Element = element.clone().into();
    let location = web_sys::window().ok_or("no window")?.location();
    wait_within(
        5_000,
        || location.pathname().ok() == Some(format!("/replays/{REPLAY}")),
        "the redirect to the replay",
    )
    .await?;
    // 5 s before the error.
    assert_eq!(
        location.search()?,
        format!("?t={}&event={BACKEND_EVENT}", FAILED_AT - 5_000)
    );
    let attr = |name: &str| {
        find(&root, "[data-sl-player]")
            .and_then(|p| p.get_attribute(name))
            .unwrap_or_default()
    };
    wait_within(
        5_000,
        || attr("data-sl-state") == "playing",
        "playing the lead-in",
    )
    .await?;
    wait_within(
        9_000,
        || attr("data-sl-state") == "paused",
        "paused at the error",
    )
    .await?;
    assert_eq!(attr("data-sl-time"), FAILED_AT.to_string());
    // Paused on the error: its marker, and the failing request, current and highlighted in the
    // network panel (the tab opened from an event).
    assert!(find(&root, "[data-sl-marker='backend'][data-sl-offset='6000']").is_some());
    let row = find(&root, &format!("tr[data-sl-request='{FAILED_SPAN}']")).ok_or("no 500 row")?;
    assert!(row.class_list().contains("current") && row.class_list().contains("server-error"));
    let network = find(&root, "[data-sl-panel='network']").ok_or("no network panel")?;
    assert!(!network.has_attribute("hidden"));

    drop(handle);
    element.remove();
    Ok(())
}

#[wasm_bindgen_test]
async fn an_event_without_a_replay_says_so_and_shows_the_event() -> Result<(), JsValue> {
    let _server = install()?;
    let (element, handle) = open(&format!("/events/{LONELY_EVENT}"))?;
    let root: web_sys::Element = element.clone().into();
    wait_within(
        5_000,
        || find(&root, "[data-sl-no-replay]").is_some(),
        "the event page",
    )
    .await?;
    assert!(text(find(&root, "[data-sl-no-replay]")).contains("no linked replay"));
    assert_eq!(text(find(&root, "h1")), "KeyError: 'sku'");
    assert_eq!(
        find(&root, "[data-sl-event-issue]").and_then(|a| a.get_attribute("href")),
        Some("/issues/13".to_owned())
    );
    assert_eq!(text(find(&root, "[data-sl-meta='release']")), "api@7.1.0");
    assert_eq!(
        text(find(&root, "[data-sl-meta='service']")),
        "web-2 · GET /api/cart"
    );
    assert!(text(find(&root, "[data-sl-stack] li.frame.in-app")).contains("total"));
    assert!(text(find(&root, "[data-sl-tags]")).contains("eu-west"));
    assert!(find(&root, "[data-sl-player]").is_none());

    drop(handle);
    element.remove();
    Ok(())
}

#[wasm_bindgen_test]
async fn an_embedded_player_opened_at_a_backend_error_pauses_on_it_and_links_to_its_server()
-> Result<(), JsValue> {
    let _server = install()?;
    let element = container()?;
    let options = js_sys::Object::new();
    for (key, value) in [
        ("server", "http://sl.test"),
        ("replay", REPLAY),
        ("token", "t0k"),
        ("event", BACKEND_EVENT),
    ] {
        js_sys::Reflect::set(&options, &key.into(), &value.into())?;
    }
    js_sys::Reflect::set(&options, &"t".into(), &JsValue::from(1_000))?;
    let mut handle = crate::embed::mount(element.clone(), options.into())?;
    let root: web_sys::Element = element.clone().into();
    let attr = |name: &str| {
        find(&root, "[data-sl-player]")
            .and_then(|p| p.get_attribute(name))
            .unwrap_or_default()
    };
    wait_within(
        9_000,
        || attr("data-sl-state") == "paused" && attr("data-sl-time") == "6000",
        "paused at the backend error",
    )
    .await?;
    // The event lives on the Sightline server, not on the embedding page.
    let link = find(&root, "[data-sl-marker-card] a").ok_or("no event link")?;
    assert_eq!(
        link.get_attribute("href"),
        Some(format!("http://sl.test/events/{BACKEND_EVENT}"))
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    // Just the player: no side panels.
    assert!(find(&root, "[data-sl-network]").is_none());

    handle.destroy();
    element.remove();
    Ok(())
}

#[wasm_bindgen_test]
async fn without_the_backend_errors_the_player_still_plays_and_says_why() -> Result<(), JsValue> {
    let _server = crate::fake_server::install_with(false)?;
    let (handle, root) = mount_player(REPLAY, 5_000)?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-backend-failure]").is_some(),
        "the failure note",
    )
    .await?;
    assert!(text(find(&root, "[data-sl-backend-failure]")).contains("HTTP 500"));
    let attr = |name: &str| {
        find(&root, "[data-sl-player]")
            .and_then(|p| p.get_attribute(name))
            .unwrap_or_default()
    };
    wait_within(5_000, || attr("data-sl-state") == "paused", "the replay").await?;
    // The recording alone still shows the failed request and the JS error.
    let row = find(&root, &format!("tr[data-sl-request='{FAILED_SPAN}']")).ok_or("no 500 row")?;
    assert!(row.has_attribute("data-sl-highlight"));
    assert!(find(&row, "[data-sl-backend-error]").is_none());
    assert!(find(&root, "[data-sl-marker='backend']").is_none());
    assert!(find(&root, "[data-sl-marker='network']").is_some());
    assert!(find(&root, "[data-sl-error-source='js']").is_some());

    drop(handle);
    root.remove();
    Ok(())
}
