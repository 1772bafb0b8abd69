//! The small fields SDKs send in several shapes: level, message and logentry, tags, the HTTP
//! request and its headers, and the HTTP status code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{NormalizationNote, bounded, note};
use crate::limits::{MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, MAX_TAGS, MAX_VALUE_STRING_CHARS};

/// One tag, serialized as Sentry's API does: `{"key": …, "value": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag's name.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// The HTTP request a backend event was handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// HTTP method, upper case.
    pub method: Option<String>,
    /// The URL without its query string.
    pub url: Option<String>,
    /// The query string, if sent separately.
    pub query_string: Option<String>,
    /// Headers as `[name, value]` pairs in the order sent.
    pub headers: Vec<(String, String)>,
    /// The request body as the SDK captured it, bounded.
    pub data: Option<Value>,
}

impl HttpRequest {
    /// The first header named `name`, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A string field, trimmed; `None` when absent, not a string or empty.
pub(super) fn string_field(object: &Map<String, Value>, name: &str) -> Option<String> {
    let text = object.get(name)?.as_str()?.trim();
    (!text.is_empty()).then(|| bounded::truncate(text, MAX_VALUE_STRING_CHARS))
}

/// Strings as they are, numbers and booleans as their JSON text; `None` for the rest.
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The level, with the aliases SDKs use mapped to Sentry's five; `error` when absent.
pub(super) fn level(raw: Option<&Value>, notes: &mut Vec<NormalizationNote>) -> String {
    let Some(raw) = raw.filter(|raw| !raw.is_null()) else {
        return "error".to_owned();
    };
    let level = match raw.as_str().map(|text| text.trim().to_ascii_lowercase()) {
        Some(text) => match text.as_str() {
            "fatal" | "critical" => Some("fatal"),
            "error" | "err" => Some("error"),
            "warning" | "warn" => Some("warning"),
            "info" | "log" => Some("info"),
            "debug" | "trace" => Some("debug"),
            _ => None,
        },
        None => None,
    };
    level.map_or_else(
        || {
            note(notes, "invalid_data", "level");
            "error".to_owned()
        },
        str::to_owned,
    )
}

/// The formatted message from `logentry` (preferred) or `message`, each a string or an
/// object with `formatted`, or `message` and `params`.
pub(super) fn message(object: &Map<String, Value>) -> Option<String> {
    ["logentry", "message"]
        .into_iter()
        .filter_map(|name| object.get(name))
        .find_map(formatted)
        .map(|text| bounded::truncate(&text, MAX_VALUE_STRING_CHARS))
}

fn formatted(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()).filter(|text| !text.trim().is_empty()),
        Value::Object(entry) => {
            if let Some(text) = entry.get("formatted").and_then(Value::as_str) {
                return Some(text.to_owned()).filter(|text| !text.trim().is_empty());
            }
            let template = entry.get("message").and_then(Value::as_str)?;
            Some(apply_params(template, entry.get("params")))
        }
        _ => None,
    }
}

/// Fills `%s`-style placeholders (positional list) or `%(name)s` (map) as Python's logging
/// does; `%%` is a literal percent sign. Unmatched placeholders stay as they are.
fn apply_params(template: &str, params: Option<&Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut positional = match params {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    }
    .into_iter();
    let named = params.and_then(Value::as_object);
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else if let (Some(named), Some(inner)) = (named, after.strip_prefix('(')) {
            match inner.split_once(')') {
                Some((name, tail)) if !tail.is_empty() && named.contains_key(name) => {
                    out.push_str(&display(&named[name]));
                    rest = &tail[tail.chars().next().map_or(0, char::len_utf8)..];
                }
                _ => {
                    out.push('%');
                    rest = after;
                }
            }
        } else if let Some(kind) = after.chars().next().filter(|c| "sdirf".contains(*c)) {
            match positional.next() {
                Some(value) => out.push_str(&display(value)),
                None => {
                    out.push('%');
                    out.push(kind);
                }
            }
            rest = &after[kind.len_utf8()..];
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn display(value: &Value) -> String {
    scalar_text(value).unwrap_or_else(|| value.to_string())
}

/// Tags from a map or a list of `[key, value]` pairs (or `{key, value}` objects); values that
/// are not strings are written as their JSON text, nulls are skipped, and tags longer than
/// the limits are dropped with a note.
pub(super) fn tags(raw: Option<&Value>, notes: &mut Vec<NormalizationNote>) -> Vec<Tag> {
    let pairs: Vec<(String, &Value)> = match raw {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(list)) => list.iter().filter_map(pair).collect(),
        Some(_) => {
            note(notes, "invalid_data", "tags");
            return Vec::new();
        }
    };
    let mut tags = Vec::new();
    for (key, value) in pairs {
        let key = key.trim().to_owned();
        let Some(value) = scalar_text(value) else {
            continue;
        };
        if key.is_empty() || key.chars().count() > MAX_TAG_KEY_CHARS {
            note(notes, "value_too_long", "tags");
            continue;
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            note(notes, "value_too_long", &format!("tags.{key}"));
            continue;
        }
        if tags.len() == MAX_TAGS {
            note(notes, "too_many_tags", "tags");
            break;
        }
        match tags.iter_mut().find(|tag: &&mut Tag| tag.key == key) {
            Some(existing) => existing.value = value,
            None => tags.push(Tag { key, value }),
        }
    }
    tags
}

/// A `[key, value]` pair or a `{"key": …, "value": …}` object.
fn pair(item: &Value) -> Option<(String, &Value)> {
    match item {
        Value::Array(pair) if pair.len() == 2 => Some((pair[0].as_str()?.to_owned(), &pair[1])),
        Value::Object(object) => Some((
            object.get("key")?.as_str()?.to_owned(),
            object.get("value")?,
        )),
        _ => None,
    }
}

/// The `request` interface; headers from a map or a list of pairs, multi-valued headers
/// joined with `, `.
pub(super) fn request(raw: &Value, notes: &mut Vec<NormalizationNote>) -> Option<HttpRequest> {
    let Some(object) = raw.as_object() else {
        note(notes, "invalid_data", "request");
        return None;
    };
    let headers = match object.get("headers") {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), header_value(value)?)))
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(pair)
            .filter_map(|(name, value)| Some((name, header_value(value)?)))
            .collect(),
        _ => Vec::new(),
    };
    let query_string = match object.get("query_string") {
        Some(Value::String(text)) => Some(text.clone()).filter(|text| !text.is_empty()),
        Some(Value::Object(map)) => Some(
            map.iter()
                .filter_map(|(key, value)| Some(format!("{key}={}", scalar_text(value)?)))
                .collect::<Vec<_>>()
                .join("&"),
        ),
        Some(Value::Array(list)) => Some(
            list.iter()
                .filter_map(pair)
                .filter_map(|(key, value)| Some(format!("{key}={}", scalar_text(value)?)))
                .collect::<Vec<_>>()
                .join("&"),
        ),
        _ => None,
    };
    Some(HttpRequest {
        method: string_field(object, "method").map(|method| method.to_ascii_uppercase()),
        url: string_field(object, "url"),
        query_string,
        headers,
        data: object
            .get("data")
            .filter(|data| !data.is_null())
            .map(bounded::value),
    })
}

fn header_value(value: &Value) -> Option<String> {
    let text = match value {
        Value::Array(values) => values
            .iter()
            .filter_map(scalar_text)
            .collect::<Vec<_>>()
            .join(", "),
        other => scalar_text(other)?,
    };
    Some(bounded::truncate(&text, MAX_VALUE_STRING_CHARS))
}

/// The HTTP status code from the tag `http.status_code` (or `status_code`), the `response`
/// context, or the trace context's data; `None` unless it is a valid status (100–599).
pub(super) fn status_code(tags: &[Tag], contexts: &Map<String, Value>) -> Option<u16> {
    let from_tags = [
        "http.status_code",
        "status_code",
        "http.response.status_code",
    ]
    .into_iter()
    .filter_map(|name| tags.iter().find(|tag| tag.key == name))
    .map(|tag| Value::String(tag.value.clone()));
    let from_contexts = [
        contexts.get("response").and_then(|r| r.get("status_code")),
        contexts
            .get("trace")
            .and_then(|t| t.get("data"))
            .and_then(|d| d.get("http.response.status_code")),
        contexts
            .get("trace")
            .and_then(|t| t.get("data"))
            .and_then(|d| d.get("http.status_code")),
    ]
    .into_iter()
    .flatten()
    .cloned();
    from_tags.chain(from_contexts).find_map(|value| {
        let code = match value {
            Value::Number(number) => number.as_u64()?,
            Value::String(text) => text.trim().parse().ok()?,
            _ => return None,
        };
        u16::try_from(code)
            .ok()
            .filter(|code| (100..=599).contains(code))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn python_logging_placeholders_are_filled() {
        assert_eq!(
            apply_params("cart %s has %d items", Some(&json!(["c1", 3]))),
            "cart c1 has 3 items"
        );
        assert_eq!(
            apply_params("%(user)s paid 100%%", Some(&json!({"user": "ann"}))),
            "ann paid 100%"
        );
        assert_eq!(apply_params("%s and %s", Some(&json!(["a"]))), "a and %s");
        assert_eq!(apply_params("50% off %", None), "50% off %");
        assert_eq!(apply_params("%(missing)s", Some(&json!({}))), "%(missing)s");
    }
}
