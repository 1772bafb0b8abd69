//! Finished `fetch` and `XMLHttpRequest` calls turned into bounded [`NetworkRequest`] events.
//!
//! The browser glue reports what it saw (method, absolute URL, status, start time, the trace ids
//! the request carried, the `Content-Length` response header); here that becomes the event: the
//! URL without credentials, query-string values or fragment, the method upper-cased and bounded,
//! the duration from start to end. Failed requests (no response, or a 5xx) make the recorder
//! upload promptly, so a backend error can be linked to the session quickly.
//!
//! ```
//! use sightline_recorder::network::{FinishedRequest, is_failure};
//!
//! let request = FinishedRequest {
//!     method: "post",
//!     url: "https://shop.example/api/checkout?cart=42#pay",
//!     status: 500,
//!     started: 1_000,
//!     ended: 1_120,
//!     trace_id: "0af7651916cd43dd8448eb211c80319c",
//!     span_id: "b7ad6b7169203331",
//!     content_length: Some("27"),
//! };
//! let event = request.into_event().ok_or("not http")?;
//! assert_eq!((event.method.as_str(), event.url.as_str()), ("POST", "https://shop.example/api/checkout?cart="));
//! assert_eq!((event.status, event.duration, event.response_size), (500, 120, Some(27)));
//! assert!(is_failure(event.status));
//! # Ok::<(), &str>(())
//! ```

use sightline_protocol::v1::{NetworkRequest, is_hex_id};

use crate::stack::truncate;
use crate::url::HttpUrl;

/// Longest method recorded, in bytes.
pub const MAX_METHOD_BYTES: usize = 16;

/// A request as the browser glue saw it end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinishedRequest<'a> {
    /// The method as the page gave it.
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// The response status; 0 when there was no response.
    pub status: u16,
    /// When it started, in ms since the epoch.
    pub started: u64,
    /// When it ended (response headers, error or `loadend`), in ms since the epoch.
    pub ended: u64,
    /// The trace id it carried, empty when none.
    pub trace_id: &'a str,
    /// The span id it carried, empty when none.
    pub span_id: &'a str,
    /// The `Content-Length` response header, when readable.
    pub content_length: Option<&'a str>,
}

impl FinishedRequest<'_> {
    /// The network event; `None` for URLs that are not `http(s)` (`data:`, `blob:` …), which
    /// are not recorded.
    pub fn into_event(self) -> Option<NetworkRequest> {
        let url = HttpUrl::parse(self.url)?.recorded();
        let mut method = truncate(self.method.trim(), MAX_METHOD_BYTES).to_owned();
        method.make_ascii_uppercase();
        if method.is_empty() {
            method.push_str("GET");
        }
        // Ids go into the event only in their documented shape; anything else is dropped.
        let traced = is_hex_id(self.trace_id, 32) && is_hex_id(self.span_id, 16);
        Some(NetworkRequest {
            method,
            url,
            status: self.status,
            duration: u32::try_from(self.ended.saturating_sub(self.started)).unwrap_or(u32::MAX),
            trace_id: if traced { self.trace_id } else { "" }.to_owned(),
            span_id: if traced { self.span_id } else { "" }.to_owned(),
            response_size: self.content_length.and_then(parse_length),
        })
    }
}

/// Whether a request failed in a way worth uploading promptly: no response, or a server error.
pub fn is_failure(status: u16) -> bool {
    status == 0 || status >= 500
}

/// A `Content-Length` value: digits only, at most 20 of them.
fn parse_length(value: &str) -> Option<u64> {
    let value = value.split(',').next()?.trim();
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> FinishedRequest<'_> {
        FinishedRequest {
            method: "get",
            url,
            status: 200,
            started: 5_000,
            ended: 5_040,
            trace_id: "",
            span_id: "",
            content_length: None,
        }
    }

    #[test]
    fn untraced_requests_record_empty_ids_and_no_size() -> Result<(), &'static str> {
        let event = request("http://127.0.0.1:8080/api/items?page=2&sort=asc")
            .into_event()
            .ok_or("event")?;
        assert_eq!(event.url, "http://127.0.0.1:8080/api/items?page=&sort=");
        assert_eq!((event.method.as_str(), event.duration), ("GET", 40));
        assert_eq!((event.trace_id.as_str(), event.span_id.as_str()), ("", ""));
        assert_eq!(event.response_size, None);
        Ok(())
    }

    #[test]
    fn malformed_ids_sizes_and_clocks_are_not_trusted() -> Result<(), &'static str> {
        let mut finished = request("https://a.example/");
        finished.trace_id = "0af7651916cd43dd8448eb211c80319c";
        finished.span_id = "<script>";
        finished.content_length = Some("-1");
        finished.ended = 10;
        finished.method = "PATCHWORK-METHOD-NAME-TOO-LONG";
        let event = finished.into_event().ok_or("event")?;
        assert_eq!((event.trace_id.as_str(), event.span_id.as_str()), ("", ""));
        assert_eq!(event.response_size, None);
        assert_eq!(event.duration, 0);
        assert_eq!(event.method.len(), MAX_METHOD_BYTES);
        assert_eq!(parse_length(" 1024 "), Some(1024));
        assert_eq!(parse_length("99999999999999999999999"), None);
        assert!(request("data:text/plain,secret").into_event().is_none());
        Ok(())
    }

    #[test]
    fn failures_are_network_errors_and_server_errors() {
        assert!(is_failure(0));
        assert!(is_failure(502));
        assert!(!is_failure(404));
        assert!(!is_failure(200));
    }
}
