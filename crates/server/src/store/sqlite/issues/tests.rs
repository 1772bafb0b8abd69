#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::super::SqliteStore;
use crate::event_id::EventId;
use crate::grouping::fingerprint_event;
use crate::link::LinkHints;
use crate::normalize::{NormalizeContext, normalize_event};
use crate::store::issues::{Issue, IssueSearch, IssueStatus, IssueUpdate, MAX_TAG_VALUES_PER_KEY};
use crate::store::{CompleteOutcome, IssueStore, NewEvent, ProcessedEnvelope, Project, Store};

/// 2026-11-26T06:00:00Z, the start of an hour.
const HOUR0: u64 = 1_795_672_800_000;
const HOUR: u64 = 3_600_000;

fn store() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    let project = Project {
        id: 1,
        public_key: "k".into(),
    };
    store.create_project(&project, "digest").unwrap();
    store
}

fn event_id(n: u64) -> String {
    format!("{n:032x}")
}

/// A payment failure of `release`, happening and received at `at`.
fn payment_error(release: &str, user: Value) -> Value {
    json!({
        "release": release,
        "user": user,
        "exception": [{"type": "PaymentError", "value": "card 4242 declined",
            "stacktrace": {"frames": [{"module": "shop.pay", "function": "charge", "in_app": true}]}}],
        "tags": {"http.status_code": "500", "service": "payments"},
        "request": {"url": "https://shop.example/api/checkout", "method": "POST"}
    })
}

/// Stores event `n` (raw JSON) that happened at `at` and was received at `received`.
fn send_at(store: &SqliteStore, n: u64, mut raw: Value, at: u64, received: u64) -> CompleteOutcome {
    raw["event_id"] = json!(event_id(n));
    #[allow(clippy::cast_precision_loss)]
    let seconds = at as f64 / 1000.0;
    raw["timestamp"] = json!(seconds);
    let context = NormalizeContext {
        event_id: EventId::random(),
        received_ms: received,
    };
    let event = normalize_event(&raw, &context);
    let grouping = fingerprint_event(&event);
    let processed = ProcessedEnvelope {
        events: vec![NewEvent {
            project_id: 1,
            event,
            hints: LinkHints::default(),
            grouping,
        }],
        transactions: Vec::new(),
        spans: Vec::new(),
        logs: Vec::new(),
    };
    store.complete_inbox_entry(0, &processed).unwrap()
}

fn send(store: &SqliteStore, n: u64, raw: Value, at: u64) -> CompleteOutcome {
    send_at(store, n, raw, at, at)
}

fn only_issue(store: &SqliteStore, now: u64) -> Issue {
    let issues = all_issues(store, now);
    assert_eq!(issues.len(), 1, "{issues:?}");
    issues.into_iter().next().unwrap()
}

fn all_issues(store: &SqliteStore, now: u64) -> Vec<Issue> {
    store
        .search_issues(&IssueSearch {
            project_id: 1,
            clause: "1".into(),
            params: Vec::new(),
            order_by: "i.last_seen_ms DESC".into(),
            limit: 100,
            now_ms: now,
        })
        .unwrap()
}

fn set_status(store: &SqliteStore, id: u64, status: IssueStatus, now: u64) -> Issue {
    let update = IssueUpdate {
        status: Some(status),
        assigned_to: None,
    };
    store.update_issue(id, &update, now).unwrap().unwrap()
}

fn activity_kinds(store: &SqliteStore, id: u64) -> Vec<(String, Option<String>)> {
    store
        .issue_details(id, HOUR0)
        .unwrap()
        .unwrap()
        .activity
        .into_iter()
        .map(|entry| (entry.kind, entry.release))
        .collect()
}

#[test]
fn events_of_one_fingerprint_are_counted_on_one_issue() {
    let store = store();
    let ann = json!({"id": "u1", "email": "ann@example.com"});
    let outcome = send(
        &store,
        1,
        payment_error("shop@1.0", ann.clone()),
        HOUR0 + 60_000,
    );
    assert_eq!((outcome.stored, outcome.new_issues), (1, 1));
    let mut second = payment_error("shop@1.1", ann);
    second["environment"] = json!("staging");
    send(&store, 2, second, HOUR0 + HOUR + 60_000);
    let mut third = payment_error("shop@1.1", json!({"ip_address": "10.0.0.9"}));
    third["exception"][0]["value"] = json!("card 1881 declined");
    let outcome = send(&store, 3, third, HOUR0 + 2 * HOUR + 60_000);
    assert_eq!(outcome.new_issues, 0);

    let now = HOUR0 + 2 * HOUR + 120_000;
    let issue = only_issue(&store, now);
    assert_eq!(issue.count, 3);
    assert_eq!(issue.user_count, 2);
    assert_eq!(issue.title, "PaymentError: card 1881 declined");
    assert_eq!(issue.culprit.as_deref(), Some("shop.pay in charge"));
    assert_eq!(issue.exception_type.as_deref(), Some("PaymentError"));
    assert_eq!(issue.grouping, "stacktrace");
    assert_eq!(issue.first_release.as_deref(), Some("shop@1.0"));
    assert_eq!(issue.last_release.as_deref(), Some("shop@1.1"));
    assert_eq!(issue.first_seen_ms, HOUR0 + 60_000);
    assert_eq!(issue.last_seen_ms, HOUR0 + 2 * HOUR + 60_000);
    assert_eq!(issue.first_event_id, event_id(1));
    assert_eq!(issue.last_event_id, event_id(3));
    assert_eq!(issue.events_1h, 1);
    assert_eq!(issue.counts_24h.len(), 24);
    assert_eq!(issue.counts_24h[21..], [1, 1, 1]);
    assert_eq!(issue.counts_24h[..21].iter().sum::<u64>(), 0);
    assert_eq!(issue.environments, ["production", "staging"]);
    assert_eq!(issue.status, IssueStatus::Unresolved);

    let details = store.issue_details(issue.id, now).unwrap().unwrap();
    let tag = |key: &str| {
        let tag = details.tags.iter().find(|tag| tag.key == key).unwrap();
        (tag.total, tag.values.clone())
    };
    assert_eq!(tag("http.status_code"), (3, vec![("500".to_owned(), 3)]));
    assert_eq!(
        tag("release"),
        (
            3,
            vec![("shop@1.1".to_owned(), 2), ("shop@1.0".to_owned(), 1)]
        )
    );
    assert_eq!(
        tag("user"),
        (3, vec![("u1".to_owned(), 2), ("10.0.0.9".to_owned(), 1)])
    );
    assert_eq!(tag("service").0, 3);
    assert_eq!(
        tag("url").1,
        [("https://shop.example/api/checkout".to_owned(), 3)]
    );
    assert_eq!(details.counts_14d.len(), 14 * 24);
    assert_eq!(details.counts_14d.iter().sum::<u64>(), 3);
    assert_eq!(
        activity_kinds(&store, issue.id),
        [("created".to_owned(), Some("shop@1.0".to_owned()))]
    );
}

#[test]
fn a_duplicate_event_is_not_counted_twice() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    let outcome = send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    assert_eq!((outcome.stored, outcome.duplicates), (0, 1));
    assert_eq!(only_issue(&store, HOUR0).count, 1);
}

#[test]
fn different_errors_are_different_issues() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    send(
        &store,
        2,
        json!({"message": "stock for sku 12 is negative"}),
        HOUR0 + 1,
    );
    send(
        &store,
        3,
        json!({"message": "stock for sku 99 is negative"}),
        HOUR0 + 2,
    );
    let issues = all_issues(&store, HOUR0);
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0].count, 2, "newest last seen first: {issues:?}");
    assert_eq!(issues[0].grouping, "message");
}

#[test]
fn a_resolved_issue_reopens_as_regressed_on_a_new_event() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    let id = only_issue(&store, HOUR0).id;
    let resolved = set_status(&store, id, IssueStatus::Resolved, HOUR0 + 1_000);
    assert_eq!(resolved.status, IssueStatus::Resolved);

    // Sent before the resolution, processed after: not a regression.
    let outcome = send_at(
        &store,
        2,
        payment_error("shop@1.0", Value::Null),
        HOUR0 + 500,
        HOUR0 + 900,
    );
    assert_eq!(outcome.regressions, 0);
    assert_eq!(only_issue(&store, HOUR0).status, IssueStatus::Resolved);

    let outcome = send(
        &store,
        3,
        payment_error("shop@1.0", Value::Null),
        HOUR0 + 2_000,
    );
    assert_eq!(outcome.regressions, 1);
    let issue = only_issue(&store, HOUR0 + 2_000);
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert!(issue.regressed);
    assert_eq!(issue.count, 3);
    assert_eq!(
        activity_kinds(&store, id),
        [
            ("created".to_owned(), Some("shop@1.0".to_owned())),
            ("resolved".to_owned(), None),
            ("regressed".to_owned(), Some("shop@1.0".to_owned())),
        ]
    );
}

#[test]
fn resolved_in_next_release_reopens_only_for_a_later_release() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    send(
        &store,
        2,
        payment_error("shop@1.1", Value::Null),
        HOUR0 + 1_000,
    );
    let id = only_issue(&store, HOUR0).id;
    let resolved = set_status(
        &store,
        id,
        IssueStatus::ResolvedInNextRelease,
        HOUR0 + 2_000,
    );
    assert_eq!(resolved.status, IssueStatus::ResolvedInNextRelease);
    assert_eq!(resolved.resolved_in_release.as_deref(), Some("shop@1.1"));

    // Still running the broken releases (and an event naming no release): stays resolved.
    for (n, release) in [(3, "shop@1.1"), (4, "shop@1.0")] {
        let outcome = send(
            &store,
            n,
            payment_error(release, Value::Null),
            HOUR0 + 3_000,
        );
        assert_eq!(outcome.regressions, 0);
    }
    let mut no_release = payment_error("", Value::Null);
    no_release.as_object_mut().unwrap().remove("release");
    send(&store, 5, no_release, HOUR0 + 3_500);
    let issue = only_issue(&store, HOUR0 + 4_000);
    assert_eq!(issue.status, IssueStatus::ResolvedInNextRelease);
    assert_eq!(issue.count, 5);

    let outcome = send(
        &store,
        6,
        payment_error("shop@1.2", Value::Null),
        HOUR0 + 5_000,
    );
    assert_eq!(outcome.regressions, 1);
    let issue = only_issue(&store, HOUR0 + 5_000);
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert!(issue.regressed);
    assert_eq!(issue.resolved_in_release, None);
    assert_eq!(issue.last_release.as_deref(), Some("shop@1.2"));
    let kinds = activity_kinds(&store, id);
    assert_eq!(
        kinds[1..],
        [
            (
                "resolved_in_next_release".to_owned(),
                Some("shop@1.1".to_owned())
            ),
            ("regressed".to_owned(), Some("shop@1.2".to_owned())),
        ]
    );
}

#[test]
fn an_ignored_issue_stays_ignored_and_keeps_counting() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    let id = only_issue(&store, HOUR0).id;
    set_status(&store, id, IssueStatus::Ignored, HOUR0 + 1);
    let outcome = send(
        &store,
        2,
        payment_error("shop@2.0", Value::Null),
        HOUR0 + 10,
    );
    assert_eq!(outcome.regressions, 0);
    let issue = only_issue(&store, HOUR0 + 10);
    assert_eq!(issue.status, IssueStatus::Ignored);
    assert!(!issue.regressed);
    assert_eq!(issue.count, 2);
}

#[test]
fn assignment_changes_are_recorded() {
    let store = store();
    send(&store, 1, payment_error("shop@1.0", Value::Null), HOUR0);
    let id = only_issue(&store, HOUR0).id;
    let update = IssueUpdate {
        status: None,
        assigned_to: Some(Some("#payments".into())),
    };
    let issue = store.update_issue(id, &update, HOUR0 + 1).unwrap().unwrap();
    assert_eq!(issue.assigned_to.as_deref(), Some("#payments"));
    let update = IssueUpdate {
        status: None,
        assigned_to: Some(None),
    };
    let issue = store.update_issue(id, &update, HOUR0 + 2).unwrap().unwrap();
    assert_eq!(issue.assigned_to, None);
    let kinds: Vec<String> = activity_kinds(&store, id)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, ["created", "assigned", "unassigned"]);
    assert!(store.update_issue(999, &update, HOUR0).unwrap().is_none());
}

#[test]
fn events_are_listed_newest_first_with_neighbours_and_pages() {
    let store = store();
    for (n, at) in [
        (1, HOUR0 + 30),
        (2, HOUR0 + 10),
        (3, HOUR0 + 20),
        (4, HOUR0 + 20),
    ] {
        send(&store, n, payment_error("shop@1.0", Value::Null), at);
    }
    let id = only_issue(&store, HOUR0).id;
    let page = store.issue_events(id, 2, None).unwrap();
    let ids: Vec<&str> = page.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [event_id(1), event_id(4)]);
    let last = page.last().unwrap();
    let next = store
        .issue_events(id, 10, Some((last.timestamp_ms, last.id.clone())))
        .unwrap();
    let ids: Vec<&str> = next.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [event_id(3), event_id(2)]);
    assert_eq!(next[0].title, "PaymentError: card 4242 declined");

    let place = store.event_place(&event_id(3)).unwrap().unwrap();
    assert_eq!(place.issue_id, id);
    assert_eq!(place.previous_event_id, Some(event_id(2)));
    assert_eq!(place.next_event_id, Some(event_id(4)));
    let oldest = store.event_place(&event_id(2)).unwrap().unwrap();
    assert_eq!(oldest.previous_event_id, None);
    let newest = store.event_place(&event_id(1)).unwrap().unwrap();
    assert_eq!(newest.next_event_id, None);
    assert!(store.event_place(&event_id(99)).unwrap().is_none());
    let issue = only_issue(&store, HOUR0);
    assert_eq!(issue.first_event_id, event_id(2));
    assert_eq!(issue.last_event_id, event_id(1));
}

#[test]
fn first_and_latest_events_agree_with_navigation_when_timestamps_tie() {
    let store = store();
    // Arrival order differs from id order; all three share one millisecond.
    for n in [2, 3, 1] {
        send(&store, n, payment_error("shop@1.0", Value::Null), HOUR0 + 5);
    }
    let issue = only_issue(&store, HOUR0);
    let first = store.event_place(&issue.first_event_id).unwrap().unwrap();
    let latest = store.event_place(&issue.last_event_id).unwrap().unwrap();
    assert_eq!(first.previous_event_id, None, "{issue:?}");
    assert_eq!(latest.next_event_id, None, "{issue:?}");
    assert_eq!(first.next_event_id, Some(event_id(2)));
}

#[test]
fn tag_values_per_key_are_bounded() {
    let store = store();
    let limit = MAX_TAG_VALUES_PER_KEY + 5;
    for n in 0..limit {
        let mut raw = payment_error("shop@1.0", Value::Null);
        raw["tags"]["order"] = json!(format!("o{n}"));
        send(&store, n + 1, raw, HOUR0 + n);
    }
    let id = only_issue(&store, HOUR0).id;
    let details = store.issue_details(id, HOUR0).unwrap().unwrap();
    let order = details.tags.iter().find(|tag| tag.key == "order").unwrap();
    assert_eq!(order.total, MAX_TAG_VALUES_PER_KEY);
    assert_eq!(order.values.len(), 10);
    assert_eq!(details.issue.count, limit);
}

#[test]
fn stored_events_are_grouped_in_batches_as_if_they_had_just_arrived() {
    let store = store();
    let events = u64::try_from(super::MIGRATION_BATCH).unwrap() + 3;
    for n in 0..events {
        let user = json!({"id": format!("u{}", n % 7)});
        // Stored out of time order: the latest event is not the last one stored.
        let at = HOUR0 + (n * 7_919) % (events * 10);
        send(&store, n + 1, payment_error("shop@1.0", user), at);
    }
    send(
        &store,
        events + 1,
        json!({"message": "stock is negative"}),
        HOUR0,
    );
    let before = all_issues(&store, HOUR0);
    {
        let connection = store.connection();
        connection
            .execute_batch(
                "DELETE FROM issues; DELETE FROM issue_events; DELETE FROM issue_tags; \
                 DELETE FROM issue_hours; DELETE FROM issue_users; DELETE FROM issue_activity;",
            )
            .unwrap();
        assert_eq!(
            super::group_stored_events(&connection).unwrap(),
            usize::try_from(events).unwrap() + 1
        );
        assert_eq!(
            super::group_stored_events(&connection).unwrap(),
            0,
            "nothing left to group"
        );
    }
    let after = all_issues(&store, HOUR0);
    let summary = |issues: &[Issue]| -> Vec<_> {
        issues
            .iter()
            .map(|i| {
                (
                    i.title.clone(),
                    i.count,
                    i.user_count,
                    i.first_seen_ms,
                    i.last_seen_ms,
                    i.first_event_id.clone(),
                    i.last_event_id.clone(),
                )
            })
            .collect()
    };
    assert_eq!(summary(&after), summary(&before));
    assert_eq!(after[0].count, events);
    assert_eq!(after[0].user_count, 7);
}

#[test]
fn trends_read_from_the_index_keep_the_order_of_counting_every_issue() {
    let store = store();
    let now = super::super::now_ms();
    let minute = 60_000;
    for k in 0..40_u64 {
        let raw = |seq: u64| {
            json!({"exception": [{"type": format!("Error{k}"), "value": "boom"}],
                "level": if k % 5 == 0 { "warning" } else { "error" }, "seq": seq})
        };
        // Every issue has an old event; most have 0–3 more within the hour (counts tie).
        send(&store, k * 10, raw(0), now - 3 * HOUR - k * minute);
        for seq in 1..=(k % 4) {
            send(
                &store,
                k * 10 + seq,
                raw(seq),
                now - ((k * 7 + seq) % 50) * minute,
            );
        }
    }
    for id in [3, 8, 13] {
        set_status(&store, id, IssueStatus::Resolved, now);
    }
    for query in ["", "is:unresolved", "is:unresolved level:error"] {
        let filter = crate::search::parse(query).unwrap().issue_sql(now);
        for limit in [1, 7, 25, 31, 100] {
            let search = IssueSearch {
                project_id: 1,
                clause: filter.clause.clone(),
                params: filter.params.clone(),
                order_by: crate::search::sort_order("trends").unwrap().to_owned(),
                limit,
                now_ms: now,
            };
            let indexed: Vec<u64> = store
                .search_issues(&search)
                .unwrap()
                .iter()
                .map(|issue| issue.id)
                .collect();
            let counted: Vec<u64> = super::queries::select_issues(
                &store.connection(),
                &search,
                "1",
                &search.order_by,
                limit,
            )
            .unwrap()
            .iter()
            .map(|issue| issue.id)
            .collect();
            assert_eq!(indexed, counted, "query `{query}`, limit {limit}");
        }
    }
}
