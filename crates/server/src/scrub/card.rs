//! Credit-card numbers in free text: 13 to 19 digits starting with 2 to 6 (the ranges card
//! networks issue), written together or in groups of 3 to 6 separated by one space or dash,
//! standing alone (not part of a longer word or number), and passing the Luhn check.

use std::ops::Range;

/// Pushes the byte ranges of the card numbers in `text` onto `found`.
pub fn find(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() || (at > 0 && bytes[at - 1].is_ascii_alphanumeric()) {
            at += 1;
            continue;
        }
        let (end, digits, groups_ok) = candidate(bytes, at);
        let alone = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
        if alone
            && groups_ok
            && (13..=19).contains(&digits.len())
            && (b'2'..=b'6').contains(&digits[0])
            && luhn(&digits)
        {
            found.push(at..end);
        }
        at = end.max(at + 1);
    }
}

/// The end of the digit groups starting at `start`, their digits, and whether the grouping
/// looks like a card's (one group, or groups of 3 to 6 digits).
fn candidate(bytes: &[u8], start: usize) -> (usize, Vec<u8>, bool) {
    let mut digits = Vec::with_capacity(19);
    let mut groups = Vec::with_capacity(5);
    let mut at = start;
    loop {
        let group_start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            if digits.len() <= 19 {
                digits.push(bytes[at]);
            }
            at += 1;
        }
        groups.push(at - group_start);
        let separated = matches!(bytes.get(at), Some(b' ' | b'-'))
            && bytes.get(at + 1).is_some_and(u8::is_ascii_digit);
        if !separated || digits.len() > 19 {
            break;
        }
        at += 1;
    }
    let groups_ok = groups.len() == 1 || groups.iter().all(|len| (3..=6).contains(len));
    (at, digits, groups_ok)
}

/// The Luhn checksum over ASCII digits.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(position, digit)| {
            let value = u32::from(digit - b'0');
            if position % 2 == 1 {
                let doubled = value * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                value
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        find(text, &mut found);
        found.into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn luhn_valid_numbers_are_found_with_or_without_separators() {
        assert_eq!(
            cards("paid with 4111111111111111, then 5500-0000-0000-0004 and 3782 822463 10005"),
            [
                "4111111111111111",
                "5500-0000-0000-0004",
                "3782 822463 10005"
            ]
        );
        assert_eq!(cards("card=4242424242424242&x=1"), ["4242424242424242"]);
    }

    #[test]
    fn other_numbers_are_left_alone() {
        // Fails Luhn; a timestamp in ms (starts with 1); part of a hex id; too long; date.
        assert!(cards("4111111111111112").is_empty());
        assert!(cards("at 1795673336123 ms").is_empty());
        assert!(cards("ab4111111111111111cd").is_empty());
        assert!(cards("00000000000000000000000000000001").is_empty());
        assert!(cards("4111111111111111111111").is_empty());
        assert!(cards("2026-11-26T06:08:56.123Z").is_empty());
        assert!(cards("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1").is_empty());
    }
}
