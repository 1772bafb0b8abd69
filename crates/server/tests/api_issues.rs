//! The issue API through the router: events from Sentry SDKs grouped into issues, listed and
//! searched, shown with tags, replays, history and event navigation, resolved, reopened by a
//! regression, ignored and assigned; and events stored by a version 2 database grouped when it
//! is opened.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use support::{T0, TestServer, envelope, meta, python_event, replay_id, segment, traced_request};

const TRACE: &str = "0123456789abcdef0123456789abcdef";
const SPAN_FAIL: &str = "2222222222222222";

fn id(n: u32) -> String {
    format!("{n:032x}")
}

/// The Python ZeroDivisionError of the test support, as event `n` of `user` in `release`.
fn division_error(n: u32, user: &str, release: &str) -> Value {
    let mut event = python_event(&id(n), TRACE, None);
    event["user"] = json!({"id": user, "email": format!("{user}@example.com")});
    event["release"] = json!(release);
    // Another line and another value: still the same issue.
    event["exception"]["values"][0]["stacktrace"]["frames"][1]["lineno"] = json!(7 + n);
    event
}

async fn send(server: &TestServer, event: &Value) {
    let (status, body) = server.envelope(envelope(&json!({}), event)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn get_ok(server: &TestServer, path: &str) -> Value {
    let (status, body) = server.get_json(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn only_issue(server: &TestServer, query: &str) -> Value {
    let issues = get_ok(server, &format!("/api/0/issues/?query={query}")).await;
    assert_eq!(issues.as_array().unwrap().len(), 1, "{issues}");
    issues[0].clone()
}

#[tokio::test]
async fn events_are_grouped_into_issues_that_list_search_and_sort() {
    let server = TestServer::new();
    for (n, user) in [(1, "ann"), (2, "bob"), (3, "ann")] {
        send(&server, &division_error(n, user, "shop-backend@2.0.0")).await;
    }
    send(
        &server,
        &json!({"event_id": id(4), "message": "inventory sync for sku 12 is slow",
        "level": "warning", "environment": "staging", "timestamp": "2026-11-26T06:10:00Z"}),
    )
    .await;
    send(
        &server,
        &json!({"event_id": id(5), "message": "inventory sync for sku 977 is slow",
        "level": "warning", "environment": "staging", "timestamp": "2026-11-26T06:11:00Z"}),
    )
    .await;

    let issues = get_ok(&server, "/api/0/issues/").await;
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2, "{issues:?}");
    // Newest last seen first.
    assert_eq!(issues[0]["title"], "inventory sync for sku 977 is slow");
    assert_eq!(issues[0]["count"], 2);
    let division = &issues[1];
    assert_eq!(division["title"], "ZeroDivisionError: division by zero");
    assert_eq!(division["culprit"], "shop.pay in pay");
    assert_eq!(division["type"], "ZeroDivisionError");
    assert_eq!(division["value"], "division by zero");
    assert_eq!(division["level"], "error");
    assert_eq!(division["status"], "unresolved");
    assert_eq!(division["regressed"], false);
    assert_eq!(division["count"], 3);
    assert_eq!(division["user_count"], 2);
    assert_eq!(division["project"], "1");
    assert_eq!(division["first_seen"], "2026-11-26T06:09:00.500Z");
    assert_eq!(division["first_release"], "shop-backend@2.0.0");
    assert_eq!(division["last_release"], "shop-backend@2.0.0");
    assert_eq!(division["environments"], json!(["production"]));
    assert_eq!(division["counts_24h"].as_array().unwrap().len(), 24);
    assert_eq!(division["suspect_commits"], json!([]));
    assert!(division["id"].is_string());

    let found = only_issue(&server, "http.status_code:500%20environment:production").await;
    assert_eq!(found["id"], division["id"]);
    let found = only_issue(&server, "level:warning").await;
    assert_eq!(found["title"], issues[0]["title"]);
    let found = only_issue(&server, "%22division%22").await;
    assert_eq!(found["id"], division["id"]);
    let sorted = get_ok(&server, "/api/0/issues/?sort=freq").await;
    assert_eq!(sorted[0]["id"], division["id"]);
    let all = get_ok(&server, "/api/0/issues/?query=&limit=1").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(get_ok(&server, "/api/0/issues/?project=2").await, json!([]));

    for (path, named) in [
        ("/api/0/issues/?query=is:bogus", "is:bogus"),
        ("/api/0/issues/?sort=loudest", "loudest"),
        ("/api/0/issues/?limit=0", "limit"),
        ("/api/0/issues/?project=x", "project"),
    ] {
        let (status, body) = server.get_json(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(body["detail"].as_str().unwrap().contains(named), "{body}");
    }
    let anonymous = Request::get("/api/0/issues/").body(Body::empty()).unwrap();
    assert_eq!(
        server.send(anonymous).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_issue_shows_tags_replays_history_and_event_navigation() {
    let server = TestServer::new();
    let replay = replay_id('a');
    let bytes = segment(
        &replay,
        0,
        T0,
        &[
            meta(0, "https://shop.example/cart"),
            traced_request(2_000, 500, TRACE, SPAN_FAIL),
        ],
        Compression::DeflateRaw,
    );
    let (status, body) = server.upload(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut first = division_error(1, "ann", "shop-backend@2.0.0");
    first["timestamp"] = json!("2026-11-26T06:09:00Z");
    first["contexts"]["trace"]["parent_span_id"] = json!(SPAN_FAIL);
    send(&server, &first).await;
    let mut second = division_error(2, "bob", "shop-backend@2.0.1");
    second["timestamp"] = json!("2026-11-26T06:09:30Z");
    second["tags"]["customer_tier"] = json!("gold");
    send(&server, &second).await;
    let mut third = division_error(3, "cyd", "shop-backend@2.0.1");
    third["timestamp"] = json!("2026-11-26T06:10:00Z");
    send(&server, &third).await;

    let issue_id = only_issue(&server, "").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let issue = get_ok(&server, &format!("/api/0/issues/{issue_id}/")).await;
    assert_eq!(issue["count"], 3);
    assert_eq!(issue["first_event_id"], id(1));
    assert_eq!(issue["latest_event_id"], id(3));
    assert_eq!(issue["latest_event"]["id"], id(3));
    assert_eq!(issue["latest_event"]["issue_id"], issue_id);
    assert_eq!(issue["replay_ids"], json!([replay]));
    assert_eq!(issue["replay_count"], 1);
    assert_eq!(issue["first_release"], "shop-backend@2.0.0");
    assert_eq!(issue["last_release"], "shop-backend@2.0.1");
    assert_eq!(issue["counts_14d"].as_array().unwrap().len(), 14 * 24);
    assert_eq!(issue["activity"][0]["kind"], "created");
    assert_eq!(issue["activity"][0]["release"], "shop-backend@2.0.0");
    let tag = |key: &str| {
        issue["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tag| tag["key"] == key)
            .unwrap_or_else(|| panic!("no tag {key} in {}", issue["tags"]))
            .clone()
    };
    assert_eq!(
        tag("release"),
        json!({"key": "release", "total": 3, "values": [
            {"value": "shop-backend@2.0.1", "count": 2}, {"value": "shop-backend@2.0.0", "count": 1}
        ]})
    );
    assert_eq!(
        tag("http.status_code")["values"][0],
        json!({"value": "500", "count": 3})
    );
    assert_eq!(tag("user")["total"], 3);
    assert_eq!(tag("customer_tier")["values"][0]["value"], "gold");

    let events = get_ok(&server, &format!("/api/0/issues/{issue_id}/events/")).await;
    let ids: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(3), id(2), id(1)]);
    assert_eq!(events[2]["replay_id"], replay);
    assert_eq!(events[0]["timestamp"], "2026-11-26T06:10:00.000Z");
    assert_eq!(events[0]["user"]["id"], "cyd");
    let response = server
        .get(&format!("/api/0/issues/{issue_id}/events/?limit=2"))
        .await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("rel=\"next\""), "{link}");
    let cursor = link
        .split("cursor=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches('"');
    let rest = get_ok(
        &server,
        &format!("/api/0/issues/{issue_id}/events/?cursor={cursor}"),
    )
    .await;
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["id"], id(1));

    let latest = get_ok(&server, &format!("/api/0/issues/{issue_id}/events/latest/")).await;
    assert_eq!(latest["id"], id(3));
    assert_eq!(latest["previous_event_id"], id(2));
    assert_eq!(latest["next_event_id"], Value::Null);
    let oldest = get_ok(&server, &format!("/api/0/issues/{issue_id}/events/oldest/")).await;
    assert_eq!(oldest["id"], id(1));
    assert_eq!(oldest["previous_event_id"], Value::Null);
    assert_eq!(oldest["next_event_id"], id(2));
    assert_eq!(oldest["replay_id"], replay);
    let middle = get_ok(&server, &format!("/api/0/events/{}/", id(2))).await;
    assert_eq!(middle["issue_id"], issue_id);
    assert_eq!(middle["previous_event_id"], id(1));
    assert_eq!(middle["next_event_id"], id(3));

    let found = get_ok(&server, "/api/0/events/?query=release:shop-backend@2.0.1").await;
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(3), id(2)]);
    assert_eq!(found[0]["issue_id"], issue_id);

    for path in [
        "/api/0/issues/999/",
        "/api/0/issues/x/",
        "/api/0/issues/999/events/latest/",
    ] {
        let (status, _) = server.get_json(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = server
        .get_json(&format!("/api/0/issues/{issue_id}/events/?cursor=x"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("cursor"));
}

#[tokio::test]
async fn resolving_ignoring_assigning_and_regressions() {
    let server = TestServer::new();
    send(&server, &division_error(1, "ann", "shop-backend@2.0.0")).await;
    let issue_id = only_issue(&server, "").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/0/issues/{issue_id}/");

    let (status, issue) = server
        .admin_json("PUT", &path, Some(json!({"status": "resolved"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    assert_eq!(issue["status"], "resolved");
    assert_eq!(
        get_ok(&server, "/api/0/issues/").await,
        json!([]),
        "resolved is not listed"
    );
    send(&server, &division_error(2, "ann", "shop-backend@2.0.0")).await;
    let issue = only_issue(&server, "is:unresolved").await;
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(issue["regressed"], true);
    assert_eq!(only_issue(&server, "is:regressed").await["id"], issue_id);

    // Sentry's form of "resolved in the next release".
    let (status, issue) = server
        .admin_json(
            "PUT",
            &path,
            Some(json!({"status": "resolved", "statusDetails": {"inNextRelease": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    assert_eq!(issue["status"], "resolved_in_next_release");
    assert_eq!(issue["resolved_in_release"], "shop-backend@2.0.0");
    send(&server, &division_error(3, "ann", "shop-backend@2.0.0")).await;
    let issue = get_ok(&server, &path).await;
    assert_eq!(
        issue["status"], "resolved_in_next_release",
        "same release: still resolved"
    );
    send(&server, &division_error(4, "ann", "shop-backend@2.0.1")).await;
    let issue = get_ok(&server, &path).await;
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(issue["count"], 4);
    let kinds: Vec<&str> = issue["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "resolved",
            "regressed",
            "resolved_in_next_release",
            "regressed"
        ]
    );
    assert_eq!(issue["activity"][4]["release"], "shop-backend@2.0.1");

    let (_, issue) = server
        .admin_json(
            "PUT",
            &path,
            Some(json!({"status": "ignored", "assignedTo": "#payments"})),
        )
        .await;
    assert_eq!(issue["status"], "ignored");
    assert_eq!(issue["assigned_to"], "#payments");
    send(&server, &division_error(5, "ann", "shop-backend@2.0.2")).await;
    let issue = only_issue(&server, "is:ignored").await;
    assert_eq!(issue["status"], "ignored");
    assert_eq!(issue["count"], 5);
    assert_eq!(
        only_issue(&server, "assigned:%23payments").await["id"],
        issue_id
    );
    let (_, issue) = server
        .admin_json("PUT", &path, Some(json!({"assigned_to": null})))
        .await;
    assert_eq!(issue["assigned_to"], Value::Null);

    let (status, body) = server
        .admin_json("PUT", &path, Some(json!({"status": "fixed"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("fixed"), "{body}");
    let (status, _) = server
        .admin_json(
            "PUT",
            "/api/0/issues/999/",
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn real_sdk_events_each_make_their_issue() {
    let server = TestServer::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/envelopes");
    for name in [
        "python-exception-0-event.envelope",
        "python-logging-0-event.envelope",
        "python-message-0-event.envelope",
        "rust-0-event.envelope",
    ] {
        let (status, body) = server
            .envelope(std::fs::read(dir.join(name)).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
    }
    let issues = get_ok(&server, "/api/0/issues/?query=").await;
    let mut titles: Vec<(String, String)> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            (
                issue["title"].as_str().unwrap().to_owned(),
                issue["culprit"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            (
                "CheckoutError: payment provider timeout".to_owned(),
                String::new()
            ),
            (
                "ZeroDivisionError: division by zero".to_owned(),
                "__main__ in price_per_item".to_owned()
            ),
            // Message events happen in a transaction (the request's route).
            (
                "inventory sync is slow".to_owned(),
                "POST /api/checkout".to_owned()
            ),
            (
                "payment for cart-42 failed after 3 tries".to_owned(),
                "POST /api/checkout".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn events_stored_by_a_version_2_database_are_grouped_when_it_is_opened() {
    let server = TestServer::new();
    for (n, user) in [(1, "ann"), (2, "bob")] {
        send(&server, &division_error(n, user, "shop-backend@2.0.0")).await;
    }
    send(
        &server,
        &json!({"event_id": id(3), "message": "inventory sync is slow"}),
    )
    .await;
    let database = server
        .dir
        .path()
        .join(sightline_server::store::DATABASE_FILE);
    {
        let connection = rusqlite::Connection::open(&database).unwrap();
        connection
            .execute_batch(
                "DELETE FROM issues; DELETE FROM issue_events; DELETE FROM issue_tags; \
                 DELETE FROM issue_hours; DELETE FROM issue_users; DELETE FROM issue_activity; \
                 DELETE FROM releases; PRAGMA user_version = 2;",
            )
            .unwrap();
    }
    let server = server.reopen();
    let issues = get_ok(&server, "/api/0/issues/").await;
    assert_eq!(issues.as_array().unwrap().len(), 2, "{issues}");
    let division = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|issue| issue["type"] == "ZeroDivisionError")
        .unwrap();
    assert_eq!(division["count"], 2);
    assert_eq!(division["user_count"], 2);
    assert_eq!(division["first_release"], "shop-backend@2.0.0");
    let event = get_ok(&server, &format!("/api/0/events/{}/", id(2))).await;
    assert_eq!(event["issue_id"], division["id"]);
    assert_eq!(event["previous_event_id"], id(1));

    // Grouping continues on the same issue after the upgrade.
    send(&server, &division_error(4, "cyd", "shop-backend@2.0.0")).await;
    let issue = get_ok(
        &server,
        &format!("/api/0/issues/{}/", division["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(issue["count"], 3);
}

/// A Node (Express) TypeError as `@sentry/node` sends it, thrown at `line` of the app's route.
fn node_error(n: u32, line: u32) -> Value {
    json!({
        "event_id": id(n),
        "platform": "node",
        "timestamp": 1_795_673_340.0 + f64::from(n),
        "release": "shop-api@5.1.0",
        "exception": {"values": [{
            "type": "TypeError",
            "value": format!("Cannot read properties of undefined (reading 'item{n}')"),
            "mechanism": {"type": "express", "handled": false},
            "stacktrace": {"frames": [
                {"filename": "node:internal/process/task_queues", "function": "process.processTicksAndRejections",
                 "lineno": 95, "in_app": false},
                {"filename": "/srv/api/node_modules/express/lib/router/layer.js", "function": "Layer.handle",
                 "module": "express.lib.router:layer", "lineno": 95, "in_app": true},
                {"filename": "/srv/api/src/routes/checkout.js", "abs_path": "/srv/api/src/routes/checkout.js",
                 "module": "routes:checkout", "function": "applyCoupon", "lineno": line, "colno": 17,
                 "in_app": true},
                {"filename": "/srv/api/node_modules/lodash/lodash.js", "function": "get",
                 "lineno": 4100, "in_app": true}
            ]}
        }]}
    })
}

#[tokio::test]
async fn node_errors_group_by_app_frames_whatever_the_sdk_marks_in_app() {
    let server = TestServer::new();
    send(&server, &node_error(1, 40)).await;
    send(&server, &node_error(2, 41)).await;
    let issue = only_issue(&server, "").await;
    assert_eq!(issue["count"], 2);
    assert_eq!(issue["type"], "TypeError");
    // The SDK called lodash in-app; the server's rules say node_modules is not.
    assert_eq!(issue["culprit"], "routes:checkout in applyCoupon");
    assert_eq!(issue["first_release"], "shop-api@5.1.0");
    let event = get_ok(&server, &format!("/api/0/events/{}/", id(2))).await;
    assert_eq!(
        event["culprit"], issue["culprit"],
        "the event agrees with its issue"
    );
}
