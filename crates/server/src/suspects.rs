//! Suspect commits: the commits of an issue's first releases that touched its in-app frames.
//!
//! A frame's file is compared with a commit's added or modified files (deleted files cannot
//! have raised the error) by path suffix at `/` boundaries, after code mappings turn the
//! frame's stack-trace path into a repository path: frame `/app/shop/payment.py` with the
//! mapping `/app/` → `src/` is `src/shop/payment.py`, and without a mapping it still matches
//! the file `shop/payment.py`. Commits are ranked by the position of the frame they touched
//! (the innermost in-app frame first), then by recency.
//!
//! ```
//! use sightline_server::store::releases::{ChangeKind, ChangedFile, Commit};
//! use sightline_server::suspects::{ReleaseCommit, rank_suspects};
//! use sightline_server::normalize::Frame;
//!
//! let frame = Frame {
//!     filename: Some("shop/payment.py".into()), abs_path: None, function: Some("charge".into()),
//!     module: Some("shop.payment".into()), lineno: Some(42), colno: None,
//!     pre_context: vec![], context_line: None, post_context: vec![], in_app: Some(true),
//!     vars: None,
//! };
//! let commit = |id: &str, path: &str, at: u64| ReleaseCommit {
//!     release: "shop@1.4.2".into(),
//!     commit: Commit {
//!         id: id.into(), repository: None, author_name: Some("Ada".into()),
//!         author_email: Some("ada@example.com".into()), message: "change".into(),
//!         timestamp_ms: at,
//!         files: vec![ChangedFile { path: path.into(), kind: ChangeKind::Modified }],
//!     },
//! };
//! let commits = [commit("a1", "README.md", 2), commit("b2", "src/shop/payment.py", 1)];
//! let suspects = rank_suspects(&[&frame], &[], &commits);
//! assert_eq!(suspects.len(), 1);
//! assert_eq!(suspects[0].id, "b2");
//! assert_eq!(suspects[0].path, "src/shop/payment.py");
//! ```

use serde::Serialize;

use crate::grouping::is_in_app;
use crate::normalize::{Frame, NormalizedEvent};
use crate::store::releases::{ChangeKind, CodeMapping, Commit};

/// Most suspect commits shown for one issue.
pub const MAX_SUSPECTS: usize = 3;
/// How many releases before an issue's first release are searched too.
pub const RELEASES_BEFORE_FIRST: usize = 2;
/// Most in-app frames of one event considered.
pub const MAX_FRAMES: usize = 64;

/// The frame a suspect commit touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectFrame {
    /// The frame's file as the SDK named it.
    pub filename: Option<String>,
    /// Its module.
    pub module: Option<String>,
    /// Its function.
    pub function: Option<String>,
    /// Its line.
    pub lineno: Option<u64>,
}

/// A commit suspected of causing an issue, as the issue API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectCommit {
    /// The commit id.
    pub id: String,
    /// Its message.
    pub message: String,
    /// Its author's name.
    pub author_name: Option<String>,
    /// Its author's email.
    pub author_email: Option<String>,
    /// When it was authored, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The same in ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The release whose commits it is in.
    pub release: String,
    /// Its repository, if known.
    pub repository: Option<String>,
    /// The changed file that matched the frame.
    pub path: String,
    /// The frame it matched.
    pub frame: SuspectFrame,
    /// 100 when it touched the innermost in-app frame, 10 less per frame further out (at
    /// least 10).
    pub score: u32,
}

/// A commit and the release it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseCommit {
    /// The release version.
    pub release: String,
    /// The commit.
    pub commit: Commit,
}

/// The paths under which a frame's file may appear in a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FramePaths {
    /// The repository path given by the longest matching code mapping, if one applies.
    pub mapped: Option<String>,
    /// The frame's `filename` and `abs_path`, without URL origin and leading `./` or `/`.
    pub raw: Vec<String>,
}

impl FramePaths {
    /// The paths of `frame` under the project's code mappings.
    pub fn of(frame: &Frame, mappings: &[CodeMapping]) -> Self {
        let sources: Vec<String> = [frame.abs_path.as_deref(), frame.filename.as_deref()]
            .into_iter()
            .flatten()
            .filter(|path| !path.is_empty())
            .map(|path| path.replace('\\', "/"))
            .collect();
        let mapped = mappings
            .iter()
            .filter(|mapping| !mapping.stack_root.is_empty())
            .filter_map(|mapping| {
                sources.iter().find_map(|source| {
                    let rest = source.strip_prefix(mapping.stack_root.as_str())?;
                    let root = mapping.source_root.trim_matches('/');
                    let rest = rest.trim_start_matches('/');
                    let path = if root.is_empty() {
                        rest.to_owned()
                    } else {
                        format!("{root}/{rest}")
                    };
                    Some((mapping.stack_root.len(), path))
                })
            })
            .max_by_key(|(root_len, _)| *root_len)
            .map(|(_, path)| path);
        let mut raw: Vec<String> = sources
            .iter()
            .map(|source| strip_origin(source))
            .map(|path| path.trim_start_matches("./").trim_start_matches('/'))
            .filter(|path| !path.is_empty())
            .map(str::to_owned)
            .collect();
        raw.dedup();
        Self { mapped, raw }
    }

    /// Whether repository file `path` is this frame's file: equal, or one ends with the other
    /// at a `/` boundary.
    pub fn matches_file(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        !path.is_empty()
            && self
                .mapped
                .iter()
                .chain(&self.raw)
                .any(|candidate| same_file(candidate, path))
    }
}

fn same_file(a: &str, b: &str) -> bool {
    let ends_with_at_boundary = |long: &str, short: &str| {
        long.len() > short.len()
            && long.ends_with(short)
            && long.as_bytes()[long.len() - short.len() - 1] == b'/'
    };
    a == b || ends_with_at_boundary(a, b) || ends_with_at_boundary(b, a)
}

/// `https://host/static/app.js` → `/static/app.js`; other paths unchanged.
fn strip_origin(path: &str) -> &str {
    match path.split_once("://") {
        Some((scheme, rest)) if !scheme.contains('/') => {
            rest.find('/').map_or("", |slash| &rest[slash..])
        }
        _ => path,
    }
}

/// The in-app frames of an event (by [`is_in_app`]), innermost first: the main exception's,
/// then the rest of the chain's, then a message's stack trace; at most [`MAX_FRAMES`].
pub fn in_app_frames(event: &NormalizedEvent) -> Vec<&Frame> {
    event
        .exception
        .iter()
        .rev()
        .filter_map(|exception| exception.stacktrace.as_ref())
        .chain(event.stacktrace.as_ref())
        .flat_map(|stacktrace| stacktrace.frames.iter().rev())
        .filter(|frame| is_in_app(frame))
        .take(MAX_FRAMES)
        .collect()
}

/// Ranks `commits` against `frames` (innermost first): each commit that added or modified a
/// frame's file, once, by its innermost such frame, then newest first; at most
/// [`MAX_SUSPECTS`].
pub fn rank_suspects(
    frames: &[&Frame],
    mappings: &[CodeMapping],
    commits: &[ReleaseCommit],
) -> Vec<SuspectCommit> {
    let paths: Vec<FramePaths> = frames
        .iter()
        .map(|frame| FramePaths::of(frame, mappings))
        .collect();
    let mut found: Vec<(usize, &ReleaseCommit, &str)> = Vec::new();
    for candidate in commits {
        if found
            .iter()
            .any(|(_, seen, _)| seen.commit.id == candidate.commit.id)
        {
            continue;
        }
        let best = paths.iter().enumerate().find_map(|(position, frame)| {
            candidate
                .commit
                .files
                .iter()
                .filter(|file| file.kind != ChangeKind::Deleted)
                .find(|file| frame.matches_file(&file.path))
                .map(|file| (position, file.path.as_str()))
        });
        if let Some((position, path)) = best {
            found.push((position, candidate, path));
        }
    }
    found.sort_by(|(a_position, a, _), (b_position, b, _)| {
        a_position
            .cmp(b_position)
            .then(b.commit.timestamp_ms.cmp(&a.commit.timestamp_ms))
    });
    found
        .into_iter()
        .take(MAX_SUSPECTS)
        .map(|(position, candidate, path)| {
            let frame = frames[position];
            let commit = &candidate.commit;
            SuspectCommit {
                id: commit.id.clone(),
                message: commit.message.clone(),
                author_name: commit.author_name.clone(),
                author_email: commit.author_email.clone(),
                timestamp: crate::timestamp::rfc3339_ms(commit.timestamp_ms).unwrap_or_default(),
                timestamp_ms: commit.timestamp_ms,
                release: candidate.release.clone(),
                repository: commit.repository.clone(),
                path: path.to_owned(),
                frame: SuspectFrame {
                    filename: frame.filename.clone(),
                    module: frame.module.clone(),
                    function: frame.function.clone(),
                    lineno: frame.lineno,
                },
                score: score(position),
            }
        })
        .collect()
}

fn score(position: usize) -> u32 {
    let position = u32::try_from(position).unwrap_or(u32::MAX);
    100u32.saturating_sub(position.saturating_mul(10)).max(10)
}

#[cfg(test)]
mod tests;
