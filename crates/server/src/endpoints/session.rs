//! Signing in and out of the viewer: password or token login, the session cookie, CSRF, logout.
//!
//! - `POST /api/0/auth/login/` `{"email","password"}` or `{"token"}` → 200 `{"user", "csrf_token"}`
//!   and the `sightline_session` cookie (HttpOnly, SameSite=Lax, 14 days; Secure behind TLS or
//!   with `--secure-cookies`); 401 for a wrong credential; 429 + `Retry-After` past the
//!   [`login_limit`](crate::auth::login_limit).
//! - `GET /api/0/auth/session/` → the signed-in user, the CSRF token and their organizations.
//! - `POST /api/0/auth/logout/` (with `X-CSRF-Token`) → 204, the session deleted.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::password::{MAX_PASSWORD_BYTES, verify_password};
use crate::auth::{
    ProjectAccess, SESSION_COOKIE, checked_session, csrf_header, now_ms, session_cookie,
    token_digest,
};
use crate::error::AppError;
use crate::project::{ADMIN_EMAIL, random_hex};
use crate::store::access::{Session, User};

/// How long a session lasts: 14 days.
pub const SESSION_SECONDS: i64 = 14 * 24 * 3600;

/// Largest login body accepted.
const MAX_LOGIN_BYTES: usize = 8 * 1024;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/0/auth/login/", post(login))
        .route("/api/0/auth/login", post(login))
        .route("/api/0/auth/session/", get(current_session))
        .route("/api/0/auth/session", get(current_session))
        .route("/api/0/auth/logout/", post(logout))
        .route("/api/0/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct LoginRequest {
    email: Option<String>,
    password: Option<String>,
    token: Option<String>,
}

/// The JSON of a user: `{"id","email","name","is_superuser"}`.
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_superuser": user.is_superuser,
    })
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The client's address for rate limiting (`unknown` when the server was not told it).
fn client_address(connect: Option<&ConnectInfo<SocketAddr>>) -> String {
    connect.map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}

async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the login as Content-Type: application/json",
        );
    }
    if body.len() > MAX_LOGIN_BYTES {
        return AppError::PayloadTooLarge {
            limit: MAX_LOGIN_BYTES,
        }
        .into_response();
    }
    let request: LoginRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return AppError::BadRequest(format!("invalid login JSON: {error}")).into_response();
        }
    };
    let client = client_address(connect.as_ref().map(|Extension(info)| info));
    let email = request.email.as_deref().map(str::trim).map(str::to_owned);
    if email.as_ref().is_some_and(|email| email.len() > 320) {
        return AppError::BadRequest("email is longer than 320 bytes".into()).into_response();
    }
    let limiter = state.access().login_limiter();
    if let Err(wait) = limiter.check(email.as_deref(), &client, Instant::now()) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = json_error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("too many failed sign-ins; try again in {seconds} s"),
        );
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        return response;
    }
    let user = match (&email, &request.password, &request.token) {
        (Some(email), Some(password), None) => {
            if password.len() > MAX_PASSWORD_BYTES {
                return AppError::BadRequest(format!(
                    "the password must be at most {MAX_PASSWORD_BYTES} bytes"
                ))
                .into_response();
            }
            password_user(&state, email.clone(), password.clone()).await
        }
        (None, None, Some(token)) => token_user(&state, token.clone()).await,
        _ => {
            return AppError::BadRequest("send {\"email\", \"password\"} or {\"token\"}".into())
                .into_response();
        }
    };
    let user = match user {
        Ok(Some(user)) => user,
        Ok(None) => {
            limiter.record_failure(email.as_deref(), &client, Instant::now());
            let message = if request.token.is_some() {
                "invalid or revoked API token"
            } else {
                "wrong email or password"
            };
            return json_error(StatusCode::UNAUTHORIZED, message);
        }
        Err(error) => return error.into_response(),
    };
    if let Some(email) = &email {
        limiter.record_success(email);
    }
    match start_session(&state, &headers, user).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The user whose password this is, checked on the blocking pool (argon2 takes a while).
async fn password_user(
    state: &AppState,
    email: String,
    password: String,
) -> Result<Option<User>, AppError> {
    state
        .blocking(move |store| {
            let user = store.user_by_email(&email)?;
            let hash = user.as_ref().and_then(|user| user.password_hash.clone());
            Ok(verify_password(&password, hash.as_deref())
                .then_some(user)
                .flatten())
        })
        .await
}

/// The user of a valid API token (the legacy admin token signs in as the superuser).
async fn token_user(state: &AppState, token: String) -> Result<Option<User>, AppError> {
    if token.len() > 256 {
        return Ok(None);
    }
    let digest = token_digest(&token);
    state
        .blocking(move |store| {
            match store.api_token(&digest)? {
                Some(row) if row.revoked_at_ms.is_none() => return Ok(store.user(row.user_id)?),
                Some(_) => return Ok(None),
                None => {}
            }
            if store.has_admin_token(&digest)? {
                return Ok(store.user_by_email(ADMIN_EMAIL)?);
            }
            Ok(None)
        })
        .await
}

/// Whether the session cookie must be `Secure`: `--secure-cookies`, or the request came
/// through a TLS proxy.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.access().config().secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: User,
) -> Result<Response, AppError> {
    let cookie = random_hex::<32>();
    let csrf_token = random_hex::<32>();
    let session = Session {
        user_id: user.id,
        csrf_token: csrf_token.clone(),
        expires_at_ms: now_ms() + SESSION_SECONDS * 1000,
    };
    let digest = token_digest(&cookie);
    state
        .run_store(move |store| store.create_session(&digest, &session))
        .await?;
    let mut value = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}"
    );
    if secure(state, headers) {
        value.push_str("; Secure");
    }
    let mut response = Json(json!({
        "user": user_json(&user),
        "csrf_token": csrf_token,
    }))
    .into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&value).map_err(|error| AppError::Internal(error.to_string()))?,
    );
    Ok(response)
}

async fn current_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let cookie =
        session_cookie(&headers).ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
    let digest = token_digest(cookie);
    state
        .blocking(move |store| {
            let session = store
                .session(&digest, now_ms())?
                .ok_or_else(|| AppError::Unauthorized("signed out: sign in again".into()))?;
            let user = store
                .user(session.user_id)?
                .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))?;
            let caller = crate::auth::user_caller(store, user.id, None)?;
            let organizations: Vec<Value> = if caller.projects == ProjectAccess::All {
                let mine = store.memberships(user.id)?;
                store
                    .organizations()?
                    .into_iter()
                    .map(|org| {
                        let role = mine
                            .iter()
                            .find(|(member, _)| member.id == org.id)
                            .map_or("owner", |(_, role)| role.as_str());
                        json!({"id": org.id, "slug": org.slug, "name": org.name, "role": role})
                    })
                    .collect()
            } else {
                store
                    .memberships(user.id)?
                    .into_iter()
                    .map(|(org, role)| {
                        json!({"id": org.id, "slug": org.slug, "name": org.name, "role": role})
                    })
                    .collect()
            };
            Ok(Json(json!({
                "user": user_json(&user),
                "csrf_token": session.csrf_token,
                "organizations": organizations,
            })))
        })
        .await
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let cookie =
        session_cookie(&headers).ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
    let digest = token_digest(cookie);
    let csrf = csrf_header(&headers);
    state
        .blocking(move |store| {
            checked_session(store, &digest, csrf.as_deref(), false)?;
            store.delete_session(&digest)?;
            Ok(())
        })
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("sightline_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}
