//! Server-side scrubbing end to end: an envelope full of secrets (a password in frame vars, an
//! Authorization header, a session cookie, a credit card and an email in the exception, an IP
//! address) goes through ingest and the processor; no stored row — event, issue title, tags,
//! transaction, spans, logs — and no API answer holds the secrets afterwards. A project's
//! options change what is scrubbed.

#![allow(clippy::unwrap_used)]

mod privacy_support;
mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::TestServer;

const EVENT_ID: &str = "5ec0e75ec0e75ec0e75ec0e75ec0e700";
const TRACE: &str = "0123456789abcdef0123456789abcdef";

/// The secrets of [`leaky_event`] and its transaction and logs.
const SECRETS: &[&str] = &[
    "hunter2",
    "sk_live_abcdef123456",
    "s3ss10nvalue",
    "4111 1111 1111 1111",
    "4111111111111111",
    "jane.doe@example.com",
    "tok_span_secret",
    "log_pw_secret",
    "log_api_key_1",
];

fn leaky_event(id: &str, order_token: &str) -> Value {
    json!({
        "event_id": id,
        "platform": "python",
        "release": "shop-backend@2.0.0",
        "exception": {"values": [{
            "type": "PaymentError",
            "value": "card 4111 1111 1111 1111 declined for jane.doe@example.com",
            "stacktrace": {"frames": [{
                "module": "shop.pay", "function": "charge", "filename": "shop/pay.py",
                "lineno": 7, "in_app": true,
                "vars": {"password": "'hunter2'", "card": "'4111111111111111'", "attempt": "1"}
            }]}
        }]},
        "request": {
            "method": "POST",
            "url": "https://shop.example/api/checkout",
            "headers": {
                "Authorization": "Bearer sk_live_abcdef123456",
                "Cookie": "sessionid=s3ss10nvalue; theme=dark",
                "User-Agent": "Mozilla/5.0"
            },
            "cookies": {"sessionid": "s3ss10nvalue"}
        },
        "user": {"id": "42", "email": "jane.doe@example.com", "ip_address": "203.0.113.9"},
        "tags": {"customer": "jane.doe@example.com", "order_token": order_token},
        "contexts": {"trace": {"trace_id": TRACE, "span_id": "cccccccccccccccc"}},
        "breadcrumbs": {"values": [
            {"category": "auth", "message": "login jane.doe@example.com from 203.0.113.9"}
        ]}
    })
}

fn transaction() -> Value {
    json!({
        "type": "transaction",
        "transaction": "POST /api/checkout",
        "start_timestamp": 1_795_673_336.0,
        "timestamp": 1_795_673_337.0,
        "contexts": {"trace": {"trace_id": TRACE, "span_id": "dddddddddddddddd", "op": "http.server"}},
        "spans": [{
            "trace_id": TRACE, "span_id": "eeeeeeeeeeeeeeee", "parent_span_id": "dddddddddddddddd",
            "op": "db", "description": "SELECT * FROM users WHERE email = 'jane.doe@example.com'",
            "start_timestamp": 1_795_673_336.1, "timestamp": 1_795_673_336.2,
            "data": {"auth_token": "tok_span_secret"}
        }]
    })
}

fn logs() -> Value {
    json!({"items": [{
        "timestamp": 1_795_673_336.5, "trace_id": TRACE, "level": "warn",
        "body": "retrying with api_key=log_api_key_1",
        "attributes": {"db.password": {"value": "log_pw_secret", "type": "string"}}
    }]})
}

async fn send(server: &TestServer, event: &Value) -> StatusCode {
    let id = event["event_id"].as_str().unwrap();
    let body = privacy_support::envelope(
        id,
        &[
            ("event", event),
            ("transaction", &transaction()),
            ("log", &logs()),
        ],
    );
    server.envelope(body).await.0
}

#[tokio::test]
async fn no_stored_row_and_no_api_answer_holds_the_secrets() {
    let server = TestServer::new();
    assert_eq!(
        send(&server, &leaky_event(EVENT_ID, "ord_1")).await,
        StatusCode::OK
    );

    let (status, event) = server.get_json(&format!("/api/0/events/{EVENT_ID}/")).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let (_, issues) = server.get_json("/api/0/issues/?project=1&query=").await;
    let (_, trace) = server.get_json(&format!("/api/0/traces/{TRACE}/")).await;
    assert_eq!(trace["logs"].as_array().unwrap().len(), 1, "{trace}");
    assert_eq!(trace["spans"].as_array().unwrap().len(), 2, "{trace}");
    assert!(trace.to_string().contains("[Filtered]"), "{trace}");
    let stored = privacy_support::stored_text(server.dir.path());
    assert!(
        stored
            .lines()
            .any(|row| row.starts_with("transactions") && row.contains("[Filtered]"))
    );
    for secret in SECRETS {
        assert!(
            !event.to_string().contains(secret),
            "{secret} in the event {event:#}"
        );
        assert!(
            !issues.to_string().contains(secret),
            "{secret} in the issues {issues:#}"
        );
        assert!(
            !trace.to_string().contains(secret),
            "{secret} in the trace {trace:#}"
        );
        let rows: Vec<&str> = stored.lines().filter(|row| row.contains(secret)).collect();
        assert!(rows.is_empty(), "{secret} stored in {rows:#?}");
    }

    let issue = &issues.as_array().unwrap()[0];
    assert_eq!(
        issue["title"],
        "PaymentError: card [Filtered] declined for [Filtered]"
    );
    assert_eq!(issue["culprit"], "shop.pay in charge");
    let frame = &event["exception"]["values"][0]["stacktrace"]["frames"][0];
    assert_eq!(frame["vars"]["password"], "[Filtered]");
    assert_eq!(frame["vars"]["attempt"], "1", "other variables are kept");
    let request = event["request"].to_string();
    assert!(request.contains("[Filtered]"), "{request}");
    assert!(request.contains("Mozilla/5.0"), "{request}");
    // IP addresses are kept unless the project turns their scrubbing on.
    assert_eq!(event["user"]["ip_address"], "203.0.113.9");
    assert!(stored.contains("203.0.113.9"));
    // The reader can tell the server scrubbed it.
    assert!(
        event["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|note| note["type"] == "scrubbed" && note["name"] == "request"),
        "{}",
        event["errors"]
    );
}

#[tokio::test]
async fn a_project_chooses_what_is_scrubbed() {
    let server = TestServer::new();
    let (status, defaults) = server
        .admin_json("GET", "/api/0/projects/1/privacy/", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        defaults,
        json!({"scrub_data": true, "scrub_defaults": true, "scrub_credit_cards": true,
               "scrub_emails": true, "scrub_ip_addresses": false,
               "sensitive_fields": [], "safe_fields": []})
    );
    let (status, options) = server
        .admin_json(
            "PUT",
            "/api/0/projects/1/privacy/",
            Some(json!({"scrub_emails": false, "scrub_ip_addresses": true,
                        "safe_fields": ["order_token"], "sensitive_fields": ["attempt"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    assert_eq!(options["scrub_credit_cards"], true, "left out, kept");
    let (_, read_back) = server
        .admin_json("GET", "/api/0/projects/1/privacy/", None)
        .await;
    assert_eq!(read_back, options);

    assert_eq!(
        send(&server, &leaky_event(EVENT_ID, "tok_order_1")).await,
        StatusCode::OK
    );
    let (_, event) = server.get_json(&format!("/api/0/events/{EVENT_ID}/")).await;
    assert_eq!(
        event["user"]["email"], "jane.doe@example.com",
        "emails kept"
    );
    assert_eq!(event["user"]["ip_address"], "[Filtered]", "IPs scrubbed");
    let frame = &event["exception"]["values"][0]["stacktrace"]["frames"][0];
    assert_eq!(
        frame["vars"]["attempt"], "[Filtered]",
        "a sensitive field of the project"
    );
    assert_eq!(frame["vars"]["password"], "[Filtered]", "defaults still on");
    let tags = event["tags"].to_string();
    assert!(tags.contains("tok_order_1"), "a safe field is kept: {tags}");
    assert!(!event.to_string().contains("4111"), "cards still scrubbed");

    // Turned off entirely, nothing is scrubbed.
    let (status, _) = server
        .admin_json(
            "PUT",
            "/api/0/projects/1/privacy/",
            Some(json!({"scrub_data": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let raw_id = "5ec0e75ec0e75ec0e75ec0e75ec0e701";
    assert_eq!(
        send(&server, &leaky_event(raw_id, "ord_2")).await,
        StatusCode::OK
    );
    let (_, raw) = server.get_json(&format!("/api/0/events/{raw_id}/")).await;
    assert!(raw.to_string().contains("hunter2"));
}

#[tokio::test]
async fn bad_options_are_refused_naming_the_field() {
    let server = TestServer::new();
    for (body, field) in [
        (json!({"scrub_emails": "yes"}), "scrub_emails"),
        (json!({"scrub_cards": true}), "scrub_cards"),
        (json!({"safe_fields": [""]}), "safe_fields"),
        (
            json!({"sensitive_fields": vec!["x"; 101]}),
            "sensitive_fields",
        ),
    ] {
        let (status, answer) = server
            .admin_json("PUT", "/api/0/projects/1/privacy/", Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    let (status, _) = server
        .admin_json("GET", "/api/0/projects/7/privacy/", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = server
        .admin_json(
            "PUT",
            "/api/0/projects/1/retention/",
            Some(json!({"retention_days": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("retention_days"));
}
