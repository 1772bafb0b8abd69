//! Accounts and access: organizations, users, API tokens, projects and their DSN keys.
//!
//! - `GET|POST /api/0/organizations/`, `GET|POST /api/0/organizations/{org_slug}/members/`
//! - `POST /api/0/users/`, `PUT /api/0/users/me/password/`
//! - `GET /api/0/projects/`, `POST /api/0/organizations/{org_slug}/projects/`
//! - `GET|POST /api/0/projects/{project}/keys/`, `DELETE …/keys/{public_key}/` (see [`keys`])
//! - `GET|POST /api/0/api-tokens/`, `DELETE /api/0/api-tokens/{id}/` (see [`tokens`])
//!
//! Organization admins and owners (and superusers) manage an organization's members,
//! projects and DSN keys; only superusers create organizations and users.

pub mod keys;
pub mod tokens;

use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::password::{hash_password, verify_password};
use crate::auth::{AdminAccess, Caller, ReadAccess, WriteAccess};
use crate::endpoints::session::user_json;
use crate::error::AppError;
use crate::project::random_hex;
use crate::store::Store;
use crate::store::access::{NewUser, OrgProject, Organization};

/// Roles a member may have in an organization.
pub const ROLES: [&str; 3] = ["member", "admin", "owner"];

/// Longest slug, name or email accepted.
const MAX_NAME_BYTES: usize = 200;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    let routes: [(&str, axum::routing::MethodRouter<AppState>); 9] = [
        (
            "/api/0/organizations",
            get(list_organizations).post(create_organization),
        ),
        (
            "/api/0/organizations/{org_slug}/members",
            get(list_members).post(add_member),
        ),
        (
            "/api/0/organizations/{org_slug}/projects",
            post(create_project),
        ),
        ("/api/0/users", post(create_user)),
        ("/api/0/users/me/password", put(change_password)),
        ("/api/0/projects", get(list_projects)),
        (
            "/api/0/projects/{project}/keys",
            get(keys::list_keys).post(keys::add_key),
        ),
        (
            "/api/0/projects/{project}/keys/{public_key}",
            axum::routing::delete(keys::revoke_key),
        ),
        (
            "/api/0/api-tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        ),
    ];
    super::with_and_without_slash(routes)
        .route(
            "/api/0/api-tokens/{id}/",
            axum::routing::delete(tokens::revoke_token),
        )
        .route(
            "/api/0/api-tokens/{id}",
            axum::routing::delete(tokens::revoke_token),
        )
}

/// Parses a JSON body, naming `what` when it is not valid.
pub(crate) fn json_body<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|error| AppError::BadRequest(format!("invalid {what} body: {error}")))
}

/// The `host:port` DSNs name: the request's `Host` when it looks like one, else the server's.
pub(crate) fn dsn_host(state: &AppState, headers: &HeaderMap) -> String {
    headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .map_or_else(|| state.public_host().to_owned(), str::to_owned)
}

/// `http://{key}@{host}/{project}`.
pub(crate) fn dsn(key: &str, host: &str, project: u64) -> String {
    format!("http://{key}@{host}/{project}")
}

/// The caller's role in `org` (superusers are owners everywhere), if any.
pub(crate) fn role_in(
    store: &dyn Store,
    caller: &Caller,
    organization_id: i64,
) -> Result<Option<String>, AppError> {
    if caller.is_superuser() {
        return Ok(Some("owner".to_owned()));
    }
    let Some(user_id) = caller.user_id else {
        return Ok(None);
    };
    Ok(store
        .memberships(user_id)?
        .into_iter()
        .find(|(org, _)| org.id == organization_id)
        .map(|(_, role)| role))
}

/// `Ok` if the caller is an admin or owner of `organization_id` (404 if not a member at all,
/// 403 if only a member).
pub(crate) fn require_org_admin(
    store: &dyn Store,
    caller: &Caller,
    organization_id: i64,
) -> Result<(), AppError> {
    match role_in(store, caller, organization_id)?.as_deref() {
        Some("admin" | "owner") => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "this needs the admin or owner role in the organization".into(),
        )),
        None => Err(AppError::NotFound("organization not found".into())),
    }
}

/// `Ok` if the caller may administer project `project` (it sees it, and is an admin or owner
/// of its organization, or a superuser): admin scope alone is not enough when the caller's
/// admin role is in another organization.
///
/// # Errors
/// [`AppError::NotFound`] when the project is not visible, [`AppError::Forbidden`] without
/// the role, or the store's error.
pub async fn require_project_admin(
    state: &AppState,
    caller: &Caller,
    project: u64,
) -> Result<(), AppError> {
    if caller.is_superuser() {
        return Ok(());
    }
    let caller = caller.clone();
    state
        .blocking(move |store| {
            let not_found = || AppError::NotFound(format!("project {project} not found"));
            if !caller.can_see(project) {
                return Err(not_found());
            }
            let org = store
                .org_projects()?
                .into_iter()
                .find(|row| row.id == project)
                .ok_or_else(not_found)?
                .organization_id;
            require_org_admin(store, &caller, org)
        })
        .await
}

/// The organization with `slug` if the caller is a member (or a superuser), else 404.
fn visible_org(store: &dyn Store, caller: &Caller, slug: &str) -> Result<Organization, AppError> {
    let not_found = || AppError::NotFound(format!("organization {slug} not found"));
    let org = store.organization_by_slug(slug)?.ok_or_else(not_found)?;
    role_in(store, caller, org.id)?.ok_or_else(not_found)?;
    Ok(org)
}

fn org_json(org: &Organization, role: &str) -> Value {
    json!({"id": org.id, "slug": org.slug, "name": org.name, "role": role})
}

fn require_superuser(caller: &Caller) -> Result<(), AppError> {
    if caller.is_superuser() {
        Ok(())
    } else {
        Err(AppError::Forbidden("only a superuser may do this".into()))
    }
}

fn check_text(value: &str, what: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_NAME_BYTES {
        return Err(AppError::BadRequest(format!(
            "{what} must be 1 to {MAX_NAME_BYTES} bytes"
        )));
    }
    Ok(value.to_owned())
}

fn check_slug(slug: &str) -> Result<String, AppError> {
    let slug = check_text(slug, "slug")?;
    if slug.len() > 50
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(AppError::BadRequest(
            "slug must be 1 to 50 lowercase letters, digits or '-'".into(),
        ));
    }
    Ok(slug)
}

fn check_role(role: &str) -> Result<String, AppError> {
    if ROLES.contains(&role) {
        Ok(role.to_owned())
    } else {
        Err(AppError::BadRequest(format!(
            "role must be one of {}",
            ROLES.join(", ")
        )))
    }
}

fn check_email(email: &str) -> Result<String, AppError> {
    let email = check_text(email, "email")?;
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(AppError::BadRequest(format!(
            "{email:?} is not an email address"
        )));
    }
    Ok(email)
}

/// `GET /api/0/organizations/`: the caller's organizations with their role.
async fn list_organizations(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
) -> Result<Json<Vec<Value>>, AppError> {
    state
        .blocking(move |store| {
            let mine = match caller.user_id {
                Some(user) => store.memberships(user)?,
                None => Vec::new(),
            };
            let list = if caller.is_superuser() {
                store
                    .organizations()?
                    .iter()
                    .map(|org| {
                        let role = mine
                            .iter()
                            .find(|(member, _)| member.id == org.id)
                            .map_or("owner", |(_, role)| role.as_str());
                        org_json(org, role)
                    })
                    .collect()
            } else {
                mine.iter().map(|(org, role)| org_json(org, role)).collect()
            };
            Ok(Json(list))
        })
        .await
}

#[derive(Debug, Deserialize)]
struct NewOrganizationBody {
    slug: String,
    name: Option<String>,
}

/// `POST /api/0/organizations/` (superuser): `{"slug","name"}` → 201.
async fn create_organization(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    require_superuser(&caller)?;
    let body: NewOrganizationBody = json_body(&body, "organization")?;
    let slug = check_slug(&body.slug)?;
    let name = check_text(body.name.as_deref().unwrap_or(&slug), "name")?;
    let org = state
        .run_store(move |store| store.create_organization(&slug, &name))
        .await?;
    Ok((StatusCode::CREATED, Json(org_json(&org, "owner"))))
}

/// `GET /api/0/organizations/{org_slug}/members/`.
async fn list_members(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<Value>>, AppError> {
    state
        .blocking(move |store| {
            let org = visible_org(store, &caller, &slug)?;
            let members = store.members(org.id)?;
            Ok(Json(
                members
                    .iter()
                    .map(|(user, role)| {
                        let mut json = user_json(user);
                        json["role"] = json!(role);
                        json
                    })
                    .collect(),
            ))
        })
        .await
}

#[derive(Debug, Deserialize)]
struct NewMemberBody {
    email: String,
    role: Option<String>,
}

/// `POST /api/0/organizations/{org_slug}/members/` (org admin): `{"email","role"}` adds an
/// existing user or changes their role → 201.
async fn add_member(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let body: NewMemberBody = json_body(&body, "member")?;
    let role = check_role(body.role.as_deref().unwrap_or("member"))?;
    let email = check_email(&body.email)?;
    state
        .blocking(move |store| {
            let org = visible_org(store, &caller, &slug)?;
            require_org_admin(store, &caller, org.id)?;
            if role == "owner" && role_in(store, &caller, org.id)?.as_deref() != Some("owner") {
                return Err(AppError::Forbidden("only an owner may add owners".into()));
            }
            let user = store.user_by_email(&email)?.ok_or_else(|| {
                AppError::BadRequest(format!("no user with email {email}: create it first"))
            })?;
            store.set_membership(user.id, org.id, &role)?;
            let mut json = user_json(&user);
            json["role"] = json!(role);
            Ok((StatusCode::CREATED, Json(json)))
        })
        .await
}

#[derive(Debug, Deserialize)]
struct MembershipBody {
    slug: String,
    role: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NewUserBody {
    email: String,
    password: Option<String>,
    name: Option<String>,
    #[serde(default)]
    is_superuser: bool,
    #[serde(default)]
    organizations: Vec<MembershipBody>,
}

/// `POST /api/0/users/` (superuser): creates a user → 201 `{"id","email","name","is_superuser"}`.
async fn create_user(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    require_superuser(&caller)?;
    let body: NewUserBody = json_body(&body, "user")?;
    let email = check_email(&body.email)?;
    let name = body.name.as_deref().unwrap_or("").trim().to_owned();
    if name.len() > MAX_NAME_BYTES {
        return Err(AppError::BadRequest(format!(
            "name must be at most {MAX_NAME_BYTES} bytes"
        )));
    }
    if body.organizations.len() > 100 {
        return Err(AppError::BadRequest(
            "at most 100 organizations per user".into(),
        ));
    }
    let password = body.password;
    let is_superuser = body.is_superuser;
    let organizations = body.organizations;
    state
        .blocking(move |store| {
            let mut memberships = Vec::with_capacity(organizations.len());
            for membership in organizations {
                let org = store
                    .organization_by_slug(&membership.slug)?
                    .ok_or_else(|| {
                        AppError::BadRequest(format!("no organization {}", membership.slug))
                    })?;
                let role = check_role(membership.role.as_deref().unwrap_or("member"))?;
                memberships.push((org.id, role));
            }
            let password_hash = password
                .map(|password| hash_password(&password))
                .transpose()
                .map_err(|error| AppError::BadRequest(error.to_string()))?;
            let user = store.create_user(
                &NewUser {
                    email,
                    name,
                    password_hash,
                    is_superuser,
                },
                &memberships,
            )?;
            Ok((StatusCode::CREATED, Json(user_json(&user))))
        })
        .await
}

#[derive(Debug, Deserialize)]
struct PasswordBody {
    current_password: Option<String>,
    new_password: String,
}

/// `PUT /api/0/users/me/password/`: `{"current_password","new_password"}` → 204 (an account
/// without a password sets its first one without `current_password`).
async fn change_password(
    WriteAccess(caller): WriteAccess,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<StatusCode, AppError> {
    let body: PasswordBody = json_body(&body, "password")?;
    let user_id = caller
        .user_id
        .ok_or_else(|| AppError::BadRequest("this credential belongs to no user".into()))?;
    state
        .blocking(move |store| {
            let user = store
                .user(user_id)?
                .ok_or_else(|| AppError::NotFound("user not found".into()))?;
            if let Some(hash) = &user.password_hash {
                let current = body.current_password.as_deref().unwrap_or("");
                if !verify_password(current, Some(hash)) {
                    return Err(AppError::Forbidden("current_password is wrong".into()));
                }
            }
            let hash = hash_password(&body.new_password)
                .map_err(|error| AppError::BadRequest(error.to_string()))?;
            store.set_password_hash(user_id, &hash)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

fn project_json(project: &OrgProject, org: &str, host: &str) -> Value {
    json!({
        "id": project.id.to_string(),
        "organization": org,
        "name": project.name,
        "dsn": dsn(&project.public_key, host, project.id),
    })
}

/// `GET /api/0/projects/`: the projects the caller sees.
async fn list_projects(
    ReadAccess(caller): ReadAccess,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Value>>, AppError> {
    let host = dsn_host(&state, &headers);
    state
        .blocking(move |store| {
            let orgs = store.organizations()?;
            let slug = |id: i64| {
                orgs.iter()
                    .find(|org| org.id == id)
                    .map_or_else(String::new, |org| org.slug.clone())
            };
            Ok(Json(
                store
                    .org_projects()?
                    .iter()
                    .filter(|project| caller.can_see(project.id))
                    .map(|project| project_json(project, &slug(project.organization_id), &host))
                    .collect(),
            ))
        })
        .await
}

#[derive(Debug, Deserialize)]
struct NewProjectBody {
    name: String,
}

/// `POST /api/0/organizations/{org_slug}/projects/` (org admin): `{"name"}` → 201 with its DSN.
async fn create_project(
    AdminAccess(caller): AdminAccess,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let body: NewProjectBody = json_body(&body, "project")?;
    let name = check_text(&body.name, "name")?;
    let host = dsn_host(&state, &headers);
    state
        .blocking(move |store| {
            let org = visible_org(store, &caller, &slug)?;
            require_org_admin(store, &caller, org.id)?;
            let project = store.create_org_project(org.id, &name, &random_hex::<16>())?;
            Ok((
                StatusCode::CREATED,
                Json(project_json(&project, &org.slug, &host)),
            ))
        })
        .await
}
