//! Event timestamps: float seconds or RFC 3339 strings (with or without an offset), read by
//! the same parser as span and log times ([`crate::trace::timestamp_us`]) and kept to the
//! millisecond.

use serde_json::Value;

use crate::summary::MAX_TIMESTAMP_MS;
use crate::trace::timestamp_us;

/// The time `value` names, in ms since the Unix epoch (sub-millisecond digits dropped); `None`
/// when it is not a time between 1970 and year 9999.
pub(super) fn timestamp_ms(value: &Value) -> Option<u64> {
    let ms = u64::try_from(timestamp_us(value)? / 1_000).ok()?;
    (ms <= MAX_TIMESTAMP_MS).then_some(ms)
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
