//! The query language run against a real SQLite database with the server's schema.

#![allow(clippy::unwrap_used)]

use rusqlite::{Connection, params, params_from_iter};
use serde_json::json;

use super::*;

/// 2026-11-26T06:08:56.123Z.
const NOW: u64 = 1_795_673_336_123;
const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
/// 2026-10-15T12:00:00Z.
const OCT_15_NOON: u64 = 1_792_065_600_000;

struct IssueRow {
    id: u64,
    title: &'static str,
    culprit: Option<&'static str>,
    level: &'static str,
    status: &'static str,
    regressed: bool,
    first_seen: u64,
    last_seen: u64,
    first_release: Option<&'static str>,
    count: u64,
    users: u64,
    assigned: Option<&'static str>,
    owner: Option<&'static str>,
    tags: &'static [(&'static str, &'static str)],
}

fn issues() -> [IssueRow; 3] {
    [
        IssueRow {
            id: 1,
            title: "TypeError: cart is undefined",
            culprit: Some("shop.checkout in pay"),
            level: "error",
            status: "unresolved",
            regressed: false,
            first_seen: NOW - 30 * MINUTE,
            last_seen: NOW - MINUTE,
            first_release: Some("shop@1.4.2"),
            count: 50,
            users: 10,
            assigned: Some("#payments"),
            owner: Some("#payments"),
            tags: &[
                ("environment", "production"),
                ("release", "shop@1.4.2"),
                ("http.status_code", "500"),
                ("url", "https://shop.example/api/checkout"),
                ("level", "error"),
            ],
        },
        IssueRow {
            id: 2,
            title: "ZeroDivisionError: division by zero",
            culprit: Some("shop.pay in total"),
            level: "fatal",
            status: "resolved",
            regressed: false,
            first_seen: NOW - 3 * DAY,
            last_seen: NOW - 2 * DAY,
            first_release: Some("shop@1.4.1"),
            count: 5,
            users: 1,
            assigned: None,
            owner: None,
            tags: &[
                ("environment", "staging"),
                ("release", "shop@1.4.1"),
                ("http.status_code", "502"),
                ("url", "https://shop.example/api/cart"),
            ],
        },
        IssueRow {
            id: 3,
            title: "Timeout: 100% of my_pool used",
            culprit: None,
            level: "warning",
            status: "ignored",
            regressed: true,
            first_seen: OCT_15_NOON,
            last_seen: NOW - 2 * HOUR,
            first_release: None,
            count: 12,
            users: 3,
            assigned: Some("@alice"),
            owner: Some("#infra"),
            tags: &[("environment", "production"), ("service", "payments")],
        },
    ]
}

fn database() -> Connection {
    let connection = Connection::open_in_memory().unwrap();
    connection
        .execute_batch(include_str!("../store/schema.sql"))
        .unwrap();
    for issue in issues() {
        connection
            .execute(
                "INSERT INTO issues (id, project_id, fingerprint, grouping, title, culprit, \
                 level, status, regressed, first_seen_ms, last_seen_ms, first_release, \
                 last_release, event_count, user_count, owner, assigned_to, first_event_id, \
                 last_event_id) VALUES (?1, 1, ?1, 'exception', ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                 ?9, ?9, ?10, ?11, ?12, ?13, 'a', 'b')",
                params![
                    issue.id,
                    issue.title,
                    issue.culprit,
                    issue.level,
                    issue.status,
                    issue.regressed,
                    issue.first_seen,
                    issue.last_seen,
                    issue.first_release,
                    issue.count,
                    issue.users,
                    issue.owner,
                    issue.assigned,
                ],
            )
            .unwrap();
        for (key, value) in issue.tags {
            connection
                .execute(
                    "INSERT INTO issue_tags (issue_id, key, value, count, last_seen_ms) \
                     VALUES (?1, ?2, ?3, 1, ?4)",
                    params![issue.id, key, value, issue.last_seen],
                )
                .unwrap();
        }
    }
    for (version, created) in [("shop@1.4.1", NOW - 5 * DAY), ("shop@1.4.2", NOW - DAY)] {
        connection
            .execute(
                "INSERT INTO releases (project_id, version, created_at_ms) VALUES (1, ?1, ?2)",
                params![version, created],
            )
            .unwrap();
    }
    // Events: two of issue 1 (one in staging with a trace), one of issue 2.
    let events = [
        (
            "e1",
            1,
            NOW - 2 * MINUTE,
            "production",
            Some("shop@1.4.2"),
            Some("u1"),
            None,
            json!({"title": "TypeError: cart is undefined", "level": "error",
                   "message": null, "culprit": "shop.checkout in pay", "status_code": 500,
                   "request": {"url": "https://shop.example/api/checkout"},
                   "tags": [{"key": "browser", "value": "Firefox 130"}]}),
        ),
        (
            "e2",
            1,
            NOW - MINUTE,
            "staging",
            Some("shop@1.4.2"),
            None,
            Some("0123456789abcdef0123456789abcdef"),
            json!({"title": "TypeError: cart is undefined", "level": "warning",
                   "culprit": "shop.checkout in pay", "status_code": null,
                   "tags": [{"key": "browser", "value": "Chrome 128"}]}),
        ),
        (
            "e3",
            2,
            NOW - 2 * DAY,
            "staging",
            Some("shop@1.4.1"),
            Some("u2"),
            None,
            json!({"title": "ZeroDivisionError: division by zero", "level": "fatal",
                   "message": "checkout failed for cart 7", "status_code": 502, "tags": []}),
        ),
    ];
    for (id, issue, timestamp, environment, release, user, trace, body) in events {
        connection
            .execute(
                "INSERT INTO events (id, project_id, received_at_ms, timestamp_ms, trace_id, \
                 body) VALUES (?1, 1, ?2, ?2, ?3, ?4)",
                params![id, timestamp, trace, body.to_string()],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO issue_events (event_id, issue_id, project_id, timestamp_ms, \
                 release, environment, user_key) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)",
                params![id, issue, timestamp, release, environment, user],
            )
            .unwrap();
    }
    connection
}

/// The ids of the issues `query` keeps, ascending.
fn issue_ids(connection: &Connection, query: &str) -> Vec<u64> {
    let filter = parse(query).unwrap().issue_sql(NOW);
    let sql = format!(
        "SELECT i.id FROM issues AS i WHERE i.project_id = ? AND ({}) ORDER BY i.id",
        filter.clause
    );
    let mut values = vec![rusqlite::types::Value::Integer(1)];
    values.extend(filter.params);
    let mut statement = connection.prepare(&sql).unwrap();
    statement
        .query_map(params_from_iter(values), |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The ids of the events `query` keeps, ascending.
fn event_ids(connection: &Connection, query: &str) -> Vec<String> {
    let filter = parse(query).unwrap().event_sql(NOW);
    let sql = format!(
        "SELECT e.event_id FROM issue_events AS e JOIN events AS ev ON ev.id = e.event_id \
         JOIN issues AS i ON i.id = e.issue_id WHERE ({}) ORDER BY e.event_id",
        filter.clause
    );
    let mut statement = connection.prepare(&sql).unwrap();
    statement
        .query_map(params_from_iter(filter.params), |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn error(query: &str) -> String {
    parse(query).unwrap_err().to_string()
}

#[test]
fn the_query_from_the_issue_finds_the_new_checkout_error() {
    let db = database();
    let query = "is:unresolved level:error http.status_code:500 environment:production \
                 release:shop@1.4.2 firstSeen:-1h assigned:#payments \"TypeError\"";
    assert_eq!(issue_ids(&db, query), [1]);
    assert_eq!(issue_ids(&db, ""), [1, 2, 3]);
    assert_eq!(issue_ids(&db, "   "), [1, 2, 3]);
}

#[test]
fn is_filters_follow_the_status() {
    let db = database();
    assert_eq!(issue_ids(&db, "is:unresolved"), [1]);
    assert_eq!(issue_ids(&db, "is:resolved"), [2]);
    assert_eq!(issue_ids(&db, "is:ignored"), [3]);
    assert_eq!(issue_ids(&db, "is:archived"), [3]);
    assert_eq!(issue_ids(&db, "is:regressed"), [3]);
    assert_eq!(issue_ids(&db, "is:assigned"), [1, 3]);
    assert_eq!(issue_ids(&db, "is:unassigned"), [2]);
    assert_eq!(issue_ids(&db, "is:for_review"), [1]);
    assert_eq!(issue_ids(&db, "IS:Unresolved"), [1]);
    assert_eq!(issue_ids(&db, "!is:unresolved"), [2, 3]);
    assert_eq!(issue_ids(&db, "is:[resolved,ignored]"), [2, 3]);
    db.execute(
        "UPDATE issues SET status = 'resolved_in_next_release' WHERE id = 2",
        [],
    )
    .unwrap();
    assert_eq!(issue_ids(&db, "is:resolved"), [2]);
}

#[test]
fn level_environment_and_release_match_any_listed_value() {
    let db = database();
    assert_eq!(issue_ids(&db, "level:error"), [1]);
    assert_eq!(issue_ids(&db, "level:ERROR"), [1]);
    assert_eq!(issue_ids(&db, "level:[error, fatal]"), [1, 2]);
    assert_eq!(issue_ids(&db, "!level:warning"), [1, 2]);
    assert_eq!(issue_ids(&db, "environment:production"), [1, 3]);
    assert_eq!(issue_ids(&db, "!environment:production"), [2]);
    assert_eq!(issue_ids(&db, "env:staging"), [2]);
    assert_eq!(issue_ids(&db, "release:shop@1.4.1"), [2]);
    assert_eq!(issue_ids(&db, "release:shop@1.4.*"), [1, 2]);
    assert_eq!(issue_ids(&db, "release:latest"), [1]);
    assert_eq!(issue_ids(&db, "firstRelease:latest"), [1]);
    assert_eq!(issue_ids(&db, "firstRelease:shop@1.4.1"), [2]);
    assert_eq!(issue_ids(&db, "!firstRelease:shop@1.4.1"), [1, 3]);
}

#[test]
fn relative_dates_count_back_from_now() {
    let db = database();
    assert_eq!(issue_ids(&db, "firstSeen:-1h"), [1]);
    assert_eq!(issue_ids(&db, "firstSeen:-10m"), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, "firstSeen:+1d"), [2, 3]);
    assert_eq!(issue_ids(&db, "firstSeen:+1w"), [3]);
    assert_eq!(issue_ids(&db, "age:-4d"), [1, 2]);
    assert_eq!(issue_ids(&db, "lastSeen:-3h"), [1, 3]);
    assert_eq!(issue_ids(&db, "!lastSeen:-3h"), [2]);
    assert_eq!(issue_ids(&db, "lastseen:+1h"), [2, 3]);
}

#[test]
fn absolute_dates_compare_with_the_instant_or_the_day() {
    let db = database();
    assert_eq!(issue_ids(&db, "firstSeen:>2026-11-01"), [1, 2]);
    assert_eq!(issue_ids(&db, "firstSeen:<2026-11-01"), [3]);
    assert_eq!(issue_ids(&db, "firstSeen:2026-10-15"), [3]);
    assert_eq!(issue_ids(&db, "firstSeen:<=2026-10-15T12:00:00Z"), [3]);
    assert_eq!(
        issue_ids(&db, "firstSeen:<2026-10-15T12:00:00Z"),
        Vec::<u64>::new()
    );
    assert_eq!(issue_ids(&db, "firstSeen:>=2026-10-15T12:00:00"), [1, 2, 3]);
    assert_eq!(
        issue_ids(&db, "firstSeen:>2026-10-15T14:00:00+02:00"),
        [1, 2]
    );
    assert_eq!(issue_ids(&db, "timestamp:-5m"), [1]);
    assert_eq!(issue_ids(&db, "timestamp:>2026-11-20"), [1, 2]);
}

#[test]
fn assignee_owner_and_counts() {
    let db = database();
    assert_eq!(issue_ids(&db, "assigned:#payments"), [1]);
    assert_eq!(issue_ids(&db, "assigned:#PAYMENTS"), [1]);
    assert_eq!(issue_ids(&db, "assigned:@alice"), [3]);
    assert_eq!(issue_ids(&db, "assigned:none"), [2]);
    assert_eq!(issue_ids(&db, "assigned:[none,@alice]"), [2, 3]);
    assert_eq!(issue_ids(&db, "!assigned:#payments"), [2, 3]);
    assert_eq!(issue_ids(&db, "owner:#infra"), [3]);
    assert_eq!(issue_ids(&db, "owner:none"), [2]);
    assert_eq!(issue_ids(&db, "times_seen:>10"), [1, 3]);
    assert_eq!(issue_ids(&db, "count:>=12"), [1, 3]);
    assert_eq!(issue_ids(&db, "timesSeen:<12"), [2]);
    assert_eq!(issue_ids(&db, "times_seen:5"), [2]);
    assert_eq!(issue_ids(&db, "users:>2"), [1, 3]);
    assert_eq!(issue_ids(&db, "users:<=1"), [2]);
    assert_eq!(issue_ids(&db, "issue:2"), [2]);
    assert_eq!(issue_ids(&db, "issue:[1,3]"), [1, 3]);
    assert_eq!(issue_ids(&db, "!issue:1"), [2, 3]);
}

#[test]
fn tags_match_exactly_or_by_glob() {
    let db = database();
    assert_eq!(issue_ids(&db, "http.status_code:500"), [1]);
    assert_eq!(issue_ids(&db, "http.status_code:5*"), [1, 2]);
    assert_eq!(issue_ids(&db, "http.status_code:[500,502]"), [1, 2]);
    assert_eq!(issue_ids(&db, "!http.status_code:500"), [2, 3]);
    assert_eq!(issue_ids(&db, "url:*checkout*"), [1]);
    assert_eq!(issue_ids(&db, "url:*/api/*"), [1, 2]);
    assert_eq!(issue_ids(&db, "service:payments"), [3]);
    // Keys are case-insensitive, tag keys too.
    assert_eq!(issue_ids(&db, "HTTP.Status_Code:500"), [1]);
    assert_eq!(issue_ids(&db, "Service:payments"), [3]);
    assert_eq!(issue_ids(&db, "has:SERVICE"), [3]);
    assert_eq!(issue_ids(&db, "tags[service]:payments"), [3]);
    assert_eq!(issue_ids(&db, "tags.service:pay*"), [3]);
    assert_eq!(issue_ids(&db, "service:pay"), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, "has:service"), [3]);
    assert_eq!(issue_ids(&db, "!has:url"), [3]);
    assert_eq!(issue_ids(&db, "has:owner"), [1, 3]);
    assert_eq!(issue_ids(&db, "has:trace"), [1]);
    assert_eq!(
        issue_ids(&db, "trace:0123456789abcdef0123456789abcdef"),
        [1]
    );
    // SQL wildcards typed by the user are literal.
    assert_eq!(issue_ids(&db, "url:%"), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, "url:*_*"), Vec::<u64>::new());
}

#[test]
fn text_matches_title_or_culprit_in_any_case() {
    let db = database();
    assert_eq!(issue_ids(&db, "TypeError"), [1]);
    assert_eq!(issue_ids(&db, "typeerror"), [1]);
    assert_eq!(issue_ids(&db, "\"division by zero\""), [2]);
    assert_eq!(issue_ids(&db, "division zero"), [2]);
    assert_eq!(issue_ids(&db, "division cart"), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, "shop.pay"), [2]);
    assert_eq!(issue_ids(&db, "shop"), [1, 2]);
    assert_eq!(issue_ids(&db, "!shop"), [3]);
    assert_eq!(issue_ids(&db, "cart*undefined"), [1]);
    // `%` and `_` in text are literal characters, not SQL wildcards.
    assert_eq!(issue_ids(&db, "100%"), [3]);
    assert_eq!(issue_ids(&db, "my_pool"), [3]);
    assert_eq!(issue_ids(&db, "my_poo_"), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, "\"Timeout: 100%\""), [3]);
    assert_eq!(issue_ids(&db, "https://shop.example"), Vec::<u64>::new());
    assert_eq!(
        parse("https://shop.example/api").unwrap().filters[0].term,
        Term::Text(Pattern::Exact("https://shop.example/api".into()))
    );
    assert_eq!(issue_ids(&db, r#""say \"hi\"""#), Vec::<u64>::new());
}

#[test]
fn quoted_values_keep_spaces_and_colons() {
    let db = database();
    db.execute(
        "INSERT INTO issue_tags (issue_id, key, value, count, last_seen_ms) \
         VALUES (2, 'browser', 'Firefox 130: beta', 1, 0)",
        [],
    )
    .unwrap();
    assert_eq!(issue_ids(&db, "browser:\"Firefox 130: beta\""), [2]);
    assert_eq!(
        issue_ids(&db, "browser:[\"Firefox 130: beta\", Chrome]"),
        [2]
    );
    assert_eq!(
        issue_ids(&db, "!browser:\"Firefox 130: beta\" is:resolved"),
        Vec::<u64>::new()
    );
    let query = parse("browser:\"a\\\"b\"").unwrap();
    assert_eq!(
        query.filters[0].term,
        Term::Tag {
            key: "browser".into(),
            values: vec![Pattern::Exact("a\"b".into())]
        }
    );
}

#[test]
fn event_search_uses_each_events_own_fields() {
    let db = database();
    assert_eq!(event_ids(&db, ""), ["e1", "e2", "e3"]);
    assert_eq!(event_ids(&db, "environment:staging"), ["e2", "e3"]);
    assert_eq!(event_ids(&db, "level:warning"), ["e2"]);
    assert_eq!(event_ids(&db, "!level:warning"), ["e1", "e3"]);
    assert_eq!(event_ids(&db, "release:latest"), ["e1", "e2"]);
    assert_eq!(event_ids(&db, "http.status_code:500"), ["e1"]);
    assert_eq!(event_ids(&db, "http.status_code:50*"), ["e1", "e3"]);
    assert_eq!(event_ids(&db, "browser:Firefox*"), ["e1"]);
    assert_eq!(event_ids(&db, "Browser:Firefox*"), ["e1"]);
    assert_eq!(event_ids(&db, "!browser:Firefox*"), ["e2", "e3"]);
    assert_eq!(event_ids(&db, "has:browser"), ["e1", "e2"]);
    assert_eq!(event_ids(&db, "has:trace"), ["e2"]);
    assert_eq!(event_ids(&db, "url:*checkout"), ["e1"]);
    assert_eq!(event_ids(&db, "user:u2"), ["e3"]);
    assert_eq!(event_ids(&db, "has:user"), ["e1", "e3"]);
    assert_eq!(event_ids(&db, "\"cart 7\""), ["e3"]);
    assert_eq!(event_ids(&db, "timestamp:-1m"), ["e2"]);
}

#[test]
fn event_search_takes_issue_fields_from_the_issue() {
    let db = database();
    assert_eq!(event_ids(&db, "is:unresolved"), ["e1", "e2"]);
    assert_eq!(event_ids(&db, "issue:2"), ["e3"]);
    assert_eq!(event_ids(&db, "assigned:#payments timestamp:-1m"), ["e2"]);
    assert_eq!(event_ids(&db, "firstSeen:+1d"), ["e3"]);
    assert_eq!(
        event_ids(&db, "times_seen:>10 environment:production"),
        ["e1"]
    );
}

#[test]
fn errors_name_the_bad_term() {
    assert!(error("is:bogus").contains("`is:bogus`"));
    assert!(error("is:bogus").contains("unresolved"));
    assert!(error("level:error firstSeen:-1y").contains("`firstSeen:-1y`"));
    assert!(error("firstSeen:yesterday").contains("`firstSeen:yesterday`"));
    assert!(error("firstSeen:-h").contains("number"));
    assert!(error("firstSeen:-99999999999999w").contains("100 years"));
    assert!(error("times_seen:>many").contains("`times_seen:>many`"));
    assert!(error("users:[1,2]").contains("one value"));
    assert!(error("issue:abc").contains("`abc` is not an issue id"));
    assert!(error("environment:").contains("`environment:`"));
    assert!(error("environment:").contains("missing"));
    assert!(error("\"unterminated phrase").contains("unterminated quote"));
    assert!(error("release:\"shop").contains("`release:\"shop`"));
    assert!(error("level:[error,fatal").contains("not closed"));
    assert!(error("level:[error,]").contains("empty"));
    assert!(error("!").contains("`!`"));
    assert!(error("assigned:me").contains("`assigned:me`"));
    assert!(
        error("tag:\"a\"b").contains("after the closing quote")
            || error("tag:\"a\"b").contains("follows")
    );
}

#[test]
fn queries_are_bounded() {
    let long = "a".repeat(MAX_QUERY_CHARS + 1);
    assert_eq!(
        parse(&long).unwrap_err(),
        SearchError::TooLong {
            chars: MAX_QUERY_CHARS + 1
        }
    );
    let many = vec!["word"; MAX_TERMS + 1].join(" ");
    assert_eq!(parse(&many).unwrap_err(), SearchError::TooManyTerms);
    assert!(parse(&vec!["word"; MAX_TERMS].join(" ")).is_ok());
    let list = format!("level:[{}]", vec!["x"; MAX_LIST_VALUES + 1].join(","));
    assert!(error(&list).contains("more than"));
    let value = format!("url:{}", "x".repeat(MAX_VALUE_CHARS + 1));
    assert!(error(&value).contains("longer than"));
}

#[test]
fn user_values_never_reach_the_sql_text() {
    let hostile = "url:\"'; DROP TABLE issues; --\" \"' OR 1=1 --\" level:[\"x') OR ('1'='1\"]";
    let filter = parse(hostile).unwrap().issue_sql(NOW);
    assert!(!filter.clause.contains("DROP"));
    assert!(!filter.clause.contains("1=1"));
    let db = database();
    assert_eq!(issue_ids(&db, hostile), Vec::<u64>::new());
    assert_eq!(issue_ids(&db, ""), [1, 2, 3]);
}

#[test]
fn sorts_order_by_the_named_measure() {
    let db = database();
    let order = |sort: &str| -> Vec<u64> {
        let sql = format!(
            "SELECT i.id FROM issues AS i ORDER BY {}",
            sort_order(sort).unwrap()
        );
        let mut statement = db.prepare(&sql).unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(order("date"), [1, 3, 2]);
    assert_eq!(order("last_seen"), [1, 3, 2]);
    assert_eq!(order("new"), [1, 2, 3]);
    assert_eq!(order("first_seen"), [1, 2, 3]);
    assert_eq!(order("freq"), [1, 3, 2]);
    assert_eq!(order("events"), [1, 3, 2]);
    assert_eq!(order("user"), [1, 3, 2]);
    assert_eq!(order("users"), [1, 3, 2]);
    // Trends counts events of the last hour by the real clock: give issue 2 three now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let now = u64::try_from(now).unwrap();
    for id in ["t1", "t2", "t3"] {
        db.execute(
            "INSERT INTO issue_events (event_id, issue_id, project_id, timestamp_ms, \
             environment) VALUES (?1, 2, 1, ?2, 'production')",
            params![id, now],
        )
        .unwrap();
    }
    db.execute(
        "INSERT INTO issue_events (event_id, issue_id, project_id, timestamp_ms, environment) \
         VALUES ('t4', 3, 1, ?1, 'production')",
        [now],
    )
    .unwrap();
    // As grouping keeps them: an issue is last seen at its newest event.
    db.execute(
        "UPDATE issues SET last_seen_ms = ?1 WHERE id IN (2, 3)",
        [now],
    )
    .unwrap();
    assert_eq!(order("trends")[..2], [2, 3]);
    assert_eq!(order("events_1h")[..2], [2, 3]);
    let unknown = sort_order("popularity").unwrap_err().to_string();
    assert!(unknown.contains("`popularity`"));
}
