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
    let result = accept_event(&state, &project_id, query.as_deref(), &headers, body).await;
    ingest::respond(&state, "event", result)
}

async fn accept_event(
    state: &AppState,
    path_project: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<EventId>, AppError> {
    // Held until the event is in the inbox (or refused).
    let _slot = ingest::admit_to_inbox(state)?;
    let key = dsn_key(query, headers).ok_or(AppError::MissingKey)?;
    let project_id = ingest::authenticate(state, path_project, &key).await?;
    ingest::check_rate_limit(state, project_id)?;
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
