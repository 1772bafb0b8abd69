//! The real `sightline` client against a running server: releases from a git repository the
//! test writes with libgit2 (several authors; files added, modified and deleted), deploys,
//! ownership and code mappings, and the errors a user gets.

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use git2::{Oid, Repository, Signature, Time};
use serde_json::{Value, json};
use support::running::RunningServer;

/// 2026-11-24T00:00:00Z, seconds.
const DAY0: i64 = 1_795_478_400;

/// Commits what `write` and `delete` describe as `author` at `DAY0 + minute` minutes.
fn commit(
    repo: &Repository,
    author: (&str, &str),
    minute: i64,
    message: &str,
    write: &[(&str, &str)],
    delete: &[&str],
) -> Oid {
    let root = repo.workdir().unwrap().to_owned();
    let mut index = repo.index().unwrap();
    for (path, content) in write {
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, content).unwrap();
        index.add_path(Path::new(path)).unwrap();
    }
    for path in delete {
        fs::remove_file(root.join(path)).unwrap();
        index.remove_path(Path::new(path)).unwrap();
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = Signature::new(author.0, author.1, &Time::new(DAY0 + minute * 60, 0)).unwrap();
    let parent = repo.head().ok().map(|head| head.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .unwrap()
}

/// Runs `sightline ARGS` against `server` with the token and URL from the environment.
fn sightline(server: &RunningServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .env("SIGHTLINE_URL", format!("http://{}", server.host))
        .env("SIGHTLINE_AUTH_TOKEN", &server.token)
        .env_remove("SIGHTLINE_PROJECT")
        .output()
        .unwrap()
}

/// Runs `sightline ARGS`, expects success; its standard output.
fn ok(server: &RunningServer, args: &[&str]) -> String {
    let output = sightline(server, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "sightline {args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs `sightline ARGS` (with `extra` environment), expects failure; its standard error.
fn fails(server: &RunningServer, args: &[&str], extra: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
    command
        .args(args)
        .env("SIGHTLINE_URL", format!("http://{}", server.host))
        .env("SIGHTLINE_AUTH_TOKEN", &server.token);
    for (name, value) in extra {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "sightline {args:?} should fail"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `(id, author, files)` of a release's stored commits, in order.
fn stored_commits(server: &RunningServer, version: &str) -> Vec<(String, String, Value)> {
    let (status, release) = server.get_json(&format!("/api/0/projects/1/releases/{version}/"));
    assert_eq!(status, 200, "{release}");
    release["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| {
            (
                commit["id"].as_str().unwrap().to_owned(),
                commit["author_name"].as_str().unwrap().to_owned(),
                commit["files"].clone(),
            )
        })
        .collect()
}

#[test]
fn releases_get_their_commits_from_git_and_their_deploys() {
    let server = RunningServer::start();
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let repo_path = dir.path().display().to_string();
    let first = commit(
        &repo,
        ("Ada Lovelace", "ada@example.com"),
        0,
        "shop: first checkout\n\nWith a body.",
        &[
            ("src/app.py", "app"),
            ("src/pay.py", "pay"),
            ("README.md", "shop"),
        ],
        &[],
    );

    let out = ok(&server, &["releases", "new", "shop@1"]);
    assert!(out.contains("Created release shop@1."), "{out}");
    let out = ok(&server, &["releases", "new", "shop@1"]);
    assert!(out.contains("already exists"), "{out}");
    let out = ok(
        &server,
        &[
            "releases",
            "set-commits",
            "shop@1",
            "--from-git",
            &repo_path,
        ],
    );
    assert!(out.contains("Set 1 commits on release shop@1"), "{out}");
    assert_eq!(
        stored_commits(&server, "shop@1"),
        [(
            first.to_string(),
            "Ada Lovelace".to_owned(),
            json!([
                {"path": "README.md", "type": "A"},
                {"path": "src/app.py", "type": "A"},
                {"path": "src/pay.py", "type": "A"},
            ])
        )]
    );

    let second = commit(
        &repo,
        ("Ben Okafor", "ben@example.com"),
        10,
        "payment: shorter timeout",
        &[("src/pay.py", "pay faster"), ("src/util.py", "util")],
        &[],
    );
    let third = commit(
        &repo,
        ("Chen Wei", "chen@example.com"),
        20,
        "cleanup",
        &[("README.md", "shop, cleaned")],
        &["src/util.py"],
    );
    // Without --since: everything after the newest commit of the release before it.
    ok(&server, &["releases", "new", "shop@2"]);
    let out = ok(
        &server,
        &[
            "releases",
            "set-commits",
            "shop@2",
            "--from-git",
            &repo_path,
        ],
    );
    assert!(
        out.contains("Set 2 commits on release shop@2 (since release shop@1"),
        "{out}"
    );
    assert!(
        out.contains("Ben Okafor: payment: shorter timeout"),
        "{out}"
    );
    let expected_second = (
        second.to_string(),
        "Ben Okafor".to_owned(),
        json!([{"path": "src/pay.py", "type": "M"}, {"path": "src/util.py", "type": "A"}]),
    );
    let expected_third = (
        third.to_string(),
        "Chen Wei".to_owned(),
        json!([{"path": "README.md", "type": "M"}, {"path": "src/util.py", "type": "D"}]),
    );
    assert_eq!(
        stored_commits(&server, "shop@2"),
        [expected_third.clone(), expected_second.clone()]
    );
    let (_, release) = server.get_json("/api/0/projects/1/releases/shop@2/");
    assert_eq!(release["commits"][1]["author_email"], "ben@example.com");
    assert_eq!(
        release["commits"][1]["timestamp"],
        "2026-11-24T00:10:00.000Z"
    );
    assert_eq!(release["commits"][1]["message"], "payment: shorter timeout");
    assert_eq!(release["last_commit"]["id"], third.to_string());

    // --since a git revision, then --since a release version: each replaces the list.
    ok(
        &server,
        &[
            "releases",
            "set-commits",
            "shop@2",
            "--from-git",
            &repo_path,
            "--since",
            "HEAD~1",
        ],
    );
    assert_eq!(
        stored_commits(&server, "shop@2"),
        std::slice::from_ref(&expected_third)
    );
    ok(
        &server,
        &[
            "releases",
            "set-commits",
            "shop@2",
            "--from-git",
            &repo_path,
            "--since",
            "shop@1",
        ],
    );
    assert_eq!(
        stored_commits(&server, "shop@2"),
        [expected_third, expected_second]
    );

    let out = ok(
        &server,
        &[
            "releases",
            "deploy",
            "shop@2",
            "--env",
            "production",
            "--name",
            "blue",
        ],
    );
    assert!(
        out.contains("Deployed release shop@2 to production."),
        "{out}"
    );
    let (_, release) = server.get_json("/api/0/projects/1/releases/shop@2/");
    assert_eq!(release["last_deploy"]["environment"], "production");
    assert_eq!(release["last_deploy"]["name"], "blue");

    let out = ok(&server, &["releases", "list"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("VERSION"), "{out}");
    assert!(lines[1].starts_with("shop@2"), "{out}");
    assert!(lines[1].contains("production"), "{out}");
    assert!(lines[2].starts_with("shop@1"), "{out}");
}

#[test]
fn ownership_and_code_mappings_are_uploaded() {
    let server = RunningServer::start();
    let dir = tempfile::tempdir().unwrap();
    let codeowners = dir.path().join("CODEOWNERS");
    fs::write(&codeowners, "/src/pay.py @acme/payments\n").unwrap();
    let rules = dir.path().join("rules.txt");
    fs::write(&rules, "url:*/checkout* #web\n").unwrap();
    let codeowners_arg = codeowners.display().to_string();
    let rules_arg = rules.display().to_string();

    let out = ok(
        &server,
        &["ownership", "set", "--codeowners", &codeowners_arg],
    );
    assert!(out.contains("Uploaded CODEOWNERS"), "{out}");
    ok(&server, &["ownership", "set", "--rules", &rules_arg]);
    let (_, ownership) = server.get_json("/api/0/projects/1/ownership/");
    assert_eq!(ownership["codeowners"], "/src/pay.py @acme/payments\n");
    assert_eq!(ownership["rules"], "url:*/checkout* #web\n");

    let out = ok(
        &server,
        &[
            "code-mappings",
            "add",
            "--stack-root",
            "/srv/app/",
            "--source-root",
            "",
        ],
    );
    assert!(out.contains("Added code mapping"), "{out}");
    let (_, mappings) = server.get_json("/api/0/projects/1/code-mappings/");
    assert_eq!(mappings[0]["stack_root"], "/srv/app/");
    assert_eq!(mappings[0]["source_root"], "");

    fs::write(&rules, "module:shop #web\n").unwrap();
    let error = fails(&server, &["ownership", "set", "--rules", &rules_arg], &[]);
    assert!(
        error.contains("400") && error.contains("rules line 1: unknown rule type \"module\""),
        "{error}"
    );
}

#[test]
fn failures_say_what_went_wrong() {
    let server = RunningServer::start();
    let not_a_repo = tempfile::tempdir().unwrap();
    let path = not_a_repo.path().display().to_string();

    let error = fails(
        &server,
        &["releases", "list"],
        &[("SIGHTLINE_AUTH_TOKEN", "wrong")],
    );
    assert!(error.contains("rejected the auth token (401)"), "{error}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let error = fails(&server, &["releases", "list", "--url", &url], &[]);
    assert!(
        error.contains("cannot reach the Sightline server"),
        "{error}"
    );

    let error = fails(
        &server,
        &["releases", "set-commits", "shop@1", "--from-git", &path],
        &[],
    );
    assert!(error.contains("is not a git repository"), "{error}");

    let repo = Repository::init(not_a_repo.path()).unwrap();
    let error = fails(
        &server,
        &["releases", "set-commits", "shop@1", "--from-git", &path],
        &[],
    );
    assert!(error.contains("has no commits yet"), "{error}");
    commit(
        &repo,
        ("Ada", "ada@example.com"),
        0,
        "one",
        &[("a.txt", "a")],
        &[],
    );
    let error = fails(
        &server,
        &[
            "releases",
            "set-commits",
            "shop@1",
            "--from-git",
            &path,
            "--since",
            "nope",
        ],
        &[],
    );
    assert!(error.contains("unknown revision \"nope\""), "{error}");

    let error = fails(
        &server,
        &["releases", "deploy", "shop@9", "--env", "production"],
        &[],
    );
    assert!(
        error.contains("404") && error.contains("release shop@9 not found"),
        "{error}"
    );

    let error = fails(
        &server,
        &["releases", "list"],
        &[("SIGHTLINE_PROJECT", "one")],
    );
    assert!(error.contains("invalid project \"one\""), "{error}");
}
