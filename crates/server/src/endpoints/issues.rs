//! Issues: list and search, one issue, its events, and status and assignment changes; and the
//! event search.
//!
//! - `GET /api/0/issues/?query=…&sort=…&limit=…&project=…` (query `is:unresolved` when absent,
//!   everything when empty; see [`crate::search`])
//! - `GET /api/0/issues/{id}/`, `PUT /api/0/issues/{id}/` (see [`update`])
//! - `GET /api/0/issues/{id}/events/?limit=…&cursor=…`, `…/events/latest/`, `…/events/oldest/`
//! - `GET /api/0/events/?query=…&project=…&limit=…`
//!
//! A rejected request answers 400 with `{"detail": "…", "error": "…"}` naming what was wrong.

pub mod json;
pub mod update;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use self::json::{EventSummaryJson, IssueDetailsJson, IssueJson};
use self::update::{UpdateError, parse_update};
use crate::AppState;
use crate::auth::{Caller, ReadAccess, WriteAccess};
use crate::endpoints::events::{EventJson, event_json};
use crate::error::AppError;
use crate::search::{self, SearchError};
use crate::store::issues::{EventSearch, Issue, IssueSearch, MAX_LIST_LIMIT};
use crate::store::{Store, StoreError};

/// The query of the issue list when the request names none.
pub const DEFAULT_ISSUE_QUERY: &str = "is:unresolved";

/// Issues or events per page when the request names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

/// Most events the event search returns.
pub const MAX_EVENT_SEARCH_LIMIT: usize = 100;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/0/issues/", get(list_issues))
        .route("/api/0/issues", get(list_issues))
        .route("/api/0/issues/{id}/", get(get_issue).put(update_issue))
        .route("/api/0/issues/{id}", get(get_issue).put(update_issue))
        .route("/api/0/issues/{id}/events/", get(list_issue_events))
        .route("/api/0/issues/{id}/events", get(list_issue_events))
        .route("/api/0/issues/{id}/events/latest/", get(latest_event))
        .route("/api/0/issues/{id}/events/latest", get(latest_event))
        .route("/api/0/issues/{id}/events/oldest/", get(oldest_event))
        .route("/api/0/issues/{id}/events/oldest", get(oldest_event))
        .route("/api/0/events/", get(search_events))
        .route("/api/0/events", get(search_events))
}

/// An error of the issue API; client errors carry their message as `detail` (Sentry's key)
/// and `error` (the rest of the API's).
#[derive(Debug)]
pub struct IssueApiError(AppError);

impl From<AppError> for IssueApiError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl From<SearchError> for IssueApiError {
    fn from(error: SearchError) -> Self {
        Self(AppError::BadRequest(error.to_string()))
    }
}

impl From<UpdateError> for IssueApiError {
    fn from(error: UpdateError) -> Self {
        Self(AppError::BadRequest(error.to_string()))
    }
}

impl IntoResponse for IssueApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_client_error() {
            let message = self.0.to_string();
            (status, Json(json!({ "detail": message, "error": message }))).into_response()
        } else {
            self.0.into_response()
        }
    }
}

/// The query string of the lists.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Search query.
    pub query: Option<String>,
    /// Sort name (issue list).
    pub sort: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Project id (default 1).
    pub project: Option<String>,
    /// Where the previous page ended (issue events).
    pub cursor: Option<String>,
}

impl ListParams {
    fn project(&self) -> Result<u64, IssueApiError> {
        match self.project.as_deref().map(str::trim) {
            None | Some("") => Ok(1),
            Some(text) => text
                .parse()
                .map_err(|_| bad(format!("invalid project {text:?}"))),
        }
    }

    fn limit(&self, max: usize) -> Result<usize, IssueApiError> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(DEFAULT_LIMIT.min(max)),
            Some(text) => text
                .parse()
                .ok()
                .filter(|limit| (1..=max).contains(limit))
                .ok_or_else(|| bad(format!("invalid limit {text:?}: expected 1 to {max}"))),
        }
    }
}

fn bad(message: String) -> IssueApiError {
    IssueApiError(AppError::BadRequest(message))
}

fn not_found() -> IssueApiError {
    IssueApiError(AppError::NotFound("issue not found".into()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn issue_id(raw: &str) -> Result<u64, IssueApiError> {
    raw.trim().parse().map_err(|_| not_found())
}

/// Whether issue `id` exists and `caller` may see it, on the store's thread.
pub(crate) fn visible_issue(
    store: &dyn Store,
    caller: &Caller,
    id: u64,
    now_ms: u64,
) -> Result<bool, StoreError> {
    Ok(store
        .issue(id, now_ms)?
        .is_some_and(|issue| caller.can_see(issue.project_id)))
}

/// An issue with its suspect commits, on the store's thread.
fn with_suspects(store: &dyn Store, issue: Issue) -> Result<IssueJson, AppError> {
    let suspects = store.suspect_commits(issue.project_id, issue.id)?;
    IssueJson::new(issue, suspects)
}

/// Lists the issues matching `query`, in `sort` order.
pub async fn list_issues(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<IssueJson>>, IssueApiError> {
    if !caller.can_see(params.project()?) {
        return Ok(Json(Vec::new()));
    }
    let query = search::parse(params.query.as_deref().unwrap_or(DEFAULT_ISSUE_QUERY))?;
    let order_by = search::sort_order(params.sort.as_deref().unwrap_or(""))?;
    let now_ms = now_ms();
    let filter = query.issue_sql(now_ms);
    let search = IssueSearch {
        project_id: params.project()?,
        clause: filter.clause,
        params: filter.params,
        order_by: order_by.to_owned(),
        limit: params.limit(MAX_LIST_LIMIT)?,
        now_ms,
    };
    let issues = state
        .blocking(move |store| {
            let issues = store.search_issues(&search)?;
            let ids: Vec<u64> = issues.iter().map(|issue| issue.id).collect();
            let suspects = store.suspect_commits_of(search.project_id, &ids)?;
            issues
                .into_iter()
                .zip(suspects)
                .map(|(issue, suspects)| IssueJson::new(issue, suspects))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(issues))
}

/// Shows one issue with its tags, replays, history, histogram and latest event.
pub async fn get_issue(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IssueDetailsJson>, IssueApiError> {
    let id = issue_id(&id)?;
    let now_ms = now_ms();
    let (details, suspects, trace) = state
        .run_store(move |store| {
            let Some(details) = store.issue_details(id, now_ms)? else {
                return Ok(None);
            };
            if !caller.can_see(details.issue.project_id) {
                return Ok(None);
            }
            let suspects = store.suspect_commits(details.issue.project_id, id)?;
            let trace = store.latest_trace_id(id)?;
            Ok::<_, StoreError>(Some((details, suspects, trace)))
        })
        .await?
        .ok_or_else(not_found)?;
    let latest = event_json(&state, details.issue.last_event_id.clone()).await?;
    let mut json = IssueDetailsJson::new(details, suspects, latest)?;
    json.latest_trace_id = trace;
    Ok(Json(json))
}

/// Changes an issue's status or assignee; answers the updated issue.
pub async fn update_issue(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<IssueJson>, IssueApiError> {
    let id = issue_id(&id)?;
    let update = parse_update(&body)?;
    let now_ms = now_ms();
    let issue = state
        .blocking(move |store| {
            if !visible_issue(store, &caller, id, now_ms)? {
                return Ok(None);
            }
            store
                .update_issue(id, &update, now_ms)?
                .map(|issue| with_suspects(store, issue))
                .transpose()
        })
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(issue))
}

/// Lists an issue's events, newest first; a full page links to the next one.
pub async fn list_issue_events(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, IssueApiError> {
    let id = issue_id(&id)?;
    let limit = params.limit(MAX_LIST_LIMIT)?;
    let cursor = match params.cursor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_cursor(text)?),
    };
    let now_ms = now_ms();
    let events = state
        .run_store(move |store| {
            if !store
                .issue(id, now_ms)?
                .is_some_and(|issue| caller.can_see(issue.project_id))
            {
                return Ok(None);
            }
            store.issue_events(id, limit, cursor).map(Some)
        })
        .await?
        .ok_or_else(not_found)?;
    let next = (events.len() == limit)
        .then(|| {
            events
                .last()
                .map(|e| format!("{}:{}", e.timestamp_ms, e.id))
        })
        .flatten();
    let events = events
        .into_iter()
        .map(EventSummaryJson::new)
        .collect::<Result<Vec<_>, _>>()?;
    let mut response = Json(events).into_response();
    if let Some(cursor) = next
        && let Ok(link) = HeaderValue::from_str(&format!(
            "</api/0/issues/{id}/events/?cursor={cursor}&limit={limit}>; rel=\"next\"; \
             results=\"true\"; cursor=\"{cursor}\""
        ))
    {
        response.headers_mut().insert(LINK, link);
    }
    Ok(response)
}

/// `timestamp_ms:event_id` of the last event of a page.
fn parse_cursor(text: &str) -> Result<(u64, String), IssueApiError> {
    let invalid = || {
        bad(format!(
            "invalid cursor {text:?}: expected TIMESTAMP_MS:EVENT_ID"
        ))
    };
    let (ms, id) = text.split_once(':').ok_or_else(invalid)?;
    let ms = ms.parse().map_err(|_| invalid())?;
    let valid_id = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_id {
        return Err(invalid());
    }
    Ok((ms, id.to_ascii_lowercase()))
}

/// Shows an issue's newest event.
pub async fn latest_event(
    access: ReadAccess,
    state: State<AppState>,
    id: Path<String>,
) -> Result<Json<EventJson>, IssueApiError> {
    edge_event(access, state, id, true).await
}

/// Shows an issue's oldest event.
pub async fn oldest_event(
    access: ReadAccess,
    state: State<AppState>,
    id: Path<String>,
) -> Result<Json<EventJson>, IssueApiError> {
    edge_event(access, state, id, false).await
}

async fn edge_event(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(id): Path<String>,
    latest: bool,
) -> Result<Json<EventJson>, IssueApiError> {
    let id = issue_id(&id)?;
    let now_ms = now_ms();
    let issue = state
        .run_store(move |store| store.issue(id, now_ms))
        .await?
        .filter(|issue| caller.can_see(issue.project_id))
        .ok_or_else(not_found)?;
    let event_id = if latest {
        issue.last_event_id
    } else {
        issue.first_event_id
    };
    let event = event_json(&state, event_id)
        .await?
        .ok_or_else(|| IssueApiError(AppError::NotFound("event not found".into())))?;
    Ok(Json(event))
}

/// Lists the grouped events matching `query` (event-level fields), newest first.
pub async fn search_events(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<EventSummaryJson>>, IssueApiError> {
    if !caller.can_see(params.project()?) {
        return Ok(Json(Vec::new()));
    }
    let query = search::parse(params.query.as_deref().unwrap_or(""))?;
    let filter = query.event_sql(now_ms());
    let search = EventSearch {
        project_id: params.project()?,
        clause: filter.clause,
        params: filter.params,
        limit: params.limit(MAX_EVENT_SEARCH_LIMIT)?,
    };
    let events = state
        .run_store(move |store| store.search_events(&search))
        .await?;
    let events = events
        .into_iter()
        .map(EventSummaryJson::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(events))
}
