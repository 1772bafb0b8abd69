//! The quarantine — what could not be processed or stored, for an operator to inspect — and
//! the ingest queue's figures:
//!
//! - `GET /api/0/quarantine/?limit=N` → `[{"id","project","kind","reason","received_at","size"}]`,
//!   newest first (100 by default, at most 1000), only projects the caller can see;
//! - `GET /api/0/quarantine/{id}/payload` → the bytes as received (`application/octet-stream`);
//! - `GET /api/0/internal/queue/` → `{"inbox": {"entries","bytes","max_entries","max_bytes"},
//!   "ingest": {"in_flight","max_in_flight","refused_busy","refused_backlog",
//!   "refused_memory","resident_bytes","max_memory_bytes"},
//!   "quarantine": {"entries","bytes","dropped"}}`; `inbox` is counted by the store.
//!
//! All need the admin scope ([`AdminAccess`]).

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::AdminAccess;
use crate::error::AppError;
use crate::store::quarantine::QuarantinedItem;
use crate::timestamp::rfc3339_ms;

/// Items listed when the request names no `limit`.
const DEFAULT_LIST_LIMIT: usize = 100;

/// Most items one listing returns.
const MAX_LIST_LIMIT: usize = 1000;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/0/quarantine/", get(list_quarantine))
        .route("/api/0/quarantine", get(list_quarantine))
        .route("/api/0/quarantine/{id}/payload", get(quarantined_payload))
        .route("/api/0/internal/queue/", get(queue))
        .route("/api/0/internal/queue", get(queue))
}

/// One quarantined item in the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedJson {
    /// Its id.
    pub id: i64,
    /// The project it was sent to.
    pub project: u64,
    /// `segment` or `envelope`.
    pub kind: String,
    /// Why it was quarantined.
    pub reason: String,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// Size of the payload in bytes.
    pub size: u64,
}

impl TryFrom<QuarantinedItem> for QuarantinedJson {
    type Error = AppError;

    fn try_from(item: QuarantinedItem) -> Result<Self, AppError> {
        Ok(Self {
            id: item.id,
            project: item.project_id,
            kind: item.kind,
            reason: item.reason,
            received_at: rfc3339_ms(item.received_at_ms)?,
            size: item.size,
        })
    }
}

/// `?limit=` of the listing.
#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<usize>,
}

async fn list_quarantine(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<QuarantinedJson>>, AppError> {
    let limit = query
        .limit
        .unwrap_or(DEFAULT_LIST_LIMIT)
        .clamp(1, MAX_LIST_LIMIT);
    let items = state
        .run_store(move |store| store.quarantined(limit))
        .await?;
    let items = items
        .into_iter()
        .filter(|item| caller.can_see(item.project_id))
        .map(QuarantinedJson::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(items))
}

async fn quarantined_payload(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound("quarantined item not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let (item, payload) = state
        .run_store(move |store| store.quarantined_payload(id))
        .await?
        .filter(|(item, _)| caller.can_see(item.project_id))
        .ok_or_else(not_found)?;
    tracing::info!(
        id = item.id,
        size = item.size,
        "quarantined payload downloaded"
    );
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CACHE_CONTROL, "no-store"),
        ],
        payload,
    )
        .into_response())
}

async fn queue(
    AdminAccess(_caller): AdminAccess,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let (inbox, quarantine) = state
        .run_store(|store| Ok((store.inbox_stats()?, store.quarantine_stats()?)))
        .await?;
    let admission = state.admission().stats();
    Ok(Json(json!({
        "inbox": {
            "entries": inbox.entries,
            "bytes": inbox.bytes,
            "max_entries": admission.limits.max_inbox_entries,
            "max_bytes": admission.limits.max_inbox_bytes,
        },
        "ingest": {
            "in_flight": admission.in_flight,
            "max_in_flight": admission.limits.max_in_flight,
            "refused_busy": admission.refused_busy,
            "refused_backlog": admission.refused_backlog,
            "refused_memory": admission.refused_memory,
            "resident_bytes": admission.resident_bytes,
            "max_memory_bytes": admission.limits.max_memory_bytes,
        },
        "quarantine": {
            "entries": quarantine.entries,
            "bytes": quarantine.bytes,
            "dropped": quarantine.dropped,
        },
    })))
}
