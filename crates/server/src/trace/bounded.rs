//! Bounded copies of span `data` and log attributes, and of the short strings of spans and
//! logs, so one payload can never blow up what a trace stores or shows.

use serde_json::{Map, Value};

use super::{MAX_DATA_DEPTH, MAX_DATA_KEYS, MAX_DATA_STRING_CHARS};

/// Marks what a bound cut off.
const ELIDED: &str = "…";

/// A bounded copy of an object: at most [`MAX_DATA_KEYS`] entries per object or array,
/// [`MAX_DATA_DEPTH`] levels, [`MAX_DATA_STRING_CHARS`] characters per string or key.
pub(super) fn data(object: &Map<String, Value>) -> Map<String, Value> {
    entries(object, 1)
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => {
            let keep = text[..end].char_indices().last().map_or(0, |(at, _)| at);
            format!("{}{ELIDED}", &text[..keep])
        }
        None => text.to_owned(),
    }
}

fn entries(object: &Map<String, Value>, depth: usize) -> Map<String, Value> {
    object
        .iter()
        .take(MAX_DATA_KEYS)
        .map(|(key, value)| (truncate(key, MAX_DATA_STRING_CHARS), at_depth(value, depth)))
        .collect()
}

fn at_depth(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(text) => Value::String(truncate(text, MAX_DATA_STRING_CHARS)),
        Value::Array(_) | Value::Object(_) if depth >= MAX_DATA_DEPTH => {
            Value::String(ELIDED.to_owned())
        }
        Value::Array(list) => Value::Array(
            list.iter()
                .take(MAX_DATA_KEYS)
                .map(|item| at_depth(item, depth + 1))
                .collect(),
        ),
        Value::Object(object) => Value::Object(entries(object, depth + 1)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_keys_and_depth_are_cut() {
        assert_eq!(truncate("abcdef", 3), "ab…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("ééé", 2), "é…");
        let deep = json!({"a": {"b": {"c": {"d": {"e": 1}}}}, "s": "x".repeat(5000)});
        let Value::Object(deep) = deep else { return };
        let bounded = Value::Object(data(&deep));
        assert_eq!(
            bounded["a"]["b"]["c"]["d"],
            json!("…"),
            "four levels of objects"
        );
        assert_eq!(bounded["s"].as_str().map(|s| s.chars().count()), Some(1024));
        let wide: Map<String, Value> = (0..500).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(data(&wide).len(), MAX_DATA_KEYS);
    }
}
