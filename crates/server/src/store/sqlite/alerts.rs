//! The SQL behind alert rules, their evaluation against issue activity, and the alert outbox.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::{Value, json};

use super::event_rows::json_column;
use super::{SqliteStore, now_ms};
use crate::store::alerts::{
    Alert, AlertCondition, AlertRule, DeliveryOutcome, DeliveryStatus, MAX_ALERT_RULES,
    NewAlertRule, PendingDelivery,
};
use crate::store::issues::IssueActivity;
use crate::store::{AlertStore, StoreError};
use crate::timestamp::rfc3339_ms;

const MINUTE_MS: u64 = 60_000;

const RULE_COLUMNS: &str = "id, project_id, name, condition, environment, threshold, \
     window_minutes, webhook_url, throttle_minutes, created_at_ms";

impl AlertStore for SqliteStore {
    fn create_alert_rule(&self, rule: &NewAlertRule, now_ms: u64) -> Result<AlertRule, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count: usize = tx.query_row(
            "SELECT COUNT(*) FROM alert_rules WHERE project_id = ?1",
            [rule.project_id],
            |row| row.get(0),
        )?;
        if count >= MAX_ALERT_RULES {
            return Err(StoreError::Conflict(format!(
                "project {} already has {MAX_ALERT_RULES} alert rules (MAX_ALERT_RULES); delete \
                 one first",
                rule.project_id
            )));
        }
        tx.execute(
            "INSERT INTO alert_rules (project_id, name, condition, environment, threshold, \
             window_minutes, webhook_url, throttle_minutes, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                rule.project_id,
                rule.name,
                rule.condition.as_str(),
                rule.environment,
                rule.threshold,
                rule.window_minutes,
                rule.webhook_url,
                rule.throttle_minutes,
                now_ms,
            ],
        )?;
        let id = u64::try_from(tx.last_insert_rowid())
            .map_err(|_| StoreError::Corrupt("negative rule id".into()))?;
        tx.commit()?;
        Ok(AlertRule {
            id,
            created_at_ms: now_ms,
            rule: rule.clone(),
        })
    }

    fn alert_rules(&self, project_id: u64) -> Result<Vec<AlertRule>, StoreError> {
        rules(&self.connection(), project_id)
    }

    fn delete_alert_rule(&self, project_id: u64, rule_id: u64) -> Result<bool, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = tx.execute(
            "DELETE FROM alert_rules WHERE id = ?1 AND project_id = ?2",
            params![rule_id, project_id],
        )?;
        if deleted > 0 {
            tx.execute(
                "UPDATE alerts SET status = 'failed', last_error = 'the rule was deleted' \
                 WHERE rule_id = ?1 AND status = 'pending'",
                [rule_id],
            )?;
        }
        tx.commit()?;
        Ok(deleted > 0)
    }

    fn alerts(&self, project_id: u64, limit: usize) -> Result<Vec<Alert>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT a.id, a.rule_id, COALESCE(r.name, json_extract(a.payload, '$.rule.name'), ''), \
             a.project_id, a.issue_id, \
             COALESCE(i.title, json_extract(a.payload, '$.issue.title'), ''), a.fired_at_ms, \
             a.status, a.attempts, a.last_error, a.delivered_at_ms, a.payload \
             FROM alerts AS a LEFT JOIN alert_rules AS r ON r.id = a.rule_id \
             LEFT JOIN issues AS i ON i.id = a.issue_id \
             WHERE a.project_id = ?1 ORDER BY a.fired_at_ms DESC, a.id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![project_id, limit], alert_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn due_alerts(&self, now_ms: u64, limit: usize) -> Result<Vec<PendingDelivery>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT id, webhook_url, payload, attempts FROM alerts \
             WHERE status = 'pending' AND next_attempt_ms <= ?1 \
             ORDER BY next_attempt_ms, id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![now_ms, limit], |row| {
            Ok(PendingDelivery {
                alert_id: row.get(0)?,
                webhook_url: row.get(1)?,
                payload: row.get(2)?,
                attempts: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn next_alert_due(&self) -> Result<Option<u64>, StoreError> {
        let connection = self.connection();
        Ok(connection.query_row(
            "SELECT MIN(next_attempt_ms) FROM alerts WHERE status = 'pending'",
            [],
            |row| row.get(0),
        )?)
    }

    fn record_delivery(&self, alert_id: u64, outcome: &DeliveryOutcome) -> Result<(), StoreError> {
        let connection = self.connection();
        match outcome {
            DeliveryOutcome::Delivered { at_ms } => connection.execute(
                "UPDATE alerts SET status = 'delivered', attempts = attempts + 1, \
                 delivered_at_ms = ?2, last_error = NULL WHERE id = ?1 AND status = 'pending'",
                params![alert_id, at_ms],
            )?,
            DeliveryOutcome::Retry {
                error,
                next_attempt_ms,
            } => connection.execute(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ?2, \
                 next_attempt_ms = ?3 WHERE id = ?1 AND status = 'pending'",
                params![alert_id, error, next_attempt_ms],
            )?,
            DeliveryOutcome::Failed { error } => connection.execute(
                "UPDATE alerts SET status = 'failed', attempts = attempts + 1, last_error = ?2 \
                 WHERE id = ?1 AND status = 'pending'",
                params![alert_id, error],
            )?,
        };
        Ok(())
    }
}

/// Evaluates the project's alert rules against what storing one event did to its issue, and
/// writes the alerts that fire to the outbox, in the caller's transaction; the number written.
///
/// A rule with an environment only looks at events from it. `new_issue` fires on the event
/// that created the issue (with an environment: the issue's first event there, so an issue
/// that moves from staging to production is new in production), `regression` on the one
/// that reopened it, `spike` when the issue
/// has more than `threshold` events (of the rule's environment) in the `window_minutes` up to
/// this event's timestamp. A rule fires at most once per issue per `throttle_minutes` (a
/// spike rule also at most once per window), so one spike is one alert.
pub(super) fn on_issue_activity(
    connection: &Connection,
    activity: &IssueActivity,
) -> Result<usize, StoreError> {
    let rules = rules(connection, activity.project_id)?;
    if rules.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let mut fired = 0;
    // Read at most once, and only when a spike rule needs it.
    let mut event_count: Option<u64> = None;
    for rule in rules {
        if rule
            .rule
            .environment
            .as_ref()
            .is_some_and(|environment| *environment != activity.environment)
        {
            continue;
        }
        let window_count = match (rule.rule.condition, &rule.rule.environment) {
            (AlertCondition::NewIssue, None) if activity.created => None,
            (AlertCondition::NewIssue, Some(environment))
                if first_in_environment(connection, activity.issue_id, environment)? =>
            {
                None
            }
            (AlertCondition::Regression, _) if activity.regressed => None,
            (AlertCondition::Spike, _) => {
                let threshold = rule.rule.threshold.unwrap_or(0);
                // No window holds more events than the issue has.
                let total = match event_count {
                    Some(total) => total,
                    None => {
                        let total = issue_event_count(connection, activity.issue_id)?;
                        event_count = Some(total);
                        total
                    }
                };
                if total <= threshold
                    || !more_in_window_than(connection, &rule, activity, threshold)?
                    || throttled(connection, &rule, activity.issue_id, now)?
                {
                    continue;
                }
                write_alert(
                    connection,
                    &rule,
                    activity,
                    Some(events_in_window(connection, &rule, activity)?),
                    now,
                )?;
                fired += 1;
                continue;
            }
            (AlertCondition::NewIssue | AlertCondition::Regression, _) => continue,
        };
        if throttled(connection, &rule, activity.issue_id, now)? {
            continue;
        }
        write_alert(connection, &rule, activity, window_count, now)?;
        fired += 1;
    }
    Ok(fired)
}

/// The events counted on an issue (0 for an unknown one).
fn issue_event_count(connection: &Connection, issue_id: u64) -> Result<u64, StoreError> {
    Ok(connection
        .prepare_cached("SELECT event_count FROM issues WHERE id = ?1")?
        .query_row([issue_id], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

fn rules(connection: &Connection, project_id: u64) -> Result<Vec<AlertRule>, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules WHERE project_id = ?1 ORDER BY id"
    ))?;
    let rows = statement.query_map([project_id], rule_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn rule_row(row: &Row<'_>) -> rusqlite::Result<AlertRule> {
    let condition = named_column(row, 3, "alert condition", AlertCondition::parse)?;
    Ok(AlertRule {
        id: row.get(0)?,
        created_at_ms: row.get(9)?,
        rule: NewAlertRule {
            project_id: row.get(1)?,
            name: row.get(2)?,
            condition,
            environment: row.get(4)?,
            threshold: row.get(5)?,
            window_minutes: row.get(6)?,
            webhook_url: row.get(7)?,
            throttle_minutes: row.get(8)?,
        },
    })
}

fn alert_row(row: &Row<'_>) -> rusqlite::Result<Alert> {
    let status = named_column(row, 7, "delivery status", DeliveryStatus::parse)?;
    let payload = json_column(row, 11)?;
    Ok(Alert {
        id: row.get(0)?,
        rule_id: row.get(1)?,
        rule_name: row.get(2)?,
        project_id: row.get(3)?,
        issue_id: row.get(4)?,
        issue_title: row.get(5)?,
        fired_at_ms: row.get(6)?,
        status,
        attempts: row.get(8)?,
        last_error: row.get(9)?,
        delivered_at_ms: row.get(10)?,
        payload,
    })
}

/// The value a text column at `index` names, read by `parse`; a name it does not know (a row
/// written by a newer version) is a conversion error that says which `what` it was.
fn named_column<T>(
    row: &Row<'_>,
    index: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let name: String = row.get(index)?;
    parse(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown {what} {name:?}").into(),
        )
    })
}

/// Whether the event just stored is the issue's first in `environment` (a new issue there):
/// its `environment` tag counts one event, or, for a value the tag bound left uncounted,
/// the issue's events hold only one from there.
fn first_in_environment(
    connection: &Connection,
    issue_id: u64,
    environment: &str,
) -> Result<bool, StoreError> {
    let tagged: Option<u64> = connection
        .prepare_cached(
            "SELECT count FROM issue_tags WHERE issue_id = ?1 AND key = 'environment' \
             AND value = ?2",
        )?
        .query_row(params![issue_id, environment], |row| row.get(0))
        .optional()?;
    if let Some(count) = tagged {
        return Ok(count == 1);
    }
    let count: u64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM issue_events WHERE issue_id = ?1 \
             AND environment = ?2 LIMIT 2)",
        )?
        .query_row(params![issue_id, environment], |row| row.get(0))?;
    Ok(count == 1)
}

/// Whether the issue has more than `threshold` events (in the rule's environment, if any)
/// within the rule's window ending at the event's timestamp; reads at most `threshold + 1`.
fn more_in_window_than(
    connection: &Connection,
    rule: &AlertRule,
    activity: &IssueActivity,
    threshold: u64,
) -> Result<bool, StoreError> {
    let at_most = i64::try_from(threshold.saturating_add(1)).unwrap_or(i64::MAX);
    Ok(count_in_window(connection, rule, activity, at_most)? > threshold)
}

/// Events of the issue (in the rule's environment, if any) within the rule's window ending at
/// the event's timestamp.
fn events_in_window(
    connection: &Connection,
    rule: &AlertRule,
    activity: &IssueActivity,
) -> Result<u64, StoreError> {
    // A negative LIMIT is no limit in SQLite.
    count_in_window(connection, rule, activity, -1)
}

/// The issue's events (in the rule's environment, if any) within the rule's window ending at
/// the event's timestamp, counting no further than `at_most` (negative: all).
fn count_in_window(
    connection: &Connection,
    rule: &AlertRule,
    activity: &IssueActivity,
    at_most: i64,
) -> Result<u64, StoreError> {
    let window_ms = rule
        .rule
        .window_minutes
        .unwrap_or(1)
        .saturating_mul(MINUTE_MS);
    let since = activity.timestamp_ms.saturating_sub(window_ms);
    Ok(connection
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM issue_events WHERE issue_id = ?1 \
             AND timestamp_ms > ?2 AND timestamp_ms <= ?3 AND (?4 IS NULL OR environment = ?4) \
             LIMIT ?5)",
        )?
        .query_row(
            params![
                activity.issue_id,
                since,
                activity.timestamp_ms,
                rule.rule.environment,
                at_most
            ],
            |row| row.get(0),
        )?)
}

/// Whether the rule fired for the issue within its throttle (for a spike, at least its
/// window, so one spike is one alert even without a throttle).
fn throttled(
    connection: &Connection,
    rule: &AlertRule,
    issue_id: u64,
    now: u64,
) -> Result<bool, StoreError> {
    let mut minutes = rule.rule.throttle_minutes;
    if rule.rule.condition == AlertCondition::Spike {
        minutes = minutes.max(rule.rule.window_minutes.unwrap_or(0));
    }
    if minutes == 0 {
        return Ok(false);
    }
    let since = now.saturating_sub(minutes.saturating_mul(MINUTE_MS));
    Ok(connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM alerts WHERE rule_id = ?1 AND issue_id = ?2 \
             AND fired_at_ms > ?3)",
        )?
        .query_row(params![rule.id, issue_id, since], |row| row.get(0))?)
}

/// Writes one fired alert, due for delivery at once.
fn write_alert(
    connection: &Connection,
    rule: &AlertRule,
    activity: &IssueActivity,
    window_count: Option<u64>,
    now: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO alerts (rule_id, project_id, issue_id, fired_at_ms, payload, \
             webhook_url, next_attempt_ms) VALUES (?1, ?2, ?3, ?4, '{}', ?5, ?4)",
        )?
        .execute(params![
            rule.id,
            activity.project_id,
            activity.issue_id,
            now,
            rule.rule.webhook_url,
        ])?;
    let alert_id = connection.last_insert_rowid();
    let payload = payload(connection, alert_id, rule, activity, window_count, now)?;
    connection
        .prepare_cached("UPDATE alerts SET payload = ?2 WHERE id = ?1")?
        .execute(params![alert_id, payload.to_string()])?;
    Ok(())
}

/// The webhook body: the alert, its rule, the issue as it is now and what triggered it.
fn payload(
    connection: &Connection,
    alert_id: i64,
    rule: &AlertRule,
    activity: &IssueActivity,
    window_count: Option<u64>,
    now: u64,
) -> Result<Value, StoreError> {
    let issue = connection
        .prepare_cached(
            "SELECT title, culprit, level, status, event_count, first_seen_ms, last_seen_ms, \
             first_release, last_release, owner FROM issues WHERE id = ?1",
        )?
        .query_row([activity.issue_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, u64>(4)?,
                row.get::<_, u64>(5)?,
                row.get::<_, u64>(6)?,
                row.get::<_, Option<String>>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, Option<String>>(9)?,
            ))
        })
        .optional()?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("alert for missing issue {}", activity.issue_id))
        })?;
    let (title, culprit, level, status, count, first_seen, last_seen, first, last, owner) = issue;
    let mut trigger = json!({
        "event_id": activity.event_id,
        "environment": activity.environment,
        "release": activity.release,
    });
    if let Some(count) = window_count {
        trigger["count_in_window"] = json!(count);
        trigger["window_minutes"] = json!(rule.rule.window_minutes);
        trigger["threshold"] = json!(rule.rule.threshold);
    }
    Ok(json!({
        "id": alert_id.to_string(),
        "rule": {
            "id": rule.id.to_string(),
            "name": rule.rule.name,
            "condition": rule.rule.condition.as_str(),
        },
        "project": activity.project_id.to_string(),
        "issue": {
            "id": activity.issue_id.to_string(),
            "title": title,
            "culprit": culprit,
            "level": level,
            "status": status,
            "count": count,
            "first_seen": time(first_seen)?,
            "last_seen": time(last_seen)?,
            "first_release": first,
            "last_release": last,
            "owner": owner,
            "url": format!("/issues/{}", activity.issue_id),
        },
        "trigger": trigger,
        "fired_at": time(now)?,
    }))
}

fn time(ms: u64) -> Result<String, StoreError> {
    rfc3339_ms(ms).map_err(|error| StoreError::Corrupt(error.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
