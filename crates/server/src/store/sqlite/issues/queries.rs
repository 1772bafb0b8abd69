//! Reading issues: rows, their derived counts (last hour, hourly histograms, environments,
//! replays), tags, history, events and an event's neighbours.

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::super::event_rows;
use super::grouped_event::HOUR_MS;
use crate::normalize::NormalizedEvent;
use crate::search::TRENDS_ORDER;
use crate::store::StoreError;
use crate::store::issues::{
    ActivityEntry, EventPlace, EventSearch, HOURS_14D, HOURS_24, Issue, IssueEventSummary,
    IssueSearch, IssueStatus, MAX_ISSUE_REPLAYS, MAX_LIST_LIMIT, TOP_TAG_VALUES, TagSummary,
};

/// The columns [`issue_row`] reads, over `issues AS i`.
const ISSUE_COLUMNS: &str = "i.id, i.project_id, i.fingerprint, i.grouping, i.title, i.culprit, \
     i.exception_type, i.exception_value, i.level, i.status, i.resolved_in_release, i.regressed, \
     i.first_seen_ms, i.last_seen_ms, i.first_release, i.last_release, i.event_count, \
     i.user_count, i.owner, i.owner_rule, i.assigned_to, i.first_event_id, i.last_event_id";

fn issue_row(row: &Row<'_>) -> rusqlite::Result<Issue> {
    let grouping: String = row.get(3)?;
    let status: String = row.get(9)?;
    Ok(Issue {
        id: row.get(0)?,
        project_id: row.get(1)?,
        fingerprint: row.get(2)?,
        grouping: grouping
            .split_once(':')
            .map_or(grouping.as_str(), |(kind, _)| kind)
            .to_owned(),
        title: row.get(4)?,
        culprit: row.get(5)?,
        exception_type: row.get(6)?,
        exception_value: row.get(7)?,
        level: row.get(8)?,
        status: IssueStatus::from_name(&status).unwrap_or(IssueStatus::Unresolved),
        resolved_in_release: row.get(10)?,
        regressed: row.get(11)?,
        first_seen_ms: row.get(12)?,
        last_seen_ms: row.get(13)?,
        first_release: row.get(14)?,
        last_release: row.get(15)?,
        count: row.get(16)?,
        user_count: row.get(17)?,
        owner: row.get(18)?,
        owner_rule: row.get(19)?,
        assigned_to: row.get(20)?,
        first_event_id: row.get(21)?,
        last_event_id: row.get(22)?,
        events_1h: 0,
        counts_24h: Vec::new(),
        environments: Vec::new(),
        replay_count: 0,
    })
}

/// Fills the counts of `issue` that depend on the time, `now_ms`.
fn with_counts(
    connection: &Connection,
    mut issue: Issue,
    now_ms: u64,
) -> Result<Issue, StoreError> {
    issue.events_1h = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM issue_events WHERE issue_id = ?1 AND timestamp_ms > ?2",
        )?
        .query_row(params![issue.id, now_ms.saturating_sub(HOUR_MS)], |row| {
            row.get(0)
        })?;
    issue.counts_24h = hourly_counts(connection, issue.id, now_ms, HOURS_24)?;
    issue.environments = connection
        .prepare_cached(
            "SELECT value FROM issue_tags WHERE issue_id = ?1 AND key = 'environment' \
             ORDER BY value",
        )?
        .query_map([issue.id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    issue.replay_count = connection
        .prepare_cached(
            "SELECT COUNT(DISTINCT ev.replay_id) FROM issue_events AS e \
             JOIN events AS ev ON ev.id = e.event_id \
             WHERE e.issue_id = ?1 AND ev.replay_id IS NOT NULL",
        )?
        .query_row([issue.id], |row| row.get(0))?;
    Ok(issue)
}

/// Events per hour over the `hours` hours up to the one containing `now_ms`, oldest first.
fn hourly_counts(
    connection: &Connection,
    issue_id: u64,
    now_ms: u64,
    hours: usize,
) -> Result<Vec<u64>, StoreError> {
    let current = now_ms / HOUR_MS;
    let span = u64::try_from(hours).unwrap_or(u64::MAX);
    let first = (current + 1).saturating_sub(span);
    let mut counts = vec![0; hours];
    let mut statement = connection.prepare_cached(
        "SELECT hour, count FROM issue_hours WHERE issue_id = ?1 AND hour BETWEEN ?2 AND ?3",
    )?;
    let rows = statement.query_map(params![issue_id, first, current], |row| {
        Ok((row.get::<_, u64>(0)?, row.get::<_, u64>(1)?))
    })?;
    for row in rows {
        let (hour, count) = row?;
        if let Some(slot) = usize::try_from(hour - first)
            .ok()
            .and_then(|index| counts.get_mut(index))
        {
            *slot = count;
        }
    }
    Ok(counts)
}

/// The issues matching a search, with their counts.
pub(super) fn search_issues(
    connection: &Connection,
    search: &IssueSearch,
) -> Result<Vec<Issue>, StoreError> {
    let issues = if search.order_by == TRENDS_ORDER {
        trending_issues(connection, search)?
    } else {
        select_issues(connection, search, "1", &search.order_by, search.limit)?
    };
    issues
        .into_iter()
        .map(|issue| with_counts(connection, issue, search.now_ms))
        .collect()
}

/// The issues matching a search and `extra` (SQL over `issues AS i`), in `order`, at most
/// `limit` (and [`MAX_LIST_LIMIT`]), without their counts.
pub(super) fn select_issues(
    connection: &Connection,
    search: &IssueSearch,
    extra: &str,
    order: &str,
    limit: usize,
) -> Result<Vec<Issue>, StoreError> {
    // The project and limit are numbers written into the text, so the clause's placeholders
    // keep the numbering its author gave them.
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM issues AS i WHERE i.project_id = {project} AND ({clause}) \
         AND ({extra}) ORDER BY {order}, i.id DESC LIMIT {limit}",
        project = search.project_id,
        clause = search.clause,
        limit = limit.min(MAX_LIST_LIMIT),
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params_from_iter(search.params.iter()), issue_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The [`TRENDS_ORDER`] page read from the last-seen index: the issues seen within the last
/// hour ordered by their events in it, then the others by last seen (they have none).
fn trending_issues(
    connection: &Connection,
    search: &IssueSearch,
) -> Result<Vec<Issue>, StoreError> {
    let limit = search.limit.min(MAX_LIST_LIMIT);
    // Read the clock once so both halves split at the same instant.
    let since: i64 = connection.query_row(
        "SELECT (CAST(strftime('%s', 'now') AS INTEGER) - 3600) * 1000",
        [],
        |row| row.get(0),
    )?;
    // Only ids go through the sort of the hour's issues; the page's rows are read after it.
    let sql = format!(
        "SELECT i.id FROM issues AS i WHERE i.project_id = {project} AND ({clause}) \
         AND i.last_seen_ms >= {since} ORDER BY (SELECT COUNT(*) FROM issue_events AS s \
         WHERE s.issue_id = i.id AND s.timestamp_ms >= {since}) DESC, i.last_seen_ms DESC, \
         i.id DESC LIMIT {limit}",
        project = search.project_id,
        clause = search.clause,
    );
    let ids: Vec<u64> = {
        let mut statement = connection.prepare(&sql)?;
        let rows = statement.query_map(params_from_iter(search.params.iter()), |row| row.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut issues = Vec::with_capacity(limit);
    let mut row = connection.prepare_cached(&format!(
        "SELECT {ISSUE_COLUMNS} FROM issues AS i WHERE i.id = ?1"
    ))?;
    for id in ids {
        issues.push(row.query_row([id], issue_row)?);
    }
    if issues.len() < limit {
        let rest = limit - issues.len();
        issues.extend(select_issues(
            connection,
            search,
            &format!("i.last_seen_ms < {since}"),
            "i.last_seen_ms DESC",
            rest,
        )?);
    }
    Ok(issues)
}

/// One issue with its counts.
pub(super) fn issue(
    connection: &Connection,
    id: u64,
    now_ms: u64,
) -> Result<Option<Issue>, StoreError> {
    let issue = connection
        .prepare_cached(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issues AS i WHERE i.id = ?1"
        ))?
        .query_row([id], issue_row)
        .optional()?;
    issue
        .map(|issue| with_counts(connection, issue, now_ms))
        .transpose()
}

/// Tag keys of an issue, alphabetical, each with its top values.
pub(super) fn tags(connection: &Connection, issue_id: u64) -> Result<Vec<TagSummary>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT key, value, count FROM issue_tags WHERE issue_id = ?1 \
         ORDER BY key, count DESC, last_seen_ms DESC, value",
    )?;
    let rows = statement.query_map([issue_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, u64>(2)?,
        ))
    })?;
    let mut tags: Vec<TagSummary> = Vec::new();
    for row in rows {
        let (key, value, count) = row?;
        match tags.last_mut().filter(|tag| tag.key == key) {
            Some(tag) => {
                tag.total += count;
                if tag.values.len() < TOP_TAG_VALUES {
                    tag.values.push((value, count));
                }
            }
            None => tags.push(TagSummary {
                key,
                total: count,
                values: vec![(value, count)],
            }),
        }
    }
    Ok(tags)
}

/// Replays of an issue's events, newest event first.
pub(super) fn replay_ids(
    connection: &Connection,
    issue_id: u64,
) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT ev.replay_id FROM issue_events AS e JOIN events AS ev ON ev.id = e.event_id \
         WHERE e.issue_id = ?1 AND ev.replay_id IS NOT NULL \
         GROUP BY ev.replay_id ORDER BY MAX(e.timestamp_ms) DESC, ev.replay_id LIMIT ?2",
    )?;
    let rows = statement.query_map(params![issue_id, MAX_ISSUE_REPLAYS], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An issue's history, oldest first.
pub(super) fn activity(
    connection: &Connection,
    issue_id: u64,
) -> Result<Vec<ActivityEntry>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT kind, release, at_ms, detail FROM issue_activity WHERE issue_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([issue_id], |row| {
        Ok(ActivityEntry {
            kind: row.get(0)?,
            release: row.get(1)?,
            at_ms: row.get(2)?,
            detail: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Events per hour over 14 days.
pub(super) fn counts_14d(
    connection: &Connection,
    issue_id: u64,
    now_ms: u64,
) -> Result<Vec<u64>, StoreError> {
    hourly_counts(connection, issue_id, now_ms, HOURS_14D)
}

/// The columns [`summary_row`] reads.
const SUMMARY_COLUMNS: &str = "e.event_id, e.issue_id, e.timestamp_ms, e.release, \
     e.environment, ev.replay_id, ev.trace_id, ev.body";

fn summary_row(row: &Row<'_>) -> rusqlite::Result<IssueEventSummary> {
    let event: NormalizedEvent = event_rows::json_column(row, 7)?;
    Ok(IssueEventSummary {
        id: row.get(0)?,
        issue_id: row.get(1)?,
        timestamp_ms: row.get(2)?,
        release: row.get(3)?,
        environment: row.get(4)?,
        level: event.level,
        replay_id: row.get(5)?,
        trace_id: row.get(6)?,
        title: event.title,
        user: event.user,
    })
}

/// An issue's events, newest first, after `cursor`.
pub(super) fn issue_events(
    connection: &Connection,
    issue_id: u64,
    limit: usize,
    cursor: Option<(u64, String)>,
) -> Result<Vec<IssueEventSummary>, StoreError> {
    let limit = limit.min(MAX_LIST_LIMIT);
    let (before_ms, before_id) = cursor.unwrap_or((u64::MAX, String::new()));
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM issue_events AS e JOIN events AS ev ON ev.id = e.event_id \
         WHERE e.issue_id = ?1 AND (?4 = '' OR e.timestamp_ms < ?2 \
             OR (e.timestamp_ms = ?2 AND e.event_id < ?3)) \
         ORDER BY e.timestamp_ms DESC, e.event_id DESC LIMIT ?5"
    ))?;
    // A u64::MAX cursor does not fit SQLite's integers; without a cursor it is not compared.
    let before_ms = i64::try_from(before_ms).unwrap_or(i64::MAX);
    let rows = statement.query_map(
        params![issue_id, before_ms, before_id, before_id, limit],
        summary_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The issue of an event and its neighbours by (timestamp, id).
pub(super) fn event_place(
    connection: &Connection,
    event_id: &str,
) -> Result<Option<EventPlace>, StoreError> {
    let Some((issue_id, timestamp_ms)) = connection
        .prepare_cached("SELECT issue_id, timestamp_ms FROM issue_events WHERE event_id = ?1")?
        .query_row([event_id], |row| {
            Ok((row.get::<_, u64>(0)?, row.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let neighbour = |sql: &str| -> Result<Option<String>, StoreError> {
        Ok(connection
            .prepare_cached(sql)?
            .query_row(params![issue_id, timestamp_ms, event_id], |row| row.get(0))
            .optional()?)
    };
    let previous_event_id = neighbour(
        "SELECT event_id FROM issue_events WHERE issue_id = ?1 AND (timestamp_ms < ?2 \
         OR (timestamp_ms = ?2 AND event_id < ?3)) \
         ORDER BY timestamp_ms DESC, event_id DESC LIMIT 1",
    )?;
    let next_event_id = neighbour(
        "SELECT event_id FROM issue_events WHERE issue_id = ?1 AND (timestamp_ms > ?2 \
         OR (timestamp_ms = ?2 AND event_id > ?3)) \
         ORDER BY timestamp_ms, event_id LIMIT 1",
    )?;
    Ok(Some(EventPlace {
        issue_id,
        previous_event_id,
        next_event_id,
    }))
}

/// The grouped events matching a search, newest first.
pub(super) fn search_events(
    connection: &Connection,
    search: &EventSearch,
) -> Result<Vec<IssueEventSummary>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM issue_events AS e JOIN events AS ev ON ev.id = e.event_id \
         JOIN issues AS i ON i.id = e.issue_id WHERE e.project_id = {project} AND ({clause}) \
         ORDER BY e.timestamp_ms DESC, e.event_id DESC LIMIT {limit}",
        project = search.project_id,
        clause = search.clause,
        limit = search.limit.min(MAX_LIST_LIMIT),
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params_from_iter(search.params.iter()), summary_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
