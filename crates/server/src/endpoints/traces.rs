//! `GET /api/0/traces/{trace_id}/`: one trace across services — the browser's requests as root
//! spans, the backend transactions and their child spans, the error events placed on the span
//! where they happened, the logs, and the service that failed (see
//! [`TraceView`]).

use axum::Json;
use axum::extract::{Path, State};

use crate::AppState;
use crate::auth::ReadAccess;
use crate::error::AppError;
use crate::trace::TraceView;

/// Shows one trace; 400 when the id is not 32 hex digits, 404 when nothing has the trace.
pub async fn get_trace(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(trace_id): Path<String>,
) -> Result<Json<TraceView>, AppError> {
    let trace_id = parse_trace_id(&trace_id)?;
    let lookup = trace_id.clone();
    let see = caller.clone();
    // A trace crosses projects: the caller gets only the parts of the projects they see.
    let stored = state
        .run_store(move |store| {
            let mut stored = store.trace(&lookup)?;
            if !see.is_superuser() {
                let mut replays = std::collections::HashMap::new();
                let mut visible_requests = Vec::with_capacity(stored.requests.len());
                for request in stored.requests {
                    let visible = match replays.get(&request.replay_id) {
                        Some(visible) => *visible,
                        None => {
                            let visible = store
                                .replay(&request.replay_id)?
                                .is_some_and(|replay| see.can_see(replay.project_id));
                            replays.insert(request.replay_id.clone(), visible);
                            visible
                        }
                    };
                    if visible {
                        visible_requests.push(request);
                    }
                }
                stored.requests = visible_requests;
                stored.spans.retain(|span| see.can_see(span.project_id));
                stored.logs.retain(|log| see.can_see(log.project_id));
                stored
                    .events
                    .retain(|event| see.can_see(event.stored.project_id));
            }
            Ok(stored)
        })
        .await?;
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
