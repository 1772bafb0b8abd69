//! The filters a query is made of, and turning one token into one [`Filter`].

use super::SearchError;
use super::date::{self, DateFilter};
use super::tokens::Token;

/// One filter of a query: a term, possibly negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Keep what does *not* match the term.
    pub negated: bool,
    /// What to match.
    pub term: Term,
}

/// What one filter matches.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Term {
    /// `is:` — the issue's state (any of the listed ones).
    Is(Vec<IssueState>),
    /// `level:` — any of the levels.
    Level(Vec<Pattern>),
    /// `environment:` — seen in (issues) or sent from (events) any of the environments.
    Environment(Vec<Pattern>),
    /// `release:` — seen in (issues) or sent from (events) any of the releases.
    Release(Vec<ReleaseValue>),
    /// `firstRelease:` — the issue was first seen in any of the releases.
    FirstRelease(Vec<ReleaseValue>),
    /// `firstSeen:` / `age:` — when the issue was first seen.
    FirstSeen(DateFilter),
    /// `lastSeen:` — when the issue was last seen.
    LastSeen(DateFilter),
    /// `timestamp:` / `event.timestamp:` — when the event happened (issues: any of its events).
    Timestamp(DateFilter),
    /// `assigned:` — the issue's assignee.
    Assigned(Vec<Assignee>),
    /// `owner:` — the issue's owner from the ownership rules.
    Owner(Vec<Assignee>),
    /// `times_seen:` / `count:` / `timesSeen:` — the issue's event count.
    TimesSeen(NumberFilter),
    /// `users:` — the issue's affected-user count.
    Users(NumberFilter),
    /// `has:KEY` — the tag or field is set.
    Has(String),
    /// `issue:ID` — any of the issue ids.
    Issue(Vec<u64>),
    /// Any other `key:value` — a tag (event tags plus `url`, `user`, `http.status_code`, …).
    Tag {
        /// The tag key as typed.
        key: String,
        /// Any of these values.
        values: Vec<Pattern>,
    },
    /// A bare word or `"quoted phrase"`: contained in the title, culprit or message.
    Text(Pattern),
}

/// An issue state of `is:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Status `unresolved`.
    Unresolved,
    /// Status `resolved` or `resolved_in_next_release`.
    Resolved,
    /// Status `ignored` (also `is:archived`).
    Ignored,
    /// Reopened by a new event after being resolved.
    Regressed,
    /// Has an assignee.
    Assigned,
    /// Has no assignee.
    Unassigned,
    /// Unresolved and either regressed or first seen in the last 7 days.
    ForReview,
}

/// A value to match: exact, or a glob with `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Equal to the text.
    Exact(String),
    /// Matches the text where each `*` stands for any run of characters.
    Glob(String),
}

impl Pattern {
    fn new(value: &str) -> Self {
        if value.contains('*') {
            Self::Glob(value.to_owned())
        } else {
            Self::Exact(value.to_owned())
        }
    }
}

/// A release value: one version (or glob), or `latest` (the project's newest release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseValue {
    /// The project's most recently created release.
    Latest,
    /// A version or glob.
    Version(Pattern),
}

/// An assignee or owner value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// `none`: nobody.
    Nobody,
    /// `#team`, `@user` or `user@example.com` as stored.
    Named(String),
}

/// A comparison of a number filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`.
    Greater,
    /// `>=`.
    GreaterOrEqual,
    /// `<`.
    Less,
    /// `<=`.
    LessOrEqual,
    /// `=` or no operator.
    Equal,
}

impl Comparison {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Greater => ">",
            Self::GreaterOrEqual => ">=",
            Self::Less => "<",
            Self::LessOrEqual => "<=",
            Self::Equal => "=",
        }
    }

    /// Splits a leading operator off `value`.
    pub(super) fn split(value: &str) -> (Self, &str) {
        for (prefix, comparison) in [
            (">=", Self::GreaterOrEqual),
            ("<=", Self::LessOrEqual),
            (">", Self::Greater),
            ("<", Self::Less),
            ("=", Self::Equal),
        ] {
            if let Some(rest) = value.strip_prefix(prefix) {
                return (comparison, rest);
            }
        }
        (Self::Equal, value)
    }
}

/// A numeric filter such as `>10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFilter {
    /// How to compare.
    pub comparison: Comparison,
    /// With what.
    pub value: i64,
}

/// Turns one token into a filter.
pub(super) fn parse_token(token: &Token) -> Result<Filter, SearchError> {
    let term = match &token.key {
        None => Term::Text(Pattern::new(single(token)?)),
        Some(key) => keyed(token, key)?,
    };
    Ok(Filter {
        negated: token.negated,
        term,
    })
}

fn keyed(token: &Token, key: &str) -> Result<Term, SearchError> {
    let raw = token.raw.as_str();
    let lower = key.to_ascii_lowercase();
    let patterns = || token.values.iter().map(|v| Pattern::new(v)).collect();
    let term = match lower.as_str() {
        "is" => Term::Is(
            token
                .values
                .iter()
                .map(|value| issue_state(raw, value))
                .collect::<Result<_, _>>()?,
        ),
        "level" => Term::Level(
            token
                .values
                .iter()
                .map(|v| Pattern::new(&v.to_ascii_lowercase()))
                .collect(),
        ),
        "environment" | "env" => Term::Environment(patterns()),
        "release" | "release.version" => Term::Release(releases(token)),
        "firstrelease" | "first_release" | "first-release" => Term::FirstRelease(releases(token)),
        "firstseen" | "first_seen" | "age" => Term::FirstSeen(date::parse(raw, single(token)?)?),
        "lastseen" | "last_seen" => Term::LastSeen(date::parse(raw, single(token)?)?),
        "timestamp" | "event.timestamp" => Term::Timestamp(date::parse(raw, single(token)?)?),
        "assigned" | "assigned_to" | "assignee" => Term::Assigned(assignees(token)?),
        "owner" => Term::Owner(assignees(token)?),
        "times_seen" | "timesseen" | "count" => Term::TimesSeen(number(raw, single(token)?)?),
        "users" | "user_count" => Term::Users(number(raw, single(token)?)?),
        "has" => Term::Has(tag_key(raw, single(token)?)?),
        "issue" | "issue.id" | "id" => Term::Issue(
            token
                .values
                .iter()
                .map(|value| {
                    value.parse().map_err(|_| {
                        SearchError::invalid(raw, format!("`{value}` is not an issue id"))
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => Term::Tag {
            key: tag_key(raw, key)?,
            values: patterns(),
        },
    };
    Ok(term)
}

/// The only value of a term that takes no list.
fn single(token: &Token) -> Result<&str, SearchError> {
    match token.values.as_slice() {
        [value] => Ok(value),
        _ => Err(SearchError::invalid(
            &token.raw,
            "this key takes one value, not a list",
        )),
    }
}

fn issue_state(raw: &str, value: &str) -> Result<IssueState, SearchError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "unresolved" => IssueState::Unresolved,
        "resolved" => IssueState::Resolved,
        "ignored" | "archived" => IssueState::Ignored,
        "regressed" => IssueState::Regressed,
        "assigned" => IssueState::Assigned,
        "unassigned" => IssueState::Unassigned,
        "for_review" | "for-review" => IssueState::ForReview,
        _ => {
            return Err(SearchError::invalid(
                raw,
                "expected unresolved, resolved, ignored, regressed, assigned, unassigned or \
                 for_review",
            ));
        }
    })
}

fn releases(token: &Token) -> Vec<ReleaseValue> {
    token
        .values
        .iter()
        .map(|value| {
            if value.eq_ignore_ascii_case("latest") {
                ReleaseValue::Latest
            } else {
                ReleaseValue::Version(Pattern::new(value))
            }
        })
        .collect()
}

fn assignees(token: &Token) -> Result<Vec<Assignee>, SearchError> {
    token
        .values
        .iter()
        .map(|value| match value.to_ascii_lowercase().as_str() {
            "none" => Ok(Assignee::Nobody),
            "me" | "my_teams" => Err(SearchError::invalid(
                &token.raw,
                "the API has no signed-in user to stand for `me`; name the team (#team) or \
                 user (@user, user@example.com), or use `none`",
            )),
            _ => Ok(Assignee::Named(value.clone())),
        })
        .collect()
}

fn number(raw: &str, value: &str) -> Result<NumberFilter, SearchError> {
    let (comparison, digits) = Comparison::split(value);
    let value = digits.parse::<i64>().map_err(|_| {
        SearchError::invalid(raw, "expected a number, optionally after >, >=, < or <=")
    })?;
    Ok(NumberFilter { comparison, value })
}

/// A tag key: `tags[name]` is `name`; keys are bounded by the value limit.
fn tag_key(raw: &str, key: &str) -> Result<String, SearchError> {
    let key = key
        .strip_prefix("tags[")
        .and_then(|inner| inner.strip_suffix(']'))
        .or_else(|| key.strip_prefix("tags."))
        .unwrap_or(key);
    if key.is_empty() || key.contains(['[', ']', '"']) {
        return Err(SearchError::invalid(
            raw,
            format!("`{key}` is not a tag key"),
        ));
    }
    Ok(key.to_owned())
}
