//! `GET /api/0/replays/{id}/events/`: the backend error events linked to a replay, each placed
//! on the replay's timeline at the browser request that caused it.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::events::{RequestJson, placement};
use super::replays::find_visible_replay;
use crate::AppState;
use crate::auth::ReadAccess;
use crate::error::AppError;
use crate::store::StoredEvent;
use crate::summary::ReplaySummary;
use crate::timestamp::rfc3339_ms;

/// A linked backend event as the replay's timeline needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayEventJson {
    /// Event id (32 hex); `GET /api/0/events/{id}/` has the rest.
    pub id: String,
    /// Headline: `Type: value` or the message.
    pub title: String,
    /// `module in function` of the innermost in-app frame.
    pub culprit: Option<String>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    /// SDK platform.
    pub platform: String,
    /// The service: the `service` (or `service.name`) tag, else the sending host.
    pub service: Option<String>,
    /// Release of the sending service.
    pub release: Option<String>,
    /// Deployment environment.
    pub environment: String,
    /// The HTTP status code the event reports, else the failing request's.
    pub status_code: Option<u16>,
    /// Trace id (32 hex).
    pub trace_id: Option<String>,
    /// Span id of the browser request (the network event's `span_id`): the request's when
    /// known, else the event's parent span.
    pub span_id: Option<String>,
    /// ms from the replay's start where the event belongs.
    pub replay_offset_ms: Option<u64>,
    /// `request` (client time of the failing request) or `timestamp` (the event's clock).
    pub replay_offset_source: Option<&'static str>,
    /// How the replay was found: `replay_id`, `trace_and_span` or `trace_id`.
    pub link_source: Option<&'static str>,
    /// The failing browser request, once known.
    pub request: Option<RequestJson>,
    /// When it happened, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
}

impl ReplayEventJson {
    /// Formats a stored event linked to `replay`.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(stored: &StoredEvent, replay: &ReplaySummary) -> Result<Self, AppError> {
        let placement = placement(stored, Some(replay));
        let event = &stored.event;
        let request = stored.link.as_ref().and_then(|link| link.request.as_ref());
        let tag = |name: &str| {
            event
                .tags
                .iter()
                .find(|tag| tag.key == name)
                .map(|tag| tag.value.clone())
        };
        Ok(Self {
            id: event.event_id.clone(),
            title: event.title.clone(),
            culprit: event.culprit.clone(),
            level: event.level.clone(),
            platform: event.platform.clone(),
            service: tag("service")
                .or_else(|| tag("service.name"))
                .or_else(|| event.server_name.clone()),
            release: event.release.clone(),
            environment: event.environment.clone(),
            status_code: event
                .status_code
                .or_else(|| request.map(|r| r.status).filter(|status| *status >= 100)),
            trace_id: event.trace_id.clone(),
            span_id: request
                .map(|r| r.span_id.clone())
                .or_else(|| event.parent_span_id.clone()),
            replay_offset_ms: placement.map(|p| p.offset_ms),
            replay_offset_source: placement.map(|p| p.source),
            link_source: stored.link.as_ref().map(|link| link.source.as_str()),
            request: request.map(RequestJson::from),
            timestamp: rfc3339_ms(event.timestamp_ms)?,
        })
    }
}

/// Lists the events linked to a replay in timeline order; 404 when the replay is unknown.
pub async fn list_replay_events(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReplayEventJson>>, AppError> {
    let replay = find_visible_replay(&state, &caller, id).await?;
    let replay_id = replay.id.clone();
    let events = state
        .run_store(move |store| store.replay_events(&replay_id))
        .await?;
    let events = events
        .iter()
        .map(|stored| ReplayEventJson::new(stored, &replay))
        .collect::<Result<_, _>>()?;
    Ok(Json(events))
}
