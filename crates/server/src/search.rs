//! The search query language over issues and events, as engineers type it:
//! `is:unresolved level:error http.status_code:500 environment:production release:shop@1.4.2
//! firstSeen:-1h assigned:#payments "TypeError"`.
//!
//! [`parse`] turns the text into a [`SearchQuery`] (bounded: [`MAX_QUERY_CHARS`],
//! [`MAX_TERMS`]; a [`SearchError`] names the term that was wrong and why), which renders as a
//! parameterized SQL condition over issues ([`SearchQuery::issue_sql`]) or over events
//! ([`SearchQuery::event_sql`]); user values only ever travel as bound parameters.
//! [`sort_order`] maps the `sort` names of the issue list to an `ORDER BY` over `issues AS i`.
//!
//! ```
//! use sightline_server::search;
//!
//! let query = search::parse("is:unresolved level:[error,fatal] !environment:staging \"cart\"")?;
//! let filter = query.issue_sql(1_795_673_336_123);
//! assert!(filter.clause.contains("i.status"));
//! assert_eq!(filter.params.len(), 5); // two levels, one environment, the text twice
//! assert!(search::parse("is:bogus").unwrap_err().to_string().contains("is:bogus"));
//! # Ok::<(), search::SearchError>(())
//! ```

mod date;
mod sql;
mod term;
#[cfg(test)]
mod tests;
mod tokens;

use thiserror::Error;

pub use self::date::{DateBound, DateFilter};
pub use self::term::{
    Assignee, Comparison, Filter, IssueState, NumberFilter, Pattern, ReleaseValue, Term,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2048;
/// Most terms (filters and text words) in one query.
pub const MAX_TERMS: usize = 32;
/// Most values in one `key:[a,b,…]` list.
pub const MAX_LIST_VALUES: usize = 32;
/// Longest value of one term, in characters (tag values are stored up to 200).
pub const MAX_VALUE_CHARS: usize = 256;

/// Why a query was rejected; the message names the offending term.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The query is longer than [`MAX_QUERY_CHARS`].
    #[error("search query is {chars} characters long; the limit is {MAX_QUERY_CHARS}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The query has more than [`MAX_TERMS`] terms.
    #[error("search query has more than {MAX_TERMS} terms")]
    TooManyTerms,
    /// A quote opened in `term` is never closed.
    #[error("unterminated quote in search term `{term}`")]
    UnterminatedQuote {
        /// The term as typed.
        term: String,
    },
    /// A term is not valid; `reason` says what was expected.
    #[error("invalid search term `{term}`: {reason}")]
    InvalidTerm {
        /// The term as typed.
        term: String,
        /// What was wrong.
        reason: String,
    },
    /// The `sort` parameter is none of the known orders.
    #[error(
        "invalid sort `{sort}`: expected date, new, freq, user or trends \
         (or last_seen, first_seen, events, users, events_1h)"
    )]
    UnknownSort {
        /// The sort as given.
        sort: String,
    },
}

impl SearchError {
    pub(crate) fn invalid(term: &str, reason: impl Into<String>) -> Self {
        Self::InvalidTerm {
            term: term.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A parsed query: every filter must match (AND).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// The filters in the order typed.
    pub filters: Vec<Filter>,
}

/// A SQL condition with its bound parameters, in placeholder order.
///
/// The clause uses anonymous `?` placeholders only; bind `params` in order, so put other
/// anonymous placeholders before or after the clause accordingly (for example
/// `WHERE i.project_id = ? AND (<clause>) LIMIT ?` with `[project] + params + [limit]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// A boolean SQL expression; `1` when the query is empty.
    pub clause: String,
    /// The values of its `?` placeholders.
    pub params: Vec<rusqlite::types::Value>,
}

/// Parses a query typed by a user.
///
/// # Errors
/// A [`SearchError`] naming the first bad term, or the broken limit.
pub fn parse(query: &str) -> Result<SearchQuery, SearchError> {
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::TooLong { chars });
    }
    let tokens = tokens::split(query)?;
    if tokens.len() > MAX_TERMS {
        return Err(SearchError::TooManyTerms);
    }
    let filters = tokens
        .iter()
        .map(term::parse_token)
        .collect::<Result<_, _>>()?;
    Ok(SearchQuery { filters })
}

impl SearchQuery {
    /// The condition over `issues AS i` that keeps the issues matching every filter;
    /// relative dates count back from `now_ms` (ms since the Unix epoch).
    pub fn issue_sql(&self, now_ms: u64) -> SqlFilter {
        sql::render(self, sql::Target::Issues, now_ms)
    }

    /// The condition over `issue_events AS e JOIN events AS ev ON ev.id = e.event_id JOIN
    /// issues AS i ON i.id = e.issue_id` that keeps the events matching every filter:
    /// event-level fields (`level`, `environment`, `release`, tags, text) are the event's own,
    /// issue-level ones (`is:`, `assigned:`, `firstSeen:`, counts) are its issue's.
    pub fn event_sql(&self, now_ms: u64) -> SqlFilter {
        sql::render(self, sql::Target::Events, now_ms)
    }

    /// Whether the query has no filter at all.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }
}

/// The `ORDER BY` text of `sort=trends`: events in the last hour, then last seen. An issue last
/// seen over an hour ago has no event in the last hour, so only the others are counted; the
/// store recognizes this text and reads the same order from the last-seen index (the issues
/// seen within the hour by their count, then the rest as `sort=date` does).
pub const TRENDS_ORDER: &str = "(CASE WHEN i.last_seen_ms >= \
     (CAST(strftime('%s', 'now') AS INTEGER) - 3600) * 1000 \
     THEN (SELECT COUNT(*) FROM issue_events AS s WHERE s.issue_id = i.id \
     AND s.timestamp_ms >= (CAST(strftime('%s', 'now') AS INTEGER) - 3600) * 1000) \
     ELSE 0 END) DESC, i.last_seen_ms DESC, i.id DESC";

/// The `ORDER BY` text over `issues AS i` for a `sort` name of the issue list: `date` /
/// `last_seen` (default), `new` / `first_seen`, `freq` / `events`, `user` / `users`,
/// `trends` / `events_1h` (events in the last hour); ties go to the most recently seen.
///
/// # Errors
/// [`SearchError::UnknownSort`] for any other name.
pub fn sort_order(sort: &str) -> Result<&'static str, SearchError> {
    let order = match sort.trim().to_ascii_lowercase().as_str() {
        "" | "date" | "last_seen" | "lastseen" => "i.last_seen_ms DESC, i.id DESC",
        "new" | "first_seen" | "firstseen" => "i.first_seen_ms DESC, i.id DESC",
        "freq" | "events" | "count" => "i.event_count DESC, i.last_seen_ms DESC, i.id DESC",
        "user" | "users" => "i.user_count DESC, i.last_seen_ms DESC, i.id DESC",
        "trends" | "events_1h" => TRENDS_ORDER,
        _ => {
            return Err(SearchError::UnknownSort {
                sort: sort.to_owned(),
            });
        }
    };
    Ok(order)
}
