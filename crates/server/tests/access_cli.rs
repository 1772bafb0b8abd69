//! `sightline users add`, `tokens create` and `keys add | list | revoke` against the real
//! binary; a user added by the CLI signs in, a created token works, a revoked key is refused.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::running::RunningServer;

fn sightline(server: &RunningServer, token: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .env("SIGHTLINE_URL", format!("http://{}", server.host))
        .env("SIGHTLINE_AUTH_TOKEN", token)
        .env_remove("SIGHTLINE_PASSWORD")
        .env_remove("SIGHTLINE_PROJECT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(server: &RunningServer, token: &str, args: &[&str], stdin: &str) -> String {
    let output = sightline(server, token, args, stdin);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn status(server: &RunningServer, method: &str, path: &str, auth: &str, body: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://{}{path}", server.host);
    let response = match method {
        "POST" => agent
            .post(&url)
            .header("content-type", "application/json")
            .header("authorization", auth)
            .send(body),
        _ => agent.get(&url).header("authorization", auth).call(),
    };
    response.unwrap().status().as_u16()
}

#[test]
fn users_tokens_and_keys_from_the_command_line() {
    let server = RunningServer::start();
    let admin = server.token.clone();
    let out = ok(
        &server,
        &admin,
        &[
            "users",
            "add",
            "--email",
            "ann@example.com",
            "--name",
            "Ann",
            "--org",
            "default",
            "--role",
            "admin",
        ],
        "ann's password\n",
    );
    assert!(out.contains("Created user ann@example.com"), "{out}");
    assert_eq!(
        status(
            &server,
            "POST",
            "/api/0/auth/login/",
            "",
            r#"{"email": "ann@example.com", "password": "ann's password"}"#
        ),
        200
    );
    let short = sightline(
        &server,
        &admin,
        &["users", "add", "--email", "x@example.com"],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));

    let out = ok(
        &server,
        &admin,
        &["tokens", "create", "--scopes", "read", "--label", "ci"],
        "",
    );
    let token = out.lines().last().unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "{out}");
    let bearer = format!("Bearer {token}");
    assert_eq!(status(&server, "GET", "/api/0/replays/", &bearer, ""), 200);
    assert_eq!(
        status(
            &server,
            "POST",
            "/api/0/api-tokens/",
            &bearer,
            r#"{"scopes": ["read"]}"#
        ),
        403,
        "a read token changes nothing"
    );

    let out = ok(&server, &admin, &["keys", "add", "--label", "rotated"], "");
    let dsn = out
        .lines()
        .find_map(|line| line.strip_prefix("DSN: "))
        .unwrap();
    assert!(dsn.ends_with("/1"), "{out}");
    let out = ok(&server, &admin, &["keys", "revoke", &server.key], "");
    assert!(out.contains("Revoked"), "{out}");
    let out = ok(&server, &admin, &["keys", "list"], "");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().next().unwrap().contains("revoked"), "{out}");
    assert!(out.lines().nth(1).unwrap().contains("active"), "{out}");
    let ingest = status(
        &server,
        "POST",
        &format!("/api/1/envelope/?sentry_key={}", server.key),
        "",
        "{}\n",
    );
    assert_eq!(ingest, 403, "the revoked key is refused");
}
