//! Signed, expiring embed tokens for one replay:
//! `POST /api/0/replays/{id}/embed-tokens/` (write scope, the replay visible to the caller) with
//! an optional `{"expires_in": seconds}` (default 3600, at most 30 days) → 201
//! `{"token","expires_at","replay_id"}`. The token (see [`crate::auth::embed_token`]) opens
//! exactly that replay's read endpoints and the events linked to it, for a dashboard that
//! embeds `<sightline-player token="…">` without a login. `DELETE` on the same path revokes
//! every embed token of the replay issued so far.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::embed_token::{self, DEFAULT_EXPIRES_IN, EmbedGrant, MAX_EXPIRES_IN};
use crate::auth::{WriteAccess, now_ms};
use crate::endpoints::accounts::json_body;
use crate::endpoints::replays::find_visible_replay;
use crate::error::AppError;
use crate::timestamp::rfc3339_ms;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/0/replays/{id}/embed-tokens/",
            post(create_embed_token).delete(revoke_embed_tokens),
        )
        .route(
            "/api/0/replays/{id}/embed-tokens",
            post(create_embed_token).delete(revoke_embed_tokens),
        )
}

/// Revokes every embed token of the replay issued so far (tokens issued afterwards work).
async fn revoke_embed_tokens(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let replay = find_visible_replay(&state, &caller, id).await?;
    let now = now_ms();
    state
        .run_store(move |store| store.revoke_embed_tokens(&replay.id, now))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
struct EmbedTokenBody {
    expires_in: Option<u64>,
}

async fn create_embed_token(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let body: EmbedTokenBody = if body.is_empty() {
        EmbedTokenBody::default()
    } else {
        json_body(&body, "embed token")?
    };
    let expires_in = body.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(AppError::BadRequest(format!(
            "expires_in must be 1 to {MAX_EXPIRES_IN} seconds"
        )));
    }
    let replay = find_visible_replay(&state, &caller, id).await?;
    let now_secs = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let grant = EmbedGrant {
        replay_id: replay.id.clone(),
        project_id: replay.project_id,
        expires_at: now_secs + expires_in,
        issued_at_ms: u64::try_from(now_ms()).unwrap_or(0),
    };
    let key = state.access().embed_key(&state).await?;
    let token = embed_token::sign(&grant, &key);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "token": token,
            "expires_at": rfc3339_ms(grant.expires_at * 1000)?,
            "replay_id": replay.id,
        })),
    ))
}
