//! Faults the server must survive without losing what it stored: a segment that does not
//! decode and an inbox entry the processor cannot process go to the quarantine (listed and
//! downloadable by an admin) and never block what comes after them; a full disk answers 503
//! with `Retry-After` while reads keep working; a damaged row, or a corrupt page of the database
//! file, fails only the reads of what lives on it.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_protocol::encode_segment;
use sightline_protocol::v1::{Compression, Event, EventData, SegmentHeader};
use sightline_server::project::ensure_default_project;
use sightline_server::store::{NewInboxEntry, SqliteStore, Store};
use sightline_server::{AppState, app};
use support::{T0, body_bytes, meta, replay_id, segment};
use tower::ServiceExt;

/// A server over a store the test keeps a handle on (to fill its disk or damage it).
struct Harness {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    state: AppState,
    key: String,
    token: String,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
        Self::open(dir, None)
    }

    /// A server over the database in `dir`; `token` is the admin token of an earlier start
    /// (only the first start shows it).
    fn open(dir: tempfile::TempDir, token: Option<String>) -> Self {
        let store =
            Arc::new(SqliteStore::open(dir.path()).unwrap_or_else(|error| panic!("open: {error}")));
        let default =
            ensure_default_project(store.as_ref()).unwrap_or_else(|error| panic!("{error}"));
        let state = AppState::new(Arc::clone(&store) as Arc<dyn Store>, dir.path())
            .with_background_processing(false);
        Self {
            _dir: dir,
            store,
            state,
            key: default.project.public_key,
            token: token.or(default.new_admin_token).unwrap_or_default(),
        }
    }

    /// Closes the database (SQLite folds its write-ahead log into the file) and hands back its
    /// directory and the admin token.
    fn close(self) -> (tempfile::TempDir, String) {
        (self._dir, self.token)
    }

    fn router(&self) -> Router {
        app(self.state.clone())
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self
            .router()
            .oneshot(request)
            .await
            .unwrap_or_else(|error| match error {});
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, body_bytes(response).await.to_vec())
    }

    async fn upload(&self, bytes: Vec<u8>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let request = Request::post(format!("/api/1/replay/?sentry_key={}", self.key))
            .body(Body::from(bytes))
            .unwrap_or_else(|error| panic!("{error}"));
        self.send(request).await
    }

    async fn envelope(&self, id: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.envelope_padded(id, 0).await
    }

    async fn envelope_padded(
        &self,
        id: &str,
        padding: usize,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let request = Request::post(format!("/api/1/envelope/?sentry_key={}", self.key))
            .body(Body::from(envelope(id, padding)))
            .unwrap_or_else(|error| panic!("{error}"));
        self.send(request).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(Body::empty())
            .unwrap_or_else(|error| panic!("{error}"));
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let (status, body) = self.get(path, Some(&self.token.clone())).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

fn envelope(id: &str, padding: usize) -> Vec<u8> {
    let event = json!({
        "event_id": id,
        "extra": {"padding": "p".repeat(padding)},
        "exception": {"values": [{"type": "FaultError", "value": id}]},
    })
    .to_string();
    format!(
        "{}\n{}\n{event}\n",
        json!({ "event_id": id }),
        json!({ "type": "event", "length": event.len() })
    )
    .into_bytes()
}

/// A segment with 200 KB of custom payload: more than the free space of a small database.
fn big_segment(index: u32) -> Vec<u8> {
    let header = SegmentHeader::new(replay_id('a'), index, 1, T0 + u64::from(index) * 1_000);
    let events = [Event {
        dt: 0,
        data: EventData::Custom {
            tag: "big".into(),
            payload: "z".repeat(200_000),
        },
    }];
    encode_segment(&header, &events, Compression::None).unwrap_or_else(|error| panic!("{error}"))
}

fn good_segment(index: u32) -> Vec<u8> {
    segment(
        &replay_id('a'),
        index,
        T0 + u64::from(index) * 1_000,
        &[meta(0, "https://shop.example/")],
        Compression::None,
    )
}

#[tokio::test]
async fn a_segment_that_does_not_decode_is_answered_400_and_quarantined() {
    let harness = Harness::new();
    let mut broken = good_segment(0);
    broken.truncate(broken.len() - 3);
    let (status, _, body) = harness.upload(broken.clone()).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );

    let (status, _) = harness.get("/api/0/quarantine/", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "admins only");
    let (status, listed) = harness.get_json("/api/0/quarantine/").await;
    assert_eq!(status, StatusCode::OK);
    let items = listed.as_array().unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(items.len(), 1, "{listed}");
    let item = &items[0];
    assert_eq!(item["kind"], "segment");
    assert_eq!(item["project"], 1);
    assert_eq!(item["size"], broken.len());
    assert!(
        item["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty()),
        "{item}"
    );
    assert!(
        item["received_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    let id = item["id"].as_i64().unwrap_or_default();
    let (status, payload) = harness
        .get(
            &format!("/api/0/quarantine/{id}/payload"),
            Some(&harness.token),
        )
        .await;
    assert_eq!((status, payload), (StatusCode::OK, broken));
    let (status, _) = harness
        .get("/api/0/quarantine/999999/payload", Some(&harness.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The replay itself keeps working.
    let (status, _, _) = harness.upload(good_segment(0)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_poison_inbox_entry_is_quarantined_and_never_blocks_the_inbox() {
    let harness = Harness::new();
    let good_before = "0000000000000000000000000000b001";
    let good_after = "0000000000000000000000000000b002";
    assert_eq!(harness.envelope(good_before).await.0, StatusCode::OK);
    // What ingest would never write, as a damaged row or a bug would leave it.
    let poison = harness
        .store
        .enqueue(&NewInboxEntry {
            project_id: 1,
            event_id: "0000000000000000000000000000dead".into(),
            received_at_ms: T0,
            payload: b"\xff\xfe not an envelope".to_vec(),
        })
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(harness.envelope(good_after).await.0, StatusCode::OK);

    let report = harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.quarantined, 1, "{report:?}");
    assert_eq!(report.stored, 2, "{report:?}");
    for id in [good_before, good_after] {
        let (status, _) = harness.get_json(&format!("/api/0/events/{id}/")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
    }
    let (_, queue) = harness.get_json("/api/0/internal/queue/").await;
    assert_eq!(queue["inbox"]["entries"], 0, "{queue}");
    assert_eq!(queue["quarantine"]["entries"], 1, "{queue}");
    let (_, listed) = harness.get_json("/api/0/quarantine/").await;
    assert_eq!(listed[0]["kind"], "envelope", "{listed}");
    assert!(
        listed[0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("does not parse")),
        "{listed}"
    );
    assert!(poison > 0);
    // A second run has nothing left to do.
    let again = harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!((again.entries, again.quarantined), (0, 0));
}

#[tokio::test]
async fn a_full_disk_answers_503_with_retry_after_and_reads_keep_working() {
    let harness = Harness::new();
    let stored = "0000000000000000000000000000f001";
    assert_eq!(harness.envelope(stored).await.0, StatusCode::OK);
    harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(harness.upload(good_segment(0)).await.0, StatusCode::OK);

    // The database may not grow by a single page: a full disk.
    harness
        .store
        .limit_pages(1)
        .unwrap_or_else(|error| panic!("{error}"));
    let big = "0000000000000000000000000000f002";
    let (status, headers, body) = harness.upload(big_segment(1)).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(headers.contains_key("retry-after"));
    assert!(String::from_utf8_lossy(&body).contains("disk is full"));
    let mut accepted_while_full = Vec::new();
    for n in 0..50 {
        let id = format!("{big}{n:02}");
        let id = &id[id.len() - 32..];
        let (status, headers, _) = harness.envelope_padded(id, 20_000).await;
        match status {
            StatusCode::OK => accepted_while_full.push(id.to_owned()),
            StatusCode::SERVICE_UNAVAILABLE => assert!(headers.contains_key("retry-after")),
            other => panic!("envelope answered {other}"),
        }
    }
    assert!(
        accepted_while_full.len() < 50,
        "the inbox kept growing on a full disk"
    );

    // Reads keep working; nothing stored is lost.
    let (status, event) = harness.get_json(&format!("/api/0/events/{stored}/")).await;
    assert_eq!(
        (status, event["id"].as_str()),
        (StatusCode::OK, Some(stored))
    );
    let (status, bytes) = harness
        .get(
            &format!("/api/0/replays/{}/segments/0", replay_id('a')),
            Some(&harness.token),
        )
        .await;
    assert_eq!((status, bytes), (StatusCode::OK, good_segment(0)));
    let (status, _) = harness.get_json("/api/0/issues/").await;
    assert_eq!(status, StatusCode::OK);

    // Space comes back: ingest and processing resume, what was acknowledged gets stored.
    harness
        .store
        .limit_pages(1 << 30)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(harness.upload(big_segment(1)).await.0, StatusCode::OK);
    harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    for id in &accepted_while_full {
        let (status, _) = harness.get_json(&format!("/api/0/events/{id}/")).await;
        assert_eq!(status, StatusCode::OK, "{id} was acknowledged");
    }
}

#[tokio::test]
async fn a_damaged_row_fails_only_its_own_read() {
    let harness = Harness::new();
    let damaged = "0000000000000000000000000000c001";
    let intact = "0000000000000000000000000000c002";
    for id in [damaged, intact] {
        assert_eq!(harness.envelope(id).await.0, StatusCode::OK);
    }
    harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(harness.upload(good_segment(0)).await.0, StatusCode::OK);
    harness
        .store
        .execute_for_test(&format!(
            "UPDATE events SET body = '{{not json' WHERE id = '{damaged}'"
        ))
        .unwrap_or_else(|error| panic!("{error}"));

    let (status, body) = harness.get_json(&format!("/api/0/events/{damaged}/")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"], "internal server error", "no internals leak");
    let (status, event) = harness.get_json(&format!("/api/0/events/{intact}/")).await;
    assert_eq!(
        (status, event["id"].as_str()),
        (StatusCode::OK, Some(intact))
    );
    let (status, _) = harness
        .get_json(&format!("/api/0/replays/{}/", replay_id('a')))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = harness.get_json("/api/0/issues/").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "issue rows are separate from event bodies"
    );
    // Ingest is unaffected.
    assert_eq!(
        harness.envelope("0000000000000000000000000000c003").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_corrupt_page_of_the_database_fails_only_the_reads_of_what_lives_on_it() {
    let harness = Harness::new();
    assert_eq!(harness.upload(big_segment(0)).await.0, StatusCode::OK);
    let other = replay_id('b');
    let other_segment = segment(
        &other,
        0,
        T0,
        &[meta(0, "https://shop.example/")],
        Compression::None,
    );
    assert_eq!(
        harness.upload(other_segment.clone()).await.0,
        StatusCode::OK
    );
    let event = "0000000000000000000000000000c0de";
    assert_eq!(harness.envelope(event).await.0, StatusCode::OK);
    harness
        .state
        .process_inbox()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let (dir, token) = harness.close();

    // The big segment's 200 KB spill over a chain of overflow pages; each starts with the
    // number of the next one. Point one of them past the end of the file, as a torn write or a
    // bad disk sector would.
    let file = dir.path().join(sightline_server::store::DATABASE_FILE);
    let mut bytes = std::fs::read(&file).unwrap_or_else(|error| panic!("{error}"));
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        size => usize::from(size),
    };
    let page = (1..bytes.len() / page_size - 1)
        .find(|page| {
            let start = page * page_size;
            bytes[start + 4..start + page_size]
                .iter()
                .all(|byte| *byte == b'z')
        })
        .unwrap_or_else(|| panic!("no overflow page of the big segment"));
    bytes[page * page_size..page * page_size + 4].copy_from_slice(&[0xff; 4]);
    std::fs::write(&file, &bytes).unwrap_or_else(|error| panic!("{error}"));

    let harness = Harness::open(dir, Some(token));
    let damaged = format!("/api/0/replays/{}/segments/0", replay_id('a'));
    let (status, body) = harness.get(&damaged, Some(&harness.token.clone())).await;
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&body)
    );

    let intact = format!("/api/0/replays/{other}/segments/0");
    let (status, body) = harness.get(&intact, Some(&harness.token.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body, other_segment,
        "the other replay's bytes are as uploaded"
    );
    let (status, replays) = harness.get_json("/api/0/replays/").await;
    assert_eq!(status, StatusCode::OK, "{replays}");
    assert_eq!(replays.as_array().map(Vec::len), Some(2));
    let (status, stored) = harness.get_json(&format!("/api/0/events/{event}/")).await;
    assert_eq!(
        (status, stored["id"].as_str()),
        (StatusCode::OK, Some(event))
    );

    // Ingest keeps working around the damage.
    let next = segment(
        &other,
        1,
        T0 + 1_000,
        &[meta(0, "https://shop.example/next")],
        Compression::None,
    );
    assert_eq!(harness.upload(next).await.0, StatusCode::OK);
    assert_eq!(
        harness.envelope("0000000000000000000000000000c0df").await.0,
        StatusCode::OK
    );
}
