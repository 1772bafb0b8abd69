//! `GET /api/0/replays/` and `GET /api/0/replays/{id}/`: replay summaries.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::AppState;
use crate::auth::{Caller, ReadAccess};
use crate::error::AppError;
use crate::summary::ReplaySummary;
use crate::timestamp::rfc3339_ms;

/// A replay as the read API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayJson {
    /// Replay id (32 hex).
    pub id: String,
    /// Project id as a string, as Sentry's API does.
    pub project: String,
    /// Start, RFC 3339 UTC with milliseconds.
    pub started_at: String,
    /// End, RFC 3339 UTC with milliseconds.
    pub finished_at: String,
    /// Distinct page URLs in order.
    pub urls: Vec<String>,
    /// Release of the recorded page.
    pub release: String,
    /// Deployment environment.
    pub environment: String,
    /// Number of stored segments.
    pub segment_count: u32,
    /// JS error event ids in order.
    pub error_ids: Vec<String>,
    /// Distinct trace ids of the page's requests.
    pub trace_ids: Vec<String>,
    /// `finished_at - started_at` in ms.
    pub duration_ms: u64,
    /// Start in ms since the Unix epoch.
    pub started_at_ms: u64,
}

impl ReplayJson {
    /// Formats a stored summary.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn from_summary(replay: ReplaySummary) -> Result<Self, AppError> {
        Ok(Self {
            project: replay.project_id.to_string(),
            started_at: rfc3339_ms(replay.started_at_ms)?,
            finished_at: rfc3339_ms(replay.finished_at_ms)?,
            duration_ms: replay.duration_ms(),
            started_at_ms: replay.started_at_ms,
            id: replay.id,
            urls: replay.urls,
            release: replay.release,
            environment: replay.environment,
            segment_count: replay.segment_count,
            error_ids: replay.error_ids,
            trace_ids: replay.trace_ids,
        })
    }
}

/// Lists the replays of the projects the caller sees, newest first.
pub async fn list_replays(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
) -> Result<Json<Vec<ReplayJson>>, AppError> {
    let replays = state.run_store(|store| store.replays()).await?;
    let replays = replays
        .into_iter()
        .filter(|replay| caller.can_see(replay.project_id))
        .map(ReplayJson::from_summary)
        .collect::<Result<_, _>>()?;
    Ok(Json(replays))
}

/// Shows one replay; 404 when unknown or not visible to the caller.
pub async fn get_replay(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReplayJson>, AppError> {
    let replay = find_visible_replay(&state, &caller, id).await?;
    Ok(Json(ReplayJson::from_summary(replay)?))
}

/// The stored summary of replay `id` if `caller` may see it, else [`AppError::NotFound`].
///
/// # Errors
/// [`AppError::NotFound`], or the store's error.
pub async fn find_visible_replay(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<ReplaySummary, AppError> {
    let replay = find_replay(state, id).await?;
    caller.check_visible(replay.project_id, || "replay not found".into())?;
    Ok(replay)
}

/// The stored summary of replay `id`, or [`AppError::NotFound`].
pub(crate) async fn find_replay(state: &AppState, id: String) -> Result<ReplaySummary, AppError> {
    state
        .run_store(move |store| store.replay(&id))
        .await?
        .ok_or_else(|| AppError::NotFound("replay not found".into()))
}
