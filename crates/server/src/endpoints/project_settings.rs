//! A project's settings: ownership rules, CODEOWNERS and code mappings.
//!
//! - `GET /api/0/projects/{project}/ownership/` → `{rules, codeowners, updated_at}`;
//! - `PUT /api/0/projects/{project}/ownership/` `{rules?, codeowners?}` (a field left out keeps
//!   its stored text) → the same; 400 naming the bad line when either does not parse (see
//!   [`crate::ownership`]);
//! - `GET /api/0/projects/{project}/code-mappings/` → `[{id, stack_root, source_root}]`;
//! - `POST /api/0/projects/{project}/code-mappings/` `{stack_root, source_root}` → 201 (200
//!   when it replaced the source root of the mapping with the same stack root);
//! - `DELETE /api/0/projects/{project}/code-mappings/{id}/` → 204.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, delete, get};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{AdminAccess, ReadAccess};
use crate::endpoints::releases::{MAX_NAME_CHARS, require_project};
use crate::error::AppError;
use crate::ingest::now_ms;
use crate::ownership::Ownership;
use crate::store::releases::{CodeMapping, OwnershipText};
use crate::timestamp::rfc3339_ms;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 3] = [
        (
            "/api/0/projects/{project}/ownership",
            get(get_ownership).put(put_ownership),
        ),
        (
            "/api/0/projects/{project}/code-mappings",
            get(list_code_mappings).post(create_code_mapping),
        ),
        (
            "/api/0/projects/{project}/code-mappings/{id}",
            delete(delete_code_mapping),
        ),
    ];
    super::with_and_without_slash(routes)
}

/// A project's ownership as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnershipJson {
    /// Ownership rules as written.
    pub rules: String,
    /// `CODEOWNERS` as written.
    pub codeowners: String,
    /// When they were last changed, RFC 3339; null when never set.
    pub updated_at: Option<String>,
}

impl OwnershipJson {
    fn new(text: OwnershipText) -> Result<Self, AppError> {
        Ok(Self {
            updated_at: (text.updated_at_ms > 0)
                .then(|| rfc3339_ms(text.updated_at_ms))
                .transpose()?,
            rules: text.rules,
            codeowners: text.codeowners,
        })
    }
}

#[derive(Debug, Deserialize)]
struct OwnershipBody {
    #[serde(default)]
    rules: Option<String>,
    #[serde(default)]
    codeowners: Option<String>,
}

/// A code mapping as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeMappingJson {
    /// Its id, as a string.
    pub id: String,
    /// The stack-trace path prefix.
    pub stack_root: String,
    /// The repository path it stands for.
    pub source_root: String,
}

impl From<CodeMapping> for CodeMappingJson {
    fn from(mapping: CodeMapping) -> Self {
        Self {
            id: mapping.id.to_string(),
            stack_root: mapping.stack_root,
            source_root: mapping.source_root,
        }
    }
}

#[derive(Debug, Deserialize)]
struct CodeMappingBody {
    stack_root: String,
    #[serde(default)]
    source_root: String,
}

fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|error| AppError::BadRequest(format!("invalid {what} body: {error}")))
}

/// Shows a project's ownership rules and `CODEOWNERS`.
pub async fn get_ownership(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
) -> Result<Json<OwnershipJson>, AppError> {
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let text = state
        .run_store(move |store| store.ownership(project))
        .await?;
    Ok(Json(OwnershipJson::new(text)?))
}

/// Replaces a project's ownership rules and/or `CODEOWNERS` after checking they parse.
pub async fn put_ownership(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
    body: Bytes,
) -> Result<Json<OwnershipJson>, AppError> {
    let body: OwnershipBody = json_body(&body, "ownership")?;
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    crate::endpoints::accounts::require_project_admin(&state, &caller, project).await?;
    let text = state
        .blocking(move |store| {
            let current = store.ownership(project)?;
            let text = OwnershipText {
                rules: body.rules.unwrap_or(current.rules),
                codeowners: body.codeowners.unwrap_or(current.codeowners),
                updated_at_ms: now_ms(),
            };
            Ownership::parse(&text.rules, &text.codeowners)
                .map_err(|error| AppError::BadRequest(error.to_string()))?;
            store.set_ownership(project, &text)?;
            Ok(text)
        })
        .await?;
    Ok(Json(OwnershipJson::new(text)?))
}

/// Lists a project's code mappings.
pub async fn list_code_mappings(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
) -> Result<Json<Vec<CodeMappingJson>>, AppError> {
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let mappings = state
        .run_store(move |store| store.code_mappings(project))
        .await?;
    Ok(Json(mappings.into_iter().map(Into::into).collect()))
}

/// Adds a code mapping (201), or changes the source root of the one with its stack root (200).
pub async fn create_code_mapping(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
    body: Bytes,
) -> Result<(StatusCode, Json<CodeMappingJson>), AppError> {
    let body: CodeMappingBody = json_body(&body, "code mapping")?;
    let stack_root = body.stack_root.trim().to_owned();
    let source_root = body.source_root.trim().to_owned();
    if stack_root.is_empty() || stack_root.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "stack_root must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if source_root.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "source_root must be at most {MAX_NAME_CHARS} characters"
        )));
    }
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    crate::endpoints::accounts::require_project_admin(&state, &caller, project).await?;
    let (mapping, created) = state
        .run_store(move |store| store.put_code_mapping(project, &stack_root, &source_root))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(mapping.into())))
}

/// Deletes a code mapping.
pub async fn delete_code_mapping(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path((project, id)): Path<(u64, u64)>,
) -> Result<StatusCode, AppError> {
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    crate::endpoints::accounts::require_project_admin(&state, &caller, project).await?;
    if state
        .run_store(move |store| store.delete_code_mapping(project, id))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("code mapping {id} not found")))
    }
}
