//! Suspect commits of many issues at once: each release's commits are read and parsed once per
//! call and indexed by changed file name, so every issue's candidates are lookups instead of a
//! scan of all of its releases' commits.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{COMMIT_COLUMNS, commit_row, file_names, project_code_mappings, stored_event};
use crate::normalize::NormalizedEvent;
use crate::store::StoreError;
use crate::store::releases::Commit;
use crate::suspects::{
    RELEASES_BEFORE_FIRST, ReleaseCommit, SuspectCommit, in_app_frames, rank_suspects,
};

/// What suspect matching needs of one issue: its latest event and the releases searched (its
/// first release, then up to [`RELEASES_BEFORE_FIRST`] before it, newest first).
pub(super) struct Subject {
    /// The issue's latest event.
    pub event: NormalizedEvent,
    /// The versions whose commits may be suspects.
    pub versions: Vec<String>,
}

/// The [`Subject`] of an issue; `None` when the issue is unknown, has no release or its latest
/// event is gone.
pub(super) fn subject(
    connection: &Connection,
    project_id: u64,
    issue_id: u64,
) -> Result<Option<Subject>, StoreError> {
    let issue: Option<(Option<String>, String)> = connection
        .prepare_cached(
            "SELECT first_release, last_event_id FROM issues WHERE id = ?1 AND project_id = ?2",
        )?
        .query_row(params![issue_id, project_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let Some((Some(first_release), last_event_id)) = issue else {
        return Ok(None);
    };
    let Some(event) = stored_event(connection, &last_event_id)? else {
        return Ok(None);
    };
    let versions = connection
        .prepare_cached(
            "SELECT version FROM releases WHERE project_id = ?1 AND (created_at_ms, rowid) <= \
             (SELECT created_at_ms, rowid FROM releases \
             WHERE project_id = ?1 AND version = ?2) \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT ?3",
        )?
        .query_map(
            params![project_id, first_release, RELEASES_BEFORE_FIRST + 1],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(Some(Subject { event, versions }))
}

/// One release's commits in order, with the positions of the commits that changed a file of
/// each name (last path segment).
struct IndexedRelease {
    commits: Vec<Commit>,
    by_name: HashMap<String, Vec<usize>>,
}

impl IndexedRelease {
    fn load(connection: &Connection, project_id: u64, version: &str) -> Result<Self, StoreError> {
        let commits: Vec<Commit> = connection
            .prepare_cached(&format!(
                "SELECT {COMMIT_COLUMNS} FROM release_commits \
                 WHERE project_id = ?1 AND version = ?2 ORDER BY position"
            ))?
            .query_map(params![project_id, version], commit_row)?
            .collect::<Result<_, _>>()?;
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, commit) in commits.iter().enumerate() {
            for file in &commit.files {
                let name = file.path.rsplit('/').next().unwrap_or_default();
                let positions = by_name.entry(name.to_owned()).or_default();
                if positions.last() != Some(&index) {
                    positions.push(index);
                }
            }
        }
        Ok(Self { commits, by_name })
    }

    /// The commits that changed a file named one of `names`, in release order.
    fn touching(&self, names: &[String]) -> Vec<&Commit> {
        let mut positions: Vec<usize> = names
            .iter()
            .filter_map(|name| self.by_name.get(name))
            .flatten()
            .copied()
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
            .into_iter()
            .filter_map(|index| self.commits.get(index))
            .collect()
    }
}

/// The suspect commits of each of `issue_ids` (in that order), as
/// [`suspect_commits`](crate::store::ReleaseStore::suspect_commits) finds them one by one.
pub(super) fn suspect_commits_of(
    connection: &Connection,
    project_id: u64,
    issue_ids: &[u64],
) -> Result<Vec<Vec<SuspectCommit>>, StoreError> {
    let mappings = project_code_mappings(connection, project_id)?;
    let mut releases: HashMap<String, IndexedRelease> = HashMap::new();
    let mut all = Vec::with_capacity(issue_ids.len());
    for &issue_id in issue_ids {
        let Some(subject) = subject(connection, project_id, issue_id)? else {
            all.push(Vec::new());
            continue;
        };
        let frames = in_app_frames(&subject.event);
        if frames.is_empty() {
            all.push(Vec::new());
            continue;
        }
        // A frame's file and a changed file can only match when their last segments are equal.
        let names = file_names(&frames, &mappings);
        let mut commits = Vec::new();
        for version in &subject.versions {
            if !releases.contains_key(version) {
                let release = IndexedRelease::load(connection, project_id, version)?;
                releases.insert(version.clone(), release);
            }
            let Some(release) = releases.get(version) else {
                continue;
            };
            commits.extend(
                release
                    .touching(&names)
                    .into_iter()
                    .map(|commit| ReleaseCommit {
                        release: version.clone(),
                        commit: commit.clone(),
                    }),
            );
        }
        all.push(rank_suspects(&frames, &mappings, &commits));
    }
    Ok(all)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Value, json};

    use super::super::super::SqliteStore;
    use crate::event_id::EventId;
    use crate::grouping::fingerprint_event;
    use crate::link::LinkHints;
    use crate::normalize::{NormalizeContext, normalize_event};
    use crate::store::issues::IssueSearch;
    use crate::store::releases::{ChangeKind, ChangedFile, Commit};
    use crate::store::{IssueStore, NewEvent, ProcessedEnvelope, Project, ReleaseStore, Store};

    const NOW: u64 = 1_795_672_800_000;

    fn commit(n: u64, files: &[(&str, ChangeKind)]) -> Commit {
        Commit {
            id: format!("{n:040x}"),
            repository: Some("shop".into()),
            author_name: Some(format!("author {n}")),
            author_email: None,
            message: format!("change {n}"),
            // Ties on purpose: ranking falls back to release order.
            timestamp_ms: NOW - 1_000 * (n % 4),
            files: files
                .iter()
                .map(|(path, kind)| ChangedFile {
                    path: (*path).into(),
                    kind: *kind,
                })
                .collect(),
        }
    }

    fn error(n: u64, release: &str, files: &[&str]) -> NewEvent {
        let frames: Vec<Value> = files
            .iter()
            .map(|file| json!({"abs_path": file, "function": "f", "in_app": true}))
            .collect();
        let raw = json!({
            "event_id": format!("{n:032x}"),
            "release": release,
            "exception": [{"type": format!("Error{n}"), "value": "boom",
                "stacktrace": {"frames": frames}}],
        });
        let context = NormalizeContext {
            event_id: EventId::random(),
            received_ms: NOW,
        };
        let event = normalize_event(&raw, &context);
        let grouping = fingerprint_event(&event);
        NewEvent {
            project_id: 1,
            event,
            hints: LinkHints::default(),
            grouping,
        }
    }

    #[test]
    fn the_batch_finds_what_each_issue_finds_alone() {
        use ChangeKind::{Added, Deleted, Modified};
        let store = SqliteStore::open_in_memory().unwrap();
        let project = Project {
            id: 1,
            public_key: "k".into(),
        };
        store.create_project(&project, "digest").unwrap();
        store.put_code_mapping(1, "/app/", "src/").unwrap();
        let releases = ["shop@1", "shop@2", "shop@3", "shop@4"];
        for (index, version) in releases.iter().enumerate() {
            store
                .create_release(1, version, NOW + index as u64)
                .unwrap();
        }
        let paths = [
            "src/shop/payment.py",
            "src/shop/cart.py",
            "lib/other/payment.py",
            "src/shop/views.py",
            "README.md",
        ];
        let kinds = [Modified, Added, Deleted, Modified];
        let mut n = 0;
        for version in releases {
            let commits: Vec<Commit> = (0..12)
                .map(|_| {
                    n += 1;
                    let first = paths[(n % 5) as usize];
                    let second = paths[((n * 3) % 5) as usize];
                    commit(n, &[(first, kinds[(n % 4) as usize]), (second, Modified)])
                })
                .collect();
            store.set_release_commits(1, version, &commits).unwrap();
        }
        let events = vec![
            error(1, "shop@3", &["/app/shop/views.py", "/app/shop/payment.py"]),
            error(2, "shop@4", &["/app/shop/cart.py"]),
            error(3, "shop@1", &["shop/payment.py"]),
            error(4, "shop@2", &["/elsewhere/nothing.py"]),
            error(5, "unknown@9", &["/app/shop/cart.py"]),
        ];
        store
            .complete_inbox_entry(
                0,
                &ProcessedEnvelope {
                    events,
                    ..ProcessedEnvelope::default()
                },
            )
            .unwrap();
        let mut ids: Vec<u64> = store
            .search_issues(&IssueSearch {
                project_id: 1,
                clause: "1".into(),
                params: Vec::new(),
                order_by: "i.id".into(),
                limit: 100,
                now_ms: NOW,
            })
            .unwrap()
            .iter()
            .map(|issue| issue.id)
            .collect();
        assert_eq!(ids.len(), 5);
        ids.push(999_999);
        let batch = store.suspect_commits_of(1, &ids).unwrap();
        let alone: Vec<_> = ids
            .iter()
            .map(|&id| store.suspect_commits(1, id).unwrap())
            .collect();
        assert_eq!(batch, alone);
        assert!(!batch[0].is_empty() && !batch[1].is_empty() && !batch[2].is_empty());
        assert!(batch[3].is_empty() && batch[5].is_empty());
    }
}
