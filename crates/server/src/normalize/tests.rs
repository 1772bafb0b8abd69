//! Normalization of payload shapes real SDKs send.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::limits::{MAX_FRAMES_PER_STACKTRACE, MAX_TAG_VALUE_CHARS};

const RECEIVED: u64 = 1_795_673_400_000;

fn normalize(raw: &Value) -> NormalizedEvent {
    let context = NormalizeContext {
        event_id: EventId::parse("00000000000000000000000000000001").unwrap(),
        received_ms: RECEIVED,
    };
    normalize_event(raw, &context)
}

/// The shape of sentry-python 2.x capturing an exception inside a continued transaction.
fn python_event() -> Value {
    json!({
        "level": "error",
        "exception": {"values": [{
            "mechanism": {"type": "generic", "handled": true},
            "module": null,
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "stacktrace": {"frames": [
                {"filename": "app.py", "abs_path": "/srv/app.py", "function": "<module>",
                 "module": "__main__", "lineno": 12, "context_line": "    main()",
                 "pre_context": ["", "if __name__ == '__main__':"], "post_context": [],
                 "vars": {"__name__": "'__main__'"}, "in_app": true},
                {"filename": "shop/checkout.py", "abs_path": "/srv/shop/checkout.py",
                 "function": "total_per_item", "module": "shop.checkout", "lineno": 7,
                 "pre_context": ["def total_per_item(cart):", "    total = 0"],
                 "context_line": "    return total / len(cart)",
                 "post_context": ["", "def pay(cart):"],
                 "vars": {"cart": [], "total": "0"}, "in_app": true},
                {"filename": "lib/helpers.py", "function": "wrapper", "module": "helpers",
                 "lineno": 99, "in_app": false}
            ]}
        }]},
        "event_id": "78b08263fc50486c99adf1be127f7b19",
        "timestamp": "2026-11-26T07:14:51.288241Z",
        "contexts": {
            "trace": {"trace_id": "0123456789ABCDEF0123456789ABCDEF", "span_id": "935337b36d5a647b",
                      "parent_span_id": "89abcdef01234567", "op": "http.server"},
            "runtime": {"name": "CPython", "version": "3.11.7"}
        },
        "transaction": "POST /api/checkout",
        "tags": {"http.status_code": "500", "region": "eu"},
        "breadcrumbs": {"values": [{"message": "cart loaded", "category": "app"}]},
        "extra": {"sys.argv": ["app.py"]},
        "release": "shop-backend@2.0.0",
        "environment": "staging",
        "server_name": "web-1",
        "sdk": {"name": "sentry.python", "version": "2.75.0", "integrations": ["wsgi"]},
        "platform": "python",
        "request": {
            "url": "http://127.0.0.1:5000/api/checkout", "method": "post",
            "query_string": "", "headers": {"Host": "127.0.0.1:5000",
                "Sentry-Trace": "0123456789abcdef0123456789abcdef-89abcdef01234567-1",
                "Baggage": "sentry-trace_id=0123456789abcdef0123456789abcdef,sentry-replay_id=fedcba9876543210fedcba9876543210"}
        }
    })
}

#[test]
fn python_exception_event() {
    let event = normalize(&python_event());
    assert_eq!(event.event_id, "78b08263fc50486c99adf1be127f7b19");
    assert_eq!(event.title, "ZeroDivisionError: division by zero");
    assert_eq!(
        event.culprit.as_deref(),
        Some("shop.checkout in total_per_item"),
        "the innermost in-app frame, skipping the library frame"
    );
    assert_eq!(event.timestamp_ms, 1_795_677_291_288);
    assert_eq!(event.level, "error");
    assert_eq!(event.platform, "python");
    assert_eq!(event.environment, "staging");
    assert_eq!(event.release.as_deref(), Some("shop-backend@2.0.0"));
    assert_eq!(event.status_code, Some(500));
    assert_eq!(
        event.trace_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(event.parent_span_id.as_deref(), Some("89abcdef01234567"));
    let frames = &event.exception[0].stacktrace.as_ref().unwrap().frames;
    assert_eq!(frames.len(), 3);
    let raised = &frames[1];
    assert_eq!(
        raised.context_line.as_deref(),
        Some("    return total / len(cart)")
    );
    assert_eq!(raised.pre_context.len(), 2);
    assert_eq!(raised.post_context, ["", "def pay(cart):"]);
    assert_eq!(raised.lineno, Some(7));
    assert_eq!(raised.in_app, Some(true));
    assert_eq!(raised.vars.as_ref().unwrap()["total"], "0");
    let request = event.request.unwrap();
    assert_eq!(request.method.as_deref(), Some("POST"));
    assert!(
        request
            .header("baggage")
            .unwrap()
            .contains("sentry-replay_id")
    );
    assert_eq!(event.breadcrumbs.len(), 1);
    assert_eq!(event.sdk.unwrap()["name"], "sentry.python");
    assert!(event.errors.is_empty(), "{:?}", event.errors);
}

#[test]
fn rust_sdk_event_with_float_timestamp_and_exception_list() {
    let raw = json!({
        "event_id": "5c2b1a6e-0f4d-4e1a-9b3c-2d1e0f4a5b6c",
        "timestamp": 1_795_673_336.25,
        "platform": "native",
        "exception": [
            {"type": "io::Error", "value": "connection reset"},
            {"type": "CheckoutError", "value": "payment provider timeout\ncaused by io",
             "stacktrace": {"frames": [
                 {"function": "main", "filename": "src/main.rs", "lineno": 3},
                 {"function": "shop::checkout", "filename": "src/checkout.rs", "lineno": 40}
             ]}}
        ],
        "contexts": {"trace": {"trace_id": "ab".repeat(16), "span_id": "cd".repeat(8)}}
    });
    let event = normalize(&raw);
    assert_eq!(event.event_id, "5c2b1a6e0f4d4e1a9b3c2d1e0f4a5b6c");
    assert_eq!(event.timestamp_ms, 1_795_673_336_250);
    assert_eq!(
        event.title, "CheckoutError: payment provider timeout",
        "the main exception is the last; only the first line of its value"
    );
    assert_eq!(
        event.culprit.as_deref(),
        Some("shop in checkout"),
        "without in_app flags the innermost frame"
    );
    assert_eq!(event.exception.len(), 2);
    assert_eq!(event.environment, "production");
    assert_eq!(event.level, "error");
    assert!(event.parent_span_id.is_none());
}

#[test]
fn messages_as_strings_and_objects() {
    let event = normalize(&json!({"message": "disk almost full", "level": "warning"}));
    assert_eq!(event.title, "disk almost full");
    assert_eq!(event.level, "warning");
    assert!(event.culprit.is_none());

    let event = normalize(&json!({"logentry": {"message": "user %s failed %d times",
                                               "params": ["ann", 3]}}));
    assert_eq!(event.message.as_deref(), Some("user ann failed 3 times"));
    assert_eq!(event.title, "user ann failed 3 times");

    let event = normalize(&json!({"message": {"formatted": "already formatted",
                                              "message": "already %s"}}));
    assert_eq!(event.title, "already formatted");

    let event = normalize(&json!({"logentry": {"formatted": "from logentry"},
                                  "message": "from message"}));
    assert_eq!(event.title, "from logentry", "logentry wins over message");

    let event = normalize(&json!({"transaction": "GET /"}));
    assert_eq!(event.title, "GET /");
    assert_eq!(event.culprit.as_deref(), Some("GET /"));
    assert_eq!(normalize(&json!({})).title, "<unlabeled event>");
}

#[test]
fn tags_as_map_list_of_pairs_or_objects() {
    let from_map = normalize(&json!({"tags": {"a": "1", "n": 2, "b": true, "skip": null}})).tags;
    let from_pairs = normalize(&json!({"tags": [["a", "1"], ["n", 2], ["b", true]]})).tags;
    let from_objects = normalize(&json!({"tags": [{"key": "a", "value": "1"},
        {"key": "n", "value": 2}, {"key": "b", "value": true}]}))
    .tags;
    let expected = vec![
        Tag {
            key: "a".into(),
            value: "1".into(),
        },
        Tag {
            key: "n".into(),
            value: "2".into(),
        },
        Tag {
            key: "b".into(),
            value: "true".into(),
        },
    ];
    assert_eq!(from_pairs, expected);
    assert_eq!(from_objects, expected);
    let mut sorted = from_map;
    sorted.sort_by(|x, y| x.key.cmp(&y.key));
    let mut expected_sorted = expected;
    expected_sorted.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(sorted, expected_sorted);
}

#[test]
fn overlong_tags_are_dropped_and_noted() {
    let long = "v".repeat(MAX_TAG_VALUE_CHARS + 1);
    let event = normalize(&json!({"tags": {"ok": "yes", "url": long}}));
    assert_eq!(event.tags.len(), 1);
    assert_eq!(event.tags[0].key, "ok");
    assert!(
        event
            .errors
            .iter()
            .any(|e| e.kind == "value_too_long" && e.name == "tags.url")
    );
}

#[test]
fn headers_as_map_or_pairs() {
    let event = normalize(
        &json!({"request": {"headers": [["Content-Type", "text/plain"],
        ["X-Multi", ["a", "b"]]], "query_string": [["q", "1"], ["page", 2]]}}),
    );
    let request = event.request.unwrap();
    assert_eq!(request.header("content-type"), Some("text/plain"));
    assert_eq!(request.header("x-multi"), Some("a, b"));
    assert_eq!(request.query_string.as_deref(), Some("q=1&page=2"));

    let event = normalize(&json!({"request": {"headers": {"Baggage": "sentry-replay_id=x"}}}));
    assert_eq!(
        event.request.unwrap().header("BAGGAGE"),
        Some("sentry-replay_id=x")
    );
}

#[test]
fn status_code_from_contexts_when_no_tag() {
    let event = normalize(&json!({"contexts": {"response": {"status_code": 502}}}));
    assert_eq!(event.status_code, Some(502));
    let event = normalize(&json!({"contexts": {"trace": {"data":
        {"http.response.status_code": "503"}}}}));
    assert_eq!(event.status_code, Some(503));
    let event = normalize(&json!({"tags": {"http.status_code": "999"}}));
    assert_eq!(event.status_code, None);
}

#[test]
fn bad_values_fall_back_to_defaults_with_notes() {
    let event = normalize(&json!({
        "event_id": "nope", "timestamp": "last tuesday", "level": "loud",
        "exception": "boom", "tags": 5
    }));
    assert_eq!(event.event_id, "00000000000000000000000000000001");
    assert_eq!(event.timestamp_ms, RECEIVED);
    assert_eq!(event.level, "error");
    assert!(event.exception.is_empty());
    let noted: Vec<&str> = event.errors.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        noted,
        ["event_id", "timestamp", "level", "tags", "exception"]
    );

    let event = normalize(&json!([1, 2]));
    assert_eq!(event.title, "<unlabeled event>");
    assert_eq!(event.errors[0].name, "event");
}

#[test]
fn level_aliases() {
    for (sent, kept) in [
        ("FATAL", "fatal"),
        ("critical", "fatal"),
        ("warn", "warning"),
        ("info", "info"),
        ("log", "info"),
        ("debug", "debug"),
    ] {
        assert_eq!(normalize(&json!({ "level": sent })).level, kept, "{sent}");
    }
}

#[test]
fn long_stack_traces_keep_both_ends() {
    let frames: Vec<Value> = (0..MAX_FRAMES_PER_STACKTRACE + 50)
        .map(|i| json!({"function": format!("f{i}"), "in_app": true}))
        .collect();
    let event = normalize(&json!({"exception": [{"type": "RecursionError",
        "stacktrace": {"frames": frames}}]}));
    let stacktrace = event.exception[0].stacktrace.as_ref().unwrap();
    assert_eq!(stacktrace.frames.len(), MAX_FRAMES_PER_STACKTRACE);
    assert_eq!(stacktrace.frames_omitted, 50);
    assert_eq!(stacktrace.frames[0].function.as_deref(), Some("f0"));
    assert_eq!(
        stacktrace.frames.last().unwrap().function.as_deref(),
        Some(format!("f{}", MAX_FRAMES_PER_STACKTRACE + 49).as_str())
    );
    assert_eq!(
        event.culprit.as_deref(),
        Some(format!("f{}", MAX_FRAMES_PER_STACKTRACE + 49).as_str())
    );
}

#[test]
fn message_events_may_carry_a_stacktrace() {
    let event = normalize(&json!({"message": "slow query", "stacktrace": {"frames": [
        {"module": "db", "function": "query", "in_app": true}]}}));
    assert_eq!(event.culprit.as_deref(), Some("db in query"));
}

#[test]
fn normalized_events_round_trip_through_json() {
    let event = normalize(&python_event());
    let text = serde_json::to_string(&event).unwrap();
    let back: NormalizedEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(back, event);
}
