//! Per-project retention: the sweep deletes each project's data older than its retention —
//! events, issues with every row of them, replays with their segments and network requests,
//! transactions, spans, logs and quarantined payloads — keeps what is younger, honours a
//! project's own `retention_days`, and deletes in bounded batches.

#![allow(clippy::unwrap_used)]

mod privacy_support;
mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde_json::json;
use sightline_protocol::v1::Compression;
use sightline_server::retention::sweep_once;
use sightline_server::store::NewInboxEntry;
use support::{TestServer, meta, replay_id, segment, traced_request};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const TRANSACTION: &str = include_str!("fixtures/traces/python-trace-1-transaction.envelope");
const LOGS: &str = include_str!("fixtures/traces/python-trace-2-log.envelope");
const FIXTURE_TRACE: &str = "0123456789abcdef0123456789abcdef";

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn sql(server: &TestServer, statement: &str) {
    let path = server
        .dir
        .path()
        .join(sightline_server::store::DATABASE_FILE);
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

fn count(server: &TestServer, query: &str) -> i64 {
    privacy_support::count(server.dir.path(), query)
}

/// Queues an error event of `project` received (and happening) at `at_ms`, whose exception
/// type `kind` makes it its own issue.
async fn queue_event(server: &TestServer, project: u64, id: &str, kind: &str, at_ms: u64) {
    let event = json!({
        "event_id": id,
        "timestamp": at_ms as f64 / 1000.0,
        "user": {"id": id},
        "tags": {"kind": kind},
        "exception": {"values": [{"type": kind, "value": "boom"}]}
    });
    queue(
        server,
        project,
        id,
        privacy_support::envelope(id, &[("event", &event)]),
        at_ms,
    )
    .await;
}

async fn queue(server: &TestServer, project: u64, id: &str, payload: Vec<u8>, at_ms: u64) {
    let entry = NewInboxEntry {
        project_id: project,
        event_id: id.to_owned(),
        received_at_ms: at_ms,
        payload,
    };
    server
        .state
        .run_store(move |store| store.enqueue(&entry))
        .await
        .unwrap();
}

#[tokio::test]
async fn each_project_loses_exactly_what_is_older_than_its_retention() {
    let server = TestServer::new();
    let now = now_ms();
    let old = now - 40 * DAY_MS;
    let recent = now - 10 * DAY_MS;
    sql(
        &server,
        &format!(
            "INSERT INTO projects (id, public_key, created_at_ms) VALUES (2, '{}', 0);",
            "2".repeat(32)
        ),
    );
    let (status, _) = server
        .admin_json(
            "PUT",
            "/api/0/projects/2/retention/",
            Some(json!({"retention_days": 90})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, shown) = server
        .admin_json("GET", "/api/0/projects/2/retention/", None)
        .await;
    assert_eq!(shown, json!({"retention_days": 90}));
    let (_, default) = server
        .admin_json("GET", "/api/0/projects/1/retention/", None)
        .await;
    assert_eq!(default, json!({"retention_days": 30}));

    // Project 1 (30 days): one old and one recent of each kind.
    queue_event(
        &server,
        1,
        "a0000000000000000000000000000001",
        "OldError",
        old,
    )
    .await;
    queue_event(
        &server,
        1,
        "a0000000000000000000000000000002",
        "NewError",
        recent,
    )
    .await;
    let old_trace = "00000000000000000000000000000001";
    let old_transaction = TRANSACTION.replace(FIXTURE_TRACE, old_trace).replace(
        "26491d13daf64f728536d63181db4c70",
        "26491d13daf64f728536d63181db4c71",
    );
    queue(&server, 1, "t1", old_transaction.into_bytes(), old).await;
    queue(
        &server,
        1,
        "l1",
        LOGS.replace(FIXTURE_TRACE, old_trace).into_bytes(),
        old,
    )
    .await;
    queue(&server, 1, "t2", TRANSACTION.as_bytes().to_vec(), recent).await;
    queue(&server, 1, "l2", LOGS.as_bytes().to_vec(), recent).await;
    // Project 2 (90 days): 60 days old is kept, 100 days old is not.
    queue_event(
        &server,
        2,
        "b0000000000000000000000000000001",
        "AncientError",
        now - 100 * DAY_MS,
    )
    .await;
    queue_event(
        &server,
        2,
        "b0000000000000000000000000000002",
        "OldishError",
        now - 60 * DAY_MS,
    )
    .await;
    server.state.process_inbox().await.unwrap();

    let (old_replay, new_replay) = (replay_id('1'), replay_id('2'));
    for (replay, start) in [(&old_replay, old), (&new_replay, recent)] {
        for index in 0..2 {
            let bytes = segment(
                replay,
                index,
                start + u64::from(index) * 1_000,
                &[
                    meta(0, "https://shop.example/"),
                    traced_request(10, 200, &"e".repeat(32), &"f".repeat(16)),
                ],
                Compression::None,
            );
            assert_eq!(server.upload(bytes).await.0, StatusCode::OK);
        }
    }
    sql(
        &server,
        &format!(
            "INSERT INTO quarantine (project_id, kind, reason, received_at_ms, payload)
             VALUES (1, 'envelope', 'test', {old}, x'00'), (1, 'envelope', 'test', {recent}, x'00');"
        ),
    );
    let old_issue = count(
        &server,
        "SELECT issue_id FROM issue_events WHERE event_id = 'a0000000000000000000000000000001'",
    );
    sql(
        &server,
        &format!(
            "INSERT INTO alerts (rule_id, project_id, issue_id, fired_at_ms, payload, webhook_url,
             next_attempt_ms) VALUES (1, 1, {old_issue}, {old}, '{{}}', 'http://hook', 0);"
        ),
    );
    let issue_rows = |server: &TestServer| {
        [
            "issue_events",
            "issue_tags",
            "issue_hours",
            "issue_users",
            "issue_activity",
            "alerts",
        ]
        .map(|table| {
            count(
                server,
                &format!("SELECT COUNT(*) FROM {table} WHERE issue_id = {old_issue}"),
            )
        })
    };
    assert!(
        issue_rows(&server).iter().all(|rows| *rows > 0),
        "{:?}",
        issue_rows(&server)
    );
    let spans_of = |trace: &str| format!("SELECT COUNT(*) FROM spans WHERE trace_id = '{trace}'");
    assert_eq!(count(&server, &spans_of(old_trace)), 2);

    let deleted = server
        .state
        .run_store(move |store| sweep_once(store, now, 30))
        .await
        .unwrap();
    eprintln!("deleted: {deleted:?}");

    let events = |server: &TestServer| -> Vec<String> {
        let path = server
            .dir
            .path()
            .join(sightline_server::store::DATABASE_FILE);
        let connection = rusqlite::Connection::open(path).unwrap();
        let mut statement = connection
            .prepare("SELECT id FROM events ORDER BY id")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        events(&server),
        [
            "a0000000000000000000000000000002",
            "b0000000000000000000000000000002"
        ]
    );
    assert_eq!(issue_rows(&server), [0; 6]);
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM issues WHERE id = {old_issue}")
        ),
        0
    );
    assert_eq!(count(&server, "SELECT COUNT(*) FROM issues"), 2);
    for (table, column) in [
        ("replays", "id"),
        ("segments", "replay_id"),
        ("network_requests", "replay_id"),
    ] {
        let gone = format!("SELECT COUNT(*) FROM {table} WHERE {column} = '{old_replay}'");
        assert_eq!(count(&server, &gone), 0, "{gone}");
        let kept = format!("SELECT COUNT(*) FROM {table} WHERE {column} = '{new_replay}'");
        assert!(count(&server, &kept) > 0, "{kept}");
    }
    assert_eq!(count(&server, "SELECT COUNT(*) FROM segments"), 2);
    assert_eq!(count(&server, &spans_of(old_trace)), 0);
    assert_eq!(count(&server, &spans_of(FIXTURE_TRACE)), 2);
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM logs WHERE trace_id = '{old_trace}'")
        ),
        0
    );
    assert_eq!(count(&server, "SELECT COUNT(*) FROM logs"), 2);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM transactions"), 1);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM quarantine"), 1);
    assert!(
        deleted.segments == 2 && deleted.replays == 1 && deleted.issues == 2,
        "{deleted:?}"
    );

    let again = server
        .state
        .run_store(move |store| sweep_once(store, now, 30))
        .await
        .unwrap();
    assert_eq!(again.total(), 0, "nothing left to delete: {again:?}");
}

#[tokio::test]
async fn a_sweep_batch_deletes_at_most_its_limit() {
    let server = TestServer::new();
    let old = now_ms() - 40 * DAY_MS;
    for n in 0..5 {
        let id = format!("c000000000000000000000000000000{n}");
        // One issue for all: only the events are many.
        queue_event(&server, 1, &id, "SameError", old + n).await;
    }
    server.state.process_inbox().await.unwrap();
    sql(&server, "UPDATE issues SET last_seen_ms = 9999999999999;");
    let cutoff = old + 1_000;
    let first = server
        .state
        .run_store(move |store| store.sweep_project(1, cutoff, 2))
        .await
        .unwrap();
    assert_eq!(first.events, 2);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM events"), 3);
    let mut batches = 1;
    loop {
        let batch = server
            .state
            .run_store(move |store| store.sweep_project(1, cutoff, 2))
            .await
            .unwrap();
        if batch.total() == 0 {
            break;
        }
        assert!(batch.events <= 2);
        batches += 1;
    }
    assert_eq!(batches, 3);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM events"), 0);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM issue_events"), 0);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM issues"),
        1,
        "still seen recently"
    );
}
