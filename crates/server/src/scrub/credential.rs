//! Credentials in free text: `Bearer`/`Basic` tokens, passwords in URLs
//! (`https://user:pass@host`), `key=value` pairs whose key is sensitive (query strings, form
//! bodies, log lines), and PEM private-key blocks.

use std::ops::Range;

use super::keys::KeyRules;

/// Shortest token after `Bearer ` or `Basic ` taken for a credential (shorter ones are words).
const MIN_SCHEME_TOKEN: usize = 8;

/// Pushes the byte ranges of the credentials in `text` onto `found`; `builtin` adds the
/// patterns that do not depend on key names (schemes, URL passwords, private keys).
pub fn find(text: &str, keys: &KeyRules, builtin: bool, found: &mut Vec<Range<usize>>) {
    if builtin {
        scheme_tokens(text, found);
        url_passwords(text, found);
        private_keys(text, found);
    }
    key_values(text, keys, found);
}

fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

fn scheme_tokens(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for at in 0..bytes.len() {
        if !matches!(bytes[at], b'b' | b'B') || (at > 0 && bytes[at - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let Some(scheme) = ["bearer ", "basic "].into_iter().find(|scheme| {
            bytes
                .get(at..at + scheme.len())
                .is_some_and(|word| word.eq_ignore_ascii_case(scheme.as_bytes()))
        }) else {
            continue;
        };
        let start = at + scheme.len();
        let mut end = start;
        while end < bytes.len() && token_char(bytes[end]) {
            end += 1;
        }
        if end - start >= MIN_SCHEME_TOKEN {
            found.push(start..end);
        }
    }
}

fn url_passwords(text: &str, found: &mut Vec<Range<usize>>) {
    for (at, _) in text.match_indices("://") {
        let rest = &text[at + 3..];
        let authority_end = rest
            .find(['/', '?', '#', ' ', '"', '\''])
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(userinfo_end) = authority.rfind('@')
            && let Some(colon) = authority[..userinfo_end].find(':')
            && colon + 1 < userinfo_end
        {
            let base = at + 3;
            found.push(base + colon + 1..base + userinfo_end);
        }
    }
}

fn private_keys(text: &str, found: &mut Vec<Range<usize>>) {
    const BEGIN: &str = "-----BEGIN ";
    let mut from = 0;
    while let Some(offset) = text[from..].find(BEGIN) {
        let start = from + offset;
        let header_end = text[start + BEGIN.len()..]
            .find("-----")
            .map(|end| start + BEGIN.len() + end + 5);
        let Some(header_end) = header_end else { return };
        if !text[start..header_end].contains("PRIVATE KEY") {
            from = header_end;
            continue;
        }
        let end = text[header_end..]
            .find("-----END ")
            .and_then(|end| {
                let footer = header_end + end + 9;
                text[footer..].find("-----").map(|close| footer + close + 5)
            })
            .unwrap_or(text.len());
        found.push(start..end);
        from = end;
    }
}

fn key_values(text: &str, keys: &KeyRules, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let key_char = |b: u8| b.is_ascii_alphanumeric() || b"_-.[]".contains(&b);
    for (at, _) in text.match_indices('=') {
        let mut key_start = at;
        while key_start > 0 && key_char(bytes[key_start - 1]) {
            key_start -= 1;
        }
        if key_start == at || !keys.is_sensitive(&text[key_start..at]) {
            continue;
        }
        let start = at + 1;
        let end = match bytes.get(start) {
            Some(quote @ (b'"' | b'\'')) => text[start + 1..]
                .find(char::from(*quote))
                .map_or(text.len(), |close| start + 1 + close + 1),
            _ => text[start..]
                .find(|c: char| c.is_whitespace() || "&;,\"')]}<>".contains(c))
                .map_or(text.len(), |stop| start + stop),
        };
        if end > start {
            found.push(start..end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        find(text, &KeyRules::new(true, &[], &[]), true, &mut found);
        found.sort_by_key(|range| range.start);
        found.into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn bearer_and_basic_tokens_are_found_but_not_words() {
        assert_eq!(
            credentials("Authorization: Bearer eyJhbGciOi.J9.x-y_z and basic dXNlcjpwYXNz"),
            ["eyJhbGciOi.J9.x-y_z", "dXNlcjpwYXNz"]
        );
        assert!(credentials("the bearer of bad news, basic idea").is_empty());
    }

    #[test]
    fn passwords_in_urls_are_found_not_the_user() {
        assert_eq!(
            credentials("connect postgres://shop:s3cr3t@db:5432/shop failed"),
            ["s3cr3t"]
        );
        assert!(credentials("https://example.com/a@b and https://u@host/").is_empty());
    }

    #[test]
    fn sensitive_key_values_are_found_in_query_strings_and_logs() {
        assert_eq!(
            credentials("/login?user=ann&password=hunter2&next=/ api_key=\"a b\" token='x'"),
            ["hunter2", "\"a b\"", "'x'"]
        );
        assert!(credentials("user=ann&page=2").is_empty());
    }

    #[test]
    fn private_key_blocks_are_found_whole() {
        let text = "key: -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end";
        assert_eq!(
            credentials(text),
            ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"]
        );
        assert!(credentials("-----BEGIN CERTIFICATE-----\nMIIE").is_empty());
    }
}
