//! The recorder never changes what the page sees of its own `fetch` and `XMLHttpRequest` calls.
//!
//! The same scenarios (`tests/fixtures/recorder/transparency.js`: statuses, headers, request
//! bodies of every kind, `Request` and `URL` inputs, redirects, network errors, aborts with and
//! without a reason, a streamed answer read chunk by chunk, `responseType` variants, XHR event
//! order, timeouts and the exceptions of misuse) run in headless Chromium on a page without the
//! recorder and on the same page with the real recorder recording it; every page-visible result
//! must be identical. The echo server reports the request body, method, `Content-Type` and
//! `X-Custom` it got, so a changed request shows too. (The trace headers the recorder adds to
//! same-origin requests by design are not echoed.)

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use sightline_protocol::v1::EventData;
use sightline_tests::browser::Browser;
use sightline_tests::recorder_site::RecorderSite;
use sightline_tests::server::Server;
use sightline_tests::wait_for;

fn run_scenarios(browser: &Browser, run: &str) -> Result<Value> {
    let results = browser.eval_async(
        "const done = arguments[1];
         runScenarios(arguments[0]).then(done, (e) => done({ failed: String(e) }));",
        &[Value::from(run)],
    )?;
    ensure!(
        results.get("failed").is_none(),
        "the scenarios failed: {results}"
    );
    Ok(results)
}

#[test]
fn the_pages_fetch_and_xhr_see_exactly_the_same_with_the_recorder() -> Result<()> {
    let server = Server::start()?;
    let site = RecorderSite::start(&server.base, &server.dsn)?;
    let browser = Browser::start()?;
    browser.set_script_timeout(Duration::from_secs(60))?;

    browser.goto(&site.url("/transparency-plain.html"))?;
    let plain = run_scenarios(&browser, "plain")?;

    browser.goto(&site.url("/transparency.html"))?;
    let replay = browser.wait_until(
        "window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    let replay = replay.as_str().context("replay id")?.to_owned();
    let recorded = run_scenarios(&browser, "recorded")?;

    // The scenarios mean something: spot checks of the page-visible results.
    ensure!(
        plain["get_headers"]["status"] == 200,
        "{}",
        plain["get_headers"]
    );
    ensure!(
        plain["stream_read_incrementally"]["chunks"] == serde_json::json!(["first;", "second;"]),
        "{}",
        plain["stream_read_incrementally"]
    );
    ensure!(plain["abort"]["name"] == "AbortError", "{}", plain["abort"]);
    ensure!(
        plain["abort_with_reason"]["same"] == true,
        "{}",
        plain["abort_with_reason"]
    );
    ensure!(
        plain["network_error"]["type"] == "TypeError",
        "{}",
        plain["network_error"]
    );
    ensure!(
        plain["redirect"]["redirected"] == true,
        "{}",
        plain["redirect"]
    );

    let names = plain.as_object().context("results by scenario")?;
    let mut differences = Vec::new();
    for (name, expected) in names {
        let got = &recorded[name];
        if got != expected {
            differences.push(format!(
                "{name}:\n  without recorder: {expected}\n  with recorder:    {got}"
            ));
        }
    }
    ensure!(
        recorded.as_object().map(serde_json::Map::len) == Some(names.len()),
        "the same scenarios ran"
    );
    ensure!(
        differences.is_empty(),
        "the recorder changed what the page sees:\n{}",
        differences.join("\n")
    );

    // And the recorder was really there: it recorded the page's requests.
    browser.eval_async(
        "const done = arguments[0]; Sightline.flush().then(() => done(null));",
        &[],
    )?;
    let requests = wait_for(
        "the page's requests recorded",
        Duration::from_secs(30),
        || {
            let Ok(segments) = server.segments(&replay) else {
                return Ok(None);
            };
            let count = segments
                .iter()
                .flat_map(|segment| &segment.events)
                .filter(|event| matches!(event.data, EventData::NetworkRequest(_)))
                .count();
            Ok((count >= 20).then_some(count))
        },
    )?;
    println!(
        "transparency: {} scenarios identical with and without the recorder; {requests} requests recorded",
        names.len()
    );
    Ok(())
}
