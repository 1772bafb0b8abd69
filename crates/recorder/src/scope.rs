//! What the application says about the session: the user (`setUser`) and tags (`setTag`,
//! `setTags`), recorded as [`EventData::Custom`] events so that no protocol change is needed.
//!
//! The scope outlives a recording: what is set before `start()` is recorded when it starts, and
//! a new recording starts with the current user and every tag. Values are strings (numbers and
//! booleans are written as text by the browser glue), bounded like Sentry bounds them. User ids
//! and emails are the application's choice to send, so they are kept as given.
//!
//! ```
//! use sightline_protocol::v1::EventData;
//! use sightline_recorder::scope::Scope;
//!
//! let mut scope = Scope::default();
//! let event = scope.set_user(Some(vec![("id".into(), "42".into()), ("email".into(), "jane@shop.example".into())]));
//! assert_eq!(event, EventData::Custom {
//!     tag: "user".into(),
//!     payload: r#"{"id":"42","email":"jane@shop.example"}"#.into(),
//! });
//! let event = scope.set_tags(vec![("plan".into(), Some("pro".into()))]);
//! assert_eq!(event, Some(EventData::Custom { tag: "tags".into(), payload: r#"{"plan":"pro"}"#.into() }));
//! assert_eq!(scope.events().len(), 2);
//! ```

use sightline_protocol::v1::EventData;

use crate::stack::truncate;

/// The custom event tag of `setUser`; its payload is the user object, or `null`.
pub const USER_TAG: &str = "user";

/// The custom event tag of `setTag` / `setTags`; its payload maps the tags set to their values
/// (`null` for a removed tag). A recording's first `tags` event carries every tag.
pub const TAGS_TAG: &str = "tags";

/// Most user fields kept.
pub const MAX_USER_FIELDS: usize = 16;

/// Longest user field name kept, in bytes.
pub const MAX_USER_KEY_BYTES: usize = 64;

/// Longest user field value kept, in bytes.
pub const MAX_USER_VALUE_BYTES: usize = 256;

/// Most tags kept; further new tags are ignored.
pub const MAX_TAGS: usize = 64;

/// Longest tag name kept, in bytes (Sentry's limit).
pub const MAX_TAG_KEY_BYTES: usize = 32;

/// Longest tag value kept, in bytes (Sentry's limit).
pub const MAX_TAG_VALUE_BYTES: usize = 200;

/// The user and tags set so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    user: Option<Vec<(String, String)>>,
    tags: Vec<(String, String)>,
}

impl Scope {
    /// Sets (or with `None` clears) the user; returns the event recording it.
    pub fn set_user(&mut self, fields: Option<Vec<(String, String)>>) -> EventData {
        self.user = fields.map(|fields| {
            let mut kept: Vec<(String, String)> = Vec::new();
            for (key, value) in fields {
                let key = truncate(key.trim(), MAX_USER_KEY_BYTES);
                if key.is_empty() || kept.iter().any(|(k, _)| k == key) {
                    continue;
                }
                if kept.len() == MAX_USER_FIELDS {
                    break;
                }
                kept.push((
                    key.to_owned(),
                    truncate(&value, MAX_USER_VALUE_BYTES).to_owned(),
                ));
            }
            kept
        });
        self.user_event()
    }

    /// Sets tags (`None` removes one); returns the event recording the change, if anything
    /// changed.
    pub fn set_tags(&mut self, tags: Vec<(String, Option<String>)>) -> Option<EventData> {
        let mut changes: Vec<(String, Option<String>)> = Vec::new();
        for (key, value) in tags {
            let key = truncate(key.trim(), MAX_TAG_KEY_BYTES).to_owned();
            if key.is_empty() {
                continue;
            }
            let value = value.map(|value| truncate(&value, MAX_TAG_VALUE_BYTES).to_owned());
            let position = self.tags.iter().position(|(k, _)| *k == key);
            match (&value, position) {
                (Some(value), Some(index)) => value.clone_into(&mut self.tags[index].1),
                (Some(value), None) if self.tags.len() < MAX_TAGS => {
                    self.tags.push((key.clone(), value.clone()));
                }
                (None, Some(index)) => {
                    self.tags.remove(index);
                }
                _ => continue,
            }
            changes.retain(|(k, _)| *k != key);
            changes.push((key, value));
        }
        (!changes.is_empty()).then(|| EventData::Custom {
            tag: TAGS_TAG.to_owned(),
            payload: json_object(changes.iter().map(|(k, v)| (k.as_str(), v.as_deref()))),
        })
    }

    /// The events that start a recording: the user, if set, and every tag, if any.
    pub fn events(&self) -> Vec<EventData> {
        let mut events = Vec::new();
        if self.user.is_some() {
            events.push(self.user_event());
        }
        if !self.tags.is_empty() {
            events.push(EventData::Custom {
                tag: TAGS_TAG.to_owned(),
                payload: json_object(
                    self.tags
                        .iter()
                        .map(|(k, v)| (k.as_str(), Some(v.as_str()))),
                ),
            });
        }
        events
    }

    fn user_event(&self) -> EventData {
        let payload = match &self.user {
            Some(fields) => json_object(fields.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())))),
            None => "null".to_owned(),
        };
        EventData::Custom {
            tag: USER_TAG.to_owned(),
            payload,
        }
    }
}

/// A JSON object of string (or `null`) values.
fn json_object<'a>(pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let mut out = String::from("{");
    for (index, (key, value)) in pairs.enumerate() {
        if index > 0 {
            out.push(',');
        }
        json_string(&mut out, key);
        out.push(':');
        match value {
            Some(value) => json_string(&mut out, value),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// Appends `text` as a JSON string literal.
fn json_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[(u32::from(c) >> 4) as usize]));
                out.push(char::from(HEX[(u32::from(c) & 0xf) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: Option<EventData>) -> String {
        match event {
            Some(EventData::Custom { payload, .. }) => payload,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn users_are_bounded_escaped_and_clearable() {
        let mut scope = Scope::default();
        let mut fields = vec![
            ("id".to_owned(), "7".to_owned()),
            ("name".to_owned(), "Jane \"JJ\"\n\u{1}".to_owned()),
            ("id".to_owned(), "duplicate".to_owned()),
            ("bio".to_owned(), "é".repeat(MAX_USER_VALUE_BYTES)),
        ];
        fields.extend((0..40).map(|i| (format!("k{i}"), String::new())));
        let json = payload(Some(scope.set_user(Some(fields))));
        assert!(
            json.starts_with(r#"{"id":"7","name":"Jane \"JJ\"\n\u0001","bio":""#),
            "{json}"
        );
        assert_eq!(json.matches("\":").count(), MAX_USER_FIELDS);
        assert!(json.len() < MAX_USER_FIELDS * (MAX_USER_KEY_BYTES + MAX_USER_VALUE_BYTES));
        assert_eq!(payload(Some(scope.set_user(None))), "null");
        assert!(scope.events().is_empty(), "a cleared user is not replayed");
    }

    #[test]
    fn tags_record_changes_and_a_new_recording_gets_them_all() {
        let mut scope = Scope::default();
        let set = |key: &str, value: Option<&str>| (key.to_owned(), value.map(str::to_owned));
        let changed = scope.set_tags(vec![set("plan", Some("pro")), set("region", Some("eu"))]);
        assert_eq!(payload(changed), r#"{"plan":"pro","region":"eu"}"#);
        let changed = scope.set_tags(vec![set("region", None), set("plan", Some("team"))]);
        assert_eq!(payload(changed), r#"{"region":null,"plan":"team"}"#);
        assert_eq!(
            scope.set_tags(vec![set("gone", None), set(" ", Some("x"))]),
            None
        );
        assert_eq!(
            scope.events(),
            [EventData::Custom {
                tag: TAGS_TAG.into(),
                payload: r#"{"plan":"team"}"#.into()
            }]
        );
        let long = "t".repeat(100);
        let changed = scope.set_tags(vec![set(&long, Some(&long))]);
        assert_eq!(
            payload(changed),
            format!("{{\"{}\":\"{long}\"}}", "t".repeat(MAX_TAG_KEY_BYTES))
        );
        scope.set_tags(
            (0..100)
                .map(|i| (format!("k{i}"), Some("v".to_owned())))
                .collect(),
        );
        assert_eq!(scope.tags.len(), MAX_TAGS);
    }
}
