//! The bodies the release endpoints accept, parsed and bounded into store types.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AppError;
use crate::store::releases::{
    ChangedFile, Commit, MAX_COMMITS_PER_RELEASE, MAX_FILES_PER_COMMIT, NewDeploy,
};
use crate::summary::MAX_TIMESTAMP_MS;

/// Longest release version accepted, in characters.
pub const MAX_VERSION_CHARS: usize = 200;
/// Longest commit id accepted, in characters.
pub const MAX_COMMIT_ID_CHARS: usize = 100;
/// Longest commit message kept, in characters (longer ones are cut).
pub const MAX_COMMIT_MESSAGE_CHARS: usize = 8_192;
/// Longest file path, repository, author, environment or deploy name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 1_024;

/// `POST …/releases/`.
#[derive(Debug, Deserialize)]
pub(super) struct NewReleaseBody {
    pub version: String,
    #[serde(default)]
    pub date_created: Option<Value>,
}

/// `POST …/releases/{version}/commits/`.
#[derive(Debug, Deserialize)]
pub(super) struct CommitsBody {
    pub commits: Vec<CommitBody>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommitBody {
    id: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_email: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default)]
    files: Vec<ChangedFile>,
}

/// `POST …/releases/{version}/deploys/`.
#[derive(Debug, Deserialize)]
pub(super) struct DeployBody {
    environment: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    date_started: Option<Value>,
    #[serde(default)]
    date_finished: Option<Value>,
}

/// Parses a JSON body, answering 400 with serde's description of what is wrong.
pub(super) fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|error| AppError::BadRequest(format!("invalid {what} body: {error}")))
}

/// A release version: 1 to [`MAX_VERSION_CHARS`] characters, no `/`, whitespace or control
/// characters, not `.` or `..` (it is a URL path segment).
pub(super) fn check_version(version: &str) -> Result<(), AppError> {
    let bad =
        |why: &str| AppError::BadRequest(format!("invalid release version {version:?}: {why}"));
    if version.is_empty() {
        return Err(bad("empty"));
    }
    if version.chars().count() > MAX_VERSION_CHARS {
        return Err(bad(&format!("longer than {MAX_VERSION_CHARS} characters")));
    }
    if version == "." || version == ".." {
        return Err(bad("not a name"));
    }
    if version
        .chars()
        .any(|c| c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(bad("contains '/', whitespace or a control character"));
    }
    Ok(())
}

/// A time given as RFC 3339 text or ms since the Unix epoch.
pub(super) fn time_ms(value: &Value, field: &str) -> Result<u64, AppError> {
    let bad = || {
        AppError::BadRequest(format!(
            "{field} must be an RFC 3339 time or ms since the Unix epoch, not {value}"
        ))
    };
    let ms = match value {
        Value::Number(number) => number
            .as_u64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .map(|ms| ms as u64)
            })
            .ok_or_else(bad)?,
        Value::String(text) => {
            let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())?;
            u64::try_from(time.unix_timestamp_nanos() / 1_000_000).map_err(|_| bad())?
        }
        _ => return Err(bad()),
    };
    if ms > MAX_TIMESTAMP_MS {
        return Err(bad());
    }
    Ok(ms)
}

fn optional_time(value: Option<&Value>, field: &str) -> Result<Option<u64>, AppError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => time_ms(value, field).map(Some),
    }
}

/// The creation time of a new release: `date_created` or now.
pub(super) fn created_at(body: &NewReleaseBody, now_ms: u64) -> Result<u64, AppError> {
    Ok(optional_time(body.date_created.as_ref(), "date_created")?.unwrap_or(now_ms))
}

fn bounded_text(
    text: Option<String>,
    field: &str,
    limit: usize,
) -> Result<Option<String>, AppError> {
    match text {
        Some(text) if text.chars().count() > limit => Err(AppError::BadRequest(format!(
            "{field} is longer than {limit} characters"
        ))),
        Some(text) if text.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// The commits of a set-commits body, checked against the limits.
pub(super) fn commits(body: CommitsBody, now_ms: u64) -> Result<Vec<Commit>, AppError> {
    if body.commits.len() > MAX_COMMITS_PER_RELEASE {
        return Err(AppError::BadRequest(format!(
            "{} commits; a release holds at most {MAX_COMMITS_PER_RELEASE} \
             (MAX_COMMITS_PER_RELEASE)",
            body.commits.len()
        )));
    }
    body.commits
        .into_iter()
        .enumerate()
        .map(|(index, commit)| {
            let field = |name: &str| format!("commits[{index}].{name}");
            let id = commit.id.trim().to_owned();
            if id.is_empty() || id.chars().count() > MAX_COMMIT_ID_CHARS {
                return Err(AppError::BadRequest(format!(
                    "{} must be 1 to {MAX_COMMIT_ID_CHARS} characters",
                    field("id")
                )));
            }
            if commit.files.len() > MAX_FILES_PER_COMMIT {
                return Err(AppError::BadRequest(format!(
                    "{} lists {} files; the limit is {MAX_FILES_PER_COMMIT} \
                     (MAX_FILES_PER_COMMIT)",
                    field("files"),
                    commit.files.len()
                )));
            }
            for (position, file) in commit.files.iter().enumerate() {
                let path = file.path.trim();
                if path.is_empty() || path.chars().count() > MAX_NAME_CHARS {
                    return Err(AppError::BadRequest(format!(
                        "{} must be 1 to {MAX_NAME_CHARS} characters",
                        field(&format!("files[{position}].path"))
                    )));
                }
            }
            let message: String = commit
                .message
                .unwrap_or_default()
                .chars()
                .take(MAX_COMMIT_MESSAGE_CHARS)
                .collect();
            Ok(Commit {
                id,
                repository: bounded_text(commit.repository, &field("repository"), MAX_NAME_CHARS)?,
                author_name: bounded_text(
                    commit.author_name,
                    &field("author_name"),
                    MAX_NAME_CHARS,
                )?,
                author_email: bounded_text(
                    commit.author_email,
                    &field("author_email"),
                    MAX_NAME_CHARS,
                )?,
                message,
                timestamp_ms: optional_time(commit.timestamp.as_ref(), &field("timestamp"))?
                    .unwrap_or(now_ms),
                files: commit.files,
            })
        })
        .collect()
}

/// The deploy of a deploy body; it finished now unless `date_finished` says otherwise.
pub(super) fn deploy(body: DeployBody, now_ms: u64) -> Result<NewDeploy, AppError> {
    let environment = body.environment.trim().to_owned();
    if environment.is_empty() || environment.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "environment must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(NewDeploy {
        environment,
        name: bounded_text(body.name, "name", MAX_NAME_CHARS)?,
        started_at_ms: optional_time(body.date_started.as_ref(), "date_started")?,
        finished_at_ms: optional_time(body.date_finished.as_ref(), "date_finished")?
            .unwrap_or(now_ms),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_are_rfc3339_or_ms() {
        assert_eq!(
            time_ms(&json!("2026-11-26T06:08:56.123Z"), "t").unwrap(),
            1_795_673_336_123
        );
        assert_eq!(
            time_ms(&json!(1_795_673_336_123u64), "t").unwrap(),
            1_795_673_336_123
        );
        let error = time_ms(&json!("yesterday"), "commits[2].timestamp").unwrap_err();
        assert!(
            error.to_string().contains("commits[2].timestamp"),
            "{error}"
        );
    }

    #[test]
    fn versions_must_be_path_segments() {
        assert!(check_version("shop@1.4.2").is_ok());
        for bad in ["", "a/b", "two words", "..", &"x".repeat(201)] {
            assert!(check_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commit_limits_name_the_commit() {
        let files: Vec<_> = (0..=MAX_FILES_PER_COMMIT)
            .map(|n| json!({"path": format!("f{n}"), "type": "A"}))
            .collect();
        let body: CommitsBody = serde_json::from_value(json!({"commits": [
            {"id": "a1", "timestamp": 5},
            {"id": "b2", "files": files},
        ]}))
        .unwrap();
        let error = commits(body, 0).unwrap_err();
        assert!(error.to_string().contains("commits[1].files"), "{error}");
    }
}
