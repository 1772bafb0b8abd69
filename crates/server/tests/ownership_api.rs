//! Ownership rules, CODEOWNERS and code mappings through the router, and the owner a new
//! issue is assigned to.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{TestServer, envelope, error_message, python_event};

const TRACE: &str = "0123456789abcdef0123456789abcdef";

const OWNERSHIP: &str = "/api/0/projects/1/ownership/";
const MAPPINGS: &str = "/api/0/projects/1/code-mappings/";

#[tokio::test]
async fn ownership_is_stored_as_written_and_checked() {
    let server = TestServer::new();
    let (status, empty) = server.admin_json("GET", OWNERSHIP, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        empty,
        json!({"rules": "", "codeowners": "", "updated_at": null})
    );

    let codeowners = "# owners\n/shop/ @acme/payments\n";
    let (status, body) = server
        .admin_json("PUT", OWNERSHIP, Some(json!({ "codeowners": codeowners })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rules = "path:shop/app.py #web\n";
    let (status, body) = server
        .admin_json("PUT", OWNERSHIP, Some(json!({ "rules": rules })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["codeowners"], codeowners, "a field left out is kept");
    assert_eq!(body["rules"], rules);
    assert!(body["updated_at"].is_string());

    let (status, body) = server
        .admin_json(
            "PUT",
            OWNERSHIP,
            Some(json!({"rules": "path:a/* #a\nmodule:shop #b"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_message(&body),
        "rules line 2: unknown rule type \"module\": use path:, url: or tags.NAME:"
    );
    let (status, body) = server
        .admin_json(
            "PUT",
            OWNERSHIP,
            Some(json!({"codeowners": "*.py payments-team"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_message(&body).starts_with("CODEOWNERS line 1: owner \"payments-team\""),
        "{body}"
    );
    let (_, kept) = server.admin_json("GET", OWNERSHIP, None).await;
    assert_eq!(kept["rules"], rules, "a rejected update changes nothing");
}

#[tokio::test]
async fn code_mappings_are_added_updated_and_deleted() {
    let server = TestServer::new();
    let (status, first) = server
        .admin_json(
            "POST",
            MAPPINGS,
            Some(json!({"stack_root": "/srv/", "source_root": "backend/"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, updated) = server
        .admin_json(
            "POST",
            MAPPINGS,
            Some(json!({"stack_root": "/srv/", "source_root": "api/"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["id"], first["id"]);
    let (status, second) = server
        .admin_json(
            "POST",
            MAPPINGS,
            Some(json!({"stack_root": "webpack:///./", "source_root": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (_, list) = server.admin_json("GET", MAPPINGS, None).await;
    assert_eq!(
        list,
        json!([
            {"id": first["id"], "stack_root": "/srv/", "source_root": "api/"},
            {"id": second["id"], "stack_root": "webpack:///./", "source_root": ""},
        ])
    );
    let one = format!("{MAPPINGS}{}/", first["id"].as_str().unwrap());
    assert_eq!(
        server.admin_json("DELETE", &one, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        server.admin_json("DELETE", &one, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = server.admin_json("GET", MAPPINGS, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (status, body) = server
        .admin_json(
            "POST",
            MAPPINGS,
            Some(json!({"stack_root": " ", "source_root": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("stack_root"), "{body}");
}

/// Sends event `n` of exception type `kind` with `tags`; the issue JSON it was grouped into.
async fn issue_of(server: &TestServer, n: u32, kind: &str, tags: Value) -> Value {
    let id = format!("{n:032x}");
    let mut event = python_event(&id, TRACE, None);
    event["exception"]["values"][0]["type"] = json!(kind);
    event["tags"] = tags;
    let (status, body) = server
        .envelope(envelope(&json!({"event_id": id}), &event))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, event) = server
        .admin_json("GET", &format!("/api/0/events/{id}/"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let issue = event["issue_id"].as_str().unwrap();
    let (status, issue) = server
        .admin_json("GET", &format!("/api/0/issues/{issue}/"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    issue
}

#[tokio::test]
async fn a_new_issue_is_assigned_to_the_owner_of_its_culprit_frame() {
    let server = TestServer::new();
    // The events' frames are /srv/shop/app.py (outer) and /srv/shop/pay.py (the culprit).
    let (status, body) = server
        .admin_json(
            "POST",
            MAPPINGS,
            Some(json!({"stack_root": "/srv/", "source_root": "backend/"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .admin_json(
            "PUT",
            OWNERSHIP,
            Some(json!({
                "codeowners": "*.py @acme/backend\n/backend/shop/pay.py @acme/payments\n",
                "rules": "path:shop/app.py #web\ntags.service:bill* #billing ada@example.com\n",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let issue = issue_of(&server, 1, "ZeroDivisionError", json!({})).await;
    assert_eq!(issue["owner"], "#payments", "{issue}");
    assert_eq!(
        issue["owner_rule"],
        "codeowners:/backend/shop/pay.py @acme/payments"
    );
    assert_eq!(issue["assigned_to"], "#payments");

    // A rule on the event's tags comes later than CODEOWNERS, so it wins.
    let issue = issue_of(&server, 2, "KeyError", json!({"service": "billing"})).await;
    assert_eq!(issue["owner"], "#billing", "{issue}");
    assert_eq!(
        issue["owner_rule"],
        "tags.service:bill* #billing ada@example.com"
    );

    // Without ownership, new issues have no owner.
    let (status, _) = server
        .admin_json(
            "PUT",
            OWNERSHIP,
            Some(json!({"codeowners": "", "rules": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let issue = issue_of(&server, 3, "ValueError", json!({})).await;
    assert_eq!(issue["owner"], Value::Null, "{issue}");
    assert_eq!(issue["assigned_to"], Value::Null);
}
