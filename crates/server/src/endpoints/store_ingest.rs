//! `POST /api/{project_id}/store/`: one event as a JSON body, the endpoint of older Sentry SDKs.
//!
//! Same admission bounds (503), auth, rate limit and encodings as the envelope endpoint; the decoded body may not
//! exceed [`MAX_EVENT_BYTES`] (413) and must be a JSON object with a valid `event_id`, if any
//! (400). The event is written to the inbox as a one-item envelope and answered
//! `200 {"id": "<event id>"}`; an event without an id gets one.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use crate::AppState;
use crate::admission::IngestSlot;
use crate::auth::dsn_key;
use crate::encoding::{BodyLimits, read_body};
use crate::error::AppError;
use crate::event_id::EventId;
use crate::ingest;
use crate::limits::{MAX_BODY_BYTES, MAX_EVENT_BYTES};

/// Caps on a store body.
pub const STORE_LIMITS: BodyLimits = BodyLimits {
    sent: ("MAX_BODY_BYTES", MAX_BODY_BYTES),
    decoded: ("MAX_EVENT_BYTES", MAX_EVENT_BYTES),
};

/// Handles one event; answers `{"id": event_id}`.
pub async fn ingest_store(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match admit(&state, &project_id, query.as_deref(), &headers).await {
        Ok((_slot, project_id)) => accept_event(&state, project_id, &headers, body).await,
        Err(error) => {
            ingest::drain(body).await;
            Err(error)
        }
    };
    ingest::respond(&state, "event", result)
}

/// The checks before the body is read: a slot and room in the inbox, the key, the rate limit.
/// The slot is held until the event is in the inbox (or refused).
async fn admit(
    state: &AppState,
    path_project: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(IngestSlot, u64), AppError> {
    let slot = ingest::admit_to_inbox(state)?;
    let key = dsn_key(query, headers).ok_or(AppError::MissingKey)?;
    let project_id = ingest::authenticate(state, path_project, &key).await?;
    ingest::check_rate_limit(state, project_id)?;
    Ok((slot, project_id))
}

async fn accept_event(
    state: &AppState,
    project_id: u64,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<EventId>, AppError> {
    let (bytes, encoding) = read_body(headers, body, STORE_LIMITS).await?;
    let event_id = ingest::payload_event_id("event", &bytes)?.unwrap_or_else(EventId::random);
    tracing::info!(
        project_id,
        content_encoding = encoding.name(),
        size = bytes.len(),
        event_id = event_id.as_str(),
        "accepted event"
    );
    let header = json!({ "event_id": event_id.as_str() });
    let item_header = json!({ "type": "event", "length": bytes.len() });
    let mut envelope = format!("{header}\n{item_header}\n").into_bytes();
    envelope.extend_from_slice(&bytes);
    envelope.push(b'\n');
    ingest::enqueue(state, project_id, &event_id, envelope).await?;
    Ok(Some(event_id))
}
