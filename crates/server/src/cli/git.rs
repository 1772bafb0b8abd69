//! Reading a local git history with libgit2: the commits since a revision, each with the files
//! it added, modified or deleted relative to its first parent.

use std::path::Path;

use git2::{Delta, Oid, Repository, Sort};
use serde_json::{Value, json};

use super::CliError;
use crate::store::releases::MAX_FILES_PER_COMMIT;

/// One commit as set-commits uploads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    /// Full hash.
    pub id: String,
    /// Author's name.
    pub author_name: Option<String>,
    /// Author's email.
    pub author_email: Option<String>,
    /// The whole message, trimmed.
    pub message: String,
    /// Author time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// `(path, "A" | "M" | "D")`, at most [`MAX_FILES_PER_COMMIT`].
    pub files: Vec<(String, &'static str)>,
}

impl GitCommit {
    /// The commit as the set-commits API takes it.
    pub fn to_json(&self, repository: Option<&str>) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|(path, kind)| json!({"path": path, "type": kind}))
            .collect();
        json!({
            "id": self.id,
            "repository": repository,
            "author_name": self.author_name,
            "author_email": self.author_email,
            "message": self.message,
            "timestamp": self.timestamp_ms,
            "files": files,
        })
    }

    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }
}

/// Opens the repository that holds `path`.
///
/// # Errors
/// [`CliError::NotARepository`].
pub fn open(path: &Path) -> Result<Repository, CliError> {
    Repository::discover(path).map_err(|error| CliError::NotARepository {
        path: path.to_owned(),
        reason: error.message().to_owned(),
    })
}

/// The commit `revision` names (a hash, branch, tag, `HEAD~2` …), if any.
pub fn resolve(repository: &Repository, revision: &str) -> Option<Oid> {
    repository
        .revparse_single(revision)
        .and_then(|object| object.peel_to_commit())
        .ok()
        .map(|commit| commit.id())
}

/// A name for the repository: its `origin` remote's last path segment without `.git`, else
/// its directory's name.
pub fn repository_name(repository: &Repository) -> Option<String> {
    let from_remote = repository.find_remote("origin").ok().and_then(|remote| {
        let url = remote.url()?.trim_end_matches('/').trim_end_matches(".git");
        let name = url.rsplit(['/', ':']).next()?;
        (!name.is_empty()).then(|| name.to_owned())
    });
    from_remote.or_else(|| {
        let directory = repository.workdir().unwrap_or_else(|| repository.path());
        directory
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
    })
}

/// The commits reachable from `HEAD` and not from `since`, newest first, at most `limit`;
/// whether more were left out.
///
/// # Errors
/// [`CliError::Git`] when the history cannot be read (an empty repository included).
pub fn history(
    repository: &Repository,
    since: Option<Oid>,
    limit: usize,
) -> Result<(Vec<GitCommit>, bool), CliError> {
    let head = repository.head()?.peel_to_commit()?;
    let mut walk = repository.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(head.id())?;
    if let Some(since) = since {
        walk.hide(since)?;
    }
    let mut commits = Vec::new();
    for oid in walk {
        if commits.len() == limit {
            return Ok((commits, true));
        }
        commits.push(read_commit(repository, oid?)?);
    }
    Ok((commits, false))
}

fn read_commit(repository: &Repository, oid: Oid) -> Result<GitCommit, CliError> {
    let commit = repository.find_commit(oid)?;
    let tree = commit.tree()?;
    let parent_tree = match commit.parents().next() {
        Some(parent) => Some(parent.tree()?),
        None => None,
    };
    let diff = repository.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
    let mut files = Vec::new();
    for delta in diff.deltas() {
        let path = |file: git2::DiffFile<'_>| {
            file.path()
                .map(|path| path.to_string_lossy().replace('\\', "/"))
        };
        let changes: Vec<(Option<String>, &'static str)> = match delta.status() {
            Delta::Added | Delta::Copied => vec![(path(delta.new_file()), "A")],
            Delta::Deleted => vec![(path(delta.old_file()), "D")],
            Delta::Modified | Delta::Typechange => vec![(path(delta.new_file()), "M")],
            Delta::Renamed => vec![(path(delta.old_file()), "D"), (path(delta.new_file()), "A")],
            _ => Vec::new(),
        };
        files.extend(
            changes
                .into_iter()
                .filter_map(|(path, kind)| Some((path?, kind))),
        );
        if files.len() >= MAX_FILES_PER_COMMIT {
            files.truncate(MAX_FILES_PER_COMMIT);
            break;
        }
    }
    let author = commit.author();
    let text = |value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    Ok(GitCommit {
        id: oid.to_string(),
        author_name: text(author.name()),
        author_email: text(author.email()),
        message: String::from_utf8_lossy(commit.message_bytes())
            .trim()
            .to_owned(),
        timestamp_ms: u64::try_from(author.when().seconds())
            .unwrap_or(0)
            .saturating_mul(1000),
        files,
    })
}
