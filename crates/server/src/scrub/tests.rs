#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;

/// A Python SDK error event carrying every kind of secret the scrubber covers.
fn leaky_event() -> Value {
    json!({
        "event_id": "0123456789abcdef0123456789abcdef",
        "timestamp": 1_795_673_336.5,
        "platform": "python",
        "release": "shop-backend@2.0.0",
        "environment": "production",
        "server_name": "shop-1",
        "message": "payment of ann@example.com with 4111 1111 1111 1111 failed",
        "logentry": {"message": "card %s", "params": ["5500-0000-0000-0004"]},
        "exception": {"values": [{
            "type": "PaymentError",
            "value": "declined for bob@example.org via https://shop:s3cr3t@pay.example/api",
            "stacktrace": {"frames": [{
                "module": "shop.checkout",
                "function": "pay",
                "filename": "shop/checkout.py",
                "lineno": 12,
                "in_app": true,
                "context_line": "    charge(card)",
                "vars": {
                    "password": "'hunter2'",
                    "user": "{'email': 'ann@example.com'}",
                    "cart": "['lamp']",
                    "api_key": "'sk_live_123'"
                }
            }]}
        }]},
        "request": {
            "method": "POST",
            "url": "https://shop.example/checkout?coupon=A1&token=tok_abc",
            "query_string": "coupon=A1&token=tok_abc",
            "headers": [
                ["Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"],
                ["Cookie", "sessionid=abc123; theme=dark"],
                ["Accept", "text/html"]
            ],
            "cookies": {"sessionid": "abc123"},
            "data": {"card_number": "4111111111111111", "note": "call 10.0.0.7", "password": "x"},
            "env": {"REMOTE_ADDR": "10.0.0.7", "SECRET_KEY": "django-insecure"}
        },
        "user": {"id": "42", "email": "ann@example.com", "ip_address": "203.0.113.9"},
        "tags": {"customer": "ann@example.com", "auth_token": "abc", "route": "/checkout"},
        "extra": {"db_password": "pw", "order": 7},
        "contexts": {
            "trace": {"trace_id": "4111111111111111abcdefabcdefabcd", "span_id": "4111111111111111"},
            "app": {"session_token": "xyz"}
        },
        "breadcrumbs": {"values": [
            {"category": "http", "message": "GET /api?api_key=k123", "data": {"Set-Cookie": "s=1"}},
            {"category": "query", "message": "SELECT 1", "data": {"params": ["4111111111111111"]}}
        ]}
    })
}

fn scrubbed(options: &ScrubOptions) -> (Value, ScrubReport) {
    let mut event = leaky_event();
    let report = Scrubber::new(options).scrub_event(&mut event);
    (event, report)
}

#[test]
fn the_defaults_remove_every_secret_and_keep_the_rest() {
    let (event, report) = scrubbed(&ScrubOptions::default());
    let text = event.to_string();
    for secret in [
        "hunter2",
        "sk_live_123",
        "eyJhbGci",
        "abc123",
        "4111",
        "5500",
        "ann@example.com",
        "bob@example.org",
        "s3cr3t",
        "tok_abc",
        "django-insecure",
        "db_password\":\"pw",
        "xyz",
        "k123",
        "s=1",
    ] {
        // The trace ids contain 4111… but as part of a longer word: check them separately.
        let without_ids = text
            .replace("4111111111111111abcdefabcdefabcd", "")
            .replace("\"span_id\":\"4111111111111111\"", "");
        assert!(!without_ids.contains(secret), "{secret} in {event:#}");
    }
    assert_eq!(
        event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["password"],
        FILTERED
    );
    assert_eq!(event["request"]["headers"][0][1], FILTERED);
    assert_eq!(event["request"]["headers"][2][1], "text/html");
    assert_eq!(event["request"]["cookies"], FILTERED);
    assert_eq!(
        event["message"],
        "payment of [Filtered] with [Filtered] failed"
    );
    assert_eq!(
        event["request"]["url"],
        "https://shop.example/checkout?coupon=A1&token=[Filtered]"
    );
    assert_eq!(event["tags"]["route"], "/checkout");
    assert_eq!(event["extra"]["order"], 7);
    // IP addresses are kept by default; identifiers, release and frames are never touched.
    assert_eq!(event["user"]["ip_address"], "203.0.113.9");
    assert_eq!(event["user"]["id"], "42");
    assert_eq!(event["release"], "shop-backend@2.0.0");
    assert_eq!(
        event["contexts"]["trace"]["trace_id"],
        "4111111111111111abcdefabcdefabcd"
    );
    let frame = &event["exception"]["values"][0]["stacktrace"]["frames"][0];
    assert_eq!(frame["module"], "shop.checkout");
    assert_eq!(frame["vars"]["cart"], "['lamp']");
    assert!(report.replaced >= 15, "{report:?}");
    assert!(report.fields.contains(&"request".to_owned()), "{report:?}");
}

#[test]
fn ip_addresses_are_scrubbed_when_the_option_is_on() {
    let (event, _) = scrubbed(&ScrubOptions {
        scrub_ip_addresses: true,
        ..ScrubOptions::default()
    });
    assert_eq!(event["user"]["ip_address"], FILTERED);
    assert_eq!(event["request"]["data"]["note"], "call [Filtered]");
    assert_eq!(event["request"]["env"]["REMOTE_ADDR"], FILTERED);
}

#[test]
fn each_option_turned_off_keeps_its_values() {
    let (event, _) = scrubbed(&ScrubOptions {
        scrub_emails: false,
        scrub_credit_cards: false,
        ..ScrubOptions::default()
    });
    assert_eq!(event["user"]["email"], "ann@example.com");
    assert_eq!(
        event["message"],
        "payment of ann@example.com with 4111 1111 1111 1111 failed"
    );
    assert_eq!(
        event["request"]["headers"][0][1], FILTERED,
        "still a secret"
    );

    let (event, _) = scrubbed(&ScrubOptions {
        scrub_defaults: false,
        sensitive_fields: vec!["cart".into()],
        ..ScrubOptions::default()
    });
    let vars = &event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"];
    assert_eq!(vars["password"], "'hunter2'");
    assert_eq!(vars["cart"], FILTERED);
    assert_eq!(
        event["message"],
        "payment of [Filtered] with [Filtered] failed"
    );

    let (event, report) = scrubbed(&ScrubOptions {
        scrub_data: false,
        ..ScrubOptions::default()
    });
    assert_eq!(event, leaky_event());
    assert_eq!(report, ScrubReport::default());
}

#[test]
fn safe_fields_are_kept_whole() {
    let (event, _) = scrubbed(&ScrubOptions {
        safe_fields: vec!["auth_token".into(), "user".into()],
        ..ScrubOptions::default()
    });
    assert_eq!(event["tags"]["auth_token"], "abc");
    assert_eq!(event["user"]["email"], "ann@example.com");
    assert_eq!(
        event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["user"],
        "{'email': 'ann@example.com'}"
    );
    assert_eq!(
        event["tags"]["customer"], FILTERED,
        "other fields still scrubbed"
    );
}

#[test]
fn log_attributes_and_span_data_are_scrubbed_in_shape() {
    let scrubber = Scrubber::default();
    let mut logs = json!({"items": [{
        "body": "login failed for ann@example.com",
        "trace_id": "0123456789abcdef0123456789abcdef",
        "attributes": {
            "http.request.header.authorization": {"value": "Basic dXNlcjpwYXNzd29yZA==", "type": "string"},
            "retries": {"value": 3, "type": "integer"}
        }
    }]});
    let report = scrubber.scrub_item(&mut logs);
    assert_eq!(report.replaced, 2);
    let item = &logs["items"][0];
    assert_eq!(item["body"], "login failed for [Filtered]");
    assert_eq!(
        item["attributes"]["http.request.header.authorization"],
        json!({"value": FILTERED, "type": "string"})
    );
    assert_eq!(item["attributes"]["retries"]["value"], 3);

    let mut transaction = json!({
        "type": "transaction",
        "transaction": "/checkout",
        "spans": [{
            "span_id": "4111111111111111",
            "op": "db",
            "description": "SELECT * FROM users WHERE email = 'ann@example.com'",
            "data": {"db.password": "pw"}
        }]
    });
    scrubber.scrub_event(&mut transaction);
    let span = &transaction["spans"][0];
    assert_eq!(
        span["description"],
        "SELECT * FROM users WHERE email = '[Filtered]'"
    );
    assert_eq!(span["data"]["db.password"], FILTERED);
    assert_eq!(span["span_id"], "4111111111111111");
}

#[test]
fn users_known_only_by_a_scrubbed_email_are_not_counted_as_one() {
    use crate::event_id::EventId;
    use crate::grouping::user_key;
    use crate::normalize::{NormalizeContext, normalize_event};

    let scrubber = Scrubber::default();
    let context = NormalizeContext {
        event_id: EventId::random(),
        received_ms: 0,
    };
    let mut by_email = json!({"user": {"email": "ann@example.com"}});
    scrubber.scrub_event(&mut by_email);
    assert_eq!(user_key(&normalize_event(&by_email, &context)), None);
    let mut by_id = json!({"user": {"id": "42", "email": "ann@example.com"}});
    scrubber.scrub_event(&mut by_id);
    assert_eq!(
        user_key(&normalize_event(&by_id, &context)).as_deref(),
        Some("42")
    );
}

/// Run with `cargo test -p sightline-server --lib scrub::tests::cost -- --ignored --nocapture`
/// to print what scrubbing costs per realistic event.
#[test]
#[ignore = "a measurement, not a check"]
fn cost() {
    let scrubber = Scrubber::default();
    let event = leaky_event();
    let clean = json!({
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero",
            "stacktrace": {"frames": (0..20).map(|i| json!({
                "module": "shop.checkout", "function": format!("f{i}"), "lineno": i,
                "context_line": "    return total / len(cart)",
                "pre_context": ["def f():", "    total = 0"],
                "vars": {"total": "0", "cart": "[]", "self": "<Cart object at 0x7f>"}
            })).collect::<Vec<_>>()}}]},
        "request": {"url": "https://shop.example/api/checkout", "method": "POST",
            "headers": {"User-Agent": "Mozilla/5.0", "Accept": "*/*", "Host": "shop.example"}},
        "contexts": {"trace": {"trace_id": "0123456789abcdef0123456789abcdef"},
            "runtime": {"name": "CPython", "version": "3.12.3"}},
        "breadcrumbs": {"values": (0..30).map(|i| json!({"category": "http",
            "message": format!("GET /api/products?page={i}")})).collect::<Vec<_>>()}
    });
    let off = Scrubber::new(&ScrubOptions {
        scrub_data: false,
        ..ScrubOptions::default()
    });
    for (name, event) in [("leaky", event), ("20 frames, 30 crumbs", clean)] {
        let rounds = 2_000u32;
        let mut per_event = Vec::new();
        // Off first: what dropping the event alone costs, to subtract.
        for scrubber in [&off, &scrubber] {
            let copies: Vec<Value> = (0..rounds).map(|_| event.clone()).collect();
            let start = std::time::Instant::now();
            for mut copy in copies {
                std::hint::black_box(scrubber.scrub_event(&mut copy));
            }
            per_event.push(start.elapsed() / rounds);
        }
        println!(
            "scrub {name}: {:?} per event ({:?} with scrubbing off: the drop of the copy)",
            per_event[1], per_event[0]
        );
    }
}
