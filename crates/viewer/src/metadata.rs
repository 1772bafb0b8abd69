//! The metadata panel's rows: who recorded the session (browser, system, viewport), where
//! (URLs), on what (release, environment) and when (start, duration).

use crate::api::{ReplaySummary, format_clock, format_started};
use crate::timeline::PageMeta;
use crate::user_agent::parse_user_agent;

/// One row of the metadata panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRow {
    /// What the row says, such as `Browser`; also written in `data-sl-meta`, lowercased.
    pub label: &'static str,
    /// The values (several for the URLs).
    pub values: Vec<String>,
}

/// The rows for a replay: from the server's summary (when loaded) and the recording's first
/// `Meta` event (when loaded). Unknown values are left out.
pub fn metadata_rows(
    replay_id: &str,
    summary: Option<&ReplaySummary>,
    meta: Option<&PageMeta>,
    duration_ms: u64,
) -> Vec<MetadataRow> {
    let mut rows = Vec::new();
    let mut push = |label: &'static str, values: Vec<String>| {
        let values: Vec<String> = values
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .collect();
        if !values.is_empty() {
            rows.push(MetadataRow { label, values });
        }
    };
    if let Some(meta) = meta.filter(|m| !m.user_agent.is_empty()) {
        let info = parse_user_agent(&meta.user_agent);
        push("Browser", vec![info.browser()]);
        push("OS", info.os.into_iter().collect());
    }
    if let Some(meta) = meta {
        push(
            "Viewport",
            vec![format!("{} × {}", meta.width, meta.height)],
        );
    }
    let urls = match summary {
        Some(summary) if !summary.urls.is_empty() => summary.urls.clone(),
        _ => meta.map(|m| vec![m.href.clone()]).unwrap_or_default(),
    };
    push(if urls.len() > 1 { "URLs" } else { "URL" }, urls);
    if let Some(summary) = summary {
        push("Release", vec![summary.release.clone()]);
        push("Environment", vec![summary.environment.clone()]);
    }
    push("Replay", vec![replay_id.to_owned()]);
    if let Some(summary) = summary {
        push("Started", vec![format_started(&summary.started_at)]);
    }
    let duration = summary.map_or(0, |s| s.duration_ms).max(duration_ms);
    if duration > 0 {
        push("Duration", vec![format_clock(duration)]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> ReplaySummary {
        ReplaySummary {
            id: "r1".into(),
            project: "1".into(),
            started_at: "2026-11-26T06:08:56.123Z".into(),
            finished_at: String::new(),
            urls: vec![
                "https://shop.example/".into(),
                "https://shop.example/cart".into(),
            ],
            release: "shop@1.4.2".into(),
            environment: "production".into(),
            segment_count: 2,
            error_ids: vec![],
            trace_ids: vec![],
            duration_ms: 65_000,
            started_at_ms: 0,
        }
    }

    fn meta() -> PageMeta {
        PageMeta {
            href: "https://shop.example/".into(),
            width: 1280,
            height: 720,
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
                .into(),
        }
    }

    fn find<'a>(rows: &'a [MetadataRow], label: &str) -> Option<&'a [String]> {
        rows.iter()
            .find(|r| r.label == label)
            .map(|r| r.values.as_slice())
    }

    #[test]
    fn every_fact_an_engineer_asks_for() {
        let rows = metadata_rows("r1", Some(&summary()), Some(&meta()), 60_000);
        let labels: Vec<&str> = rows.iter().map(|r| r.label).collect();
        assert_eq!(
            labels,
            vec![
                "Browser",
                "OS",
                "Viewport",
                "URLs",
                "Release",
                "Environment",
                "Replay",
                "Started",
                "Duration"
            ]
        );
        assert_eq!(find(&rows, "Browser"), Some(&["Chrome 120".to_owned()][..]));
        assert_eq!(find(&rows, "OS"), Some(&["macOS".to_owned()][..]));
        assert_eq!(
            find(&rows, "Viewport"),
            Some(&["1280 × 720".to_owned()][..])
        );
        assert_eq!(find(&rows, "URLs").map(<[String]>::len), Some(2));
        assert_eq!(
            find(&rows, "Started"),
            Some(&["2026-11-26 06:08:56 UTC".to_owned()][..])
        );
        assert_eq!(find(&rows, "Duration"), Some(&["1:05".to_owned()][..]));
    }

    #[test]
    fn before_anything_loaded_only_what_is_known() {
        let rows = metadata_rows("r1", None, None, 0);
        assert_eq!(
            rows,
            vec![MetadataRow {
                label: "Replay",
                values: vec!["r1".into()]
            }]
        );
        // The recording alone gives the page and the browser.
        let rows = metadata_rows("r1", None, Some(&meta()), 3_000);
        assert_eq!(
            find(&rows, "URL"),
            Some(&["https://shop.example/".to_owned()][..])
        );
        assert_eq!(find(&rows, "Duration"), Some(&["0:03".to_owned()][..]));
        assert_eq!(find(&rows, "Release"), None);
    }
}
