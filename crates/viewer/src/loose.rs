//! Free-form JSON the server passes through from SDKs (local variables, breadcrumbs, the user,
//! the request), decoded into a bounded value the viewer only displays: nesting, item counts and
//! string lengths are capped while decoding, whatever the server sent.

use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Deepest nesting kept; deeper values show as `…`.
pub const MAX_DEPTH: usize = 6;
/// Most items kept of one list or object; the rest are skipped.
pub const MAX_ITEMS: usize = 100;
/// Longest string kept, in characters.
pub const MAX_CHARS: usize = 2_000;

/// Any JSON value, bounded.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Loose {
    /// `null` or absent.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string (at most [`MAX_CHARS`]).
    Text(String),
    /// A list (at most [`MAX_ITEMS`]).
    List(Vec<Loose>),
    /// An object's entries in order (at most [`MAX_ITEMS`]).
    Map(Vec<(String, Loose)>),
    /// Something nested deeper than [`MAX_DEPTH`].
    Cut,
}

impl Loose {
    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Loose> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A string or number as text; `None` for null, empty strings and containers.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::Text(text) if !text.is_empty() => Some(text.clone()),
            Self::Number(_) | Self::Bool(_) => Some(self.to_string()),
            _ => None,
        }
    }

    /// The text of `key` (see [`Loose::as_text`]).
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Self::as_text)
    }

    /// A number, or a string holding one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The items of a list; none for anything else.
    pub fn items(&self) -> &[Loose] {
        match self {
            Self::List(items) => items,
            _ => &[],
        }
    }

    /// The items of the list under `key`.
    pub fn list(&self, key: &str) -> &[Loose] {
        self.get(key).map_or(&[], Loose::items)
    }

    /// Each item of a list, read as `T` (see [`FromLoose`]).
    pub fn map_items<T: FromLoose>(&self) -> Vec<T> {
        self.items().iter().map(T::from_loose).collect()
    }

    /// The text under `key`, else empty.
    pub fn string(&self, key: &str) -> String {
        self.text(key).unwrap_or_default()
    }

    /// The whole number under `key` (absent, negative or not a number: 0).
    pub fn count(&self, key: &str) -> u64 {
        whole(self.get(key).and_then(Loose::as_number))
    }

    /// The number under `key`, when it is one.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key)
            .and_then(Loose::as_number)
            .filter(|n| n.is_finite())
    }

    /// The flag under `key` (absent: false).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Loose::Bool(true)))
    }

    /// The texts of the list under `key`.
    pub fn strings(&self, key: &str) -> Vec<String> {
        self.list(key).iter().filter_map(Loose::as_text).collect()
    }

    /// The whole numbers of the list under `key` (non-numbers count as 0).
    pub fn counts(&self, key: &str) -> Vec<u64> {
        self.list(key)
            .iter()
            .map(|item| whole(item.as_number()))
            .collect()
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Text(text) => text.is_empty(),
            Self::List(items) => items.is_empty(),
            Self::Map(entries) => entries.is_empty(),
            _ => false,
        }
    }

    /// An object's entries as `(key, display text)`, empty values left out.
    pub fn entries(&self) -> Vec<(String, String)> {
        match self {
            Self::Map(entries) => entries
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A type read from an API answer decoded as a [`Loose`] value: missing or odd fields take
/// their empty value, so a page shows what it gets. (One decoder for every answer keeps the
/// bundle smaller than a serde decoder per type.)
pub trait FromLoose {
    /// Reads `value`.
    fn from_loose(value: &Loose) -> Self;
}

/// A list answer: each item read as `T`.
impl<T: FromLoose> FromLoose for Vec<T> {
    fn from_loose(value: &Loose) -> Self {
        value.map_items()
    }
}

fn whole(number: Option<f64>) -> u64 {
    match number {
        Some(n) if n.is_finite() && n > 0.0 => n as u64,
        _ => 0,
    }
}

/// Compact JSON-like text: strings unquoted at the top, quoted inside containers.
impl fmt::Display for Loose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            other => write_nested(other, f),
        }
    }
}

fn write_nested(value: &Loose, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match value {
        Loose::Null => f.write_str("null"),
        Loose::Bool(b) => write!(f, "{b}"),
        Loose::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
        Loose::Number(n) => write!(f, "{n}"),
        Loose::Text(text) => write!(f, "{text:?}"),
        Loose::Cut => f.write_str("…"),
        Loose::List(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_nested(item, f)?;
            }
            f.write_str("]")
        }
        Loose::Map(entries) => {
            f.write_str("{")?;
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{key}: ")?;
                write_nested(item, f)?;
            }
            f.write_str("}")
        }
    }
}

impl<'de> de::Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Depth(0).deserialize(deserializer)
    }
}

/// Decodes one value at a nesting depth.
#[derive(Clone, Copy)]
struct Depth(usize);

impl<'de> DeserializeSeed<'de> for Depth {
    type Value = Loose;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Loose, D::Error> {
        if self.0 > MAX_DEPTH {
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(Loose::Cut);
        }
        deserializer.deserialize_any(self)
    }
}

fn cut(text: &str) -> Loose {
    Loose::Text(text.chars().take(MAX_CHARS).collect())
}

impl<'de> Visitor<'de> for Depth {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        self.deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(cut(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Loose, E> {
        Ok(cut(&String::from_utf8_lossy(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while items.len() < MAX_ITEMS {
            match seq.next_element_seed(Depth(self.0 + 1))? {
                Some(item) => items.push(item),
                None => return Ok(Loose::List(items)),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Loose>()? {
            if entries.len() < MAX_ITEMS {
                let value = map.next_value_seed(Depth(self.0 + 1))?;
                entries.push((key.to_string(), value));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Loose::Map(entries))
    }
}

/// A field that should be a string but may come as a number or `null`: its text, else empty.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Loose::deserialize(deserializer)?
        .as_text()
        .unwrap_or_default())
}

/// A field that should be an optional string but may come as a number: its text, else `None`.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Loose::deserialize(deserializer)?.as_text())
}

/// An optional number (`null` or absent: `None`).
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn opt_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(Loose::deserialize(deserializer)?
        .as_number()
        .filter(|n| n.is_finite()))
}

/// An object's entries as display text (see [`Loose::entries`]); anything else gives none.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn entries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, String)>, D::Error> {
    Ok(Loose::deserialize(deserializer)?.entries())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_display_compactly() -> Result<(), serde_json::Error> {
        let value: Loose = serde_json::from_str(
            r#"{"id": 42, "name": "Ada", "tags": ["a", 1.5, true, null], "empty": ""}"#,
        )?;
        assert_eq!(value.text("id").as_deref(), Some("42"));
        assert_eq!(value.text("name").as_deref(), Some("Ada"));
        assert_eq!(
            value.entries(),
            vec![
                ("id".to_owned(), "42".to_owned()),
                ("name".to_owned(), "Ada".to_owned()),
                ("tags".to_owned(), r#"["a", 1.5, true, null]"#.to_owned()),
            ]
        );
        assert_eq!(value.text("missing"), None);
        Ok(())
    }

    #[test]
    fn fields_read_leniently() -> Result<(), serde_json::Error> {
        let value: Loose = serde_json::from_str(
            r#"{"n": 57, "f": 2.9, "neg": -3, "s": "12", "no": null, "yes": true,
                "list": ["a", 1, null, {"x": 1}], "counts": [1, null, "2", -1]}"#,
        )?;
        assert_eq!(value.count("n"), 57);
        assert_eq!(value.count("f"), 2);
        assert_eq!(value.count("neg"), 0);
        assert_eq!(value.count("s"), 12);
        assert_eq!(value.count("missing"), 0);
        assert_eq!(value.number("no"), None);
        assert!(value.flag("yes") && !value.flag("no") && !value.flag("n"));
        assert_eq!(value.strings("list"), vec!["a".to_owned(), "1".to_owned()]);
        assert_eq!(value.counts("counts"), vec![1, 0, 2, 0]);
        assert_eq!(value.string("no"), "");
        assert!(value.list("n").is_empty());
        Ok(())
    }

    #[test]
    fn deep_long_and_wide_values_are_bounded() -> Result<(), serde_json::Error> {
        let deep = format!("{}1{}", "[".repeat(50), "]".repeat(50));
        let value: Loose = serde_json::from_str(&deep)?;
        assert!(value.to_string().contains('…'));
        let wide = format!(
            "[{}]",
            (0..500)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let value: Loose = serde_json::from_str(&wide)?;
        assert!(matches!(value, Loose::List(ref items) if items.len() == MAX_ITEMS));
        let long: Loose = serde_json::from_str(&format!("\"{}\"", "x".repeat(10_000)))?;
        assert_eq!(long.to_string().len(), MAX_CHARS);
        let object = format!(
            "{{{}}}",
            (0..300)
                .map(|i| format!("\"k{i}\": {i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let value: Loose = serde_json::from_str(&object)?;
        assert_eq!(value.entries().len(), MAX_ITEMS);
        Ok(())
    }
}
