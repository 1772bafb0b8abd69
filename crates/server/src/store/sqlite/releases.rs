//! The SQL behind releases, commits, deploys, code mappings and ownership rules.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use super::event_rows::json_column;
use crate::normalize::NormalizedEvent;
use crate::ownership::{OwnerMatch, Ownership, OwnershipSubject};
use crate::store::releases::{
    ChangedFile, CodeMapping, Commit, Deploy, IssueLite, NewDeploy, OwnershipText, Release,
    ReleaseDetails,
};
use crate::store::{ReleaseStore, StoreError};
use crate::suspects::{FramePaths, ReleaseCommit, SuspectCommit, in_app_frames, rank_suspects};

/// Most issues a release page lists per kind (new, regressed).
const MAX_RELEASE_ISSUES: usize = 100;

mod suspect_index;

const COMMIT_COLUMNS: &str =
    "id, repository, author_name, author_email, message, timestamp_ms, files";

impl ReleaseStore for SqliteStore {
    fn create_release(
        &self,
        project_id: u64,
        version: &str,
        created_at_ms: u64,
    ) -> Result<(Release, bool), StoreError> {
        let connection = self.connection();
        let created = connection
            .prepare_cached(
                "INSERT OR IGNORE INTO releases (project_id, version, created_at_ms) \
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![project_id, version, created_at_ms])?
            > 0;
        let release = load_release(&connection, project_id, version)?.ok_or_else(|| {
            StoreError::Corrupt(format!("release {version} vanished after its insert"))
        })?;
        Ok((release, created))
    }

    fn releases(&self, project_id: u64) -> Result<Vec<Release>, StoreError> {
        let connection = self.connection();
        let rows: Vec<(String, u64)> = connection
            .prepare_cached(
                "SELECT version, created_at_ms FROM releases WHERE project_id = ?1 \
                 ORDER BY created_at_ms DESC, rowid DESC",
            )?
            .query_map([project_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(version, created_at_ms)| {
                release_stats(&connection, project_id, version, created_at_ms)
            })
            .collect()
    }

    fn release_details(
        &self,
        project_id: u64,
        version: &str,
    ) -> Result<Option<ReleaseDetails>, StoreError> {
        let connection = self.connection();
        let Some(release) = load_release(&connection, project_id, version)? else {
            return Ok(None);
        };
        let commits = connection
            .prepare_cached(&format!(
                "SELECT {COMMIT_COLUMNS} FROM release_commits \
                 WHERE project_id = ?1 AND version = ?2 ORDER BY position"
            ))?
            .query_map(params![project_id, version], commit_row)?
            .collect::<Result<_, _>>()?;
        Ok(Some(ReleaseDetails {
            new_issues: release_issues(&connection, project_id, version, "created")?,
            regressed_issues: release_issues(&connection, project_id, version, "regressed")?,
            commits,
            release,
        }))
    }

    fn set_release_commits(
        &self,
        project_id: u64,
        version: &str,
        commits: &[Commit],
    ) -> Result<Option<u64>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !release_exists(&tx, project_id, version)? {
            return Ok(None);
        }
        tx.execute(
            "DELETE FROM release_commits WHERE project_id = ?1 AND version = ?2",
            params![project_id, version],
        )?;
        let mut stored = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO release_commits (project_id, version, position, id, \
                 repository, author_name, author_email, message, timestamp_ms, files) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (position, commit) in commits.iter().enumerate() {
                let files = serde_json::to_string(&commit.files)
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
                stored += insert.execute(params![
                    project_id,
                    version,
                    position,
                    commit.id,
                    commit.repository,
                    commit.author_name,
                    commit.author_email,
                    commit.message,
                    commit.timestamp_ms,
                    files,
                ])?;
            }
        }
        tx.commit()?;
        Ok(Some(u64::try_from(stored).unwrap_or(u64::MAX)))
    }

    fn add_deploy(
        &self,
        project_id: u64,
        version: &str,
        deploy: &NewDeploy,
    ) -> Result<Option<Deploy>, StoreError> {
        let connection = self.connection();
        if !release_exists(&connection, project_id, version)? {
            return Ok(None);
        }
        connection
            .prepare_cached(
                "INSERT INTO deploys (project_id, version, environment, name, started_at_ms, \
                 finished_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                project_id,
                version,
                deploy.environment,
                deploy.name,
                deploy.started_at_ms,
                deploy.finished_at_ms,
            ])?;
        let id = u64::try_from(connection.last_insert_rowid())
            .map_err(|error| StoreError::Corrupt(format!("deploy id: {error}")))?;
        Ok(Some(Deploy {
            id,
            version: version.to_owned(),
            environment: deploy.environment.clone(),
            name: deploy.name.clone(),
            started_at_ms: deploy.started_at_ms,
            finished_at_ms: deploy.finished_at_ms,
        }))
    }

    fn ownership(&self, project_id: u64) -> Result<OwnershipText, StoreError> {
        let connection = self.connection();
        Ok(stored_ownership(&connection, project_id)?.unwrap_or_default())
    }

    fn set_ownership(&self, project_id: u64, ownership: &OwnershipText) -> Result<(), StoreError> {
        let connection = self.connection();
        connection
            .prepare_cached(
                "INSERT INTO project_ownership (project_id, rules, codeowners, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (project_id) DO UPDATE SET \
                 rules = excluded.rules, codeowners = excluded.codeowners, \
                 updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![
                project_id,
                ownership.rules,
                ownership.codeowners,
                ownership.updated_at_ms,
            ])?;
        Ok(())
    }

    fn code_mappings(&self, project_id: u64) -> Result<Vec<CodeMapping>, StoreError> {
        project_code_mappings(&self.connection(), project_id)
    }

    fn put_code_mapping(
        &self,
        project_id: u64,
        stack_root: &str,
        source_root: &str,
    ) -> Result<(CodeMapping, bool), StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<u64> = tx
            .query_row(
                "SELECT id FROM code_mappings WHERE project_id = ?1 AND stack_root = ?2",
                params![project_id, stack_root],
                |row| row.get(0),
            )
            .optional()?;
        let id = if let Some(id) = existing {
            tx.execute(
                "UPDATE code_mappings SET source_root = ?2 WHERE id = ?1",
                params![id, source_root],
            )?;
            id
        } else {
            tx.execute(
                "INSERT INTO code_mappings (project_id, stack_root, source_root) \
                 VALUES (?1, ?2, ?3)",
                params![project_id, stack_root, source_root],
            )?;
            u64::try_from(tx.last_insert_rowid())
                .map_err(|error| StoreError::Corrupt(format!("code mapping id: {error}")))?
        };
        tx.commit()?;
        let mapping = CodeMapping {
            id,
            stack_root: stack_root.to_owned(),
            source_root: source_root.to_owned(),
        };
        Ok((mapping, existing.is_none()))
    }

    fn delete_code_mapping(&self, project_id: u64, id: u64) -> Result<bool, StoreError> {
        let connection = self.connection();
        Ok(connection.execute(
            "DELETE FROM code_mappings WHERE project_id = ?1 AND id = ?2",
            params![project_id, id],
        )? > 0)
    }

    fn suspect_commits(
        &self,
        project_id: u64,
        issue_id: u64,
    ) -> Result<Vec<SuspectCommit>, StoreError> {
        let connection = self.connection();
        let Some(subject) = suspect_index::subject(&connection, project_id, issue_id)? else {
            return Ok(Vec::new());
        };
        let frames = in_app_frames(&subject.event);
        if frames.is_empty() {
            return Ok(Vec::new());
        }
        let mappings = project_code_mappings(&connection, project_id)?;
        let names = file_names(&frames, &mappings);
        let versions = subject.versions;
        let mut commits = Vec::new();
        let mut statement = connection.prepare_cached(&format!(
            "SELECT {COMMIT_COLUMNS} FROM release_commits \
             WHERE project_id = ?1 AND version = ?2 ORDER BY position"
        ))?;
        for version in versions {
            let mut rows = statement.query(params![project_id, version])?;
            while let Some(row) = rows.next()? {
                // Most commits touch none of the frames' files: skip them before parsing.
                let files: String = row.get(6)?;
                if !names.iter().any(|name| files.contains(name.as_str())) {
                    continue;
                }
                commits.push(ReleaseCommit {
                    release: version.clone(),
                    commit: commit_row(row)?,
                });
            }
        }
        Ok(rank_suspects(&frames, &mappings, &commits))
    }

    fn suspect_commits_of(
        &self,
        project_id: u64,
        issue_ids: &[u64],
    ) -> Result<Vec<Vec<SuspectCommit>>, StoreError> {
        suspect_index::suspect_commits_of(&self.connection(), project_id, issue_ids)
    }
}

/// Creates release `version` of a project at `at_ms` unless it exists.
pub(super) fn ensure_release(
    connection: &Connection,
    project_id: u64,
    version: &str,
    at_ms: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO releases (project_id, version, created_at_ms) \
             VALUES (?1, ?2, ?3)",
        )?
        .execute(params![project_id, version, at_ms])?;
    Ok(())
}

/// Whether release `candidate` comes after release `reference` (by creation, then by row
/// order). A release that is not stored is never after anything.
pub(super) fn release_is_after(
    connection: &Connection,
    project_id: u64,
    candidate: &str,
    reference: &str,
) -> Result<bool, StoreError> {
    let position = |version: &str| -> Result<Option<(i64, i64)>, StoreError> {
        Ok(connection
            .prepare_cached(
                "SELECT created_at_ms, rowid FROM releases WHERE project_id = ?1 AND version = ?2",
            )?
            .query_row(params![project_id, version], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?)
    };
    Ok(match (position(candidate)?, position(reference)?) {
        (Some(candidate), Some(reference)) => candidate > reference,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// The owner of a new issue whose first event is `event`, by the project's ownership rules
/// and `CODEOWNERS` (the last matching rule wins).
pub(super) fn owner_for_event(
    connection: &Connection,
    project_id: u64,
    event: &NormalizedEvent,
) -> Result<Option<OwnerMatch>, StoreError> {
    let Some(text) = stored_ownership(connection, project_id)? else {
        return Ok(None);
    };
    let ownership = match Ownership::parse(&text.rules, &text.codeowners) {
        Ok(ownership) => ownership,
        Err(error) => {
            // The API validates what it stores; a bad row must not stop ingest.
            tracing::warn!(project_id, %error, "stored ownership rules do not parse");
            return Ok(None);
        }
    };
    if ownership.is_empty() {
        return Ok(None);
    }
    let mappings = project_code_mappings(connection, project_id)?;
    Ok(ownership.owner_of(&OwnershipSubject::of_event(event, &mappings)))
}

fn release_exists(
    connection: &Connection,
    project_id: u64,
    version: &str,
) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM releases WHERE project_id = ?1 AND version = ?2)",
        )?
        .query_row(params![project_id, version], |row| row.get(0))?)
}

fn load_release(
    connection: &Connection,
    project_id: u64,
    version: &str,
) -> Result<Option<Release>, StoreError> {
    let created_at_ms: Option<u64> = connection
        .prepare_cached(
            "SELECT created_at_ms FROM releases WHERE project_id = ?1 AND version = ?2",
        )?
        .query_row(params![project_id, version], |row| row.get(0))
        .optional()?;
    created_at_ms
        .map(|created_at_ms| {
            release_stats(connection, project_id, version.to_owned(), created_at_ms)
        })
        .transpose()
}

/// A release with its stats computed now.
fn release_stats(
    connection: &Connection,
    project_id: u64,
    version: String,
    created_at_ms: u64,
) -> Result<Release, StoreError> {
    let key = params![project_id, version];
    let commit_count: u64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM release_commits WHERE project_id = ?1 AND version = ?2",
        )?
        .query_row(key, |row| row.get(0))?;
    let last_commit = connection
        .prepare_cached(&format!(
            "SELECT {COMMIT_COLUMNS} FROM release_commits WHERE project_id = ?1 AND version = ?2 \
             ORDER BY timestamp_ms DESC, position LIMIT 1"
        ))?
        .query_row(key, commit_row)
        .optional()?;
    let deploys = connection
        .prepare_cached(
            "SELECT id, version, environment, name, started_at_ms, finished_at_ms FROM deploys \
             WHERE project_id = ?1 AND version = ?2 ORDER BY finished_at_ms DESC, id DESC",
        )?
        .query_map(key, |row| {
            Ok(Deploy {
                id: row.get(0)?,
                version: row.get(1)?,
                environment: row.get(2)?,
                name: row.get(3)?,
                started_at_ms: row.get(4)?,
                finished_at_ms: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let activity_count = |kind: &str| -> Result<u64, StoreError> {
        Ok(connection
            .prepare_cached(
                "SELECT COUNT(DISTINCT a.issue_id) FROM issue_activity AS a \
                 JOIN issues AS i ON i.id = a.issue_id \
                 WHERE i.project_id = ?1 AND a.release = ?2 AND a.kind = ?3",
            )?
            .query_row(params![project_id, version, kind], |row| row.get(0))?)
    };
    let new_issue_count = activity_count("created")?;
    let regression_count = activity_count("regressed")?;
    let (event_count, first_event_ms, last_event_ms): (u64, Option<u64>, Option<u64>) = connection
        .prepare_cached(
            "SELECT COUNT(*), MIN(timestamp_ms), MAX(timestamp_ms) FROM issue_events \
             WHERE project_id = ?1 AND release = ?2",
        )?
        .query_row(key, |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    // A session crashed when its replay saw a JS error or a linked backend event.
    let (session_count, crash_free_session_count): (u64, u64) = connection
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(r.error_ids = '[]' AND NOT EXISTS \
             (SELECT 1 FROM events AS e WHERE e.replay_id = r.id)), 0) \
             FROM replays AS r WHERE r.project_id = ?1 AND r.release = ?2",
        )?
        .query_row(key, |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(Release {
        project_id,
        version,
        created_at_ms,
        commit_count,
        last_commit,
        deploys,
        new_issue_count,
        regression_count,
        event_count,
        session_count,
        crash_free_session_count,
        first_event_ms,
        last_event_ms,
    })
}

/// Issues with an activity row of `kind` in release `version`, most events first.
fn release_issues(
    connection: &Connection,
    project_id: u64,
    version: &str,
    kind: &str,
) -> Result<Vec<IssueLite>, StoreError> {
    Ok(connection
        .prepare_cached(
            "SELECT i.id, i.title, i.culprit, i.event_count, i.status FROM issues AS i \
             WHERE i.project_id = ?1 AND i.id IN (SELECT a.issue_id FROM issue_activity AS a \
             WHERE a.release = ?2 AND a.kind = ?3) ORDER BY i.event_count DESC, i.id LIMIT ?4",
        )?
        .query_map(
            params![project_id, version, kind, MAX_RELEASE_ISSUES],
            |row| {
                Ok(IssueLite {
                    id: row.get(0)?,
                    title: row.get(1)?,
                    culprit: row.get(2)?,
                    count: row.get(3)?,
                    status: row.get(4)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?)
}

fn commit_row(row: &Row<'_>) -> rusqlite::Result<Commit> {
    let files: Vec<ChangedFile> = json_column(row, 6)?;
    Ok(Commit {
        id: row.get(0)?,
        repository: row.get(1)?,
        author_name: row.get(2)?,
        author_email: row.get(3)?,
        message: row.get(4)?,
        timestamp_ms: row.get(5)?,
        files,
    })
}

fn stored_ownership(
    connection: &Connection,
    project_id: u64,
) -> Result<Option<OwnershipText>, StoreError> {
    Ok(connection
        .prepare_cached(
            "SELECT rules, codeowners, updated_at_ms FROM project_ownership \
             WHERE project_id = ?1",
        )?
        .query_row([project_id], |row| {
            Ok(OwnershipText {
                rules: row.get(0)?,
                codeowners: row.get(1)?,
                updated_at_ms: row.get(2)?,
            })
        })
        .optional()?)
}

fn project_code_mappings(
    connection: &Connection,
    project_id: u64,
) -> Result<Vec<CodeMapping>, StoreError> {
    Ok(connection
        .prepare_cached(
            "SELECT id, stack_root, source_root FROM code_mappings WHERE project_id = ?1 \
             ORDER BY id",
        )?
        .query_map([project_id], |row| {
            Ok(CodeMapping {
                id: row.get(0)?,
                stack_root: row.get(1)?,
                source_root: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

fn stored_event(
    connection: &Connection,
    event_id: &str,
) -> Result<Option<NormalizedEvent>, StoreError> {
    let body: Option<String> = connection
        .prepare_cached("SELECT body FROM events WHERE id = ?1")?
        .query_row([event_id], |row| row.get(0))
        .optional()?;
    body.map(|body| {
        serde_json::from_str(&body)
            .map_err(|error| StoreError::Corrupt(format!("event {event_id}: {error}")))
    })
    .transpose()
}

/// The last path segments of the frames' files: a commit whose file list names none of them
/// cannot match.
fn file_names(frames: &[&crate::normalize::Frame], mappings: &[CodeMapping]) -> Vec<String> {
    let mut names: Vec<String> = frames
        .iter()
        .flat_map(|frame| {
            let paths = FramePaths::of(frame, mappings);
            paths
                .mapped
                .into_iter()
                .chain(paths.raw)
                .collect::<Vec<_>>()
        })
        .filter_map(|path| path.rsplit('/').next().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}
