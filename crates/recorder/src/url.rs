//! Request URLs as the recorder keeps them: absolute `http(s)` URLs split into their parts, and
//! written without credentials, query-string values or fragment.
//!
//! The browser glue resolves every request URL with the browser's URL parser first, so the input
//! is normalized (lowercase scheme and host, no default port); parsing here stays defensive
//! anyway, since a page can pass anything.
//!
//! ```
//! use sightline_recorder::url::HttpUrl;
//!
//! let url = HttpUrl::parse("https://jane:pw@shop.example/search?q=shoes&page=2#top").ok_or("url")?;
//! assert_eq!(url.origin(), "https://shop.example");
//! assert_eq!(url.recorded(), "https://shop.example/search?q=&page=");
//! # Ok::<(), &str>(())
//! ```

use crate::stack::truncate;

/// Longest URL recorded, in bytes; longer ones are cut.
pub const MAX_URL_BYTES: usize = 2 * 1024;

/// An absolute `http` or `https` URL, split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpUrl<'a> {
    /// `http` or `https`, as written.
    pub scheme: &'a str,
    /// `host[:port]`, without credentials.
    pub host: &'a str,
    /// The path, starting with `/` (empty when the URL has none).
    pub path: &'a str,
    /// The query string without its `?`, when there is one.
    pub query: Option<&'a str>,
}

impl<'a> HttpUrl<'a> {
    /// Splits an absolute URL; `None` when it is not `http(s)://host…`.
    pub fn parse(url: &'a str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return None;
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let host = authority.rsplit('@').next().unwrap_or_default();
        if host.is_empty() {
            return None;
        }
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        Some(Self {
            scheme,
            host,
            path,
            query,
        })
    }

    /// `scheme://host[:port]`, lowercase.
    pub fn origin(&self) -> String {
        let mut origin = String::with_capacity(self.scheme.len() + 3 + self.host.len());
        origin.push_str(self.scheme);
        origin.push_str("://");
        origin.push_str(self.host);
        origin.make_ascii_lowercase();
        origin
    }

    /// Whether both URLs have the same origin.
    pub fn same_origin(&self, other: &HttpUrl<'_>) -> bool {
        self.scheme.eq_ignore_ascii_case(other.scheme) && self.host.eq_ignore_ascii_case(other.host)
    }

    /// The URL as recorded: origin and path, the query's keys without their values (`?q=&page=`),
    /// no credentials and no fragment, cut to [`MAX_URL_BYTES`].
    pub fn recorded(&self) -> String {
        let mut url = self.origin();
        url.push_str(self.path);
        if let Some(query) = self.query.filter(|query| !query.is_empty()) {
            url.push('?');
            url.push_str(&strip_query_values(query));
        }
        truncate(&url, MAX_URL_BYTES).to_owned()
    }
}

/// A query string (without `?`) with every value removed and every key kept: `q=shoes&page=2`
/// becomes `q=&page=`; a key without `=` stays as it is.
pub fn strip_query_values(query: &str) -> String {
    let mut out = String::with_capacity(query.len().min(MAX_URL_BYTES));
    for (index, pair) in query.split('&').enumerate() {
        if out.len() > MAX_URL_BYTES {
            break;
        }
        if index > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((key, _)) => {
                out.push_str(key);
                out.push('=');
            }
            None => out.push_str(pair),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_origin_path_and_query() {
        let url = HttpUrl::parse("http://127.0.0.1:8080/api/cart?id=7#x");
        assert_eq!(
            url,
            Some(HttpUrl {
                scheme: "http",
                host: "127.0.0.1:8080",
                path: "/api/cart",
                query: Some("id=7"),
            })
        );
        let bare = HttpUrl::parse("https://shop.example?x");
        assert_eq!(bare.map(|url| (url.path, url.query)), Some(("", Some("x"))));
        for other in [
            "data:text/plain,hi",
            "blob:https://a/1",
            "ftp://a/",
            "https://",
            "/api",
        ] {
            assert_eq!(HttpUrl::parse(other), None, "{other}");
        }
    }

    #[test]
    fn recorded_urls_keep_query_keys_but_no_values_credentials_or_fragment() {
        let recorded = |url: &str| HttpUrl::parse(url).map(|url| url.recorded());
        assert_eq!(
            recorded("https://jane:secret@Shop.Example/search?q=red+shoes&page=2&debug#results")
                .as_deref(),
            Some("https://shop.example/search?q=&page=&debug")
        );
        assert_eq!(
            recorded("http://a.example/x?").as_deref(),
            Some("http://a.example/x")
        );
        assert_eq!(
            recorded("http://a.example/x?token=a=b&&k=").as_deref(),
            Some("http://a.example/x?token=&&k=")
        );
        let long = format!("http://a.example/{}", "é".repeat(MAX_URL_BYTES));
        let cut = recorded(&long).unwrap_or_default();
        assert!(cut.len() <= MAX_URL_BYTES && cut.starts_with("http://a.example/é"));
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let page = HttpUrl::parse("http://127.0.0.1:8080/demo/").ok_or("page");
        let same = HttpUrl::parse("http://127.0.0.1:8080/api?x=1").ok_or("same");
        let port = HttpUrl::parse("http://127.0.0.1:9090/api").ok_or("port");
        let scheme = HttpUrl::parse("https://127.0.0.1:8080/api").ok_or("scheme");
        let (Ok(page), Ok(same), Ok(port), Ok(scheme)) = (page, same, port, scheme) else {
            panic!("urls did not parse");
        };
        assert!(page.same_origin(&same));
        assert!(!page.same_origin(&port));
        assert!(!page.same_origin(&scheme));
    }
}
