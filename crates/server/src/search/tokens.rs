//! Splitting a query into tokens: whitespace separates terms except inside `"quotes"` and
//! `[lists]`; a token is `!`-negated text, a `"quoted phrase"`, or `key:value` where the value
//! may be quoted or a `[comma, list]`.

use super::{MAX_LIST_VALUES, MAX_VALUE_CHARS, SearchError};

/// One term as typed, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// The term exactly as typed, for error messages.
    pub raw: String,
    /// It started with `!`.
    pub negated: bool,
    /// The key before `:`, if the term is a `key:value` filter.
    pub key: Option<String>,
    /// The value(s): one for text and plain filters, several for lists.
    pub values: Vec<String>,
}

/// Splits `query` into tokens.
pub(super) fn split(query: &str) -> Result<Vec<Token>, SearchError> {
    let mut tokens = Vec::new();
    let mut chars = query.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut in_quote = false;
        let mut in_list = false;
        let mut escaped = false;
        let mut end = query.len();
        while let Some(&(index, c)) = chars.peek() {
            if !in_quote && !in_list && c.is_whitespace() {
                end = index;
                break;
            }
            chars.next();
            if escaped {
                escaped = false;
            } else if in_quote {
                match c {
                    '\\' => escaped = true,
                    '"' => in_quote = false,
                    _ => {}
                }
            } else {
                match c {
                    '"' => in_quote = true,
                    '[' if query[start..index].ends_with(':') => in_list = true,
                    ']' => in_list = false,
                    _ => {}
                }
            }
        }
        let raw = &query[start..end];
        if in_quote {
            return Err(SearchError::UnterminatedQuote { term: raw.into() });
        }
        if in_list {
            return Err(SearchError::invalid(raw, "the list is not closed with `]`"));
        }
        tokens.push(token(raw)?);
        if tokens.len() > super::MAX_TERMS {
            return Err(SearchError::TooManyTerms);
        }
    }
    Ok(tokens)
}

/// Parses one whitespace-free (outside quotes and lists) token.
fn token(raw: &str) -> Result<Token, SearchError> {
    let (negated, rest) = match raw.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    if rest.is_empty() {
        return Err(SearchError::invalid(raw, "`!` must be followed by a term"));
    }
    // `https://…` typed bare is text, not the tag `https`.
    let key_value = rest.split_once(':').filter(|(key, value)| {
        !key.is_empty() && key.chars().all(is_key_char) && !value.starts_with("//")
    });
    let (key, values) = match key_value {
        Some((key, value)) => {
            if value.is_empty() {
                return Err(SearchError::invalid(raw, "the value after `:` is missing"));
            }
            let values = if let Some(list) = value.strip_prefix('[') {
                let inner = list
                    .strip_suffix(']')
                    .ok_or_else(|| SearchError::invalid(raw, "text follows the list's `]`"))?;
                list_values(raw, inner)?
            } else {
                vec![unquote(raw, value)?]
            };
            (Some(key.to_owned()), values)
        }
        None => (None, vec![unquote(raw, rest)?]),
    };
    for value in &values {
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(SearchError::invalid(
                raw,
                format!("a value is longer than {MAX_VALUE_CHARS} characters"),
            ));
        }
        if value.is_empty() {
            return Err(SearchError::invalid(raw, "a value is empty"));
        }
    }
    Ok(Token {
        raw: raw.to_owned(),
        negated,
        key,
        values,
    })
}

/// Characters a key may have: letters, digits, `_`, `.`, `-` and the brackets of `tags[x]`.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

/// The comma-separated values of a list (without its brackets); items may be quoted.
fn list_values(raw: &str, inner: &str) -> Result<Vec<String>, SearchError> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                in_quote = !in_quote;
                current.push(c);
            }
            ',' if !in_quote => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    if items.len() > MAX_LIST_VALUES {
        return Err(SearchError::invalid(
            raw,
            format!("a list has more than {MAX_LIST_VALUES} values"),
        ));
    }
    items.iter().map(|item| unquote(raw, item.trim())).collect()
}

/// A plain value as it is, or a `"quoted"` one without its quotes and with `\"` and `\\`
/// unescaped.
fn unquote(raw: &str, value: &str) -> Result<String, SearchError> {
    let Some(inner) = value.strip_prefix('"') else {
        if value.contains('"') {
            return Err(SearchError::invalid(
                raw,
                "a quote may only open a value or a phrase",
            ));
        }
        return Ok(value.to_owned());
    };
    let mut text = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => text.push(next),
                None => return Err(SearchError::UnterminatedQuote { term: raw.into() }),
            },
            '"' => {
                return if chars.as_str().is_empty() {
                    Ok(text)
                } else {
                    Err(SearchError::invalid(raw, "text follows the closing quote"))
                };
            }
            _ => text.push(c),
        }
    }
    Err(SearchError::UnterminatedQuote { term: raw.into() })
}
