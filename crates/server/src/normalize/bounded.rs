//! Copies of free-form JSON (local variables, contexts, extra data) with bounded depth, string
//! length and collection size, so one event can never blow up what is stored or shown.

use serde_json::{Map, Value};

use crate::limits::{MAX_VALUE_DEPTH, MAX_VALUE_STRING_CHARS};

/// Most entries kept per array or object.
const MAX_ENTRIES: usize = 200;

/// Marks values cut off by a bound.
const ELIDED: &str = "…";

/// A bounded copy of `value`.
pub(super) fn value(value: &Value) -> Value {
    at_depth(value, 0)
}

/// A bounded copy of an object's entries.
pub(super) fn object(object: &Map<String, Value>) -> Map<String, Value> {
    entries(object, 0)
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max => format!("{}{ELIDED}", &text[..end]),
        _ => text.to_owned(),
    }
}

fn at_depth(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(text) => Value::String(truncate(text, MAX_VALUE_STRING_CHARS)),
        Value::Array(_) | Value::Object(_) if depth >= MAX_VALUE_DEPTH => {
            Value::String(ELIDED.to_owned())
        }
        Value::Array(list) => Value::Array(
            list.iter()
                .take(MAX_ENTRIES)
                .map(|item| at_depth(item, depth + 1))
                .collect(),
        ),
        Value::Object(object) => Value::Object(entries(object, depth)),
        scalar => scalar.clone(),
    }
}

fn entries(object: &Map<String, Value>, depth: usize) -> Map<String, Value> {
    object
        .iter()
        .take(MAX_ENTRIES)
        .map(|(key, item)| (key.clone(), at_depth(item, depth + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn deep_values_are_cut_at_the_depth_limit() {
        let mut deep = json!("leaf");
        for _ in 0..20 {
            deep = json!({ "next": deep });
        }
        let mut bounded = value(&deep);
        let mut depth = 0;
        while let Some(next) = bounded.get("next") {
            bounded = next.clone();
            depth += 1;
        }
        assert_eq!(depth, MAX_VALUE_DEPTH);
        assert_eq!(bounded, json!(ELIDED));
    }

    #[test]
    fn long_strings_and_collections_are_cut() {
        let long = "x".repeat(MAX_VALUE_STRING_CHARS + 10);
        let bounded = value(&json!({ "s": long, "list": (0..500).collect::<Vec<_>>() }));
        let cut = bounded["s"].as_str().unwrap_or_default();
        assert_eq!(cut.chars().count(), MAX_VALUE_STRING_CHARS);
        assert!(cut.ends_with(ELIDED));
        assert_eq!(bounded["list"].as_array().map(Vec::len), Some(MAX_ENTRIES));
    }

    #[test]
    fn truncate_respects_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo", 3), "hé…");
    }
}
