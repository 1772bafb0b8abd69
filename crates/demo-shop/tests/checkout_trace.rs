//! The shop and the payments service with the `sentry` crate's test transport: what both would
//! send to Sightline when a traced checkout fails, with the shop calling a real payments listener
//! on loopback in the same process.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sentry::protocol::{
    Context, EnvelopeItem, Event, ItemContainer, Log, LogLevel, SpanStatus, TraceContext,
    Transaction,
};
use sentry::{ClientOptions, Envelope};
use sightline_demo_shop::page::{Page, PageSettings};
use sightline_demo_shop::payments_client::PaymentsClient;
use sightline_demo_shop::{app, payments};
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

/// [`send`] to a given release of the shop, whose payments service (same release) listens on a
/// loopback port for the time of the request.
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
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let payments_base = format!("http://{}", listener.local_addr().unwrap());
                let service = payments::app(release);
                tokio::spawn(async move {
                    axum::serve(listener, service).await.unwrap();
                });
                let shop = app(page(release), PaymentsClient::new(&payments_base));
                let response = shop.oneshot(request).await.unwrap();
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

fn logs(envelopes: &[Envelope]) -> Vec<Log> {
    envelopes
        .iter()
        .flat_map(Envelope::items)
        .filter_map(|item| match item {
            EnvelopeItem::ItemContainer(ItemContainer::Logs(logs)) => Some(logs.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn trace_of(contexts: &std::collections::BTreeMap<String, Context>) -> &TraceContext {
    match contexts.get("trace") {
        Some(Context::Trace(trace)) => trace,
        _ => panic!("no trace context: {contexts:?}"),
    }
}

/// The transaction named `name`.
fn transaction<'a>(all: &'a [Transaction<'static>], name: &str) -> &'a Transaction<'static> {
    let found: Vec<_> = all
        .iter()
        .filter(|transaction| transaction.name.as_deref() == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "one {name} expected: {all:?}");
    found[0]
}

#[test]
fn a_failed_checkout_is_followed_from_the_shop_to_the_payments_error() {
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

    // One error, from the payments service, named by the shop's answer.
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
    // The stack is where the timeout was noticed: the payment step, called by the service.
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
            .any(|function| function.contains("payments::authorize")),
        "{ours:?}"
    );
    assert!(
        !ours.iter().any(|function| function.contains("checkout::")),
        "the shop's frames are not in the payments service's stack: {ours:?}"
    );
    // The request as the payments service saw it, with the browser's baggage naming the replay.
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
        Some("504")
    );

    // The trace: browser request → shop's transaction → its http.client call → the payments
    // service's transaction, which holds the error.
    let all = transactions(&envelopes);
    let shop = transaction(&all, "POST /api/checkout");
    let shop_trace = trace_of(&shop.contexts);
    assert_eq!(shop_trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(shop_trace.parent_span_id.unwrap().to_string(), SPAN_ID);
    assert_eq!(shop_trace.status, Some(SpanStatus::InternalError));
    let call = shop
        .spans
        .iter()
        .find(|span| span.op.as_deref() == Some("http.client"))
        .unwrap();
    assert_eq!(call.parent_span_id, Some(shop_trace.span_id));
    assert_eq!(call.status, Some(SpanStatus::DeadlineExceeded));
    assert!(
        call.description.as_deref().is_some_and(
            |d| d.starts_with("POST http://127.0.0.1:") && d.ends_with("/api/authorize")
        ),
        "{call:?}"
    );
    let payments = transaction(&all, "POST /api/authorize");
    let payments_trace = trace_of(&payments.contexts);
    assert_eq!(payments_trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(payments_trace.parent_span_id, Some(call.span_id));
    // sentry-tower gives every 5xx answer this status.
    assert_eq!(payments_trace.status, Some(SpanStatus::InternalError));
    let event_trace = trace_of(&event.contexts);
    assert_eq!(event_trace.trace_id.to_string(), TRACE_ID);
    assert_eq!(event_trace.span_id, payments_trace.span_id);
    let authorize = payments
        .spans
        .iter()
        .find(|span| span.op.as_deref() == Some("payment.authorize"))
        .unwrap();
    assert_eq!(authorize.status, Some(SpanStatus::DeadlineExceeded));
    assert_eq!(authorize.parent_span_id, Some(payments_trace.span_id));

    // Both services log into the same trace.
    let logs = logs(&envelopes);
    let log = |level: LogLevel, text: &str| {
        logs.iter()
            .find(|log| log.level == level && log.body.contains(text))
            .unwrap_or_else(|| panic!("no {level:?} log with {text:?}: {logs:?}"))
    };
    for sent in [
        log(
            LogLevel::Info,
            "checkout of 2 items asks payments to authorize 31800 cents",
        ),
        log(LogLevel::Error, "payments did not authorize the checkout"),
        log(
            LogLevel::Info,
            "authorizing 31800 cents with the provider, waiting at most 3 ms",
        ),
    ] {
        assert_eq!(
            sent.trace_id.map(|id| id.to_string()).as_deref(),
            Some(TRACE_ID)
        );
    }
}

#[test]
fn without_trace_headers_the_backend_starts_its_own_trace() {
    let ((status, _), envelopes) = send(checkout(&[]));
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let [event] = events(&envelopes).try_into().unwrap();
    let all = transactions(&envelopes);
    let shop = trace_of(&transaction(&all, "POST /api/checkout").contexts);
    assert_ne!(shop.trace_id.to_string(), TRACE_ID);
    assert_eq!(shop.parent_span_id, None);
    // The payments service still continues the shop's own trace.
    let trace = trace_of(&event.contexts);
    assert_eq!(trace.trace_id, shop.trace_id);
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
    assert_eq!(body["payment_reference"], "auth-31800");
    assert!(events(&envelopes).is_empty());
}
