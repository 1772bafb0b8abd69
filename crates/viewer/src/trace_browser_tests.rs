//! Browser tests of the trace page against the fake server (see [`crate::fake_traces`]): the
//! waterfall's order and indentation, the failing service named and its span highlighted, the
//! slow span marked, the span details, the logs selecting their span, the links to the replay,
//! the event and the issue; and the ways in: the replay's network panel, the issue page, the
//! event page, and `/` opening the issues.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use crate::fake_issues::install_issues;
use crate::fake_server::{FAILED_SPAN, REPLAY, TRACE, click, find, open_page, text, wait_within};
use crate::fake_traces::{
    BILLING_EVENT, BILLING_ISSUE, BILLING_QUERY, BILLING_TX, GATEWAY_CACHE, GATEWAY_CALL,
    GATEWAY_DB, GATEWAY_TX, REQUEST_AT, install_traces,
};

wasm_bindgen_test_configure!(run_in_browser);

fn attr(root: &web_sys::Element, selector: &str, name: &str) -> Option<String> {
    find(root, selector).and_then(|e| e.get_attribute(name))
}

/// Every element matching `selector`, in document order.
fn all(root: &web_sys::Element, selector: &str) -> Result<Vec<web_sys::Element>, JsValue> {
    // Through JS: the crate's web-sys features have no `NodeList`.
    let query: js_sys::Function =
        js_sys::Reflect::get(root, &"querySelectorAll".into())?.dyn_into()?;
    let list = query.call1(root, &selector.into())?;
    Ok(js_sys::Array::from(&list)
        .iter()
        .filter_map(|node| node.dyn_into().ok())
        .collect())
}

fn span_selector(id: &str) -> String {
    format!("[data-sl-span='{id}']")
}

#[wasm_bindgen_test]
async fn the_waterfall_follows_the_request_to_the_service_that_failed() -> Result<(), JsValue> {
    let _server = install_traces()?;
    let (root, _handle) = open_page(&format!("/traces/{TRACE}"))?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-span]").is_some(),
        "the waterfall",
    )
    .await?;
    assert!(find(&root, &format!("[data-sl-trace='{TRACE}']")).is_some());

    // Parents before their children, children by start: the gateway's cache lookup started
    // before billing's query but comes after the call to billing and what it caused.
    let rows: Vec<(String, String, String)> = all(&root, "[data-sl-span]")?
        .iter()
        .map(|row| {
            let get = |name: &str| row.get_attribute(name).unwrap_or_default();
            (
                get("data-sl-span"),
                get("data-sl-service"),
                get("data-sl-depth"),
            )
        })
        .collect();
    let expected = [
        (FAILED_SPAN, "browser", "0"),
        (GATEWAY_TX, "gateway", "1"),
        (GATEWAY_DB, "gateway", "2"),
        (GATEWAY_CALL, "gateway", "2"),
        (BILLING_TX, "billing", "3"),
        (BILLING_QUERY, "billing", "4"),
        (GATEWAY_CACHE, "gateway", "2"),
    ]
    .map(|(id, service, depth)| (id.to_owned(), service.to_owned(), depth.to_owned()));
    assert_eq!(rows, expected.to_vec());
    // Indented by depth.
    let indent = |id: &str| attr(&root, &format!("{} .span-name", span_selector(id)), "style");
    assert_eq!(indent(FAILED_SPAN).as_deref(), Some("padding-left:0px"));
    assert_eq!(indent(BILLING_QUERY).as_deref(), Some("padding-left:56px"));
    // Bars on the trace's axis: billing's query starts 50 ms into the 2 s trace and takes 1.4 s.
    let bar = attr(
        &root,
        &format!("{} .span-bar", span_selector(BILLING_QUERY)),
        "style",
    )
    .unwrap_or_default();
    assert!(bar.starts_with("left:2.500%;width:70.000%"), "{bar}");
    assert_eq!(text(&root, "[data-sl-trace-duration]"), "2.00 s");

    // The failing service is named, its span highlighted; the slow query marked.
    assert_eq!(text(&root, "[data-sl-failing-service]"), "billing");
    assert!(text(&root, ".trace-verdict").contains("billing failed"));
    let failed: Vec<String> = all(&root, "[data-sl-span-error]")?
        .iter()
        .filter_map(|row| row.get_attribute("data-sl-span"))
        .collect();
    assert_eq!(failed, vec![BILLING_TX.to_owned()]);
    let slow: Vec<String> = all(&root, "[data-sl-slow]")?
        .iter()
        .filter_map(|row| row.get_attribute("data-sl-span"))
        .collect();
    assert_eq!(slow, vec![BILLING_QUERY.to_owned()]);

    // The page opens on the failing span: its details link to the event and its issue.
    let detail = format!("[data-sl-span-detail='{BILLING_TX}']");
    assert!(find(&root, &detail).is_some());
    assert!(find(&root, &format!("{}.selected", span_selector(BILLING_TX))).is_some());
    assert_eq!(
        attr(&root, &format!("{detail} [data-sl-trace-event]"), "href"),
        Some(format!("/events/{BILLING_EVENT}"))
    );
    assert_eq!(
        attr(&root, &format!("{detail} [data-sl-trace-issue]"), "href"),
        Some(format!("/issues/{BILLING_ISSUE}"))
    );
    assert!(text(&root, &detail).contains("CardDeclined: card declined"));

    // The replay opens at the browser request, once its start is known.
    let replay = format!("[data-sl-trace-replay='{REPLAY}']");
    let wanted = format!("/replays/{REPLAY}?t={REQUEST_AT}");
    wait_within(
        5_000,
        || attr(&root, &replay, "href").as_deref() == Some(wanted.as_str()),
        "the replay link at the request",
    )
    .await?;

    // The logs are beside it; billing's error log belongs to the selected span.
    let logs: Vec<String> = all(&root, "[data-sl-log]")?
        .iter()
        .filter_map(|log| log.text_content())
        .collect();
    assert_eq!(logs.len(), 3);
    assert!(logs[0].contains("calling billing") && logs[0].contains("gateway"));
    assert!(logs[0].contains("+24 ms"), "{}", logs[0]);
    let current = |span: &str| {
        find(&root, &format!("[data-sl-log-span='{span}']"))
            .is_some_and(|log| log.class_list().contains("current"))
    };
    assert!(current(BILLING_TX) && !current(GATEWAY_CALL));

    // Clicking the gateway's log selects the span it was written in.
    click(&root, &format!("[data-sl-log-span='{GATEWAY_CALL}']"))?;
    wait_within(
        2_000,
        || find(&root, &format!("[data-sl-span-detail='{GATEWAY_CALL}']")).is_some(),
        "the log's span",
    )
    .await?;
    assert!(find(&root, &format!("{}.selected", span_selector(GATEWAY_CALL))).is_some());
    assert!(find(&root, &format!("{}.selected", span_selector(BILLING_TX))).is_none());
    assert!(current(GATEWAY_CALL) && !current(BILLING_TX));

    // Clicking a span shows its data.
    click(&root, &span_selector(BILLING_QUERY))?;
    let query = format!("[data-sl-span-detail='{BILLING_QUERY}']");
    wait_within(
        2_000,
        || find(&root, &query).is_some(),
        "the query's details",
    )
    .await?;
    let details = text(&root, &query);
    for part in [
        "SELECT rate FROM tax_rates",
        "db.system",
        "postgresql",
        "1.40 s",
    ] {
        assert!(details.contains(part), "{part:?} missing from {details:?}");
    }
    Ok(())
}

#[wasm_bindgen_test]
async fn an_unknown_trace_says_nothing_has_it() -> Result<(), JsValue> {
    let _server = install_traces()?;
    let (root, _handle) = open_page("/traces/00000000000000000000000000000000")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-trace-missing]").is_some(),
        "the missing trace",
    )
    .await?;
    assert!(find(&root, "[data-sl-span]").is_none());
    Ok(())
}

#[wasm_bindgen_test]
async fn a_request_of_the_network_panel_opens_its_trace() -> Result<(), JsValue> {
    let _server = install_traces()?;
    let (root, _handle) = open_page(&format!("/replays/{REPLAY}"))?;
    let link = format!("tr[data-sl-request='{FAILED_SPAN}'] a[data-sl-trace-link]");
    wait_within(
        5_000,
        || find(&root, &link).is_some(),
        "the request's trace link",
    )
    .await?;
    assert_eq!(attr(&root, &link, "href"), Some(format!("/traces/{TRACE}")));
    click(&root, "[data-sl-tab='network']")?;
    click(&root, &link)?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-failing-service]").is_some(),
        "the trace page",
    )
    .await?;
    let location = web_sys::window().ok_or("no window")?.location();
    assert_eq!(location.pathname()?, format!("/traces/{TRACE}"));
    assert_eq!(text(&root, "[data-sl-failing-service]"), "billing");
    Ok(())
}

#[wasm_bindgen_test]
async fn the_issue_and_event_pages_link_to_their_trace() -> Result<(), JsValue> {
    let wanted = Some(format!("/traces/{TRACE}"));
    {
        let _server = install_issues()?;
        let (root, _handle) = open_page("/issues/12")?;
        let link = format!(".issue-trace [data-sl-trace-link='{TRACE}']");
        wait_within(5_000, || find(&root, &link).is_some(), "the issue's trace").await?;
        assert_eq!(attr(&root, &link, "href"), wanted);
    }
    {
        let _server = install_traces()?;
        let (root, _handle) = open_page(&format!("/events/{BILLING_EVENT}"))?;
        let link = format!("[data-sl-trace-link='{TRACE}']");
        wait_within(5_000, || find(&root, &link).is_some(), "the event's trace").await?;
        assert_eq!(attr(&root, &link, "href"), wanted);
    }
    {
        let _server = install_traces()?;
        let (_root, _handle) = open_page("/")?;
        wait_within(
            5_000,
            || {
                web_sys::window()
                    .and_then(|w| w.location().pathname().ok())
                    .is_some_and(|path| path == "/issues")
            },
            "the issues list at /",
        )
        .await?;
    }
    Ok(())
}
