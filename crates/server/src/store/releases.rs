//! Releases, their commits and deploys; code mappings and ownership rules of a project.
//!
//! A release is created by the API or CLI, or by the first event that names it; its stats
//! (new issues, regressions, events, sessions) are computed when read. Commits are replaced as
//! a whole (set-commits); deploys are appended.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::suspects::SuspectCommit;

/// Most commits one release may hold.
pub const MAX_COMMITS_PER_RELEASE: usize = 10_000;
/// Most changed files one commit may list.
pub const MAX_FILES_PER_COMMIT: usize = 1_000;

/// How a commit changed a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// Added.
    #[serde(rename = "A")]
    Added,
    /// Modified.
    #[serde(rename = "M")]
    Modified,
    /// Deleted.
    #[serde(rename = "D")]
    Deleted,
}

/// One file a commit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    /// Repository path, such as `shop/payment.py`.
    pub path: String,
    /// `A`, `M` or `D`.
    #[serde(rename = "type")]
    pub kind: ChangeKind,
}

/// A commit of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The commit id (hash).
    pub id: String,
    /// The repository's name, if known.
    pub repository: Option<String>,
    /// The author's name.
    pub author_name: Option<String>,
    /// The author's email.
    pub author_email: Option<String>,
    /// The commit message.
    pub message: String,
    /// When it was authored, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The files it changed.
    pub files: Vec<ChangedFile>,
}

/// A deploy of a release to an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// Row id.
    pub id: u64,
    /// The release deployed.
    pub version: String,
    /// The environment, such as `production`.
    pub environment: String,
    /// A name for the deploy, if given.
    pub name: Option<String>,
    /// When it started, ms since the Unix epoch, if known.
    pub started_at_ms: Option<u64>,
    /// When it finished, ms since the Unix epoch.
    pub finished_at_ms: u64,
}

/// A deploy to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeploy {
    /// The environment.
    pub environment: String,
    /// A name for the deploy, if any.
    pub name: Option<String>,
    /// When it started, if known.
    pub started_at_ms: Option<u64>,
    /// When it finished.
    pub finished_at_ms: u64,
}

/// A release with the stats computed when it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The project.
    pub project_id: u64,
    /// The version string, such as `shop@1.4.2`.
    pub version: String,
    /// When it was created, ms since the Unix epoch.
    pub created_at_ms: u64,
    /// Number of commits set on it.
    pub commit_count: u64,
    /// Its newest commit (by timestamp), if any.
    pub last_commit: Option<Commit>,
    /// Its deploys, newest first.
    pub deploys: Vec<Deploy>,
    /// Issues first seen in it.
    pub new_issue_count: u64,
    /// Issues that regressed with an event of it.
    pub regression_count: u64,
    /// Grouped events of it.
    pub event_count: u64,
    /// Replays (sessions) recorded on it.
    pub session_count: u64,
    /// Of those, replays with no JS error and no linked backend event.
    pub crash_free_session_count: u64,
    /// Its first event, ms since the Unix epoch.
    pub first_event_ms: Option<u64>,
    /// Its last event, ms since the Unix epoch.
    pub last_event_ms: Option<u64>,
}

/// A short view of an issue, as a release page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLite {
    /// Issue id.
    pub id: u64,
    /// Its title.
    pub title: String,
    /// Its culprit, if any.
    pub culprit: Option<String>,
    /// Its event count.
    pub count: u64,
    /// Its status.
    pub status: String,
}

/// A release with what its page shows besides the stats.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseDetails {
    /// The release and its stats.
    pub release: Release,
    /// Issues first seen in it.
    pub new_issues: Vec<IssueLite>,
    /// Issues that regressed in it.
    pub regressed_issues: Vec<IssueLite>,
    /// Its commits, in the order they were set (newest first from the CLI).
    pub commits: Vec<Commit>,
}

/// A code mapping: frames whose path starts with `stack_root` stand for the repository path
/// `source_root` + the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeMapping {
    /// Row id.
    pub id: u64,
    /// A prefix of stack-trace paths, such as `/app/`.
    pub stack_root: String,
    /// The repository path it stands for, such as `src/` (may be empty: the repository root).
    pub source_root: String,
}

/// A project's ownership rules and `CODEOWNERS` text, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnershipText {
    /// Ownership rules (`path:`, `url:`, `tags.NAME:` lines).
    pub rules: String,
    /// The `CODEOWNERS` file.
    pub codeowners: String,
    /// When it was last changed, ms since the Unix epoch (0 when never set).
    pub updated_at_ms: u64,
}

/// Release, commit, deploy, code-mapping and ownership storage.
pub trait ReleaseStore {
    /// Creates release `version` unless it exists; the release and whether it was created.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn create_release(
        &self,
        project_id: u64,
        version: &str,
        created_at_ms: u64,
    ) -> Result<(Release, bool), StoreError>;

    /// A project's releases with their stats, newest first.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn releases(&self, project_id: u64) -> Result<Vec<Release>, StoreError>;

    /// One release with its issues and commits; `None` when unknown.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn release_details(
        &self,
        project_id: u64,
        version: &str,
    ) -> Result<Option<ReleaseDetails>, StoreError>;

    /// Replaces the commits of release `version` (in one transaction); the number stored, or
    /// `None` when the release is unknown.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn set_release_commits(
        &self,
        project_id: u64,
        version: &str,
        commits: &[Commit],
    ) -> Result<Option<u64>, StoreError>;

    /// Records a deploy of release `version`; `None` when the release is unknown.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn add_deploy(
        &self,
        project_id: u64,
        version: &str,
        deploy: &NewDeploy,
    ) -> Result<Option<Deploy>, StoreError>;

    /// A project's ownership rules and `CODEOWNERS` (empty when never set).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn ownership(&self, project_id: u64) -> Result<OwnershipText, StoreError>;

    /// Replaces a project's ownership rules and `CODEOWNERS`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn set_ownership(&self, project_id: u64, ownership: &OwnershipText) -> Result<(), StoreError>;

    /// A project's code mappings, by id.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn code_mappings(&self, project_id: u64) -> Result<Vec<CodeMapping>, StoreError>;

    /// Adds a code mapping, or changes the source root of the one with the same stack root;
    /// the mapping and whether it is new.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn put_code_mapping(
        &self,
        project_id: u64,
        stack_root: &str,
        source_root: &str,
    ) -> Result<(CodeMapping, bool), StoreError>;

    /// Deletes a code mapping; whether it existed.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn delete_code_mapping(&self, project_id: u64, id: u64) -> Result<bool, StoreError>;

    /// The suspect commits of an issue, best first (at most
    /// [`MAX_SUSPECTS`](crate::suspects::MAX_SUSPECTS)): commits of its first release and the
    /// two releases before it that changed a file of an in-app frame of its latest event.
    /// Empty when the issue is unknown or has no release.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn suspect_commits(
        &self,
        project_id: u64,
        issue_id: u64,
    ) -> Result<Vec<SuspectCommit>, StoreError>;

    /// The suspect commits of each of `issue_ids` (in that order), as
    /// [`suspect_commits`](ReleaseStore::suspect_commits) answers them one by one, each
    /// release's commits read once for all of them (the issue list).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn suspect_commits_of(
        &self,
        project_id: u64,
        issue_ids: &[u64],
    ) -> Result<Vec<Vec<SuspectCommit>>, StoreError>;
}
