//! Signing the viewer in, as plain Rust: the server's session answer, the credential a request
//! carries (the session cookie with its CSRF token, or a bearer token for an embedded player),
//! the login request's body and what a failed login tells the user.
//!
//! The browser side (fetch, the sign-in page, the nav) lives in [`crate::http`] and
//! [`crate::login`].

use thiserror::Error;

use crate::loose::{FromLoose, Loose};
use crate::token::bearer;

/// `POST` path that signs in with `{"email","password"}` or `{"token"}`.
pub const LOGIN_PATH: &str = "/api/0/auth/login/";
/// `GET` path of the current session (401 when signed out).
pub const SESSION_PATH: &str = "/api/0/auth/session/";
/// `POST` path that ends the session.
pub const LOGOUT_PATH: &str = "/api/0/auth/logout/";
/// The header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The local storage key where versions before sessions kept the admin token; cleared on start.
pub const LEGACY_TOKEN_KEY: &str = "sightline.token";

/// Longest CSRF token accepted from the server.
const MAX_CSRF_LEN: usize = 256;
/// Longest email or name kept for display.
const MAX_TEXT_LEN: usize = 320;
/// Longest `Retry-After` value read (in digits).
const MAX_RETRY_DIGITS: usize = 9;

/// The signed-in user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// The sign-in email.
    pub email: String,
    /// The display name.
    pub name: Option<String>,
    /// Whether the user sees every organization.
    pub is_superuser: bool,
}

impl FromLoose for User {
    fn from_loose(value: &Loose) -> Self {
        Self {
            email: value.string("email"),
            name: value.text("name").filter(|n| !n.is_empty()),
            is_superuser: value.flag("is_superuser"),
        }
    }
}

/// An organization the user belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// Its short name in URLs.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// The user's role in it: `member`, `admin` or `owner`.
    pub role: String,
}

impl FromLoose for Organization {
    fn from_loose(value: &Loose) -> Self {
        Self {
            slug: value.string("slug"),
            name: value.string("name"),
            role: value.string("role"),
        }
    }
}

/// The answer of `GET /api/0/auth/session/` and of a successful login (read leniently, then
/// [`Session::checked`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// Who is signed in.
    pub user: User,
    /// Sent back in [`CSRF_HEADER`] on every state-changing request.
    pub csrf_token: String,
    /// The user's organizations (the session answer only).
    pub organizations: Vec<Organization>,
}

impl FromLoose for Session {
    fn from_loose(value: &Loose) -> Self {
        Self {
            user: value.get("user").map(User::from_loose).unwrap_or_default(),
            csrf_token: value.string("csrf_token"),
            organizations: value
                .list("organizations")
                .iter()
                .map(Organization::from_loose)
                .collect(),
        }
    }
}

/// Why a session answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The CSRF token is empty, too long, or not a header value.
    #[error("the server's CSRF token is not usable ({0} bytes)")]
    BadCsrfToken(usize),
}

impl Session {
    /// The session with its CSRF token checked (it becomes a header value) and its texts
    /// bounded for display.
    ///
    /// # Errors
    /// [`SessionError::BadCsrfToken`] when the token is empty, longer than 256 bytes, or holds
    /// anything but visible ASCII.
    pub fn checked(mut self) -> Result<Self, SessionError> {
        let csrf = &self.csrf_token;
        if csrf.is_empty()
            || csrf.len() > MAX_CSRF_LEN
            || !csrf.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(SessionError::BadCsrfToken(csrf.len()));
        }
        truncate(&mut self.user.email);
        if let Some(name) = self.user.name.as_mut() {
            truncate(name);
        }
        Ok(self)
    }

    /// The credential of requests made in this session.
    pub fn credential(&self) -> Credential {
        Credential::Session {
            csrf_token: self.csrf_token.clone(),
        }
    }
}

/// Cuts `text` to at most [`MAX_TEXT_LEN`] bytes, at a character boundary.
fn truncate(text: &mut String) {
    if text.len() > MAX_TEXT_LEN {
        let mut end = MAX_TEXT_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// How a request proves who makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token sent as `Authorization: Bearer`, without cookies: an embedded player's token.
    Bearer(String),
    /// The browser's session cookie; requests that change something carry the CSRF token.
    Session {
        /// The session's CSRF token.
        csrf_token: String,
    },
}

impl Credential {
    /// The headers a `method` request carries with this credential.
    pub fn headers(&self, method: &str) -> Vec<(&'static str, String)> {
        match self {
            Self::Bearer(token) => vec![("Authorization", bearer(token))],
            Self::Session { csrf_token } if changes_state(method) => {
                vec![(CSRF_HEADER, csrf_token.clone())]
            }
            Self::Session { .. } => Vec::new(),
        }
    }

    /// Whether the request sends the browser's cookies (only a session's, and only to the
    /// viewer's own origin); a bearer token never relies on them.
    pub fn sends_cookies(&self) -> bool {
        matches!(self, Self::Session { .. })
    }
}

/// Whether a request with this method changes something (and so needs the CSRF token).
pub fn changes_state(method: &str) -> bool {
    !matches!(
        method.to_ascii_uppercase().as_str(),
        "GET" | "HEAD" | "OPTIONS"
    )
}

/// What the sign-in page sends to [`LOGIN_PATH`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    /// An account's email and password.
    Password {
        /// The email.
        email: String,
        /// The password.
        password: String,
    },
    /// An API token (or the admin token `sightline serve` printed).
    Token(String),
}

impl LoginRequest {
    /// The JSON body of the login request.
    pub fn body(&self) -> String {
        match self {
            Self::Password { email, password } => format!(
                "{{\"email\":{},\"password\":{}}}",
                crate::issue::json_string(email.trim()),
                crate::issue::json_string(password)
            ),
            Self::Token(token) => {
                format!("{{\"token\":{}}}", crate::issue::json_string(token.trim()))
            }
        }
    }
}

/// Why signing in did not work, as the sign-in page says it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LoginFailure {
    /// The email and password (401) did not match.
    #[error("Wrong email or password.")]
    WrongPassword,
    /// The token (401) was not accepted.
    #[error("The server did not accept this token.")]
    WrongToken,
    /// Rate limited (429), with the seconds `Retry-After` gave.
    #[error("{}", too_many_attempts(*.0))]
    TooManyAttempts(Option<u64>),
    /// Any other answer.
    #[error("Could not sign in: {0}")]
    Other(String),
}

impl LoginFailure {
    /// The failure of a login answered with `status` (not 2xx), given the `Retry-After` header
    /// and the error body's message.
    pub fn from_answer(
        request: &LoginRequest,
        status: u16,
        retry_after: Option<&str>,
        message: Option<String>,
    ) -> Self {
        match status {
            401 => match request {
                LoginRequest::Password { .. } => Self::WrongPassword,
                LoginRequest::Token(_) => Self::WrongToken,
            },
            429 => Self::TooManyAttempts(retry_after.and_then(retry_after_seconds)),
            _ => Self::Other(message.unwrap_or_else(|| format!("HTTP {status}"))),
        }
    }
}

/// "Too many attempts, try again in N s." (or "later" when the server did not say).
fn too_many_attempts(seconds: Option<u64>) -> String {
    match seconds {
        Some(seconds) => format!("Too many attempts, try again in {seconds} s."),
        None => "Too many attempts, try again later.".to_owned(),
    }
}

/// The seconds of a `Retry-After` header given in seconds (an HTTP date, or anything else,
/// gives `None`).
pub fn retry_after_seconds(value: &str) -> Option<u64> {
    let value = value.trim();
    (!value.is_empty()
        && value.len() <= MAX_RETRY_DIGITS
        && value.bytes().all(|b| b.is_ascii_digit()))
    .then(|| value.parse().ok())
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<Session, serde_json::Error> {
        Ok(Session::from_loose(&serde_json::from_str::<Loose>(body)?))
    }

    #[test]
    fn a_session_answer_gives_the_user_and_the_csrf_token() -> Result<(), Box<dyn std::error::Error>>
    {
        let body = r#"{"user": {"id": 3, "email": "ada@example.com", "name": "Ada",
            "is_superuser": false}, "csrf_token": "c5rf-1",
            "organizations": [{"id": 1, "slug": "default", "name": "Default", "role": "owner"}]}"#;
        let session = read(body)?.checked()?;
        assert_eq!(session.user.email, "ada@example.com");
        assert_eq!(session.user.name.as_deref(), Some("Ada"));
        assert_eq!(session.organizations[0].role, "owner");
        assert_eq!(
            session.credential(),
            Credential::Session {
                csrf_token: "c5rf-1".into()
            }
        );
        // A login answer has no organizations.
        let login = read(r#"{"user": {"email": "a@b", "name": null}, "csrf_token": "x"}"#)?;
        assert!(login.checked()?.organizations.is_empty());
        Ok(())
    }

    #[test]
    fn a_csrf_token_that_cannot_be_a_header_is_refused() -> Result<(), serde_json::Error> {
        for token in ["", "two words", "line\nbreak", &"x".repeat(257)] {
            let session = Session {
                csrf_token: token.to_owned(),
                ..Session::default()
            };
            assert_eq!(
                session.checked(),
                Err(SessionError::BadCsrfToken(token.len()))
            );
        }
        let long_email = Session {
            user: User {
                email: "é".repeat(400),
                ..User::default()
            },
            csrf_token: "ok".into(),
            ..Session::default()
        };
        let checked = long_email
            .checked()
            .map_err(|_| serde::de::Error::custom("refused"))?;
        assert!(checked.user.email.len() <= 320);
        Ok(())
    }

    #[test]
    fn only_state_changes_carry_the_csrf_token() {
        let session = Credential::Session {
            csrf_token: "c5rf".into(),
        };
        assert!(session.headers("GET").is_empty());
        assert!(session.headers("head").is_empty());
        for method in ["PUT", "POST", "DELETE", "patch"] {
            assert_eq!(
                session.headers(method),
                vec![(CSRF_HEADER, "c5rf".to_owned())]
            );
        }
        assert!(session.sends_cookies());
    }

    #[test]
    fn a_bearer_token_is_sent_on_every_request_without_cookies() {
        let embed = Credential::Bearer(" sle1.abc.def ".into());
        for method in ["GET", "PUT"] {
            assert_eq!(
                embed.headers(method),
                vec![("Authorization", "Bearer sle1.abc.def".to_owned())]
            );
        }
        assert!(!embed.sends_cookies());
    }

    #[test]
    fn login_bodies_are_json() {
        let password = LoginRequest::Password {
            email: " ada@example.com ".into(),
            password: "p\"w\\d ".into(),
        };
        assert_eq!(
            password.body(),
            r#"{"email":"ada@example.com","password":"p\"w\\d "}"#
        );
        assert_eq!(
            LoginRequest::Token(" t0k\n".into()).body(),
            r#"{"token":"t0k"}"#
        );
    }

    #[test]
    fn failed_logins_say_what_to_do() {
        let password = LoginRequest::Password {
            email: "a@b".into(),
            password: "nope".into(),
        };
        let token = LoginRequest::Token("t".into());
        let fail = |request, status, retry: Option<&str>| {
            LoginFailure::from_answer(request, status, retry, None).to_string()
        };
        assert_eq!(fail(&password, 401, None), "Wrong email or password.");
        assert_eq!(
            fail(&token, 401, None),
            "The server did not accept this token."
        );
        assert_eq!(
            fail(&password, 429, Some(" 42 ")),
            "Too many attempts, try again in 42 s."
        );
        assert_eq!(
            fail(&password, 429, Some("Wed, 21 Oct 2026 07:28:00 GMT")),
            "Too many attempts, try again later."
        );
        assert_eq!(
            LoginFailure::from_answer(&password, 415, None, Some("use JSON".into())).to_string(),
            "Could not sign in: use JSON"
        );
        assert_eq!(fail(&token, 500, None), "Could not sign in: HTTP 500");
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        assert_eq!(retry_after_seconds("120"), Some(120));
        assert_eq!(retry_after_seconds(""), None);
        assert_eq!(retry_after_seconds("-1"), None);
        assert_eq!(retry_after_seconds("9999999999"), None);
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}
