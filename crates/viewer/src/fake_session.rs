//! The session endpoints of the fake server (see [`crate::fake_server`]), for the sign-in
//! browser tests: `POST /api/0/auth/login/` (JSON only; [`EMAIL`] with [`PASSWORD`], or the
//! token `t0k` as `admin@localhost`; after [`FAILURE_LIMIT`] failures every attempt answers 429
//! with `Retry-After: 42`), `GET /api/0/auth/session/` and `POST /api/0/auth/logout/`, a
//! "cookie" (a flag: `fetch` cannot set a real one here) that any request sends unless its
//! credentials mode is `omit`, and the CSRF check on state changes. `window.__slRefuse(request)`
//! is what every fake route asks first; every request is logged once with its credential.

use wasm_bindgen::JsValue;

use crate::session::{Session, User};

/// The fake account's email.
pub const EMAIL: &str = "ada@example.com";
/// Its password.
pub const PASSWORD: &str = "correct horse battery staple";
/// The session's CSRF token.
pub const CSRF: &str = "c5rf-fake-token";
/// Failed logins before the fake server answers 429.
pub const FAILURE_LIMIT: u32 = 3;

/// The session the fake server starts signed in with.
pub fn session() -> Session {
    Session {
        user: User {
            email: EMAIL.into(),
            name: Some("Ada".into()),
            is_superuser: false,
        },
        csrf_token: CSRF.into(),
        organizations: Vec::new(),
    }
}

/// Adds the session endpoints in front of the fake server's `fetch`, signed in.
pub fn install_session() -> Result<(), JsValue> {
    let install = js_sys::Function::new_with_args(
        "email, password, csrf, limit",
        r#"
        const previous = window.fetch;
        const auth = window.__slAuth = { signedIn: true, failures: 0, log: [] };
        const reply = (value, status, headers) => new Response(
            value === null ? null : JSON.stringify(value), { status: status || 200, headers });
        const changes = (method) => !["GET", "HEAD", "OPTIONS"].includes(method);
        const log = (request) => {
            if (!request.__slLogged) {
                request.__slLogged = true;
                const url = new URL(request.url, location.href);
                auth.log.push({
                    method: request.method, path: url.pathname + url.search,
                    csrf: request.headers.get("X-CSRF-Token"),
                    authorization: request.headers.get("Authorization"),
                    credentials: request.credentials,
                });
            }
        };
        const cookie = (request) => request.credentials !== "omit" && auth.signedIn;
        window.__slRefuse = (request) => {
            log(request);
            if (new URL(request.url, location.href).pathname.startsWith("/api/0/auth/")) {
                return null;
            }
            const bearer = request.headers.get("Authorization");
            if (bearer !== null) {
                return bearer === "Bearer t0k" ? null : reply({ error: "unauthorized" }, 401);
            }
            if (!cookie(request)) {
                return reply({ error: "unauthorized" }, 401);
            }
            if (changes(request.method) && request.headers.get("X-CSRF-Token") !== csrf) {
                return reply({ error: "missing or wrong CSRF token" }, 403);
            }
            return null;
        };
        const user = (address) => ({ id: 3, email: address, name: "Ada", is_superuser: false });
        window.fetch = async (request) => {
            log(request);
            const path = new URL(request.url, location.href).pathname;
            if (path === "/api/0/auth/session/" && request.method === "GET") {
                return cookie(request)
                    ? reply({ user: user(email), csrf_token: csrf,
                              organizations: [{ id: 1, slug: "default", name: "Default", role: "member" }] })
                    : reply({ error: "not signed in" }, 401);
            }
            if (path === "/api/0/auth/login/" && request.method === "POST") {
                if (request.headers.get("Content-Type") !== "application/json") {
                    return reply({ error: "expected JSON" }, 415);
                }
                if (auth.failures >= limit) {
                    return reply({ error: "too many attempts" }, 429, { "Retry-After": "42" });
                }
                const body = await request.json();
                const address = body.token === "t0k" ? "admin@localhost"
                    : body.email === email && body.password === password ? email : null;
                if (address === null) {
                    auth.failures += 1;
                    return reply({ error: "wrong email or password" }, 401);
                }
                auth.signedIn = true;
                return reply({ user: user(address), csrf_token: csrf });
            }
            if (path === "/api/0/auth/logout/" && request.method === "POST") {
                if (!cookie(request)) return reply({ error: "not signed in" }, 401);
                if (request.headers.get("X-CSRF-Token") !== csrf) {
                    return reply({ error: "missing or wrong CSRF token" }, 403);
                }
                auth.signedIn = false;
                return reply(null, 204);
            }
            return previous(request);
        };
        "#,
    );
    let args = js_sys::Array::of4(
        &EMAIL.into(),
        &PASSWORD.into(),
        &CSRF.into(),
        &f64::from(FAILURE_LIMIT).into(),
    );
    install.apply(&JsValue::NULL, &args)?;
    Ok(())
}

/// Signs the fake server's "cookie" out (as an expired session would).
pub fn end_session() -> Result<(), JsValue> {
    set_auth("signedIn", &JsValue::FALSE)
}

/// Counts `failures` failed logins, as if they had happened.
pub fn set_failures(failures: u32) -> Result<(), JsValue> {
    set_auth("failures", &f64::from(failures).into())
}

fn set_auth(field: &str, value: &JsValue) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let auth = js_sys::Reflect::get(&window, &"__slAuth".into())?;
    js_sys::Reflect::set(&auth, &field.into(), value)?;
    Ok(())
}

/// Whether the fake server's "cookie" is signed in.
pub fn signed_in() -> bool {
    auth_field("signedIn").as_bool().unwrap_or(false)
}

fn auth_field(field: &str) -> JsValue {
    web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &"__slAuth".into()).ok())
        .and_then(|auth| js_sys::Reflect::get(&auth, &field.into()).ok())
        .unwrap_or_default()
}

/// One request the fake server saw, with its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `PUT`, …
    pub method: String,
    /// Path and query string.
    pub path: String,
    /// The `X-CSRF-Token` header, if sent.
    pub csrf: Option<String>,
    /// The `Authorization` header, if sent.
    pub authorization: Option<String>,
    /// The request's credentials mode (`omit`, `same-origin`, `include`).
    pub credentials: String,
}

/// Every request the fake server saw, oldest first.
pub fn seen() -> Vec<Seen> {
    let log = auth_field("log");
    let field = |item: &JsValue, name: &str| {
        js_sys::Reflect::get(item, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    js_sys::Array::from(&log)
        .iter()
        .map(|item| Seen {
            method: field(&item, "method").unwrap_or_default(),
            path: field(&item, "path").unwrap_or_default(),
            csrf: field(&item, "csrf"),
            authorization: field(&item, "authorization"),
            credentials: field(&item, "credentials").unwrap_or_default(),
        })
        .collect()
}
