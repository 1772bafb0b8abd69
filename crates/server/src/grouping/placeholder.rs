//! Normalization of exception values and messages for grouping: the parts that differ between
//! occurrences of the same error (numbers, ids, hex, UUIDs, URLs, emails) become placeholders,
//! so `order 4821 not found` and `order 977 not found` are one issue.

/// Longest text normalized (characters); the rest is ignored, as it rarely tells errors apart.
pub const MAX_NORMALIZED_CHARS: usize = 1024;

/// Characters that may wrap a word without being part of it.
const WRAPPING: &[char] = &[
    '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', ':', '.', '!', '?',
];

/// `text` with its variable parts replaced by `<url>`, `<email>`, `<uuid>`, `<hex>`, `<int>`
/// and `<id>`; whitespace runs become one space.
pub fn normalize_value(text: &str) -> String {
    let text: String = text.chars().take(MAX_NORMALIZED_CHARS).collect();
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        normalize_word(word, &mut out);
    }
    out
}

fn normalize_word(word: &str, out: &mut String) {
    let core = word.trim_start_matches(WRAPPING);
    let lead = &word[..word.len() - core.len()];
    let core = core.trim_end_matches(WRAPPING);
    let trail = &word[lead.len() + core.len()..];
    out.push_str(lead);
    if core.contains("://") || core.starts_with("www.") {
        out.push_str("<url>");
    } else if is_email(core) {
        out.push_str("<email>");
    } else if is_uuid(core) {
        out.push_str("<uuid>");
    } else {
        normalize_runs(core, out);
    }
    out.push_str(trail);
}

/// Replaces each alphanumeric run of `core` that looks variable; separators stay.
fn normalize_runs(core: &str, out: &mut String) {
    let mut run_start: Option<usize> = None;
    for (index, c) in core.char_indices() {
        if c.is_ascii_alphanumeric() {
            run_start.get_or_insert(index);
        } else {
            if let Some(start) = run_start.take() {
                out.push_str(placeholder(&core[start..index]));
            }
            out.push(c);
        }
    }
    if let Some(start) = run_start {
        out.push_str(placeholder(&core[start..]));
    }
}

/// The placeholder for one alphanumeric run, or the run itself when it is a plain word.
fn placeholder(run: &str) -> &str {
    let digits = run.bytes().filter(u8::is_ascii_digit).count();
    if digits == run.len() {
        return "<int>";
    }
    let lower = run.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return "<hex>";
    }
    if run.len() >= 8 && digits > 0 && run.bytes().all(|b| b.is_ascii_hexdigit()) {
        return "<hex>";
    }
    // A number with a unit (`5s`, `200ms`, `3rd`).
    if run.starts_with(|c: char| c.is_ascii_digit()) {
        return "<int>";
    }
    if digits >= 2 {
        return "<id>";
    }
    run
}

fn is_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
}

/// A UUID with dashes (8-4-4-4-12) or 32 hex digits with at least one digit.
fn is_uuid(word: &str) -> bool {
    let bytes = word.as_bytes();
    if bytes.len() == 36 {
        return bytes.iter().enumerate().all(|(index, b)| match index {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    }
    bytes.len() == 32
        && bytes.iter().all(u8::is_ascii_hexdigit)
        && bytes.iter().any(u8::is_ascii_digit)
}
