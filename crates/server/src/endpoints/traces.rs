//! `GET /api/0/traces/{trace_id}/`: one trace across services — the browser's requests as root
//! spans, the backend transactions and their child spans, the error events placed on the span
//! where they happened, the logs, and the service that failed (see
//! [`TraceView`]).

use axum::Json;
use axum::extract::{Path, State};

use crate::AppState;
use crate::auth::AdminToken;
use crate::error::AppError;
use crate::trace::TraceView;

/// Shows one trace; 400 when the id is not 32 hex digits, 404 when nothing has the trace.
pub async fn get_trace(
    _admin: AdminToken,
    State(state): State<AppState>,
    Path(trace_id): Path<String>,
) -> Result<Json<TraceView>, AppError> {
    let trace_id = parse_trace_id(&trace_id)?;
    let lookup = trace_id.clone();
    let stored = state.run_store(move |store| store.trace(&lookup)).await?;
    TraceView::assemble(
        &trace_id,
        &stored.requests,
        &stored.spans,
        &stored.events,
        &stored.logs,
    )
    .map(Json)
    .ok_or_else(|| AppError::NotFound(format!("no spans, events or logs of trace {trace_id}")))
}

/// A trace id as stored: 32 lowercase hex (a UUID's dashes removed).
fn parse_trace_id(raw: &str) -> Result<String, AppError> {
    let compact: String = raw
        .chars()
        .take(64)
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if compact.len() == 32 && compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(compact)
    } else {
        Err(AppError::BadRequest(format!(
            "trace id {:?} is not 32 hex digits",
            raw.chars().take(64).collect::<String>()
        )))
    }
}
