//! Credentials: DSN public keys on ingest; API tokens, embed tokens and session cookies on the
//! API.
//!
//! Ingest accepts the key the way Sentry SDKs send it: `?sentry_key=KEY`, an
//! `X-Sentry-Auth: Sentry sentry_key=KEY, …` header or the same value in `Authorization`. The
//! API takes `Authorization: Bearer TOKEN` (an API token, compared by SHA-256 digest, the only
//! form in which it is stored; or an [`embed_token`]), or the `sightline_session` cookie, whose
//! state-changing requests must carry the session's `X-CSRF-Token`. Handlers take
//! [`ReadAccess`], [`WriteAccess`] or [`AdminAccess`] and check [`Caller::can_see`] on every
//! project-owned thing (404 when not visible).

pub mod embed_token;
pub mod login_limit;
pub mod password;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use rand::Rng;
use sha2::{Digest, Sha256};

use self::login_limit::LoginLimiter;
use crate::AppState;
use crate::error::AppError;

/// The DSN public key of an ingest request, from the query string or the auth headers.
pub fn dsn_key(query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let from_query = query.and_then(|query| {
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == "sentry_key" && !value.is_empty()).then(|| value.to_owned())
        })
    });
    from_query.or_else(|| {
        ["x-sentry-auth", AUTHORIZATION.as_str()]
            .into_iter()
            .filter_map(|name| headers.get(name)?.to_str().ok())
            .find_map(sentry_auth_key)
    })
}

/// The public key and project id of a DSN such as `https://KEY@host/path/42` (a legacy
/// `KEY:SECRET@` user part is accepted; the secret is ignored).
pub fn parse_dsn(dsn: &str) -> Option<(String, u64)> {
    let (_, rest) = dsn.trim().split_once("://")?;
    let (user, location) = rest.split_once('@')?;
    let key = user.split(':').next()?.trim();
    let project = location
        .split(['?', '#'])
        .next()?
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .parse()
        .ok()?;
    (!key.is_empty() && location.contains('/')).then(|| (key.to_owned(), project))
}

/// The `sentry_key` of a `Sentry sentry_key=KEY, sentry_version=7, …` header value.
fn sentry_auth_key(value: &str) -> Option<String> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("sentry") {
        return None;
    }
    rest.split(',').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        let value = value.trim().trim_matches('"');
        (name.trim() == "sentry_key" && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The SHA-256 hex digest under which an admin token is stored.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How much a credential may do; each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Read the API.
    Read,
    /// Also change issues, releases, alert rules and other project data.
    Write,
    /// Also manage users, tokens, organizations, projects, DSN keys and project settings.
    Admin,
}

impl Scope {
    /// The scope's name in API tokens: `read`, `write` or `admin`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The highest scope in a space- or comma-separated list (unknown names ignored).
    pub fn highest(list: &str) -> Option<Self> {
        list.split([' ', ','])
            .filter_map(|name| Self::parse(name.trim()))
            .max()
    }
}

/// The projects a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectAccess {
    /// Every project (a superuser).
    All,
    /// Only these projects (those of the caller's organizations).
    Only(Vec<u64>),
}

/// Who sent an authenticated API request and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user the credential belongs to (`None` for an embed token).
    pub user_id: Option<i64>,
    /// The credential's scope.
    pub scope: Scope,
    /// The projects the caller may see.
    pub projects: ProjectAccess,
}

impl Caller {
    /// Whether the caller may see project `project_id`'s data.
    pub fn can_see(&self, project_id: u64) -> bool {
        match &self.projects {
            ProjectAccess::All => true,
            ProjectAccess::Only(ids) => ids.contains(&project_id),
        }
    }

    /// Whether the caller sees every project (a superuser).
    pub fn is_superuser(&self) -> bool {
        self.projects == ProjectAccess::All
    }

    /// `Ok` if the caller may see project `project_id`, else a 404 naming `what`, so that
    /// callers cannot learn what exists in organizations they are not a member of.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub fn check_visible(
        &self,
        project_id: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), AppError> {
        if self.can_see(project_id) {
            Ok(())
        } else {
            Err(AppError::NotFound(what()))
        }
    }
}

/// Authenticates an API request and checks that its credential has at least `scope`.
async fn caller_with(
    parts: &mut Parts,
    state: &AppState,
    scope: Scope,
) -> Result<Caller, AppError> {
    let caller = if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let token = value.to_str().ok().and_then(bearer_token).ok_or_else(|| {
            AppError::Unauthorized(
                "send an API token (such as the admin token) as Authorization: Bearer <token>"
                    .into(),
            )
        })?;
        if token.starts_with(embed_token::PREFIX) {
            embed_caller(parts, state, token).await?
        } else {
            token_caller(state, token).await?
        }
    } else if let Some(session) = session_cookie(&parts.headers) {
        session_caller(parts, state, session).await?
    } else {
        return Err(AppError::Unauthorized(
            "sign in, or send an API token (such as the admin token) as Authorization: Bearer <token>"
                .into(),
        ));
    };
    if caller.scope < scope {
        return Err(AppError::Forbidden(format!(
            "this needs the {} scope",
            scope.name()
        )));
    }
    Ok(caller)
}

/// The caller of an API token (or a legacy admin token from before accounts existed).
async fn token_caller(state: &AppState, token: &str) -> Result<Caller, AppError> {
    let digest = token_digest(token);
    state
        .blocking(move |store| {
            let Some(row) = store.api_token(&digest)? else {
                return if store.has_admin_token(&digest)? {
                    Ok(Caller {
                        user_id: None,
                        scope: Scope::Admin,
                        projects: ProjectAccess::All,
                    })
                } else {
                    Err(AppError::Unauthorized(
                        "invalid API token: neither the admin token nor another API token".into(),
                    ))
                };
            };
            if row.revoked_at_ms.is_some() {
                return Err(AppError::Unauthorized("this API token was revoked".into()));
            }
            let scope = Scope::highest(&row.scopes)
                .ok_or_else(|| AppError::Unauthorized("this API token has no scope".into()))?;
            let caller = user_caller(store, row.user_id, Some(scope))?;
            store.touch_api_token(row.id, now_ms())?;
            Ok(caller)
        })
        .await
}

/// The caller for `user_id`: its scope is `token_scope` (for a session: admin if the user is
/// a superuser or an admin or owner of one of their organizations, else write), never above
/// what the user's roles allow.
pub(crate) fn user_caller(
    store: &dyn crate::store::Store,
    user_id: i64,
    token_scope: Option<Scope>,
) -> Result<Caller, AppError> {
    let user = store
        .user(user_id)?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))?;
    if user.is_superuser {
        return Ok(Caller {
            user_id: Some(user.id),
            scope: token_scope.unwrap_or(Scope::Admin),
            projects: ProjectAccess::All,
        });
    }
    let roles = store.memberships(user.id)?;
    let role_scope = if roles
        .iter()
        .any(|(_, role)| role == "admin" || role == "owner")
    {
        Scope::Admin
    } else {
        Scope::Write
    };
    Ok(Caller {
        user_id: Some(user.id),
        scope: token_scope.map_or(role_scope, |scope| scope.min(role_scope)),
        projects: ProjectAccess::Only(store.member_project_ids(user.id)?),
    })
}

/// The live session whose cookie digest is `digest`; unless the request is `safe` (a read), it
/// must echo the session's CSRF token in `csrf` (the [`CSRF_HEADER`] value).
///
/// # Errors
/// [`AppError::Unauthorized`] for an unknown or expired session, [`AppError::Forbidden`] for a
/// missing or wrong CSRF token on a state change.
pub(crate) fn checked_session(
    store: &dyn crate::store::Store,
    digest: &str,
    csrf: Option<&str>,
    safe: bool,
) -> Result<crate::store::access::Session, AppError> {
    let session = store
        .session(digest, now_ms())?
        .ok_or_else(|| AppError::Unauthorized("signed out: sign in again".into()))?;
    if !safe && !csrf.is_some_and(|csrf| constant_time_eq(csrf, &session.csrf_token)) {
        return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
    }
    Ok(session)
}

/// The [`CSRF_HEADER`] value of a request.
pub(crate) fn csrf_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The caller of a session cookie; state changes must echo the session's CSRF token.
async fn session_caller(parts: &Parts, state: &AppState, cookie: &str) -> Result<Caller, AppError> {
    let digest = token_digest(cookie);
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf = csrf_header(&parts.headers);
    state
        .blocking(move |store| {
            let session = checked_session(store, &digest, csrf.as_deref(), safe)?;
            user_caller(store, session.user_id, None)
        })
        .await
}

/// The caller of an embed token: read access to exactly one replay's endpoints.
async fn embed_caller(parts: &Parts, state: &AppState, token: &str) -> Result<Caller, AppError> {
    let key = state.access().embed_key(state).await?;
    let grant = embed_token::verify(token, &key, u64::try_from(now_ms() / 1000).unwrap_or(0))
        .map_err(|error| AppError::Unauthorized(error.to_string()))?;
    let replay = grant.replay_id.clone();
    let revoked_before = state
        .run_store(move |store| store.embed_tokens_revoked_before(&replay))
        .await?;
    if revoked_before.is_some_and(|before| i64::try_from(grant.issued_at_ms).unwrap_or(0) <= before)
    {
        return Err(AppError::Unauthorized(
            embed_token::EmbedTokenError::Revoked.to_string(),
        ));
    }
    let forbidden = || AppError::Forbidden("an embed token opens only its replay".into());
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return Err(forbidden());
    }
    let path = parts.uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let allowed = match segments.as_slice() {
        ["", "api", "0", "replays", id]
        | ["", "api", "0", "replays", id, "segments" | "events"] => *id == grant.replay_id,
        ["", "api", "0", "replays", id, "segments", index] => {
            *id == grant.replay_id && index.parse::<u32>().is_ok()
        }
        ["", "api", "0", "events", event_id] => {
            let event_id = (*event_id).to_owned();
            let replay = grant.replay_id.clone();
            state
                .run_store(move |store| store.event(&event_id))
                .await?
                .and_then(|event| event.link)
                .is_some_and(|link| link.replay_id == replay)
        }
        _ => false,
    };
    if !allowed {
        return Err(forbidden());
    }
    Ok(Caller {
        user_id: None,
        scope: Scope::Read,
        projects: ProjectAccess::Only(vec![grant.project_id]),
    })
}

/// The header carrying a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sightline_session";

/// The value of the `sightline_session` cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            let value = value.trim();
            (name.trim() == SESSION_COOKIE && value.len() == 64).then_some(value)
        })
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// Now, in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// How sessions and security headers behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// Always mark the session cookie `Secure` (else only when `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// The CSP `frame-ancestors` sources: who may embed the viewer and the player.
    pub frame_ancestors: String,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            frame_ancestors: DEFAULT_FRAME_ANCESTORS.to_owned(),
        }
    }
}

/// The default CSP `frame-ancestors`: only the server's own pages.
pub const DEFAULT_FRAME_ANCESTORS: &str = "'self'";

/// What the access checks share across requests.
#[derive(Debug, Default)]
pub struct AccessState {
    config: AccessConfig,
    login_limiter: LoginLimiter,
    embed_key: tokio::sync::OnceCell<Vec<u8>>,
}

impl AccessState {
    /// State with `config`.
    pub fn new(config: AccessConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AccessConfig {
        &self.config
    }

    /// Failed sign-ins.
    pub fn login_limiter(&self) -> &LoginLimiter {
        &self.login_limiter
    }

    /// The embed signing key, created (32 random bytes) and stored on first use.
    ///
    /// # Errors
    /// The store's error.
    pub async fn embed_key(&self, state: &AppState) -> Result<Vec<u8>, AppError> {
        self.embed_key
            .get_or_try_init(|| async {
                let fresh: [u8; 32] = rand::rng().random();
                state
                    .run_store(move |store| store.server_secret(EMBED_KEY_NAME, &fresh))
                    .await
            })
            .await
            .cloned()
    }
}

/// The `server_secrets` name of the embed signing key.
pub const EMBED_KEY_NAME: &str = "embed_signing_key";

macro_rules! scoped_extractor {
    ($(#[$doc:meta])* $name:ident, $scope:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                caller_with(parts, state, $scope).await.map(Self)
            }
        }
    };
}

scoped_extractor!(
    /// A caller allowed to read; add it as a handler argument to protect a read endpoint.
    ReadAccess,
    Scope::Read
);
scoped_extractor!(
    /// A caller allowed to change project data.
    WriteAccess,
    Scope::Write
);
scoped_extractor!(
    /// A caller allowed to administer users, tokens, projects and settings.
    AdminAccess,
    Scope::Admin
);

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn key_from_query_string() {
        let headers = HeaderMap::new();
        assert_eq!(
            dsn_key(Some("sentry_version=7&sentry_key=abc"), &headers).as_deref(),
            Some("abc")
        );
        assert_eq!(dsn_key(Some("sentry_key="), &headers), None);
        assert_eq!(dsn_key(None, &headers), None);
    }

    #[test]
    fn key_from_sentry_auth_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-sentry-auth",
            HeaderValue::from_static("Sentry sentry_version=7, sentry_key=abc, sentry_client=x/1"),
        );
        assert_eq!(dsn_key(None, &headers).as_deref(), Some("abc"));

        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Sentry sentry_key=def"),
        );
        assert_eq!(dsn_key(None, &headers).as_deref(), Some("def"));

        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer def"));
        assert_eq!(dsn_key(None, &headers), None);
    }

    #[test]
    fn dsns_yield_key_and_project() {
        assert_eq!(
            parse_dsn("http://abc@127.0.0.1:8080/1"),
            Some(("abc".into(), 1))
        );
        assert_eq!(
            parse_dsn("https://abc:secret@sentry.example/prefix/42/"),
            Some(("abc".into(), 42))
        );
        assert_eq!(parse_dsn("http://127.0.0.1:8080/1"), None);
        assert_eq!(parse_dsn("http://abc@host"), None);
        assert_eq!(parse_dsn("http://abc@host/x"), None);
        assert_eq!(parse_dsn("nonsense"), None);
    }

    #[test]
    fn bearer_tokens_are_parsed_case_insensitively() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
