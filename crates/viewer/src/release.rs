//! Releases and alerts as the API returns them (`GET /api/0/projects/{project}/releases/`,
//! `…/releases/{version}/`, `…/alerts/`). The viewer shows the default project's.

use crate::api::encode_segment_path;
use crate::loose::{FromLoose, Loose};

/// The project the viewer's release and alert pages show.
pub const PROJECT: &str = "1";

/// One release of the project.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Release {
    /// The version, such as `shop@1.4.2`.
    pub version: String,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// Commits attached to it.
    pub commit_count: u64,
    /// Its newest commit.
    pub last_commit: Option<Commit>,
    /// Where it was deployed.
    pub deploys: Vec<Deploy>,
    /// The latest deploy.
    pub last_deploy: Option<Deploy>,
    /// Issues first seen in it.
    pub new_issue_count: u64,
    /// Issues that regressed in it.
    pub regression_count: u64,
    /// Error events from it.
    pub event_count: u64,
    /// Recorded sessions (replays) of it.
    pub session_count: u64,
    /// Sessions without an error.
    pub crash_free_session_count: u64,
    /// Share (0..=1) of sessions without an error; `None` without sessions.
    pub crash_free_sessions: Option<f64>,
    /// Its first event, RFC 3339.
    pub first_event: Option<String>,
    /// Its latest event, RFC 3339.
    pub last_event: Option<String>,
}

/// The extra fields of one release's page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseExtras {
    /// Issues first seen in it.
    pub new_issues: Vec<IssueLite>,
    /// Issues that regressed in it.
    pub regressed_issues: Vec<IssueLite>,
    /// Its commits, newest first.
    pub commits: Vec<Commit>,
}

/// An issue as a release lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueLite {
    /// Issue id.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Where it happened.
    pub culprit: Option<String>,
    /// Events.
    pub count: u64,
    /// Its status.
    pub status: String,
}

/// A commit of a release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    /// Commit id.
    pub id: String,
    /// The repository.
    pub repository: Option<String>,
    /// Author's name.
    pub author_name: String,
    /// Author's email.
    pub author_email: String,
    /// Message.
    pub message: String,
    /// When, RFC 3339 (or ms).
    pub timestamp: String,
}

/// A deploy of a release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deploy {
    /// Where: `production`, `staging`, …
    pub environment: String,
    /// Its name, if given.
    pub name: Option<String>,
    /// When it started.
    pub date_started: Option<String>,
    /// When it finished.
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alert {
    /// Alert id.
    pub id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The issue it is about.
    pub issue_id: Option<String>,
    /// That issue's title.
    pub issue_title: String,
    /// When it fired, RFC 3339.
    pub fired_at: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The webhook's body (its `rule.condition` says what fired).
    pub payload: Loose,
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

impl FromLoose for Release {
    fn from_loose(v: &Loose) -> Self {
        Self {
            version: v.string("version"),
            created_at: v.string("created_at"),
            commit_count: v.count("commit_count"),
            last_commit: v
                .get("last_commit")
                .filter(|c| !c.is_empty())
                .map(Commit::from_loose),
            deploys: v.get("deploys").map(Loose::map_items).unwrap_or_default(),
            last_deploy: v
                .get("last_deploy")
                .filter(|d| !d.is_empty())
                .map(Deploy::from_loose),
            new_issue_count: v.count("new_issue_count"),
            regression_count: v.count("regression_count"),
            event_count: v.count("event_count"),
            session_count: v.count("session_count"),
            crash_free_session_count: v.count("crash_free_session_count"),
            crash_free_sessions: v.number("crash_free_sessions"),
            first_event: v.text("first_event"),
            last_event: v.text("last_event"),
        }
    }
}

impl FromLoose for ReleaseExtras {
    fn from_loose(v: &Loose) -> Self {
        Self {
            new_issues: v
                .get("new_issues")
                .map(Loose::map_items)
                .unwrap_or_default(),
            regressed_issues: v
                .get("regressed_issues")
                .map(Loose::map_items)
                .unwrap_or_default(),
            commits: v.get("commits").map(Loose::map_items).unwrap_or_default(),
        }
    }
}

impl FromLoose for IssueLite {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: v.string("id"),
            title: v.string("title"),
            culprit: v.text("culprit"),
            count: v.count("count"),
            status: v.string("status"),
        }
    }
}

impl FromLoose for Commit {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: v.string("id"),
            repository: v.text("repository"),
            author_name: v.string("author_name"),
            author_email: v.string("author_email"),
            message: v.string("message"),
            timestamp: v.string("timestamp"),
        }
    }
}

impl FromLoose for Deploy {
    fn from_loose(v: &Loose) -> Self {
        Self {
            environment: v.string("environment"),
            name: v.text("name"),
            date_started: v.text("date_started"),
            date_finished: v.text("date_finished"),
        }
    }
}

impl FromLoose for Alert {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: v.string("id"),
            rule_name: v.string("rule_name"),
            issue_id: v.text("issue_id"),
            issue_title: v.string("issue_title"),
            fired_at: v.string("fired_at"),
            status: v.string("status"),
            attempts: v.count("attempts"),
            last_error: v.text("last_error"),
            payload: v.get("payload").cloned().unwrap_or_default(),
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
        let value: Loose = serde_json::from_str(body)?;
        let release = Release::from_loose(&value);
        let extras = ReleaseExtras::from_loose(&value);
        assert_eq!(release.crash_free_label(), "75.0% (3 of 4)");
        assert_eq!(
            release.deploys[0].label(),
            "production at 2026-11-26 06:05:00 UTC"
        );
        assert_eq!(extras.new_issues[0].id, "12");
        let bare = Release::from_loose(&serde_json::from_str(
            r#"{"version": "v1", "crash_free_sessions": null, "last_commit": null}"#,
        )?);
        assert_eq!(bare.last_commit, None);
        assert_eq!(bare.crash_free_label(), "no sessions");
        Ok(())
    }

    #[test]
    fn parses_an_alert() -> Result<(), serde_json::Error> {
        let alert = Alert::from_loose(&serde_json::from_str(
            r#"{"id": 3, "rule_id": "1", "rule_name": "Checkout spike", "issue_id": 12,
                "issue_title": "ZeroDivisionError", "fired_at": "2026-11-26T06:10:00Z",
                "status": "failed", "attempts": 5, "last_error": "HTTP 502",
                "payload": {"rule": {"id": "1", "name": "Checkout spike", "condition": "spike"}}}"#,
        )?);
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
