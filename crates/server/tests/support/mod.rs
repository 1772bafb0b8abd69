//! Helpers shared by the integration tests: a server over a temporary data directory driven
//! in-process through its router, and builders of real segments.

#![allow(dead_code, clippy::unwrap_used)]

pub mod running;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sightline_protocol::encode_segment;
use sightline_protocol::v1::{
    Compression, Event, EventData, JsError, NetworkRequest, SegmentHeader, StackFrame,
};
use sightline_server::project::ensure_default_project;
use sightline_server::store::SqliteStore;
use sightline_server::{AppState, app};
use tempfile::TempDir;
use tower::ServiceExt;

/// Start of the first test segment: 2026-11-26T06:08:56.123Z.
pub const T0: u64 = 1_795_673_336_123;

/// A server over a fresh data directory, plus its credentials.
pub struct TestServer {
    pub dir: TempDir,
    pub state: AppState,
    pub key: String,
    pub token: String,
}

impl TestServer {
    /// A new data directory with the default project; assets come from `dir/assets`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (state, key, token) = open(dir.path());
        Self {
            dir,
            state,
            key,
            token: token.unwrap(),
        }
    }

    /// Like [`TestServer::new`] with the demo enabled.
    pub fn with_demo() -> Self {
        let mut server = Self::new();
        server.state = server.state.clone().with_demo(true);
        server
    }

    /// Drops the store and opens the same data directory again, as a restart would.
    pub fn reopen(self) -> Self {
        let Self {
            dir, state, token, ..
        } = self;
        drop(state);
        let (state, key, new_token) = open(dir.path());
        assert!(new_token.is_none(), "a reopened store keeps its project");
        Self {
            dir,
            state,
            key,
            token,
        }
    }

    pub fn assets(&self) -> std::path::PathBuf {
        self.dir.path().join("assets")
    }

    pub fn router(&self) -> Router {
        app(self.state.clone())
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router().oneshot(request).await.unwrap()
    }

    /// Uploads segment bytes to project 1 with the DSN key in the query string.
    pub async fn upload(&self, bytes: Vec<u8>) -> (StatusCode, Value) {
        self.upload_to(1, &format!("?sentry_key={}", self.key), bytes)
            .await
    }

    /// Uploads to `/api/{project}/replay/{query}`.
    pub async fn upload_to(
        &self,
        project: u64,
        query: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let request = Request::post(format!("/api/{project}/replay/{query}"))
            .body(Body::from(bytes))
            .unwrap();
        json_response(self.send(request).await).await
    }

    /// `POST path` with `headers` and `body`; the status, JSON body and response headers.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> (StatusCode, Value, axum::http::HeaderMap) {
        let mut request = Request::post(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.send(request.body(body.into()).unwrap()).await;
        let headers = response.headers().clone();
        let (status, body) = json_response(response).await;
        (status, body, headers)
    }

    /// Posts an envelope to project 1 with the key in `X-Sentry-Auth`, then processes the
    /// inbox; the status and JSON answer.
    pub async fn envelope(&self, body: impl Into<Body>) -> (StatusCode, Value) {
        let auth = self.sentry_auth();
        let (status, body, _) = self
            .post("/api/1/envelope/", &[("x-sentry-auth", &auth)], body)
            .await;
        self.state.process_inbox().await.unwrap();
        (status, body)
    }

    /// The `X-Sentry-Auth` header value an SDK sends.
    pub fn sentry_auth(&self) -> String {
        format!(
            "Sentry sentry_key={}, sentry_version=7, sentry_client=test/1.0",
            self.key
        )
    }

    /// `method path` with the admin token and an optional JSON body; the status and JSON answer
    /// (null when the answer is empty, as a 204 is).
    pub async fn admin_json(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json");
        let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
        let response = self.send(request.body(body).unwrap()).await;
        let status = response.status();
        let bytes = body_bytes(response).await;
        if bytes.is_empty() {
            return (status, Value::Null);
        }
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
        (status, value)
    }

    /// `GET path` with the admin token.
    pub async fn get(&self, path: &str) -> Response<Body> {
        let request = Request::get(path)
            .header("authorization", format!("Bearer {}", self.token))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// `GET path` with the admin token, as JSON.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_response(self.get(path).await).await
    }

    /// The bytes the read API returns for segment `index` of `replay`.
    pub async fn stored_segment(&self, replay: &str, index: u32) -> Bytes {
        body_bytes(
            self.get(&format!("/api/0/replays/{replay}/segments/{index}"))
                .await,
        )
        .await
    }
}

fn open(data: &Path) -> (AppState, String, Option<String>) {
    let store = SqliteStore::open(data).unwrap();
    let default = ensure_default_project(&store).unwrap();
    let state = AppState::new(Arc::new(store), data.join("assets"));
    (state, default.project.public_key, default.new_admin_token)
}

pub async fn body_bytes(response: Response<Body>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

pub async fn json_response(response: Response<Body>) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = body_bytes(response).await;
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

/// `text` percent-encoded for a query string (everything but unreserved characters).
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The `error` message of a JSON error body.
pub fn error_message(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {body}"))
}

/// An envelope of one event item; `header` is the envelope header's JSON.
pub fn envelope(header: &Value, event: &Value) -> Vec<u8> {
    let payload = serde_json::to_vec(event).unwrap();
    let mut bytes = format!(
        "{header}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    bytes.extend(payload);
    bytes.push(b'\n');
    bytes
}

/// A Python-shaped exception event with `id`, and trace context `trace`/`parent_span`.
pub fn python_event(id: &str, trace: &str, parent_span: Option<&str>) -> Value {
    serde_json::json!({
        "event_id": id,
        "level": "error",
        "platform": "python",
        "timestamp": "2026-11-26T06:09:00.500Z",
        "release": "shop-backend@2.0.0",
        "environment": "production",
        "server_name": "api-1",
        "transaction": "POST /api/checkout",
        "tags": {"http.status_code": "500"},
        "exception": {"values": [{
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "mechanism": {"type": "wsgi", "handled": false},
            "stacktrace": {"frames": [
                {"filename": "shop/app.py", "abs_path": "/srv/shop/app.py", "module": "shop.app",
                 "function": "checkout", "lineno": 40, "context_line": "    total = pay(cart)",
                 "pre_context": ["def checkout(cart):"], "post_context": ["    return total"],
                 "in_app": true, "vars": {"cart": "[]"}},
                {"filename": "shop/pay.py", "abs_path": "/srv/shop/pay.py", "module": "shop.pay",
                 "function": "pay", "lineno": 7, "context_line": "    return total / len(cart)",
                 "pre_context": ["def pay(cart):", "    total = 0"], "post_context": [""],
                 "in_app": true, "vars": {"total": "0"}}
            ]}
        }]},
        "contexts": {"trace": {
            "trace_id": trace,
            "span_id": "cccccccccccccccc",
            "parent_span_id": parent_span,
            "op": "http.server"
        }}
    })
}

/// A network event with the given trace and span ids, `dt` ms after the previous event.
pub fn traced_request(dt: u32, status: u16, trace_id: &str, span_id: &str) -> Event {
    Event::new(
        dt,
        EventData::NetworkRequest(NetworkRequest {
            method: "POST".into(),
            url: "https://shop.example/api/checkout".into(),
            status,
            duration: 80,
            trace_id: trace_id.into(),
            span_id: span_id.into(),
            response_size: None,
        }),
    )
}

/// A replay id made of one repeated hex digit.
pub fn replay_id(digit: char) -> String {
    std::iter::repeat_n(digit, 32).collect()
}

pub fn meta(dt: u32, href: &str) -> Event {
    Event::new(
        dt,
        EventData::Meta {
            href: href.into(),
            width: 1280,
            height: 720,
            user_agent: "Mozilla/5.0 (test)".into(),
        },
    )
}

pub fn js_error(dt: u32, event_id: &str) -> Event {
    Event::new(
        dt,
        EventData::JsError(JsError {
            event_id: event_id.into(),
            error_type: "TypeError".into(),
            message: "cart is undefined".into(),
            frames: vec![StackFrame {
                function: "checkout".into(),
                filename: "https://shop.example/app.js".into(),
                lineno: 10,
                colno: 5,
            }],
            release: "shop@1.4.2".into(),
        }),
    )
}

pub fn network(dt: u32, status: u16, trace_id: &str) -> Event {
    Event::new(
        dt,
        EventData::NetworkRequest(NetworkRequest {
            method: "POST".into(),
            url: "https://shop.example/api/checkout".into(),
            status,
            duration: 120,
            trace_id: trace_id.into(),
            span_id: if trace_id.is_empty() {
                String::new()
            } else {
                "b".repeat(16)
            },
            response_size: None,
        }),
    )
}

/// Encodes segment `index` of `replay` for project 1 starting at `start`.
pub fn segment(
    replay: &str,
    index: u32,
    start: u64,
    events: &[Event],
    compression: Compression,
) -> Vec<u8> {
    let header = SegmentHeader::new(replay, index, 1, start)
        .with_release("shop@1.4.2")
        .with_environment("staging");
    encode_segment(&header, events, compression).unwrap()
}

/// A small valid segment with one Meta event.
pub fn simple_segment(replay: &str, index: u32, start: u64) -> Vec<u8> {
    segment(
        replay,
        index,
        start,
        &[meta(0, &format!("https://shop.example/{index}"))],
        Compression::None,
    )
}

/// Test-only views of the server state.
pub trait StateExt {
    /// Number of accepted envelopes waiting for the processor.
    async fn inbox_len_for_tests(&self) -> u64;
}

impl StateExt for AppState {
    async fn inbox_len_for_tests(&self) -> u64 {
        self.run_store(|store| store.inbox_len()).await.unwrap()
    }
}
