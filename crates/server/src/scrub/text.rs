//! Free-text scrubbing: every pattern's matches in one string replaced by [`FILTERED`].

use std::ops::Range;

use super::keys::KeyRules;
use super::{FILTERED, address, card, credential};

/// Which free-text patterns apply, per the project's options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextRules {
    /// Bearer/Basic tokens, URL passwords, private keys.
    pub credentials: bool,
    /// Credit-card numbers.
    pub cards: bool,
    /// Email addresses.
    pub emails: bool,
    /// IP addresses.
    pub ips: bool,
}

/// `text` with every match replaced by [`FILTERED`], or `None` when nothing matched.
pub fn scrub(text: &str, rules: &TextRules, keys: &KeyRules) -> Option<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    if rules.cards
        && bytes
            .iter()
            .filter(|b| b.is_ascii_digit())
            .nth(12)
            .is_some()
    {
        card::find(text, &mut found);
    }
    if rules.emails && bytes.contains(&b'@') {
        address::find_emails(text, &mut found);
    }
    if rules.ips && bytes.iter().any(|b| *b == b'.' || *b == b':') {
        address::find_ips(text, &mut found);
    }
    if bytes.iter().any(|b| matches!(b, b'=' | b' ' | b':' | b'-')) {
        credential::find(text, keys, rules.credentials, &mut found);
    }
    if found.is_empty() {
        return None;
    }
    Some(replace(text, found))
}

/// `text` with the given byte ranges (at char boundaries, possibly overlapping) replaced.
fn replace(text: &str, mut found: Vec<Range<usize>>) -> String {
    found.sort_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for range in found {
        if range.end <= copied {
            continue;
        }
        let start = range.start.max(copied);
        out.push_str(&text[copied..start]);
        if start == range.start {
            out.push_str(FILTERED);
        }
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> TextRules {
        TextRules {
            credentials: true,
            cards: true,
            emails: true,
            ips: true,
        }
    }

    #[test]
    fn every_pattern_is_replaced_in_one_pass() {
        let keys = KeyRules::new(true, &[], &[]);
        assert_eq!(
            scrub(
                "charge 4111 1111 1111 1111 for ann@example.com from 10.1.2.3?token=abc",
                &all(),
                &keys
            )
            .as_deref(),
            Some("charge [Filtered] for [Filtered] from [Filtered]?token=[Filtered]")
        );
        assert_eq!(scrub("nothing to see", &all(), &keys), None);
    }

    #[test]
    fn switched_off_patterns_are_kept() {
        let keys = KeyRules::new(false, &[], &[]);
        let rules = TextRules {
            emails: true,
            ..TextRules::default()
        };
        assert_eq!(
            scrub(
                "4111111111111111 ann@example.com 10.1.2.3 password=x",
                &rules,
                &keys
            )
            .as_deref(),
            Some("4111111111111111 [Filtered] 10.1.2.3 password=x")
        );
    }

    #[test]
    fn overlapping_matches_are_replaced_once() {
        assert_eq!(
            replace("abcdefgh", vec![1..4, 2..6, 7..8]),
            "a[Filtered]g[Filtered]"
        );
    }
}
