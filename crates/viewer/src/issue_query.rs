//! The issues list's state in the address bar: `/issues?query=…&sort=…`, and the API request it
//! makes. An absent `query` means the default (`is:unresolved`); an empty one means every issue.

use crate::token::query_value;

/// The query the list opens with.
pub const DEFAULT_QUERY: &str = "is:unresolved";

/// Longest query sent (the server refuses longer ones; cut here so a pasted blob cannot make a
/// huge URL).
pub const MAX_QUERY_CHARS: usize = 2_048;

/// How the issues list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most recently seen first.
    #[default]
    LastSeen,
    /// Newest issues first.
    FirstSeen,
    /// Most events first.
    Events,
    /// Most affected users first.
    Users,
    /// Most events in the last hour first (spikes).
    EventsLastHour,
}

impl Sort {
    /// Every order, as the selector lists them.
    pub const ALL: [Sort; 5] = [
        Sort::LastSeen,
        Sort::FirstSeen,
        Sort::Events,
        Sort::Users,
        Sort::EventsLastHour,
    ];

    /// The API's (and the address bar's) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastSeen => "date",
            Self::FirstSeen => "new",
            Self::Events => "freq",
            Self::Users => "user",
            Self::EventsLastHour => "trends",
        }
    }

    /// What the selector says.
    pub fn label(self) -> &'static str {
        match self {
            Self::LastSeen => "Last seen",
            Self::FirstSeen => "First seen",
            Self::Events => "Events",
            Self::Users => "Users",
            Self::EventsLastHour => "Events in the last hour",
        }
    }

    /// Reads an API name or one of its aliases; unknown names give the default.
    pub fn parse(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "new" | "first_seen" => Self::FirstSeen,
            "freq" | "events" => Self::Events,
            "user" | "users" => Self::Users,
            "trends" | "events_1h" => Self::EventsLastHour,
            _ => Self::LastSeen,
        }
    }
}

/// What the issues list shows: a search query and an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// The search query as typed (may be empty: every issue).
    pub query: String,
    /// The order.
    pub sort: Sort,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            query: DEFAULT_QUERY.to_owned(),
            sort: Sort::default(),
        }
    }
}

impl ListParams {
    /// Reads the page's query string (`?query=…&sort=…`, with or without `?`).
    pub fn from_search(search: &str) -> Self {
        Self::from_values(
            query_value(search, "query").as_deref(),
            query_value(search, "sort").as_deref(),
        )
    }

    /// From the `query` and `sort` values of the address (absent: the defaults).
    pub fn from_values(query: Option<&str>, sort: Option<&str>) -> Self {
        Self {
            query: query.map_or_else(|| DEFAULT_QUERY.to_owned(), bounded),
            sort: sort.map(Sort::parse).unwrap_or_default(),
        }
    }

    /// The viewer's address of this list: `/issues?query=…&sort=…` (the sort only when not
    /// the default).
    pub fn page_url(&self) -> String {
        let mut url = format!("/issues?query={}", encode_component(&self.query));
        if self.sort != Sort::default() {
            url.push_str("&sort=");
            url.push_str(self.sort.as_str());
        }
        url
    }

    /// The API request: `GET /api/0/issues/?query=…&sort=…`.
    pub fn api_path(&self) -> String {
        format!(
            "/api/0/issues/?query={}&sort={}",
            encode_component(&self.query),
            self.sort.as_str()
        )
    }
}

fn bounded(query: &str) -> String {
    query.trim().chars().take(MAX_QUERY_CHARS).collect()
}

/// Percent-encodes everything but unreserved characters (like `encodeURIComponent`, stricter).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_query_is_the_default_and_empty_is_everything() {
        assert_eq!(ListParams::from_search(""), ListParams::default());
        assert_eq!(ListParams::from_search("?query=").query, "");
        let params = ListParams::from_search(
            "?query=is%3Aunresolved+http.status_code%3A500+%22Type%20Error%22&sort=freq",
        );
        assert_eq!(
            params.query,
            "is:unresolved http.status_code:500 \"Type Error\""
        );
        assert_eq!(params.sort, Sort::Events);
    }

    #[test]
    fn urls_round_trip_through_the_address_bar() {
        let params = ListParams {
            query: "release:shop@1.4.2 url:*checkout* \"a&b\"".to_owned(),
            sort: Sort::EventsLastHour,
        };
        let url = params.page_url();
        assert_eq!(
            url,
            "/issues?query=release%3Ashop%401.4.2%20url%3A%2Acheckout%2A%20%22a%26b%22&sort=trends"
        );
        let search = url.trim_start_matches("/issues");
        assert_eq!(ListParams::from_search(search), params);
        assert_eq!(
            ListParams::default().page_url(),
            "/issues?query=is%3Aunresolved"
        );
        assert_eq!(
            ListParams::default().api_path(),
            "/api/0/issues/?query=is%3Aunresolved&sort=date"
        );
    }

    #[test]
    fn sorts_accept_the_aliases_and_fall_back_to_last_seen() {
        for sort in Sort::ALL {
            assert_eq!(Sort::parse(sort.as_str()), sort);
        }
        assert_eq!(Sort::parse("events_1h"), Sort::EventsLastHour);
        assert_eq!(Sort::parse("USERS"), Sort::Users);
        assert_eq!(Sort::parse("bogus"), Sort::LastSeen);
    }

    #[test]
    fn a_huge_query_is_cut() {
        let long = "x".repeat(10_000);
        let params = ListParams::from_values(Some(&long), None);
        assert_eq!(params.query.len(), MAX_QUERY_CHARS);
    }
}
