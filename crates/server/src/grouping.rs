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
    stacktrace
        .and_then(|s| s.frames.iter().rev().find(|f| is_in_app(f)))
        .and_then(frame_culprit)
        .or_else(|| event.culprit.clone())
}

/// How a culprit names `frame`: `module in function`, the function without what the compiler
/// adds (closures, async blocks, symbol hashes), a Rust path split into its module and name.
///
/// ```
/// use serde_json::json;
/// use sightline_server::event_id::EventId;
/// use sightline_server::grouping::frame_culprit;
/// use sightline_server::normalize::{NormalizeContext, normalize_event};
///
/// let raw = json!({"exception": [{"type": "Timeout", "stacktrace": {"frames": [
///     {"function": "shop::payment::authorize::{{closure}}", "filename": "payment.rs"}
/// ]}}]});
/// let context = NormalizeContext { event_id: EventId::random(), received_ms: 0 };
/// let event = normalize_event(&raw, &context);
/// let frame = &event.exception[0].stacktrace.as_ref().unwrap().frames[0];
/// assert_eq!(frame_culprit(frame).as_deref(), Some("shop::payment in authorize"));
/// ```
pub fn frame_culprit(frame: &Frame) -> Option<String> {
    let function = frame
        .function
        .as_deref()
        .map(|function| strip_generated(function_name(function)))
        .filter(|function| !function.is_empty());
    let module = frame.module.as_deref().filter(|module| !module.is_empty());
    let (place, function) = match (module, function) {
        (Some(module), function) => (module.to_owned(), function),
        (None, Some(function)) if !function.starts_with('<') => match function.rsplit_once("::") {
            Some((module, name)) => (module.to_owned(), Some(name)),
            None => (frame_place(frame), Some(function)),
        },
        (None, function) => (frame_place(frame), function),
    };
    match (place.is_empty(), function) {
        (false, Some(function)) => Some(format!("{place} in {function}")),
        (false, None) => Some(place),
        (true, Some(function)) => Some(function.to_owned()),
        (true, None) => None,
    }
}

/// A Rust function path without the trailing segments the compiler generates: `{{closure}}`,
/// `{closure#0}`, `{async_fn#0}`, `{async_block#1}`.
fn strip_generated(function: &str) -> &str {
    let mut function = function;
    while let Some((head, last)) = function.rsplit_once("::") {
        if last.starts_with('{') && last.ends_with('}') {
            function = head;
        } else {
            break;
        }
    }
    function
}

/// The key that counts an event's user: `user.id`, else `email`, else `username`, else
/// `ip_address`; `None` when the event names no user. Values the server scrubbed
/// ([`crate::scrub::FILTERED`]) name nobody: they would count every such user as one.
pub fn user_key(event: &NormalizedEvent) -> Option<String> {
    let user = event.user.as_ref()?;
    ["id", "email", "username", "ip_address"]
        .into_iter()
        .find_map(|name| match user.get(name)? {
            Value::String(text) if !text.trim().is_empty() && text != crate::scrub::FILTERED => {
                Some(text.trim().to_owned())
            }
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}
