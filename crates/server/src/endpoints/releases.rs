//! Releases: create, list and show them with their stats, set their commits, record deploys.
//!
//! - `POST /api/0/projects/{project}/releases/` `{version, date_created?}` → 201 [`ReleaseJson`]
//!   (200 when it existed);
//! - `GET /api/0/projects/{project}/releases/` → `[ReleaseJson]`, newest first;
//! - `GET /api/0/projects/{project}/releases/{version}/` → [`ReleaseDetailsJson`];
//! - `POST /api/0/projects/{project}/releases/{version}/commits/` `{commits: [{id, repository?,
//!   author_name?, author_email?, message?, timestamp?, files: [{path, type}]}]}` replaces the
//!   release's commits → `{commit_count}`;
//! - `POST /api/0/projects/{project}/releases/{version}/deploys/` `{environment, name?,
//!   date_started?, date_finished?}` → 201 [`DeployJson`].

mod input;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{ReadAccess, WriteAccess};
use crate::error::AppError;
use crate::ingest::now_ms;
use crate::store::releases::{Commit, Deploy, IssueLite, Release, ReleaseDetails};
use crate::timestamp::rfc3339_ms;

pub use self::input::{
    MAX_COMMIT_ID_CHARS, MAX_COMMIT_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_VERSION_CHARS,
};

/// Largest set-commits body accepted, in bytes.
pub const MAX_COMMITS_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 4] = [
        (
            "/api/0/projects/{project}/releases",
            get(list_releases).post(create_release),
        ),
        (
            "/api/0/projects/{project}/releases/{version}",
            get(show_release),
        ),
        (
            "/api/0/projects/{project}/releases/{version}/commits",
            post(set_commits).layer(DefaultBodyLimit::max(MAX_COMMITS_BODY_BYTES)),
        ),
        (
            "/api/0/projects/{project}/releases/{version}/deploys",
            post(create_deploy),
        ),
    ];
    super::with_and_without_slash(routes)
}

/// A commit as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitJson {
    /// The commit id.
    pub id: String,
    /// Its repository, if known.
    pub repository: Option<String>,
    /// Its author's name.
    pub author_name: Option<String>,
    /// Its author's email.
    pub author_email: Option<String>,
    /// Its message.
    pub message: String,
    /// When it was authored, RFC 3339.
    pub timestamp: String,
    /// The same in ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The files it changed: `[{path, type: "A"|"M"|"D"}]`.
    pub files: Value,
}

impl CommitJson {
    fn new(commit: Commit) -> Result<Self, AppError> {
        Ok(Self {
            timestamp: rfc3339_ms(commit.timestamp_ms)?,
            timestamp_ms: commit.timestamp_ms,
            files: json!(commit.files),
            id: commit.id,
            repository: commit.repository,
            author_name: commit.author_name,
            author_email: commit.author_email,
            message: commit.message,
        })
    }
}

/// A deploy as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployJson {
    /// Its id, as a string.
    pub id: String,
    /// The release deployed.
    pub version: String,
    /// The environment.
    pub environment: String,
    /// Its name, if any.
    pub name: Option<String>,
    /// When it started, RFC 3339, if known.
    pub date_started: Option<String>,
    /// When it finished, RFC 3339.
    pub date_finished: String,
    /// The same in ms since the Unix epoch.
    pub date_finished_ms: u64,
}

impl DeployJson {
    fn new(deploy: Deploy) -> Result<Self, AppError> {
        Ok(Self {
            id: deploy.id.to_string(),
            date_started: deploy.started_at_ms.map(rfc3339_ms).transpose()?,
            date_finished: rfc3339_ms(deploy.finished_at_ms)?,
            date_finished_ms: deploy.finished_at_ms,
            version: deploy.version,
            environment: deploy.environment,
            name: deploy.name,
        })
    }
}

/// A release with its stats, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseJson {
    /// The version.
    pub version: String,
    /// The project id, as a string.
    pub project: String,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// The same in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// Number of commits set on it.
    pub commit_count: u64,
    /// Its newest commit.
    pub last_commit: Option<CommitJson>,
    /// Its deploys, newest first.
    pub deploys: Vec<DeployJson>,
    /// Its newest deploy.
    pub last_deploy: Option<DeployJson>,
    /// Issues first seen in it.
    pub new_issue_count: u64,
    /// Issues that regressed in it.
    pub regression_count: u64,
    /// Its grouped events.
    pub event_count: u64,
    /// Its sessions (replays recorded on it).
    pub session_count: u64,
    /// Sessions without a JS error or linked backend event.
    pub crash_free_session_count: u64,
    /// `crash_free_session_count / session_count` (0..1), null without sessions.
    pub crash_free_sessions: Option<f64>,
    /// Its first event, RFC 3339.
    pub first_event: Option<String>,
    /// Its last event, RFC 3339.
    pub last_event: Option<String>,
    /// Its first event, ms since the Unix epoch.
    pub first_event_ms: Option<u64>,
    /// Its last event, ms since the Unix epoch.
    pub last_event_ms: Option<u64>,
}

impl ReleaseJson {
    /// Formats a stored release.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(release: Release) -> Result<Self, AppError> {
        let deploys: Vec<DeployJson> = release
            .deploys
            .into_iter()
            .map(DeployJson::new)
            .collect::<Result<_, _>>()?;
        #[allow(clippy::cast_precision_loss)]
        let crash_free_sessions = (release.session_count > 0)
            .then(|| release.crash_free_session_count as f64 / release.session_count as f64);
        Ok(Self {
            version: release.version,
            project: release.project_id.to_string(),
            created_at: rfc3339_ms(release.created_at_ms)?,
            created_at_ms: release.created_at_ms,
            commit_count: release.commit_count,
            last_commit: release.last_commit.map(CommitJson::new).transpose()?,
            last_deploy: deploys.first().cloned(),
            deploys,
            new_issue_count: release.new_issue_count,
            regression_count: release.regression_count,
            event_count: release.event_count,
            session_count: release.session_count,
            crash_free_session_count: release.crash_free_session_count,
            crash_free_sessions,
            first_event: release.first_event_ms.map(rfc3339_ms).transpose()?,
            last_event: release.last_event_ms.map(rfc3339_ms).transpose()?,
            first_event_ms: release.first_event_ms,
            last_event_ms: release.last_event_ms,
        })
    }
}

/// A short issue on a release page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueLiteJson {
    /// Issue id, as a string.
    pub id: String,
    /// Title.
    pub title: String,
    /// Culprit.
    pub culprit: Option<String>,
    /// Event count.
    pub count: u64,
    /// Status.
    pub status: String,
}

impl From<IssueLite> for IssueLiteJson {
    fn from(issue: IssueLite) -> Self {
        Self {
            id: issue.id.to_string(),
            title: issue.title,
            culprit: issue.culprit,
            count: issue.count,
            status: issue.status,
        }
    }
}

/// A release page: the release plus its new and regressed issues and its commits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseDetailsJson {
    /// The release and its stats.
    #[serde(flatten)]
    pub release: ReleaseJson,
    /// Issues first seen in it, most events first.
    pub new_issues: Vec<IssueLiteJson>,
    /// Issues that regressed in it, most events first.
    pub regressed_issues: Vec<IssueLiteJson>,
    /// Its commits, in the order set.
    pub commits: Vec<CommitJson>,
}

impl ReleaseDetailsJson {
    fn new(details: ReleaseDetails) -> Result<Self, AppError> {
        Ok(Self {
            release: ReleaseJson::new(details.release)?,
            new_issues: details.new_issues.into_iter().map(Into::into).collect(),
            regressed_issues: details
                .regressed_issues
                .into_iter()
                .map(Into::into)
                .collect(),
            commits: details
                .commits
                .into_iter()
                .map(CommitJson::new)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// 404 unless project `id` exists.
pub(crate) async fn require_project(state: &AppState, id: u64) -> Result<(), AppError> {
    match state.run_store(move |store| store.project(id)).await? {
        Some(_) => Ok(()),
        None => Err(AppError::NotFound(format!("project {id} not found"))),
    }
}

fn release_not_found(version: &str) -> AppError {
    AppError::NotFound(format!("release {version} not found"))
}

/// Creates a release (201), or answers the existing one (200).
pub async fn create_release(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
    body: Bytes,
) -> Result<(StatusCode, Json<ReleaseJson>), AppError> {
    let body: input::NewReleaseBody = input::json_body(&body, "release")?;
    input::check_version(&body.version)?;
    let created_at_ms = input::created_at(&body, now_ms())?;
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let (release, created) = state
        .run_store(move |store| store.create_release(project, &body.version, created_at_ms))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ReleaseJson::new(release)?)))
}

/// Lists a project's releases, newest first.
pub async fn list_releases(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(project): Path<u64>,
) -> Result<Json<Vec<ReleaseJson>>, AppError> {
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let releases = state
        .run_store(move |store| store.releases(project))
        .await?;
    Ok(Json(
        releases
            .into_iter()
            .map(ReleaseJson::new)
            .collect::<Result<_, _>>()?,
    ))
}

/// Shows one release with its issues and commits.
pub async fn show_release(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path((project, version)): Path<(u64, String)>,
) -> Result<Json<ReleaseDetailsJson>, AppError> {
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let lookup = version.clone();
    let details = state
        .run_store(move |store| store.release_details(project, &lookup))
        .await?
        .ok_or_else(|| release_not_found(&version))?;
    Ok(Json(ReleaseDetailsJson::new(details)?))
}

/// Replaces a release's commits.
pub async fn set_commits(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path((project, version)): Path<(u64, String)>,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let body: input::CommitsBody = input::json_body(&body, "commits")?;
    let commits = input::commits(body, now_ms())?;
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let lookup = version.clone();
    let count = state
        .run_store(move |store| store.set_release_commits(project, &lookup, &commits))
        .await?
        .ok_or_else(|| release_not_found(&version))?;
    Ok(Json(json!({ "commit_count": count })))
}

/// Records a deploy of a release.
pub async fn create_deploy(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    Path((project, version)): Path<(u64, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<DeployJson>), AppError> {
    let body: input::DeployBody = input::json_body(&body, "deploy")?;
    let deploy = input::deploy(body, now_ms())?;
    require_project(&state, project).await?;
    caller.check_visible(project, || format!("project {project} not found"))?;
    let lookup = version.clone();
    let deploy = state
        .run_store(move |store| store.add_deploy(project, &lookup, &deploy))
        .await?
        .ok_or_else(|| release_not_found(&version))?;
    Ok((StatusCode::CREATED, Json(DeployJson::new(deploy)?)))
}
