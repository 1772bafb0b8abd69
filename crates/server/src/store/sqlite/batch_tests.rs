//! Completing a batch of inbox entries in one transaction; an entry that cannot be stored is
//! quarantined and never blocks the others.
#![allow(clippy::unwrap_used)]

use super::SqliteStore;
use crate::processor::process_inbox_once;
use crate::store::alerts::{AlertCondition, NewAlertRule};
use crate::store::issues::IssueSearch;
use crate::store::{
    AlertStore, IssueStore, NewInboxEntry, Project, QuarantineStore, Store, StoreError,
};

const NOW: u64 = 1_795_672_800_000;

fn store() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    let project = Project {
        id: 1,
        public_key: "k".into(),
    };
    store.create_project(&project, "digest").unwrap();
    store
        .create_alert_rule(
            &NewAlertRule {
                project_id: 1,
                name: "new issue".into(),
                condition: AlertCondition::NewIssue,
                environment: None,
                threshold: None,
                window_minutes: None,
                webhook_url: "http://127.0.0.1:9/hook".into(),
                throttle_minutes: 0,
            },
            NOW,
        )
        .unwrap();
    store
}

fn event_id(n: u64) -> String {
    format!("{n:032x}")
}

/// Enqueues an envelope holding one `PaymentError` event with id `n`.
fn enqueue_event(store: &SqliteStore, n: u64) -> i64 {
    let id = event_id(n);
    let payload = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n\
         {{\"exception\":[{{\"type\":\"PaymentError\",\"value\":\"declined\"}}]}}\n"
    );
    enqueue(store, &id, payload.into_bytes())
}

fn enqueue(store: &SqliteStore, event_id: &str, payload: Vec<u8>) -> i64 {
    store
        .enqueue(&NewInboxEntry {
            project_id: 1,
            event_id: event_id.into(),
            received_at_ms: NOW,
            payload,
        })
        .unwrap()
}

fn issue_count(store: &SqliteStore) -> usize {
    store
        .search_issues(&IssueSearch {
            project_id: 1,
            clause: "1".into(),
            params: Vec::new(),
            order_by: "i.last_seen_ms DESC".into(),
            limit: 100,
            now_ms: NOW,
        })
        .unwrap()
        .len()
}

#[test]
fn a_batch_is_completed_in_one_go_and_an_undecodable_entry_is_dropped_and_counted() {
    let store = store();
    for n in 1..=3 {
        enqueue_event(&store, n);
    }
    enqueue(&store, &event_id(9), b"not an envelope".to_vec());
    let report = process_inbox_once(&store).unwrap();
    assert_eq!(report.entries, 4);
    assert_eq!(report.stored, 3);
    assert_eq!(report.failed, 1);
    assert_eq!(report.new_issues, 1);
    assert_eq!(store.inbox_len().unwrap(), 0);
    for n in 1..=3 {
        assert!(store.event(&event_id(n)).unwrap().is_some());
    }
    assert_eq!(issue_count(&store), 1);
    assert_eq!(
        store.alerts(1, 10).unwrap().len(),
        1,
        "one alert for one new issue"
    );
}

#[test]
fn an_entry_that_cannot_be_stored_is_quarantined_and_the_rest_of_its_batch_stored() {
    let store = store();
    for n in 1..=3 {
        enqueue_event(&store, n);
    }
    // Storing event 2 fails (as a bug or a damaged index would make it fail): the batch
    // transaction rolls back, then its entries are stored one by one.
    store
        .connection()
        .execute_batch(&format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.id = '{}' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            event_id(2)
        ))
        .unwrap();
    let report = process_inbox_once(&store).unwrap();
    assert_eq!(
        (report.entries, report.stored, report.quarantined),
        (3, 2, 1)
    );
    assert_eq!(store.inbox_len().unwrap(), 0, "nothing blocks the inbox");
    assert!(store.event(&event_id(1)).unwrap().is_some());
    assert!(store.event(&event_id(2)).unwrap().is_none());
    assert!(store.event(&event_id(3)).unwrap().is_some());
    let quarantined = store.quarantined(10).unwrap();
    assert_eq!(quarantined.len(), 1);
    assert!(quarantined[0].reason.contains("refused"), "{quarantined:?}");
    assert_eq!(issue_count(&store), 1);
    assert_eq!(
        store.alerts(1, 10).unwrap().len(),
        1,
        "one alert for one issue"
    );
}

#[test]
fn an_entry_that_cannot_even_be_quarantined_stays_in_the_inbox_without_blocking_the_others() {
    let store = store();
    let ids: Vec<i64> = (1..=3).map(|n| enqueue_event(&store, n)).collect();
    // The last entry cannot be deleted: neither completed nor moved to the quarantine.
    store
        .connection()
        .execute_batch(&format!(
            "CREATE TRIGGER refuse BEFORE DELETE ON inbox WHEN OLD.id = {} \
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            ids[2]
        ))
        .unwrap();
    assert!(matches!(
        process_inbox_once(&store),
        Err(StoreError::Sqlite(_))
    ));
    assert_eq!(store.inbox_len().unwrap(), 1, "only the stuck entry waits");
    assert!(store.event(&event_id(1)).unwrap().is_some());
    assert!(store.event(&event_id(2)).unwrap().is_some());
    assert!(store.event(&event_id(3)).unwrap().is_none());

    store
        .connection()
        .execute_batch("DROP TRIGGER refuse;")
        .unwrap();
    let report = process_inbox_once(&store).unwrap();
    assert_eq!(
        (report.entries, report.stored, report.duplicates),
        (1, 1, 0)
    );
    assert_eq!(store.inbox_len().unwrap(), 0);
    assert_eq!(issue_count(&store), 1);
    assert_eq!(
        store.alerts(1, 10).unwrap().len(),
        1,
        "the new issue alerts once"
    );
}

#[test]
fn rules_fire_once_per_batch_for_a_new_environment_and_a_spike() {
    let store = store();
    let with = |name: &str, condition, environment: Option<&str>, threshold| NewAlertRule {
        project_id: 1,
        name: name.into(),
        condition,
        environment: environment.map(str::to_owned),
        threshold,
        window_minutes: threshold.map(|_| 60),
        webhook_url: "http://127.0.0.1:9/hook".into(),
        throttle_minutes: 60,
    };
    for rule in [
        with(
            "new in production",
            AlertCondition::NewIssue,
            Some("production"),
            None,
        ),
        with("spike", AlertCondition::Spike, None, Some(2)),
    ] {
        store.create_alert_rule(&rule, NOW).unwrap();
    }
    for (n, environment) in [
        (1, "staging"),
        (2, "production"),
        (3, "production"),
        (4, "production"),
    ] {
        let id = event_id(n);
        let payload = format!(
            "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n\
             {{\"environment\":\"{environment}\",\
             \"exception\":[{{\"type\":\"PaymentError\",\"value\":\"declined\"}}]}}\n"
        );
        enqueue(&store, &id, payload.into_bytes());
    }
    let report = process_inbox_once(&store).unwrap();
    assert_eq!((report.stored, report.new_issues), (4, 1));
    let mut names: Vec<String> = store
        .alerts(1, 10)
        .unwrap()
        .into_iter()
        .map(|alert| alert.rule_name)
        .collect();
    names.sort();
    // The rule without an environment fired on the first (staging) event.
    assert_eq!(names, ["new in production", "new issue", "spike"]);
}
