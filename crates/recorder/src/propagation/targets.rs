//! `tracePropagationTargets`: which request URLs get trace headers.
//!
//! By default only requests to the page's own origin do. A page that lists targets replaces that
//! default; each target is one of:
//! - a string starting with `/`: a path prefix on the page's own origin (`/api`);
//! - a string with a scheme: a prefix of the absolute URL (`https://api.example.com/v2`); a bare
//!   origin matches that origin only, never `https://api.example.com.evil.net`;
//! - any other string: an exact `host[:port]` (`api.example.com`, `localhost:8080`);
//! - a regular expression, tested against the absolute URL (the browser glue holds it as a JS
//!   `RegExp`; here it is anything that implements [`Pattern`]).
//!
//! The loader's `data-trace-propagation-targets` is a comma-separated list; [`parse_target_list`]
//! reads `/…/flags` entries with regex syntax in them as regular expressions.

use crate::url::HttpUrl;

/// Most targets kept from the page's options.
pub const MAX_TARGETS: usize = 64;

/// Longest target kept, in bytes.
pub const MAX_TARGET_BYTES: usize = 1024;

/// A regular expression tested against absolute request URLs.
pub trait Pattern {
    /// Whether `url` matches.
    fn is_match(&self, url: &str) -> bool;
}

/// One propagation target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<P> {
    /// A path prefix on the page's own origin.
    Path(String),
    /// A prefix of the absolute URL; `bare` when it names an origin without a path.
    Prefix {
        /// The prefix, lowercase up to its path.
        prefix: String,
        /// Whether the prefix is a bare origin, which must end where the URL's origin ends.
        bare: bool,
    },
    /// An exact `host[:port]`, lowercase.
    Host(String),
    /// A regular expression.
    Pattern(P),
}

impl<P: Pattern> Target<P> {
    /// Reads a string target.
    pub fn text(target: &str) -> Option<Self> {
        let target = crate::stack::truncate(target.trim(), MAX_TARGET_BYTES);
        if target.is_empty() {
            return None;
        }
        if target.starts_with('/') {
            return Some(Self::Path(target.to_owned()));
        }
        if let Some(url) = HttpUrl::parse(target) {
            let bare = url.path.is_empty() && url.query.is_none() && !target.contains('#');
            let head = url.scheme.len() + 3 + url.host.len();
            // Browsers write request URLs with a lowercase scheme and host; so does the prefix.
            // With credentials (`https://user@host`) the target is kept as written.
            let prefix = match target.get(head..) {
                Some(rest) if !target.contains('@') => url.origin() + rest,
                _ => target.to_owned(),
            };
            return Some(Self::Prefix { prefix, bare });
        }
        Some(Self::Host(target.to_ascii_lowercase()))
    }

    /// Whether a request to `url` (absolute) from a page on `page` gets trace headers.
    pub fn matches(&self, url: &HttpUrl<'_>, raw: &str, page: &HttpUrl<'_>) -> bool {
        match self {
            Self::Path(path) => url.same_origin(page) && url.path.starts_with(path.as_str()),
            Self::Prefix { prefix, bare } => raw
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| !bare || rest.is_empty() || rest.starts_with(['/', '?', '#'])),
            Self::Host(host) => url.host.eq_ignore_ascii_case(host),
            Self::Pattern(pattern) => pattern.is_match(raw),
        }
    }
}

/// The page's propagation targets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Targets<P> {
    /// The default: the page's own origin.
    #[default]
    SameOrigin,
    /// The page's list (possibly empty: nothing is traced).
    List(Vec<Target<P>>),
}

impl<P: Pattern> Targets<P> {
    /// Whether a request to `url` (absolute) from a page at `page_url` gets trace headers. Only
    /// `http(s)` requests ever do.
    pub fn matches(&self, url: &str, page_url: &str) -> bool {
        let (Some(parsed), Some(page)) = (HttpUrl::parse(url), HttpUrl::parse(page_url)) else {
            return false;
        };
        match self {
            Self::SameOrigin => parsed.same_origin(&page),
            Self::List(targets) => targets
                .iter()
                .any(|target| target.matches(&parsed, url, &page)),
        }
    }
}

/// One entry of a comma-separated target list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A string target.
    Text(String),
    /// A regular expression: its source and flags.
    Regex {
        /// The pattern between the slashes.
        source: String,
        /// The flags after the last slash.
        flags: String,
    },
}

/// Reads a comma-separated target list such as `/api,api.example.com,/^https:\/\/cdn\./i`.
///
/// An entry is a regular expression when it is written `/source/flags` (flags from `dgimsuvy`)
/// and its source uses regex syntax (one of `\^$.*+?()[]{}|`); `/api/` stays a path prefix.
/// Commas always separate entries, so a regex with a comma must be passed to `init()` as a
/// `RegExp`. At most [`MAX_TARGETS`] entries are read.
pub fn parse_target_list(text: &str) -> Vec<TargetSpec> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .take(MAX_TARGETS)
        .map(|entry| regex_literal(entry).unwrap_or_else(|| TargetSpec::Text(entry.to_owned())))
        .collect()
}

fn regex_literal(entry: &str) -> Option<TargetSpec> {
    let body = entry.strip_prefix('/')?;
    let (source, flags) = body.rsplit_once('/')?;
    let is_regex = !source.is_empty()
        && flags.chars().all(|flag| "dgimsuvy".contains(flag))
        && source.contains([
            '\\', '^', '$', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|',
        ]);
    is_regex.then(|| TargetSpec::Regex {
        source: source.to_owned(),
        flags: flags.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern that matches URLs containing its text, standing in for a `RegExp`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Contains(&'static str);

    impl Pattern for Contains {
        fn is_match(&self, url: &str) -> bool {
            url.contains(self.0)
        }
    }

    const PAGE: &str = "https://shop.example/cart?x=1";

    fn list(texts: &[&str]) -> Targets<Contains> {
        Targets::List(texts.iter().filter_map(|text| Target::text(text)).collect())
    }

    #[test]
    fn by_default_only_the_pages_own_origin_is_traced() {
        let targets = Targets::<Contains>::default();
        assert!(targets.matches("https://shop.example/api/checkout", PAGE));
        assert!(targets.matches("https://shop.example", PAGE));
        assert!(!targets.matches("http://shop.example/api", PAGE), "scheme");
        assert!(
            !targets.matches("https://shop.example:8443/api", PAGE),
            "port"
        );
        assert!(
            !targets.matches("https://api.shop.example/", PAGE),
            "subdomain"
        );
        assert!(!targets.matches("https://cdn.other.example/x.js", PAGE));
        assert!(!targets.matches("data:text/plain,x", PAGE));
    }

    #[test]
    fn path_targets_match_same_origin_path_prefixes_only() {
        let targets = list(&["/api"]);
        assert!(targets.matches("https://shop.example/api/checkout", PAGE));
        assert!(!targets.matches("https://shop.example/static/app.js", PAGE));
        assert!(!targets.matches("https://other.example/api/checkout", PAGE));
    }

    #[test]
    fn url_targets_are_prefixes_and_bare_origins_end_at_the_origin() {
        let targets = list(&["https://API.example.com", "http://cdn.example/v2/"]);
        assert!(targets.matches("https://api.example.com/orders", PAGE));
        assert!(targets.matches("https://api.example.com?x=1", PAGE));
        assert!(targets.matches("https://api.example.com", PAGE));
        assert!(!targets.matches("https://api.example.com.evil.net/", PAGE));
        assert!(!targets.matches("https://api.example.com:8443/", PAGE));
        assert!(targets.matches("http://cdn.example/v2/items", PAGE));
        assert!(!targets.matches("http://cdn.example/v1/items", PAGE));
        assert!(
            !targets.matches("https://shop.example/api", PAGE),
            "the list replaces the default"
        );
    }

    #[test]
    fn host_targets_match_the_exact_host_and_port() {
        let targets = list(&["api.example.com", "localhost:8080"]);
        assert!(targets.matches("https://api.example.com/x", PAGE));
        assert!(targets.matches("http://API.example.com/x", PAGE));
        assert!(!targets.matches("https://api.example.com:444/x", PAGE));
        assert!(!targets.matches("https://eu.api.example.com/x", PAGE));
        assert!(targets.matches("http://localhost:8080/x", PAGE));
        assert!(!targets.matches("http://localhost:8081/x", PAGE));
    }

    #[test]
    fn patterns_are_tested_against_the_absolute_url() {
        let targets = Targets::List(vec![Target::Pattern(Contains("/graphql"))]);
        assert!(targets.matches("https://other.example/graphql?q=1", PAGE));
        assert!(!targets.matches("https://shop.example/rest", PAGE));
        assert!(!Targets::<Contains>::List(Vec::new()).matches("https://shop.example/", PAGE));
    }

    #[test]
    fn target_lists_split_on_commas_and_read_regex_literals() {
        let specs = parse_target_list(r" /api , api.example.com,, /^https:\/\/cdn\./i, /v1/ ");
        assert_eq!(
            specs,
            [
                TargetSpec::Text("/api".into()),
                TargetSpec::Text("api.example.com".into()),
                TargetSpec::Regex {
                    source: r"^https:\/\/cdn\.".into(),
                    flags: "i".into()
                },
                TargetSpec::Text("/v1/".into()),
            ]
        );
        assert_eq!(
            parse_target_list("/a.b/xyz"),
            [TargetSpec::Text("/a.b/xyz".into())],
            "not regex flags"
        );
        assert_eq!(parse_target_list(&"a,".repeat(500)).len(), MAX_TARGETS);
    }
}
