//! `GET /api/0/events/?query=…`: the search language over grouped events, through the real
//! ingest and router.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{TestServer, envelope, error_message, python_event, urlencode};

const TRACE: &str = "0123456789abcdef0123456789abcdef";

fn id(n: u32) -> String {
    format!("{n:032x}")
}

/// Event `n`, `n` seconds after 2026-11-26T06:09:00Z, of the issue named by `kind`.
fn event(n: u32, kind: &str, environment: &str, extra: Value) -> Vec<u8> {
    let mut event = python_event(&id(n), TRACE, None);
    event["timestamp"] = json!(1_795_673_340 + u64::from(n));
    event["environment"] = json!(environment);
    event["exception"]["values"][0]["type"] = json!(kind);
    if let (Value::Object(event), Value::Object(extra)) = (&mut event, extra) {
        event.extend(extra);
    }
    envelope(&json!({ "event_id": id(n) }), &event)
}

async fn server_with_events() -> TestServer {
    let server = TestServer::new();
    for body in [
        event(1, "ZeroDivisionError", "production", json!({})),
        event(2, "ZeroDivisionError", "production", json!({})),
        event(
            3,
            "KeyError",
            "staging",
            json!({"level": "warning", "tags": {"browser": "Firefox 130", "http.status_code": "502"},
                   "release": "shop-backend@2.0.1"}),
        ),
        event(4, "ZeroDivisionError", "production", json!({})),
    ] {
        let (status, answer) = server.envelope(body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    server
}

async fn search(server: &TestServer, query: &str) -> Vec<String> {
    let path = format!("/api/0/events/?query={}", urlencode(query));
    let (status, body) = server.get_json(&path).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn events_are_found_by_their_own_fields_newest_first() {
    let server = server_with_events().await;
    assert_eq!(search(&server, "").await, [id(4), id(3), id(2), id(1)]);
    assert_eq!(search(&server, "environment:staging").await, [id(3)]);
    assert_eq!(
        search(&server, "!environment:staging").await,
        [id(4), id(2), id(1)]
    );
    assert_eq!(search(&server, "level:warning").await, [id(3)]);
    assert_eq!(
        search(&server, "http.status_code:500").await,
        [id(4), id(2), id(1)]
    );
    assert_eq!(search(&server, "http.status_code:50*").await.len(), 4);
    assert_eq!(search(&server, "browser:Firefox*").await, [id(3)]);
    assert_eq!(search(&server, "release:shop-backend@2.0.1").await, [id(3)]);
    assert_eq!(search(&server, "release:latest").await, [id(3)]);
    assert_eq!(search(&server, "\"KeyError: division\"").await, [id(3)]);
    assert_eq!(
        search(&server, "ZeroDivisionError").await,
        [id(4), id(2), id(1)]
    );
    assert_eq!(
        search(&server, "timestamp:>=2026-11-26T06:09:02Z").await,
        [id(4), id(3), id(2)]
    );
    assert_eq!(
        search(&server, "is:unresolved times_seen:>2").await,
        [id(4), id(2), id(1)]
    );
}

#[tokio::test]
async fn results_carry_the_issue_and_are_bounded() {
    let server = server_with_events().await;
    let (status, body) = server.get_json("/api/0/events/?query=level:warning").await;
    assert_eq!(status, StatusCode::OK);
    let event = &body[0];
    assert_eq!(event["id"], id(3));
    assert_eq!(event["level"], "warning");
    assert_eq!(event["environment"], "staging");
    assert_eq!(event["release"], "shop-backend@2.0.1");
    assert_eq!(event["timestamp"], "2026-11-26T06:09:03.000Z");
    assert_eq!(event["title"], "KeyError: division by zero");
    assert_eq!(event["trace_id"], TRACE);
    let issue = event["issue_id"].as_str().unwrap();
    assert_eq!(search(&server, &format!("issue:{issue}")).await, [id(3)]);
    let (_, limited) = server.get_json("/api/0/events/?limit=2").await;
    assert_eq!(limited.as_array().unwrap().len(), 2);
    let (_, other) = server.get_json("/api/0/events/?project=2").await;
    assert_eq!(other, json!([]));
}

#[tokio::test]
async fn an_invalid_query_is_a_400_naming_the_term() {
    let server = server_with_events().await;
    for (query, term) in [
        ("is:bogus", "`is:bogus`"),
        ("level:error firstSeen:-3y", "`firstSeen:-3y`"),
        ("\"open", "unterminated quote"),
        ("times_seen:>lots", "`times_seen:>lots`"),
    ] {
        let path = format!("/api/0/events/?query={}", urlencode(query));
        let (status, body) = server.get_json(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(error_message(&body).contains(term), "{query}: {body}");
    }
    let status = server.get("/api/0/events/?limit=many").await.status();
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
