//! Releases and alerts as the API returns them (`GET /api/0/projects/{project}/releases/`,
//! `…/releases/{version}/`, `…/alerts/`). The viewer shows the default project's.

use serde::Deserialize;

use crate::api::encode_segment_path;
use crate::loose;

/// The project the viewer's release and alert pages show.
pub const PROJECT: &str = "1";

/// One release of the project.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Release {
    /// The version, such as `shop@1.4.2`.
    #[serde(deserialize_with = "loose::string")]
    pub version: String,
    /// When it was created, RFC 3339.
    #[serde(deserialize_with = "loose::string")]
    pub created_at: String,
    /// Commits attached to it.
    #[serde(deserialize_with = "loose::count")]
    pub commit_count: u64,
    /// Its newest commit.
    pub last_commit: Option<Commit>,
    /// Where it was deployed.
    pub deploys: Vec<Deploy>,
    /// The latest deploy.
    pub last_deploy: Option<Deploy>,
    /// Issues first seen in it.
    #[serde(deserialize_with = "loose::count")]
    pub new_issue_count: u64,
    /// Issues that regressed in it.
    #[serde(deserialize_with = "loose::count")]
    pub regression_count: u64,
    /// Error events from it.
    #[serde(deserialize_with = "loose::count")]
    pub event_count: u64,
    /// Recorded sessions (replays) of it.
    #[serde(deserialize_with = "loose::count")]
    pub session_count: u64,
    /// Sessions without an error.
    #[serde(deserialize_with = "loose::count")]
    pub crash_free_session_count: u64,
    /// Share (0..=1) of sessions without an error; `None` without sessions.
    #[serde(deserialize_with = "loose::opt_number")]
    pub crash_free_sessions: Option<f64>,
    /// Its first event, RFC 3339.
    #[serde(deserialize_with = "loose::opt_string")]
    pub first_event: Option<String>,
    /// Its latest event, RFC 3339.
    #[serde(deserialize_with = "loose::opt_string")]
    pub last_event: Option<String>,
}

/// The extra fields of one release's page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ReleaseExtras {
    /// Issues first seen in it.
    pub new_issues: Vec<IssueLite>,
    /// Issues that regressed in it.
    pub regressed_issues: Vec<IssueLite>,
    /// Its commits, newest first.
    pub commits: Vec<Commit>,
}

/// An issue as a release lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct IssueLite {
    /// Issue id.
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    /// Headline.
    pub title: String,
    /// Where it happened.
    #[serde(deserialize_with = "loose::opt_string")]
    pub culprit: Option<String>,
    /// Events.
    #[serde(deserialize_with = "loose::count")]
    pub count: u64,
    /// Its status.
    #[serde(deserialize_with = "loose::string")]
    pub status: String,
}

/// A commit of a release.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Commit {
    /// Commit id.
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    /// The repository.
    #[serde(deserialize_with = "loose::opt_string")]
    pub repository: Option<String>,
    /// Author's name.
    #[serde(deserialize_with = "loose::string")]
    pub author_name: String,
    /// Author's email.
    #[serde(deserialize_with = "loose::string")]
    pub author_email: String,
    /// Message.
    #[serde(deserialize_with = "loose::string")]
    pub message: String,
    /// When, RFC 3339 (or ms).
    #[serde(deserialize_with = "loose::string")]
    pub timestamp: String,
}

/// A deploy of a release.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Deploy {
    /// Where: `production`, `staging`, …
    #[serde(deserialize_with = "loose::string")]
    pub environment: String,
    /// Its name, if given.
    #[serde(deserialize_with = "loose::opt_string")]
    pub name: Option<String>,
    /// When it started.
    #[serde(deserialize_with = "loose::opt_string")]
    pub date_started: Option<String>,
    /// When it finished.
    #[serde(deserialize_with = "loose::opt_string")]
    pub date_finished: Option<String>,
}

impl Deploy {
    /// `production at 2026-11-26 06:00:00 UTC` (as much as is known).
    pub fn label(&self) -> String {
        let when = self.date_finished.as_ref().or(self.date_started.as_ref());
        let mut label = self.environment.clone();
        if let Some(name) = &self.name {
            label.push_str(&format!(" ({name})"));
        }
        if let Some(when) = when {
            label.push_str(" at ");
            label.push_str(&crate::api::format_started(when));
        }
        label
    }
}

/// A fired alert.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Alert {
    /// Alert id.
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    /// The rule's name.
    #[serde(deserialize_with = "loose::string")]
    pub rule_name: String,
    /// The issue it is about.
    #[serde(deserialize_with = "loose::opt_string")]
    pub issue_id: Option<String>,
    /// That issue's title.
    #[serde(deserialize_with = "loose::string")]
    pub issue_title: String,
    /// When it fired, RFC 3339.
    #[serde(deserialize_with = "loose::string")]
    pub fired_at: String,
    /// `pending`, `delivered` or `failed`.
    #[serde(deserialize_with = "loose::string")]
    pub status: String,
    /// Delivery attempts so far.
    #[serde(deserialize_with = "loose::count")]
    pub attempts: u64,
    /// Why the last attempt failed.
    #[serde(deserialize_with = "loose::opt_string")]
    pub last_error: Option<String>,
    /// The webhook's body (its `rule.condition` says what fired).
    pub payload: loose::Loose,
}

impl Alert {
    /// What made the rule fire: `new_issue`, `regression` or `spike`.
    pub fn condition(&self) -> Option<String> {
        self.payload
            .get("rule")
            .and_then(|rule| rule.text("condition"))
    }
}

impl Release {
    /// `75.0% (3 of 4)`, or `no sessions`.
    pub fn crash_free_label(&self) -> String {
        match self.crash_free_sessions {
            Some(_) => format!(
                "{} ({} of {})",
                crate::format::format_share(self.crash_free_sessions),
                self.crash_free_session_count,
                self.session_count
            ),
            None => "no sessions".to_owned(),
        }
    }
}

/// `GET` path of the project's releases.
pub fn releases_path() -> String {
    format!("/api/0/projects/{PROJECT}/releases/")
}

/// `GET` path of one release.
pub fn release_path(version: &str) -> String {
    format!(
        "/api/0/projects/{PROJECT}/releases/{}/",
        encode_segment_path(version)
    )
}

/// The viewer page of a release.
pub fn release_page_path(version: &str) -> String {
    format!("/releases/{}", encode_segment_path(version))
}

/// `GET` path of the project's fired alerts.
pub fn alerts_path() -> String {
    format!("/api/0/projects/{PROJECT}/alerts/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_release_contract() -> Result<(), serde_json::Error> {
        let body = r#"{"version": "shop@1.4.2", "project": "1", "created_at": "2026-11-26T06:00:00Z",
            "commit_count": 2, "last_commit": {"id": "abc", "author_name": "Ada",
                "author_email": "a@x", "message": "Fix", "timestamp": "2026-11-25T10:00:00Z"},
            "deploys": [{"environment": "production", "name": null,
                "date_started": null, "date_finished": "2026-11-26T06:05:00Z"}],
            "last_deploy": null, "new_issue_count": 1, "regression_count": 0, "event_count": 57,
            "session_count": 4, "crash_free_session_count": 3, "crash_free_sessions": 0.75, "first_event": null, "last_event": null,
            "new_issues": [{"id": "12", "title": "ZeroDivisionError", "count": 57, "status": "unresolved"}],
            "regressed_issues": [], "commits": []}"#;
        let release: Release = serde_json::from_str(body)?;
        let extras: ReleaseExtras = serde_json::from_str(body)?;
        assert_eq!(release.crash_free_label(), "75.0% (3 of 4)");
        assert_eq!(
            release.deploys[0].label(),
            "production at 2026-11-26 06:05:00 UTC"
        );
        assert_eq!(extras.new_issues[0].id, "12");
        let bare: Release =
            serde_json::from_str(r#"{"version": "v1", "crash_free_sessions": null}"#)?;
        assert_eq!(bare.crash_free_label(), "no sessions");
        Ok(())
    }

    #[test]
    fn parses_an_alert() -> Result<(), serde_json::Error> {
        let alert: Alert = serde_json::from_str(
            r#"{"id": 3, "rule_id": "1", "rule_name": "Checkout spike", "issue_id": 12,
                "issue_title": "ZeroDivisionError", "fired_at": "2026-11-26T06:10:00Z",
                "status": "failed", "attempts": 5, "last_error": "HTTP 502",
                "payload": {"rule": {"id": "1", "name": "Checkout spike", "condition": "spike"}}}"#,
        )?;
        assert_eq!(alert.id, "3");
        assert_eq!(alert.issue_id.as_deref(), Some("12"));
        assert_eq!(alert.attempts, 5);
        assert_eq!(alert.condition().as_deref(), Some("spike"));
        Ok(())
    }

    #[test]
    fn paths_cannot_escape() {
        assert_eq!(
            release_path("shop@1.4.2"),
            "/api/0/projects/1/releases/shop%401.4.2/"
        );
        assert_eq!(release_page_path("a/b"), "/releases/a%2Fb");
        assert_eq!(alerts_path(), "/api/0/projects/1/alerts/");
    }
}
