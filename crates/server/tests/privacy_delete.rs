//! `DELETE /api/0/replays/{id}/` and `DELETE /api/0/issues/{id}/`: everything that belongs to
//! the replay or the issue is gone afterwards (checked in every table with SQL), what does not
//! belong to it stays, and a second delete answers 404.

#![allow(clippy::unwrap_used)]

mod privacy_support;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sightline_protocol::v1::Compression;
use support::{T0, TestServer, envelope, meta, python_event, replay_id, segment, traced_request};

const TRACE: &str = "abababababababababababababababab";
const SPAN: &str = "cdcdcdcdcdcdcdcd";

fn count(server: &TestServer, query: &str) -> i64 {
    privacy_support::count(server.dir.path(), query)
}

#[tokio::test]
async fn deleting_a_replay_deletes_its_segments_requests_and_links() {
    let server = TestServer::new();
    let replay = replay_id('a');
    let other = replay_id('b');
    for (id, index) in [(&replay, 0), (&replay, 1), (&other, 0)] {
        let bytes = segment(
            id,
            index,
            T0 + u64::from(index) * 10_000,
            &[
                meta(0, "https://shop.example/"),
                traced_request(500, 500, TRACE, SPAN),
            ],
            Compression::None,
        );
        assert_eq!(server.upload(bytes).await.0, StatusCode::OK);
    }
    let event_id = "11111111111111111111111111111111";
    let header = json!({"event_id": event_id, "trace": {"trace_id": TRACE, "replay_id": replay}});
    server
        .envelope(envelope(
            &header,
            &python_event(event_id, TRACE, Some(SPAN)),
        ))
        .await;
    let (_, event) = server.get_json(&format!("/api/0/events/{event_id}/")).await;
    assert_eq!(event["replay_id"], replay.as_str(), "{event}");

    let path = format!("/api/0/replays/{replay}/");
    let (status, _) = server.admin_json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for table in [
        "replays WHERE id",
        "segments WHERE replay_id",
        "network_requests WHERE replay_id",
    ] {
        let query = format!("SELECT COUNT(*) FROM {table} = '{replay}'");
        assert_eq!(count(&server, &query), 0, "{query}");
    }
    let linked = format!(
        "SELECT COUNT(*) FROM events WHERE replay_id = '{replay}' OR hint_replay_id = '{replay}'"
    );
    assert_eq!(count(&server, &linked), 0);
    let (status, event) = server.get_json(&format!("/api/0/events/{event_id}/")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the event is the backend's, not the replay's"
    );
    assert!(event["replay_id"].is_null(), "{event}");
    assert_eq!(server.get_json(&path).await.0, StatusCode::NOT_FOUND);
    let (_, list) = server
        .get_json(&format!("/api/0/replays/{other}/segments/"))
        .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "other replays keep their segments"
    );

    assert_eq!(
        server.admin_json("DELETE", &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    let anonymous = Request::delete(format!("/api/0/replays/{other}/"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        server.send(anonymous).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_an_issue_deletes_its_events_and_every_row_of_it() {
    let server = TestServer::new();
    let ids = [
        "21111111111111111111111111111111",
        "22222222222222222222222222222222",
    ];
    for id in ids {
        let mut event = python_event(id, TRACE, None);
        event["user"] = json!({"id": id});
        event["tags"]["customer"] = json!(id);
        server
            .envelope(envelope(&json!({"event_id": id}), &event))
            .await;
    }
    let mut other = python_event("23333333333333333333333333333333", TRACE, None);
    other["exception"]["values"][0]["type"] = json!("KeyError");
    server
        .envelope(envelope(
            &json!({"event_id": "23333333333333333333333333333333"}),
            &other,
        ))
        .await;
    let (_, event) = server.get_json(&format!("/api/0/events/{}/", ids[0])).await;
    let issue = event["issue_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| event["issue_id"].as_u64().map(|id| id.to_string()))
        .expect("the event names its issue");
    let tables = [
        "issue_events",
        "issue_tags",
        "issue_hours",
        "issue_users",
        "issue_activity",
        "alerts",
    ];
    assert!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM issue_tags WHERE issue_id = {issue}")
        ) > 0
    );

    let path = format!("/api/0/issues/{issue}/");
    assert_eq!(
        server.admin_json("DELETE", &path, None).await.0,
        StatusCode::NO_CONTENT
    );
    for table in tables {
        let query = format!("SELECT COUNT(*) FROM {table} WHERE issue_id = {issue}");
        assert_eq!(count(&server, &query), 0, "{query}");
    }
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM issues WHERE id = {issue}")
        ),
        0
    );
    for id in ids {
        let query = format!("SELECT COUNT(*) FROM events WHERE id = '{id}'");
        assert_eq!(count(&server, &query), 0, "{query}");
        let (status, _) = server.get_json(&format!("/api/0/events/{id}/")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(server.get_json(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM issues"),
        1,
        "the other issue stays"
    );
    assert_eq!(count(&server, "SELECT COUNT(*) FROM events"), 1);

    assert_eq!(
        server.admin_json("DELETE", &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = server
        .admin_json("DELETE", "/api/0/issues/nope/", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
