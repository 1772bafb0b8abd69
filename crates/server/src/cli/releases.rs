//! `sightline releases new | set-commits | deploy | list`.

use std::io::Write;
use std::path::Path;

use git2::{Oid, Repository};
use serde_json::{Value, json};

use super::client::path_segment;
use super::{ApiClient, CliError, git};
use crate::store::releases::MAX_COMMITS_PER_RELEASE;

/// Commits read when the server knows no previous release to stop at.
pub const MAX_COMMITS_WITHOUT_PREVIOUS: usize = 1_000;

fn release_path(client: &ApiClient, version: &str) -> String {
    client.project_path(&format!("releases/{}/", path_segment(version)))
}

/// Creates release `version` unless it exists.
pub(super) fn create(
    client: &ApiClient,
    version: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (status, _) = ensure_release(client, version)?;
    if status == 201 {
        writeln!(out, "Created release {version}.")?;
    } else {
        writeln!(out, "Release {version} already exists.")?;
    }
    Ok(())
}

fn ensure_release(client: &ApiClient, version: &str) -> Result<(u16, Value), CliError> {
    client.post(
        &client.project_path("releases/"),
        &json!({ "version": version }),
    )
}

/// Where set-commits starts: the commit to stop at and what it was found from.
struct Since {
    oid: Oid,
    description: String,
}

/// Sets the commits of `version` from the repository at `path`.
pub(super) fn set_commits(
    client: &ApiClient,
    version: &str,
    path: &Path,
    since: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let repository = git::open(path)?;
    ensure_release(client, version)?;
    let since = match since {
        Some(revision) => Some(named_since(client, &repository, path, revision)?),
        None => previous_release(client, &repository, version)?,
    };
    let limit = if since.is_some() {
        MAX_COMMITS_PER_RELEASE
    } else {
        MAX_COMMITS_WITHOUT_PREVIOUS
    };
    let (commits, truncated) = git::history(&repository, since.as_ref().map(|s| s.oid), limit)
        .map_err(|error| match error {
            CliError::Git(error) if error.code() == git2::ErrorCode::UnbornBranch => {
                CliError::NoCommits(path.to_owned())
            }
            other => other,
        })?;
    let name = git::repository_name(&repository);
    let body = json!({
        "commits": commits
            .iter()
            .map(|commit| commit.to_json(name.as_deref()))
            .collect::<Vec<_>>(),
    });
    let (_, answer) = client.post(&format!("{}commits/", release_path(client, version)), &body)?;
    let count = answer["commit_count"].as_u64().unwrap_or_default();
    let origin = since.map_or_else(
        || "from the start of the history".to_owned(),
        |since| format!("since {}", since.description),
    );
    writeln!(out, "Set {count} commits on release {version} ({origin}).")?;
    if truncated {
        writeln!(
            out,
            "Only the newest {limit} commits were read; pass --since to choose where to start."
        )?;
    }
    for commit in &commits {
        let short = commit.id.get(..7).unwrap_or(&commit.id);
        let author = commit.author_name.as_deref().unwrap_or("unknown author");
        let files = match commit.files.len() {
            1 => "1 file".to_owned(),
            count => format!("{count} files"),
        };
        writeln!(out, "  {short} {author}: {} ({files})", commit.summary())?;
    }
    Ok(())
}

/// `--since REVISION`: a revision of the repository, else a release on the server.
fn named_since(
    client: &ApiClient,
    repository: &Repository,
    path: &Path,
    revision: &str,
) -> Result<Since, CliError> {
    if let Some(oid) = git::resolve(repository, revision) {
        return Ok(Since {
            oid,
            description: format!("{revision} ({})", short(oid)),
        });
    }
    let unknown = || CliError::UnknownRevision {
        revision: revision.to_owned(),
        path: path.to_owned(),
    };
    let release = client
        .get_optional(&release_path(client, revision))?
        .ok_or_else(unknown)?;
    let newest = release["last_commit"]["id"]
        .as_str()
        .ok_or_else(|| CliError::Server {
            status: 200,
            what: format!("GET {}", release_path(client, revision)),
            message: format!("release {revision} has no commits to start from"),
        })?;
    let oid = git::resolve(repository, newest).ok_or_else(|| CliError::UnknownRevision {
        revision: format!("{newest} (the newest commit of release {revision})"),
        path: path.to_owned(),
    })?;
    Ok(Since {
        oid,
        description: format!("release {revision} ({})", short(oid)),
    })
}

/// The newest commit of the release before `version` on the server that this repository has.
fn previous_release(
    client: &ApiClient,
    repository: &Repository,
    version: &str,
) -> Result<Option<Since>, CliError> {
    let releases = client.get(&client.project_path("releases/"))?;
    let releases = releases.as_array().cloned().unwrap_or_default();
    // Newest first: the ones after `version` in the list came before it.
    let older = releases
        .iter()
        .position(|release| release["version"] == version)
        .map_or(&releases[..], |index| &releases[index + 1..]);
    Ok(older.iter().find_map(|release| {
        let newest = release["last_commit"]["id"].as_str()?;
        let oid = git::resolve(repository, newest)?;
        let name = release["version"].as_str().unwrap_or_default();
        Some(Since {
            oid,
            description: format!("release {name} ({})", short(oid)),
        })
    }))
}

fn short(oid: Oid) -> String {
    oid.to_string().chars().take(7).collect()
}

/// Records a deploy of `version` to `environment`.
pub(super) fn deploy(
    client: &ApiClient,
    version: &str,
    environment: &str,
    name: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    client.post(
        &format!("{}deploys/", release_path(client, version)),
        &json!({ "environment": environment, "name": name }),
    )?;
    writeln!(out, "Deployed release {version} to {environment}.")?;
    Ok(())
}

/// Lists the project's releases.
pub(super) fn list(client: &ApiClient, out: &mut dyn Write) -> Result<(), CliError> {
    let releases = client.get(&client.project_path("releases/"))?;
    let releases = releases.as_array().cloned().unwrap_or_default();
    if releases.is_empty() {
        writeln!(out, "No releases.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<32} {:<24} {:>7} {:>10} {:>7} {:>10}  LAST DEPLOY",
        "VERSION", "CREATED", "COMMITS", "NEW ISSUES", "EVENTS", "CRASH-FREE"
    )?;
    for release in &releases {
        let number = |key: &str| release[key].as_u64().unwrap_or_default();
        let crash_free = release["crash_free_sessions"]
            .as_f64()
            .map_or_else(|| "-".to_owned(), |rate| format!("{:.1}%", rate * 100.0));
        let deploy = &release["last_deploy"];
        let last_deploy = deploy["environment"].as_str().map_or_else(
            || "-".to_owned(),
            |environment| {
                format!(
                    "{environment} {}",
                    deploy["date_finished"].as_str().unwrap_or_default()
                )
            },
        );
        writeln!(
            out,
            "{:<32} {:<24} {:>7} {:>10} {:>7} {:>10}  {last_deploy}",
            release["version"].as_str().unwrap_or_default(),
            release["created_at"].as_str().unwrap_or_default(),
            number("commit_count"),
            number("new_issue_count"),
            number("event_count"),
            crash_free,
        )?;
    }
    Ok(())
}
