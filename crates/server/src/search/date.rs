//! Date values of `firstSeen:`, `lastSeen:` and `timestamp:`: relative (`-1h` within the last
//! hour, `+1d` more than a day ago; units `m`, `h`, `d`, `w`) or absolute (`>2026-11-01`,
//! `<=2026-11-01T12:00:00Z`, or a bare date for that whole UTC day).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::SearchError;
use super::term::Comparison;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// The longest relative span accepted (about 100 years), so arithmetic cannot overflow.
const MAX_AGO_MS: u64 = 100 * 366 * 86_400_000;

/// A date filter: the stored time compared with a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFilter {
    /// How the stored time compares with the bound.
    pub comparison: Comparison,
    /// The bound.
    pub bound: DateBound,
}

/// The bound of a date filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// This many ms before the query runs.
    Ago(u64),
    /// This instant, ms since the Unix epoch.
    At(i64),
    /// The UTC day starting at this instant (ms since the Unix epoch); with
    /// [`Comparison::Equal`] the time must fall within it.
    Day(i64),
}

impl DateFilter {
    /// The `[from, to)` range in ms (either end open) that the filter keeps at `now_ms`.
    pub fn range(&self, now_ms: u64) -> (Option<i64>, Option<i64>) {
        let instant = match self.bound {
            DateBound::Ago(ago) => i64::try_from(now_ms.saturating_sub(ago)).unwrap_or(i64::MAX),
            DateBound::At(at) | DateBound::Day(at) => at,
        };
        match (self.comparison, self.bound) {
            (Comparison::Equal, DateBound::Day(start)) => (Some(start), Some(start + DAY_MS)),
            (Comparison::Equal, _) => (Some(instant), Some(instant.saturating_add(1))),
            (Comparison::Greater, _) => (Some(instant.saturating_add(1)), None),
            (Comparison::GreaterOrEqual, _) => (Some(instant), None),
            (Comparison::Less, _) => (None, Some(instant)),
            (Comparison::LessOrEqual, _) => (None, Some(instant.saturating_add(1))),
        }
    }
}

/// Parses the value of a date term; `raw` is the whole term, for errors.
pub(super) fn parse(raw: &str, value: &str) -> Result<DateFilter, SearchError> {
    if let Some(span) = value.strip_prefix('-') {
        return Ok(DateFilter {
            comparison: Comparison::GreaterOrEqual,
            bound: DateBound::Ago(relative(raw, span)?),
        });
    }
    if let Some(span) = value.strip_prefix('+') {
        return Ok(DateFilter {
            comparison: Comparison::Less,
            bound: DateBound::Ago(relative(raw, span)?),
        });
    }
    let (comparison, text) = Comparison::split(value);
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let start = i64::try_from(date.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| SearchError::invalid(raw, "the date is out of range"))?;
        let bound = if comparison == Comparison::Equal {
            DateBound::Day(start)
        } else {
            DateBound::At(start)
        };
        return Ok(DateFilter { comparison, bound });
    }
    let instant = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            PrimitiveDateTime::parse(
                text,
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
            )
            .map(PrimitiveDateTime::assume_utc)
        })
        .map_err(|_| {
            SearchError::invalid(
                raw,
                "expected -1h (within the last hour), +1d (older than a day; units m, h, d, w) \
                 or a date such as >2026-11-01 or <2026-11-01T12:00:00Z",
            )
        })?;
    let at = i64::try_from(instant.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| SearchError::invalid(raw, "the date is out of range"))?;
    Ok(DateFilter {
        comparison,
        bound: DateBound::At(at),
    })
}

/// A span such as `1h`, `30m`, `2d`, `1w`, in ms.
fn relative(raw: &str, span: &str) -> Result<u64, SearchError> {
    let unit_at = span
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(span.len());
    let (digits, unit) = span.split_at(unit_at);
    let unit_ms = match unit {
        "m" => MINUTE_MS,
        "h" => 60 * MINUTE_MS,
        "d" => 24 * 60 * MINUTE_MS,
        "w" => 7 * 24 * 60 * MINUTE_MS,
        _ => {
            return Err(SearchError::invalid(
                raw,
                "expected a relative time such as -30m, -1h, -2d or +1w (units m, h, d, w)",
            ));
        }
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| SearchError::invalid(raw, "expected a number before the unit"))?;
    count
        .checked_mul(unit_ms)
        .filter(|ms| *ms <= MAX_AGO_MS)
        .ok_or_else(|| SearchError::invalid(raw, "the relative time is more than 100 years"))
}
