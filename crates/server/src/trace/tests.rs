//! Normalization of what real SDKs send (the Python `sentry-sdk` fixtures, the shapes of the
//! Rust `sentry` crate and of span containers), hostile input, and the assembled trace.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::view::http_status;
use super::*;
use crate::link::TracedRequest;

const TRACE: &str = "0123456789abcdef0123456789abcdef";
const RECEIVED: Received = Received {
    project_id: 1,
    at_ms: 5,
};

/// The payload of item `index` of a fixture under `tests/fixtures/traces/`.
fn fixture_payload(text: &str, index: usize) -> Value {
    let line = text
        .lines()
        .filter(|l| !l.is_empty())
        .nth(2 + 2 * index)
        .unwrap();
    serde_json::from_str(line).unwrap()
}

fn python_transaction() -> Value {
    fixture_payload(
        include_str!("../../tests/fixtures/traces/python-trace-1-transaction.envelope"),
        0,
    )
}

fn python_logs() -> Value {
    fixture_payload(
        include_str!("../../tests/fixtures/traces/python-trace-2-log.envelope"),
        0,
    )
}

#[test]
fn a_python_transaction_is_its_root_span_and_child_spans() {
    let batch =
        spans_from_transaction(&python_transaction(), "e".repeat(32).as_str(), RECEIVED).unwrap();
    assert_eq!(batch.dropped, 0);
    let [root, child] = batch.spans.as_slice() else {
        panic!("{:?}", batch.spans)
    };
    assert_eq!(root.kind, SpanKind::Transaction);
    assert_eq!(root.trace_id, TRACE);
    assert_eq!(root.span_id, "82fbd125e9bdfde0");
    assert_eq!(root.parent_span_id.as_deref(), Some("89abcdef01234567"));
    assert_eq!(root.service, "billing");
    assert_eq!(root.op.as_deref(), Some("http.server"));
    assert_eq!(root.description.as_deref(), Some("POST /api/checkout"));
    assert_eq!(root.status, "unknown", "the SDK sent none");
    assert_eq!(root.end_us - root.start_us, 11_131);
    assert_eq!(root.received_at_ms, 5);
    assert_eq!(child.kind, SpanKind::Span);
    assert_eq!(child.parent_span_id.as_deref(), Some("82fbd125e9bdfde0"));
    assert_eq!(
        child.service, "billing",
        "a child span runs in its transaction's service"
    );
    assert_eq!(child.transaction.as_deref(), Some("POST /api/checkout"));
    assert_eq!(child.event_id, root.event_id);
    assert_eq!(child.data["thread.name"], "MainThread");
}

/// The Rust `sentry` crate sends times as float seconds and its spans without `trace_id`.
#[test]
fn float_second_times_and_spans_without_trace_ids_are_read() {
    let transaction = json!({
        "event_id": "f".repeat(32), "type": "transaction", "transaction": "checkout",
        "release": "payments@0.3.0", "start_timestamp": 1_795_695_529.5,
        "timestamp": 1_795_695_530.0, "contexts": {"trace": {"trace_id": TRACE.to_uppercase(),
        "span_id": "1111111111111111", "op": "http.server", "status": "internal_error"}},
        "spans": [{"span_id": "2222222222222222", "op": "http.client",
                   "start_timestamp": 1_795_695_529.6, "timestamp": 1_795_695_529.9,
                   "status": "deadline_exceeded"}],
    });
    let batch = spans_from_transaction(&transaction, "x", RECEIVED).unwrap();
    assert_eq!(batch.spans[0].service, "payments", "the release's name");
    assert_eq!(batch.spans[0].trace_id, TRACE, "lowercase");
    assert_eq!(batch.spans[0].status, "internal_error");
    assert_eq!(batch.spans[0].end_us - batch.spans[0].start_us, 500_000);
    let child = &batch.spans[1];
    assert_eq!(child.trace_id, TRACE);
    assert_eq!(child.parent_span_id.as_deref(), Some("1111111111111111"));
    assert_eq!(child.status, "deadline_exceeded");
}

#[test]
fn a_transaction_without_usable_ids_or_times_is_a_typed_error() {
    let cases = [
        (json!([]), "transaction is not a JSON object"),
        (
            json!({"start_timestamp": 1.0}),
            "transaction has no contexts.trace",
        ),
        (
            json!({"contexts": {"trace": {"trace_id": "nope", "span_id": "1111111111111111"}}}),
            "trace_id is not 32 hex digits",
        ),
        (
            json!({"contexts": {"trace": {"trace_id": TRACE}}, "start_timestamp": 1.0}),
            "transaction has no span_id",
        ),
        (
            json!({"contexts": {"trace": {"trace_id": TRACE, "span_id": "1111111111111111"}},
                   "start_timestamp": "tomorrow"}),
            "start_timestamp is not a time",
        ),
    ];
    for (payload, message) in cases {
        let error = spans_from_transaction(&payload, "x", RECEIVED).unwrap_err();
        assert!(error.to_string().contains(message), "{error} / {message}");
    }
}

#[test]
fn hostile_transactions_are_bounded_and_bad_children_dropped() {
    let mut transaction = python_transaction();
    let child = transaction["spans"][0].clone();
    let mut spans: Vec<Value> = (0..1_500_u64)
        .map(|id| {
            let mut span = child.clone();
            span["span_id"] = json!(format!("{:016x}", id + 1));
            span["description"] = json!("q".repeat(100_000));
            span["data"] =
                json!({"deep": {"a": {"b": {"c": {"d": 1}}}}, "long": "x".repeat(9_000)});
            span
        })
        .collect();
    spans[0] = json!("not a span");
    spans[1]["span_id"] = json!(12);
    spans[2]["start_timestamp"] = json!(f64::MAX);
    spans[3]["timestamp"] = json!("1970-01-01T00:00:00Z");
    transaction["spans"] = Value::Array(spans);
    transaction["tags"] = json!({"service": "s".repeat(10_000)});
    let batch = spans_from_transaction(&transaction, "x", RECEIVED).unwrap();
    assert_eq!(batch.spans.len(), 1 + MAX_SPANS_PER_TRANSACTION - 3);
    assert_eq!(batch.dropped, 3 + 500);
    assert_eq!(
        batch.first_error,
        Some(TraceError::NotAnObject { what: "span" })
    );
    assert_eq!(batch.spans[0].service.chars().count(), MAX_NAME_CHARS);
    let ended_before_start = batch
        .spans
        .iter()
        .find(|s| s.span_id == "0000000000000004")
        .unwrap();
    assert_eq!(ended_before_start.end_us, ended_before_start.start_us);
    let span = &batch.spans[1];
    assert_eq!(
        span.description.as_ref().unwrap().chars().count(),
        MAX_NAME_CHARS
    );
    assert_eq!(
        span.data["long"].as_str().unwrap().chars().count(),
        MAX_DATA_STRING_CHARS
    );
    assert_eq!(span.data["deep"]["a"]["b"]["c"], json!("…"));
}

#[test]
fn standalone_spans_alone_or_in_a_container() {
    let single = json!({
        "trace_id": TRACE, "span_id": "3333333333333333", "parent_span_id": "1111111111111111",
        "op": "db", "description": "SELECT 1", "start_timestamp": 10.0, "timestamp": 10.5,
        "tags": {"service": "auth"}, "is_segment": false,
    });
    let batch = spans_from_item(&single, RECEIVED).unwrap();
    assert_eq!(batch.spans[0].service, "auth");
    assert_eq!(batch.spans[0].kind, SpanKind::Span);
    assert_eq!(batch.spans[0].event_id, None);

    let container = json!({"items": [
        {"trace_id": TRACE, "span_id": "4444444444444444", "name": "GET /login",
         "is_segment": true, "status": "error", "start_timestamp": 10.0, "end_timestamp": 11.0,
         "attributes": {"sentry.op": {"type": "string", "value": "http.server"},
                        "service.name": {"type": "string", "value": "auth"},
                        "sentry.segment.name": {"type": "string", "value": "GET /login"}}},
        {"trace_id": TRACE, "start_timestamp": 10.0},
        7,
    ]});
    let batch = spans_from_item(&container, RECEIVED).unwrap();
    assert_eq!(batch.spans.len(), 1);
    assert_eq!(batch.dropped, 2);
    let span = &batch.spans[0];
    assert_eq!(span.kind, SpanKind::Transaction);
    assert_eq!(span.service, "auth");
    assert_eq!(span.op.as_deref(), Some("http.server"));
    assert_eq!(span.description.as_deref(), Some("GET /login"));
    assert_eq!(span.transaction.as_deref(), Some("GET /login"));
    assert_eq!(span.end_us - span.start_us, 1_000_000);
    assert_eq!(
        span.data["sentry.op"], "http.server",
        "attributes kept as plain values"
    );

    assert!(matches!(
        spans_from_item(&json!({"trace_id": TRACE}), RECEIVED),
        Err(TraceError::Missing {
            field: "span_id",
            ..
        })
    ));
    assert!(spans_from_item(&json!("x"), RECEIVED).is_err());
}

#[test]
fn python_logs_keep_level_message_span_and_plain_attributes() {
    let batch = logs_from_item(&python_logs(), RECEIVED).unwrap();
    assert_eq!(batch.dropped, 0);
    let [started, slow] = batch.logs.as_slice() else {
        panic!("{:?}", batch.logs)
    };
    assert_eq!(started.level, "info");
    assert_eq!(started.message, "checkout for cart-42 started");
    assert_eq!(started.trace_id, TRACE);
    assert_eq!(started.span_id.as_deref(), Some("82fbd125e9bdfde0"));
    assert_eq!(started.service, "billing-host", "server.address");
    assert_eq!(
        started.attributes["sentry.message.parameter.cart"],
        "cart-42"
    );
    assert_eq!(slow.level, "warn");
    assert_eq!(slow.span_id.as_deref(), Some("a8d8edc620b360f2"));
    assert_eq!(slow.timestamp_us, 1_795_695_529_209_473);
}

#[test]
fn hostile_logs_are_bounded_and_bad_entries_dropped() {
    let good = python_logs()["items"][0].clone();
    let mut items: Vec<Value> = vec![good.clone(); 1_200];
    items[0] = json!(null);
    items[1]["trace_id"] = json!("z".repeat(5_000));
    items[2]["timestamp"] = json!(-5);
    items[3] = json!({"timestamp": 1.0, "body": "no trace"});
    items[4]["body"] = json!("m".repeat(100_000));
    items[4]["attributes"] = (0..500)
        .map(|i| (format!("k{i}"), json!({"value": "v", "type": "string"})))
        .collect::<serde_json::Map<_, _>>()
        .into();
    items[5]["span_id"] = json!("not hex");
    items[5]["level"] = json!("ERROR");
    let batch = logs_from_item(&json!({ "items": items }), RECEIVED).unwrap();
    assert_eq!(batch.logs.len(), MAX_LOGS_PER_ITEM - 4);
    assert_eq!(batch.dropped, 4 + 200);
    assert_eq!(
        batch.first_error,
        Some(TraceError::NotAnObject { what: "log" })
    );
    let long = &batch.logs[0];
    assert_eq!(long.message.chars().count(), MAX_LOG_MESSAGE_CHARS);
    assert_eq!(long.attributes.len(), MAX_DATA_KEYS);
    assert_eq!(
        batch.logs[1].span_id, None,
        "a malformed span id is left out"
    );
    assert_eq!(batch.logs[1].level, "error");
    let invalid = logs_from_item(
        &json!({"items": [{"trace_id": "x".repeat(5_000)}]}),
        RECEIVED,
    )
    .unwrap()
    .first_error
    .unwrap();
    assert!(
        invalid.to_string().len() < 100,
        "the error quotes a bounded value: {invalid}"
    );
    assert!(matches!(
        logs_from_item(&json!({"version": 2}), RECEIVED),
        Err(TraceError::Missing { field: "items", .. })
    ));
}

fn request(span: &str, end_ms: u64, duration_ms: u32, status: u16) -> TracedRequest {
    TracedRequest {
        replay_id: "r".repeat(32),
        segment_index: 0,
        trace_id: TRACE.into(),
        span_id: span.into(),
        time_ms: end_ms,
        method: "GET".into(),
        url: "/api".into(),
        status,
        duration_ms,
    }
}

fn backend(span: &str, parent: Option<&str>, service: &str, start_ms: i64, end_ms: i64) -> NewSpan {
    NewSpan {
        project_id: 1,
        received_at_ms: 0,
        trace_id: TRACE.into(),
        span_id: span.into(),
        parent_span_id: parent.map(str::to_owned),
        kind: if parent.is_some_and(|p| p.starts_with('b')) {
            SpanKind::Transaction
        } else {
            SpanKind::Span
        },
        service: service.into(),
        op: None,
        description: None,
        status: "ok".into(),
        start_us: start_ms * 1000,
        end_us: end_ms * 1000,
        transaction: None,
        event_id: None,
        data: serde_json::Map::new(),
    }
}

#[test]
fn an_empty_trace_is_none_and_cycles_do_not_hang() {
    assert_eq!(TraceView::assemble(TRACE, &[], &[], &[], &[]), None);
    let cycle = [
        backend("1111111111111111", Some("2222222222222222"), "a", 10, 20),
        backend("2222222222222222", Some("1111111111111111"), "b", 10, 20),
        backend("3333333333333333", Some("3333333333333333"), "c", 5, 20),
    ];
    let view = TraceView::assemble(TRACE, &[], &cycle, &[], &[]).unwrap();
    assert_eq!(view.spans.len(), 3);
    assert_eq!(view.spans[0].span_id, "3333333333333333");
}

#[test]
fn spans_sort_by_start_with_parents_first_and_browser_status_follows_http() {
    let requests = [request("b000000000000001", 1_100, 100, 504)];
    let spans = [
        // Starts in the same ms as its parent: still listed after it.
        backend(
            "c000000000000002",
            Some("c000000000000001"),
            "gateway",
            1_010,
            1_050,
        ),
        backend(
            "c000000000000001",
            Some("b000000000000001"),
            "gateway",
            1_010,
            1_090,
        ),
    ];
    let view = TraceView::assemble(TRACE, &requests, &spans, &[], &[]).unwrap();
    let ids: Vec<&str> = view.spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!(
        ids,
        ["b000000000000001", "c000000000000001", "c000000000000002"]
    );
    assert_eq!(view.spans[0].status, "deadline_exceeded");
    assert_eq!(view.spans[0].start_ms, 1_000.0);
    assert_eq!(view.services, ["browser", "gateway"]);
    assert_eq!(view.failing_service, None);
    for (status, name) in [
        (200, "ok"),
        (304, "ok"),
        (0, "unknown_error"),
        (404, "not_found"),
        (429, "resource_exhausted"),
        (418, "invalid_argument"),
        (500, "internal_error"),
        (503, "unavailable"),
    ] {
        assert_eq!(http_status(status), name, "{status}");
    }
}

fn error_event(id: char, service: &str, span: Option<&str>, parent: Option<&str>) -> TraceEvent {
    let raw = json!({
        "exception": {"values": [{"type": "E", "value": service}]},
        "tags": {"service": service},
        "timestamp": 1.0,
        "contexts": {"trace": {"trace_id": TRACE, "span_id": span, "parent_span_id": parent}},
    });
    let context = crate::normalize::NormalizeContext {
        event_id: crate::event_id::EventId::random(),
        received_ms: 0,
    };
    let mut event = crate::normalize::normalize_event(&raw, &context);
    event.event_id = std::iter::repeat_n(id, 32).collect();
    TraceEvent {
        stored: crate::store::StoredEvent {
            project_id: 1,
            event,
            link: None,
        },
        issue_id: Some(3),
    }
}

/// The gateway reports the 500 it got from billing too; billing, deeper in the trace, is the
/// service that failed.
#[test]
fn the_failing_service_is_the_innermost_span_holding_an_error() {
    let requests = [request("b000000000000001", 1_200, 200, 500)];
    let spans = [
        backend(
            "c000000000000001",
            Some("b000000000000001"),
            "gateway",
            1_010,
            1_190,
        ),
        backend(
            "c000000000000002",
            Some("c000000000000001"),
            "gateway",
            1_020,
            1_180,
        ),
        backend(
            "d000000000000001",
            Some("c000000000000002"),
            "billing",
            1_030,
            1_170,
        ),
    ];
    let events = [
        error_event(
            'a',
            "gateway",
            Some("c000000000000001"),
            Some("b000000000000001"),
        ),
        error_event(
            'b',
            "billing",
            Some("d000000000000001"),
            Some("c000000000000002"),
        ),
    ];
    let view = TraceView::assemble(TRACE, &requests, &spans, &events, &[]).unwrap();
    assert_eq!(view.failing_service.as_deref(), Some("billing"));
    assert_eq!(view.spans[1].error_ids, ["a".repeat(32)]);
    assert_eq!(view.spans[3].error_ids, ["b".repeat(32)]);
    assert_eq!(view.events[0].issue_id.as_deref(), Some("3"));
    assert_eq!(view.services, ["browser", "gateway", "billing"]);
}

/// A service that sends errors but no transactions: its event hangs under the browser request
/// it continued, and the failing service is the event's own.
#[test]
fn an_error_without_its_span_sits_under_its_parent_and_names_its_own_service() {
    let requests = [request("b000000000000001", 1_200, 200, 500)];
    let events = [error_event(
        'e',
        "billing",
        Some("e000000000000001"),
        Some("b000000000000001"),
    )];
    let view = TraceView::assemble(TRACE, &requests, &[], &events, &[]).unwrap();
    assert_eq!(view.spans[0].error_ids, ["e".repeat(32)]);
    assert_eq!(view.failing_service.as_deref(), Some("billing"));
    assert_eq!(view.services, ["browser", "billing"]);

    let orphan = [error_event('f', "auth", None, None)];
    let view = TraceView::assemble(TRACE, &[], &[], &orphan, &[]).unwrap();
    assert!(view.spans.is_empty());
    assert_eq!(view.failing_service.as_deref(), Some("auth"));
}

/// The Rust `sentry` crate's logs: float-second time, the active span in a `parent_span_id`
/// attribute, the server name in `server.address`.
#[test]
fn rust_logs_name_their_span_in_an_attribute() {
    let item = json!({"items": [{
        "level": "error", "body": "payment provider timed out", "trace_id": TRACE,
        "timestamp": 1_795_695_529.25, "severity_number": 17,
        "attributes": {
            "parent_span_id": {"value": "abcdef0123456789", "type": "string"},
            "server.address": {"value": "payments-1", "type": "string"},
            "sentry.release": {"value": "payments@0.3.0", "type": "string"},
        },
    }]});
    let batch = logs_from_item(&item, RECEIVED).unwrap();
    let log = &batch.logs[0];
    assert_eq!(log.span_id.as_deref(), Some("abcdef0123456789"));
    assert_eq!(log.level, "error");
    assert_eq!(log.service, "payments-1");
    assert_eq!(log.timestamp_us, 1_795_695_529_250_000);
}
