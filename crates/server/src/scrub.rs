//! Server-side scrubbing: secrets and personal data are removed from events, transactions,
//! spans and logs before anything is stored, grouped or titled, so no stored row holds them.
//!
//! The processor runs a [`Scrubber`] built from the project's [`ScrubOptions`] over each item's
//! JSON. Like Sentry's data scrubber it replaces with [`FILTERED`]:
//! - values under sensitive key names ([`keys::DEFAULT_SENSITIVE`]: password, secret, token,
//!   auth, cookie, session, … plus the project's `sensitive_fields`, minus its `safe_fields`),
//!   wherever they are: request headers, cookies, data and env, tags, extra, contexts,
//!   breadcrumb data, user, stack-frame `vars`, span data, log attributes;
//! - credentials, credit-card numbers (Luhn-checked), emails and (as an option) IP addresses
//!   inside any other string: messages, exception values, breadcrumb messages, query strings,
//!   URLs, span descriptions, log bodies.
//!
//! ```
//! use serde_json::json;
//! use sightline_server::scrub::{ScrubOptions, Scrubber};
//!
//! let scrubber = Scrubber::new(&ScrubOptions::default());
//! let mut event = json!({
//!     "message": "card 4111 1111 1111 1111 declined for ann@example.com",
//!     "request": {"headers": {"Authorization": "Bearer 0123456789abcdef"}},
//! });
//! let report = scrubber.scrub_event(&mut event);
//! assert_eq!(event["message"], "card [Filtered] declined for [Filtered]");
//! assert_eq!(event["request"]["headers"]["Authorization"], "[Filtered]");
//! assert_eq!(report.replaced, 2);
//! ```

mod address;
mod cache;
mod card;
mod credential;
pub mod keys;
mod options;
mod text;
mod walk;

use serde_json::Value;

pub use self::cache::ScrubberCache;
use self::keys::KeyRules;
pub use self::options::{MAX_FIELD_NAME_CHARS, MAX_FIELD_NAMES, OptionsError, ScrubOptions};
use self::text::TextRules;
use self::walk::Walk;
use crate::normalize::{NormalizationNote, NormalizedEvent};

/// What replaces a scrubbed value (Sentry's marker).
pub const FILTERED: &str = "[Filtered]";

/// Deepest nesting walked; anything deeper is replaced whole (normalization keeps far less).
pub const MAX_DEPTH: usize = 64;

/// Top-level fields of events and transactions that are never scrubbed: identifiers, times and
/// the SDK's own description, which grouping, linking and release tracking rely on.
const STRUCTURAL_FIELDS: &[&str] = &[
    "event_id",
    "timestamp",
    "start_timestamp",
    "received",
    "type",
    "platform",
    "level",
    "logger",
    "release",
    "dist",
    "environment",
    "sdk",
    "debug_meta",
    "modules",
    "measurements",
    "breakdowns",
    "transaction_info",
    "_meta",
    "errors",
    "version",
];

/// One project's scrubbing rules, built once per project and batch from its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubber {
    enabled: bool,
    keys: KeyRules,
    text: TextRules,
}

impl Default for Scrubber {
    fn default() -> Self {
        Self::new(&ScrubOptions::default())
    }
}

/// What one scrub replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Values replaced (whole values, or strings in which something was replaced).
    pub replaced: usize,
    /// The top-level fields in which something was replaced, in document order.
    pub fields: Vec<String>,
}

impl ScrubReport {
    /// Notes for the event's `errors` (`{"type": "scrubbed", "name": field}`), so a reader
    /// knows `[Filtered]` came from the server.
    pub fn note_on(&self, event: &mut NormalizedEvent) {
        event
            .errors
            .extend(self.fields.iter().map(|field| NormalizationNote {
                kind: "scrubbed".to_owned(),
                name: field.clone(),
            }));
    }
}

impl Scrubber {
    /// The rules of `options`.
    pub fn new(options: &ScrubOptions) -> Self {
        Self {
            enabled: options.scrub_data,
            keys: KeyRules::new(
                options.scrub_defaults,
                &options.sensitive_fields,
                &options.safe_fields,
            ),
            text: TextRules {
                credentials: options.scrub_defaults,
                cards: options.scrub_credit_cards,
                emails: options.scrub_emails,
                ips: options.scrub_ip_addresses,
            },
        }
    }

    /// Scrubs an event, a transaction or a standalone span in place: every top-level field
    /// but the structural ones (ids, times, release, environment, SDK).
    pub fn scrub_event(&self, document: &mut Value) -> ScrubReport {
        let mut report = ScrubReport::default();
        if !self.enabled {
            return report;
        }
        let Value::Object(object) = document else {
            return report;
        };
        let mut walk = self.walk();
        for (field, value) in object.iter_mut() {
            if STRUCTURAL_FIELDS.contains(&field.as_str()) {
                continue;
            }
            let before = walk.replaced;
            walk.entry(field, value, 1);
            if walk.replaced > before {
                report.fields.push(field.clone());
            }
        }
        report.replaced = walk.replaced;
        report
    }

    /// Scrubs any other item (a log item, a span item) whole.
    pub fn scrub_item(&self, document: &mut Value) -> ScrubReport {
        let mut report = ScrubReport::default();
        if self.enabled {
            let mut walk = self.walk();
            walk.value(document, 0);
            report.replaced = walk.replaced;
        }
        report
    }

    fn walk(&self) -> Walk<'_> {
        Walk {
            keys: &self.keys,
            text: &self.text,
            replaced: 0,
            key_buffer: String::new(),
            known_keys: std::collections::HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests;
