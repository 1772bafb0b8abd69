//! `POST /api/{project_id}/envelope/`: Sentry envelopes from official SDKs.
//!
//! Order of checks: a free ingest slot and room in the inbox (503 with `Retry-After`, see
//! [`crate::admission`]), the DSN key from `?sentry_key=`, `X-Sentry-Auth` or `Authorization:
//! Sentry …` (403 unknown key or project; then the project's rate limit, 429), the body read
//! and decompressed within [`MAX_BODY_BYTES`] and [`MAX_DECOMPRESSED_BODY_BYTES`] (413, 415 for
//! an unknown encoding), the envelope parsed (400 malformed or truncated, 413 over a limit such
//! as [`MAX_EVENT_BYTES`](crate::limits::MAX_EVENT_BYTES)). Without a key in the request, the
//! envelope header's `dsn` authenticates (401 when there is none either). Every `event` and
//! `transaction` payload must be a JSON object with a valid `event_id`, if any (400).
//!
//! Items of other types (sessions, client reports, check-ins, profiles, spans, logs,
//! attachments, unknown types) are accepted and dropped, counted by reason. An envelope with an
//! event or transaction is written to the durable inbox before the answer,
//! `200 {"id": "<event id>"}`; the processor stores and links it afterwards. The same event id
//! sent again is answered 200 and stored once.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::AppState;
use crate::admission::IngestSlot;
use crate::auth::{dsn_key, parse_dsn};
use crate::encoding::{BodyLimits, read_body};
use crate::envelope::{Envelope, ItemType};
use crate::error::AppError;
use crate::event_id::EventId;
use crate::ingest;
use crate::limits::{MAX_BODY_BYTES, MAX_DECOMPRESSED_BODY_BYTES};

/// Caps on an envelope body.
pub const ENVELOPE_LIMITS: BodyLimits = BodyLimits {
    sent: ("MAX_BODY_BYTES", MAX_BODY_BYTES),
    decoded: ("MAX_DECOMPRESSED_BODY_BYTES", MAX_DECOMPRESSED_BODY_BYTES),
};

/// Handles one envelope; answers `{"id": event_id}`, or `{}` for envelopes without an event.
pub async fn ingest_envelope(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match admit(&state, &project_id, query.as_deref(), &headers).await {
        Ok((_slot, key_project)) => {
            accept_envelope(&state, &project_id, key_project, &headers, body).await
        }
        Err(error) => {
            ingest::drain(body).await;
            Err(error)
        }
    };
    ingest::respond(&state, "envelope", result)
}

/// The checks before the body is read: a slot and room in the inbox, then the key in the
/// request (if any) and its project's rate limit. The slot is held until the envelope is in
/// the inbox (or refused).
async fn admit(
    state: &AppState,
    path_project: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(IngestSlot, Option<u64>), AppError> {
    let slot = ingest::admit_to_inbox(state)?;
    let mut project_id = None;
    if let Some(key) = dsn_key(query, headers) {
        let id = ingest::authenticate(state, path_project, &key).await?;
        ingest::check_rate_limit(state, id)?;
        project_id = Some(id);
    }
    Ok((slot, project_id))
}

async fn accept_envelope(
    state: &AppState,
    path_project: &str,
    project_id: Option<u64>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<EventId>, AppError> {
    let (bytes, encoding) = read_body(headers, body, ENVELOPE_LIMITS).await?;
    let envelope = Envelope::parse(&bytes)?;
    let project_id = match project_id {
        Some(id) => id,
        None => {
            let dsn = envelope.dsn().ok_or(AppError::MissingKey)?;
            let (key, dsn_project) = parse_dsn(dsn).ok_or_else(|| {
                AppError::Forbidden("the envelope header's dsn is not a valid DSN".into())
            })?;
            let id = ingest::authenticate(state, path_project, &key).await?;
            if dsn_project != id {
                return Err(AppError::Forbidden(format!(
                    "the envelope header's dsn names project {dsn_project}, not {id}"
                )));
            }
            ingest::check_rate_limit(state, id)?;
            id
        }
    };

    let mut first_event = None;
    let mut first_transaction = None;
    // Spans and logs are kept for their traces but carry no event id to answer.
    let mut trace_items = false;
    for (index, item) in envelope.items.iter().enumerate() {
        if let Some(reason) = item.item_type.drop_reason() {
            state.dropped_items().record(&item.type_name, reason);
            continue;
        }
        if matches!(item.item_type, ItemType::Span | ItemType::Log) {
            trace_items = true;
            continue;
        }
        let what = format!("item {index} ({})", item.type_name);
        let id = ingest::payload_event_id(&what, item.payload)?;
        let slot = if item.item_type == ItemType::Event {
            &mut first_event
        } else {
            &mut first_transaction
        };
        if slot.is_none() {
            *slot = Some(id);
        }
    }
    let answers_id = first_event.is_some() || first_transaction.is_some();
    let kept = answers_id || trace_items;
    let event_id = envelope
        .event_id
        .clone()
        .or_else(|| first_event.clone().flatten())
        .or_else(|| first_transaction.clone().flatten());
    tracing::info!(
        project_id,
        content_encoding = encoding.name(),
        size = bytes.len(),
        items = envelope.items.len(),
        event_id = event_id.as_ref().map(EventId::as_str),
        kept,
        "accepted envelope"
    );
    if !kept {
        return Ok(event_id);
    }
    let answer = event_id.clone();
    let event_id = event_id.unwrap_or_else(EventId::random);
    ingest::enqueue(state, project_id, &event_id, bytes).await?;
    Ok(if answers_id { Some(event_id) } else { answer })
}
