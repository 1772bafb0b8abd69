//! Organizations, users, scopes, API tokens and DSN keys, through the HTTP API: a member of
//! another organization sees none of the default organization's data, scopes limit what a
//! token may do, revoked tokens and keys stop working at once and a rotated key works.

#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use sightline_protocol::v1::Compression;
use support::{
    T0, TestServer, body_bytes, envelope, js_error, meta, python_event, replay_id, segment,
    traced_request,
};

const TRACE: &str = "0123456789abcdef0123456789abcdef";
const EVENT: &str = "abcdefabcdefabcdefabcdefabcdef01";

/// How a request authenticates.
enum Auth<'a> {
    Bearer(&'a str),
    Cookie {
        cookie: &'a str,
        csrf: Option<&'a str>,
    },
}

async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    auth: &Auth<'_>,
    body: Option<Value>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    match auth {
        Auth::Bearer(token) => {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        Auth::Cookie { cookie, csrf } => {
            request = request.header("cookie", format!("sightline_session={cookie}"));
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", *csrf);
            }
        }
    }
    let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
    let response = server.send(request.body(body).unwrap()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = body_bytes(response).await;
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (status, value, headers)
}

/// Signs in with a password; the cookie value and the CSRF token.
async fn login(server: &TestServer, email: &str, password: &str) -> (String, String) {
    let (status, body, headers) = server
        .post(
            "/api/0/auth/login/",
            &[("content-type", "application/json")],
            json!({"email": email, "password": password}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    let value = cookie
        .strip_prefix("sightline_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (value, body["csrf_token"].as_str().unwrap().to_owned())
}

/// Project 1 gets a replay with a failed request and a backend event linked to it (an issue).
async fn default_org_data(server: &TestServer) -> String {
    let replay = replay_id('a');
    let bytes = segment(
        &replay,
        0,
        T0,
        &[
            meta(0, "https://shop.example/"),
            traced_request(100, 500, TRACE, "aaaaaaaaaaaaaaaa"),
            js_error(10, &"1".repeat(32)),
        ],
        Compression::None,
    );
    let (status, body) = server.upload(bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let header = json!({"event_id": EVENT, "trace": {"trace_id": TRACE, "replay_id": replay}});
    let event = python_event(EVENT, TRACE, Some("aaaaaaaaaaaaaaaa"));
    let (status, body) = server.envelope(envelope(&header, &event)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    replay
}

/// A second organization `acme` with a member `bob@acme.example` and its own project.
async fn acme_member(server: &TestServer) -> (String, String, u64) {
    let admin = Auth::Bearer(&server.token);
    let (status, body, _) = call(
        server,
        "POST",
        "/api/0/organizations/",
        &admin,
        Some(json!({"slug": "acme", "name": "Acme"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body, _) = call(
        server,
        "POST",
        "/api/0/users/",
        &admin,
        Some(
            json!({"email": "bob@acme.example", "password": "bob's password", "name": "Bob",
                    "organizations": [{"slug": "acme", "role": "admin"}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], "bob@acme.example");
    assert_eq!(body["is_superuser"], false);
    let (status, body, _) = call(
        server,
        "POST",
        "/api/0/organizations/acme/projects/",
        &admin,
        Some(json!({"name": "acme-web"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let project: u64 = body["id"].as_str().unwrap().parse().unwrap();
    let (cookie, csrf) = login(server, "bob@acme.example", "bob's password").await;
    (cookie, csrf, project)
}

/// An API token of the session's user with `scopes`.
async fn token_for(server: &TestServer, cookie: &str, csrf: &str, scopes: &[&str]) -> String {
    let auth = Auth::Cookie {
        cookie,
        csrf: Some(csrf),
    };
    let (status, body, _) = call(
        server,
        "POST",
        "/api/0/api-tokens/",
        &auth,
        Some(json!({"label": "ci", "scopes": scopes})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_member_of_another_organization_sees_none_of_its_data() {
    let server = TestServer::new();
    let replay = default_org_data(&server).await;
    let (cookie, csrf, acme_project) = acme_member(&server).await;
    let admin = Auth::Bearer(&server.token);
    let (_, issues, _) = call(&server, "GET", "/api/0/issues/?query=", &admin, None).await;
    let issue = issues[0]["id"].as_str().unwrap().to_owned();

    let bob_token = token_for(&server, &cookie, &csrf, &["read", "write"]).await;
    let session = Auth::Cookie {
        cookie: &cookie,
        csrf: None,
    };
    let token = Auth::Bearer(&bob_token);
    for bob in [&session, &token] {
        for path in [
            format!("/api/0/replays/{replay}/"),
            format!("/api/0/replays/{replay}/segments/"),
            format!("/api/0/replays/{replay}/segments/0"),
            format!("/api/0/replays/{replay}/events/"),
            format!("/api/0/events/{EVENT}/"),
            format!("/api/0/traces/{TRACE}/"),
            format!("/api/0/issues/{issue}/"),
            format!("/api/0/issues/{issue}/events/"),
            format!("/api/0/issues/{issue}/events/latest/"),
            "/api/0/projects/1/releases/".to_owned(),
            "/api/0/projects/1/alert-rules/".to_owned(),
            "/api/0/projects/1/alerts/".to_owned(),
            "/api/0/projects/1/ownership/".to_owned(),
            "/api/0/projects/1/code-mappings/".to_owned(),
            "/api/0/projects/1/keys/".to_owned(),
            "/api/0/organizations/default/members/".to_owned(),
        ] {
            let (status, body, _) = call(&server, "GET", &path, bob, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        }
        for path in [
            "/api/0/replays/",
            "/api/0/issues/?query=",
            "/api/0/issues/?query=&project=1",
            "/api/0/events/?project=1",
        ] {
            let (status, body, _) = call(&server, "GET", path, bob, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, json!([]), "{path}");
        }
        let (_, projects, _) = call(&server, "GET", "/api/0/projects/", bob, None).await;
        let ids: Vec<&str> = projects
            .as_array()
            .unwrap()
            .iter()
            .map(|project| project["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [acme_project.to_string()]);
        assert_eq!(projects[0]["organization"], "acme");
        let (_, orgs, _) = call(&server, "GET", "/api/0/organizations/", bob, None).await;
        assert_eq!(
            orgs,
            json!([{"id": 2, "slug": "acme", "name": "Acme", "role": "admin"}])
        );
    }
    // Nor can they change it.
    let (status, _, _) = call(
        &server,
        "PUT",
        &format!("/api/0/issues/{issue}/"),
        &token,
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The superuser still sees everything, across organizations.
    let (status, replays, _) = call(&server, "GET", "/api/0/replays/", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replays[0]["id"], replay);
    let (status, _, _) = call(
        &server,
        "GET",
        &format!("/api/0/traces/{TRACE}/"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, projects, _) = call(&server, "GET", "/api/0/projects/", &admin, None).await;
    assert_eq!(projects.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn scopes_limit_what_a_token_may_do() {
    let server = TestServer::new();
    default_org_data(&server).await;
    let admin = Auth::Bearer(&server.token);
    let (_, issues, _) = call(&server, "GET", "/api/0/issues/?query=", &admin, None).await;
    let issue = issues[0]["id"].as_str().unwrap().to_owned();
    let (_, read, _) = call(
        &server,
        "POST",
        "/api/0/api-tokens/",
        &admin,
        Some(json!({"label": "dashboards", "scopes": ["read"]})),
    )
    .await;
    let read_token = read["token"].as_str().unwrap().to_owned();
    assert_eq!(read["scopes"], json!(["read"]));
    let (_, write, _) = call(
        &server,
        "POST",
        "/api/0/api-tokens/",
        &admin,
        Some(json!({"scopes": ["write", "read"]})),
    )
    .await;
    let write_token = write["token"].as_str().unwrap().to_owned();

    let reader = Auth::Bearer(&read_token);
    let (status, _, _) = call(
        &server,
        "GET",
        &format!("/api/0/issues/{issue}/"),
        &reader,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let resolve = json!({"status": "resolved"});
    let (status, body, _) = call(
        &server,
        "PUT",
        &format!("/api/0/issues/{issue}/"),
        &reader,
        Some(resolve.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("write"), "{body}");

    let writer = Auth::Bearer(&write_token);
    let (status, body, _) = call(
        &server,
        "PUT",
        &format!("/api/0/issues/{issue}/"),
        &writer,
        Some(resolve),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = call(
        &server,
        "POST",
        "/api/0/users/",
        &writer,
        Some(json!({"email": "eve@example.com", "password": "long enough"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "write scope cannot create users"
    );
    let (status, _, _) = call(
        &server,
        "POST",
        "/api/0/api-tokens/",
        &writer,
        Some(json!({"scopes": ["admin"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no scope above the caller's");
}

#[tokio::test]
async fn a_revoked_api_token_answers_401() {
    let server = TestServer::new();
    let admin = Auth::Bearer(&server.token);
    let (_, created, _) = call(
        &server,
        "POST",
        "/api/0/api-tokens/",
        &admin,
        Some(json!({"label": "old", "scopes": ["read"]})),
    )
    .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["last_used_at"].is_null(), "never used: {created}");
    let (status, _, _) = call(
        &server,
        "GET",
        "/api/0/replays/",
        &Auth::Bearer(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed, _) = call(&server, "GET", "/api/0/api-tokens/", &admin, None).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row.get("token").is_none()),
        "tokens are shown only once: {listed}"
    );
    let used = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == id.as_str())
        .unwrap();
    assert!(
        used["last_used_at"]
            .as_str()
            .is_some_and(|at| at.starts_with("20")),
        "its use is recorded: {used}"
    );
    let (status, _, _) = call(
        &server,
        "DELETE",
        &format!("/api/0/api-tokens/{id}/"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, _) = call(
        &server,
        "GET",
        "/api/0/replays/",
        &Auth::Bearer(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
    let (status, _, _) = call(&server, "GET", "/api/0/replays/", &admin, None).await;
    assert_eq!(status, StatusCode::OK, "the admin token is untouched");
}

#[tokio::test]
async fn a_revoked_dsn_key_is_refused_and_a_rotated_one_works() {
    let server = TestServer::new();
    let admin = Auth::Bearer(&server.token);
    let (status, added, _) = call(
        &server,
        "POST",
        "/api/0/projects/1/keys/",
        &admin,
        Some(json!({"label": "rotated"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let new_key = added["public_key"].as_str().unwrap().to_owned();
    let dsn = added["dsn"].as_str().unwrap();
    assert!(
        dsn.starts_with(&format!("http://{new_key}@")) && dsn.ends_with("/1"),
        "{dsn}"
    );

    let upload = |key: String, index: u32| {
        let server = &server;
        async move {
            let bytes = segment(
                &replay_id('b'),
                index,
                T0 + u64::from(index) * 1000,
                &[meta(0, "https://x.example/")],
                Compression::None,
            );
            server
                .upload_to(1, &format!("?sentry_key={key}"), bytes)
                .await
        }
    };
    let (status, body) = upload(new_key.clone(), 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = upload(server.key.clone(), 1).await;
    assert_eq!(status, StatusCode::OK, "the old key works until revoked");

    let (status, _, _) = call(
        &server,
        "DELETE",
        &format!("/api/0/projects/1/keys/{}/", server.key),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = upload(server.key.clone(), 2).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &server.sentry_auth())],
            envelope(
                &json!({"event_id": EVENT}),
                &python_event(EVENT, TRACE, None),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "envelopes too");
    let (status, _) = upload(new_key.clone(), 3).await;
    assert_eq!(status, StatusCode::OK, "the rotated key works");

    // A key of another project is refused for this one.
    let (_, project, _) = call(
        &server,
        "POST",
        "/api/0/organizations/default/projects/",
        &admin,
        Some(json!({"name": "second"})),
    )
    .await;
    let second: u64 = project["id"].as_str().unwrap().parse().unwrap();
    let bytes = segment(
        &replay_id('c'),
        0,
        T0,
        &[meta(0, "https://x.example/")],
        Compression::None,
    );
    let (status, _) = server
        .upload_to(second, &format!("?sentry_key={new_key}"), bytes)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, keys, _) = call(&server, "GET", "/api/0/projects/1/keys/", &admin, None).await;
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["revoked_at"].is_string(), "{keys:?}");
    assert!(keys[1]["revoked_at"].is_null(), "{keys:?}");
}

#[tokio::test]
async fn project_settings_need_the_admin_role_in_that_projects_organization() {
    let server = TestServer::new();
    let (cookie, csrf, acme_project) = acme_member(&server).await;
    let admin = Auth::Bearer(&server.token);
    let (status, body, _) = call(
        &server,
        "POST",
        "/api/0/organizations/default/members/",
        &admin,
        Some(json!({"email": "bob@acme.example", "role": "member"})),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    // Bob's token carries admin scope (he administers acme) but he is only a member here.
    let token = token_for(&server, &cookie, &csrf, &["read", "write", "admin"]).await;
    let bob = Auth::Bearer(&token);
    for (path, change) in [
        ("privacy", json!({"scrub_emails": false})),
        ("retention", json!({"retention_days": 7})),
    ] {
        let default_path = format!("/api/0/projects/1/{path}/");
        let (status, body, _) = call(&server, "GET", &default_path, &bob, None).await;
        assert_eq!(status, StatusCode::OK, "a member reads {path}: {body}");
        let (status, body, _) =
            call(&server, "PUT", &default_path, &bob, Some(change.clone())).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a member changes {path}: {body}"
        );
        let acme_path = format!("/api/0/projects/{acme_project}/{path}/");
        let (status, body, _) = call(&server, "PUT", &acme_path, &bob, Some(change)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "an org admin changes {path}: {body}"
        );
    }
    let (_, body, _) = call(&server, "GET", "/api/0/projects/1/retention/", &admin, None).await;
    assert_eq!(
        body["retention_days"], 30,
        "the member's change was refused"
    );
}
