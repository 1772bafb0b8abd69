//! The workflow after a bad deploy, end to end with real clients: the demo shop's `shop@1.4.1`
//! is shipped with the `sightline` CLI (commits from its git history, CODEOWNERS, a code
//! mapping, a deploy) and pays; then `shop@1.4.2` is shipped in its place and a real browser
//! checks out. The shop's `sentry` crate reports the 500, and Sightline must show — through the
//! API and in the viewer — one issue, first seen in `shop@1.4.2`, with the commit that broke
//! payment as its suspect, the payments team as its owner, and the session's replay. Resolving
//! it and checking out again marks it regressed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};
use sightline_tests::browser::Browser;
use sightline_tests::checkout;
use sightline_tests::server::{
    SHOP_ENVIRONMENT, Server, Shop, project_root, shop_binary, sightline_binary,
};
use sightline_tests::shop_releases::{
    BREAKING_AUTHOR, BREAKING_COMMIT, PAYMENT_OWNER, RELEASES, ShopReleases,
};
use sightline_tests::wait_for;

/// Percent-encodes a query-string value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The issues matching `query`, as the API lists them.
fn search(server: &Server, query: &str) -> Result<Vec<Value>> {
    let (status, issues) = server.api(&format!("/api/0/issues/?query={}", encode(query)))?;
    ensure!(
        status == 200,
        "searching {query:?} answered {status}: {issues}"
    );
    issues
        .as_array()
        .cloned()
        .context("the issue list is not an array")
}

/// Opens the shop, puts two products in the cart and checks out; returns the replay id once the
/// page's recording is uploaded.
fn check_out_in_the_browser(browser: &Browser, shop: &Shop) -> Result<String> {
    checkout::fill_cart(browser, &shop.base)?;
    checkout::check_out(browser)
}

#[test]
fn a_bad_deploy_becomes_one_issue_with_its_suspect_commit_owner_and_replay() -> Result<()> {
    let server = Server::start()?;
    let repo = tempfile::tempdir()?;
    let releases = ShopReleases::new(
        &sightline_binary(),
        &shop_binary(),
        &server.base,
        &server.token,
        &repo.path().join("shop"),
    );
    let stack_root: PathBuf = project_root().canonicalize()?.join("crates/demo-shop");
    let [previous, broken] = RELEASES;

    releases.ship(previous, SHOP_ENVIRONMENT, &stack_root)?;
    {
        let shop = Shop::start_release(&server, previous)?;
        let (status, body) = shop.checkout(&[1, 3], &[])?;
        ensure!(status == 200, "{previous} did not pay: {status} {body}");
    }
    releases.ship(broken, SHOP_ENVIRONMENT, &stack_root)?;
    let shop = Shop::start_release(&server, broken)?;
    let browser = Browser::start()?;
    let replay_id = check_out_in_the_browser(&browser, &shop)?;
    let linked = server.linked_events(&replay_id, 1)?.swap_remove(0);
    let event_id = linked["id"].as_str().context("no event id")?.to_owned();

    // The event belongs to an issue…
    let issue_id = wait_for("the event's issue", Duration::from_secs(30), || {
        let (_, event) = server.api(&format!("/api/0/events/{event_id}/"))?;
        Ok(event["issue_id"].as_str().map(str::to_owned))
    })?;
    // …that engineers find the way they would type it.
    let found = search(
        &server,
        &format!(
            "is:unresolved level:error release:{broken} firstSeen:-1h assigned:{PAYMENT_OWNER} \"ProviderTimeout\""
        ),
    )?;
    let ids: Vec<&str> = found.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, [issue_id.as_str()], "{found:?}");
    assert!(search(&server, &format!("release:{previous}"))?.is_empty());

    let (status, issue) = server.api(&format!("/api/0/issues/{issue_id}/"))?;
    ensure!(status == 200, "GET issue answered {status}: {issue}");
    assert_eq!(issue["first_release"], broken, "{issue}");
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(issue["count"], 1);
    assert!(
        issue["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("ProviderTimeout")),
        "{issue}"
    );
    assert!(
        issue["culprit"]
            .as_str()
            .is_some_and(|c| c.contains("payment")),
        "the culprit is the payment step: {issue}"
    );
    // The owner comes from CODEOWNERS, by the culprit frame's path after the code mapping.
    assert_eq!(issue["owner"], PAYMENT_OWNER, "{issue}");
    assert_eq!(issue["assigned_to"], PAYMENT_OWNER, "{issue}");
    assert!(
        issue["owner_rule"]
            .as_str()
            .is_some_and(|rule| rule.contains("/src/payment.rs")),
        "{issue}"
    );
    // The suspect is the commit of the new release that touched the failing frame's file.
    let suspect = &issue["suspect_commits"][0];
    assert_eq!(suspect["message"], BREAKING_COMMIT, "{issue}");
    assert_eq!(suspect["author_name"], BREAKING_AUTHOR, "{suspect}");
    assert_eq!(suspect["release"], broken, "{suspect}");
    assert_eq!(suspect["path"], "src/payment.rs", "{suspect}");
    let replays = issue["replay_ids"].as_array().context("replay_ids")?;
    assert!(replays.iter().any(|id| id == replay_id.as_str()), "{issue}");

    // The release page counts it as new, with its commits and deploy; the release before has none.
    let (_, release) = server.api(&format!("/api/0/projects/1/releases/{}/", encode(broken)))?;
    let new_issues = release["new_issues"].as_array().context("new_issues")?;
    assert!(
        new_issues.iter().any(|i| i["id"] == issue_id.as_str()),
        "{release}"
    );
    assert_eq!(release["commit_count"], 3, "{release}");
    assert_eq!(release["deploys"][0]["environment"], SHOP_ENVIRONMENT);
    let (_, earlier) = server.api(&format!("/api/0/projects/1/releases/{}/", encode(previous)))?;
    assert_eq!(earlier["new_issue_count"], 0, "{earlier}");
    assert_eq!(earlier["commit_count"], 3, "{earlier}");

    // The viewer shows the same facts.
    browser.goto(&format!(
        "{}/issues/{issue_id}?token={}",
        server.base, server.token
    ))?;
    let shown = browser.wait_until(
        &format!(
            "(() => {{ const s = document.querySelector('[data-sl-suspect-commit]'); \
               const o = document.querySelector('[data-sl-owner]'); \
               const f = document.querySelector('[data-sl-seen=first] a[data-sl-release]'); \
               return s && o && f && s.textContent.includes({commit}) \
                 && o.textContent.includes({owner}) \
                 && f.textContent.includes({first}) \
                 && document.querySelector({replay_link}) \
                 && [s.textContent, o.textContent, f.textContent]; }})()",
            commit = json!(BREAKING_COMMIT),
            owner = json!(PAYMENT_OWNER),
            first = json!(broken),
            replay_link = json!(format!("a[href*='/replays/{replay_id}']")),
        ),
        Duration::from_secs(30),
    );
    let shown = match shown {
        Ok(shown) => shown,
        Err(error) => {
            let text = browser.eval("return document.body.innerText", &[])?;
            return Err(error.context(format!("the issue page shows: {text}")));
        }
    };
    println!("issue page: {shown}");

    // Resolved, then the broken release fails again: the issue reopens as a regression.
    let (status, resolved) = server.api_send(
        "PUT",
        &format!("/api/0/issues/{issue_id}/"),
        &json!({"status": "resolved"}),
    )?;
    ensure!(status == 200, "resolving answered {status}: {resolved}");
    assert_eq!(resolved["status"], "resolved");
    check_out_in_the_browser(&browser, &shop)?;
    let regressed = wait_for("the regression", Duration::from_secs(30), || {
        let (_, issue) = server.api(&format!("/api/0/issues/{issue_id}/"))?;
        Ok((issue["count"] == 2).then_some(issue))
    })?;
    assert_eq!(regressed["status"], "unresolved", "{regressed}");
    assert_eq!(regressed["regressed"], true, "{regressed}");
    Ok(())
}
