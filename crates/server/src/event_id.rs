//! [`EventId`]: the id Sentry SDKs give every event, in the one form the server stores.

use std::fmt;

use rand::Rng;

/// An event id as 32 lowercase hex digits.
///
/// SDKs send either that form or a dashed UUID (`8-4-4-4-12`), in either case; both parse to the
/// same id, so the same event sent twice in different forms is still stored once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(String);

impl EventId {
    /// Parses 32 hex digits or a dashed UUID, ignoring case; `None` for anything else.
    ///
    /// ```
    /// use sightline_server::event_id::EventId;
    /// let dashed = EventId::parse("5C2B1A6E-0F4D-4E1A-9B3C-2D1E0F4A5B6C").unwrap();
    /// assert_eq!(dashed.as_str(), "5c2b1a6e0f4d4e1a9b3c2d1e0f4a5b6c");
    /// assert!(EventId::parse("not-an-id").is_none());
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let compact: String = match value.len() {
            32 => value.to_owned(),
            36 => {
                let dashes_in_place = value
                    .char_indices()
                    .all(|(at, c)| (c == '-') == matches!(at, 8 | 13 | 18 | 23));
                if !dashes_in_place {
                    return None;
                }
                value.chars().filter(|c| *c != '-').collect()
            }
            _ => return None,
        };
        compact
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| Self(compact.to_ascii_lowercase()))
    }

    /// A new random id, for events that arrive without one.
    pub fn random() -> Self {
        Self(hex::encode(rand::rng().random::<[u8; 16]>()))
    }

    /// The 32 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_and_any_case_normalize_to_lowercase_hex() {
        let plain = EventId::parse("78b08263fc50486c99adf1be127f7b19").unwrap();
        let upper = EventId::parse("78B08263FC50486C99ADF1BE127F7B19").unwrap();
        let dashed = EventId::parse("78b08263-fc50-486c-99ad-f1be127f7b19").unwrap();
        assert_eq!(plain, upper);
        assert_eq!(plain, dashed);
        assert_eq!(dashed.to_string(), "78b08263fc50486c99adf1be127f7b19");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "78b08263fc50486c99adf1be127f7b1",
            "78b08263fc50486c99adf1be127f7b1g",
            "78b08263fc50-486c-99ad-f1be127f7b19",
            "78b08263-fc50-486c-99ad-f1be127f7b1-",
            "78b08263+fc50+486c+99ad+f1be127f7b19",
        ] {
            assert!(EventId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let first = EventId::random();
        assert_eq!(EventId::parse(first.as_str()), Some(first.clone()));
        assert_ne!(first, EventId::random());
    }
}
