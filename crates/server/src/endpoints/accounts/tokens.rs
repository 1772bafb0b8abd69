//! The caller's API tokens: list, create (the token is shown once), revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json_body;
use crate::AppState;
use crate::auth::{Caller, ReadAccess, Scope, WriteAccess, token_digest};
use crate::error::AppError;
use crate::project::random_hex;
use crate::store::access::ApiToken;
use crate::timestamp::rfc3339_ms;

/// Most tokens a user may have (revoked ones included).
pub const MAX_TOKENS_PER_USER: usize = 200;

fn token_json(token: &ApiToken) -> Result<Value, AppError> {
    let time = |ms: i64| rfc3339_ms(u64::try_from(ms).unwrap_or(0));
    Ok(json!({
        "id": token.id.to_string(),
        "label": token.label,
        "scopes": token.scopes.split(' ').filter(|scope| !scope.is_empty()).collect::<Vec<_>>(),
        "created_at": time(token.created_at_ms)?,
        "revoked_at": token.revoked_at_ms.map(time).transpose()?,
        "last_used_at": token.last_used_at_ms.map(time).transpose()?,
    }))
}

fn user_of(caller: &Caller) -> Result<i64, AppError> {
    caller
        .user_id
        .ok_or_else(|| AppError::BadRequest("this credential belongs to no user".into()))
}

/// `GET /api/0/api-tokens/`: the caller's tokens (never the tokens themselves).
pub async fn list_tokens(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
) -> Result<Json<Vec<Value>>, AppError> {
    let user = user_of(&caller)?;
    let tokens = state.run_store(move |store| store.api_tokens(user)).await?;
    Ok(Json(
        tokens.iter().map(token_json).collect::<Result<_, _>>()?,
    ))
}

#[derive(Debug, Deserialize)]
struct NewTokenBody {
    label: Option<String>,
    scopes: Vec<String>,
}

/// `POST /api/0/api-tokens/`: `{"label","scopes":["read"]}` → 201 with `"token"` (shown once);
/// no scope above the caller's.
pub async fn create_token(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = user_of(&caller)?;
    let body: NewTokenBody = json_body(&body, "API token")?;
    let label = body.label.unwrap_or_default().trim().to_owned();
    if label.len() > 200 {
        return Err(AppError::BadRequest(
            "label must be at most 200 bytes".into(),
        ));
    }
    if body.scopes.is_empty() || body.scopes.len() > 3 {
        return Err(AppError::BadRequest(
            "scopes must name 1 to 3 of read, write, admin".into(),
        ));
    }
    let mut scopes = Vec::with_capacity(3);
    for name in &body.scopes {
        let scope = Scope::parse(name).ok_or_else(|| {
            AppError::BadRequest(format!("unknown scope {name:?}: use read, write or admin"))
        })?;
        if scope > caller.scope {
            return Err(AppError::Forbidden(format!(
                "cannot grant the {} scope: yours is {}",
                scope.name(),
                caller.scope.name()
            )));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.sort();
    let scopes = scopes
        .iter()
        .map(|scope| scope.name())
        .collect::<Vec<_>>()
        .join(" ");
    let token = random_hex::<32>();
    let digest = token_digest(&token);
    let row = state
        .run_store(move |store| {
            if store.api_tokens(user)?.len() >= MAX_TOKENS_PER_USER {
                return Err(crate::store::StoreError::Conflict(format!(
                    "a user has at most {MAX_TOKENS_PER_USER} API tokens"
                )));
            }
            store.create_api_token(user, &digest, &label, &scopes)
        })
        .await?;
    let mut json = token_json(&row)?;
    json["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(json)))
}

/// `DELETE /api/0/api-tokens/{id}/` → 204: revokes one of the caller's tokens (a superuser's
/// any token); 404 when there is no such unrevoked token.
pub async fn revoke_token(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let not_found = || AppError::NotFound("no such unrevoked API token".into());
    let id: i64 = id.trim().parse().map_err(|_| not_found())?;
    let owner = if caller.is_superuser() {
        None
    } else {
        Some(user_of(&caller)?)
    };
    if state
        .run_store(move |store| store.revoke_api_token(owner, id))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
