//! Alert rules end to end: rules created through the API, events sent through the real
//! Sentry-compatible ingest, alerts delivered as JSON webhooks to a receiver in the test, and
//! the alerts list showing their delivery.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use support::{TestServer, envelope, error_message, python_event};

const TRACE: &str = "0123456789abcdef0123456789abcdef";

/// A webhook receiver on 127.0.0.1: answers each POST with the next scripted status (200
/// once the script is used up) and keeps every body it received.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let kept = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Self { url, bodies }
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// An event of the checkout issue (or of another issue when `kind` differs) from `environment`.
fn event(n: u32, kind: &str, environment: &str) -> Vec<u8> {
    let id = format!("{n:032x}");
    let mut event = python_event(&id, TRACE, None);
    event["environment"] = json!(environment);
    event["exception"]["values"][0]["type"] = json!(kind);
    envelope(&json!({ "event_id": id }), &event)
}

async fn send_events(server: &TestServer, events: impl IntoIterator<Item = Vec<u8>>) {
    for body in events {
        let (status, answer) = server.envelope(body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
}

async fn create_rule(server: &TestServer, rule: Value) -> Value {
    let (status, body) = server
        .admin_json("POST", "/api/0/projects/1/alert-rules/", Some(rule))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn alerts(server: &TestServer) -> Vec<Value> {
    let (status, body) = server.get_json("/api/0/projects/1/alerts/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// The alerts list once no alert is pending any more (bounded wait for the delivery task).
async fn settled_alerts(server: &TestServer) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = alerts(server).await;
        if alerts.iter().all(|alert| alert["status"] != "pending") {
            return alerts;
        }
        assert!(
            Instant::now() < deadline,
            "alerts still pending: {alerts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_burst_of_thirty_events_over_a_threshold_of_ten_is_one_webhook() {
    let server = TestServer::new();
    let receiver = Receiver::start(&[]);
    let rule = create_rule(
        &server,
        json!({"name": "checkout spike", "condition": "spike", "threshold": 10,
               "window_minutes": 5, "webhook_url": receiver.url}),
    )
    .await;
    assert_eq!(rule["throttle_minutes"], 60);
    send_events(
        &server,
        (0..30).map(|n| event(n, "ZeroDivisionError", "production")),
    )
    .await;
    let alerts = settled_alerts(&server).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["status"], "delivered");
    assert_eq!(alert["attempts"], 1);
    assert_eq!(alert["rule_name"], "checkout spike");
    assert_eq!(alert["issue_title"], "ZeroDivisionError: division by zero");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let body = &bodies[0];
    assert_eq!(body["rule"]["condition"], "spike");
    assert_eq!(body["rule"]["id"], rule["id"]);
    assert_eq!(body["trigger"]["count_in_window"], 11);
    assert_eq!(body["trigger"]["window_minutes"], 5);
    assert_eq!(body["trigger"]["event_id"], format!("{:032x}", 10));
    assert_eq!(body["issue"]["id"], alert["issue_id"]);
    assert_eq!(body["issue"]["first_release"], "shop-backend@2.0.0");
    let url = body["issue"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://")
            && url.ends_with(&format!("/issues/{}", alert["issue_id"].as_str().unwrap())),
        "{url}"
    );
    assert_eq!(alert["payload"]["id"], body["id"]);
}

#[tokio::test]
async fn each_new_issue_in_the_rules_environment_is_one_webhook() {
    let server = TestServer::new();
    let receiver = Receiver::start(&[]);
    create_rule(
        &server,
        json!({"name": "new in production", "condition": "new_issue",
               "environment": "production", "webhook_url": receiver.url}),
    )
    .await;
    send_events(
        &server,
        [
            event(1, "ZeroDivisionError", "production"),
            event(2, "ZeroDivisionError", "production"),
            event(3, "KeyError", "staging"),
            event(4, "ZeroDivisionError", "production"),
            event(5, "TimeoutError", "production"),
            // First seen in staging, now new in production too.
            event(6, "KeyError", "production"),
            event(7, "KeyError", "production"),
        ],
    )
    .await;
    let alerts = settled_alerts(&server).await;
    let titles: Vec<&str> = alerts
        .iter()
        .map(|alert| alert["issue_title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "KeyError: division by zero",
            "TimeoutError: division by zero",
            "ZeroDivisionError: division by zero"
        ]
    );
    let mut triggers: Vec<String> = receiver
        .bodies()
        .iter()
        .map(|body| body["trigger"]["event_id"].as_str().unwrap().to_owned())
        .collect();
    triggers.sort();
    assert_eq!(
        triggers,
        [
            format!("{:032x}", 1),
            format!("{:032x}", 5),
            format!("{:032x}", 6)
        ]
    );
    assert!(
        receiver
            .bodies()
            .iter()
            .all(|body| body["rule"]["condition"] == "new_issue"
                && body["trigger"]["environment"] == "production")
    );
}

/// The id of the only issue.
async fn only_issue(server: &TestServer) -> String {
    let (status, issues) = server.get_json("/api/0/issues/?query=").await;
    assert_eq!(status, StatusCode::OK, "{issues}");
    assert_eq!(issues.as_array().unwrap().len(), 1, "{issues}");
    issues[0]["id"].as_str().unwrap().to_owned()
}

async fn set_status(server: &TestServer, issue: &str, status: &str) {
    let path = format!("/api/0/issues/{issue}/");
    let (code, body) = server
        .admin_json("PUT", &path, Some(json!({ "status": status })))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

/// A server with a regression rule posting to a new receiver, and one issue (event 1, a
/// `ZeroDivisionError` in production) for it to watch.
async fn watched_for_regressions() -> (TestServer, Receiver) {
    let server = TestServer::new();
    let receiver = Receiver::start(&[]);
    create_rule(
        &server,
        json!({"name": "regressions", "condition": "regression", "webhook_url": receiver.url}),
    )
    .await;
    send_events(&server, [event(1, "ZeroDivisionError", "production")]).await;
    (server, receiver)
}

#[tokio::test]
async fn a_resolved_issue_that_gets_an_event_is_one_regression_webhook() {
    let (server, receiver) = watched_for_regressions().await;
    assert!(alerts(&server).await.is_empty());
    set_status(&server, &only_issue(&server).await, "resolved").await;
    send_events(
        &server,
        [
            event(2, "ZeroDivisionError", "production"),
            event(3, "ZeroDivisionError", "production"),
        ],
    )
    .await;
    let alerts = settled_alerts(&server).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["status"], "delivered");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["rule"]["condition"], "regression");
    assert_eq!(bodies[0]["issue"]["status"], "unresolved");
    assert_eq!(bodies[0]["trigger"]["event_id"], format!("{:032x}", 2));
}

#[tokio::test]
async fn resolved_in_next_release_alerts_only_for_a_later_release() {
    let (server, receiver) = watched_for_regressions().await;
    set_status(
        &server,
        &only_issue(&server).await,
        "resolved_in_next_release",
    )
    .await;
    // Another event from the release it was resolved in: still the old code, no regression.
    send_events(&server, [event(2, "ZeroDivisionError", "production")]).await;
    assert!(alerts(&server).await.is_empty());
    let mut later = python_event(&format!("{:032x}", 3), TRACE, None);
    later["release"] = json!("shop-backend@2.0.1");
    let body = envelope(&json!({ "event_id": format!("{:032x}", 3) }), &later);
    send_events(&server, [body]).await;
    let alerts = settled_alerts(&server).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let bodies = receiver.bodies();
    assert_eq!(bodies[0]["trigger"]["release"], "shop-backend@2.0.1");
    assert_eq!(bodies[0]["issue"]["last_release"], "shop-backend@2.0.1");
}

#[tokio::test]
async fn a_webhook_that_answered_500_is_retried_and_the_list_shows_it() {
    let server = TestServer::new();
    let receiver = Receiver::start(&[500]);
    create_rule(
        &server,
        json!({"name": "new", "condition": "new_issue", "webhook_url": receiver.url}),
    )
    .await;
    send_events(&server, [event(1, "ZeroDivisionError", "production")]).await;
    let alerts = settled_alerts(&server).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["status"], "delivered");
    assert_eq!(alerts[0]["attempts"], 2);
    assert!(alerts[0]["delivered_at"].is_string());
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn rules_are_validated_listed_and_deleted() {
    let server = TestServer::new();
    let spike = json!({"name": "s", "condition": "spike", "window_minutes": 5,
                       "webhook_url": "http://127.0.0.1:1/x"});
    for (body, expected) in [
        (spike.clone(), "threshold"),
        (
            json!({"name": "s", "condition": "spike", "threshold": 3,
                   "webhook_url": "http://127.0.0.1:1/x"}),
            "window_minutes",
        ),
        (
            json!({"name": "s", "condition": "often", "webhook_url": "http://h/"}),
            "condition",
        ),
        (
            json!({"name": " ", "condition": "new_issue", "webhook_url": "http://h/"}),
            "name",
        ),
        (
            json!({"name": "n", "condition": "new_issue", "webhook_url": "ftp://h/"}),
            "webhook_url",
        ),
        (
            json!({"name": "n", "condition": "new_issue", "webhook_url": "http://h/",
                   "throttle_minutes": 100_000}),
            "throttle_minutes",
        ),
    ] {
        let (status, answer) = server
            .admin_json("POST", "/api/0/projects/1/alert-rules/", Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(error_message(&answer).contains(expected), "{answer}");
    }
    let (status, _) = server
        .admin_json(
            "POST",
            "/api/0/projects/9/alert-rules/",
            Some(json!({"name": "n", "condition": "new_issue", "webhook_url": "http://h/"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rule = create_rule(
        &server,
        json!({"name": "n", "condition": "new_issue", "environment": "production",
               "webhook_url": "http://h/", "throttle_minutes": 5}),
    )
    .await;
    assert_eq!(rule["environment"], "production");
    assert_eq!(rule["threshold"], Value::Null);
    let (status, listed) = server.get_json("/api/0/projects/1/alert-rules/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([rule]));
    let path = format!(
        "/api/0/projects/1/alert-rules/{}/",
        rule["id"].as_str().unwrap()
    );
    let (status, shown) = server.get_json(&path).await;
    assert_eq!((status, &shown), (StatusCode::OK, &rule));
    let (status, _) = server.admin_json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, listed) = server.get_json("/api/0/projects/1/alert-rules").await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    let unauthenticated = Request::get("/api/0/projects/1/alerts/")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        server.send(unauthenticated).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
