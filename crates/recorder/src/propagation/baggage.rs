//! W3C `baggage` values: building Sentry's entries and merging them with a page's own.

/// Largest `baggage` value sent, in bytes (the W3C limit); ours is not appended beyond it.
pub const MAX_BAGGAGE_BYTES: usize = 8192;

/// Percent-encodes `value` for a baggage entry: everything but ASCII letters, digits and `-._~`.
pub fn percent_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// Whether a baggage value has an entry whose key starts with `sentry-` (a Sentry SDK on the page
/// already described the trace).
pub fn has_sentry_entries(baggage: &str) -> bool {
    baggage
        .split(',')
        .any(|member| member.trim_start().starts_with("sentry-"))
}

/// What to append to the page's `baggage` (or to send as the whole value when it set none): ours,
/// unless the page's already has Sentry entries or the result would exceed
/// [`MAX_BAGGAGE_BYTES`]. Appending is how both `Headers.append` and `setRequestHeader` merge:
/// the values are joined with `", "`.
pub fn baggage_to_append(page: Option<&str>, ours: &str) -> Option<String> {
    let Some(page) = page.filter(|page| !page.trim().is_empty()) else {
        return (ours.len() <= MAX_BAGGAGE_BYTES).then(|| ours.to_owned());
    };
    if has_sentry_entries(page) || page.len() + 2 + ours.len() > MAX_BAGGAGE_BYTES {
        return None;
    }
    Some(ours.to_owned())
}
