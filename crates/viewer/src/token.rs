//! Query strings and tokens: `?token=` taken out of the address bar (the viewer signs in with it
//! and keeps nothing; see [`crate::login`]), query values, and the bearer header.
//!
//! The string handling is plain Rust; the browser side (history) lives in the wasm-only parts of
//! the crate.

/// Splits `token` out of a query string (with or without its leading `?`): returns the decoded
/// token, if any, and the query string without it (with its `?`, or empty).
pub fn take_from_query(query: &str) -> (Option<String>, String) {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut token = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("token", value)) => token = Some(percent_decode(value)),
            _ if pair == "token" => {}
            _ => rest.push(pair),
        }
    }
    let rest = if rest.is_empty() {
        String::new()
    } else {
        format!("?{}", rest.join("&"))
    };
    (token.filter(|t| !t.trim().is_empty()), rest)
}

/// The value of `name` in a query string, decoded.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
}

/// Decodes `%XX` escapes and `+` as space; invalid escapes are kept as written.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `Authorization` header value for `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {}", token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_taken_and_the_rest_kept() {
        assert_eq!(
            take_from_query("?token=abc%2B1&t=1500"),
            (Some("abc+1".into()), "?t=1500".into())
        );
        assert_eq!(
            take_from_query("?t=5&token=xyz"),
            (Some("xyz".into()), "?t=5".into())
        );
        assert_eq!(
            take_from_query("?token=xyz"),
            (Some("xyz".into()), String::new())
        );
        assert_eq!(take_from_query(""), (None, String::new()));
        assert_eq!(take_from_query("?token="), (None, String::new()));
        assert_eq!(take_from_query("?t=1"), (None, "?t=1".into()));
    }

    #[test]
    fn query_values() {
        assert_eq!(query_value("?t=1500&x=1", "t"), Some("1500".into()));
        assert_eq!(query_value("t=2", "t"), Some("2".into()));
        assert_eq!(query_value("?tt=2", "t"), None);
        assert_eq!(bearer(" abc "), "Bearer abc");
    }
}
