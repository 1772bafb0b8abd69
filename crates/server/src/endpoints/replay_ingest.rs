//! `POST /api/{project_id}/replay/`: replay segment ingest.
//!
//! Order of checks: a free ingest slot (503 with `Retry-After`, see [`crate::admission`]), DSN
//! key (401 missing, 403 unknown or wrong project), the project's replay rate limit (429 with
//! `Retry-After` and `X-Sentry-Rate-Limits`), size while reading (413), full decode (400 with
//! the decoder's reason; the bytes go to the quarantine with that reason), header project
//! (400), then one durable transaction storing the bytes and updating the replay summary (409
//! when different bytes are already stored under the same index; 503 when the disk is full).
//! A 200 means the segment is on disk.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use sightline_protocol::decode_segment;
use sightline_protocol::limits::MAX_SEGMENT_BYTES;

use crate::AppState;
use crate::admission::IngestSlot;
use crate::auth::dsn_key;
use crate::error::AppError;
use crate::ingest;
use crate::link::traced_requests;
use crate::store::quarantine::{NewQuarantined, QuarantineLimits, kind};
use crate::store::{InsertOutcome, NewSegment, Store};
use crate::summary::SegmentSummary;

/// Handles one segment upload; answers `{"id": replay_id, "index": n}`.
pub async fn ingest_replay(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match admit(&state, &project_id, query.as_deref(), &headers).await {
        Ok((_slot, project_id)) => accept_segment(&state, project_id, &headers, body).await,
        Err(error) => {
            ingest::drain(body).await;
            Err(error)
        }
    };
    match result {
        Ok((replay_id, index)) => Json(json!({ "id": replay_id, "index": index })).into_response(),
        Err(error) => {
            state.rejections().record("replay segment", &error);
            error.into_response()
        }
    }
}

/// The checks before the body is read: a slot, the key, the replay rate limit. The slot is
/// held until the segment is stored (or refused).
async fn admit(
    state: &AppState,
    path_project: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(IngestSlot, u64), AppError> {
    let slot = state.admission().enter()?;
    let key = dsn_key(query, headers).ok_or(AppError::MissingKey)?;
    let project_id = ingest::authenticate(state, path_project, &key).await?;
    ingest::check_replay_rate_limit(state, project_id)?;
    Ok((slot, project_id))
}

async fn accept_segment(
    state: &AppState,
    project_id: u64,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, u32), AppError> {
    let bytes = read_body(headers, body, MAX_SEGMENT_BYTES).await?;
    let (replay_id, index, outcome) = state
        .blocking(move |store| {
            let segment = match decode_segment(&bytes) {
                Ok(segment) => segment,
                Err(error) => {
                    quarantine_segment(store, project_id, &error.to_string(), &bytes);
                    return Err(error.into());
                }
            };
            if segment.header.project != project_id {
                return Err(AppError::BadRequest(format!(
                    "segment header names project {} but was uploaded to project {project_id}",
                    segment.header.project
                )));
            }
            let summary = match SegmentSummary::from_decoded(&segment) {
                Ok(summary) => summary,
                Err(error) => {
                    quarantine_segment(store, project_id, &error.to_string(), &bytes);
                    return Err(AppError::BadRequest(error.to_string()));
                }
            };
            let (replay_id, index) = (summary.replay_id.clone(), summary.index);
            let outcome = store.insert_segment(&NewSegment {
                project_id,
                summary,
                bytes: bytes.to_vec(),
                requests: traced_requests(&segment),
            })?;
            Ok((replay_id, index, outcome))
        })
        .await?;
    match outcome {
        InsertOutcome::Stored => tracing::info!(%replay_id, index, "stored replay segment"),
        InsertOutcome::AlreadyStored => {
            tracing::info!(%replay_id, index, "replay segment already stored");
        }
    }
    Ok((replay_id, index))
}

/// Keeps a segment that did not decode in the quarantine with the reason, and logs it once;
/// a failure to quarantine is logged too (the client gets its 400 either way).
fn quarantine_segment(store: &dyn Store, project_id: u64, reason: &str, bytes: &[u8]) {
    let item = NewQuarantined {
        project_id,
        kind: kind::SEGMENT.into(),
        reason: reason.to_owned(),
        received_at_ms: ingest::now_ms(),
        payload: bytes.to_vec(),
    };
    match store.quarantine(&item, QuarantineLimits::DEFAULT) {
        Ok(outcome) => tracing::warn!(
            project_id,
            quarantine_id = outcome.id,
            size = bytes.len(),
            %reason,
            "replay segment does not decode: answered 400 and quarantined"
        ),
        Err(error) => tracing::error!(
            project_id,
            size = bytes.len(),
            %reason,
            %error,
            "replay segment does not decode: answered 400, and quarantining it failed"
        ),
    }
}

/// Reads the whole body, refusing (413) as soon as it is known to exceed `limit`.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, AppError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(AppError::PayloadTooLarge { limit })
        }
        Err(error) => Err(AppError::BadRequest(format!(
            "failed to read request body: {error}"
        ))),
    }
}
