//! `GET /api/0/events/{event_id}/`: one backend error event, normalized, with its place in the
//! replay that caused it and in its issue (previous and next events).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::auth::ReadAccess;
use crate::error::AppError;
use crate::event_id::EventId;
use crate::link::TracedRequest;
use crate::normalize::{
    ExceptionValue, HttpRequest, NormalizationNote, NormalizedEvent, Stacktrace, Tag,
};
use crate::store::StoredEvent;
use crate::store::issues::EventPlace;
use crate::summary::ReplaySummary;
use crate::timestamp::rfc3339_ms;

/// How far (ms) an event's own timestamp may lie outside its replay and still be placed on it
/// when its request is unknown.
const TIMESTAMP_SLACK_MS: u64 = 60_000;

/// Where a linked event sits on its replay's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// ms from the replay's start.
    pub offset_ms: u64,
    /// `request` (the client time of the failing request) or `timestamp` (the event's own
    /// clock, when the request is not known).
    pub source: &'static str,
}

/// Places a linked event on `replay`: at its request's client time when known, else at its
/// own timestamp when that falls within the replay (give or take a minute).
pub(crate) fn placement(stored: &StoredEvent, replay: Option<&ReplaySummary>) -> Option<Placement> {
    let replay = replay?;
    let start = replay.started_at_ms;
    if let Some(request) = stored.link.as_ref().and_then(|link| link.request.as_ref()) {
        return Some(Placement {
            offset_ms: request.time_ms.saturating_sub(start),
            source: "request",
        });
    }
    let time = stored.event.timestamp_ms;
    let within = time.saturating_add(TIMESTAMP_SLACK_MS) >= start
        && time <= replay.finished_at_ms.saturating_add(TIMESTAMP_SLACK_MS);
    within.then(|| Placement {
        offset_ms: time.saturating_sub(start).min(replay.duration_ms()),
        source: "timestamp",
    })
}

/// The failing request as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestJson {
    /// HTTP method.
    pub method: String,
    /// URL as recorded.
    pub url: String,
    /// Response status seen by the browser (0: no response).
    pub status: u16,
    /// Trace id sent with it.
    pub trace_id: String,
    /// Span id sent with it.
    pub span_id: String,
    /// Client time of the network event, ms since the epoch.
    pub timestamp_ms: u64,
    /// The segment that recorded it.
    pub segment_index: u32,
}

impl From<&TracedRequest> for RequestJson {
    fn from(request: &TracedRequest) -> Self {
        Self {
            method: request.method.clone(),
            url: request.url.clone(),
            status: request.status,
            trace_id: request.trace_id.clone(),
            span_id: request.span_id.clone(),
            timestamp_ms: request.time_ms,
            segment_index: request.segment_index,
        }
    }
}

/// An exception chain in Sentry's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionsJson {
    /// The exceptions, the main one last.
    pub values: Vec<ExceptionValue>,
}

/// An event as `GET /api/0/events/{id}/` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventJson {
    /// Event id (32 hex).
    pub id: String,
    /// The issue the event was grouped into.
    pub issue_id: Option<String>,
    /// The event of the same issue just before this one (by timestamp, then id).
    pub previous_event_id: Option<String>,
    /// The event of the same issue just after this one.
    pub next_event_id: Option<String>,
    /// Project id as a string.
    pub project: String,
    /// The linked replay, if any.
    pub replay_id: Option<String>,
    /// How the replay was found: `replay_id`, `trace_and_span` or `trace_id`.
    pub link_source: Option<&'static str>,
    /// The browser request that failed, once known.
    pub replay_request: Option<RequestJson>,
    /// ms from the replay's start where the event belongs.
    pub replay_offset_ms: Option<u64>,
    /// What the offset is based on: `request` (client time) or `timestamp` (the event's clock).
    pub replay_offset_source: Option<&'static str>,
    /// Trace id (32 hex).
    pub trace_id: Option<String>,
    /// The event's own span id (16 hex).
    pub span_id: Option<String>,
    /// The calling span (the browser request's span id when the trace came from one).
    pub parent_span_id: Option<String>,
    /// Release of the sending service.
    pub release: Option<String>,
    /// Deployment environment.
    pub environment: String,
    /// When it happened, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The same in ms since the epoch.
    pub timestamp_ms: u64,
    /// When the server received it, RFC 3339 UTC with milliseconds.
    pub received: String,
    /// Headline: `Type: value` or the message.
    pub title: String,
    /// `module in function` of the innermost in-app frame.
    pub culprit: Option<String>,
    /// The formatted message, if any.
    pub message: Option<String>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    /// SDK platform.
    pub platform: String,
    /// The route or task being handled.
    pub transaction: Option<String>,
    /// The host that sent it.
    pub server_name: Option<String>,
    /// The HTTP status code the event reports.
    pub status_code: Option<u16>,
    /// Tags as `{key, value}`.
    pub tags: Vec<Tag>,
    /// The exception chain as `{"values": [...]}` (main exception last), or `null`.
    pub exception: Option<ExceptionsJson>,
    /// A stack trace attached to a message event.
    pub stacktrace: Option<Stacktrace>,
    /// The HTTP request the backend was handling.
    pub request: Option<HttpRequest>,
    /// Contexts (`trace`, `runtime`, …).
    pub contexts: Map<String, Value>,
    /// The user, if sent.
    pub user: Option<Value>,
    /// Extra data.
    pub extra: Map<String, Value>,
    /// Breadcrumbs, oldest first.
    pub breadcrumbs: Vec<Value>,
    /// Custom fingerprint, if any.
    pub fingerprint: Vec<String>,
    /// SDK name and version.
    pub sdk: Option<Value>,
    /// What normalization dropped or replaced.
    pub errors: Vec<NormalizationNote>,
}

impl EventJson {
    /// Formats a stored event placed on `replay` (its linked replay, when stored) and in its
    /// issue (`place`, once grouped).
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(
        stored: StoredEvent,
        replay: Option<&ReplaySummary>,
        place: Option<EventPlace>,
    ) -> Result<Self, AppError> {
        let placement = placement(&stored, replay);
        let StoredEvent {
            project_id,
            event,
            link,
        } = stored;
        let NormalizedEvent {
            event_id,
            timestamp_ms,
            received_ms,
            platform,
            level,
            transaction,
            server_name,
            release,
            environment,
            message,
            title,
            culprit,
            tags,
            exception,
            stacktrace,
            request,
            contexts,
            user,
            extra,
            breadcrumbs,
            fingerprint,
            sdk,
            trace_id,
            span_id,
            parent_span_id,
            status_code,
            errors,
            ..
        } = event;
        Ok(Self {
            id: event_id,
            issue_id: place.as_ref().map(|place| place.issue_id.to_string()),
            previous_event_id: place
                .as_ref()
                .and_then(|place| place.previous_event_id.clone()),
            next_event_id: place.and_then(|place| place.next_event_id),
            project: project_id.to_string(),
            replay_id: link.as_ref().map(|link| link.replay_id.clone()),
            link_source: link.as_ref().map(|link| link.source.as_str()),
            replay_request: link
                .as_ref()
                .and_then(|link| link.request.as_ref())
                .map(RequestJson::from),
            replay_offset_ms: placement.map(|p| p.offset_ms),
            replay_offset_source: placement.map(|p| p.source),
            trace_id,
            span_id,
            parent_span_id,
            release,
            environment,
            timestamp: rfc3339_ms(timestamp_ms)?,
            timestamp_ms,
            received: rfc3339_ms(received_ms)?,
            title,
            culprit,
            message,
            level,
            platform,
            transaction,
            server_name,
            status_code,
            tags,
            exception: (!exception.is_empty()).then_some(ExceptionsJson { values: exception }),
            stacktrace,
            request,
            contexts,
            user,
            extra,
            breadcrumbs,
            fingerprint,
            sdk,
            errors,
        })
    }
}

/// Shows one event; 404 when unknown. The id may be 32 hex digits or a dashed UUID.
pub async fn get_event(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EventJson>, AppError> {
    let not_found = || AppError::NotFound("event not found".into());
    let id = EventId::parse(&id).ok_or_else(not_found)?;
    let event = event_json(&state, id.to_string())
        .await?
        .ok_or_else(not_found)?;
    let project = event.project.parse::<u64>().unwrap_or(u64::MAX);
    caller.check_visible(project, || "event not found".into())?;
    Ok(Json(event))
}

/// The API form of stored event `id` (32 hex), with its replay placement and its place in its
/// issue; `None` when unknown.
///
/// # Errors
/// The store's error, or [`AppError::Internal`] if a stored time cannot be formatted.
pub(crate) async fn event_json(
    state: &AppState,
    id: String,
) -> Result<Option<EventJson>, AppError> {
    let found = state
        .run_store(move |store| {
            let Some(stored) = store.event(&id)? else {
                return Ok(None);
            };
            let replay = match &stored.link {
                Some(link) => store.replay(&link.replay_id)?,
                None => None,
            };
            let place = store.event_place(&id)?;
            Ok(Some((stored, replay, place)))
        })
        .await?;
    found
        .map(|(stored, replay, place)| EventJson::new(stored, replay.as_ref(), place))
        .transpose()
}
