//! Credentials: DSN public keys on ingest, admin bearer tokens on the read API.
//!
//! Ingest accepts the key the way Sentry SDKs send it: `?sentry_key=KEY`, an
//! `X-Sentry-Auth: Sentry sentry_key=KEY, …` header or the same value in `Authorization`. The
//! read API accepts only `Authorization: Bearer TOKEN`; tokens are compared by SHA-256 digest, the
//! only form in which they are stored.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

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

/// Proof that the request carried a valid admin token; add it as a handler argument to protect a
/// read API endpoint.
#[derive(Debug, Clone, Copy)]
pub struct AdminToken;

impl FromRequestParts<AppState> for AdminToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "missing admin token: send Authorization: Bearer <token>".into(),
                )
            })?;
        let digest = token_digest(token);
        if state
            .run_store(move |store| store.has_admin_token(&digest))
            .await?
        {
            Ok(Self)
        } else {
            Err(AppError::Unauthorized("invalid admin token".into()))
        }
    }
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
    /// The user the credential belongs to.
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
}

/// Authenticates an API request and checks that its credential has at least `scope`.
async fn caller_with(
    parts: &mut Parts,
    state: &AppState,
    scope: Scope,
) -> Result<Caller, AppError> {
    AdminToken::from_request_parts(parts, state).await?;
    let caller = Caller {
        user_id: None,
        scope: Scope::Admin,
        projects: ProjectAccess::All,
    };
    if caller.scope < scope {
        return Err(AppError::Forbidden(format!(
            "this needs the {scope:?} scope"
        )));
    }
    Ok(caller)
}

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
