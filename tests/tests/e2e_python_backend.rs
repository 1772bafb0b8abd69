//! A backend 500 joined to the session that caused it, with real clients only: the real recorder
//! in headless Chromium on a page served by a WSGI backend running the official Python
//! `sentry-sdk` (from PyPI, in a venv), and the real `sightline` binary. The page pays once with
//! `fetch` and once with `XMLHttpRequest`; both fail with a 500. The recorder stamps both
//! requests with trace headers and records them; the SDK continues the trace and sends its
//! events; each must arrive linked to the replay and to the exact request that failed, by
//! replay id and by trace and span id. Run once with plain gzip and once with `brotli`
//! installed (the SDK then compresses with `br`).
//!
//! Needs `python3` with `venv` and PyPI access on the first run; `SIGHTLINE_SKIP_SDK_TESTS=1`
//! skips.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use sightline_protocol::v1::{EventData, NetworkRequest, is_hex_id};
use sightline_tests::browser::Browser;
use sightline_tests::python::{Backend, sdk_python, skipped};
use sightline_tests::server::{Server, project_root};

/// The checkout requests the recorder uploaded for `replay_id`, in order, and every segment's
/// events as MessagePack text (for privacy checks).
fn recorded_checkouts(server: &Server, replay_id: &str) -> Result<(Vec<NetworkRequest>, String)> {
    let mut checkouts = Vec::new();
    let mut uploaded = String::new();
    for segment in server.segments(replay_id)? {
        uploaded.push_str(&String::from_utf8_lossy(&sightline_protocol::encode_body(
            &segment.events,
        )?));
        for event in segment.events {
            if let EventData::NetworkRequest(request) = event.data
                && request.url.contains("/api/checkout")
            {
                checkouts.push(request);
            }
        }
    }
    Ok((checkouts, uploaded))
}

fn backend_500s_link_to_the_browser_session(venv: &str, brotli: bool) -> Result<()> {
    let python = sdk_python(venv, brotli)?;
    let server = Server::start()?;
    let sdk = format!("{}/sdk/sightline.js", server.base);
    let backend = Backend::start(&python, &server.dsn, &[("SIGHTLINE_SDK_URL", &sdk)])?;
    let browser = Browser::start()?;

    browser.goto(&format!("{}/", backend.base()))?;
    browser.wait_until(
        "window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    browser.click("#pay-fetch")?;
    browser.wait_until(
        "document.getElementById('status').textContent.includes('fetch 500')",
        Duration::from_secs(15),
    )?;
    browser.click("#pay-xhr")?;
    browser.wait_until(
        "document.getElementById('status').textContent.includes('xhr 500')",
        Duration::from_secs(15),
    )?;
    let replay_id = browser.flush_recording()?;
    ensure!(
        is_hex_id(&replay_id, 32),
        "unexpected replay id {replay_id}"
    );
    browser.screenshot(&project_root().join(format!("target/e2e/python-backend-{venv}.png")))?;
    backend.flush()?;

    // The recorder: both requests recorded with one trace id per page view and a span each,
    // their query-string values stripped.
    let (checkouts, uploaded) = recorded_checkouts(&server, &replay_id)?;
    ensure!(
        checkouts.len() == 2,
        "two checkout requests expected: {checkouts:?}"
    );
    let trace_id = checkouts[0].trace_id.clone();
    ensure!(is_hex_id(&trace_id, 32), "{checkouts:?}");
    let mut spans = BTreeSet::new();
    for request in &checkouts {
        assert_eq!(request.method, "POST");
        assert_eq!(request.status, 500);
        assert_eq!(request.trace_id, trace_id, "one trace id per page view");
        ensure!(is_hex_id(&request.span_id, 16), "{request:?}");
        spans.insert(request.span_id.clone());
    }
    assert_eq!(spans.len(), 2, "a new span id per request: {checkouts:?}");
    let with_query = &checkouts[0];
    ensure!(
        with_query.url.starts_with(&backend.base())
            && with_query.url.ends_with("/api/checkout?cart=&coupon="),
        "absolute URL without query-string values: {}",
        with_query.url
    );
    ensure!(
        !uploaded.contains("SECRET"),
        "a query-string value reached a segment"
    );

    // The server: both backend errors linked to this replay and to their own request.
    let events = server.linked_events(&replay_id, 2)?;
    assert_eq!(events.len(), 2, "{events:?}");
    let mut linked_spans = BTreeSet::new();
    for linked in &events {
        assert_eq!(linked["title"], "ZeroDivisionError: division by zero");
        assert_eq!(linked["link_source"], "replay_id", "{linked}");
        assert_eq!(linked["trace_id"], trace_id.as_str());
        assert_eq!(linked["replay_offset_source"], "request", "{linked}");
        assert_eq!(linked["status_code"], 500);
        let span = linked["span_id"].as_str().context("span_id")?;
        ensure!(
            spans.contains(span),
            "{linked} is not at a recorded request"
        );
        assert_eq!(linked["request"]["span_id"], span);
        linked_spans.insert(span.to_owned());

        let id = linked["id"].as_str().context("event id")?;
        let (status, event) = server.api(&format!("/api/0/events/{id}/"))?;
        ensure!(status == 200, "GET event answered {status}: {event}");
        assert_eq!(event["replay_id"], replay_id.as_str());
        assert_eq!(event["trace_id"], trace_id.as_str());
        assert_eq!(
            event["parent_span_id"], span,
            "the SDK continued the request's span"
        );
        assert_eq!(event["platform"], "python");
    }
    assert_eq!(linked_spans, spans, "each error at its own request");

    let (_, replay) = server.api(&format!("/api/0/replays/{replay_id}/"))?;
    let error_ids: BTreeSet<&str> = replay["error_ids"]
        .as_array()
        .context("error_ids")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for linked in &events {
        let id = linked["id"].as_str().context("event id")?;
        ensure!(error_ids.contains(id), "{replay} does not list {id}");
    }
    Ok(())
}

#[test]
fn python_backend_500s_link_to_the_replay_with_gzip() -> Result<()> {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return Ok(());
    }
    backend_500s_link_to_the_browser_session("sdk-venv", false)
}

#[test]
fn python_backend_500s_link_to_the_replay_with_brotli() -> Result<()> {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return Ok(());
    }
    backend_500s_link_to_the_browser_session("sdk-venv-brotli", true)
}
