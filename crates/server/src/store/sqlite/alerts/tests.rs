//! Rule evaluation and the outbox against a real database.

use super::*;

const T: u64 = 1_795_673_336_000;

fn store() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    {
        let connection = store.connection();
        connection
            .execute(
                "INSERT INTO issues (id, project_id, fingerprint, grouping, title, culprit, level, \
                 first_seen_ms, last_seen_ms, first_release, last_release, event_count, owner, \
                 first_event_id, last_event_id) VALUES (7, 1, 'f', 'exception', \
                 'TypeError: cart is undefined', 'shop.checkout in pay', 'error', ?1, ?1, \
                 'shop@1.4.2', 'shop@1.4.2', 1, '#payments', 'a', 'a')",
                [T],
            )
            .unwrap();
    }
    store
}

fn rule(condition: AlertCondition) -> NewAlertRule {
    NewAlertRule {
        project_id: 1,
        name: format!("{condition} rule"),
        condition,
        environment: None,
        threshold: None,
        window_minutes: None,
        webhook_url: "http://127.0.0.1:9/hook".into(),
        throttle_minutes: 60,
    }
}

fn spike(threshold: u64, window_minutes: u64) -> NewAlertRule {
    NewAlertRule {
        threshold: Some(threshold),
        window_minutes: Some(window_minutes),
        ..rule(AlertCondition::Spike)
    }
}

fn activity(n: u64, environment: &str) -> IssueActivity {
    IssueActivity {
        project_id: 1,
        issue_id: 7,
        event_id: format!("{n:032x}"),
        created: n == 0,
        regressed: false,
        environment: environment.into(),
        release: Some("shop@1.4.2".into()),
        timestamp_ms: T + n * 1_000,
    }
}

/// Stores the event of `activity` as grouping does, then evaluates the rules.
fn store_event(store: &SqliteStore, activity: &IssueActivity) -> usize {
    let connection = store.connection();
    connection
        .execute(
            "INSERT INTO issue_events (event_id, issue_id, project_id, timestamp_ms, release, \
             environment) VALUES (?1, 7, 1, ?2, ?3, ?4)",
            params![
                activity.event_id,
                activity.timestamp_ms,
                activity.release,
                activity.environment
            ],
        )
        .unwrap();
    connection
        .execute(
            "UPDATE issues SET event_count = event_count + 1 WHERE id = 7",
            [],
        )
        .unwrap();
    on_issue_activity(&connection, activity).unwrap()
}

fn fired(store: &SqliteStore) -> Vec<Alert> {
    store.alerts(1, 100).unwrap()
}

#[test]
fn a_new_issue_fires_once_and_only_in_the_rules_environment() {
    let store = store();
    store
        .create_alert_rule(&rule(AlertCondition::NewIssue), T)
        .unwrap();
    let staging_only = NewAlertRule {
        environment: Some("staging".into()),
        ..rule(AlertCondition::NewIssue)
    };
    store.create_alert_rule(&staging_only, T).unwrap();
    assert_eq!(store_event(&store, &activity(0, "production")), 1);
    assert_eq!(store_event(&store, &activity(1, "production")), 0);
    let alerts = fired(&store);
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.rule_name, "new_issue rule");
    assert_eq!(alert.rule_name, "new_issue rule");
    assert_eq!(alert.issue_title, "TypeError: cart is undefined");
    assert_eq!(alert.status, DeliveryStatus::Pending);
    assert_eq!(alert.payload["rule"]["condition"], "new_issue");
    assert_eq!(alert.payload["issue"]["id"], "7");
    assert_eq!(alert.payload["issue"]["owner"], "#payments");
    assert_eq!(alert.payload["issue"]["url"], "/issues/7");
    assert_eq!(
        alert.payload["issue"]["first_seen"],
        "2026-11-26T06:08:56.000Z"
    );
    assert_eq!(alert.payload["trigger"]["event_id"], format!("{:032x}", 0));
    assert_eq!(alert.payload["trigger"]["environment"], "production");
    assert_eq!(alert.payload["id"], alert.id.to_string());
}

#[test]
fn an_issue_reaching_the_rules_environment_is_new_there() {
    let store = store();
    let production_only = NewAlertRule {
        environment: Some("production".into()),
        ..rule(AlertCondition::NewIssue)
    };
    store.create_alert_rule(&production_only, T).unwrap();
    assert_eq!(store_event(&store, &activity(0, "staging")), 0);
    assert_eq!(store_event(&store, &activity(1, "staging")), 0);
    assert_eq!(store_event(&store, &activity(2, "production")), 1);
    assert_eq!(store_event(&store, &activity(3, "production")), 0);
    let alerts = fired(&store);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].payload["trigger"]["environment"], "production");
    assert_eq!(
        alerts[0].payload["trigger"]["event_id"],
        format!("{:032x}", 2)
    );
}

#[test]
fn a_regression_fires_for_the_event_that_reopened_the_issue() {
    let store = store();
    store
        .create_alert_rule(&rule(AlertCondition::Regression), T)
        .unwrap();
    assert_eq!(store_event(&store, &activity(0, "production")), 0);
    let reopening = IssueActivity {
        regressed: true,
        ..activity(1, "production")
    };
    assert_eq!(store_event(&store, &reopening), 1);
    assert_eq!(fired(&store)[0].payload["rule"]["condition"], "regression");
}

#[test]
fn a_burst_over_the_threshold_is_one_alert() {
    let store = store();
    store.create_alert_rule(&spike(10, 5), T).unwrap();
    let fired_at: Vec<u64> = (0..30)
        .filter(|n| store_event(&store, &activity(*n, "production")) == 1)
        .collect();
    // The 11th event is the first of more than 10 in the window.
    assert_eq!(fired_at, [10]);
    let alerts = fired(&store);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].payload["trigger"]["count_in_window"], 11);
    assert_eq!(alerts[0].payload["trigger"]["window_minutes"], 5);
}

#[test]
fn a_spike_counts_only_events_inside_the_window_and_environment() {
    let store = store();
    let rule = NewAlertRule {
        environment: Some("production".into()),
        ..spike(3, 1)
    };
    store.create_alert_rule(&rule, T).unwrap();
    // Four events 30 s apart: never more than 3 within one minute.
    for n in 0..4 {
        assert_eq!(store_event(&store, &activity(n * 30, "production")), 0);
    }
    // Staging events do not count towards a production rule.
    for n in 200..210 {
        assert_eq!(store_event(&store, &activity(n, "staging")), 0);
    }
    assert!(fired(&store).is_empty());
    let fired_now: usize = (300..304)
        .map(|n| store_event(&store, &activity(n, "production")))
        .sum();
    assert_eq!(fired_now, 1);
}

#[test]
fn without_a_throttle_a_spike_still_fires_once_per_window() {
    let store = store();
    let rule = NewAlertRule {
        throttle_minutes: 0,
        ..spike(2, 5)
    };
    store.create_alert_rule(&rule, T).unwrap();
    let count: usize = (0..10)
        .map(|n| store_event(&store, &activity(n, "production")))
        .sum();
    assert_eq!(count, 1);
}

#[test]
fn without_a_throttle_every_regression_fires() {
    let store = store();
    let rule = NewAlertRule {
        throttle_minutes: 0,
        ..rule(AlertCondition::Regression)
    };
    store.create_alert_rule(&rule, T).unwrap();
    let count: usize = (0..3)
        .map(|n| {
            let reopening = IssueActivity {
                regressed: true,
                ..activity(n, "production")
            };
            store_event(&store, &reopening)
        })
        .sum();
    assert_eq!(count, 3);
}

#[test]
fn deliveries_are_recorded_and_retried_when_due() {
    let store = store();
    store
        .create_alert_rule(&rule(AlertCondition::NewIssue), T)
        .unwrap();
    store_event(&store, &activity(0, "production"));
    let now = now_ms();
    let due = store.due_alerts(now, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].webhook_url, "http://127.0.0.1:9/hook");
    let payload: Value = serde_json::from_str(&due[0].payload).unwrap();
    assert_eq!(payload["issue"]["title"], "TypeError: cart is undefined");
    store
        .record_delivery(
            due[0].alert_id,
            &DeliveryOutcome::Retry {
                error: "HTTP 500".into(),
                next_attempt_ms: now + 1_000,
            },
        )
        .unwrap();
    assert!(store.due_alerts(now, 10).unwrap().is_empty());
    assert_eq!(store.next_alert_due().unwrap(), Some(now + 1_000));
    let alert = &fired(&store)[0];
    assert_eq!(alert.status, DeliveryStatus::Pending);
    assert_eq!(alert.attempts, 1);
    assert_eq!(alert.last_error.as_deref(), Some("HTTP 500"));
    let due = store.due_alerts(now + 1_000, 10).unwrap();
    assert_eq!(due[0].attempts, 1);
    store
        .record_delivery(
            due[0].alert_id,
            &DeliveryOutcome::Delivered { at_ms: now + 1_500 },
        )
        .unwrap();
    let alert = &fired(&store)[0];
    assert_eq!(alert.status, DeliveryStatus::Delivered);
    assert_eq!(alert.attempts, 2);
    assert_eq!(alert.last_error, None);
    assert_eq!(alert.delivered_at_ms, Some(now + 1_500));
    assert_eq!(store.next_alert_due().unwrap(), None);
}

#[test]
fn deleting_a_rule_stops_its_pending_alerts_and_keeps_the_list() {
    let store = store();
    let rule = store
        .create_alert_rule(&rule(AlertCondition::NewIssue), T)
        .unwrap();
    store_event(&store, &activity(0, "production"));
    assert!(!store.delete_alert_rule(2, rule.id).unwrap());
    assert!(store.delete_alert_rule(1, rule.id).unwrap());
    assert!(store.alert_rules(1).unwrap().is_empty());
    let alert = &fired(&store)[0];
    assert_eq!(alert.status, DeliveryStatus::Failed);
    assert_eq!(alert.rule_name, "new_issue rule");
    assert!(store.due_alerts(i64::MAX as u64, 10).unwrap().is_empty());
    // No rule, nothing fires.
    assert_eq!(store_event(&store, &activity(1, "production")), 0);
}

#[test]
fn a_project_has_a_bounded_number_of_rules() {
    let store = store();
    for _ in 0..MAX_ALERT_RULES {
        store
            .create_alert_rule(&rule(AlertCondition::NewIssue), T)
            .unwrap();
    }
    let error = store
        .create_alert_rule(&rule(AlertCondition::NewIssue), T)
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(message) if message.contains("MAX_ALERT_RULES")));
    assert_eq!(store.alert_rules(1).unwrap().len(), MAX_ALERT_RULES);
}

#[test]
fn a_spike_that_lasts_past_the_throttle_fires_again() {
    let store = store();
    store.create_alert_rule(&spike(3, 120), T).unwrap();
    let first: usize = (0..10)
        .map(|n| store_event(&store, &activity(n, "production")))
        .sum();
    assert_eq!(first, 1);
    // Two hours pass (the window is 120 minutes, the throttle 60).
    store
        .connection()
        .execute(
            "UPDATE alerts SET fired_at_ms = fired_at_ms - 2 * 3600000 - 1",
            [],
        )
        .unwrap();
    assert_eq!(store_event(&store, &activity(10, "production")), 1);
    assert_eq!(store_event(&store, &activity(11, "production")), 0);
    assert_eq!(fired(&store).len(), 2);
}

#[test]
fn an_alert_that_failed_for_good_is_not_due_any_more() {
    let store = store();
    store
        .create_alert_rule(&rule(AlertCondition::NewIssue), T)
        .unwrap();
    store_event(&store, &activity(0, "production"));
    let due = store.due_alerts(now_ms(), 10).unwrap();
    store
        .record_delivery(
            due[0].alert_id,
            &DeliveryOutcome::Failed {
                error: "HTTP 410 (gave up after 6 attempts)".into(),
            },
        )
        .unwrap();
    let alert = &fired(&store)[0];
    assert_eq!(alert.status, DeliveryStatus::Failed);
    assert_eq!(alert.attempts, 1);
    assert!(alert.last_error.as_deref().unwrap().contains("gave up"));
    assert!(store.due_alerts(i64::MAX as u64, 10).unwrap().is_empty());
    assert_eq!(store.next_alert_due().unwrap(), None);
}
