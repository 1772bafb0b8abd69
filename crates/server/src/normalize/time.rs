//! Event timestamps: float seconds or RFC 3339 strings (with or without an offset).

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::summary::MAX_TIMESTAMP_MS;

/// The time `value` names, in ms since the Unix epoch; `None` when it is not a time between
/// 1970 and year 9999.
pub(super) fn timestamp_ms(value: &Value) -> Option<u64> {
    let ms = match value {
        Value::Number(number) => number.as_f64()? * 1000.0,
        Value::String(text) => {
            let text = text.trim();
            if let Ok(seconds) = text.parse::<f64>() {
                seconds * 1000.0
            } else {
                let time = parse_rfc3339(text)?;
                (time.unix_timestamp_nanos() / 1_000_000) as f64
            }
        }
        _ => return None,
    };
    if !ms.is_finite() || ms < 0.0 || ms > MAX_TIMESTAMP_MS as f64 {
        return None;
    }
    // In range, so the conversion neither truncates nor wraps beyond dropping sub-ms digits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(ms as u64)
}

/// RFC 3339, or the same without an offset (then UTC), as some SDKs send it.
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn float_seconds_and_strings_of_them() {
        assert_eq!(
            timestamp_ms(&json!(1_795_673_336.123)),
            Some(1_795_673_336_123)
        );
        assert_eq!(timestamp_ms(&json!(1_795_673_336)), Some(1_795_673_336_000));
        assert_eq!(
            timestamp_ms(&json!("1795673336.5")),
            Some(1_795_673_336_500)
        );
    }

    #[test]
    fn rfc3339_with_and_without_offset() {
        let expected = Some(1_795_673_336_123);
        assert_eq!(timestamp_ms(&json!("2026-11-26T06:08:56.123Z")), expected);
        assert_eq!(
            timestamp_ms(&json!("2026-11-26T06:08:56.123456Z")),
            expected
        );
        assert_eq!(
            timestamp_ms(&json!("2026-11-26T07:08:56.123+01:00")),
            expected
        );
        assert_eq!(timestamp_ms(&json!("2026-11-26T06:08:56.123")), expected);
        assert_eq!(
            timestamp_ms(&json!("2026-11-26T06:08:56")),
            Some(1_795_673_336_000)
        );
    }

    #[test]
    fn nonsense_is_none() {
        for value in [
            json!("yesterday"),
            json!(-5),
            json!(1e300),
            json!(true),
            json!(null),
            json!([1]),
        ] {
            assert_eq!(timestamp_ms(&value), None, "{value}");
        }
    }
}
