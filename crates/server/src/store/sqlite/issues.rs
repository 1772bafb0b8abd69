//! The SQL behind issues: grouping a new event into its issue inside the caller's transaction
//! ([`group_event`]), grouping the events stored before issues existed, and the issue queries
//! and updates of [`IssueStore`].

mod grouped_event;
mod queries;
#[cfg(test)]
mod tests;

use rusqlite::{Connection, TransactionBehavior, params};

pub(super) use self::grouped_event::{Alerts, group_event};
use super::SqliteStore;
use crate::grouping::fingerprint_event;
use crate::link::LinkHints;
use crate::normalize::NormalizedEvent;
use crate::store::issues::{
    EventPlace, EventSearch, Issue, IssueDetails, IssueEventSummary, IssueSearch, IssueStatus,
    IssueUpdate,
};
use crate::store::{IssueStore, NewEvent, StoreError};

impl IssueStore for SqliteStore {
    fn search_issues(&self, search: &IssueSearch) -> Result<Vec<Issue>, StoreError> {
        queries::search_issues(&self.connection(), search)
    }

    fn issue(&self, id: u64, now_ms: u64) -> Result<Option<Issue>, StoreError> {
        queries::issue(&self.connection(), id, now_ms)
    }

    fn issue_details(&self, id: u64, now_ms: u64) -> Result<Option<IssueDetails>, StoreError> {
        let connection = self.connection();
        let Some(issue) = queries::issue(&connection, id, now_ms)? else {
            return Ok(None);
        };
        Ok(Some(IssueDetails {
            tags: queries::tags(&connection, id)?,
            replay_ids: queries::replay_ids(&connection, id)?,
            activity: queries::activity(&connection, id)?,
            counts_14d: queries::counts_14d(&connection, id, now_ms)?,
            issue,
        }))
    }

    fn update_issue(
        &self,
        id: u64,
        update: &IssueUpdate,
        now_ms: u64,
    ) -> Result<Option<Issue>, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(issue) = queries::issue(&tx, id, now_ms)? else {
            return Ok(None);
        };
        if let Some(status) = update.status {
            set_status(&tx, &issue, status, now_ms)?;
        }
        if let Some(assigned_to) = &update.assigned_to
            && *assigned_to != issue.assigned_to
        {
            tx.execute(
                "UPDATE issues SET assigned_to = ?2 WHERE id = ?1",
                params![id, assigned_to],
            )?;
            let kind = if assigned_to.is_some() {
                "assigned"
            } else {
                "unassigned"
            };
            grouped_event::record_activity(&tx, id, kind, None, now_ms, assigned_to.as_deref())?;
        }
        let updated = queries::issue(&tx, id, now_ms)?;
        tx.commit()?;
        Ok(updated)
    }

    fn issue_events(
        &self,
        issue_id: u64,
        limit: usize,
        cursor: Option<(u64, String)>,
    ) -> Result<Vec<IssueEventSummary>, StoreError> {
        queries::issue_events(&self.connection(), issue_id, limit, cursor)
    }

    fn event_place(&self, event_id: &str) -> Result<Option<EventPlace>, StoreError> {
        queries::event_place(&self.connection(), event_id)
    }

    fn search_events(&self, search: &EventSearch) -> Result<Vec<IssueEventSummary>, StoreError> {
        queries::search_events(&self.connection(), search)
    }
}

/// Moves an issue to `status` and records it; setting the status it has changes nothing.
/// Resolving in the next release remembers the issue's last release; resolving or ignoring
/// clears the regression mark.
fn set_status(
    connection: &Connection,
    issue: &Issue,
    status: IssueStatus,
    now_ms: u64,
) -> Result<(), StoreError> {
    if status == issue.status {
        return Ok(());
    }
    let (resolved_in, resolved_at) = match status {
        IssueStatus::Resolved => (None, Some(now_ms)),
        IssueStatus::ResolvedInNextRelease => (issue.last_release.clone(), Some(now_ms)),
        IssueStatus::Unresolved | IssueStatus::Ignored => (None, None),
    };
    connection.execute(
        "UPDATE issues SET status = ?2, resolved_in_release = ?3, resolved_at_ms = ?4, \
         regressed = CASE WHEN ?2 = 'unresolved' THEN regressed ELSE 0 END WHERE id = ?1",
        params![issue.id, status.as_str(), resolved_in, resolved_at],
    )?;
    grouped_event::record_activity(
        connection,
        issue.id,
        status.as_str(),
        resolved_in.as_deref(),
        now_ms,
        None,
    )
}

/// Events read at a time while grouping stored events, so memory stays bounded.
pub(super) const MIGRATION_BATCH: i64 = 500;

/// Groups the events stored before issues existed (a version 2 database) in the order they
/// were stored, without evaluating alert rules; returns how many were grouped. An event's
/// place in its issue does not depend on that order: first and last seen, releases and the
/// latest event follow the events' timestamps.
pub(super) fn group_stored_events(connection: &Connection) -> Result<usize, StoreError> {
    let mut grouped = 0;
    let mut after: i64 = 0;
    loop {
        let batch: Vec<(i64, u64, String, String)> = {
            let mut statement = connection.prepare_cached(
                "SELECT rowid, project_id, id, body FROM events WHERE rowid > ?1 \
                 AND id NOT IN (SELECT event_id FROM issue_events) ORDER BY rowid LIMIT ?2",
            )?;
            let rows = statement.query_map(params![after, MIGRATION_BATCH], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let Some(last) = batch.last() else {
            return Ok(grouped);
        };
        after = last.0;
        for (_, project_id, id, body) in batch {
            let event: NormalizedEvent = match serde_json::from_str(&body) {
                Ok(event) => event,
                Err(error) => {
                    tracing::warn!(event_id = %id, %error, "stored event does not parse; not grouped");
                    continue;
                }
            };
            let grouping = fingerprint_event(&event);
            let new = NewEvent {
                project_id,
                hints: LinkHints::default(),
                event,
                grouping,
            };
            group_event(connection, &new, &new.grouping, Alerts::Skip)?;
            grouped += 1;
        }
    }
}
