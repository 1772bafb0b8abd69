//! DSN keys of a project: list, add, revoke. Rotation is: add a key, move the SDKs to its DSN,
//! revoke the old one; ingest refuses a revoked key at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{dsn, dsn_host, json_body, require_org_admin};
use crate::AppState;
use crate::auth::{AdminAccess, Caller, ReadAccess};
use crate::error::AppError;
use crate::project::random_hex;
use crate::store::Store;
use crate::store::access::ProjectKey;
use crate::timestamp::rfc3339_ms;

/// Most keys a project may have (revoked ones included).
pub const MAX_KEYS_PER_PROJECT: usize = 100;

fn key_json(key: &ProjectKey, host: &str) -> Result<Value, AppError> {
    let time = |ms: i64| rfc3339_ms(u64::try_from(ms).unwrap_or(0));
    Ok(json!({
        "public_key": key.public_key,
        "label": key.label,
        "dsn": dsn(&key.public_key, host, key.project_id),
        "created_at": time(key.created_at_ms)?,
        "revoked_at": key.revoked_at_ms.map(time).transpose()?,
    }))
}

/// The organization of `project` if the caller sees it, else 404.
fn visible_project(store: &dyn Store, caller: &Caller, project: u64) -> Result<i64, AppError> {
    let not_found = || AppError::NotFound(format!("project {project} not found"));
    if !caller.can_see(project) {
        return Err(not_found());
    }
    store
        .org_projects()?
        .into_iter()
        .find(|row| row.id == project)
        .map(|row| row.organization_id)
        .ok_or_else(not_found)
}

/// `GET /api/0/projects/{project_id}/keys/`: every key, oldest first, revoked ones too.
pub async fn list_keys(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
    headers: HeaderMap,
) -> Result<Json<Vec<Value>>, AppError> {
    let host = dsn_host(&state, &headers);
    state
        .blocking(move |store| {
            visible_project(store, &caller, project)?;
            let keys = store.project_keys(project)?;
            Ok(Json(
                keys.iter()
                    .map(|key| key_json(key, &host))
                    .collect::<Result<_, _>>()?,
            ))
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct NewKeyBody {
    label: Option<String>,
}

/// `POST /api/0/projects/{project_id}/keys/` (org admin): `{"label"}` → 201 with the new key.
pub async fn add_key(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let body: NewKeyBody = if body.is_empty() {
        NewKeyBody::default()
    } else {
        json_body(&body, "key")?
    };
    let label = body.label.unwrap_or_default().trim().to_owned();
    if label.len() > 200 {
        return Err(AppError::BadRequest(
            "label must be at most 200 bytes".into(),
        ));
    }
    let host = dsn_host(&state, &headers);
    state
        .blocking(move |store| {
            let org = visible_project(store, &caller, project)?;
            require_org_admin(store, &caller, org)?;
            if store.project_keys(project)?.len() >= MAX_KEYS_PER_PROJECT {
                return Err(AppError::BadRequest(format!(
                    "a project has at most {MAX_KEYS_PER_PROJECT} keys"
                )));
            }
            let key = store.add_project_key(project, &random_hex::<16>(), &label)?;
            Ok((StatusCode::CREATED, Json(key_json(&key, &host)?)))
        })
        .await
}

/// `DELETE /api/0/projects/{project_id}/keys/{public_key}/` (org admin) → 204; 404 when the
/// project has no such unrevoked key.
pub async fn revoke_key(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path((project, key)): Path<(u64, String)>,
) -> Result<StatusCode, AppError> {
    state
        .blocking(move |store| {
            let org = visible_project(store, &caller, project)?;
            require_org_admin(store, &caller, org)?;
            if store.revoke_project_key(project, &key)? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(AppError::NotFound("no such unrevoked key".into()))
            }
        })
        .await
}
