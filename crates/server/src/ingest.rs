//! The steps ingest endpoints share: authenticate the DSN key against the project, apply the
//! project's rate limit, write an accepted payload to the durable inbox, and answer.
//!
//! Ingest does no slow work: the processor does the rest after the answer.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::admission::IngestSlot;
use crate::error::AppError;
use crate::event_id::EventId;
use crate::rate_limit::RateLimiter;
use crate::store::NewInboxEntry;

/// Checks that project `project_id` (the URL's path segment) exists and `key` is one of its
/// DSN keys that has not been revoked; returns the project id.
///
/// # Errors
/// [`AppError::Forbidden`] for an unknown project, a revoked key or a key of another project.
pub async fn authenticate(state: &AppState, project_id: &str, key: &str) -> Result<u64, AppError> {
    let project_id: u64 = project_id
        .parse()
        .map_err(|_| AppError::Forbidden("unknown project".into()))?;
    let lookup = key.to_owned();
    let (found, exists) = state
        .run_store(move |store| {
            let found = store.project_key(&lookup)?;
            let exists = match &found {
                Some(row) if row.project_id == project_id => true,
                _ => store.project(project_id)?.is_some(),
            };
            Ok((found, exists))
        })
        .await?;
    match found {
        _ if !exists => Err(AppError::Forbidden(format!("unknown project {project_id}"))),
        Some(row) if row.project_id == project_id && row.revoked_at_ms.is_none() => Ok(project_id),
        Some(row) if row.project_id == project_id => Err(AppError::Forbidden(format!(
            "DSN key was revoked for project {project_id}"
        ))),
        _ => Err(AppError::Forbidden(format!(
            "DSN key is not valid for project {project_id}"
        ))),
    }
}

/// Takes one request from the project's rate limit.
///
/// # Errors
/// [`AppError::RateLimited`] (429) with the whole seconds to wait (at least 1).
pub fn check_rate_limit(state: &AppState, project_id: u64) -> Result<(), AppError> {
    take_token(state.rate_limiter(), project_id)
}

/// Takes one request from the project's rate limit of replay segments (a bucket of its own,
/// so a busy site's recordings never starve its error events or the reverse).
///
/// # Errors
/// [`AppError::RateLimited`] (429) with the whole seconds to wait (at least 1).
pub fn check_replay_rate_limit(state: &AppState, project_id: u64) -> Result<(), AppError> {
    take_token(state.replay_rate_limiter(), project_id)
}

/// Takes a token for `project_id` from `limiter`.
fn take_token(limiter: &RateLimiter, project_id: u64) -> Result<(), AppError> {
    limiter.check(project_id, Instant::now()).map_err(|wait| {
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        AppError::RateLimited {
            project_id,
            retry_after_secs: retry_after_secs.max(1),
        }
    })
}

/// Admits an ingest request that will write to the inbox: takes an ingest slot (held until the
/// returned guard is dropped) and checks the inbox backlog.
///
/// # Errors
/// [`AppError::Unavailable`] (503 with `Retry-After`) when every slot is busy or the backlog
/// is full.
pub fn admit_to_inbox(state: &AppState) -> Result<IngestSlot, AppError> {
    let slot = state.admission().enter()?;
    state.admission().check_backlog()?;
    Ok(slot)
}

/// Most bytes of a refused request's body read and thrown away so the client reads the answer.
pub const MAX_DRAINED_BYTES: usize = crate::limits::MAX_BODY_BYTES;

/// Longest time spent draining a refused request's body.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and discards a refused request's body (at most [`MAX_DRAINED_BYTES`], for at most
/// [`DRAIN_TIMEOUT`]) without keeping it: closing the connection with the body unread makes
/// the client's kernel reset it, and the client sees a broken connection instead of the 429 or
/// 503 that tells it when to retry. Costs no memory beyond one chunk at a time.
pub async fn drain(body: axum::body::Body) {
    use http_body_util::BodyExt as _;
    let mut body = body;
    let mut read = 0_usize;
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while read <= MAX_DRAINED_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, |data| data.len());
                }
                _ => break,
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::debug!(read, "stopped draining a refused request's body");
    }
}

/// Writes an accepted envelope to the inbox (durable when this returns) and wakes the
/// processor.
///
/// # Errors
/// The store's error as an [`AppError`].
pub async fn enqueue(
    state: &AppState,
    project_id: u64,
    event_id: &EventId,
    envelope: Vec<u8>,
) -> Result<(), AppError> {
    let size = envelope.len() as u64;
    let entry = NewInboxEntry {
        project_id,
        event_id: event_id.to_string(),
        received_at_ms: now_ms(),
        payload: envelope,
    };
    state.run_store(move |store| store.enqueue(&entry)).await?;
    state.admission().enqueued(size);
    state.inbox_signal().notify_one();
    Ok(())
}

/// Answers an ingest request as Sentry does: `200 {"id": "<event id>"}` (`{}` when the
/// payload had no event), or the error, counted by reason.
pub fn respond(
    state: &AppState,
    what: &str,
    result: Result<Option<EventId>, AppError>,
) -> Response {
    match result {
        Ok(Some(id)) => Json(json!({ "id": id.as_str() })).into_response(),
        Ok(None) => Json(json!({})).into_response(),
        Err(error) => {
            state.rejections().record(what, &error);
            error.into_response()
        }
    }
}

/// The current time in ms since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The only field ingest reads from an event payload; parsing into it still checks that the
/// whole payload is one well-formed JSON object.
#[derive(serde::Deserialize)]
struct EventIdOnly {
    #[serde(default)]
    event_id: Option<serde_json::Value>,
}

/// Checks that an event or transaction payload is a JSON object and returns its `event_id`.
///
/// # Errors
/// [`AppError::BadRequest`] naming `what` when the payload is not a JSON object or its
/// `event_id` is neither 32 hex digits nor a UUID.
pub fn payload_event_id(what: &str, payload: &[u8]) -> Result<Option<EventId>, AppError> {
    let parsed: EventIdOnly = serde_json::from_slice(payload)
        .map_err(|error| AppError::BadRequest(format!("{what} is not a JSON object: {error}")))?;
    match parsed.event_id {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(id)) => EventId::parse(&id).map(Some).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{what} has an invalid event_id {id:?}: expected 32 hex digits or a UUID"
            ))
        }),
        Some(other) => Err(AppError::BadRequest(format!(
            "{what} has an invalid event_id {other}"
        ))),
    }
}
