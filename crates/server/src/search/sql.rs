//! Rendering a [`SearchQuery`] as a parameterized SQL condition over issues or events.
//!
//! Every user value becomes a bound parameter; only fixed SQL fragments and column names
//! chosen here are written into the clause.

use rusqlite::types::Value;

use super::date::DateFilter;
use super::term::{Assignee, IssueState, NumberFilter, Pattern, ReleaseValue, Term};
use super::{SearchQuery, SqlFilter};

const WEEK_MS: u64 = 7 * 86_400_000;

/// The project's newest release, for `release:latest`.
const LATEST_RELEASE: &str = "(SELECT r.version FROM releases AS r WHERE r.project_id = \
     i.project_id ORDER BY r.created_at_ms DESC, r.rowid DESC LIMIT 1)";

/// What the condition is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// `issues AS i`.
    Issues,
    /// `issue_events AS e JOIN events AS ev … JOIN issues AS i …`.
    Events,
}

/// Renders `query` for `target`, with relative dates counted back from `now_ms`.
pub(super) fn render(query: &SearchQuery, target: Target, now_ms: u64) -> SqlFilter {
    let mut writer = Writer {
        target,
        now_ms,
        params: Vec::new(),
    };
    let parts: Vec<String> = query
        .filters
        .iter()
        .map(|filter| {
            let clause = writer.term(&filter.term);
            if filter.negated {
                // NULL (an unknown field) counts as "does not match", so the negation keeps it.
                format!("NOT IFNULL(({clause}), 0)")
            } else {
                format!("({clause})")
            }
        })
        .collect();
    SqlFilter {
        clause: if parts.is_empty() {
            "1".to_owned()
        } else {
            parts.join(" AND ")
        },
        params: writer.params,
    }
}

struct Writer {
    target: Target,
    now_ms: u64,
    params: Vec<Value>,
}

impl Writer {
    fn text(&mut self, value: impl Into<String>) -> &'static str {
        self.params.push(Value::Text(value.into()));
        "?"
    }

    fn integer(&mut self, value: i64) -> &'static str {
        self.params.push(Value::Integer(value));
        "?"
    }

    fn term(&mut self, term: &Term) -> String {
        let events = self.target == Target::Events;
        match term {
            Term::Is(states) => any(states.iter().map(|state| self.state(*state))),
            Term::Level(patterns) if events => {
                self.patterns("lower(json_extract(ev.body, '$.level'))", patterns)
            }
            Term::Level(patterns) => self.patterns("lower(i.level)", patterns),
            Term::Environment(patterns) if events => self.patterns("e.environment", patterns),
            Term::Environment(patterns) => {
                let values = self.patterns("t.value", patterns);
                issue_tag("'environment'", &values)
            }
            Term::Release(releases) if events => self.releases("e.release", releases),
            Term::Release(releases) => {
                let values = self.releases("t.value", releases);
                issue_tag("'release'", &values)
            }
            Term::FirstRelease(releases) => self.releases("i.first_release", releases),
            Term::FirstSeen(date) => self.date("i.first_seen_ms", date),
            Term::LastSeen(date) => self.date("i.last_seen_ms", date),
            Term::Timestamp(date) if events => self.date("e.timestamp_ms", date),
            Term::Timestamp(date) => {
                let range = self.date("x.timestamp_ms", date);
                format!(
                    "EXISTS (SELECT 1 FROM issue_events AS x WHERE x.issue_id = i.id AND {range})"
                )
            }
            Term::Assigned(assignees) => self.assignees("i.assigned_to", assignees),
            Term::Owner(assignees) => self.assignees("i.owner", assignees),
            Term::TimesSeen(number) => self.number("i.event_count", *number),
            Term::Users(number) => self.number("i.user_count", *number),
            Term::Has(key) => self.has(key),
            Term::Issue(ids) => {
                let list: Vec<&str> = ids
                    .iter()
                    .map(|id| self.integer(i64::try_from(*id).unwrap_or(i64::MAX)))
                    .collect();
                format!("i.id IN ({})", list.join(", "))
            }
            Term::Tag { key, values } => self.tag(key, values),
            Term::Text(pattern) => {
                let like = contains_like(pattern);
                let columns: &[&str] = if events {
                    &[
                        "json_extract(ev.body, '$.title')",
                        "json_extract(ev.body, '$.culprit')",
                        "json_extract(ev.body, '$.message')",
                    ]
                } else {
                    &["i.title", "i.culprit"]
                };
                any(columns.iter().map(|column| {
                    let placeholder = self.text(like.clone());
                    format!("IFNULL({column}, '') LIKE {placeholder} ESCAPE '\\'")
                }))
            }
        }
    }

    fn state(&mut self, state: IssueState) -> String {
        match state {
            IssueState::Unresolved => "i.status = 'unresolved'".into(),
            IssueState::Resolved => "i.status IN ('resolved', 'resolved_in_next_release')".into(),
            IssueState::Ignored => "i.status = 'ignored'".into(),
            IssueState::Regressed => "i.regressed = 1".into(),
            IssueState::Assigned => "i.assigned_to IS NOT NULL".into(),
            IssueState::Unassigned => "i.assigned_to IS NULL".into(),
            IssueState::ForReview => {
                let since = self.integer(ms(self.now_ms.saturating_sub(WEEK_MS)));
                format!(
                    "i.status = 'unresolved' AND (i.regressed = 1 OR i.first_seen_ms >= {since})"
                )
            }
        }
    }

    /// `column` matches any of `patterns`.
    fn patterns(&mut self, column: &str, patterns: &[Pattern]) -> String {
        any(patterns.iter().map(|pattern| match pattern {
            Pattern::Exact(value) => format!("{column} = {}", self.text(value.clone())),
            Pattern::Glob(glob) => {
                format!("{column} LIKE {} ESCAPE '\\'", self.text(glob_like(glob)))
            }
        }))
    }

    fn releases(&mut self, column: &str, releases: &[ReleaseValue]) -> String {
        any(releases.iter().map(|release| match release {
            ReleaseValue::Latest => format!("{column} = {LATEST_RELEASE}"),
            ReleaseValue::Version(pattern) => self.patterns(column, std::slice::from_ref(pattern)),
        }))
    }

    fn date(&mut self, column: &str, date: &DateFilter) -> String {
        let (from, to) = date.range(self.now_ms);
        let mut parts = Vec::new();
        if let Some(from) = from {
            parts.push(format!("{column} >= {}", self.integer(from)));
        }
        if let Some(to) = to {
            parts.push(format!("{column} < {}", self.integer(to)));
        }
        parts.join(" AND ")
    }

    fn assignees(&mut self, column: &str, assignees: &[Assignee]) -> String {
        any(assignees.iter().map(|assignee| match assignee {
            Assignee::Nobody => format!("{column} IS NULL"),
            Assignee::Named(name) => {
                format!("lower({column}) = lower({})", self.text(name.clone()))
            }
        }))
    }

    fn number(&mut self, column: &str, number: NumberFilter) -> String {
        format!(
            "{column} {} {}",
            number.comparison.sql(),
            self.integer(number.value)
        )
    }

    fn has(&mut self, key: &str) -> String {
        match (self.target, key.to_ascii_lowercase().as_str()) {
            (_, "assigned" | "assignee" | "assigned_to") => "i.assigned_to IS NOT NULL".into(),
            (_, "owner") => "i.owner IS NOT NULL".into(),
            (Target::Issues, lower) => match event_field(lower) {
                Some(field) if field.starts_with("ev.") => {
                    issue_event_exists(&format!("{} IS NOT NULL", event_row_column(field)))
                }
                _ => {
                    let key = self.text(key);
                    format!(
                        "EXISTS (SELECT 1 FROM issue_tags AS t WHERE t.issue_id = i.id \
                         AND t.key = {key} COLLATE NOCASE)"
                    )
                }
            },
            (Target::Events, lower) => match event_field(lower) {
                Some(field) => format!("{field} IS NOT NULL"),
                None => {
                    let key = self.text(key);
                    format!("{} IS NOT NULL", event_tag_value(key))
                }
            },
        }
    }

    fn tag(&mut self, key: &str, values: &[Pattern]) -> String {
        let lower = key.to_ascii_lowercase();
        match (self.target, event_field(&lower)) {
            (Target::Events, Some(field)) => self.patterns(field, values),
            (Target::Events, None) => {
                let key = self.text(key);
                let value = event_tag_value(key);
                let matches = self.patterns("j.v", values);
                // One row per matching tag, so `!key:value` means "no such tag value".
                format!("EXISTS (SELECT 1 FROM (SELECT {value} AS v) AS j WHERE {matches})")
            }
            (Target::Issues, Some(field)) if field.starts_with("ev.") => {
                let matches = self.patterns(&event_row_column(field), values);
                issue_event_exists(&matches)
            }
            (Target::Issues, _) => {
                let key = self.text(key);
                let matches = self.patterns("t.value", values);
                issue_tag(key, &matches)
            }
        }
    }
}

/// The expression of a field every event has outside its `tags`, by lower-case key.
fn event_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "environment" => "e.environment",
        "release" => "e.release",
        "user" => "e.user_key",
        "level" => "json_extract(ev.body, '$.level')",
        "http.status_code" | "status_code" => {
            "CAST(json_extract(ev.body, '$.status_code') AS TEXT)"
        }
        "url" | "request.url" => "json_extract(ev.body, '$.request.url')",
        "transaction" => "json_extract(ev.body, '$.transaction')",
        "server_name" => "json_extract(ev.body, '$.server_name')",
        "platform" => "json_extract(ev.body, '$.platform')",
        "logger" => "json_extract(ev.body, '$.logger')",
        "trace" | "trace_id" | "trace.id" => "ev.trace_id",
        "replay" | "replay_id" | "replay.id" => "ev.replay_id",
        "event.id" | "event_id" => "ev.id",
        _ => return None,
    })
}

/// An `ev.` column of [`event_field`] on the `y` alias of [`issue_event_exists`].
fn event_row_column(field: &str) -> String {
    format!("y.{}", field.trim_start_matches("ev."))
}

/// Some event of the issue `i` (events row `y`) satisfies `condition`.
fn issue_event_exists(condition: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM issue_events AS x JOIN events AS y ON y.id = x.event_id \
         WHERE x.issue_id = i.id AND ({condition}))"
    )
}

/// The value of the event tag whose key is the bound `key` placeholder (the first such tag).
fn event_tag_value(key: &str) -> String {
    format!(
        "(SELECT json_extract(jt.value, '$.value') FROM json_each(ev.body, '$.tags') AS jt \
         WHERE json_extract(jt.value, '$.key') = {key} COLLATE NOCASE LIMIT 1)"
    )
}

/// Some tag of issue `i` has key `key` (SQL) and a value satisfying `values` (over `t.value`).
fn issue_tag(key: &str, values: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM issue_tags AS t WHERE t.issue_id = i.id AND t.key = {key} COLLATE NOCASE \
         AND ({values}))"
    )
}

/// `(a) OR (b) …` of the parts.
fn any(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.map(|part| format!("({part})")).collect();
    parts.join(" OR ")
}

/// A `LIKE` pattern for a `*` glob (escape `\`).
fn glob_like(glob: &str) -> String {
    let mut like = String::with_capacity(glob.len());
    for c in glob.chars() {
        match c {
            '\\' | '%' | '_' => {
                like.push('\\');
                like.push(c);
            }
            '*' => like.push('%'),
            _ => like.push(c),
        }
    }
    like
}

/// A `LIKE` pattern for text contained anywhere.
fn contains_like(pattern: &Pattern) -> String {
    let (Pattern::Exact(text) | Pattern::Glob(text)) = pattern;
    format!("%{}%", glob_like(text))
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
