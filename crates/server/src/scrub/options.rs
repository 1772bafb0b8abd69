//! A project's scrubbing options, as stored and as the privacy API shows them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Most entries in `sensitive_fields` or `safe_fields`.
pub const MAX_FIELD_NAMES: usize = 100;

/// Most characters in one field name.
pub const MAX_FIELD_NAME_CHARS: usize = 100;

/// What the server scrubs from a project's events before storing them; every switch is on by
/// default except IP addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubOptions {
    /// Master switch: nothing is scrubbed when off.
    #[serde(default = "on")]
    pub scrub_data: bool,
    /// Scrub values under the built-in sensitive key names (password, secret, token, auth,
    /// cookie, …) and credentials in free text (bearer tokens, URL passwords, private keys).
    #[serde(default = "on")]
    pub scrub_defaults: bool,
    /// Scrub credit-card numbers (Luhn-checked), in free text too.
    #[serde(default = "on")]
    pub scrub_credit_cards: bool,
    /// Scrub email addresses, in free text too.
    #[serde(default = "on")]
    pub scrub_emails: bool,
    /// Scrub IPv4 and IPv6 addresses (`user.ip_address` and free text).
    #[serde(default)]
    pub scrub_ip_addresses: bool,
    /// More key names whose values are scrubbed (matched like the built-in ones: case and
    /// `-`/`_` ignored, anywhere in the key).
    #[serde(default)]
    pub sensitive_fields: Vec<String>,
    /// Key names never scrubbed (matched whole, case and `-`/`_` ignored), with everything
    /// under them.
    #[serde(default)]
    pub safe_fields: Vec<String>,
}

const fn on() -> bool {
    true
}

impl Default for ScrubOptions {
    fn default() -> Self {
        Self {
            scrub_data: true,
            scrub_defaults: true,
            scrub_credit_cards: true,
            scrub_emails: true,
            scrub_ip_addresses: false,
            sensitive_fields: Vec::new(),
            safe_fields: Vec::new(),
        }
    }
}

/// Why a set of scrubbing options is refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// A list holds more than [`MAX_FIELD_NAMES`] names.
    #[error("{field} holds {count} names; at most {MAX_FIELD_NAMES} are allowed")]
    TooManyNames {
        /// `sensitive_fields` or `safe_fields`.
        field: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A name is empty or longer than [`MAX_FIELD_NAME_CHARS`].
    #[error("{field}[{index}] must be 1 to {MAX_FIELD_NAME_CHARS} characters, not only - or _")]
    BadName {
        /// `sensitive_fields` or `safe_fields`.
        field: &'static str,
        /// Position of the bad name.
        index: usize,
    },
}

impl ScrubOptions {
    /// These options with the field names trimmed, after checking their bounds.
    ///
    /// # Errors
    /// [`OptionsError`] naming the list and entry that is out of bounds.
    pub fn validated(mut self) -> Result<Self, OptionsError> {
        for (field, names) in [
            ("sensitive_fields", &mut self.sensitive_fields),
            ("safe_fields", &mut self.safe_fields),
        ] {
            if names.len() > MAX_FIELD_NAMES {
                return Err(OptionsError::TooManyNames {
                    field,
                    count: names.len(),
                });
            }
            for (index, name) in names.iter_mut().enumerate() {
                *name = name.trim().to_owned();
                if name.chars().count() > MAX_FIELD_NAME_CHARS
                    || super::keys::normalized(name).is_empty()
                {
                    return Err(OptionsError::BadName { field, index });
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_the_defaults_and_unknown_ones_are_refused() {
        let options: ScrubOptions = serde_json::from_str(r#"{"scrub_emails": false}"#).unwrap();
        assert_eq!(
            options,
            ScrubOptions {
                scrub_emails: false,
                ..ScrubOptions::default()
            }
        );
        let error = serde_json::from_str::<ScrubOptions>(r#"{"scrub_email": false}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("scrub_email"), "{error}");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let options = ScrubOptions {
            sensitive_fields: vec![" card_pin ".into()],
            ..ScrubOptions::default()
        };
        assert_eq!(options.validated().unwrap().sensitive_fields, ["card_pin"]);
        let empty = ScrubOptions {
            safe_fields: vec!["ok".into(), "-_".into()],
            ..ScrubOptions::default()
        };
        assert_eq!(
            empty.validated(),
            Err(OptionsError::BadName {
                field: "safe_fields",
                index: 1
            })
        );
        let many = ScrubOptions {
            sensitive_fields: vec!["a".into(); MAX_FIELD_NAMES + 1],
            ..ScrubOptions::default()
        };
        assert!(
            many.validated()
                .unwrap_err()
                .to_string()
                .starts_with("sensitive_fields holds 101")
        );
    }
}
