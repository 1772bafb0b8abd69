//! Span and log times: float seconds or RFC 3339 strings in, microseconds since the Unix epoch
//! stored, RFC 3339 with microseconds out.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The latest time accepted: the end of year 9999, in µs since the epoch.
const MAX_TIMESTAMP_US: i64 = 253_402_300_799_999_999;

/// The time `value` names (float seconds, or an RFC 3339 string with or without offset), in
/// µs since the Unix epoch; `None` when it is not a time between 1970 and year 9999.
pub fn timestamp_us(value: &Value) -> Option<i64> {
    let us = match value {
        Value::Number(number) => seconds_to_us(number.as_f64()?)?,
        Value::String(text) => {
            let text = text.trim();
            match text.parse::<f64>() {
                Ok(seconds) => seconds_to_us(seconds)?,
                Err(_) => {
                    let time = parse_rfc3339(text)?;
                    i64::try_from(time.unix_timestamp_nanos() / 1_000).ok()?
                }
            }
        }
        _ => return None,
    };
    (0..=MAX_TIMESTAMP_US).contains(&us).then_some(us)
}

fn seconds_to_us(seconds: f64) -> Option<i64> {
    let us = (seconds * 1_000_000.0).round();
    if !us.is_finite() || us < 0.0 || us > MAX_TIMESTAMP_US as f64 {
        return None;
    }
    // In range, so the conversion neither truncates nor wraps.
    #[allow(clippy::cast_possible_truncation)]
    Some(us as i64)
}

fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(time);
    }
    let naive = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, naive)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Formats `us` since the Unix epoch as RFC 3339 UTC with microseconds,
/// e.g. `2026-11-26T12:18:49.206402Z`; times out of range read as the epoch (ingest never
/// stores them).
pub fn rfc3339_us(us: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_and_float_seconds_keep_microseconds() {
        let python = timestamp_us(&json!("2026-11-26T12:18:49.206402Z"));
        assert_eq!(python, Some(1_795_695_529_206_402));
        assert_eq!(
            timestamp_us(&json!(1_795_695_529.206_402)),
            Some(1_795_695_529_206_402)
        );
        assert_eq!(
            timestamp_us(&json!("2026-11-26T12:18:49.5")),
            Some(1_795_695_529_500_000)
        );
        assert_eq!(
            rfc3339_us(1_795_695_529_206_402),
            "2026-11-26T12:18:49.206402Z"
        );
    }

    #[test]
    fn times_out_of_range_or_of_the_wrong_type_are_refused() {
        for value in [
            json!(-1.0),
            json!(1e300),
            json!("yesterday"),
            json!(null),
            json!([]),
        ] {
            assert_eq!(timestamp_us(&value), None, "{value}");
        }
    }
}
