//! Formatting of stored times (ms since the Unix epoch) for the JSON API.

use time::OffsetDateTime;
use time::macros::format_description;

use crate::error::AppError;

/// Formats `ms` since the Unix epoch as RFC 3339 UTC with milliseconds,
/// e.g. `2026-11-26T06:08:56.123Z`.
///
/// # Errors
/// [`AppError::Internal`] when `ms` is beyond year 9999 (ingest never stores such times).
pub fn rfc3339_ms(ms: u64) -> Result<String, AppError> {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|error| AppError::Internal(format!("time {ms} ms out of range: {error}")))?
        .format(format)
        .map_err(|error| AppError::Internal(format!("cannot format time {ms} ms: {error}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::summary::MAX_TIMESTAMP_MS;

    #[test]
    fn formats_utc_with_milliseconds() {
        assert_eq!(rfc3339_ms(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_ms(1_795_673_336_123).unwrap(),
            "2026-11-26T06:08:56.123Z"
        );
        assert_eq!(
            rfc3339_ms(MAX_TIMESTAMP_MS).unwrap(),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
