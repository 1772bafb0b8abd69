//! Signing in: the session cookie's attributes, CSRF on state changes, the login rate limit,
//! logout, token sign-in, and the security headers on pages and API answers.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use sightline_server::auth::AccessConfig;
use support::{TestServer, body_bytes};

async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
    let response = server.send(request.body(body).unwrap()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = body_bytes(response).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, headers)
}

const JSON: (&str, &str) = ("content-type", "application/json");

async fn add_user(server: &TestServer, email: &str, password: &str) {
    let auth = format!("Bearer {}", server.token);
    let (status, body, _) = send(
        server,
        "POST",
        "/api/0/users/",
        &[JSON, ("authorization", &auth)],
        Some(json!({"email": email, "password": password,
                    "organizations": [{"slug": "default", "role": "member"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Value, HeaderMap) {
    let mut headers = vec![JSON];
    headers.extend_from_slice(extra);
    send(
        server,
        "POST",
        "/api/0/auth/login/",
        &headers,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

fn cookie_value(headers: &HeaderMap) -> String {
    let cookie = headers["set-cookie"].to_str().unwrap();
    cookie
        .strip_prefix("sightline_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_behind_tls() {
    let server = TestServer::new();
    add_user(&server, "ann@example.com", "ann's password").await;
    let (status, body, headers) = login(&server, "ann@example.com", "ann's password", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "ann@example.com");
    assert_eq!(body["user"]["is_superuser"], false);
    let cookie = headers["set-cookie"].to_str().unwrap();
    let value = cookie_value(&headers);
    assert_eq!(value.len(), 64, "{cookie}");
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()), "{cookie}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=1209600"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http on localhost: {cookie}"
    );

    let (_, _, headers) = login(
        &server,
        "ann@example.com",
        "ann's password",
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );

    let mut secure = TestServer::new();
    secure.state = secure.state.clone().with_access_config(AccessConfig {
        secure_cookies: true,
        ..AccessConfig::default()
    });
    add_user(&secure, "ann@example.com", "ann's password").await;
    let (_, _, headers) = login(&secure, "ann@example.com", "ann's password", &[]).await;
    assert!(headers["set-cookie"].to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn state_changes_with_the_cookie_need_the_csrf_token() {
    let server = TestServer::new();
    add_user(&server, "ann@example.com", "ann's password").await;
    let (_, body, headers) = login(&server, "ann@example.com", "ann's password", &[]).await;
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = format!("sightline_session={}", cookie_value(&headers));

    let (status, session, _) = send(
        &server,
        "GET",
        "/api/0/auth/session/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["csrf_token"], csrf.as_str());
    assert_eq!(session["user"]["email"], "ann@example.com");
    assert_eq!(
        session["organizations"],
        json!([{"id": 1, "slug": "default", "name": "Default", "role": "member"}])
    );
    let (status, _, _) = send(
        &server,
        "GET",
        "/api/0/replays/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "reads need no CSRF token");

    let body = json!({"label": "ci", "scopes": ["read"]});
    for csrf_header in [None, Some("0".repeat(64)), Some(String::new())] {
        let mut headers = vec![JSON, ("cookie", cookie.as_str())];
        if let Some(value) = &csrf_header {
            headers.push(("x-csrf-token", value));
        }
        let (status, answer, _) = send(
            &server,
            "POST",
            "/api/0/api-tokens/",
            &headers,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf_header:?}: {answer}");
        assert_eq!(answer, json!({"error": "missing or wrong CSRF token"}));
    }
    let (status, answer, _) = send(
        &server,
        "POST",
        "/api/0/api-tokens/",
        &[JSON, ("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Logout needs the token too, then the cookie no longer works.
    let (status, _, _) = send(
        &server,
        "POST",
        "/api/0/auth/logout/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = send(
        &server,
        "POST",
        "/api/0/auth/logout/",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _, _) = send(
        &server,
        "GET",
        "/api/0/auth/session/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(
        &server,
        "GET",
        "/api/0/replays/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let server = TestServer::new();
    add_user(&server, "ann@example.com", "ann's password").await;
    let (status, body, _) = send(
        &server,
        "POST",
        "/api/0/auth/login/",
        &[("content-type", "text/plain")],
        Some(json!({"email": "ann@example.com", "password": "ann's password"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body, _) = login(&server, "nobody@example.com", "whatever it is", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"error": "wrong email or password"}));

    for _ in 0..5 {
        let (status, body, _) = login(&server, "ann@example.com", "not her password", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body, json!({"error": "wrong email or password"}));
    }
    let (status, body, headers) = login(&server, "ann@example.com", "ann's password", &[]).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password: {body}"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn an_api_token_signs_in_as_its_user() {
    let server = TestServer::new();
    let (status, body, headers) = send(
        &server,
        "POST",
        "/api/0/auth/login/",
        &[JSON],
        Some(json!({"token": server.token})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "admin@localhost");
    assert_eq!(body["user"]["is_superuser"], true);
    let cookie = format!("sightline_session={}", cookie_value(&headers));
    let (status, _, _) = send(
        &server,
        "GET",
        "/api/0/replays/",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &server,
        "POST",
        "/api/0/auth/login/",
        &[JSON],
        Some(json!({"token": "f".repeat(64)})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&server, "GET", "/api/0/replays/", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no credential");
}

#[tokio::test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let mut server = TestServer::new();
    let viewer = server.assets().join("target").join("viewer");
    std::fs::create_dir_all(&viewer).unwrap();
    let script = "import init from \"/viewer/x.js\"; init();";
    std::fs::write(
        viewer.join("index.html"),
        format!("<!doctype html><script type=\"module\">{script}</script>"),
    )
    .unwrap();
    server.state = server.state.clone().with_access_config(AccessConfig {
        frame_ancestors: "'self' https://dash.example".into(),
        ..AccessConfig::default()
    });
    let (status, _, headers) = send(&server, "GET", "/replays/", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'self' https://dash.example"),
        "{csp}"
    );
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(
        csp.contains(&format!("'sha256-{hash}'")),
        "the inline loader is allowed: {csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );

    let (_, _, headers) = send(&server, "GET", "/sdk/missing.js", &[], None).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("content-security-policy"));

    let auth = format!("Bearer {}", server.token);
    let (_, _, headers) = send(
        &server,
        "GET",
        "/api/0/replays/",
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let (_, _, headers) = send(&server, "GET", "/api/0/replays/", &[], None).await;
    assert_eq!(headers["cache-control"], "no-store", "errors too");
}
