//! Backend error events linked to a replay, as `GET /api/0/replays/{id}/events/` lists them and
//! `GET /api/0/events/{id}/` details them: the errors a session caused in the services behind
//! the page, each placed at the browser request that failed.

use serde::Deserialize;

use crate::api::encode_segment_path;

/// Most backend events one replay shows; a replay that caused more is an outlier, and the
/// timeline would be unreadable anyway.
pub const MAX_BACKEND_EVENTS: usize = 500;

/// Most stack frames kept per exception.
pub const MAX_FRAMES: usize = 200;

/// The browser request that caused a backend event (`request` in the replay's list,
/// `replay_request` in one event's detail).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LinkedRequest {
    /// HTTP method.
    #[serde(default)]
    pub method: String,
    /// URL as recorded.
    #[serde(default)]
    pub url: String,
    /// Status the browser saw (0: no response).
    #[serde(default)]
    pub status: u16,
    /// Trace id the request carried.
    #[serde(default)]
    pub trace_id: String,
    /// Span id the request carried.
    #[serde(default)]
    pub span_id: String,
    /// Client time of the network event, ms since the Unix epoch.
    #[serde(default)]
    pub timestamp_ms: u64,
}

/// One stack frame as the server stores it (Sentry's shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BackendFrame {
    /// The file as the SDK names it.
    #[serde(default)]
    pub filename: Option<String>,
    /// The absolute path or URL of the file.
    #[serde(default)]
    pub abs_path: Option<String>,
    /// The function.
    #[serde(default)]
    pub function: Option<String>,
    /// The module or package path.
    #[serde(default)]
    pub module: Option<String>,
    /// Line number (1-based).
    #[serde(default)]
    pub lineno: Option<u64>,
    /// Column number (1-based).
    #[serde(default)]
    pub colno: Option<u64>,
    /// The source line, when the SDK sent it.
    #[serde(default)]
    pub context_line: Option<String>,
    /// Whether the frame is the application's own code.
    #[serde(default)]
    pub in_app: Option<bool>,
    /// Source lines before the current one.
    #[serde(default)]
    pub pre_context: Vec<String>,
    /// Source lines after the current one.
    #[serde(default)]
    pub post_context: Vec<String>,
    /// Local variables as `(name, value as text)`, bounded (see [`crate::loose`]).
    #[serde(default, deserialize_with = "crate::loose::entries")]
    pub vars: Vec<(String, String)>,
}

/// A stack trace, outermost frame first (Sentry's order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BackendStacktrace {
    /// The frames.
    #[serde(default)]
    pub frames: Vec<BackendFrame>,
}

/// One exception of a chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ExceptionValue {
    /// The exception's type, such as `ZeroDivisionError`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Its message.
    #[serde(default)]
    pub value: Option<String>,
    /// The module defining the type.
    #[serde(default)]
    pub module: Option<String>,
    /// Where it was raised.
    #[serde(default)]
    pub stacktrace: Option<BackendStacktrace>,
}

/// An exception chain, the main exception last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Exceptions {
    /// The exceptions.
    #[serde(default)]
    pub values: Vec<ExceptionValue>,
}

/// A tag of an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// The tag's name.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A backend error event: an item of `GET /api/0/replays/{id}/events/`, or the detail of
/// `GET /api/0/events/{id}/` (which has more of the fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BackendEvent {
    /// The event id (32 hex).
    pub id: String,
    /// Headline: `Type: value` or the message.
    #[serde(default)]
    pub title: String,
    /// `module in function` of the innermost in-app frame.
    #[serde(default)]
    pub culprit: Option<String>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    #[serde(default)]
    pub level: String,
    /// The service (the `service` tag or the sending host), as the replay's list says.
    #[serde(default)]
    pub service: Option<String>,
    /// The host that sent it.
    #[serde(default)]
    pub server_name: Option<String>,
    /// The route or task being handled.
    #[serde(default)]
    pub transaction: Option<String>,
    /// Release of the sending service.
    #[serde(default)]
    pub release: Option<String>,
    /// Deployment environment.
    #[serde(default)]
    pub environment: String,
    /// The HTTP status the event reports (else the failing request's).
    #[serde(default)]
    pub status_code: Option<u16>,
    /// Trace id (32 hex).
    #[serde(default)]
    pub trace_id: Option<String>,
    /// The browser request's span id (the list), or the event's own span (the detail).
    #[serde(default)]
    pub span_id: Option<String>,
    /// The calling span: the browser request's span id when the trace came from one.
    #[serde(default)]
    pub parent_span_id: Option<String>,
    /// The issue it was grouped into (the detail only).
    #[serde(default, deserialize_with = "crate::loose::opt_string")]
    pub issue_id: Option<String>,
    /// The replay it is linked to (the detail only).
    #[serde(default)]
    pub replay_id: Option<String>,
    /// ms from the replay's start where it belongs: the failing request's client time.
    #[serde(default)]
    pub replay_offset_ms: Option<u64>,
    /// The failing browser request, as the replay's list has it.
    #[serde(default)]
    pub request: Option<LinkedRequest>,
    /// The failing browser request, as one event's detail has it.
    #[serde(default)]
    pub replay_request: Option<LinkedRequest>,
    /// The exception chain, when known (the detail).
    #[serde(default)]
    pub exception: Option<Exceptions>,
    /// A stack trace attached to a message event.
    #[serde(default)]
    pub stacktrace: Option<BackendStacktrace>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// When it happened, RFC 3339.
    #[serde(default)]
    pub timestamp: String,
}

impl BackendEvent {
    /// Keeps what a viewer can show: the frames of each exception are capped at [`MAX_FRAMES`]
    /// (the innermost kept).
    #[must_use]
    pub fn bounded(mut self) -> Self {
        let cap = |stack: &mut BackendStacktrace| {
            let extra = stack.frames.len().saturating_sub(MAX_FRAMES);
            stack.frames.drain(..extra);
        };
        if let Some(exceptions) = self.exception.as_mut() {
            for value in &mut exceptions.values {
                if let Some(stack) = value.stacktrace.as_mut() {
                    cap(stack);
                }
            }
        }
        if let Some(stack) = self.stacktrace.as_mut() {
            cap(stack);
        }
        self
    }

    /// The browser request that failed, whichever response shape it came in. (An event's
    /// detail also has a `request`: the one the backend handled, without trace ids; it is not
    /// taken for the browser's.)
    pub fn linked_request(&self) -> Option<&LinkedRequest> {
        self.replay_request.as_ref().or(self
            .request
            .as_ref()
            .filter(|r| !r.span_id.is_empty() || !r.trace_id.is_empty()))
    }

    /// The service that reported it: the list's `service`, else the `service` tag, else the
    /// sending host.
    pub fn service_name(&self) -> Option<&str> {
        let tag = |name: &str| {
            self.tags
                .iter()
                .find(|tag| tag.key == name)
                .map(|tag| tag.value.as_str())
        };
        self.service
            .as_deref()
            .or_else(|| tag("service"))
            .or_else(|| tag("service.name"))
            .or(self.server_name.as_deref())
            .filter(|s| !s.is_empty())
    }

    /// `service · transaction` (whichever are known), such as `checkout-api · POST /checkout`.
    pub fn service_label(&self) -> Option<String> {
        let parts: Vec<&str> = [self.service_name(), self.transaction.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// The HTTP status it reports, else the failing request's.
    pub fn status(&self) -> Option<u16> {
        self.status_code.or_else(|| {
            self.linked_request()
                .map(|r| r.status)
                .filter(|s| *s >= 100)
        })
    }

    /// The trace id it belongs to, from the event or its request.
    pub fn trace(&self) -> Option<&str> {
        self.trace_id
            .as_deref()
            .filter(|t| !t.is_empty())
            .or_else(|| {
                self.linked_request()
                    .map(|r| r.trace_id.as_str())
                    .filter(|t| !t.is_empty())
            })
    }

    /// The span id of the browser request that caused it: the request's, else the event's
    /// parent span, else (in the replay's list, where it means the request's) `span_id`.
    pub fn request_span(&self) -> Option<&str> {
        let non_empty = |s: &&str| !s.is_empty();
        self.linked_request()
            .map(|r| r.span_id.as_str())
            .filter(non_empty)
            .or(self.parent_span_id.as_deref().filter(non_empty))
            .or_else(|| {
                self.span_id
                    .as_deref()
                    .filter(non_empty)
                    .filter(|_| self.replay_id.is_none())
            })
    }

    /// Whether the exception chain or a stack trace is known (the list has neither).
    pub fn has_stack(&self) -> bool {
        self.exception
            .as_ref()
            .is_some_and(|e| !e.values.is_empty())
            || self.stacktrace.is_some()
    }

    /// Takes what the detail of the same event knows and the list does not: the exception
    /// chain, stack trace, tags, transaction and host.
    pub fn merge_detail(&mut self, detail: BackendEvent) {
        let detail = detail.bounded();
        if self.exception.is_none() {
            self.exception = detail.exception;
        }
        if self.stacktrace.is_none() {
            self.stacktrace = detail.stacktrace;
        }
        if self.tags.is_empty() {
            self.tags = detail.tags;
        }
        self.transaction = self.transaction.take().or(detail.transaction);
        self.server_name = self.server_name.take().or(detail.server_name);
        self.parent_span_id = self.parent_span_id.take().or(detail.parent_span_id);
        self.replay_request = self.replay_request.take().or(detail.replay_request);
    }

    /// The viewer page of this event: `/events/{id}`.
    pub fn page_path(&self) -> String {
        event_page_path(&self.id)
    }
}

/// The viewer page of an event: `/events/{id}`.
pub fn event_page_path(id: &str) -> String {
    format!("/events/{}", encode_segment_path(id))
}

/// `GET` path of the backend events linked to a replay.
pub fn replay_events_path(replay_id: &str) -> String {
    format!("/api/0/replays/{}/events/", encode_segment_path(replay_id))
}

/// Keeps at most [`MAX_BACKEND_EVENTS`] events (the earliest), each [`BackendEvent::bounded`].
pub fn bounded_events(events: Vec<BackendEvent>) -> Vec<BackendEvent> {
    events
        .into_iter()
        .take(MAX_BACKEND_EVENTS)
        .map(BackendEvent::bounded)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_ITEM: &str = r#"{
        "id": "ee000000000000000000000000000001", "title": "ZeroDivisionError: division by zero",
        "culprit": "shop.checkout in total", "level": "error", "platform": "python",
        "service": "checkout-api", "release": "shop@1.4.2", "environment": "production",
        "status_code": 500, "trace_id": "0123456789abcdef0123456789abcdef",
        "span_id": "aaaaaaaaaaaaaaaa", "replay_offset_ms": 6000, "replay_offset_source": "request",
        "link_source": "trace_and_span",
        "request": {"method": "POST", "url": "/api/checkout", "status": 500,
            "trace_id": "0123456789abcdef0123456789abcdef", "span_id": "aaaaaaaaaaaaaaaa",
            "timestamp_ms": 7000, "segment_index": 0},
        "timestamp": "2026-11-26T06:08:56.123Z"
    }"#;

    const DETAIL: &str = r#"{
        "id": "ee000000000000000000000000000001", "issue_id": null, "project": "1",
        "replay_id": "0123456789abcdef0123456789abcdef", "replay_offset_ms": 6000,
        "replay_request": {"method": "POST", "url": "/api/checkout", "status": 500,
            "trace_id": "0123456789abcdef0123456789abcdef", "span_id": "aaaaaaaaaaaaaaaa",
            "timestamp_ms": 7000, "segment_index": 0},
        "trace_id": "0123456789abcdef0123456789abcdef", "span_id": "bbbbbbbbbbbbbbbb",
        "parent_span_id": "aaaaaaaaaaaaaaaa", "release": "shop@1.4.2",
        "environment": "production", "timestamp": "2026-11-26T06:08:56.123Z",
        "title": "ZeroDivisionError: division by zero", "level": "error",
        "transaction": "POST /api/checkout", "server_name": "web-1", "status_code": null,
        "tags": [{"key": "service", "value": "checkout-api"}, {"key": "os", "value": "linux"}],
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero",
            "module": null, "mechanism": {"type": "generic"},
            "stacktrace": {"frames": [
                {"filename": "flask/app.py", "function": "dispatch", "module": "flask.app",
                 "lineno": 10, "in_app": false, "pre_context": [], "post_context": []},
                {"filename": "shop/checkout.py", "function": "total", "module": "shop.checkout",
                 "lineno": 42, "in_app": true, "context_line": "    return a / b"}
            ], "frames_omitted": 0}}]},
        "request": {"url": "http://backend/api/checkout", "method": "POST", "headers": []},
        "contexts": {}, "extra": {}, "breadcrumbs": [], "fingerprint": [], "errors": []
    }"#;

    #[test]
    fn a_list_item_says_where_service_release_and_status() -> Result<(), serde_json::Error> {
        let event: BackendEvent = serde_json::from_str(LIST_ITEM)?;
        assert_eq!(event.replay_offset_ms, Some(6_000));
        assert_eq!(event.service_label().as_deref(), Some("checkout-api"));
        assert_eq!(event.status(), Some(500));
        assert_eq!(event.request_span(), Some("aaaaaaaaaaaaaaaa"));
        assert_eq!(event.trace(), Some("0123456789abcdef0123456789abcdef"));
        assert!(!event.has_stack());
        assert_eq!(
            event.page_path(),
            "/events/ee000000000000000000000000000001"
        );
        Ok(())
    }

    #[test]
    fn a_detail_gives_the_stack_the_transaction_and_the_request() -> Result<(), serde_json::Error> {
        let detail: BackendEvent = serde_json::from_str(DETAIL)?;
        // The detail's own span is the backend's; the browser request's span is its parent.
        assert_eq!(detail.request_span(), Some("aaaaaaaaaaaaaaaa"));
        assert_eq!(
            detail.service_label().as_deref(),
            Some("checkout-api · POST /api/checkout")
        );
        assert_eq!(detail.status(), Some(500));
        let mut listed: BackendEvent = serde_json::from_str(LIST_ITEM)?;
        listed.merge_detail(detail);
        assert!(listed.has_stack());
        assert_eq!(listed.transaction.as_deref(), Some("POST /api/checkout"));
        assert_eq!(
            listed.service_label().as_deref(),
            Some("checkout-api · POST /api/checkout")
        );
        Ok(())
    }

    #[test]
    fn without_a_service_tag_the_host_is_the_service() -> Result<(), serde_json::Error> {
        let event: BackendEvent =
            serde_json::from_str(r#"{"id":"e","server_name":"web-1","status_code":502}"#)?;
        assert_eq!(event.service_label().as_deref(), Some("web-1"));
        assert_eq!(event.status(), Some(502));
        assert_eq!(event.request_span(), None);
        let bare: BackendEvent = serde_json::from_str(r#"{"id":"e"}"#)?;
        assert_eq!(bare.service_label(), None);
        assert_eq!(bare.status(), None);
        Ok(())
    }

    #[test]
    fn huge_stacks_and_lists_are_capped() {
        let frame = BackendFrame::default();
        let event = BackendEvent {
            exception: Some(Exceptions {
                values: vec![ExceptionValue {
                    stacktrace: Some(BackendStacktrace {
                        frames: vec![frame; MAX_FRAMES + 50],
                    }),
                    ..ExceptionValue::default()
                }],
            }),
            ..BackendEvent::default()
        };
        let events = bounded_events(vec![event; MAX_BACKEND_EVENTS + 1]);
        assert_eq!(events.len(), MAX_BACKEND_EVENTS);
        let frames = events[0]
            .exception
            .as_ref()
            .and_then(|e| e.values[0].stacktrace.as_ref())
            .map(|s| s.frames.len());
        assert_eq!(frames, Some(MAX_FRAMES));
    }

    #[test]
    fn paths_cannot_escape() {
        assert_eq!(replay_events_path("ab"), "/api/0/replays/ab/events/");
        assert_eq!(replay_events_path("a/b"), "/api/0/replays/a%2Fb/events/");
        assert_eq!(event_page_path("x?y"), "/events/x%3Fy");
    }
}
