//! [`Glob`]: the patterns of ownership rules and `CODEOWNERS`, matched in time proportional to
//! pattern length × text length (no backtracking blow-up on hostile patterns).

/// Which wildcard dialect a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobSyntax {
    /// Sentry rules: `*` matches any text including `/`, `?` any one character.
    Fnmatch,
    /// Like [`GlobSyntax::Fnmatch`], ignoring ASCII case.
    FnmatchNoCase,
    /// gitignore: `*` and `?` stay inside a path segment, `**` crosses segments, `**/` matches
    /// zero or more whole directories.
    Gitignore,
}

/// Which texts a match of the whole pattern covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Only texts the pattern matches.
    Exact,
    /// Those, and every path below a matched directory.
    ExactOrDescendants,
    /// Only paths below a matched directory.
    DescendantsOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character (not `/` in gitignore syntax).
    One {
        crosses_slash: bool,
    },
    /// `*`: any run of characters (no `/` in gitignore syntax).
    Star {
        crosses_slash: bool,
    },
    /// `**/`: nothing, or any text ending with `/`.
    AnyDirectories,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
    ignore_case: bool,
    reach: Reach,
}

impl Glob {
    /// Compiles `pattern`; `\` escapes the next character.
    pub(crate) fn new(pattern: &str, syntax: GlobSyntax, reach: Reach) -> Self {
        let gitignore = syntax == GlobSyntax::Gitignore;
        let ignore_case = syntax == GlobSyntax::FnmatchNoCase;
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::with_capacity(chars.len());
        let mut index = 0;
        while let Some(&c) = chars.get(index) {
            index += 1;
            let token = match c {
                '\\' => match chars.get(index) {
                    Some(&escaped) => {
                        index += 1;
                        Token::Literal(escaped)
                    }
                    None => Token::Literal('\\'),
                },
                '?' => Token::One {
                    crosses_slash: !gitignore,
                },
                '*' if gitignore && chars.get(index) == Some(&'*') => {
                    index += 1;
                    let at_segment_start = index < 3 || chars.get(index - 3) == Some(&'/');
                    if at_segment_start && chars.get(index) == Some(&'/') {
                        index += 1;
                        Token::AnyDirectories
                    } else {
                        Token::Star {
                            crosses_slash: true,
                        }
                    }
                }
                '*' => Token::Star {
                    crosses_slash: !gitignore,
                },
                other if ignore_case => Token::Literal(other.to_ascii_lowercase()),
                other => Token::Literal(other),
            };
            // Consecutive stars add nothing but work.
            let star = matches!(token, Token::Star { .. });
            if star && tokens.last() == Some(&token) {
                continue;
            }
            tokens.push(token);
        }
        Self {
            tokens,
            ignore_case,
            reach,
        }
    }

    /// Whether `text` matches (under this glob's [`Reach`]).
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = if self.ignore_case {
            text.chars().map(|c| c.to_ascii_lowercase()).collect()
        } else {
            text.chars().collect()
        };
        // matched[j]: the tokens so far match text[..j].
        let mut matched = vec![false; text.len() + 1];
        matched[0] = true;
        let mut next = vec![false; text.len() + 1];
        for token in &self.tokens {
            match *token {
                Token::Literal(expected) => {
                    next[0] = false;
                    for j in 1..=text.len() {
                        next[j] = matched[j - 1] && text[j - 1] == expected;
                    }
                }
                Token::One { crosses_slash } => {
                    next[0] = false;
                    for j in 1..=text.len() {
                        next[j] = matched[j - 1] && (crosses_slash || text[j - 1] != '/');
                    }
                }
                Token::Star { crosses_slash } => {
                    next[0] = matched[0];
                    for j in 1..=text.len() {
                        next[j] =
                            matched[j] || (next[j - 1] && (crosses_slash || text[j - 1] != '/'));
                    }
                }
                Token::AnyDirectories => {
                    let mut any_before = false;
                    next[0] = matched[0];
                    for j in 1..=text.len() {
                        any_before |= matched[j - 1];
                        next[j] = matched[j] || (any_before && text[j - 1] == '/');
                    }
                }
            }
            std::mem::swap(&mut matched, &mut next);
            if !matched.contains(&true) {
                return false;
            }
        }
        let whole = matched[text.len()];
        let below_directory = || (1..text.len()).any(|j| matched[j] && text[j] == '/');
        match self.reach {
            Reach::Exact => whole,
            Reach::ExactOrDescendants => whole || below_directory(),
            Reach::DescendantsOnly => below_directory(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fnmatch(pattern: &str) -> Glob {
        Glob::new(pattern, GlobSyntax::Fnmatch, Reach::Exact)
    }

    fn gitignore(pattern: &str) -> Glob {
        Glob::new(pattern, GlobSyntax::Gitignore, Reach::Exact)
    }

    #[test]
    fn fnmatch_stars_cross_directories() {
        assert!(fnmatch("src/payment/*").matches("src/payment/card/charge.py"));
        assert!(fnmatch("*/checkout*").matches("https://shop.example/checkout?step=2"));
        assert!(fnmatch("shop/?.py").matches("shop/a.py"));
        assert!(!fnmatch("src/payment/*").matches("src/payments.py"));
        assert!(!fnmatch("shop/?.py").matches("shop/ab.py"));
    }

    #[test]
    fn gitignore_stars_stay_in_a_segment() {
        assert!(gitignore("docs/*").matches("docs/intro.md"));
        assert!(!gitignore("docs/*").matches("docs/build/intro.md"));
        assert!(gitignore("docs/**").matches("docs/build/intro.md"));
        assert!(gitignore("**/logs/*.log").matches("logs/a.log"));
        assert!(gitignore("**/logs/*.log").matches("var/app/logs/a.log"));
        assert!(gitignore("a/**/b").matches("a/b"));
        assert!(gitignore("a/**/b").matches("a/x/y/b"));
        assert!(!gitignore("a/**/b").matches("a/xb"));
    }

    #[test]
    fn reach_extends_to_paths_below_a_directory() {
        let tree = Glob::new(
            "shop/payment",
            GlobSyntax::Gitignore,
            Reach::ExactOrDescendants,
        );
        assert!(tree.matches("shop/payment"));
        assert!(tree.matches("shop/payment/card.py"));
        assert!(!tree.matches("shop/payments.py"));
        let directory = Glob::new("logs", GlobSyntax::Gitignore, Reach::DescendantsOnly);
        assert!(directory.matches("logs/a.log"));
        assert!(!directory.matches("logs"));
    }

    #[test]
    fn case_is_ignored_only_when_asked() {
        let url = Glob::new("*/Checkout*", GlobSyntax::FnmatchNoCase, Reach::Exact);
        assert!(url.matches("https://SHOP/checkout"));
        assert!(!fnmatch("*/Checkout*").matches("https://shop/checkout"));
    }

    #[test]
    fn escapes_and_hostile_patterns() {
        assert!(fnmatch(r"a\*b").matches("a*b"));
        assert!(!fnmatch(r"a\*b").matches("axb"));
        let hostile = fnmatch(&"*a".repeat(500));
        let text = "a".repeat(2_000) + "b";
        assert!(!hostile.matches(&text));
    }
}
