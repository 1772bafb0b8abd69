//! `GET /api/0/issues/?query=…&sort=…`: the search language and sort orders over issues made
//! by the real ingest and grouping, and issue changes made through the API.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{TestServer, envelope, error_message, python_event, urlencode};

const TRACE: &str = "0123456789abcdef0123456789abcdef";
const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Event `n` of the issue named by `kind`, `ago` seconds before now, with `extra` fields.
fn event(n: u32, kind: &str, ago: u64, extra: Value) -> Vec<u8> {
    let id = format!("{n:032x}");
    let mut event = python_event(&id, TRACE, None);
    event["timestamp"] = json!(now_secs() - ago);
    event["exception"]["values"][0]["type"] = json!(kind);
    if let (Value::Object(event), Value::Object(extra)) = (&mut event, extra) {
        event.extend(extra);
    }
    envelope(&json!({ "event_id": id }), &event)
}

/// Three issues: ZeroDivisionError (5 events, 2 users, production, the last 10 minutes),
/// KeyError (2 events, staging, warning, an older release, 3 hours ago) and TimeoutError
/// (3 events, 3 users, production, service tag, first seen two days ago, last 20 minutes ago).
async fn server_with_issues() -> TestServer {
    let server = TestServer::new();
    let mut bodies = Vec::new();
    for n in 0..5 {
        let user = if n % 2 == 0 { "u1" } else { "u2" };
        bodies.push(event(
            n,
            "ZeroDivisionError",
            10 * MINUTE - u64::from(n),
            json!({"user": {"id": user}}),
        ));
    }
    for n in 10..12 {
        bodies.push(event(
            n,
            "KeyError",
            3 * HOUR,
            json!({"environment": "staging", "level": "warning",
                   "release": "shop-backend@1.9.0", "tags": {"http.status_code": "502"}}),
        ));
    }
    for (n, ago) in [(20, 48 * HOUR), (21, HOUR + 5 * MINUTE), (22, 20 * MINUTE)] {
        bodies.push(event(
            n,
            "TimeoutError",
            ago,
            json!({"user": {"id": format!("t{n}")},
                   "tags": {"service": "payments", "url": "https://shop.example/checkout/pay"}}),
        ));
    }
    for body in bodies {
        let (status, answer) = server.envelope(body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    server
}

async fn list(server: &TestServer, params: &str) -> (StatusCode, Value) {
    server.get_json(&format!("/api/0/issues/?{params}")).await
}

/// The exception types of the issues `query` finds, in `sort` order.
async fn found(server: &TestServer, query: &str, sort: &str) -> Vec<String> {
    let (status, body) = list(server, &format!("query={}&sort={sort}", urlencode(query))).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            let title = issue["title"].as_str().unwrap();
            title.split(':').next().unwrap().to_owned()
        })
        .collect()
}

async fn issue_id(server: &TestServer, kind: &str) -> String {
    let (_, body) = list(server, &format!("query={kind}")).await;
    body[0]["id"].as_str().unwrap().to_owned()
}

async fn put_issue(server: &TestServer, id: &str, change: Value) {
    let (status, body) = server
        .admin_json("PUT", &format!("/api/0/issues/{id}/"), Some(change))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_issue_list_filters_with_the_query_language() {
    let server = server_with_issues().await;
    let all = "date";
    assert_eq!(
        found(&server, "", all).await,
        ["ZeroDivisionError", "TimeoutError", "KeyError"]
    );
    assert_eq!(
        found(
            &server,
            "is:unresolved level:error http.status_code:500 environment:production \
                        firstSeen:-1h \"ZeroDivision\"",
            all
        )
        .await,
        ["ZeroDivisionError"]
    );
    assert_eq!(
        found(&server, "environment:staging", all).await,
        ["KeyError"]
    );
    assert_eq!(
        found(&server, "!environment:staging", all).await,
        ["ZeroDivisionError", "TimeoutError"]
    );
    assert_eq!(found(&server, "level:warning", all).await, ["KeyError"]);
    assert_eq!(
        found(&server, "release:latest", all).await,
        ["ZeroDivisionError", "TimeoutError"]
    );
    assert_eq!(
        found(&server, "release:shop-backend@1.9.0", all).await,
        ["KeyError"]
    );
    assert_eq!(
        found(&server, "release:shop-backend@*.0", all).await,
        ["ZeroDivisionError", "TimeoutError", "KeyError"]
    );
    assert_eq!(found(&server, "firstSeen:+1d", all).await, ["TimeoutError"]);
    assert_eq!(
        found(&server, "lastSeen:-1h", all).await,
        ["ZeroDivisionError", "TimeoutError"]
    );
    assert_eq!(
        found(&server, "service:payments", all).await,
        ["TimeoutError"]
    );
    assert_eq!(
        found(&server, "url:*checkout*", all).await,
        ["TimeoutError"]
    );
    assert_eq!(
        found(&server, "times_seen:>4", all).await,
        ["ZeroDivisionError"]
    );
    assert_eq!(found(&server, "users:>=3", all).await, ["TimeoutError"]);
    assert_eq!(
        found(&server, "has:user !service:payments", all).await,
        ["ZeroDivisionError"]
    );
}

#[tokio::test]
async fn status_and_assignee_changes_are_searchable() {
    let server = server_with_issues().await;
    let key_error = issue_id(&server, "KeyError").await;
    let timeout = issue_id(&server, "TimeoutError").await;
    put_issue(&server, &key_error, json!({"status": "resolved"})).await;
    put_issue(&server, &timeout, json!({"assigned_to": "#payments"})).await;
    // The default query is is:unresolved.
    let (status, body) = list(&server, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
    assert_eq!(found(&server, "is:resolved", "date").await, ["KeyError"]);
    assert_eq!(
        found(&server, "assigned:#payments", "date").await,
        ["TimeoutError"]
    );
    assert_eq!(
        found(&server, "is:unassigned", "date").await,
        ["ZeroDivisionError", "KeyError"]
    );
    assert_eq!(
        found(&server, &format!("issue:{key_error}"), "date").await,
        ["KeyError"]
    );
}

#[tokio::test]
async fn sorts_follow_the_named_measure() {
    let server = server_with_issues().await;
    assert_eq!(
        found(&server, "", "new").await,
        ["ZeroDivisionError", "KeyError", "TimeoutError"]
    );
    assert_eq!(
        found(&server, "", "freq").await,
        ["ZeroDivisionError", "TimeoutError", "KeyError"]
    );
    assert_eq!(
        found(&server, "", "user").await,
        ["TimeoutError", "ZeroDivisionError", "KeyError"]
    );
    // Events in the last hour: 5, 1 and 0.
    assert_eq!(
        found(&server, "", "trends").await,
        ["ZeroDivisionError", "TimeoutError", "KeyError"]
    );
    assert_eq!(found(&server, "", "events").await[0], "ZeroDivisionError");
}

#[tokio::test]
async fn invalid_queries_and_sorts_are_400_naming_the_term() {
    let server = server_with_issues().await;
    for (params, expected) in [
        ("query=is%3Abogus", "`is:bogus`"),
        ("query=level%3Aerror%20firstSeen%3Asoon", "`firstSeen:soon`"),
        ("query=assigned%3Ame", "`assigned:me`"),
        ("query=%22open", "unterminated quote"),
        ("sort=popular", "`popular`"),
    ] {
        let (status, body) = list(&server, params).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{params}: {body}");
        assert!(error_message(&body).contains(expected), "{params}: {body}");
    }
    let long = "a".repeat(3000);
    let (status, body) = list(&server, &format!("query={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("2048"), "{body}");
}
