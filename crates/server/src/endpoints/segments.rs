//! `GET /api/0/replays/{id}/segments/` (the listing) and
//! `GET /api/0/replays/{id}/segments/{index}` (the bytes exactly as uploaded).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::replays::find_visible_replay;
use crate::AppState;
use crate::auth::ReadAccess;
use crate::error::AppError;
use crate::store::SegmentInfo;

/// One segment in a replay's listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentJson {
    /// Position in the replay.
    pub index: u32,
    /// Start, ms since the Unix epoch.
    pub start: u64,
    /// End, ms since the Unix epoch.
    pub end: u64,
    /// Number of events.
    pub event_count: u32,
    /// Size in bytes as uploaded.
    pub size: u64,
}

impl From<SegmentInfo> for SegmentJson {
    fn from(info: SegmentInfo) -> Self {
        Self {
            index: info.index,
            start: info.start,
            end: info.end,
            event_count: info.event_count,
            size: info.size,
        }
    }
}

/// Lists a replay's segments by index; 404 when the replay is unknown.
pub async fn list_segments(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<SegmentJson>>, AppError> {
    let replay = find_visible_replay(&state, &caller, id).await?;
    let segments = state
        .run_store(move |store| store.segments(&replay.id))
        .await?;
    Ok(Json(segments.into_iter().map(SegmentJson::from).collect()))
}

/// Answers one segment's bytes as `application/octet-stream`.
pub async fn segment_bytes(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path((id, index)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let replay = find_visible_replay(&state, &caller, id).await?;
    let id = replay.id;
    let index: u32 = index.parse().map_err(|_| {
        AppError::BadRequest(format!(
            "segment index must be a non-negative integer, got {:?}",
            index.chars().take(20).collect::<String>()
        ))
    })?;
    let bytes = state
        .run_store(move |store| store.segment_bytes(&id, index))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("segment {index} not found")))?;
    // A stored segment never changes (a different upload under its index is refused).
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CACHE_CONTROL, "private, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}
