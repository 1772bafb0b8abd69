//! The head of a stylesheet's text: the `@import` and `@layer` statements it starts with (after
//! an optional `@charset`), the only place where imports count.
//!
//! A stylesheet parsed as a constructed sheet (how the renderer parses captured CSS) silently
//! drops its imports; the head tells where they stood, so that each can be put back as an inert
//! import and the indexes of later CSSOM edits still point at the recorded rules.

/// A statement at the head of a stylesheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRule {
    /// An `@import` (dropped by a constructed sheet).
    Import,
    /// An `@layer` statement (kept as a rule by a constructed sheet).
    Layer,
}

/// The `@import` and `@layer` statements that `css` starts with, in order. Linear in the text.
pub fn head_rules(css: &str) -> Vec<HeadRule> {
    let chars: Vec<char> = css.chars().collect();
    let mut rules = Vec::new();
    let mut at = 0;
    loop {
        at = skip_blank(&chars, at);
        if chars.get(at) != Some(&'@') {
            return rules;
        }
        let (name, after) = at_keyword(&chars, at + 1);
        let rule = match name.to_ascii_lowercase().as_str() {
            "import" => Some(HeadRule::Import),
            "layer" => Some(HeadRule::Layer),
            "charset" => None,
            _ => return rules,
        };
        // A block (`@layer x { … }`) is a rule of its own: imports after it do not count.
        let Some(end) = statement_end(&chars, after) else {
            return rules;
        };
        rules.extend(rule);
        at = end;
    }
}

/// Skips white space, comments and the `<!--`/`-->` tokens a stylesheet ignores.
fn skip_blank(chars: &[char], mut at: usize) -> usize {
    loop {
        let rest = chars.get(at..).unwrap_or_default();
        if rest.first().is_some_and(|c| c.is_whitespace()) {
            at += 1;
        } else if rest.starts_with(&['/', '*']) {
            at = comment_end(chars, at);
        } else if rest.starts_with(&['<', '!', '-', '-']) {
            at += 4;
        } else if rest.starts_with(&['-', '-', '>']) {
            at += 3;
        } else {
            return at;
        }
    }
}

/// The index after the comment starting at `at` (the end of the text when unclosed).
fn comment_end(chars: &[char], at: usize) -> usize {
    let mut i = at + 2;
    while i + 1 < chars.len() {
        if chars[i] == '*' && chars[i + 1] == '/' {
            return i + 2;
        }
        i += 1;
    }
    chars.len()
}

/// The name of an at-keyword whose name starts at `at`, with escapes decoded, and the index after.
fn at_keyword(chars: &[char], mut at: usize) -> (String, usize) {
    let mut name = String::new();
    while let Some(&c) = chars.get(at) {
        if c == '\\' {
            let hex: String = chars
                .get(at + 1..)
                .unwrap_or_default()
                .iter()
                .take(6)
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            if hex.is_empty() {
                match chars.get(at + 1) {
                    Some(&escaped) if escaped != '\n' => name.push(escaped),
                    _ => return (name, at),
                }
                at += 2;
            } else {
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
                name.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                at += 1 + hex.len();
                if chars.get(at).is_some_and(|c| c.is_whitespace()) {
                    at += 1;
                }
            }
        } else if c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() {
            name.push(c);
            at += 1;
        } else {
            break;
        }
    }
    (name, at)
}

/// The index after the `;` ending the statement from `at` (or the end of the text), skipping
/// strings, comments and parentheses; `None` when a block starts first.
fn statement_end(chars: &[char], mut at: usize) -> Option<usize> {
    let mut depth = 0_usize;
    while let Some(&c) = chars.get(at) {
        match c {
            '"' | '\'' => {
                at += 1;
                while let Some(&s) = chars.get(at) {
                    at += 1;
                    if s == '\\' {
                        at += 1;
                    } else if s == c || s == '\n' {
                        break;
                    }
                }
                continue;
            }
            '\\' => at += 1,
            '/' if chars.get(at + 1) == Some(&'*') => {
                at = comment_end(chars, at);
                continue;
            }
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '{' if depth == 0 => return None,
            ';' if depth == 0 => return Some(at + 1),
            _ => {}
        }
        at += 1;
    }
    Some(chars.len())
}

#[cfg(test)]
mod tests {
    use super::HeadRule::{Import, Layer};
    use super::*;

    #[test]
    fn imports_and_layer_statements_at_the_head_are_found_in_order() {
        let css = "@charset \"utf-8\";\n/* theme */ @layer base, theme;\n\
                   @import url(\"a;b.css\") screen;\n@IMPORT 'c.css';\nbody { margin: 0 }\n\
                   @import url(late.css);";
        assert_eq!(head_rules(css), vec![Layer, Import, Import]);
    }

    #[test]
    fn escaped_and_commented_imports_count_too() {
        assert_eq!(
            head_rules("<!-- @\\69 mport url(x.css); --> @imp\\ort 'y.css'"),
            vec![Import, Import]
        );
    }

    #[test]
    fn the_head_ends_at_the_first_other_rule_or_block() {
        assert_eq!(head_rules("p { color: red } @import 'x.css';"), vec![]);
        assert_eq!(
            head_rules("@layer base { p { margin: 0 } } @import 'x.css';"),
            vec![]
        );
        assert_eq!(head_rules("@media print { } @import 'x.css';"), vec![]);
        assert_eq!(head_rules(""), vec![]);
        assert_eq!(head_rules("@import \"unclosed"), vec![Import]);
    }
}
