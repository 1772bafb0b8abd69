//! Per-project privacy (server-side scrubbing) and retention settings, and deleting replays and
//! issues with everything that belongs to them.
//!
//! - `GET /api/0/projects/{project_id}/privacy/` → `{"scrub_data", "scrub_defaults",
//!   "scrub_credit_cards", "scrub_emails", "scrub_ip_addresses", "sensitive_fields",
//!   "safe_fields"}` (the defaults until set); `PUT` (admin scope) with any of these fields
//!   changes them (fields left out keep their value) → the options; 400 naming a bad field.
//! - `GET /api/0/projects/{project_id}/retention/` → `{"retention_days": N}` (the server's
//!   `--retention-days` until set); `PUT` (admin) `{"retention_days": 1..=3650}`.
//! - `DELETE /api/0/replays/{id}/` (write scope) → 204: the replay, its segments and network
//!   requests, and the links of events to it. `DELETE /api/0/issues/{id}/` → 204: the issue,
//!   its events, tags, hours, users, activity and alerts. 404 when there is nothing (left) to
//!   delete.
//!
//! Projects, replays and issues the caller cannot see answer 404, like missing ones.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, delete, get};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::auth::{AdminAccess, Caller, ReadAccess, WriteAccess};
use crate::endpoints::accounts::require_project_admin;
use crate::error::AppError;
use crate::retention::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, server_default_days};
use crate::scrub::{MAX_FIELD_NAME_CHARS, MAX_FIELD_NAMES, ScrubOptions};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 4] = [
        (
            "/api/0/projects/{project_id}/privacy",
            get(get_privacy).put(put_privacy),
        ),
        (
            "/api/0/projects/{project_id}/retention",
            get(get_retention).put(put_retention),
        ),
        ("/api/0/replays/{id}", delete(delete_replay)),
        ("/api/0/issues/{id}", delete(delete_issue)),
    ];
    super::with_and_without_slash(routes)
}

/// A project's retention as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetentionJson {
    /// Days the project's data is kept.
    pub retention_days: u32,
}

/// 404 unless project `project_id` exists and `caller` may see it.
async fn visible_project(
    state: &AppState,
    caller: &Caller,
    project_id: u64,
) -> Result<(), AppError> {
    let exists = caller.can_see(project_id)
        && state
            .run_store(move |store| store.project(project_id))
            .await?
            .is_some();
    if exists {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "project {project_id} not found"
        )))
    }
}

/// Shows a project's scrubbing options.
pub async fn get_privacy(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project_id): Path<u64>,
) -> Result<Json<ScrubOptions>, AppError> {
    visible_project(&state, &caller, project_id).await?;
    let options = state
        .run_store(move |store| store.privacy_options(project_id))
        .await?;
    Ok(Json(options))
}

/// Changes the scrubbing options named in the body; the others keep their value.
pub async fn put_privacy(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(project_id): Path<u64>,
    body: Bytes,
) -> Result<Json<ScrubOptions>, AppError> {
    let changes = json_object(&body, "privacy")?;
    visible_project(&state, &caller, project_id).await?;
    require_project_admin(&state, &caller, project_id).await?;
    let options = state
        .blocking(move |store| {
            let options = apply_privacy(store.privacy_options(project_id)?, &changes)?;
            store.set_privacy_options(project_id, &options)?;
            Ok(options)
        })
        .await?;
    Ok(Json(options))
}

/// Shows how long a project's data is kept.
pub async fn get_retention(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project_id): Path<u64>,
) -> Result<Json<RetentionJson>, AppError> {
    visible_project(&state, &caller, project_id).await?;
    let days = state
        .run_store(move |store| store.retention_days(project_id))
        .await?;
    Ok(Json(RetentionJson {
        retention_days: days.unwrap_or_else(server_default_days),
    }))
}

/// Sets how long a project's data is kept.
pub async fn put_retention(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(project_id): Path<u64>,
    body: Bytes,
) -> Result<Json<RetentionJson>, AppError> {
    let body = json_object(&body, "retention")?;
    let days = retention_days(&body)?;
    visible_project(&state, &caller, project_id).await?;
    require_project_admin(&state, &caller, project_id).await?;
    state
        .run_store(move |store| store.set_retention_days(project_id, days))
        .await?;
    Ok(Json(RetentionJson {
        retention_days: days,
    }))
}

/// Deletes a replay with its segments and network requests, and unlinks its events.
pub async fn delete_replay(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let not_found = || AppError::NotFound("replay not found".into());
    let lookup = id.clone();
    let project = state
        .run_store(move |store| store.replay_project(&lookup))
        .await?
        .filter(|project| caller.can_see(*project))
        .ok_or_else(not_found)?;
    let deleted = state
        .run_store(move |store| store.delete_replay(&id))
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(
        project,
        segments = deleted.segments,
        network_requests = deleted.network_requests,
        "deleted a replay"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an issue with its events and every row that belongs to it.
pub async fn delete_issue(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let not_found = || AppError::NotFound(format!("issue {id} not found"));
    let issue: u64 = id.parse().map_err(|_| not_found())?;
    let project = state
        .run_store(move |store| store.issue_project(issue))
        .await?
        .filter(|project| caller.can_see(*project))
        .ok_or_else(not_found)?;
    let deleted = state
        .run_store(move |store| store.delete_issue(issue))
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(
        project,
        issue,
        events = deleted.events,
        rows = deleted.issue_rows,
        "deleted an issue"
    );
    Ok(StatusCode::NO_CONTENT)
}

fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, AppError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(AppError::BadRequest(format!(
            "the {what} body must be a JSON object"
        ))),
        Err(error) => Err(AppError::BadRequest(format!(
            "invalid {what} body: {error}"
        ))),
    }
}

/// `current` with the fields of `changes` applied; 400 naming the first bad field.
fn apply_privacy(
    mut current: ScrubOptions,
    changes: &Map<String, Value>,
) -> Result<ScrubOptions, AppError> {
    for (field, value) in changes {
        let switch = match field.as_str() {
            "scrub_data" => Some(&mut current.scrub_data),
            "scrub_defaults" => Some(&mut current.scrub_defaults),
            "scrub_credit_cards" => Some(&mut current.scrub_credit_cards),
            "scrub_emails" => Some(&mut current.scrub_emails),
            "scrub_ip_addresses" => Some(&mut current.scrub_ip_addresses),
            _ => None,
        };
        if let Some(switch) = switch {
            *switch = value
                .as_bool()
                .ok_or_else(|| AppError::BadRequest(format!("{field} must be true or false")))?;
            continue;
        }
        let list = match field.as_str() {
            "sensitive_fields" => &mut current.sensitive_fields,
            "safe_fields" => &mut current.safe_fields,
            _ => {
                return Err(AppError::BadRequest(format!(
                    "unknown field {field:?}: expected scrub_data, scrub_defaults, \
                     scrub_credit_cards, scrub_emails, scrub_ip_addresses, sensitive_fields \
                     or safe_fields"
                )));
            }
        };
        *list = names(field, value)?;
    }
    current
        .validated()
        .map_err(|error| AppError::BadRequest(error.to_string()))
}

fn names(field: &str, value: &Value) -> Result<Vec<String>, AppError> {
    let bad = || {
        AppError::BadRequest(format!(
            "{field} must be a list of at most {MAX_FIELD_NAMES} names of 1 to \
             {MAX_FIELD_NAME_CHARS} characters"
        ))
    };
    let list = value.as_array().ok_or_else(bad)?;
    if list.len() > MAX_FIELD_NAMES {
        return Err(bad());
    }
    list.iter()
        .map(|name| name.as_str().map(str::to_owned).ok_or_else(bad))
        .collect()
}

fn retention_days(body: &Map<String, Value>) -> Result<u32, AppError> {
    let bad = || {
        AppError::BadRequest(format!(
            "retention_days must be a whole number of days from {MIN_RETENTION_DAYS} to \
             {MAX_RETENTION_DAYS}"
        ))
    };
    if let Some(field) = body.keys().find(|key| *key != "retention_days") {
        return Err(AppError::BadRequest(format!(
            "unknown field {field:?}: expected retention_days"
        )));
    }
    body.get("retention_days")
        .and_then(Value::as_u64)
        .and_then(|days| u32::try_from(days).ok())
        .filter(|days| (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(days))
        .ok_or_else(bad)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn privacy_changes_keep_the_fields_left_out() {
        let options = apply_privacy(
            ScrubOptions::default(),
            &object(json!({"scrub_ip_addresses": true, "safe_fields": [" order_id "]})),
        )
        .unwrap();
        assert!(options.scrub_ip_addresses && options.scrub_emails);
        assert_eq!(options.safe_fields, ["order_id"]);
    }

    #[test]
    fn bad_privacy_fields_are_named() {
        for (body, field) in [
            (json!({"scrub_emails": "no"}), "scrub_emails"),
            (json!({"scrub_everything": true}), "scrub_everything"),
            (json!({"sensitive_fields": "pin"}), "sensitive_fields"),
            (json!({"safe_fields": [""]}), "safe_fields[0]"),
            (json!({"safe_fields": vec!["a"; 101]}), "safe_fields"),
        ] {
            let error = apply_privacy(ScrubOptions::default(), &object(body))
                .unwrap_err()
                .to_string();
            assert!(error.contains(field), "{error}");
        }
    }

    #[test]
    fn retention_is_bounded() {
        assert_eq!(
            retention_days(&object(json!({"retention_days": 90}))).unwrap(),
            90
        );
        for body in [
            json!({"retention_days": 0}),
            json!({"retention_days": 3651}),
            json!({"retention_days": 1.5}),
            json!({"retention_days": "30"}),
            json!({}),
        ] {
            let error = retention_days(&object(body)).unwrap_err().to_string();
            assert!(error.contains("retention_days"), "{error}");
        }
        assert!(
            retention_days(&object(json!({"retention_days": 30, "days": 1})))
                .unwrap_err()
                .to_string()
                .contains("\"days\"")
        );
    }
}
