//! Issues as the API returns them (`GET /api/0/issues/`, `GET /api/0/issues/{id}/`), the
//! changes the issue page sends (`PUT /api/0/issues/{id}/`) and what the page derives from them.
//! Every field but the id may be missing: a page shows what it gets.

use crate::api::encode_segment_path;
use crate::event_detail::EventDetail;
use crate::loose::{FromLoose, Loose};

/// One issue: a group of events with the same fingerprint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Issue {
    /// The issue id (digits, as a string).
    pub id: String,
    /// Headline: `Type: value` or the message.
    pub title: String,
    /// Where it happened: `module in function` of the top in-app frame.
    pub culprit: Option<String>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    /// `unresolved`, `resolved`, `resolved_in_next_release` or `ignored`.
    pub status: String,
    /// It came back after being resolved.
    pub regressed: bool,
    /// For `resolved_in_next_release`: the release it was resolved in; an event from a later
    /// release reopens it.
    pub resolved_in_release: Option<String>,
    /// First event, RFC 3339.
    pub first_seen: String,
    /// Latest event, RFC 3339.
    pub last_seen: String,
    /// First event, ms since the epoch.
    pub first_seen_ms: u64,
    /// Latest event, ms since the epoch.
    pub last_seen_ms: u64,
    /// The release of the first event.
    pub first_release: Option<String>,
    /// The release of the latest event.
    pub last_release: Option<String>,
    /// Events.
    pub count: u64,
    /// Distinct affected users.
    pub user_count: u64,
    /// Events in the last hour.
    pub events_1h: u64,
    /// Events per hour over the last day, oldest first.
    pub counts_24h: Vec<u64>,
    /// Environments it happened in.
    pub environments: Vec<String>,
    /// The owner the ownership rules gave it (`#team`, `@user`, `user@x`).
    pub owner: Option<String>,
    /// The rule that matched, as written.
    pub owner_rule: Option<String>,
    /// Who it is assigned to.
    pub assigned_to: Option<String>,
    /// The commits most likely to have caused it, best first.
    pub suspect_commits: Vec<SuspectCommit>,
    /// Replays that recorded it.
    pub replay_count: u64,
}

impl Issue {
    /// The viewer page of this issue.
    pub fn page_path(&self) -> String {
        issue_page_path(&self.id)
    }

    /// What the status badge says.
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }

    /// The status badge's tooltip: for an issue resolved in the next release, which release
    /// reopens it.
    pub fn status_detail(&self) -> Option<String> {
        let release = self.resolved_in_release.as_ref()?;
        (self.status == "resolved_in_next_release")
            .then(|| format!("Resolved after {release}: an event from a later release reopens it"))
    }
}

/// A commit suspected of causing an issue: it changed a file of the stack trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuspectCommit {
    /// The commit id.
    pub id: String,
    /// The commit message.
    pub message: String,
    /// Author's name.
    pub author_name: String,
    /// Author's email.
    pub author_email: String,
    /// When it was committed, RFC 3339.
    pub timestamp: String,
    /// The release it shipped in.
    pub release: Option<String>,
    /// The repository.
    pub repository: Option<String>,
    /// The changed file that matched.
    pub path: Option<String>,
    /// The stack frame it matched.
    pub frame: SuspectFrame,
}

/// The frame a suspect commit matched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuspectFrame {
    /// The file as the SDK named it.
    pub filename: Option<String>,
    /// The module.
    pub module: Option<String>,
    /// The function.
    pub function: Option<String>,
    /// The line.
    pub lineno: Option<f64>,
}

impl SuspectFrame {
    /// `function in file:line` (as much as is known).
    pub fn label(&self) -> String {
        let place = self
            .filename
            .as_deref()
            .or(self.module.as_deref())
            .unwrap_or_default();
        let place = match self.lineno {
            Some(line) if !place.is_empty() => format!("{place}:{line}"),
            _ => place.to_owned(),
        };
        match (self.function.as_deref(), place.is_empty()) {
            (Some(function), false) => format!("{function} in {place}"),
            (Some(function), true) => function.to_owned(),
            (None, _) => place,
        }
    }
}

/// The extra fields of `GET /api/0/issues/{id}/` (besides those of [`Issue`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueExtras {
    /// Tag keys with their top values.
    pub tags: Vec<TagSummary>,
    /// Replays that recorded it, newest first.
    pub replay_ids: Vec<String>,
    /// The oldest event.
    pub first_event_id: Option<String>,
    /// The newest event.
    pub latest_event_id: Option<String>,
    /// The newest event in full.
    pub latest_event: Option<EventDetail>,
    /// What happened to the issue, oldest first.
    pub activity: Vec<Activity>,
    /// The trace of the newest event that has one.
    pub latest_trace_id: Option<String>,
}

/// An issue with everything its page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueDetail {
    /// The issue.
    pub issue: Issue,
    /// Tags, replays, events and activity.
    pub extras: IssueExtras,
}

/// A tag key of an issue's events with its most common values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagSummary {
    /// The tag's name.
    pub key: String,
    /// Events with this tag.
    pub total: u64,
    /// Most common values first.
    pub values: Vec<TagValue>,
}

/// One value of a tag and how many events have it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagValue {
    /// The value.
    pub value: String,
    /// Events with it.
    pub count: u64,
}

impl TagSummary {
    /// Each value with its share of the tagged events, in percent (0..=100, rounded).
    pub fn bars(&self) -> Vec<(String, u64, u64)> {
        let total = self
            .total
            .max(self.values.iter().map(|v| v.count).sum::<u64>())
            .max(1);
        self.values
            .iter()
            .map(|v| {
                let percent = (v.count.saturating_mul(100) + total / 2) / total;
                (v.value.clone(), v.count, percent.min(100))
            })
            .collect()
    }
}

/// One entry of an issue's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// `created`, `regressed`, `resolved`, `assigned`, …
    pub kind: String,
    /// The release it happened in.
    pub release: Option<String>,
    /// When, RFC 3339.
    pub at: String,
    /// More about it (an assignee, a status).
    pub detail: Loose,
}

impl Activity {
    /// One line: `regressed in shop@1.4.3 (…)`.
    pub fn sentence(&self) -> String {
        let mut line = self.kind.replace('_', " ");
        if let Some(release) = &self.release {
            line.push_str(" in ");
            line.push_str(release);
        }
        if !self.detail.is_empty() {
            line.push_str(&format!(" ({})", self.detail));
        }
        line
    }
}

impl FromLoose for Issue {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: v.string("id"),
            title: v.string("title"),
            culprit: v.text("culprit"),
            level: v.string("level"),
            status: v.string("status"),
            regressed: v.flag("regressed"),
            resolved_in_release: v.text("resolved_in_release"),
            first_seen: v.string("first_seen"),
            last_seen: v.string("last_seen"),
            first_seen_ms: v.count("first_seen_ms"),
            last_seen_ms: v.count("last_seen_ms"),
            first_release: v.text("first_release"),
            last_release: v.text("last_release"),
            count: v.count("count"),
            user_count: v.count("user_count"),
            events_1h: v.count("events_1h"),
            counts_24h: v.counts("counts_24h"),
            environments: v.strings("environments"),
            owner: v.text("owner"),
            owner_rule: v.text("owner_rule"),
            assigned_to: v.text("assigned_to"),
            suspect_commits: v
                .get("suspect_commits")
                .map(Loose::map_items)
                .unwrap_or_default(),
            replay_count: v.count("replay_count"),
        }
    }
}

impl FromLoose for SuspectCommit {
    fn from_loose(v: &Loose) -> Self {
        Self {
            id: v.string("id"),
            message: v.string("message"),
            author_name: v.string("author_name"),
            author_email: v.string("author_email"),
            timestamp: v.string("timestamp"),
            release: v.text("release"),
            repository: v.text("repository"),
            path: v.text("path"),
            frame: v
                .get("frame")
                .map(SuspectFrame::from_loose)
                .unwrap_or_default(),
        }
    }
}

impl FromLoose for SuspectFrame {
    fn from_loose(v: &Loose) -> Self {
        Self {
            filename: v.text("filename"),
            module: v.text("module"),
            function: v.text("function"),
            lineno: v.number("lineno"),
        }
    }
}

/// The extras of an issue; its `latest_event` is read apart (see [`EventDetail`]).
impl FromLoose for IssueExtras {
    fn from_loose(v: &Loose) -> Self {
        Self {
            tags: v.get("tags").map(Loose::map_items).unwrap_or_default(),
            replay_ids: v.strings("replay_ids"),
            first_event_id: v.text("first_event_id"),
            latest_event_id: v.text("latest_event_id"),
            latest_event: None,
            activity: v.get("activity").map(Loose::map_items).unwrap_or_default(),
            latest_trace_id: v.text("latest_trace_id"),
        }
    }
}

impl FromLoose for TagSummary {
    fn from_loose(v: &Loose) -> Self {
        Self {
            key: v.string("key"),
            total: v.count("total"),
            values: v.get("values").map(Loose::map_items).unwrap_or_default(),
        }
    }
}

impl FromLoose for TagValue {
    fn from_loose(v: &Loose) -> Self {
        Self {
            value: v.string("value"),
            count: v.count("count"),
        }
    }
}

impl FromLoose for Activity {
    fn from_loose(v: &Loose) -> Self {
        Self {
            kind: v.string("kind"),
            release: v.text("release"),
            at: v.string("at"),
            detail: v.get("detail").cloned().unwrap_or_default(),
        }
    }
}

/// What the status badge says for a status.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "resolved" => "Resolved",
        "resolved_in_next_release" => "Resolved in next release",
        "ignored" => "Ignored",
        "unresolved" => "Unresolved",
        _ => "Unknown",
    }
}

/// A change the issue page's buttons make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueAction {
    /// Mark resolved.
    Resolve,
    /// Mark resolved in the release after the current one.
    ResolveInNextRelease,
    /// Mark ignored.
    Ignore,
    /// Reopen.
    Unresolve,
    /// Assign to someone (`None`: nobody).
    Assign(Option<String>),
}

/// Longest assignee accepted from the text field.
pub const MAX_ASSIGNEE_CHARS: usize = 200;

impl IssueAction {
    /// The assignment typed in the field: empty means nobody.
    pub fn assign(typed: &str) -> Self {
        let typed: String = typed.trim().chars().take(MAX_ASSIGNEE_CHARS).collect();
        Self::Assign((!typed.is_empty()).then_some(typed))
    }

    /// Its `data-sl-action` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Resolve => "resolve",
            Self::ResolveInNextRelease => "resolve-next",
            Self::Ignore => "ignore",
            Self::Unresolve => "unresolve",
            Self::Assign(_) => "assign",
        }
    }

    /// The JSON body of `PUT /api/0/issues/{id}/`.
    pub fn body(&self) -> String {
        let status = |status: &str| format!("{{\"status\":\"{status}\"}}");
        match self {
            Self::Resolve => status("resolved"),
            Self::ResolveInNextRelease => status("resolved_in_next_release"),
            Self::Ignore => status("ignored"),
            Self::Unresolve => status("unresolved"),
            Self::Assign(None) => "{\"assigned_to\":null}".to_owned(),
            Self::Assign(Some(who)) => format!("{{\"assigned_to\":{}}}", json_string(who)),
        }
    }

    /// Whether the button makes sense for an issue in `status` (no "resolve" on a resolved
    /// issue).
    pub fn applies_to(&self, status: &str) -> bool {
        match self {
            Self::Resolve => status != "resolved",
            Self::ResolveInNextRelease => status != "resolved_in_next_release",
            Self::Ignore => status != "ignored",
            Self::Unresolve => status != "unresolved",
            Self::Assign(_) => true,
        }
    }
}

/// A JSON string literal.
pub(crate) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `GET`/`PUT` path of one issue.
pub fn issue_path(id: &str) -> String {
    format!("/api/0/issues/{}/", encode_segment_path(id))
}

/// The viewer page of an issue.
pub fn issue_page_path(id: &str) -> String {
    format!("/issues/{}", encode_segment_path(id))
}

/// The viewer page of an issue showing one of its events.
pub fn issue_event_page_path(id: &str, event_id: &str) -> String {
    format!(
        "{}?event={}",
        issue_page_path(id),
        encode_segment_path(event_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE: &str = r##"{"id": "12", "project": "1", "title": "ZeroDivisionError: division by zero",
        "culprit": "shop.checkout in total", "type": "ZeroDivisionError", "value": "division by zero",
        "level": "error", "status": "unresolved", "regressed": true,
        "first_seen": "2026-11-26T06:00:00.000Z", "last_seen": "2026-11-26T07:00:00.000Z",
        "first_seen_ms": 1795500000000, "last_seen_ms": 1795503600000,
        "first_release": "shop@1.4.2", "last_release": "shop@1.4.3", "count": 57, "user_count": 9,
        "events_1h": 12, "counts_24h": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,45,12],
        "environments": ["production"], "owner": "#payments", "owner_rule": "path:shop/* #payments",
        "assigned_to": "#payments", "replay_count": 3,
        "suspect_commits": [{"id": "abc1234def", "message": "Compute totals per item\n\nbody",
            "author_name": "Ada", "author_email": "ada@example.com",
            "timestamp": "2026-11-25T10:00:00Z", "release": "shop@1.4.2", "repository": "shop",
            "path": "shop/checkout.py",
            "frame": {"filename": "shop/checkout.py", "module": "shop.checkout",
                      "function": "total", "lineno": 42}, "score": 0.9}]}"##;

    #[test]
    fn parses_the_issue_contract() -> Result<(), serde_json::Error> {
        let issue = Issue::from_loose(&serde_json::from_str(ISSUE)?);
        assert_eq!(issue.id, "12");
        assert_eq!(issue.count, 57);
        assert_eq!(issue.counts_24h.len(), 24);
        assert!(issue.regressed);
        assert_eq!(issue.owner.as_deref(), Some("#payments"));
        assert_eq!(issue.page_path(), "/issues/12");
        assert_eq!(issue.status_label(), "Unresolved");
        assert_eq!(issue.status_detail(), None);
        let waiting = Issue {
            status: "resolved_in_next_release".to_owned(),
            resolved_in_release: Some("shop@1.4.3".to_owned()),
            ..issue.clone()
        };
        assert_eq!(
            waiting.status_detail().as_deref(),
            Some("Resolved after shop@1.4.3: an event from a later release reopens it")
        );
        let suspect = &issue.suspect_commits[0];
        assert_eq!(
            suspect.frame.label(),
            "total in shop/checkout.py:42",
            "the matched frame"
        );
        Ok(())
    }

    #[test]
    fn missing_and_odd_fields_do_not_break_an_issue() -> Result<(), serde_json::Error> {
        let issue = Issue::from_loose(&serde_json::from_str(
            r#"{"id": 7, "count": null, "counts_24h": [1, null, "2"], "culprit": null,
                "suspect_commits": [{"frame": {}}], "unknown": {"x": 1}}"#,
        )?);
        assert_eq!(issue.id, "7");
        assert_eq!(issue.count, 0);
        assert_eq!(issue.counts_24h, vec![1, 0, 2]);
        assert_eq!(issue.suspect_commits[0].frame.label(), "");
        let extras = IssueExtras::from_loose(&serde_json::from_str(
            r##"{"tags": [{"key": "release", "total": 4,
                "values": [{"value": "shop@1.4.2", "count": 3}, {"value": "shop@1.4.3", "count": 1}]}],
                "activity": [{"kind": "regressed", "release": "shop@1.4.3", "at": "x", "detail": null},
                             {"kind": "assigned", "at": "y", "detail": "#payments"}],
                "latest_event": null}"##,
        )?);
        assert_eq!(
            extras.tags[0].bars(),
            vec![
                ("shop@1.4.2".to_owned(), 3, 75),
                ("shop@1.4.3".to_owned(), 1, 25)
            ]
        );
        assert_eq!(extras.activity[0].sentence(), "regressed in shop@1.4.3");
        assert_eq!(extras.activity[1].sentence(), "assigned (#payments)");
        assert!(extras.latest_event.is_none());
        Ok(())
    }

    #[test]
    fn actions_send_the_documented_bodies() {
        assert_eq!(IssueAction::Resolve.body(), r#"{"status":"resolved"}"#);
        assert_eq!(
            IssueAction::ResolveInNextRelease.body(),
            r#"{"status":"resolved_in_next_release"}"#
        );
        assert_eq!(IssueAction::Ignore.body(), r#"{"status":"ignored"}"#);
        assert_eq!(IssueAction::Unresolve.body(), r#"{"status":"unresolved"}"#);
        assert_eq!(
            IssueAction::assign("  #payments ").body(),
            r##"{"assigned_to":"#payments"}"##
        );
        assert_eq!(IssueAction::assign("").body(), r#"{"assigned_to":null}"#);
        assert_eq!(
            IssueAction::assign("a\"b\\c\n").body(),
            r#"{"assigned_to":"a\"b\\c"}"#
        );
        assert_eq!(
            IssueAction::assign("x\u{1}y").body(),
            r#"{"assigned_to":"x\u0001y"}"#
        );
        assert!(!IssueAction::Resolve.applies_to("resolved"));
        assert!(IssueAction::Resolve.applies_to("ignored"));
        assert!(!IssueAction::Unresolve.applies_to("unresolved"));
        assert_eq!(IssueAction::ResolveInNextRelease.name(), "resolve-next");
    }

    #[test]
    fn paths_cannot_escape() {
        assert_eq!(issue_path("12"), "/api/0/issues/12/");
        assert_eq!(issue_path("../x"), "/api/0/issues/..%2Fx/");
        assert_eq!(issue_event_page_path("12", "ab"), "/issues/12?event=ab");
    }
}
