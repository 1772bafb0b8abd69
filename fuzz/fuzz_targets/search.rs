//! The issue/event search query parser (`sightline_server::search::parse`) on arbitrary text.
//!
//! Properties: never panics; a parsed query has at most `MAX_TERMS` filters; both SQL renderings
//! bind exactly one parameter per `?` placeholder (so no typed text reaches the SQL itself), and
//! rendering is deterministic; errors name the query's problem without panicking to print.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightline_server::search::{MAX_QUERY_CHARS, MAX_TERMS, SearchError, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let query = match parse(text) {
        Ok(query) => query,
        Err(error) => {
            if let SearchError::TooLong { chars } = error {
                assert!(chars > MAX_QUERY_CHARS);
            }
            let _ = error.to_string();
            return;
        }
    };
    assert!(text.chars().count() <= MAX_QUERY_CHARS);
    assert!(query.filters.len() <= MAX_TERMS);
    let now = 1_795_673_336_123;
    for filter in [query.issue_sql(now), query.event_sql(now)] {
        let placeholders = filter.clause.matches('?').count();
        assert_eq!(
            placeholders,
            filter.params.len(),
            "clause {:?} for query {text:?}",
            filter.clause
        );
    }
    assert_eq!(query.issue_sql(now), query.issue_sql(now));
    let _ = sightline_server::search::sort_order(text);
});
