//! Alert rules of a project and the alerts they fired:
//! `GET/POST /api/0/projects/{project}/alert-rules/`,
//! `GET/DELETE /api/0/projects/{project}/alert-rules/{id}/` and
//! `GET /api/0/projects/{project}/alerts/?limit=…`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;
use crate::auth::{ReadAccess, WriteAccess};
use crate::error::AppError;
use crate::ingest::now_ms;
use crate::store::alerts::{Alert, AlertCondition, AlertRule, NewAlertRule};
use crate::timestamp::rfc3339_ms;

/// Longest rule name, in characters.
pub const MAX_RULE_NAME_CHARS: usize = 200;
/// Longest environment name of a rule, in characters.
pub const MAX_ENVIRONMENT_CHARS: usize = 200;
/// Longest webhook URL, in characters.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2048;
/// Longest spike window and throttle: a week, in minutes.
pub const MAX_MINUTES: u64 = 7 * 24 * 60;
/// Largest spike threshold.
pub const MAX_THRESHOLD: u64 = 1_000_000;
/// Throttle of a rule created without one, in minutes.
pub const DEFAULT_THROTTLE_MINUTES: u64 = 60;
/// Most alerts one listing returns (also the default).
pub const MAX_ALERTS_LISTED: usize = 500;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    super::with_and_without_slash([
        (
            "/api/0/projects/{project}/alert-rules",
            get(list_rules).post(create_rule),
        ),
        (
            "/api/0/projects/{project}/alert-rules/{id}",
            get(show_rule).delete(delete_rule),
        ),
        ("/api/0/projects/{project}/alerts", get(list_alerts)),
    ])
}

/// The body of `POST …/alert-rules/`.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertRuleRequest {
    /// A name for people.
    pub name: String,
    /// `new_issue`, `regression` or `spike`.
    pub condition: String,
    /// Only events from this environment count.
    pub environment: Option<String>,
    /// Spike: more than this many events…
    pub threshold: Option<u64>,
    /// …within this many minutes.
    pub window_minutes: Option<u64>,
    /// Where alerts are POSTed (http or https).
    pub webhook_url: String,
    /// At most one alert per issue within this many minutes (default 60).
    pub throttle_minutes: Option<u64>,
}

/// A rule as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRuleJson {
    /// Rule id, as a string like Sentry's ids.
    pub id: String,
    /// Project id, as a string.
    pub project: String,
    /// Its name.
    pub name: String,
    /// `new_issue`, `regression` or `spike`.
    pub condition: String,
    /// The environment it watches, if only one.
    pub environment: Option<String>,
    /// Spike threshold.
    pub threshold: Option<u64>,
    /// Spike window in minutes.
    pub window_minutes: Option<u64>,
    /// Where alerts are POSTed.
    pub webhook_url: String,
    /// At most one alert per issue within this many minutes.
    pub throttle_minutes: u64,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl AlertRuleJson {
    fn new(rule: AlertRule) -> Result<Self, AppError> {
        Ok(Self {
            id: rule.id.to_string(),
            project: rule.rule.project_id.to_string(),
            created_at: rfc3339_ms(rule.created_at_ms)?,
            name: rule.rule.name,
            condition: rule.rule.condition.as_str().to_owned(),
            environment: rule.rule.environment,
            threshold: rule.rule.threshold,
            window_minutes: rule.rule.window_minutes,
            webhook_url: rule.rule.webhook_url,
            throttle_minutes: rule.rule.throttle_minutes,
        })
    }
}

/// A fired alert as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertJson {
    /// Alert id.
    pub id: String,
    /// The rule that fired.
    pub rule_id: String,
    /// Its name.
    pub rule_name: String,
    /// The issue.
    pub issue_id: String,
    /// The issue's title.
    pub issue_title: String,
    /// When it fired, RFC 3339.
    pub fired_at: String,
    /// When it fired, ms since the Unix epoch.
    pub fired_at_ms: u64,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the webhook accepted it, RFC 3339.
    pub delivered_at: Option<String>,
    /// The JSON body POSTed to the webhook.
    pub payload: Value,
}

impl AlertJson {
    fn new(alert: Alert) -> Result<Self, AppError> {
        Ok(Self {
            id: alert.id.to_string(),
            rule_id: alert.rule_id.to_string(),
            rule_name: alert.rule_name,
            issue_id: alert.issue_id.to_string(),
            issue_title: alert.issue_title,
            fired_at: rfc3339_ms(alert.fired_at_ms)?,
            fired_at_ms: alert.fired_at_ms,
            status: alert.status.as_str().to_owned(),
            attempts: alert.attempts,
            last_error: alert.last_error,
            delivered_at: alert.delivered_at_ms.map(rfc3339_ms).transpose()?,
            payload: alert.payload,
        })
    }
}

/// The query string of the alerts list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AlertListParams {
    /// Most alerts returned, at most [`MAX_ALERTS_LISTED`] (the default).
    pub limit: Option<usize>,
}

/// Lists a project's rules, oldest first.
pub async fn list_rules(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> Result<Json<Vec<AlertRuleJson>>, AppError> {
    let project = existing_project(&state, &project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let rules = state
        .run_store(move |store| store.alert_rules(project))
        .await?;
    Ok(Json(
        rules
            .into_iter()
            .map(AlertRuleJson::new)
            .collect::<Result<_, _>>()?,
    ))
}

/// Shows one rule; 404 when the project has no such rule.
pub async fn show_rule(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<AlertRuleJson>, AppError> {
    let project = existing_project(&state, &project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let id = rule_id(&id)?;
    let rules = state
        .run_store(move |store| store.alert_rules(project))
        .await?;
    let rule = rules
        .into_iter()
        .find(|rule| rule.id == id)
        .ok_or_else(|| AppError::NotFound(format!("alert rule {id} not found")))?;
    Ok(Json(AlertRuleJson::new(rule)?))
}

/// Creates a rule → 201 with the rule; 400 names the invalid field.
pub async fn create_rule(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(project): Path<String>,
    body: Result<Json<AlertRuleRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<AlertRuleJson>), AppError> {
    let project = existing_project(&state, &project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let Json(body) = body.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let rule = validate(project, body)?;
    let created = state
        .run_store(move |store| store.create_alert_rule(&rule, now_ms()))
        .await?;
    Ok((StatusCode::CREATED, Json(AlertRuleJson::new(created)?)))
}

/// Deletes a rule → 204; its fired alerts stay listed.
pub async fn delete_rule(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path((project, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let project = existing_project(&state, &project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let id = rule_id(&id)?;
    let deleted = state
        .run_store(move |store| store.delete_alert_rule(project, id))
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("alert rule {id} not found")))
    }
}

/// Lists a project's fired alerts with their delivery status, newest first.
pub async fn list_alerts(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Result<Query<AlertListParams>, QueryRejection>,
) -> Result<Json<Vec<AlertJson>>, AppError> {
    let project = existing_project(&state, &project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let Query(params) = params.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let limit = params
        .limit
        .unwrap_or(MAX_ALERTS_LISTED)
        .clamp(1, MAX_ALERTS_LISTED);
    let alerts = state
        .run_store(move |store| store.alerts(project, limit))
        .await?;
    Ok(Json(
        alerts
            .into_iter()
            .map(AlertJson::new)
            .collect::<Result<_, _>>()?,
    ))
}

/// The numeric id of a project that exists; 404 otherwise.
async fn existing_project(state: &AppState, project: &str) -> Result<u64, AppError> {
    let not_found = || AppError::NotFound(format!("project {project} not found"));
    let id: u64 = project.parse().map_err(|_| not_found())?;
    state
        .run_store(move |store| store.project(id))
        .await?
        .ok_or_else(not_found)?;
    Ok(id)
}

fn rule_id(id: &str) -> Result<u64, AppError> {
    id.parse()
        .map_err(|_| AppError::NotFound(format!("alert rule {id} not found")))
}

/// Checks a rule request field by field; the error names the field.
fn validate(project_id: u64, body: AlertRuleRequest) -> Result<NewAlertRule, AppError> {
    let bad = |message: String| Err(AppError::BadRequest(message));
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_RULE_NAME_CHARS {
        return bad(format!(
            "name must be 1 to {MAX_RULE_NAME_CHARS} characters"
        ));
    }
    let Some(condition) = AlertCondition::parse(body.condition.trim()) else {
        return bad(format!(
            "condition {:?} is not one of new_issue, regression, spike",
            body.condition
        ));
    };
    let environment = body
        .environment
        .map(|environment| environment.trim().to_owned())
        .filter(|environment| !environment.is_empty());
    if environment
        .as_ref()
        .is_some_and(|environment| environment.chars().count() > MAX_ENVIRONMENT_CHARS)
    {
        return bad(format!(
            "environment is longer than {MAX_ENVIRONMENT_CHARS} characters"
        ));
    }
    let (threshold, window_minutes) = if condition == AlertCondition::Spike {
        let Some(threshold) = body.threshold.filter(|n| (1..=MAX_THRESHOLD).contains(n)) else {
            return bad(format!(
                "a spike rule needs threshold (fires above that many events), 1 to \
                 {MAX_THRESHOLD}"
            ));
        };
        let Some(window) = body
            .window_minutes
            .filter(|n| (1..=MAX_MINUTES).contains(n))
        else {
            return bad(format!(
                "a spike rule needs window_minutes, 1 to {MAX_MINUTES}"
            ));
        };
        (Some(threshold), Some(window))
    } else {
        (None, None)
    };
    let webhook_url = body.webhook_url.trim().to_owned();
    let host = webhook_url
        .strip_prefix("http://")
        .or_else(|| webhook_url.strip_prefix("https://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or("");
    if host.is_empty() || webhook_url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return bad(format!(
            "webhook_url must be an http:// or https:// URL with a host, at most \
             {MAX_WEBHOOK_URL_CHARS} characters"
        ));
    }
    let throttle_minutes = body.throttle_minutes.unwrap_or(DEFAULT_THROTTLE_MINUTES);
    if throttle_minutes > MAX_MINUTES {
        return bad(format!("throttle_minutes must be 0 to {MAX_MINUTES}"));
    }
    Ok(NewAlertRule {
        project_id,
        name,
        condition,
        environment,
        threshold,
        window_minutes,
        webhook_url,
        throttle_minutes,
    })
}
