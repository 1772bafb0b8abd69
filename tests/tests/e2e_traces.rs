//! One failing request followed across services, with real clients only: the real recorder in
//! headless Chromium on a page served by "gateway" (a WSGI service with the official Python
//! `sentry-sdk`), whose checkout calls "billing" (another one) over HTTP with the standard
//! library, which the SDK instruments; billing raises. The trace API must put the browser's
//! request, gateway's transaction, its outgoing `http.client` span, billing's transaction and
//! billing's error in one tree, parent before child, name billing as the failing service, and
//! list the logs both services sent for that trace; the viewer's trace page must name billing as
//! the service that failed.
//!
//! The same path through the demo shop's two Rust services (official `sentry` crate): the shop's
//! checkout transaction, its `http.client` call to payments, payments' transaction holding the
//! timeout it reported, and the logs of both.
//!
//! The Python test needs `python3` with `venv` and PyPI access on the first run;
//! `SIGHTLINE_SKIP_SDK_TESTS=1` skips it.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use sightline_protocol::v1::{EventData, NetworkRequest, is_hex_id};
use sightline_tests::browser::Browser;
use sightline_tests::python::{Backend, sdk_python, skipped};
use sightline_tests::server::{Server, Shop, project_root};
use sightline_tests::wait_for;

/// The checkout request the recorder uploaded for `replay_id`.
fn recorded_checkout(server: &Server, replay_id: &str) -> Result<NetworkRequest> {
    let mut checkout = None;
    for segment in server.segments(replay_id)? {
        for event in segment.events {
            if let EventData::NetworkRequest(request) = event.data
                && request.url.ends_with("/api/checkout")
            {
                checkout = Some(request);
            }
        }
    }
    checkout.context("the checkout request was not recorded")
}

/// The trace once it holds both services' transactions, billing's error and the logs of both
/// (30 s at most: the server processes what arrives in the background).
fn complete_trace(server: &Server, trace_id: &str) -> Result<Value> {
    wait_for(
        "the trace with both transactions, the error and the logs",
        Duration::from_secs(30),
        || {
            let (status, trace) = server.api(&format!("/api/0/traces/{trace_id}/"))?;
            if status != 200 {
                return Ok(None);
            }
            let count = |key: &str, kind: Option<&str>| {
                trace[key].as_array().map_or(0, |items| {
                    items
                        .iter()
                        .filter(|item| kind.is_none_or(|kind| item["kind"] == kind))
                        .count()
                })
            };
            let complete = count("spans", Some("transaction")) >= 2
                && count("spans", Some("browser")) >= 1
                && count("events", None) >= 1
                && count("logs", None) >= 3;
            Ok(complete.then_some(trace))
        },
    )
}

/// The one span of `trace` that `matches`.
fn one_span<'a>(
    trace: &'a Value,
    what: &str,
    matches: impl Fn(&Value) -> bool,
) -> Result<&'a Value> {
    let found: Vec<&Value> = trace["spans"]
        .as_array()
        .context("spans")?
        .iter()
        .filter(|span| matches(span))
        .collect();
    ensure!(
        found.len() == 1,
        "one {what} expected, found {}: {trace:#}",
        found.len()
    );
    Ok(found[0])
}

#[test]
fn a_click_is_followed_through_gateway_to_the_billing_error() -> Result<()> {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return Ok(());
    }
    let python = sdk_python("sdk-venv", false)?;
    let server = Server::start()?;
    let billing = Backend::start_script(&python, "billing.py", &server.dsn, &[])?;
    let sdk = format!("{}/sdk/sightline.js", server.base);
    let billing_url = billing.base();
    let gateway = Backend::start_script(
        &python,
        "gateway.py",
        &server.dsn,
        &[("SIGHTLINE_SDK_URL", &sdk), ("BILLING_URL", &billing_url)],
    )?;
    let browser = Browser::start()?;

    browser.goto(&format!("{}/", gateway.base()))?;
    browser.wait_until(
        "window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    browser.click("#pay")?;
    browser.wait_until(
        "document.getElementById('status').textContent === 'checkout 502'",
        Duration::from_secs(15),
    )?;
    let replay_id = browser.flush_recording()?;
    browser.screenshot(&project_root().join("target/e2e/traces-gateway.png"))?;
    billing.flush()?;
    gateway.flush()?;

    let checkout = recorded_checkout(&server, &replay_id)?;
    ensure!(is_hex_id(&checkout.trace_id, 32), "{checkout:?}");
    let trace = complete_trace(&server, &checkout.trace_id)?;
    assert_eq!(trace["trace_id"], checkout.trace_id.as_str());

    // The browser's request starts the tree…
    let request = one_span(&trace, "browser request", |span| span["kind"] == "browser")?;
    assert_eq!(request["span_id"], checkout.span_id.as_str(), "{request}");
    assert_eq!(request["parent_span_id"], Value::Null, "{request}");
    assert_eq!(request["service"], "browser");
    assert_eq!(request["replay_id"], replay_id.as_str());
    assert_eq!(request["op"], "http.client");
    ensure!(
        request["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("POST ") && d.ends_with("/api/checkout")),
        "{request}"
    );
    // …gateway's transaction continues it…
    let gateway_tx = one_span(&trace, "gateway transaction", |span| {
        span["kind"] == "transaction" && span["service"] == "gateway"
    })?;
    assert_eq!(
        gateway_tx["parent_span_id"],
        checkout.span_id.as_str(),
        "{gateway_tx}"
    );
    assert_eq!(
        gateway_tx["transaction"], "POST /api/checkout",
        "{gateway_tx}"
    );
    // …its call to billing is a child span of it…
    let call = one_span(&trace, "gateway's call to billing", |span| {
        span["op"] == "http.client" && span["service"] == "gateway"
    })?;
    assert_eq!(call["kind"], "span");
    assert_eq!(call["parent_span_id"], gateway_tx["span_id"], "{call}");
    ensure!(
        call["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("POST ") && d.ends_with("/charge")),
        "{call}"
    );
    // …billing's transaction is the child of that call…
    let billing_tx = one_span(&trace, "billing transaction", |span| {
        span["kind"] == "transaction" && span["service"] == "billing"
    })?;
    assert_eq!(
        billing_tx["parent_span_id"], call["span_id"],
        "{billing_tx}"
    );
    assert_eq!(billing_tx["status"], "internal_error", "{billing_tx}");
    assert_eq!(billing_tx["transaction"], "POST /charge", "{billing_tx}");
    // …and the error happened there.
    let events = trace["events"].as_array().context("events")?;
    assert_eq!(events.len(), 1, "{trace:#}");
    let error = &events[0];
    assert_eq!(error["service"], "billing", "{error}");
    ensure!(
        error["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("KeyError")),
        "{error}"
    );
    assert_eq!(error["span_id"], billing_tx["span_id"], "{error}");
    assert_eq!(error["replay_id"], replay_id.as_str(), "{error}");
    let error_id = error["id"].as_str().context("event id")?;
    ensure!(
        billing_tx["error_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id == error_id)),
        "billing's transaction holds the error: {billing_tx}"
    );
    assert_eq!(trace["failing_service"], "billing", "{trace:#}");
    let services: Vec<&str> = trace["services"]
        .as_array()
        .context("services")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for service in ["browser", "gateway", "billing"] {
        ensure!(
            services.contains(&service),
            "{service} missing from {services:?}"
        );
    }
    ensure!(
        trace["replay_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id == replay_id.as_str())),
        "{trace:#}"
    );

    // Spans come by start time.
    let starts: Vec<f64> = trace["spans"]
        .as_array()
        .context("spans")?
        .iter()
        .filter_map(|span| span["start_ms"].as_f64())
        .collect();
    ensure!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "spans not sorted by start: {starts:?}"
    );

    // The logs of both services, at the spans that wrote them.
    let logs = trace["logs"].as_array().context("logs")?;
    let log = |service: &str, text: &str| {
        logs.iter()
            .find(|log| {
                log["service"] == service
                    && log["message"].as_str().is_some_and(|m| m.contains(text))
            })
            .with_context(|| format!("no {service} log with {text:?}: {logs:#?}"))
    };
    let calling = log("gateway", "calls billing")?;
    assert_eq!(calling["level"], "info", "{calling}");
    let failed = log("gateway", "billing answered 500")?;
    assert_eq!(failed["level"], "error", "{failed}");
    let charging = log("billing", "charging 4000 cents in EUR")?;
    assert_eq!(charging["level"], "info", "{charging}");

    // The viewer's trace page names billing as the service that failed and marks its span.
    browser.goto(&format!(
        "{}/traces/{}?token={}",
        server.base, checkout.trace_id, server.token
    ))?;
    let failing = browser.wait_until(
        "(document.querySelector('[data-sl-failing-service]') || {}).textContent",
        Duration::from_secs(30),
    )?;
    assert_eq!(failing, "billing", "the trace page's failing service");
    let marked = browser.eval(
        "return Array.from(document.querySelectorAll('[data-sl-span-error]'))\
         .map(row => row.dataset.slService);",
        &[],
    )?;
    ensure!(
        marked
            .as_array()
            .is_some_and(|services| !services.is_empty()
                && services.iter().all(|service| service == "billing")),
        "the error is marked on billing's span only: {marked}"
    );
    browser.screenshot(&project_root().join("target/e2e/traces-page.png"))?;
    Ok(())
}

#[test]
fn the_demo_shops_checkout_is_followed_to_the_payments_timeout() -> Result<()> {
    const TRACE_ID: &str = "5e1f0c2b3a4d4e6f8a9b0c1d2e3f4a5b";
    const BROWSER_SPAN: &str = "c0ffee00c0ffee00";
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let sentry_trace = format!("{TRACE_ID}-{BROWSER_SPAN}-1");
    let (status, body) = shop.checkout(&[1, 3], &[("sentry-trace", &sentry_trace)])?;
    ensure!(status == 500, "checkout answered {status}: {body}");
    let event_id = body["event_id"].as_str().context("no event_id")?;

    let trace = wait_for(
        "the shop's and payments' transactions and the error",
        Duration::from_secs(30),
        || {
            let (status, trace) = server.api(&format!("/api/0/traces/{TRACE_ID}/"))?;
            let transactions = trace["spans"].as_array().map_or(0, |spans| {
                spans
                    .iter()
                    .filter(|span| span["kind"] == "transaction")
                    .count()
            });
            let events = trace["events"].as_array().map_or(0, Vec::len);
            let logs = trace["logs"].as_array().map_or(0, Vec::len);
            Ok((status == 200 && transactions >= 2 && events >= 1 && logs >= 3).then_some(trace))
        },
    )?;
    let checkout = one_span(&trace, "the shop's checkout", |span| {
        span["kind"] == "transaction" && span["service"] == "shop-backend"
    })?;
    assert_eq!(checkout["parent_span_id"], BROWSER_SPAN, "{checkout}");
    assert_eq!(checkout["transaction"], "POST /api/checkout", "{checkout}");
    let call = one_span(&trace, "the shop's call to payments", |span| {
        span["op"] == "http.client" && span["service"] == "shop-backend"
    })?;
    assert_eq!(call["parent_span_id"], checkout["span_id"], "{call}");
    assert_eq!(call["status"], "deadline_exceeded", "{call}");
    let payments = one_span(&trace, "payments' transaction", |span| {
        span["kind"] == "transaction" && span["service"] == "payments"
    })?;
    assert_eq!(payments["parent_span_id"], call["span_id"], "{payments}");
    let authorize = one_span(&trace, "the authorization step", |span| {
        span["op"] == "payment.authorize"
    })?;
    assert_eq!(
        authorize["parent_span_id"], payments["span_id"],
        "{authorize}"
    );
    assert_eq!(authorize["status"], "deadline_exceeded", "{authorize}");

    let events = trace["events"].as_array().context("events")?;
    assert_eq!(
        events.len(),
        1,
        "one error, reported by payments: {trace:#}"
    );
    assert_eq!(events[0]["id"], event_id);
    assert_eq!(events[0]["service"], "payments");
    assert_eq!(events[0]["span_id"], payments["span_id"], "{trace:#}");
    assert_eq!(trace["failing_service"], "payments", "{trace:#}");
    // The error's issue leads to this trace.
    let (status, event) = server.api(&format!("/api/0/events/{event_id}/"))?;
    ensure!(status == 200, "GET event answered {status}: {event}");
    let issue_id = event["issue_id"].as_str().context("the event's issue")?;
    let (status, issue) = server.api(&format!("/api/0/issues/{issue_id}/"))?;
    ensure!(status == 200, "GET issue answered {status}: {issue}");
    assert_eq!(issue["latest_trace_id"], TRACE_ID, "{issue}");

    // The logs both services wrote in that trace, with the service that wrote them.
    let logs = trace["logs"].as_array().context("logs")?;
    for (service, level, text) in [
        (
            "shop-backend",
            "info",
            "asks payments to authorize 31800 cents",
        ),
        (
            "shop-backend",
            "error",
            "payments did not authorize the checkout",
        ),
        (
            "payments",
            "info",
            "authorizing 31800 cents with the provider",
        ),
    ] {
        ensure!(
            logs.iter().any(|log| log["service"] == service
                && log["level"] == level
                && log["message"].as_str().is_some_and(|m| m.contains(text))),
            "no {level} log of {service} with {text:?}: {logs:#?}"
        );
    }
    Ok(())
}
