//! Releases through the router: creation, stats (new issues, regressions, events, sessions),
//! set-commits, deploys, and the suspect commits an issue shows.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use support::{
    T0, TestServer, envelope, error_message, js_error, meta, python_event, replay_id, segment,
    simple_segment,
};

const TRACE: &str = "0123456789abcdef0123456789abcdef";

async fn create_release(server: &TestServer, version: &str, created: &str) {
    let (status, body) = server
        .admin_json(
            "POST",
            "/api/0/projects/1/releases/",
            Some(json!({"version": version, "date_created": created})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Sends event `n` of exception type `kind` in `release`; processes it.
async fn send_event(server: &TestServer, n: u32, kind: &str, release: &str) {
    let id = format!("{n:032x}");
    let mut event = python_event(&id, TRACE, None);
    event["timestamp"] = json!(1_795_673_340 + u64::from(n));
    event["release"] = json!(release);
    event["exception"]["values"][0]["type"] = json!(kind);
    let (status, body) = server
        .envelope(envelope(&json!({"event_id": id}), &event))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn release(server: &TestServer, version: &str) -> Value {
    let (status, body) = server
        .admin_json(
            "GET",
            &format!("/api/0/projects/1/releases/{version}/"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn titles(issues: &Value) -> Vec<&str> {
    let mut titles: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    titles
}

#[tokio::test]
async fn a_release_counts_its_new_issues_regressions_events_and_crash_free_sessions() {
    let server = TestServer::new();
    create_release(&server, "shop@1.4.1", "2026-11-26T05:00:00Z").await;
    let (status, body) = server
        .admin_json(
            "POST",
            "/api/0/projects/1/releases/",
            Some(json!({"version": "shop@1.4.1"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an existing release is answered: {body}"
    );
    create_release(&server, "shop@1.4.2", "2026-11-26T06:00:00Z").await;

    send_event(&server, 1, "TypeError", "shop@1.4.1").await;
    let old_issue = release(&server, "shop@1.4.1").await["new_issues"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = server
        .admin_json(
            "PUT",
            &format!("/api/0/issues/{old_issue}/"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (n, kind) in [
        (2, "ZeroDivisionError"),
        (3, "ZeroDivisionError"),
        (4, "KeyError"),
    ] {
        send_event(&server, n, kind, "shop@1.4.2").await;
    }
    send_event(&server, 5, "TypeError", "shop@1.4.2").await;

    // Two sessions on shop@1.4.2, one of them with a JS error.
    server.upload(simple_segment(&replay_id('a'), 0, T0)).await;
    let crashed = segment(
        &replay_id('b'),
        0,
        T0,
        &[
            meta(0, "https://shop.example/"),
            js_error(5, &"e".repeat(32)),
        ],
        Compression::None,
    );
    let (status, body) = server.upload(crashed).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let details = release(&server, "shop@1.4.2").await;
    assert_eq!(details["new_issue_count"], 2, "{details}");
    assert_eq!(
        titles(&details["new_issues"]),
        [
            "KeyError: division by zero",
            "ZeroDivisionError: division by zero"
        ]
    );
    assert_eq!(details["regression_count"], 1, "{details}");
    assert_eq!(
        titles(&details["regressed_issues"]),
        ["TypeError: division by zero"]
    );
    assert_eq!(details["regressed_issues"][0]["id"], old_issue.as_str());
    assert_eq!(details["event_count"], 4);
    assert_eq!(details["first_event"], "2026-11-26T06:09:02.000Z");
    assert_eq!(details["last_event"], "2026-11-26T06:09:05.000Z");
    assert_eq!(details["session_count"], 2);
    assert_eq!(details["crash_free_sessions"], 0.5);
    assert_eq!(details["project"], "1");
    assert_eq!(details["created_at"], "2026-11-26T06:00:00.000Z");

    let old = release(&server, "shop@1.4.1").await;
    assert_eq!(old["new_issue_count"], 1);
    assert_eq!(old["event_count"], 1);
    assert_eq!(old["session_count"], 0);
    assert_eq!(old["crash_free_sessions"], Value::Null);

    let (status, list) = server
        .admin_json("GET", "/api/0/projects/1/releases/", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let versions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["shop@1.4.2", "shop@1.4.1"], "newest first");
    assert_eq!(list[0]["event_count"], 4);
}

#[tokio::test]
async fn commits_are_replaced_and_deploys_recorded() {
    let server = TestServer::new();
    create_release(&server, "shop@2.0.0", "2026-11-26T06:00:00Z").await;
    let commits = json!({"commits": [
        {"id": "b2", "author_name": "Ben", "author_email": "ben@example.com",
         "message": "payment: shorter timeout", "timestamp": "2026-11-26T05:30:00Z",
         "repository": "shop",
         "files": [{"path": "src/payment.rs", "type": "M"}, {"path": "src/old.rs", "type": "D"}]},
        {"id": "a1", "author_name": "Ada", "message": "cart: badge",
         "timestamp": 1_795_668_000_000u64, "files": [{"path": "src/cart.rs", "type": "A"}]},
    ]});
    let path = "/api/0/projects/1/releases/shop@2.0.0/commits/";
    let (status, body) = server.admin_json("POST", path, Some(commits)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["commit_count"], 2);

    let details = release(&server, "shop@2.0.0").await;
    assert_eq!(details["commit_count"], 2);
    assert_eq!(details["commits"][0]["id"], "b2");
    assert_eq!(
        details["commits"][0]["files"],
        json!([{"path": "src/payment.rs", "type": "M"}, {"path": "src/old.rs", "type": "D"}])
    );
    assert_eq!(details["commits"][1]["author_name"], "Ada");
    assert_eq!(
        details["commits"][1]["timestamp"],
        "2026-11-26T04:40:00.000Z"
    );
    assert_eq!(details["last_commit"]["id"], "b2", "the newest by time");

    // Set-commits replaces the whole list.
    let (status, body) = server
        .admin_json(
            "POST",
            path,
            Some(json!({"commits": [{"id": "c3", "message": "only", "timestamp": 5}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let details = release(&server, "shop@2.0.0").await;
    assert_eq!(details["commit_count"], 1);
    assert_eq!(details["commits"][0]["id"], "c3");

    let (status, deploy) = server
        .admin_json(
            "POST",
            "/api/0/projects/1/releases/shop@2.0.0/deploys/",
            Some(json!({"environment": "production", "name": "canary",
                    "date_finished": "2026-11-26T06:05:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{deploy}");
    assert_eq!(deploy["environment"], "production");
    let details = release(&server, "shop@2.0.0").await;
    assert_eq!(details["deploys"].as_array().unwrap().len(), 1);
    assert_eq!(details["last_deploy"]["name"], "canary");
    assert_eq!(
        details["last_deploy"]["date_finished"],
        "2026-11-26T06:05:00.000Z"
    );
}

#[tokio::test]
async fn bad_release_requests_say_what_is_wrong() {
    let server = TestServer::new();
    create_release(&server, "shop@1", "2026-11-26T06:00:00Z").await;
    let cases = [
        (
            "/api/0/projects/1/releases/",
            json!({"version": "has space"}),
            StatusCode::BAD_REQUEST,
            "invalid release version",
        ),
        (
            "/api/0/projects/1/releases/shop@1/commits/",
            json!({"commits": [{"id": "a", "files": [{"path": "x", "type": "X"}]}]}),
            StatusCode::BAD_REQUEST,
            "unknown variant `X`",
        ),
        (
            "/api/0/projects/1/releases/shop@1/commits/",
            json!({"commits": [{"id": "a", "timestamp": "last tuesday"}]}),
            StatusCode::BAD_REQUEST,
            "commits[0].timestamp",
        ),
        (
            "/api/0/projects/1/releases/shop@9/commits/",
            json!({"commits": []}),
            StatusCode::NOT_FOUND,
            "release shop@9 not found",
        ),
        (
            "/api/0/projects/1/releases/shop@9/deploys/",
            json!({"environment": "production"}),
            StatusCode::NOT_FOUND,
            "release shop@9 not found",
        ),
        (
            "/api/0/projects/7/releases/",
            json!({"version": "a"}),
            StatusCode::NOT_FOUND,
            "project 7 not found",
        ),
    ];
    for (path, body, expected, message) in cases {
        let (status, answer) = server.admin_json("POST", path, Some(body)).await;
        assert_eq!(status, expected, "{path}: {answer}");
        assert!(
            error_message(&answer).contains(message),
            "{path}: {answer} should say {message:?}"
        );
    }
    let files: Vec<Value> = (0..1001)
        .map(|n| json!({"path": format!("f{n}"), "type": "A"}))
        .collect();
    let (status, answer) = server
        .admin_json(
            "POST",
            "/api/0/projects/1/releases/shop@1/commits/",
            Some(json!({"commits": [{"id": "a", "files": files}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_message(&answer).contains("MAX_FILES_PER_COMMIT"),
        "{answer}"
    );

    let request = Request::get("/api/0/projects/1/releases/")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        server.send(request).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn suspects(server: &TestServer, issue: &str) -> Value {
    let (status, body) = server
        .admin_json("GET", &format!("/api/0/issues/{issue}/"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["suspect_commits"].clone()
}

/// Commit `id` at minute `minute` of 2026-11-26T05:00Z changing `files`.
fn commit(id: &str, minute: u64, files: &[(&str, &str)]) -> Value {
    json!({
        "id": id,
        "author_name": format!("author {id}"),
        "author_email": format!("{id}@example.com"),
        "message": format!("commit {id}"),
        "timestamp": 1_795_669_200_000u64 + minute * 60_000,
        "files": files
            .iter()
            .map(|(path, kind)| json!({"path": path, "type": kind}))
            .collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn an_issue_suspects_the_commits_that_touched_its_frames() {
    let server = TestServer::new();
    let releases = [
        (
            "shop@1.3.0",
            "2026-11-26T03:00:00Z",
            vec![commit("too-old", 50, &[("src/payments/pay.py", "M")])],
        ),
        ("shop@1.4.0", "2026-11-26T04:00:00Z", vec![]),
        (
            "shop@1.4.1",
            "2026-11-26T05:00:00Z",
            vec![commit("pay-141", 10, &[("src/payments/pay.py", "A")])],
        ),
        (
            "shop@1.4.2",
            "2026-11-26T06:00:00Z",
            vec![
                commit("docs", 40, &[("README.md", "M")]),
                commit("app", 30, &[("src/payments/app.py", "M")]),
                commit(
                    "pay-142",
                    20,
                    &[("src/payments/pay.py", "M"), ("src/payments/gone.py", "D")],
                ),
                commit("deleted", 35, &[("src/payments/pay.py", "D")]),
            ],
        ),
    ];
    for (version, created, commits) in releases {
        create_release(&server, version, created).await;
        let (status, body) = server
            .admin_json(
                "POST",
                &format!("/api/0/projects/1/releases/{version}/commits/"),
                Some(json!({ "commits": commits })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    send_event(&server, 1, "ZeroDivisionError", "shop@1.4.2").await;
    let issue = release(&server, "shop@1.4.2").await["new_issues"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The frames say /srv/shop/pay.py; the repository has src/payments/pay.py: no match yet.
    assert_eq!(suspects(&server, &issue).await, json!([]));

    let (status, body) = server
        .admin_json(
            "POST",
            "/api/0/projects/1/code-mappings/",
            Some(json!({"stack_root": "/srv/shop/", "source_root": "src/payments/"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let found = suspects(&server, &issue).await;
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|suspect| suspect["id"].as_str().unwrap())
        .collect();
    // The innermost in-app frame (pay) first, newest first; then the outer frame (checkout).
    assert_eq!(ids, ["pay-142", "pay-141", "app"], "{found}");
    let best = &found[0];
    assert_eq!(best["release"], "shop@1.4.2");
    assert_eq!(best["author_name"], "author pay-142");
    assert_eq!(best["author_email"], "pay-142@example.com");
    assert_eq!(best["message"], "commit pay-142");
    assert_eq!(best["path"], "src/payments/pay.py");
    assert_eq!(best["timestamp"], "2026-11-26T05:20:00.000Z");
    assert_eq!(
        best["frame"],
        json!({"filename": "shop/pay.py", "module": "shop.pay", "function": "pay", "lineno": 7})
    );
    assert!(best["score"].as_u64().unwrap() > found[2]["score"].as_u64().unwrap());
    assert_eq!(found[1]["release"], "shop@1.4.1");
    assert_eq!(found[2]["frame"]["function"], "checkout");
}
