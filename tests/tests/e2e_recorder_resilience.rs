//! The recorder never hurts the page, and loses as little as it can, when things go wrong: the
//! real recorder in headless Chromium uploads to the real `sightline` binary through a proxy
//! that fails on purpose (down, 429 with `Retry-After`, 500, slow), across a reload, and on
//! pages whose Content-Security-Policy forbids WebAssembly or blocks the upload origin.
//!
//! Every test also checks the page itself: no error reached its handlers, its own click handler
//! and request still work, and the recorder said at most one thing on the console.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::EventData;
use sightline_tests::browser::Browser;
use sightline_tests::fault_proxy::{Fault, FaultProxy};
use sightline_tests::recorder_site::RecorderSite;
use sightline_tests::server::Server;
use sightline_tests::wait_for;

/// The `data-offline-buffer-bytes` of the fixture pages.
const BOUND: u64 = 24_000;

struct Setup {
    _server: Server,
    proxy: FaultProxy,
    site: RecorderSite,
    browser: Browser,
}

/// The real server, a fault proxy in front of it (the pages' DSN), the fixture site and a browser.
fn setup() -> Result<Setup> {
    let server = Server::start()?;
    let proxy = FaultProxy::start(&server.base)?;
    let site = RecorderSite::start(&server.base, &proxy.dsn(&server.dsn)?)?;
    let browser = Browser::start()?;
    browser.set_script_timeout(Duration::from_secs(30))?;
    Ok(Setup {
        _server: server,
        proxy,
        site,
        browser,
    })
}

fn replay_id(browser: &Browser) -> Result<String> {
    let id = browser.wait_until(
        "window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    Ok(id.as_str().context("replay id")?.to_owned())
}

fn run(browser: &Browser, script: &str) -> Result<Value> {
    browser.eval(script, &[])
}

/// `Sightline.flush()`, resolved once the attempts under way ended.
fn flush(browser: &Browser) -> Result<()> {
    browser
        .eval_async(
            "const done = arguments[0]; Sightline.flush().then(() => done(null));",
            &[],
        )
        .map(drop)
}

/// The recorder's own console messages since the last call.
fn sightline_messages(browser: &Browser) -> Result<Vec<String>> {
    Ok(browser
        .console()?
        .into_iter()
        .filter(|line| line.contains("Sightline:"))
        .collect())
}

/// Checks that the page's own scripts work and that nothing reached its error handlers.
fn page_is_unharmed(browser: &Browser) -> Result<()> {
    let works = browser.eval_async(
        "const done = arguments[0];
         pageWorks().then(done, (e) => done({ error: String(e) }));",
        &[],
    )?;
    ensure!(
        works["status"] == 200 && works["json"]["b"] == "x" && works["clicks"].as_u64() >= Some(1),
        "the page's own click handler and request: {works}"
    );
    let errors = run(browser, "return window.pageErrors;")?;
    ensure!(
        errors.as_array().is_some_and(Vec::is_empty),
        "errors reached the page: {errors}"
    );
    Ok(())
}

fn events(segments: &[DecodedSegment]) -> impl Iterator<Item = &EventData> {
    segments
        .iter()
        .flat_map(|segment| segment.events.iter().map(|event| &event.data))
}

/// Whether a delivered segment holds a breadcrumb (or other event) mentioning `text`.
fn delivered_mentions(proxy: &FaultProxy, text: &str) -> bool {
    events(&proxy.delivered()).any(|event| format!("{event:?}").contains(text))
}

/// Adds a breadcrumb `marker`, flushes until a delivered segment holds it, and returns every
/// delivered segment: since segments are delivered in order, everything cut before is then
/// delivered or dropped.
fn deliver_marker(setup: &Setup, marker: &str) -> Result<Vec<DecodedSegment>> {
    run(
        &setup.browser,
        &format!("Sightline.addBreadcrumb({{ message: '{marker}' }});"),
    )?;
    wait_for(
        &format!("the segment with {marker} delivered"),
        Duration::from_secs(90),
        || {
            flush(&setup.browser)?;
            Ok(delivered_mentions(&setup.proxy, marker).then(|| setup.proxy.delivered()))
        },
    )
}

fn indexes(segments: &[DecodedSegment]) -> Vec<u32> {
    segments
        .iter()
        .map(|segment| segment.header.index)
        .collect()
}

fn strictly_increasing(indexes: &[u32]) -> bool {
    indexes.windows(2).all(|pair| pair[0] < pair[1])
}

/// The payloads of the `sightline.dropped` events delivered.
fn dropped_reports(segments: &[DecodedSegment]) -> Result<Vec<Value>> {
    events(segments)
        .filter_map(|event| match event {
            EventData::Custom { tag, payload } if tag == "sightline.dropped" => Some(payload),
            _ => None,
        })
        .map(|payload| Ok(serde_json::from_str(payload)?))
        .collect()
}

#[test]
fn an_outage_keeps_errors_and_the_newest_data_within_the_bound_and_delivers_it_after() -> Result<()>
{
    let setup = setup()?;
    let browser = &setup.browser;
    browser.goto(&setup.site.url("/busy.html"))?;
    let replay = replay_id(browser)?;
    deliver_marker(&setup, "online")?;

    setup.proxy.set(Fault::Down);
    let bursts = 12;
    for burst in 0..bursts {
        run(browser, &format!("burst(20, 'offline {burst}');"))?;
        if burst == 3 {
            run(
                browser,
                "Sightline.captureException(new Error('offline checkout failed'));",
            )?;
        }
        flush(browser)?;
    }
    page_is_unharmed(browser)?;
    let failed = setup.proxy.attempts().len();

    setup.proxy.set(Fault::Pass);
    deliver_marker(&setup, "back online")?;
    // The report of what was dropped goes into a segment cut once the server answers again.
    let delivered = wait_for("the drop report delivered", Duration::from_secs(60), || {
        flush(browser)?;
        let delivered = setup.proxy.delivered();
        Ok((!dropped_reports(&delivered)?.is_empty()).then_some(delivered))
    })?;
    let indexes = indexes(&delivered);
    ensure!(
        delivered
            .iter()
            .all(|segment| segment.header.replay_id == replay),
        "one replay"
    );
    ensure!(
        strictly_increasing(&indexes),
        "delivered in order, each once: {indexes:?}"
    );
    ensure!(
        events(&delivered).any(|event| matches!(event, EventData::JsError(error)
            if format!("{error:?}").contains("offline checkout failed"))),
        "the segment with the error was kept through the outage"
    );
    let last = *indexes.last().context("segments delivered")?;
    let missing: Vec<u32> = (0..=last).filter(|i| !indexes.contains(i)).collect();
    let reports = dropped_reports(&delivered)?;
    let reported: u64 = reports
        .iter()
        .map(|report| report["overflow_segments"].as_u64().unwrap_or(0))
        .sum();
    let dropped_bytes: u64 = reports
        .iter()
        .map(|report| report["bytes"].as_u64().unwrap_or(0))
        .sum();
    ensure!(
        !missing.is_empty(),
        "{bursts} bursts over a {BOUND}-byte bound must drop some segments"
    );
    ensure!(
        reported == u64::try_from(missing.len())?,
        "a later segment reports exactly the dropped segments: missing {missing:?}, reports {reports:?}"
    );
    ensure!(
        missing.iter().all(|index| *index > 0),
        "the oldest delivered data was not dropped"
    );
    let messages = sightline_messages(browser)?;
    ensure!(
        messages.len() <= 1,
        "one console message at most: {messages:?}"
    );
    page_is_unharmed(browser)?;
    println!(
        "outage: {} segments cut, {} failed attempts while down, {} delivered after, {} dropped \
         ({dropped_bytes} bytes, bound {BOUND}) and reported, error segment kept",
        last + 1,
        failed,
        indexes.len(),
        missing.len()
    );
    Ok(())
}

#[test]
fn rate_limits_server_errors_and_a_slow_server_are_waited_out_in_order() -> Result<()> {
    let setup = setup()?;
    let browser = &setup.browser;
    browser.goto(&setup.site.url("/busy.html"))?;
    replay_id(browser)?;
    deliver_marker(&setup, "first")?;
    let seen = setup.proxy.attempts().len();

    setup.proxy.set(Fault::Status(429, Some(3)));
    run(browser, "burst(5, 'limited');")?;
    flush(browser)?;
    wait_for("a 429 answered", Duration::from_secs(30), || {
        Ok(setup
            .proxy
            .attempts()
            .iter()
            .any(|a| a.status == 429)
            .then_some(()))
    })?;
    setup.proxy.set(Fault::Status(500, None));
    let attempts = wait_for("the retry after the 429", Duration::from_secs(30), || {
        let attempts = setup.proxy.attempts();
        Ok(attempts.iter().any(|a| a.status == 500).then_some(attempts))
    })?;
    let limited = attempts[seen..]
        .iter()
        .position(|a| a.status == 429)
        .context("the 429")?
        + seen;
    let waited = attempts[limited + 1].at - attempts[limited].at;
    ensure!(
        waited >= Duration::from_secs(3),
        "Retry-After: 3 was honoured (the first backoff is 1 s): retried after {waited:?}"
    );
    // A slow server: later segments queue behind the slow one.
    setup.proxy.set(Fault::Slow(Duration::from_secs(2)));
    run(browser, "burst(5, 'slow');")?;
    flush(browser)?;
    page_is_unharmed(browser)?;
    let delivered = deliver_marker(&setup, "recovered")?;
    let indexes = indexes(&delivered);
    let last = *indexes.last().context("segments delivered")?;
    ensure!(
        indexes == (0..=last).collect::<Vec<_>>(),
        "every segment delivered once, in order, none dropped: {indexes:?}"
    );
    ensure!(
        delivered_mentions(&setup.proxy, "limited") || last > 2,
        "the rate-limited segment arrived"
    );
    let messages = sightline_messages(browser)?;
    ensure!(
        messages.len() <= 1,
        "one console message at most: {messages:?}"
    );
    println!(
        "429/500/slow: retry after the 429 came {waited:?} later (Retry-After: 3), {} attempts, \
         {} segments delivered in order",
        setup.proxy.attempts().len(),
        indexes.len()
    );
    Ok(())
}

/// How many records the outbox's IndexedDB store holds.
fn stored_records(browser: &Browser) -> Result<u64> {
    let count = browser.eval_async(
        "const done = arguments[0];
         const open = indexedDB.open('sightline-outbox');
         open.onerror = () => done(-1);
         open.onsuccess = () => {
           const db = open.result;
           if (!db.objectStoreNames.contains('segments')) { db.close(); return done(0); }
           const count = db.transaction('segments').objectStore('segments').count();
           count.onsuccess = () => { db.close(); done(count.result); };
           count.onerror = () => { db.close(); done(-1); };
         };",
        &[],
    )?;
    count.as_u64().context("a record count")
}

#[test]
fn unsent_segments_survive_a_reload_and_are_sent_after_it_in_order_once() -> Result<()> {
    let setup = setup()?;
    let browser = &setup.browser;
    let url = setup.site.url("/busy.html");
    browser.goto(&url)?;
    let replay = replay_id(browser)?;
    deliver_marker(&setup, "online")?;

    setup.proxy.set(Fault::Down);
    run(
        browser,
        "Sightline.addBreadcrumb({ message: 'before reload' }); burst(3, 'offline');",
    )?;
    flush(browser)?;
    run(browser, "burst(3, 'still offline');")?;
    flush(browser)?;
    browser.goto(&url)?;
    let continued = replay_id(browser)?;
    ensure!(continued == replay, "the reload continues the replay");
    let stored = stored_records(browser)?;
    ensure!(stored > 0, "the unsent segments were kept in IndexedDB");
    page_is_unharmed(browser)?;

    setup.proxy.set(Fault::Pass);
    let delivered = deliver_marker(&setup, "after reload")?;
    let indexes = indexes(&delivered);
    let last = *indexes.last().context("segments delivered")?;
    ensure!(
        indexes == (0..=last).collect::<Vec<_>>(),
        "every segment delivered once, in order, none lost across the reload: {indexes:?}"
    );
    ensure!(
        delivered_mentions(&setup.proxy, "before reload"),
        "the first page's unsent segment arrived"
    );
    ensure!(
        delivered
            .iter()
            .all(|segment| segment.header.replay_id == replay),
        "one replay"
    );
    wait_for("IndexedDB emptied", Duration::from_secs(20), || {
        Ok((stored_records(browser)? == 0).then_some(()))
    })?;
    println!(
        "reload: {stored} segments kept in IndexedDB across the reload, {} delivered in order \
         after it, none twice",
        indexes.len()
    );
    Ok(())
}

#[test]
fn a_page_whose_csp_forbids_webassembly_is_left_alone_with_one_message() -> Result<()> {
    let setup = setup()?;
    let browser = &setup.browser;
    browser.goto(&setup.site.url("/csp-no-wasm.html"))?;
    let started = browser.eval_async(
        "const done = arguments[0];
         Sightline.init({ dsn: document.querySelector('script[data-dsn]').dataset.dsn })
           .then(done, (e) => done('rejected: ' + e));",
        &[],
    )?;
    ensure!(started.is_null(), "init resolves to null: {started}");
    ensure!(
        run(browser, "return Sightline.getReplayId();")?.is_null(),
        "no replay"
    );
    run(
        browser,
        "Sightline.captureException(new Error('x')); Sightline.addBreadcrumb({ message: 'y' });",
    )?;
    flush(browser)?;
    page_is_unharmed(browser)?;
    let messages = sightline_messages(browser)?;
    ensure!(
        messages.len() == 1,
        "exactly one console message: {messages:?}"
    );
    ensure!(setup.proxy.attempts().is_empty(), "nothing uploaded");
    println!(
        "CSP without 'wasm-unsafe-eval': recorder off, one message: {}",
        messages[0]
    );
    Ok(())
}

#[test]
fn a_page_whose_csp_blocks_the_upload_origin_turns_recording_off_with_one_message() -> Result<()> {
    let setup = setup()?;
    let browser = &setup.browser;
    browser.goto(&setup.site.url("/csp-no-connect.html"))?;
    replay_id(browser)?;
    run(browser, "burst(3, 'blocked');")?;
    flush(browser)?;
    browser.wait_until("Sightline.getReplayId() === null", Duration::from_secs(20))?;
    // Further calls do nothing and say nothing more.
    run(
        browser,
        "burst(3, 'more'); Sightline.captureException(new Error('after'));",
    )?;
    flush(browser)?;
    page_is_unharmed(browser)?;
    let messages = sightline_messages(browser)?;
    ensure!(
        messages.len() == 1 && messages[0].contains("Content-Security-Policy"),
        "exactly one console message, about the CSP: {messages:?}"
    );
    ensure!(
        setup.proxy.attempts().is_empty(),
        "nothing reached the upload origin"
    );
    println!(
        "CSP connect-src blocking uploads: recorder off, one message: {}",
        messages[0]
    );
    Ok(())
}
