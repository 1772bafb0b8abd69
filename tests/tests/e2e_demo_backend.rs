//! The demo shop's real backend (`sightline-demo-shop`: the shop API and the payments service it
//! calls, both instrumented with the official Rust `sentry` crate) reporting to the real
//! `sightline` binary. Without a browser: a replay segment recorded a traced checkout request;
//! the same `sentry-trace`/`baggage` pair goes to the shop's checkout, whose call to payments
//! times out, so the shop answers 500; the payments service's event must arrive linked to that
//! replay and to that exact request. The crate sends no `trace` envelope header and no
//! compression, so the link comes from the `baggage` the shop passes on to payments (which
//! `sentry-tower` records on the event) or, without baggage, from the trace id alone (the
//! event's parent span is the shop's call to payments, not the browser's request). With the
//! browser: the real recorder on the shop page, and a click on "Checkout".

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use sightline_protocol::encode_segment;
use sightline_protocol::v1::{Compression, Event, EventData, NetworkRequest, SegmentHeader};
use sightline_tests::browser::Browser;
use sightline_tests::checkout;
use sightline_tests::server::{SHOP_ENVIRONMENT, SHOP_RELEASE, Server, Shop};
use sightline_tests::wait_for;

/// Start of the recorded segment: 2026-11-26T06:08:56.123Z.
const T0: u64 = 1_795_673_336_123;

/// How long the checkout request took in the browser.
const REQUEST_MS: u32 = 180;

/// One page view's ids, as the recorder would pick them.
struct PageView {
    replay_id: &'static str,
    trace_id: &'static str,
    span_id: &'static str,
}

/// Uploads segment 0 of `view`'s replay: the page, a second of browsing, then the checkout
/// request that failed with a 500, carrying `view`'s trace and span ids.
fn upload_recorded_checkout(server: &Server, shop: &Shop, view: &PageView) -> Result<()> {
    let header = SegmentHeader::new(view.replay_id, 0, 1, T0)
        .with_release(SHOP_RELEASE)
        .with_environment(SHOP_ENVIRONMENT)
        .with_end(T0 + 1000 + u64::from(REQUEST_MS));
    let events = [
        Event::new(
            0,
            EventData::Meta {
                href: format!("{}/", shop.base),
                width: 1280,
                height: 800,
                user_agent: "e2e".into(),
            },
        ),
        Event::new(
            1000 + REQUEST_MS,
            EventData::NetworkRequest(NetworkRequest {
                method: "POST".into(),
                url: format!("{}/api/checkout", shop.base),
                status: 500,
                duration: REQUEST_MS,
                trace_id: view.trace_id.into(),
                span_id: view.span_id.into(),
                response_size: None,
            }),
        ),
    ];
    let bytes = encode_segment(&header, &events, Compression::DeflateRaw)?;
    let key = server
        .dsn
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split_once('@'))
        .map(|(key, _)| key)
        .context("DSN without a key")?;
    let response =
        ureq::post(&format!("{}/api/1/replay/?sentry_key={key}", server.base)).send(&bytes[..])?;
    ensure!(
        response.status() == 200,
        "segment upload answered {}",
        response.status()
    );
    Ok(())
}

/// Checks out at the shop with `headers`; returns the event id its 500 names.
fn failing_checkout(shop: &Shop, headers: &[(&str, &str)]) -> Result<String> {
    let (status, body) = shop.checkout(&[1, 3], headers)?;
    ensure!(status == 500, "checkout answered {status}: {body}");
    assert_eq!(body["error"], "payment provider timeout");
    Ok(body["event_id"].as_str().context("no event_id")?.to_owned())
}

/// Waits until Sightline has the event linked to a replay.
fn linked_event(server: &Server, event_id: &str) -> Result<Value> {
    wait_for(
        "the shop's event to be stored and linked",
        Duration::from_secs(30),
        || {
            let (status, event) = server.api(&format!("/api/0/events/{event_id}/"))?;
            Ok((status == 200 && event["replay_id"].is_string()).then_some(event))
        },
    )
}

/// What the payments service's event must say about itself and the request that failed,
/// whatever linked it.
fn assert_is_the_shops_500(event: &Value, view: &PageView, shop: &Shop) {
    assert_eq!(event["replay_id"], view.replay_id, "{event}");
    assert_eq!(event["trace_id"], view.trace_id, "{event}");
    // Its parent is the shop's call to payments, a span of the shop's transaction.
    assert!(
        event["parent_span_id"]
            .as_str()
            .is_some_and(|span| span.len() == 16 && span != view.span_id),
        "{event}"
    );
    assert_eq!(event["release"], SHOP_RELEASE);
    assert_eq!(event["environment"], SHOP_ENVIRONMENT);
    assert_eq!(event["server_name"], "payments");
    assert_eq!(event["sdk"]["name"], "sentry.rust", "{event}");
    let title = event["title"].as_str().unwrap_or_default();
    assert!(
        title.starts_with("ProviderTimeout: payment provider did not answer"),
        "{title}"
    );
    let request = &event["replay_request"];
    assert_eq!(request["method"], "POST", "{event}");
    assert_eq!(request["url"], format!("{}/api/checkout", shop.base));
    assert_eq!(request["status"], 500);
    assert_eq!(request["trace_id"], view.trace_id);
    assert_eq!(request["span_id"], view.span_id);
    assert_eq!(request["timestamp_ms"], T0 + 1000 + u64::from(REQUEST_MS));
    assert_eq!(request["segment_index"], 0);
    // On the replay's timeline the error sits at the failing request, not at the server's clock.
    assert_eq!(event["replay_offset_ms"], 1000 + REQUEST_MS, "{event}");
}

#[test]
fn the_rust_sentry_crate_links_a_checkout_500_through_the_browsers_baggage() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let view = PageView {
        replay_id: "4f1d2b8c9a7e4d3f8b6a5c4d3e2f1a0b",
        trace_id: "7c3b1a2d4e5f60718293a4b5c6d7e8f9",
        span_id: "a1b2c3d4e5f60718",
    };
    upload_recorded_checkout(&server, &shop, &view)?;
    let sentry_trace = format!("{}-{}-1", view.trace_id, view.span_id);
    let baggage = format!(
        "sentry-trace_id={},sentry-replay_id={},sentry-release=shop%401.4.2,sentry-environment=demo",
        view.trace_id, view.replay_id
    );
    let sent = Instant::now();
    let event_id = failing_checkout(
        &shop,
        &[("sentry-trace", &sentry_trace), ("baggage", &baggage)],
    )?;
    let answered = sent.elapsed();
    let event = linked_event(&server, &event_id)?;
    println!(
        "checkout request → 500 answered: {} ms, → backend 500 linked to the replay: {} ms",
        answered.as_millis(),
        sent.elapsed().as_millis()
    );
    assert_is_the_shops_500(&event, &view, &shop);
    assert_eq!(event["link_source"], "replay_id", "{event}");

    // The replay lists it too.
    let (status, linked) = server.api(&format!("/api/0/replays/{}/events/", view.replay_id))?;
    ensure!(
        status == 200,
        "GET replay events answered {status}: {linked}"
    );
    let ids: Vec<_> = linked
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|event| event["id"].as_str())
        .collect();
    assert_eq!(ids, [event_id.as_str()]);
    Ok(())
}

#[test]
fn without_baggage_the_trace_id_alone_links_the_rust_crates_event() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let view = PageView {
        replay_id: "0b1c2d3e4f5a69788796a5b4c3d2e1f0",
        trace_id: "e8f9a0b1c2d3e4f5061728394a5b6c7d",
        span_id: "9f8e7d6c5b4a3928",
    };
    upload_recorded_checkout(&server, &shop, &view)?;
    let sentry_trace = format!("{}-{}-1", view.trace_id, view.span_id);
    let event_id = failing_checkout(&shop, &[("sentry-trace", &sentry_trace)])?;
    let event = linked_event(&server, &event_id)?;
    assert_is_the_shops_500(&event, &view, &shop);
    assert_eq!(event["link_source"], "trace_id", "{event}");
    Ok(())
}

#[test]
fn a_checkout_outside_any_recorded_session_is_stored_unlinked() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let event_id = failing_checkout(&shop, &[])?;
    let event = wait_for(
        "the shop's event to be stored",
        Duration::from_secs(30),
        || {
            let (status, event) = server.api(&format!("/api/0/events/{event_id}/"))?;
            Ok((status == 200).then_some(event))
        },
    )?;
    assert_eq!(event["replay_id"], Value::Null, "{event}");
    assert_eq!(event["release"], SHOP_RELEASE);
    Ok(())
}

/// The whole demo story in headless Chromium: the shop page (its own origin) records with the
/// real recorder, the checkout click sends the recorder's trace headers to the real shop, which
/// passes the trace on to payments, whose `sentry` crate reports the error to Sightline, which
/// links it to the replay and the request.
#[test]
fn clicking_checkout_in_the_shop_links_the_backend_500_to_the_session() -> Result<()> {
    let server = Server::start()?;
    let shop = Shop::start(&server)?;
    let browser = Browser::start()?;
    checkout::fill_cart(&browser, &shop.base)?;
    let clicked = Instant::now();
    let replay_id = checkout::check_out(&browser)?;
    let linked = server.linked_events(&replay_id, 1)?.swap_remove(0);
    println!(
        "checkout click → backend 500 linked to the replay: {} ms",
        clicked.elapsed().as_millis()
    );

    // The recorded request is the one the event is tied to.
    let mut checkout = None;
    for segment in server.segments(&replay_id)? {
        for event in segment.events {
            if let EventData::NetworkRequest(request) = event.data
                && request.url.ends_with("/api/checkout")
            {
                checkout = Some(request);
            }
        }
    }
    let checkout = checkout.context("the checkout request was not recorded")?;
    assert_eq!(checkout.status, 500);
    ensure!(
        !checkout.trace_id.is_empty(),
        "the recorder sent no trace headers to its own origin"
    );
    // The replay's list places it at that request…
    assert_eq!(linked["request"]["span_id"], checkout.span_id, "{linked}");
    assert_eq!(linked["service"], "payments", "{linked}");
    // …and the event names the replay, the request and how it was linked.
    let event_id = linked["id"].as_str().context("no event id")?;
    let (status, event) = server.api(&format!("/api/0/events/{event_id}/"))?;
    ensure!(status == 200, "GET event answered {status}: {event}");
    assert_eq!(event["replay_id"], replay_id.as_str(), "{event}");
    assert_eq!(event["trace_id"], checkout.trace_id, "{event}");
    assert_eq!(event["replay_request"]["span_id"], checkout.span_id);
    assert_eq!(
        event["replay_request"]["url"],
        format!("{}/api/checkout", shop.base)
    );
    assert_eq!(event["link_source"], "replay_id", "{event}");
    assert_eq!(event["release"], SHOP_RELEASE);
    assert!(
        event["title"]
            .as_str()
            .is_some_and(|title| title.starts_with("ProviderTimeout")),
        "{event}"
    );
    Ok(())
}
