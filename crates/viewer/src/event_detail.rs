//! One event in full as the issue page shows it (`GET /api/0/events/{id}/`): its stack trace
//! with source context and local variables, breadcrumbs, the HTTP request, the user, and the
//! neighbouring events of its issue. Free-form parts are [`Loose`] values, turned into rows here.

use serde::Deserialize;

use crate::backend::{BackendFrame, BackendStacktrace, Exceptions, Tag};
use crate::format::format_epoch_ms;
use crate::loose::{self, Loose};

/// Most breadcrumbs shown (the newest).
pub const MAX_BREADCRUMBS: usize = 100;

/// An event with everything the issue page shows of it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EventDetail {
    /// Event id (32 hex).
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    /// Its issue.
    #[serde(deserialize_with = "loose::opt_string")]
    pub issue_id: Option<String>,
    /// Headline.
    pub title: String,
    /// `fatal`, `error`, …
    #[serde(deserialize_with = "loose::string")]
    pub level: String,
    /// The release of the sending service.
    #[serde(deserialize_with = "loose::opt_string")]
    pub release: Option<String>,
    /// Deployment environment.
    #[serde(deserialize_with = "loose::string")]
    pub environment: String,
    /// When, RFC 3339.
    #[serde(deserialize_with = "loose::string")]
    pub timestamp: String,
    /// The route or task being handled.
    #[serde(deserialize_with = "loose::opt_string")]
    pub transaction: Option<String>,
    /// The host that sent it.
    #[serde(deserialize_with = "loose::opt_string")]
    pub server_name: Option<String>,
    /// The linked replay.
    #[serde(deserialize_with = "loose::opt_string")]
    pub replay_id: Option<String>,
    /// ms from the replay's start where the event belongs.
    #[serde(deserialize_with = "loose::opt_number")]
    pub replay_offset_ms: Option<f64>,
    /// Trace id.
    #[serde(deserialize_with = "loose::opt_string")]
    pub trace_id: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// The exception chain, main exception last.
    pub exception: Option<Exceptions>,
    /// A message event's stack trace.
    pub stacktrace: Option<BackendStacktrace>,
    /// The HTTP request the backend was handling.
    pub request: Loose,
    /// The user.
    pub user: Loose,
    /// Breadcrumbs, oldest first.
    pub breadcrumbs: Loose,
    /// The previous event of the same issue.
    #[serde(deserialize_with = "loose::opt_string")]
    pub previous_event_id: Option<String>,
    /// The next event of the same issue.
    #[serde(deserialize_with = "loose::opt_string")]
    pub next_event_id: Option<String>,
}

/// One breadcrumb as a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreadcrumbRow {
    /// When, as `HH:MM:SS` UTC (or as sent).
    pub time: String,
    /// Its category (or type).
    pub category: String,
    /// Its level.
    pub level: String,
    /// Its message, else its data as text.
    pub message: String,
}

/// One source line around a frame's current line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    /// 1-based line number, when the frame's line is known.
    pub number: Option<u64>,
    /// The text.
    pub text: String,
    /// The frame's own line.
    pub current: bool,
}

impl EventDetail {
    /// The main exception's frames (else the message's stack trace), outermost first as sent.
    pub fn frames(&self) -> &[BackendFrame] {
        self.exception
            .as_ref()
            .and_then(|e| e.values.iter().rev().find_map(|v| v.stacktrace.as_ref()))
            .or(self.stacktrace.as_ref())
            .map_or(&[], |s| s.frames.as_slice())
    }

    /// The breadcrumbs (Sentry's list, or `{"values": [...]}`), the newest
    /// [`MAX_BREADCRUMBS`].
    pub fn breadcrumb_rows(&self) -> Vec<BreadcrumbRow> {
        let list = match &self.breadcrumbs {
            Loose::List(items) => items.as_slice(),
            Loose::Map(_) => match self.breadcrumbs.get("values") {
                Some(Loose::List(items)) => items.as_slice(),
                _ => &[],
            },
            _ => &[],
        };
        list[list.len().saturating_sub(MAX_BREADCRUMBS)..]
            .iter()
            .map(|crumb| BreadcrumbRow {
                time: crumb
                    .get("timestamp")
                    .map(breadcrumb_time)
                    .unwrap_or_default(),
                category: crumb
                    .text("category")
                    .or_else(|| crumb.text("type"))
                    .unwrap_or_default(),
                level: crumb.text("level").unwrap_or_else(|| "info".to_owned()),
                message: crumb
                    .text("message")
                    .or_else(|| {
                        crumb
                            .get("data")
                            .filter(|d| !d.is_empty())
                            .map(Loose::to_string)
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The request as rows: method and URL, query, then headers and body.
    pub fn request_rows(&self) -> Vec<(String, String)> {
        let request = &self.request;
        let mut rows = Vec::new();
        let line = [request.text("method"), request.text("url")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !line.is_empty() {
            rows.push(("URL".to_owned(), line));
        }
        if let Some(query) = request.text("query_string") {
            rows.push(("Query".to_owned(), query));
        }
        match request.get("headers") {
            Some(Loose::List(pairs)) => {
                for pair in pairs {
                    if let Loose::List(kv) = pair
                        && let [name, value] = kv.as_slice()
                    {
                        rows.push((name.to_string(), value.to_string()));
                    }
                }
            }
            Some(map @ Loose::Map(_)) => rows.extend(map.entries()),
            _ => {}
        }
        if let Some(data) = request.get("data").filter(|d| !d.is_empty()) {
            rows.push(("Body".to_owned(), data.to_string()));
        }
        rows
    }

    /// The user as rows (`id`, `email`, `username`, `ip_address`, …).
    pub fn user_rows(&self) -> Vec<(String, String)> {
        self.user.entries()
    }

    /// The player's address at this event, when a replay recorded it.
    pub fn replay_link(&self) -> Option<String> {
        let replay = self.replay_id.as_deref().filter(|r| !r.is_empty())?;
        let base = format!("/replays/{}", crate::api::encode_segment_path(replay));
        Some(match self.replay_offset_ms {
            Some(offset) if offset >= 0.0 => format!("{base}?t={}", offset as u64),
            _ => base,
        })
    }
}

/// A breadcrumb's time: seconds since the epoch (Sentry's float) or an RFC 3339 string, as
/// `HH:MM:SS`.
fn breadcrumb_time(value: &Loose) -> String {
    match value {
        Loose::Number(seconds) if *seconds > 0.0 => {
            let full = format_epoch_ms((*seconds * 1_000.0) as u64);
            full.split(' ').nth(1).unwrap_or_default().to_owned()
        }
        Loose::Text(text) => match text.split_once('T') {
            Some((_, time)) => time.chars().take(8).collect(),
            None => text.clone(),
        },
        _ => String::new(),
    }
}

/// The source lines around a frame: before, the frame's line, after, numbered when the line
/// is known.
pub fn source_lines(frame: &BackendFrame) -> Vec<SourceLine> {
    let Some(current) = frame.context_line.as_ref() else {
        return Vec::new();
    };
    let before = frame.pre_context.len() as u64;
    let first = frame.lineno.map(|line| line.saturating_sub(before));
    let numbered = |offset: u64| first.map(|first| first + offset);
    frame
        .pre_context
        .iter()
        .map(|text| (text, false))
        .chain(std::iter::once((current, true)))
        .chain(frame.post_context.iter().map(|text| (text, false)))
        .enumerate()
        .map(|(offset, (text, current))| SourceLine {
            number: numbered(offset as u64),
            text: text.trim_end().to_owned(),
            current,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{
        "id": "ee01", "issue_id": "12", "title": "ZeroDivisionError: division by zero",
        "level": "error", "release": "shop@1.4.2", "environment": "production",
        "timestamp": "2026-11-26T06:08:56.123Z", "replay_id": "0123", "replay_offset_ms": 6000,
        "previous_event_id": "ee00", "next_event_id": null,
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero",
            "stacktrace": {"frames": [
                {"filename": "flask/app.py", "function": "dispatch", "lineno": 10, "in_app": false},
                {"filename": "shop/checkout.py", "function": "total", "lineno": 42, "in_app": true,
                 "pre_context": ["def total(amount, count):", "    # per item"],
                 "context_line": "    return amount / count", "post_context": [""],
                 "vars": {"amount": 10, "count": 0, "cart": {"items": []}}}
            ]}}]},
        "request": {"method": "POST", "url": "http://shop/api/checkout", "query_string": "a=1",
            "headers": [["Content-Type", "application/json"]], "data": {"sku": "x"}},
        "user": {"id": "u1", "email": "ada@example.com", "ip_address": null},
        "breadcrumbs": [
            {"timestamp": 1795500536.5, "category": "http", "level": "info",
             "data": {"url": "/api/cart", "status_code": 200}},
            {"timestamp": "2026-11-26T06:08:57.000Z", "type": "error", "message": "boom"}
        ],
        "contexts": {}, "tags": [{"key": "service", "value": "checkout-api"}]
    }"#;

    #[test]
    fn an_event_gives_its_stack_with_source_and_variables() -> Result<(), serde_json::Error> {
        let event: EventDetail = serde_json::from_str(EVENT)?;
        let frames = event.frames();
        assert_eq!(frames.len(), 2);
        let lines = source_lines(&frames[1]);
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.number, l.current))
                .collect::<Vec<_>>(),
            vec![
                (Some(40), false),
                (Some(41), false),
                (Some(42), true),
                (Some(43), false)
            ]
        );
        assert_eq!(lines[2].text, "    return amount / count");
        assert_eq!(
            frames[1].vars,
            vec![
                ("amount".to_owned(), "10".to_owned()),
                ("count".to_owned(), "0".to_owned()),
                ("cart".to_owned(), "{items: []}".to_owned()),
            ]
        );
        assert!(source_lines(&frames[0]).is_empty());
        assert_eq!(event.previous_event_id.as_deref(), Some("ee00"));
        assert_eq!(event.next_event_id, None);
        assert_eq!(event.replay_link().as_deref(), Some("/replays/0123?t=6000"));
        Ok(())
    }

    #[test]
    fn breadcrumbs_request_and_user_become_rows() -> Result<(), serde_json::Error> {
        let event: EventDetail = serde_json::from_str(EVENT)?;
        let crumbs = event.breadcrumb_rows();
        assert_eq!(crumbs[0].time, "06:08:56");
        assert_eq!(crumbs[0].category, "http");
        assert_eq!(crumbs[0].message, r#"{url: "/api/cart", status_code: 200}"#);
        assert_eq!(crumbs[1].time, "06:08:57");
        assert_eq!(crumbs[1].category, "error");
        assert_eq!(crumbs[1].level, "info");
        assert_eq!(
            event.request_rows(),
            vec![
                ("URL".to_owned(), "POST http://shop/api/checkout".to_owned()),
                ("Query".to_owned(), "a=1".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Body".to_owned(), r#"{sku: "x"}"#.to_owned()),
            ]
        );
        assert_eq!(
            event.user_rows(),
            vec![
                ("id".to_owned(), "u1".to_owned()),
                ("email".to_owned(), "ada@example.com".to_owned()),
            ]
        );
        Ok(())
    }

    #[test]
    fn a_bare_event_has_no_rows() -> Result<(), serde_json::Error> {
        let event: EventDetail =
            serde_json::from_str(r#"{"id": "e", "breadcrumbs": {"values": []}}"#)?;
        assert!(event.frames().is_empty());
        assert!(event.breadcrumb_rows().is_empty());
        assert!(event.request_rows().is_empty());
        assert!(event.user_rows().is_empty());
        assert_eq!(event.replay_link(), None);
        Ok(())
    }
}
