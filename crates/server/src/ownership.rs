//! Ownership: a project's rules (`path:`, `url:`, `tags.NAME:`) and `CODEOWNERS`, and who owns
//! an event.
//!
//! Rules are Sentry's ownership rules, one per line: `path:src/payment/* #payments`,
//! `url:*/checkout* #web`, `tags.service:payments #payments`; `#` starts a comment line. In
//! `path:` and `url:` globs `*` matches any text (also `/`) and `?` one character; `url:` and
//! `tags.` globs ignore case.
//!
//! `CODEOWNERS` is GitHub's file: `pattern owner…` with gitignore-style patterns (`/x` anchored
//! at the repository root, a pattern with an inner `/` is anchored too, otherwise it matches at
//! any depth; `dir/` matches everything below a directory; `*` and `?` stay inside one path
//! segment, `**` crosses segments; a pattern without wildcards in its last segment also matches
//! everything below it). A line with a pattern and no owners makes the matching files unowned.
//! Character classes (`[abc]`) are not supported (they match literally).
//!
//! Owners are stored normalized so that `assigned:#team` searches work for both sources:
//! a GitHub team `@org/team` becomes `#team`, `#team` and `@user` stay as written, an email
//! address stays as written. An issue is assigned to the first owner of the matching line.
//!
//! Evaluation: `CODEOWNERS` entries first, then the rules; the last matching line wins. Path
//! lines are tried against the culprit frame (the innermost in-app frame) first, then, if no
//! line matched, against the next in-app frames outward.
//!
//! ```
//! use sightline_server::ownership::{Ownership, OwnershipSubject};
//! use sightline_server::suspects::FramePaths;
//!
//! let ownership = Ownership::parse(
//!     "path:shop/* #shop\npath:shop/payment/* #payments",
//!     "/docs/ @acme/writers",
//! )?;
//! let subject = OwnershipSubject {
//!     frames: vec![FramePaths { mapped: None, raw: vec!["/app/shop/payment/card.py".into()] }],
//!     url: None,
//!     tags: Vec::new(),
//! };
//! let owner = ownership.owner_of(&subject).expect("an owner");
//! assert_eq!(owner.owner, "#payments");
//! assert_eq!(owner.rule, "path:shop/payment/* #payments");
//! # Ok::<(), sightline_server::ownership::OwnershipError>(())
//! ```

mod glob;

use thiserror::Error;

use self::glob::{Glob, GlobSyntax, Reach};
use crate::normalize::NormalizedEvent;
use crate::store::releases::CodeMapping;
use crate::suspects::{FramePaths, in_app_frames};

/// Largest rules or `CODEOWNERS` text accepted, in bytes.
pub const MAX_OWNERSHIP_TEXT_BYTES: usize = 256 * 1024;
/// Most lines (rules plus `CODEOWNERS` entries) one project may have.
pub const MAX_OWNERSHIP_RULES: usize = 2_000;
/// Most owners one line may name.
pub const MAX_OWNERS_PER_RULE: usize = 32;
/// Longest pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 1_024;
/// Longest owner accepted, in characters.
pub const MAX_OWNER_CHARS: usize = 200;

/// The owner an event was assigned to, and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerMatch {
    /// `#team`, `@user` or `user@example.com` (normalized: see the module documentation).
    pub owner: String,
    /// The matching rule as written, such as `path:src/payment/* #payments`; a `CODEOWNERS`
    /// line is prefixed with `codeowners:`.
    pub rule: String,
}

/// Why ownership rules or a `CODEOWNERS` file were rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OwnershipError {
    /// The text is larger than [`MAX_OWNERSHIP_TEXT_BYTES`].
    #[error("{source_name} is larger than {limit} bytes")]
    TooLarge {
        /// `rules` or `CODEOWNERS`.
        source_name: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// More than [`MAX_OWNERSHIP_RULES`] lines.
    #[error("more than {limit} ownership rules")]
    TooManyRules {
        /// The limit.
        limit: usize,
    },
    /// One line is malformed.
    #[error("{source_name} line {line}: {reason}")]
    InvalidLine {
        /// `rules` or `CODEOWNERS`.
        source_name: &'static str,
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// What an event offers to ownership matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnershipSubject {
    /// The paths of its in-app frames, innermost (the culprit) first.
    pub frames: Vec<FramePaths>,
    /// The URL of the request it handled, if any.
    pub url: Option<String>,
    /// Its tags (and `environment`, `release`, `level`, `transaction`), as `(key, value)`.
    pub tags: Vec<(String, String)>,
}

impl OwnershipSubject {
    /// What `event` offers: its in-app frames under the project's code `mappings`, its
    /// request URL, and its tags plus `environment`, `release`, `level` and `transaction`.
    pub fn of_event(event: &NormalizedEvent, mappings: &[CodeMapping]) -> Self {
        let mut tags: Vec<(String, String)> = event
            .tags
            .iter()
            .map(|tag| (tag.key.clone(), tag.value.clone()))
            .collect();
        tags.push(("environment".to_owned(), event.environment.clone()));
        tags.push(("level".to_owned(), event.level.clone()));
        for (key, value) in [
            ("release", &event.release),
            ("transaction", &event.transaction),
        ] {
            if let Some(value) = value {
                tags.push((key.to_owned(), value.clone()));
            }
        }
        Self {
            frames: in_app_frames(event)
                .into_iter()
                .map(|frame| FramePaths::of(frame, mappings))
                .collect(),
            url: event
                .request
                .as_ref()
                .and_then(|request| request.url.clone()),
            tags,
        }
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    Path(Glob),
    Url(Glob),
    Tag { name: String, glob: Glob },
    CodeOwners(Glob),
}

#[derive(Debug, Clone)]
struct Rule {
    matcher: Matcher,
    owners: Vec<String>,
    text: String,
}

impl Rule {
    fn matches(&self, frame: Option<&FramePaths>, subject: &OwnershipSubject) -> bool {
        match &self.matcher {
            Matcher::Path(glob) => frame.is_some_and(|frame| {
                frame
                    .mapped
                    .iter()
                    .chain(&frame.raw)
                    .any(|path| boundary_suffixes(path).any(|suffix| glob.matches(suffix)))
            }),
            Matcher::CodeOwners(glob) => frame.is_some_and(|frame| match &frame.mapped {
                Some(mapped) => glob.matches(mapped),
                // Without a code mapping the repository root is unknown: try every suffix.
                None => frame
                    .raw
                    .iter()
                    .any(|path| boundary_suffixes(path).any(|suffix| glob.matches(suffix))),
            }),
            Matcher::Url(glob) => subject.url.as_deref().is_some_and(|url| glob.matches(url)),
            Matcher::Tag { name, glob } => subject
                .tags
                .iter()
                .any(|(key, value)| key == name && glob.matches(value)),
        }
    }
}

/// A project's parsed ownership: `CODEOWNERS` entries, then rules.
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    rules: Vec<Rule>,
}

impl Ownership {
    /// Parses ownership `rules` and a `CODEOWNERS` text (either may be empty).
    ///
    /// # Errors
    /// [`OwnershipError`] naming the first bad line or the limit broken.
    pub fn parse(rules: &str, codeowners: &str) -> Result<Self, OwnershipError> {
        let mut parsed = parse_codeowners(codeowners)?;
        parsed.extend(parse_rules(rules)?);
        if parsed.len() > MAX_OWNERSHIP_RULES {
            return Err(OwnershipError::TooManyRules {
                limit: MAX_OWNERSHIP_RULES,
            });
        }
        Ok(Self { rules: parsed })
    }

    /// Whether there is no line at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The owner of `subject`: the first owner of the last matching line, trying the culprit
    /// frame first and further in-app frames only when nothing matched. `None` when no line
    /// matches or the last match names no owner.
    pub fn owner_of(&self, subject: &OwnershipSubject) -> Option<OwnerMatch> {
        let frames: Vec<Option<&FramePaths>> = if subject.frames.is_empty() {
            vec![None]
        } else {
            subject.frames.iter().map(Some).collect()
        };
        let last_match = frames.into_iter().find_map(|frame| {
            self.rules
                .iter()
                .rev()
                .find(|rule| rule.matches(frame, subject))
        })?;
        Some(OwnerMatch {
            owner: last_match.owners.first()?.clone(),
            rule: last_match.text.clone(),
        })
    }
}

/// `path` and each of its suffixes that starts after a `/`, longest first.
fn boundary_suffixes(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once(path).chain(
        path.match_indices('/')
            .map(move |(index, _)| &path[index + 1..])
            .filter(|suffix| !suffix.is_empty()),
    )
}

fn check_size(text: &str, source_name: &'static str) -> Result<(), OwnershipError> {
    if text.len() > MAX_OWNERSHIP_TEXT_BYTES {
        return Err(OwnershipError::TooLarge {
            source_name,
            limit: MAX_OWNERSHIP_TEXT_BYTES,
        });
    }
    Ok(())
}

/// Meaningful lines of `text` with their numbers (from 1): no blanks, no `#` comments.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// Parses Sentry-style ownership rules.
fn parse_rules(text: &str) -> Result<Vec<Rule>, OwnershipError> {
    parse_lines(text, "rules", |content| {
        let mut words = content.split_whitespace();
        let head = words.next().unwrap_or_default();
        let (kind, pattern) = head
            .split_once(':')
            .ok_or_else(|| format!("{head:?} is not TYPE:PATTERN (path:, url: or tags.NAME:)"))?;
        let pattern = check_pattern(pattern)?;
        let matcher = match kind {
            "path" => Matcher::Path(Glob::new(pattern, GlobSyntax::Fnmatch, Reach::Exact)),
            "url" => Matcher::Url(Glob::new(pattern, GlobSyntax::FnmatchNoCase, Reach::Exact)),
            _ => match kind.strip_prefix("tags.") {
                Some(name) if !name.is_empty() => Matcher::Tag {
                    name: name.to_owned(),
                    glob: Glob::new(pattern, GlobSyntax::FnmatchNoCase, Reach::Exact),
                },
                _ => {
                    return Err(format!(
                        "unknown rule type {kind:?}: use path:, url: or tags.NAME:"
                    ));
                }
            },
        };
        let owners = parse_owners(words)?;
        if owners.is_empty() {
            return Err(format!("{head:?} names no owner"));
        }
        Ok(Rule {
            matcher,
            owners,
            text: content.split_whitespace().collect::<Vec<_>>().join(" "),
        })
    })
}

/// Parses a GitHub `CODEOWNERS` file.
fn parse_codeowners(text: &str) -> Result<Vec<Rule>, OwnershipError> {
    parse_lines(text, "CODEOWNERS", |content| {
        // An inline `#` comment ends the owners.
        let content = content
            .split_once(" #")
            .map_or(content, |(before, _)| before)
            .trim();
        let mut words = content.split_whitespace();
        let pattern = check_pattern(words.next().unwrap_or_default())?;
        let owners = parse_owners(words)?;
        Ok(Rule {
            matcher: Matcher::CodeOwners(codeowners_glob(pattern)),
            owners,
            text: format!(
                "codeowners:{}",
                content.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        })
    })
}

/// Reads the rules of one ownership source (`source_name` names it in errors): checks its size,
/// reads each meaningful line with `parse_line` (whose refusal becomes an
/// [`OwnershipError::InvalidLine`] naming the line) and stops at [`MAX_OWNERSHIP_RULES`].
fn parse_lines(
    text: &str,
    source_name: &'static str,
    mut parse_line: impl FnMut(&str) -> Result<Rule, String>,
) -> Result<Vec<Rule>, OwnershipError> {
    check_size(text, source_name)?;
    let mut rules = Vec::new();
    for (line, content) in content_lines(text) {
        if rules.len() == MAX_OWNERSHIP_RULES {
            return Err(OwnershipError::TooManyRules {
                limit: MAX_OWNERSHIP_RULES,
            });
        }
        let rule = parse_line(content).map_err(|reason| OwnershipError::InvalidLine {
            source_name,
            line,
            reason,
        })?;
        rules.push(rule);
    }
    Ok(rules)
}

fn check_pattern(pattern: &str) -> Result<&str, String> {
    if pattern.is_empty() {
        return Err("empty pattern".to_owned());
    }
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!(
            "pattern longer than {MAX_PATTERN_CHARS} characters"
        ));
    }
    Ok(pattern)
}

/// A gitignore-style `CODEOWNERS` pattern as a [`Glob`] over repository paths.
fn codeowners_glob(pattern: &str) -> Glob {
    let directory_only = pattern.ends_with('/') && pattern.len() > 1;
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let body = trimmed.trim_start_matches('/');
    if body.is_empty() {
        // `/` alone: the whole repository.
        return Glob::new("**", GlobSyntax::Gitignore, Reach::Exact);
    }
    let last_segment = body.rsplit('/').next().unwrap_or(body);
    let has_wildcard = last_segment.contains(['*', '?']);
    let reach = if directory_only {
        Reach::DescendantsOnly
    } else if has_wildcard {
        Reach::Exact
    } else {
        Reach::ExactOrDescendants
    };
    let full = if anchored {
        body.to_owned()
    } else {
        format!("**/{body}")
    };
    Glob::new(&full, GlobSyntax::Gitignore, reach)
}

/// Normalizes the owners of one line (see the module documentation).
fn parse_owners<'a>(words: impl Iterator<Item = &'a str>) -> Result<Vec<String>, String> {
    let mut owners = Vec::new();
    for word in words {
        if owners.len() == MAX_OWNERS_PER_RULE {
            return Err(format!("more than {MAX_OWNERS_PER_RULE} owners"));
        }
        owners.push(normalize_owner(word)?);
    }
    Ok(owners)
}

/// `@org/team` → `#team`; `#team`, `@user` and `user@example.com` as written.
pub fn normalize_owner(owner: &str) -> Result<String, String> {
    if owner.chars().count() > MAX_OWNER_CHARS {
        return Err(format!("owner longer than {MAX_OWNER_CHARS} characters"));
    }
    let valid_name = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(handle) = owner.strip_prefix('@') {
        return match handle.split_once('/') {
            Some((org, team)) if valid_name(org) && valid_name(team) => Ok(format!("#{team}")),
            None if valid_name(handle) => Ok(owner.to_owned()),
            _ => Err(format!("owner {owner:?} is not @user or @org/team")),
        };
    }
    if let Some(team) = owner.strip_prefix('#') {
        return if valid_name(team) {
            Ok(owner.to_owned())
        } else {
            Err(format!("owner {owner:?} is not a #team"))
        };
    }
    match owner.split_once('@') {
        Some((user, domain))
            if !user.is_empty() && domain.contains('.') && !domain.contains('@') =>
        {
            Ok(owner.to_owned())
        }
        _ => Err(format!(
            "owner {owner:?} is not #team, @user, @org/team or an email address"
        )),
    }
}

#[cfg(test)]
mod tests;
