//! Grouping one newly stored event into its issue, in the caller's transaction: the release,
//! the issue (created with its owner, or reopened by a regression), its counts, tags, hours,
//! users and history, then the alert rules.

use rusqlite::{Connection, OptionalExtension, params};

use super::super::{alerts, releases};
use crate::grouping::{self, GroupingKey};
use crate::normalize::NormalizedEvent;
use crate::store::issues::{IssueActivity, IssueStatus, MAX_TAG_VALUES_PER_KEY};
use crate::store::{NewEvent, StoreError};

/// Milliseconds per hour, the unit of `issue_hours`.
pub(in crate::store::sqlite) const HOUR_MS: u64 = 3_600_000;

/// Whether grouping evaluates alert rules (not when grouping events stored before issues
/// existed, which would alert about the past).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::sqlite) enum Alerts {
    /// Evaluate the project's alert rules.
    Evaluate,
    /// Skip them.
    Skip,
}

/// The issue row grouping reads before it writes.
struct Existing {
    id: u64,
    status: IssueStatus,
    resolved_in_release: Option<String>,
    resolved_at_ms: Option<u64>,
}

/// Groups the stored event `new` into its issue by `key`; returns what happened to the issue.
pub(in crate::store::sqlite) fn group_event(
    connection: &Connection,
    new: &NewEvent,
    key: &GroupingKey,
    alerts_mode: Alerts,
) -> Result<IssueActivity, StoreError> {
    let event = &new.event;
    let project_id = new.project_id;
    let release = event.release.as_deref().filter(|r| !r.is_empty());
    if let Some(release) = release {
        releases::ensure_release(connection, project_id, release, event.timestamp_ms)?;
    }
    let existing = connection
        .prepare_cached(
            "SELECT id, status, resolved_in_release, resolved_at_ms FROM issues \
             WHERE project_id = ?1 AND fingerprint = ?2",
        )?
        .query_row(params![project_id, key.hash], |row| {
            let status: String = row.get(1)?;
            Ok(Existing {
                id: row.get(0)?,
                status: IssueStatus::from_name(&status).unwrap_or(IssueStatus::Unresolved),
                resolved_in_release: row.get(2)?,
                resolved_at_ms: row.get(3)?,
            })
        })
        .optional()?;
    let (issue_id, created, regressed) = match existing {
        None => (create_issue(connection, new, key)?, true, false),
        Some(existing) => {
            let regressed = is_regression(connection, project_id, &existing, event)?;
            if regressed {
                reopen(connection, existing.id, event)?;
            }
            (existing.id, false, regressed)
        }
    };
    count_event(connection, issue_id, new)?;
    let activity = IssueActivity {
        project_id,
        issue_id,
        event_id: event.event_id.clone(),
        created,
        regressed,
        environment: event.environment.clone(),
        release: release.map(str::to_owned),
        timestamp_ms: event.timestamp_ms,
    };
    if alerts_mode == Alerts::Evaluate {
        alerts::on_issue_activity(connection, &activity)?;
    }
    Ok(activity)
}

/// Inserts the issue of a first event, with the owner the ownership rules name; its counts
/// start at zero and are counted by [`count_event`].
fn create_issue(
    connection: &Connection,
    new: &NewEvent,
    key: &GroupingKey,
) -> Result<u64, StoreError> {
    let event = &new.event;
    let owner = releases::owner_for_event(connection, new.project_id, event)?;
    let main = event.exception.last();
    let components = serde_json::to_string(&key.components)
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let release = event.release.as_deref().filter(|r| !r.is_empty());
    connection
        .prepare_cached(
            "INSERT INTO issues (project_id, fingerprint, grouping, title, culprit, \
             exception_type, exception_value, level, first_seen_ms, last_seen_ms, \
             first_release, last_release, owner, owner_rule, assigned_to, first_event_id, \
             last_event_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?10, ?11, ?12, ?11, ?13, ?13)",
        )?
        .execute(params![
            new.project_id,
            key.hash,
            format!("{}:{components}", key.kind.as_str()),
            event.title,
            grouping::culprit(event),
            main.and_then(|e| e.kind.as_deref()),
            main.and_then(|e| e.value.as_deref()),
            event.level,
            event.timestamp_ms,
            release,
            owner.as_ref().map(|o| &o.owner),
            owner.as_ref().map(|o| &o.rule),
            event.event_id,
        ])?;
    let id = u64::try_from(connection.last_insert_rowid())
        .map_err(|_| StoreError::Corrupt("negative issue id".into()))?;
    record_activity(
        connection,
        id,
        "created",
        release,
        event.received_ms,
        owner.as_ref().map(|o| o.owner.as_str()),
    )?;
    Ok(id)
}

/// Whether `event` reopens the issue: a resolved issue reopens for any event received after
/// it was resolved; one resolved in the next release only for an event of a later release;
/// an ignored issue never.
fn is_regression(
    connection: &Connection,
    project_id: u64,
    existing: &Existing,
    event: &NormalizedEvent,
) -> Result<bool, StoreError> {
    // An event that was already on its way when the issue was resolved is not news.
    if existing
        .resolved_at_ms
        .is_some_and(|resolved| event.received_ms < resolved)
    {
        return Ok(false);
    }
    let release = event.release.as_deref().filter(|r| !r.is_empty());
    Ok(match existing.status {
        IssueStatus::Unresolved | IssueStatus::Ignored => false,
        IssueStatus::Resolved => true,
        IssueStatus::ResolvedInNextRelease => match (release, &existing.resolved_in_release) {
            (Some(release), Some(resolved_in)) => {
                releases::release_is_after(connection, project_id, release, resolved_in)?
            }
            (Some(_), None) => true,
            (None, _) => false,
        },
    })
}

fn reopen(
    connection: &Connection,
    issue_id: u64,
    event: &NormalizedEvent,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "UPDATE issues SET status = 'unresolved', regressed = 1, resolved_in_release = NULL, \
             resolved_at_ms = NULL WHERE id = ?1",
        )?
        .execute([issue_id])?;
    record_activity(
        connection,
        issue_id,
        "regressed",
        event.release.as_deref().filter(|r| !r.is_empty()),
        event.received_ms,
        None,
    )
}

/// Counts the event on its issue: totals, first/last seen and release, the latest event's
/// headline, and the event, tag, hour and user rows.
fn count_event(connection: &Connection, issue_id: u64, new: &NewEvent) -> Result<(), StoreError> {
    let event = &new.event;
    let release = event.release.as_deref().filter(|r| !r.is_empty());
    let user_key = grouping::user_key(event);
    let main = event.exception.last();
    // The headline follows the later arrival on a tie, so a burst in one millisecond moves on;
    // the first and latest event ids follow the order of event navigation (time, then id).
    connection
        .prepare_cached(
            "UPDATE issues SET event_count = event_count + 1, \
             first_release = CASE WHEN ?3 IS NOT NULL AND (first_release IS NULL \
                 OR ?2 < first_seen_ms) THEN ?3 ELSE first_release END, \
             first_event_id = CASE WHEN ?2 < first_seen_ms \
                 OR (?2 = first_seen_ms AND ?4 < first_event_id) THEN ?4 ELSE first_event_id END, \
             last_release = CASE WHEN ?3 IS NOT NULL AND (last_release IS NULL \
                 OR ?2 >= last_seen_ms) THEN ?3 ELSE last_release END, \
             last_event_id = CASE WHEN ?2 > last_seen_ms \
                 OR (?2 = last_seen_ms AND ?4 > last_event_id) THEN ?4 ELSE last_event_id END, \
             title = CASE WHEN ?2 >= last_seen_ms THEN ?5 ELSE title END, \
             culprit = CASE WHEN ?2 >= last_seen_ms THEN ?6 ELSE culprit END, \
             exception_type = CASE WHEN ?2 >= last_seen_ms THEN ?7 ELSE exception_type END, \
             exception_value = CASE WHEN ?2 >= last_seen_ms THEN ?8 ELSE exception_value END, \
             level = CASE WHEN ?2 >= last_seen_ms THEN ?9 ELSE level END, \
             first_seen_ms = MIN(first_seen_ms, ?2), \
             last_seen_ms = MAX(last_seen_ms, ?2) \
             WHERE id = ?1",
        )?
        .execute(params![
            issue_id,
            event.timestamp_ms,
            release,
            event.event_id,
            event.title,
            grouping::culprit(event),
            main.and_then(|e| e.kind.as_deref()),
            main.and_then(|e| e.value.as_deref()),
            event.level,
        ])?;
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO issue_events (event_id, issue_id, project_id, timestamp_ms, \
             release, environment, user_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            event.event_id,
            issue_id,
            new.project_id,
            event.timestamp_ms,
            release,
            event.environment,
            user_key,
        ])?;
    connection
        .prepare_cached(
            "INSERT INTO issue_hours (issue_id, hour, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + 1",
        )?
        .execute(params![issue_id, event.timestamp_ms / HOUR_MS])?;
    if let Some(user_key) = &user_key {
        let added = connection
            .prepare_cached(
                "INSERT OR IGNORE INTO issue_users (issue_id, user_key) VALUES (?1, ?2)",
            )?
            .execute(params![issue_id, user_key])?;
        if added > 0 {
            connection
                .prepare_cached("UPDATE issues SET user_count = user_count + 1 WHERE id = ?1")?
                .execute([issue_id])?;
        }
    }
    for (key, value) in tag_pairs(event, user_key.as_deref()) {
        count_tag(connection, issue_id, &key, &value, event.timestamp_ms)?;
    }
    Ok(())
}

/// The tags an issue keeps of an event: environment, release, level, HTTP status, user, URL,
/// then the event's own tags (a tag named like a built-in one is not counted twice).
fn tag_pairs(event: &NormalizedEvent, user_key: Option<&str>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut push = |key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty())
            && !pairs.iter().any(|(k, _)| k == key)
        {
            pairs.push((key.to_owned(), value.to_owned()));
        }
    };
    push("environment", Some(&event.environment));
    push("release", event.release.as_deref());
    push("level", Some(&event.level));
    let status = event.status_code.map(|code| code.to_string());
    push("http.status_code", status.as_deref());
    push("user", user_key);
    push(
        "url",
        event
            .request
            .as_ref()
            .and_then(|request| request.url.as_deref()),
    );
    for tag in &event.tags {
        push(&tag.key, Some(&tag.value));
    }
    pairs
}

/// Counts one tag value on an issue; a new value is not kept once the key has
/// [`MAX_TAG_VALUES_PER_KEY`] values.
fn count_tag(
    connection: &Connection,
    issue_id: u64,
    key: &str,
    value: &str,
    timestamp_ms: u64,
) -> Result<(), StoreError> {
    let updated = connection
        .prepare_cached(
            "UPDATE issue_tags SET count = count + 1, last_seen_ms = MAX(last_seen_ms, ?4) \
             WHERE issue_id = ?1 AND key = ?2 AND value = ?3",
        )?
        .execute(params![issue_id, key, value, timestamp_ms])?;
    if updated > 0 {
        return Ok(());
    }
    let values: u64 = connection
        .prepare_cached("SELECT COUNT(*) FROM issue_tags WHERE issue_id = ?1 AND key = ?2")?
        .query_row(params![issue_id, key], |row| row.get(0))?;
    if values < MAX_TAG_VALUES_PER_KEY {
        connection
            .prepare_cached(
                "INSERT INTO issue_tags (issue_id, key, value, count, last_seen_ms) \
                 VALUES (?1, ?2, ?3, 1, ?4)",
            )?
            .execute(params![issue_id, key, value, timestamp_ms])?;
    }
    Ok(())
}

/// Appends an entry to an issue's history.
pub(in crate::store::sqlite) fn record_activity(
    connection: &Connection,
    issue_id: u64,
    kind: &str,
    release: Option<&str>,
    at_ms: u64,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO issue_activity (issue_id, kind, release, at_ms, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![issue_id, kind, release, at_ms, detail])?;
    Ok(())
}
