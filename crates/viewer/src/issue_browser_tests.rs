//! Browser tests of the issues list and the issue page against the fake server (see
//! [`crate::fake_issues`]): the query bar drives the request and the address bar, an invalid
//! query shows the server's message, the issue page shows the stack, suspect commit, owner and
//! events, and its buttons send `PUT /api/0/issues/{id}/` and show the result; the release page
//! and the alerts list show what the API says.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use crate::fake_issues::{
    ISSUE, LATEST_EVENT, Logged, OLDER_EVENT, SUSPECT, install_issues, requests,
};
use crate::fake_server::{click, find, open_page, text, type_into, wait_within};

wasm_bindgen_test_configure!(run_in_browser);

fn issue_requests() -> Vec<Logged> {
    requests()
        .into_iter()
        .filter(|r| r.url.starts_with("/api/0/issues/"))
        .collect()
}

fn location() -> Result<web_sys::Location, JsValue> {
    Ok(web_sys::window().ok_or("no window")?.location())
}

#[wasm_bindgen_test]
async fn the_query_bar_searches_sorts_and_shows_an_invalid_query() -> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _handle) = open_page("/issues")?;
    let row = format!("[data-sl-issue-row='{ISSUE}']");
    wait_within(5_000, || find(&root, &row).is_some(), "the issue rows").await?;

    // The default query is sent, shown in the bar, and only the unresolved issue is listed.
    assert_eq!(
        issue_requests().last().map(|r| r.url.clone()),
        Some("/api/0/issues/?query=is%3Aunresolved&sort=date".to_owned())
    );
    let bar: web_sys::HtmlInputElement = find(&root, "[data-sl-query]")
        .ok_or("no query bar")?
        .dyn_into()?;
    assert_eq!(bar.value(), "is:unresolved");
    assert!(find(&root, "[data-sl-issue-row='13']").is_none());
    let row_text = text(&root, &row);
    for part in [
        "ZeroDivisionError: division by zero",
        "shop.checkout in total",
        "Regressed",
        "57",
        "#payments",
        "shop@1.4.2",
        "shop@1.4.3",
    ] {
        assert!(
            row_text.contains(part),
            "{part:?} missing from {row_text:?}"
        );
    }
    let spark = find(&root, &format!("{row} [data-sl-sparkline] path")).ok_or("no sparkline")?;
    assert!(!spark.get_attribute("d").unwrap_or_default().is_empty());
    let title = find(&root, &format!("{row} a.issue-title")).ok_or("no link")?;
    assert_eq!(title.get_attribute("href").as_deref(), Some("/issues/12"));

    // An empty query lists every issue, and goes into the address bar.
    type_into(&root, "[data-sl-query]", "")?;
    click(&root, ".query-bar button[type=submit]")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-issue-row='13']").is_some(),
        "every issue",
    )
    .await?;
    assert_eq!(location()?.search()?, "?query=");
    assert_eq!(
        issue_requests().last().map(|r| r.url.clone()),
        Some("/api/0/issues/?query=&sort=date".to_owned())
    );

    // An unknown key: the request carries the query, the server's message shows under the bar.
    type_into(&root, "[data-sl-query]", "level:error bogus:1")?;
    click(&root, ".query-bar button[type=submit]")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-query-error]").is_some(),
        "the query error",
    )
    .await?;
    assert_eq!(
        text(&root, "[data-sl-query-error]"),
        "unknown search key \"bogus\" in term \"bogus:1\""
    );
    assert_eq!(
        issue_requests().last().map(|r| r.url.clone()),
        Some("/api/0/issues/?query=level%3Aerror%20bogus%3A1&sort=date".to_owned())
    );
    assert!(find(&root, "[data-sl-issue-row]").is_none());

    // Another order is requested and kept in the address bar with the query in the bar.
    type_into(&root, "[data-sl-query]", "level:error bogus:2")?;
    let select: web_sys::HtmlSelectElement = find(&root, "[data-sl-sort]")
        .ok_or("no sort selector")?
        .dyn_into()?;
    select.set_value("freq");
    select.dispatch_event(&web_sys::Event::new("change")?)?;
    wait_within(
        5_000,
        || {
            location()
                .and_then(|l| l.search())
                .unwrap_or_default()
                .contains("sort=freq")
        },
        "the order in the address bar",
    )
    .await?;
    assert_eq!(
        location()?.search()?,
        "?query=level%3Aerror%20bogus%3A2&sort=freq"
    );
    wait_within(
        5_000,
        || {
            issue_requests()
                .last()
                .is_some_and(|r| r.url.ends_with("&sort=freq"))
        },
        "the request in the new order",
    )
    .await?;
    Ok(())
}

#[wasm_bindgen_test]
async fn the_issue_page_shows_where_it_broke_and_its_buttons_change_it() -> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _handle) = open_page("/issues/12")?;
    let page = format!("[data-sl-issue='{ISSUE}']");
    wait_within(
        5_000,
        || find(&root, &format!("{page} [data-sl-event-id]")).is_some(),
        "the issue and its latest event",
    )
    .await?;
    assert!(text(&root, "h1").contains("ZeroDivisionError: division by zero"));
    assert_eq!(
        find(&root, "[data-sl-status]").and_then(|e| e.get_attribute("data-sl-status")),
        Some("unresolved".to_owned())
    );

    // Suspect commit with the frame it matched; owner with the rule; releases link.
    let suspect = text(&root, &format!("[data-sl-suspect-commit='{SUSPECT}']"));
    for part in [
        "abc1234",
        "Compute totals per item",
        "Ada Lovelace",
        "total in shop/checkout.py:42",
    ] {
        assert!(suspect.contains(part), "{part:?} missing from {suspect:?}");
    }
    assert!(find(&root, "[data-sl-owner='#payments']").is_some());
    assert_eq!(
        text(&root, "[data-sl-owner-rule]"),
        "path:shop/checkout.py #payments"
    );
    assert!(
        find(
            &root,
            "[data-sl-seen='first'] a[href='/releases/shop%401.4.2']"
        )
        .is_some()
    );
    assert!(
        find(
            &root,
            "a[data-sl-linked-replay][href='/replays/0123456789abcdef0123456789abcdef']"
        )
        .is_some()
    );
    assert!(text(&root, "[data-sl-tag='release']").contains("70%"));

    // The stack: the application's frame first and open with its source and variables, the
    // library frame closed.
    let in_app = find(&root, "[data-sl-stack] li.frame.in-app details").ok_or("no in-app frame")?;
    assert!(in_app.has_attribute("open"));
    assert!(
        text(&root, "[data-sl-stack] li.frame.in-app li.current").contains("return amount / count")
    );
    assert!(text(&root, "[data-sl-stack] li.frame.in-app [data-sl-vars]").contains("count"));
    let library = find(
        &root,
        "[data-sl-stack] li.frame[data-sl-in-app=false] details",
    )
    .ok_or("no library frame")?;
    assert!(!library.has_attribute("open"));
    assert!(
        text(&root, "[data-sl-event-section='request']").contains("POST http://shop/api/checkout")
    );
    assert!(text(&root, "[data-sl-event-section='user']").contains("ada@example.com"));
    assert!(text(&root, "[data-sl-event-section='breadcrumbs']").contains("POST /api/checkout"));

    // Event navigation: the newest has no next; previous opens the older one.
    assert_eq!(text(&root, "[data-sl-event-id]"), LATEST_EVENT);
    assert!(find(&root, "span[data-sl-event-nav='next']").is_some());
    click(&root, "a[data-sl-event-nav='previous']")?;
    wait_within(
        5_000,
        || text(&root, "[data-sl-event-id]") == OLDER_EVENT,
        "the previous event",
    )
    .await?;
    assert_eq!(location()?.search()?, format!("?event={OLDER_EVENT}"));
    assert!(find(&root, "a[data-sl-event-nav='next']").is_some());
    assert!(find(&root, "span[data-sl-event-nav='previous']").is_some());

    // Resolve: a PUT with the status, then the page shows the answer.
    click(&root, "[data-sl-action='resolve']")?;
    wait_within(
        5_000,
        || {
            find(&root, "[data-sl-status]").and_then(|e| e.get_attribute("data-sl-status"))
                == Some("resolved".to_owned())
        },
        "the resolved status",
    )
    .await?;
    let put = issue_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .ok_or("no PUT")?;
    assert_eq!(put.url, "/api/0/issues/12/");
    assert_eq!(put.body, r#"{"status":"resolved"}"#);
    assert!(find(&root, "[data-sl-action='resolve']").is_none());
    assert!(find(&root, "[data-sl-action='unresolve']").is_some());
    assert!(find(&root, "[data-sl-regressed]").is_none());
    wait_within(
        5_000,
        || find(&root, "[data-sl-activity='resolved']").is_some(),
        "the activity to show the change",
    )
    .await?;

    // Assign to someone else.
    type_into(&root, "[data-sl-assignee]", "@ada")?;
    click(&root, "button[data-sl-action='assign']")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-assigned='@ada']").is_some(),
        "the new assignee",
    )
    .await?;
    let last = issue_requests()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .ok_or("no PUT")?;
    assert_eq!(last.body, r#"{"assigned_to":"@ada"}"#);
    Ok(())
}

#[wasm_bindgen_test]
async fn a_release_lists_its_new_issues_regressions_and_deploys() -> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _handle) = open_page("/releases")?;
    let row = "[data-sl-release-row='shop@1.4.3']";
    wait_within(5_000, || find(&root, row).is_some(), "the releases").await?;
    assert!(text(&root, row).contains("75.0% (3 of 4)"));
    click(&root, &format!("{row} a"))?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-release-issues='new']").is_some(),
        "the release page",
    )
    .await?;
    assert_eq!(location()?.pathname()?, "/releases/shop%401.4.3");
    assert!(
        find(
            &root,
            "[data-sl-release-issues='new'] [data-sl-issue-row='12'] a[href='/issues/12']"
        )
        .is_some()
    );
    assert!(
        find(
            &root,
            "[data-sl-release-issues='regressed'] [data-sl-issue-row='13']"
        )
        .is_some()
    );
    assert_eq!(text(&root, "[data-sl-crash-free]"), "75.0% (3 of 4)");
    assert!(text(&root, ".deploys").contains("production at 2026-11-26 06:05:00 UTC"));
    assert!(text(&root, "[data-sl-commit='abc1234def5678']").contains("Compute totals per item"));
    Ok(())
}

#[wasm_bindgen_test]
async fn fired_alerts_show_their_rule_issue_and_delivery() -> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _handle) = open_page("/alerts")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-alert='5']").is_some(),
        "the alerts",
    )
    .await?;
    let row = text(&root, "[data-sl-alert='5']");
    for part in [
        "Checkout spike",
        "(spike)",
        "ZeroDivisionError",
        "after 5 attempts",
        "HTTP 502",
    ] {
        assert!(row.contains(part), "{part:?} missing from {row:?}");
    }
    assert!(find(&root, "[data-sl-alert='5'] a[href='/issues/12']").is_some());
    assert!(find(&root, "[data-sl-alert='5'] [data-sl-delivery='failed']").is_some());
    Ok(())
}
