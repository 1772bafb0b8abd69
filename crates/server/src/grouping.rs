//! Grouping: the fingerprint that puts an event into an issue, and the server's in-app rules.
//!
//! An event's [`GroupingKey`] is, in order of preference:
//! 1. its custom `fingerprint`, where `{{ default }}` stands for the default components;
//! 2. the exception type plus the in-app frames (module, else file basename, and function; no
//!    line numbers) of every exception of the chain (`stacktrace`);
//! 3. the main exception's type plus its value with numbers, ids, hex, UUIDs, URLs and emails
//!    replaced by placeholders (`exception`);
//! 4. the normalized message, else the title (`message`).
//!
//! ```
//! use serde_json::json;
//! use sightline_server::event_id::EventId;
//! use sightline_server::grouping::fingerprint_event;
//! use sightline_server::normalize::{NormalizeContext, normalize_event};
//!
//! let context = NormalizeContext { event_id: EventId::random(), received_ms: 0 };
//! let raw = |order: u32| json!({"exception": [{"type": "KeyError", "value": format!("order {order}")}]});
//! let first = fingerprint_event(&normalize_event(&raw(4821), &context));
//! let second = fingerprint_event(&normalize_event(&raw(977), &context));
//! assert_eq!(first.hash, second.hash);
//! assert_eq!(first.components, ["type:KeyError", "value:order <int>"]);
//! ```

mod in_app;
mod placeholder;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use self::in_app::is_in_app;
pub use self::placeholder::normalize_value;
use crate::normalize::{Frame, NormalizedEvent, Stacktrace};

/// Most entries of a custom fingerprint that are used; the rest are ignored.
pub const MAX_FINGERPRINT_ENTRIES: usize = 32;

/// Longest custom fingerprint entry used (characters); longer ones are cut.
pub const MAX_FINGERPRINT_ENTRY_CHARS: usize = 512;

/// Which rule produced a grouping key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupingKind {
    /// The event's own `fingerprint`.
    Custom,
    /// Exception types and in-app frames.
    Stacktrace,
    /// Exception type and normalized value.
    Exception,
    /// Normalized message (or the title).
    Message,
}

impl GroupingKind {
    /// The name stored and shown: `custom`, `stacktrace`, `exception` or `message`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Custom => "custom",
            Self::Stacktrace => "stacktrace",
            Self::Exception => "exception",
            Self::Message => "message",
        }
    }
}

/// What an event is grouped by: events with the same `hash` in a project are one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupingKey {
    /// SHA-256 (hex) of the components.
    pub hash: String,
    /// The rule that produced the components.
    pub kind: GroupingKind,
    /// What was hashed, such as `type:ZeroDivisionError` or `frame:shop.pay:pay`.
    pub components: Vec<String>,
}

impl GroupingKey {
    fn new(kind: GroupingKind, components: Vec<String>) -> Self {
        let mut digest = Sha256::new();
        for component in &components {
            digest.update(component.as_bytes());
            digest.update([0]);
        }
        Self {
            hash: hex::encode(digest.finalize()),
            kind,
            components,
        }
    }
}

/// The grouping key of `event`.
pub fn fingerprint_event(event: &NormalizedEvent) -> GroupingKey {
    let default = || default_key(event);
    let entries: Vec<&str> = event
        .fingerprint
        .iter()
        .take(MAX_FINGERPRINT_ENTRIES)
        .map(String::as_str)
        .collect();
    if entries.is_empty() || entries.iter().all(|entry| is_default_variable(entry)) {
        return default();
    }
    let mut components = Vec::new();
    for entry in entries {
        if is_default_variable(entry) {
            components.extend(default().components);
        } else {
            let value = variable(event, entry).unwrap_or_else(|| entry.to_owned());
            let value: String = value.chars().take(MAX_FINGERPRINT_ENTRY_CHARS).collect();
            components.push(format!("custom:{value}"));
        }
    }
    GroupingKey::new(GroupingKind::Custom, components)
}

/// Whether a fingerprint entry is `{{ default }}` (spacing and case aside).
fn is_default_variable(entry: &str) -> bool {
    variable_name(entry).is_some_and(|name| name.eq_ignore_ascii_case("default"))
}

/// `name` of an entry `{{ name }}`.
fn variable_name(entry: &str) -> Option<&str> {
    let inner = entry.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    Some(inner.trim())
}

/// The value of the fingerprint variables Sentry documents besides `default`:
/// `{{ transaction }}`, `{{ type }}` / `{{ error.type }}`, `{{ value }}` / `{{ error.value }}`,
/// `{{ level }}`, `{{ message }}`.
fn variable(event: &NormalizedEvent, entry: &str) -> Option<String> {
    let name = variable_name(entry)?.to_ascii_lowercase();
    let main = event.exception.last();
    let value = match name.as_str() {
        "transaction" => event.transaction.clone(),
        "type" | "error.type" => main.and_then(|e| e.kind.clone()),
        "value" | "error.value" => main.and_then(|e| e.value.as_deref().map(normalize_value)),
        "level" => Some(event.level.clone()),
        "message" => event.message.as_deref().map(normalize_value),
        _ => return None,
    };
    Some(value.unwrap_or_else(|| "<none>".to_owned()))
}

/// The key grouping would use without a custom fingerprint.
fn default_key(event: &NormalizedEvent) -> GroupingKey {
    let mut components = Vec::new();
    let mut any_frames = false;
    for exception in &event.exception {
        let frames = in_app_frame_components(exception.stacktrace.as_ref());
        any_frames |= !frames.is_empty();
        components.push(format!("type:{}", exception.kind.as_deref().unwrap_or("")));
        components.extend(frames);
    }
    if any_frames {
        return GroupingKey::new(GroupingKind::Stacktrace, components);
    }
    if let Some(main) = event.exception.last() {
        let kind = main.kind.as_deref().unwrap_or_default();
        let value = main
            .value
            .as_deref()
            .map(normalize_value)
            .unwrap_or_default();
        return GroupingKey::new(
            GroupingKind::Exception,
            vec![format!("type:{kind}"), format!("value:{value}")],
        );
    }
    let text = event
        .message
        .as_deref()
        .filter(|message| !message.trim().is_empty())
        .unwrap_or(&event.title);
    GroupingKey::new(
        GroupingKind::Message,
        vec![format!("message:{}", normalize_value(text))],
    )
}

/// `frame:{module or basename}:{function}` of each in-app frame, outermost first.
fn in_app_frame_components(stacktrace: Option<&Stacktrace>) -> Vec<String> {
    let Some(stacktrace) = stacktrace else {
        return Vec::new();
    };
    stacktrace
        .frames
        .iter()
        .filter(|frame| is_in_app(frame))
        .map(|frame| {
            format!(
                "frame:{}:{}",
                frame_place(frame),
                frame.function.as_deref().map(function_name).unwrap_or("")
            )
        })
        .collect()
}

/// The module of a frame, else its file's base name without query string.
fn frame_place(frame: &Frame) -> String {
    if let Some(module) = frame.module.as_deref().filter(|m| !m.is_empty()) {
        return module.to_owned();
    }
    let path = frame
        .filename
        .as_deref()
        .or(frame.abs_path.as_deref())
        .unwrap_or_default();
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A function name without what changes between builds: a Rust symbol's `::h0123…` hash.
fn function_name(function: &str) -> &str {
    match function.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => function,
    }
}

/// Where the event happened: `module in function` of the innermost in-app frame of the main
/// exception (or of the message's stack trace), else what normalization derived.
pub fn culprit(event: &NormalizedEvent) -> Option<String> {
    let stacktrace = event
        .exception
        .last()
        .and_then(|main| main.stacktrace.as_ref())
        .or(event.stacktrace.as_ref());
    let frame = stacktrace.and_then(|s| s.frames.iter().rev().find(|f| is_in_app(f)));
    match frame {
        Some(frame) => {
            let place = frame_place(frame);
            let function = frame.function.as_deref().filter(|f| !f.is_empty());
            Some(match (place.is_empty(), function) {
                (false, Some(function)) => format!("{place} in {function}"),
                (false, None) => place,
                (true, Some(function)) => function.to_owned(),
                (true, None) => return event.culprit.clone(),
            })
        }
        None => event.culprit.clone(),
    }
}

/// The key that counts an event's user: `user.id`, else `email`, else `username`, else
/// `ip_address`; `None` when the event names no user.
pub fn user_key(event: &NormalizedEvent) -> Option<String> {
    let user = event.user.as_ref()?;
    ["id", "email", "username", "ip_address"]
        .into_iter()
        .find_map(|name| match user.get(name)? {
            Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}
