#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::event_id::EventId;
use crate::normalize::{NormalizeContext, normalize_event};

fn event(raw: &Value) -> NormalizedEvent {
    let context = NormalizeContext {
        event_id: EventId::random(),
        received_ms: 1_000,
    };
    normalize_event(raw, &context)
}

fn key(raw: &Value) -> GroupingKey {
    fingerprint_event(&event(raw))
}

/// A Django-style Python exception: the app's view, then Django and the SDK in site-packages.
fn python(value: &str, app_line: u64) -> Value {
    json!({"platform": "python", "exception": {"values": [{
        "type": "ZeroDivisionError", "value": value,
        "stacktrace": {"frames": [
            {"module": "django.core.handlers.base", "function": "_get_response", "lineno": 197,
             "abs_path": "/venv/lib/python3.12/site-packages/django/core/handlers/base.py",
             "in_app": true},
            {"module": "shop.views", "function": "checkout", "lineno": app_line,
             "abs_path": "/srv/shop/views.py", "filename": "shop/views.py", "in_app": true},
            {"module": "shop.pay", "function": "price_per_item", "lineno": 12,
             "abs_path": "/srv/shop/pay.py", "in_app": true},
            {"module": "threading", "function": "run", "lineno": 1,
             "abs_path": "/usr/lib/python3.12/threading.py"}
        ]}
    }]}})
}

/// A Node exception: Express in node_modules, the app's route, Node internals.
fn node(function: &str, line: u64) -> Value {
    json!({"platform": "node", "exception": {"values": [{
        "type": "TypeError", "value": "Cannot read properties of undefined (reading 'id')",
        "stacktrace": {"frames": [
            {"filename": "node:internal/process/task_queues", "function": "process.processTicksAndRejections",
             "lineno": 95, "in_app": false},
            {"filename": "/app/node_modules/express/lib/router/layer.js", "function": "Layer.handle",
             "module": "express.lib.router:layer", "lineno": 95, "in_app": true},
            {"filename": "/app/src/routes/checkout.js?v=12", "abs_path": "/app/src/routes/checkout.js?v=12",
             "function": function, "lineno": line, "colno": 17, "in_app": true}
        ]}
    }]}})
}

/// A Rust panic: std's panic machinery, tokio, then the app's handler.
fn rust(hash: &str) -> Value {
    json!({"platform": "native", "exception": {"values": [{
        "type": "panic", "value": "called `Option::unwrap()` on a `None` value",
        "stacktrace": {"frames": [
            {"function": "tokio::runtime::task::harness::poll_future", "in_app": true,
             "filename": "harness.rs",
             "abs_path": "/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.40.0/src/runtime/task/harness.rs"},
            {"function": format!("shop_backend::checkout::pay::{hash}"), "in_app": true,
             "filename": "src/checkout.rs", "lineno": 42},
            {"function": "<alloc::boxed::Box<F> as core::ops::function::FnOnce<A>>::call_once",
             "in_app": true, "filename": "boxed.rs"},
            {"function": "core::panicking::panic", "in_app": true,
             "abs_path": "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs"}
        ]}
    }]}})
}

#[test]
fn python_frames_group_by_in_app_module_and_function_not_line_or_value() {
    let first = key(&python("division by zero", 40));
    assert_eq!(first.kind, GroupingKind::Stacktrace);
    assert_eq!(
        first.components,
        [
            "type:ZeroDivisionError",
            "frame:shop.views:checkout",
            "frame:shop.pay:price_per_item"
        ]
    );
    // Another line in the view and another message: the same issue.
    assert_eq!(first.hash, key(&python("float division by zero", 41)).hash);
    let culprit = culprit(&event(&python("x", 1)));
    assert_eq!(culprit.as_deref(), Some("shop.pay in price_per_item"));
}

#[test]
fn node_frames_use_file_basenames_and_skip_node_modules_and_internals() {
    let first = key(&node("checkout", 10));
    assert_eq!(first.kind, GroupingKind::Stacktrace);
    assert_eq!(
        first.components,
        ["type:TypeError", "frame:checkout.js:checkout"]
    );
    assert_eq!(first.hash, key(&node("checkout", 99)).hash);
    assert_ne!(first.hash, key(&node("applyCoupon", 10)).hash);
}

#[test]
fn rust_frames_drop_symbol_hashes_std_tokio_and_rustc() {
    let first = key(&rust("h0123456789abcdef"));
    assert_eq!(
        first.components,
        [
            "type:panic",
            "frame:checkout.rs:shop_backend::checkout::pay"
        ]
    );
    assert_eq!(first.hash, key(&rust("hfedcba9876543210")).hash);
}

#[test]
fn every_exception_of_a_chain_counts() {
    let chained = |cause: &str| {
        json!({"exception": {"values": [
            {"type": cause, "value": "x", "stacktrace": {"frames": [
                {"module": "shop.db", "function": "connect", "in_app": true}]}},
            {"type": "CheckoutError", "value": "y", "stacktrace": {"frames": [
                {"module": "shop.views", "function": "checkout", "in_app": true}]}}
        ]}})
    };
    let timeout = key(&chained("TimeoutError"));
    assert_eq!(
        timeout.components,
        [
            "type:TimeoutError",
            "frame:shop.db:connect",
            "type:CheckoutError",
            "frame:shop.views:checkout"
        ]
    );
    assert_ne!(timeout.hash, key(&chained("ConnectionRefusedError")).hash);
}

#[test]
fn without_in_app_frames_the_type_and_normalized_value_group() {
    let raw = |value: &str| json!({"exception": [{"type": "CheckoutError", "value": value}]});
    let first = key(&raw(
        "payment 4821 for ann@example.com failed at https://pay.example/v1/charge?id=9 (req 0x1f3a)",
    ));
    assert_eq!(first.kind, GroupingKind::Exception);
    assert_eq!(
        first.components,
        [
            "type:CheckoutError",
            "value:payment <int> for <email> failed at <url> (req <hex>)"
        ]
    );
    let second = key(&raw(
        "payment 77 for bob@shop.example failed at https://pay.example/v2/charge (req 0xff)",
    ));
    assert_eq!(first.hash, second.hash);
    assert_ne!(first.hash, key(&raw("payment 77 declined")).hash);
}

#[test]
fn values_normalize_uuids_hex_ids_and_numbers() {
    assert_eq!(
        normalize_value("cart 2f1c7a8e-9b4d-4c1e-8f2a-0123456789ab not in 'store-12'"),
        "cart <uuid> not in 'store-<int>'"
    );
    assert_eq!(
        normalize_value("object deadbeef01 has   key user_5a3c99: order ord4821"),
        "object <hex> has key user_<int>: order <id>"
    );
    assert_eq!(
        normalize_value("trace 0123456789abcdef0123456789abcdef took 3.5s"),
        "trace <uuid> took <int>.<int>"
    );
    assert_eq!(normalize_value("division by zero"), "division by zero");
}

#[test]
fn messages_group_by_normalized_text() {
    let raw = |n: u32| json!({"message": format!("inventory for sku {n} is negative")});
    let first = key(&raw(1));
    assert_eq!(first.kind, GroupingKind::Message);
    assert_eq!(
        first.components,
        ["message:inventory for sku <int> is negative"]
    );
    assert_eq!(first.hash, key(&raw(2)).hash);
    let logentry = key(
        &json!({"logentry": {"message": "inventory for sku %s is negative",
        "params": [3]}}),
    );
    assert_eq!(first.hash, logentry.hash);
}

#[test]
fn a_custom_fingerprint_wins_and_default_expands() {
    let base = python("division by zero", 40);
    let with = |fingerprint: Value| {
        let mut raw = base.clone();
        raw["fingerprint"] = fingerprint;
        key(&raw)
    };
    let custom = with(json!(["payments", "provider-down"]));
    assert_eq!(custom.kind, GroupingKind::Custom);
    assert_eq!(
        custom.components,
        ["custom:payments", "custom:provider-down"]
    );

    let default = key(&base);
    assert_eq!(with(json!(["{{ default }}"])), default);
    assert_eq!(with(json!(["{{default}}"])).hash, default.hash);
    let extended = with(json!(["{{ default }}", "tenant-a"]));
    assert_eq!(extended.kind, GroupingKind::Custom);
    assert_eq!(extended.components[..3], default.components[..]);
    assert_eq!(extended.components[3], "custom:tenant-a");
    assert_ne!(
        extended.hash,
        with(json!(["{{ default }}", "tenant-b"])).hash
    );

    let by_transaction = |transaction: &str| {
        let mut raw = base.clone();
        raw["fingerprint"] = json!(["{{ transaction }}", "{{ type }}"]);
        raw["transaction"] = json!(transaction);
        key(&raw)
    };
    assert_eq!(
        by_transaction("POST /api/checkout").components,
        ["custom:POST /api/checkout", "custom:ZeroDivisionError"]
    );
    assert_ne!(
        by_transaction("POST /api/checkout").hash,
        by_transaction("GET /cart").hash
    );
}

#[test]
fn in_app_rules_overrule_the_sdk_flag() {
    let frame = |value: Value| -> Frame {
        let raw = json!({"exception": [{"type": "E", "stacktrace": {"frames": [value]}}]});
        event(&raw).exception[0].stacktrace.clone().unwrap().frames[0].clone()
    };
    assert!(is_in_app(&frame(
        json!({"module": "shop.pay", "in_app": true})
    )));
    assert!(!is_in_app(&frame(json!({"module": "shop.pay"}))));
    assert!(!is_in_app(&frame(
        json!({"module": "shop.pay", "in_app": false})
    )));
    for library in [
        json!({"abs_path": "/venv/lib/python3.12/site-packages/flask/app.py", "in_app": true}),
        json!({"abs_path": "C:\\app\\node_modules\\pg\\lib\\client.js", "in_app": true}),
        json!({"filename": "<frozen importlib._bootstrap>", "in_app": true}),
        json!({"module": "sentry_sdk.integrations.flask", "in_app": true}),
        json!({"module": "@sentry/node", "in_app": true}),
        json!({"function": "std::rt::lang_start", "in_app": true}),
        json!({"function": "hyper::proto::h1::dispatch::Dispatcher::poll", "in_app": true}),
    ] {
        assert!(!is_in_app(&frame(library.clone())), "{library}");
    }
}

#[test]
fn users_are_counted_by_id_then_email_username_ip() {
    let user_of = |user: Value| user_key(&event(&json!({"user": user})));
    assert_eq!(
        user_of(json!({"id": 42, "email": "a@x.io"})).as_deref(),
        Some("42")
    );
    assert_eq!(
        user_of(json!({"email": "a@x.io"})).as_deref(),
        Some("a@x.io")
    );
    assert_eq!(user_of(json!({"username": "ann"})).as_deref(), Some("ann"));
    assert_eq!(
        user_of(json!({"ip_address": "10.0.0.1"})).as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(user_of(json!({"name": "x"})), None);
}
