//! The shop's router with the `sentry` crate's test transport: what the backend would send to
//! Sightline when a traced checkout fails, without a network.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sentry::protocol::{Context, EnvelopeItem, Event, SpanStatus, Transaction};
use sentry::{ClientOptions, Envelope};
use sightline_demo_shop::app;
use sightline_demo_shop::page::{Page, PageSettings};
use tower::ServiceExt as _;

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID: &str = "b7ad6b7169203331";

const BROKEN_RELEASE: &str = "shop@1.4.2";

fn page(release: &str) -> Page {
    Page::new(
        PageSettings {
            sdk_base: "http://127.0.0.1:8080".into(),
            dsn: "http://abc@127.0.0.1:8080/1".into(),
            release: release.into(),
            environment: "demo".into(),
        },
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
}

/// Sends `request` through the broken release of the shop and returns the answer's status and
/// JSON body, with every envelope the sentry crate would have sent.
fn send(request: Request<Body>) -> ((StatusCode, serde_json::Value), Vec<Envelope>) {
    send_to(BROKEN_RELEASE, request)
}

/// [`send`] to a given release of the shop.
fn send_to(
    release: &str,
    request: Request<Body>,
) -> ((StatusCode, serde_json::Value), Vec<Envelope>) {
    let mut answer = None;
    let envelopes = sentry::test::with_captured_envelopes_options(
        || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            answer = Some(runtime.block_on(async {
                let response = app(page(release)).oneshot(request).await.unwrap();
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (status, serde_json::from_slice(&bytes).unwrap())
            }));
        },
        ClientOptions::new()
            .release(release.to_owned())
            .traces_sample_rate(1.0),
    );
    (answer.unwrap(), envelopes)
}

fn checkout(headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post("/api/checkout").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(r#"{"items":[1,3]}"#)).unwrap()
}

fn events(envelopes: &[Envelope]) -> Vec<Event<'static>> {
    envelopes
        .iter()
        .flat_map(Envelope::items)
        .filter_map(|item| match item {
            EnvelopeItem::Event(event) => Some((**event).clone()),
            _ => None,
        })
        .collect()
}

fn transactions(envelopes: &[Envelope]) -> Vec<Transaction<'static>> {
    envelopes
        .iter()
        .flat_map(Envelope::items)
        .filter_map(|item| match item {
            EnvelopeItem::Transaction(transaction) => Some((**transaction).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_failed_checkout_is_reported_in_the_browsers_trace() {
    let sentry_trace = format!("{TRACE_ID}-{SPAN_ID}-1");
    let baggage = format!(
        "sentry-trace_id={TRACE_ID},sentry-replay_id={},sentry-release=shop%401.4.2",
        "a".repeat(32)
    );
    let ((status, body), envelopes) = send(checkout(&[
        ("sentry-trace", &sentry_trace),
        ("baggage", &baggage),
    ]));
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "payment provider timeout");

    let [event] = events(&envelopes).try_into().unwrap();
    assert_eq!(body["event_id"], event.event_id.simple().to_string());
    let exception = event.exception.last().unwrap();
    assert_eq!(exception.ty, "ProviderTimeout");
    assert!(
        exception
            .value
            .as_deref()
            .unwrap()
            .starts_with("payment provider did not answer within 3ms"),
        "{exception:?}"
    );
    // The stack is where the timeout was noticed: the payment step, called from checkout.
    let frames = &exception.stacktrace.as_ref().unwrap().frames;
    let ours: Vec<&str> = frames
        .iter()
        .filter_map(|frame| frame.function.as_deref())
        .filter(|function| function.contains("sightline_demo_shop::"))
        .collect();
    assert!(
        ours.last()
            .is_some_and(|function| function.contains("payment::authorize")),
        "{ours:?}"
    );
    assert!(
        ours.iter()
            .any(|function| function.contains("checkout::place_order")),
        "{ours:?}"
    );
    let Some(Context::Trace(trace)) = event.contexts.get("trace") else {
        panic!("no trace context: {:?}", event.contexts);
    };
    assert_eq!(trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(trace.parent_span_id.unwrap().to_string(), SPAN_ID);
    // The request as the backend saw it, with the baggage naming the replay.
    let request = event.request.as_ref().unwrap();
    assert_eq!(request.method.as_deref(), Some("POST"));
    assert!(
        request
            .headers
            .get("baggage")
            .unwrap()
            .contains("sentry-replay_id=")
    );
    assert_eq!(
        event.tags.get("http.status_code").map(String::as_str),
        Some("500")
    );

    let [transaction] = transactions(&envelopes).try_into().unwrap();
    assert_eq!(transaction.name.as_deref(), Some("POST /api/checkout"));
    let Some(Context::Trace(transaction_trace)) = transaction.contexts.get("trace") else {
        panic!("no trace context on the transaction");
    };
    assert_eq!(transaction_trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(
        transaction_trace.parent_span_id.unwrap().to_string(),
        SPAN_ID
    );
    assert_eq!(transaction_trace.span_id, trace.span_id);
    assert_eq!(transaction_trace.status, Some(SpanStatus::InternalError));
    let payment = transaction
        .spans
        .iter()
        .find(|span| span.op.as_deref() == Some("payment.authorize"))
        .unwrap();
    assert_eq!(payment.status, Some(SpanStatus::DeadlineExceeded));
    assert_eq!(payment.parent_span_id, Some(trace.span_id));
}

#[test]
fn without_trace_headers_the_backend_starts_its_own_trace() {
    let ((status, _), envelopes) = send(checkout(&[]));
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let [event] = events(&envelopes).try_into().unwrap();
    let Some(Context::Trace(trace)) = event.contexts.get("trace") else {
        panic!("no trace context");
    };
    assert_ne!(trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(trace.parent_span_id, None);
}

#[test]
fn a_cart_the_shop_cannot_sell_is_a_400_and_not_reported() {
    let request = Request::post("/api/checkout")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"items":[]}"#))
        .unwrap();
    let ((status, body), envelopes) = send(request);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "the cart is empty");
    assert!(events(&envelopes).is_empty());
}

#[test]
fn products_are_listed() {
    let request = Request::get("/api/products").body(Body::empty()).unwrap();
    let ((status, body), _) = send(request);
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|product| product["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"Rain Jacket".to_owned()), "{names:?}");
}

#[test]
fn the_release_before_pays_and_reports_nothing() {
    let ((status, body), envelopes) = send_to("shop@1.4.1", checkout(&[]));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "paid");
    assert_eq!(body["total_cents"], 31_800);
    assert!(events(&envelopes).is_empty());
}
