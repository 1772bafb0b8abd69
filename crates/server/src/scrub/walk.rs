//! The walk over a JSON document: values under sensitive keys (object keys, or the names of
//! `[name, value]` pairs such as headers and tags) are replaced, every other string is
//! scrubbed as free text, and subtrees under safe keys are left alone.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::keys::{KeyClass, KeyRules};
use super::text::{self, TextRules};
use super::{FILTERED, MAX_DEPTH};

/// Identifiers, at any depth, that linking and traces rely on: never scrubbed (a span id
/// made of digits could pass for a card number).
const ID_KEYS: &[&str] = &[
    "event_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "segment_id",
    "replay_id",
    "profile_id",
];

/// One walk's rules and what it replaced.
#[derive(Debug)]
pub struct Walk<'a> {
    /// Key names.
    pub keys: &'a KeyRules,
    /// Free-text patterns.
    pub text: &'a TextRules,
    /// Values replaced so far.
    pub replaced: usize,
    /// Scratch space for normalized key names.
    pub key_buffer: String,
    /// Classes of the key names seen so far (documents repeat their keys: every frame has
    /// `module`, `function`, `vars`, …), at most [`MAX_KNOWN_KEYS`].
    pub known_keys: HashMap<String, KeyClass>,
}

/// Most key names whose class one walk remembers.
pub const MAX_KNOWN_KEYS: usize = 512;

impl Walk<'_> {
    /// Scrubs `value` found at `depth` below the document's root.
    pub fn value(&mut self, value: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            // Deeper than anything is shown: keep nothing that was not looked at.
            self.filter(value);
            return;
        }
        match value {
            Value::String(text) => {
                if let Some(scrubbed) = text::scrub(text, self.text, self.keys) {
                    *text = scrubbed;
                    self.replaced += 1;
                }
            }
            Value::Array(list) if is_pair_list(list) => {
                for pair in list {
                    if let Value::Array(pair) = pair {
                        self.pair(pair, depth + 1);
                    }
                }
            }
            Value::Array(list) => {
                for item in list {
                    self.value(item, depth + 1);
                }
            }
            Value::Object(object) => self.object(object, depth),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Scrubs an object's entries.
    pub fn object(&mut self, object: &mut Map<String, Value>, depth: usize) {
        for (key, item) in object.iter_mut() {
            self.entry(key, item, depth + 1);
        }
    }

    fn pair(&mut self, pair: &mut [Value], depth: usize) {
        if let [Value::String(key), item] = pair {
            let key = key.clone();
            self.entry(&key, item, depth);
        }
    }

    /// Scrubs `item`, found under `key` at `depth`: left alone under a safe key, replaced
    /// under a sensitive one, walked otherwise.
    pub fn entry(&mut self, key: &str, item: &mut Value, depth: usize) {
        if ID_KEYS.contains(&key) {
            return;
        }
        let class = match self.known_keys.get(key) {
            Some(class) => *class,
            None => {
                let class = self.keys.classify(key, &mut self.key_buffer);
                if self.known_keys.len() < MAX_KNOWN_KEYS {
                    self.known_keys.insert(key.to_owned(), class);
                }
                class
            }
        };
        match class {
            KeyClass::Safe => {}
            KeyClass::Sensitive => self.filter(item),
            KeyClass::Plain => self.value(item, depth),
        }
    }

    /// Replaces `value` whole, except typed attributes (`{"value": …, "type": …}`, as in logs
    /// and spans) whose value alone is replaced so they keep their shape.
    fn filter(&mut self, value: &mut Value) {
        match value {
            Value::Null | Value::Bool(_) => {}
            Value::String(text) if text == FILTERED || text.is_empty() => {}
            Value::Object(object)
                if object.contains_key("type") && object.contains_key("value") =>
            {
                object.insert("type".to_owned(), Value::String("string".to_owned()));
                if let Some(inner) = object.get_mut("value") {
                    self.filter(inner);
                }
            }
            other => {
                *other = Value::String(FILTERED.to_owned());
                self.replaced += 1;
            }
        }
    }
}

/// Whether `list` is a list of `[name, value]` pairs (headers, tags, cookies, query or form
/// parameters as SDKs send them).
fn is_pair_list(list: &[Value]) -> bool {
    !list.is_empty()
        && list.iter().all(
            |item| matches!(item, Value::Array(pair) if pair.len() == 2 && pair[0].is_string()),
        )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn walked(mut value: Value, keys: &KeyRules) -> (Value, usize) {
        let rules = TextRules {
            credentials: true,
            cards: true,
            emails: true,
            ips: false,
        };
        let mut walk = Walk {
            keys,
            text: &rules,
            replaced: 0,
            key_buffer: String::new(),
            known_keys: HashMap::new(),
        };
        walk.value(&mut value, 0);
        (value, walk.replaced)
    }

    #[test]
    fn values_under_sensitive_keys_and_pairs_are_replaced_whole() {
        let keys = KeyRules::new(true, &[], &[]);
        let (value, replaced) = walked(
            json!({
                "headers": [["Authorization", "Bearer abc"], ["Accept", "text/html"]],
                "vars": {"password": "'hunter2'", "pin": 1234, "nested": {"api_key": {"a": 1}}},
                "tags": [["session", null]],
                "note": "mail ann@example.com",
            }),
            &keys,
        );
        assert_eq!(
            value,
            json!({
                "headers": [["Authorization", "[Filtered]"], ["Accept", "text/html"]],
                "vars": {"password": "[Filtered]", "pin": 1234, "nested": {"api_key": "[Filtered]"}},
                "tags": [["session", null]],
                "note": "mail [Filtered]",
            })
        );
        assert_eq!(replaced, 4);
    }

    #[test]
    fn safe_keys_keep_everything_under_them() {
        let keys = KeyRules::new(true, &[], &["auth_mode".to_owned(), "contact".to_owned()]);
        let (value, replaced) = walked(
            json!({"auth_mode": "sso", "contact": {"email": "ann@example.com", "token": "t"}}),
            &keys,
        );
        assert_eq!(replaced, 0);
        assert_eq!(value["contact"]["token"], "t");
        assert_eq!(value["auth_mode"], "sso");
    }

    #[test]
    fn typed_attributes_keep_their_shape() {
        let keys = KeyRules::new(true, &[], &[]);
        let (value, _) = walked(
            json!({"db.password": {"value": 42, "type": "integer"}}),
            &keys,
        );
        assert_eq!(
            value,
            json!({"db.password": {"value": "[Filtered]", "type": "string"}})
        );
    }

    #[test]
    fn subtrees_beyond_the_depth_bound_are_replaced() {
        let keys = KeyRules::new(true, &[], &[]);
        let mut deep = json!("ann@example.com");
        for _ in 0..=MAX_DEPTH + 1 {
            deep = json!([deep]);
        }
        let (value, replaced) = walked(deep, &keys);
        assert_eq!(replaced, 1);
        assert!(!value.to_string().contains("example.com"));
    }
}
