//! Email and IP addresses in free text.

use std::net::Ipv6Addr;
use std::ops::Range;

/// Pushes the byte ranges of the email addresses in `text` onto `found`: a local part of
/// letters, digits and `._%+-`, an `@`, and a domain of at least two labels whose last one is
/// letters only.
pub fn find_emails(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let local_char = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain_char = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut resume = 0;
    for (at, _) in text.match_indices('@') {
        if at < resume {
            continue;
        }
        let mut start = at;
        while start > resume && local_char(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && domain_char(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let labels: Vec<&str> = domain.split('.').collect();
        let valid = start < at
            && labels.len() >= 2
            && labels.iter().all(|label| !label.is_empty())
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
        if valid {
            found.push(start..end);
            resume = end;
        }
    }
}

/// Pushes the byte ranges of the IPv4 and IPv6 addresses in `text` onto `found`.
pub fn find_ips(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let ip_char = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut at = 0;
    while at < bytes.len() {
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.');
        if !boundary || !ip_char(bytes[at]) {
            at += 1;
            continue;
        }
        let mut end = at;
        while end < bytes.len() && ip_char(bytes[end]) {
            end += 1;
        }
        let alone = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
        let token = text[at..end].trim_end_matches(['.', ':']);
        let token_end = at + token.len();
        if alone && (is_ipv4(token) || is_ipv6(token)) {
            found.push(at..token_end);
        } else if let Some((host, _port)) = token.split_once(':')
            && is_ipv4(host)
        {
            found.push(at..at + host.len());
        }
        at = end.max(at + 1);
    }
}

fn is_ipv4(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|part| {
            (1..=3).contains(&part.len())
                && part.bytes().all(|b| b.is_ascii_digit())
                && part.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// An IPv6 address, but not words like `abc::def` (Rust paths): it needs all eight groups, or
/// `::` and a decimal digit.
fn is_ipv6(token: &str) -> bool {
    let colons = token.bytes().filter(|b| *b == b':').count();
    let shaped = colons >= 7 || (token.contains("::") && token.bytes().any(|b| b.is_ascii_digit()));
    shaped && token.parse::<Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, find: fn(&str, &mut Vec<Range<usize>>)) -> Vec<&str> {
        let mut ranges = Vec::new();
        find(text, &mut ranges);
        ranges.into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn emails_are_found_in_text_and_urls() {
        assert_eq!(
            found(
                "mail jane.doe+shop@example.co.uk or <bob@mail.example.com>.",
                find_emails
            ),
            ["jane.doe+shop@example.co.uk", "bob@mail.example.com"]
        );
        assert_eq!(found("/users/ann@x.io/cart", find_emails), ["ann@x.io"]);
    }

    #[test]
    fn releases_and_handles_are_not_emails() {
        assert!(found("shop-backend@2.0.0", find_emails).is_empty());
        assert!(found("@everyone and user@localhost", find_emails).is_empty());
        assert!(found("a@b.c", find_emails).is_empty());
    }

    #[test]
    fn ipv4_and_ipv6_addresses_are_found() {
        assert_eq!(
            found(
                "from 10.0.0.12:443, [2001:db8::8a2e:370:7334] and ::1.",
                find_ips
            ),
            ["10.0.0.12", "2001:db8::8a2e:370:7334", "::1"]
        );
        assert_eq!(found("192.168.1.1", find_ips), ["192.168.1.1"]);
    }

    #[test]
    fn versions_paths_and_times_are_not_addresses() {
        for text in [
            "1.2.3",
            "v1.2.3.4",
            "1.2.3.4.5",
            "300.1.1.1",
            "std::fmt",
            "abc::def",
            "12:30:45",
            "deadbeef",
        ] {
            assert!(found(text, find_ips).is_empty(), "{text}");
        }
    }
}
