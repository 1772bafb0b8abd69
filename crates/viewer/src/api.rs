//! The server's read API as the viewer sees it: response types and the paths to request.

use serde::Deserialize;

/// One replay as listed by `GET /api/0/replays/` and returned by `GET /api/0/replays/{id}/`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReplaySummary {
    /// The replay id (32 hex).
    pub id: String,
    /// The project id.
    #[serde(default)]
    pub project: String,
    /// Start as RFC 3339 UTC.
    #[serde(default)]
    pub started_at: String,
    /// End as RFC 3339 UTC.
    #[serde(default)]
    pub finished_at: String,
    /// Distinct page URLs in order.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Release of the recorded page.
    #[serde(default)]
    pub release: String,
    /// Deployment environment.
    #[serde(default)]
    pub environment: String,
    /// Number of segments uploaded.
    #[serde(default)]
    pub segment_count: u32,
    /// Event ids of the JS errors, in order.
    #[serde(default)]
    pub error_ids: Vec<String>,
    /// Distinct trace ids of the recorded requests.
    #[serde(default)]
    pub trace_ids: Vec<String>,
    /// Length in ms.
    #[serde(default)]
    pub duration_ms: u64,
    /// Start in ms since the Unix epoch.
    #[serde(default)]
    pub started_at_ms: u64,
}

impl ReplaySummary {
    /// The first recorded URL, or an empty string.
    pub fn first_url(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }
}

/// The error body the API answers with on failure: `{"error": …}`, or Sentry's
/// `{"detail": …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ApiError {
    /// What went wrong.
    #[serde(deserialize_with = "crate::loose::opt_string")]
    pub error: Option<String>,
    /// What went wrong (Sentry's name).
    #[serde(deserialize_with = "crate::loose::opt_string")]
    pub detail: Option<String>,
}

impl ApiError {
    /// The message, whichever field carried it.
    pub fn into_message(self) -> Option<String> {
        self.detail.or(self.error)
    }
}

/// `GET` path of the replay list.
pub const REPLAYS_PATH: &str = "/api/0/replays/";

/// `GET` path of one replay's summary.
pub fn replay_path(id: &str) -> String {
    format!("/api/0/replays/{}/", encode_segment_path(id))
}

/// `GET` path of one segment's bytes.
pub fn segment_path(id: &str, index: u32) -> String {
    format!(
        "/api/0/replays/{}/segments/{index}",
        encode_segment_path(id)
    )
}

/// Percent-encodes everything but unreserved characters, so that an id from the address bar
/// cannot reach another path.
pub(crate) fn encode_segment_path(value: &str) -> String {
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

/// Formats ms as `m:ss` (or `h:mm:ss` from an hour on).
pub fn format_clock(ms: u64) -> String {
    let seconds = ms / 1_000;
    let (h, m, s) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Formats an RFC 3339 timestamp for a table: `2026-11-26 06:08:56 UTC`.
pub fn format_started(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((date, time)) => {
            let time = time.trim_end_matches('Z');
            let time = time.split('.').next().unwrap_or(time);
            format!("{date} {time} UTC")
        }
        None => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_their_message() -> Result<(), serde_json::Error> {
        let sentry: ApiError = serde_json::from_str(r#"{"detail": "unknown key 'bogus'"}"#)?;
        assert_eq!(
            sentry.into_message().as_deref(),
            Some("unknown key 'bogus'")
        );
        let ours: ApiError = serde_json::from_str(r#"{"error": "not found"}"#)?;
        assert_eq!(ours.into_message().as_deref(), Some("not found"));
        let neither: ApiError = serde_json::from_str("{}")?;
        assert_eq!(neither.into_message(), None);
        Ok(())
    }

    #[test]
    fn parses_the_list_contract() -> Result<(), serde_json::Error> {
        let body = r#"[{"id":"0123456789abcdef0123456789abcdef","project":"1",
            "started_at":"2026-11-26T06:08:56.123Z","finished_at":"2026-11-26T06:09:56.123Z",
            "urls":["http://127.0.0.1:8080/demo/"],"release":"shop@1.0.0","environment":"production",
            "segment_count":3,"error_ids":["aa"],"trace_ids":[],"duration_ms":60000,
            "started_at_ms":1795500536123}]"#;
        let replays: Vec<ReplaySummary> = serde_json::from_str(body)?;
        assert_eq!(replays[0].segment_count, 3);
        assert_eq!(replays[0].first_url(), "http://127.0.0.1:8080/demo/");
        assert_eq!(replays[0].duration_ms, 60_000);
        Ok(())
    }

    #[test]
    fn paths_cannot_escape_the_replay() {
        assert_eq!(replay_path("abc"), "/api/0/replays/abc/");
        assert_eq!(segment_path("abc", 2), "/api/0/replays/abc/segments/2");
        assert_eq!(replay_path("../x?y"), "/api/0/replays/..%2Fx%3Fy/");
    }

    #[test]
    fn clock_and_dates() {
        assert_eq!(format_clock(0), "0:00");
        assert_eq!(format_clock(65_999), "1:05");
        assert_eq!(format_clock(3_600_000 + 61_000), "1:01:01");
        assert_eq!(
            format_started("2026-11-26T06:08:56.123Z"),
            "2026-11-26 06:08:56 UTC"
        );
    }
}
