//! The JSON shapes of the issue API: an issue, its details, and events in lists.

use serde::Serialize;
use serde_json::Value;

use crate::endpoints::events::EventJson;
use crate::error::AppError;
use crate::store::issues::{ActivityEntry, Issue, IssueDetails, IssueEventSummary, TagSummary};
use crate::suspects::SuspectCommit;
use crate::timestamp::rfc3339_ms;

/// An issue as lists and the detail page show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueJson {
    /// Issue id, as a string like Sentry's.
    pub id: String,
    /// Project id, as a string.
    pub project: String,
    /// Headline of its latest event.
    pub title: String,
    /// `module in function` of the innermost in-app frame.
    pub culprit: Option<String>,
    /// The main exception's type, if its events are exceptions.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The main exception's value.
    pub value: Option<String>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    /// `unresolved`, `resolved`, `resolved_in_next_release` or `ignored`.
    pub status: &'static str,
    /// For `resolved_in_next_release`: the release current when it was resolved.
    pub resolved_in_release: Option<String>,
    /// Reopened by a new event after it was resolved.
    pub regressed: bool,
    /// How its events were grouped: `custom`, `stacktrace`, `exception` or `message`.
    pub grouping: String,
    /// Oldest event, RFC 3339 UTC with milliseconds.
    pub first_seen: String,
    /// Newest event.
    pub last_seen: String,
    /// Oldest event, ms since the Unix epoch.
    pub first_seen_ms: u64,
    /// Newest event, ms since the Unix epoch.
    pub last_seen_ms: u64,
    /// Release of its oldest event.
    pub first_release: Option<String>,
    /// Release of its newest event.
    pub last_release: Option<String>,
    /// Number of events.
    pub count: u64,
    /// Number of users affected.
    pub user_count: u64,
    /// Events in the last hour.
    pub events_1h: u64,
    /// Events per hour over 24 hours, oldest first; the last is the current hour.
    pub counts_24h: Vec<u64>,
    /// Environments of its events.
    pub environments: Vec<String>,
    /// Owner by the project's ownership rules.
    pub owner: Option<String>,
    /// The ownership rule that matched.
    pub owner_rule: Option<String>,
    /// Assignee: `#team`, `@user` or an email.
    pub assigned_to: Option<String>,
    /// Commits suspected of causing it, best first.
    pub suspect_commits: Vec<SuspectCommit>,
    /// Distinct replays of its events.
    pub replay_count: u64,
}

impl IssueJson {
    /// Formats a stored issue with its suspect commits.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(issue: Issue, suspect_commits: Vec<SuspectCommit>) -> Result<Self, AppError> {
        Ok(Self {
            id: issue.id.to_string(),
            project: issue.project_id.to_string(),
            title: issue.title,
            culprit: issue.culprit,
            kind: issue.exception_type,
            value: issue.exception_value,
            level: issue.level,
            status: issue.status.as_str(),
            resolved_in_release: issue.resolved_in_release,
            regressed: issue.regressed,
            grouping: issue.grouping,
            first_seen: rfc3339_ms(issue.first_seen_ms)?,
            last_seen: rfc3339_ms(issue.last_seen_ms)?,
            first_seen_ms: issue.first_seen_ms,
            last_seen_ms: issue.last_seen_ms,
            first_release: issue.first_release,
            last_release: issue.last_release,
            count: issue.count,
            user_count: issue.user_count,
            events_1h: issue.events_1h,
            counts_24h: issue.counts_24h,
            environments: issue.environments,
            owner: issue.owner,
            owner_rule: issue.owner_rule,
            assigned_to: issue.assigned_to,
            suspect_commits,
            replay_count: issue.replay_count,
        })
    }
}

/// One value of a tag with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagValueJson {
    /// The value.
    pub value: String,
    /// Events with it.
    pub count: u64,
}

/// A tag key of an issue with its top values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagJson {
    /// The key.
    pub key: String,
    /// Events counted under the key.
    pub total: u64,
    /// The most frequent values, most frequent first.
    pub values: Vec<TagValueJson>,
}

impl From<TagSummary> for TagJson {
    fn from(tag: TagSummary) -> Self {
        Self {
            key: tag.key,
            total: tag.total,
            values: tag
                .values
                .into_iter()
                .map(|(value, count)| TagValueJson { value, count })
                .collect(),
        }
    }
}

/// One entry of an issue's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityJson {
    /// `created`, `regressed`, `resolved`, `resolved_in_next_release`, `ignored`,
    /// `unresolved`, `assigned` or `unassigned`.
    pub kind: String,
    /// The release concerned, if any.
    pub release: Option<String>,
    /// When, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// More about it: the owner or assignee.
    pub detail: Option<String>,
}

impl ActivityJson {
    fn new(entry: ActivityEntry) -> Result<Self, AppError> {
        Ok(Self {
            at: rfc3339_ms(entry.at_ms)?,
            at_ms: entry.at_ms,
            kind: entry.kind,
            release: entry.release,
            detail: entry.detail,
        })
    }
}

/// An issue with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueDetailsJson {
    /// The issue.
    #[serde(flatten)]
    pub issue: IssueJson,
    /// Tag keys with their top values.
    pub tags: Vec<TagJson>,
    /// Replays of its events, newest first.
    pub replay_ids: Vec<String>,
    /// Its oldest event.
    pub first_event_id: String,
    /// Its newest event.
    pub latest_event_id: String,
    /// Its newest event in full, as `GET /api/0/events/{id}/` shows it.
    pub latest_event: Option<EventJson>,
    /// Its history, oldest first.
    pub activity: Vec<ActivityJson>,
    /// Events per hour over 14 days, oldest first; the last is the current hour.
    pub counts_14d: Vec<u64>,
    /// The trace of its newest event that has one (`GET /api/0/traces/{id}/`).
    pub latest_trace_id: Option<String>,
}

impl IssueDetailsJson {
    /// Formats an issue's details.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(
        details: IssueDetails,
        suspect_commits: Vec<SuspectCommit>,
        latest_event: Option<EventJson>,
    ) -> Result<Self, AppError> {
        let IssueDetails {
            issue,
            tags,
            replay_ids,
            activity,
            counts_14d,
        } = details;
        Ok(Self {
            first_event_id: issue.first_event_id.clone(),
            latest_event_id: issue.last_event_id.clone(),
            issue: IssueJson::new(issue, suspect_commits)?,
            tags: tags.into_iter().map(TagJson::from).collect(),
            replay_ids,
            latest_event,
            activity: activity
                .into_iter()
                .map(ActivityJson::new)
                .collect::<Result<_, _>>()?,
            counts_14d,
            latest_trace_id: None,
        })
    }
}

/// An event in an issue's event list or an event search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventSummaryJson {
    /// Event id.
    pub id: String,
    /// Its issue.
    pub issue_id: String,
    /// When it happened, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The same in ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Its release.
    pub release: Option<String>,
    /// Its environment.
    pub environment: String,
    /// Its level.
    pub level: String,
    /// The replay it is linked to.
    pub replay_id: Option<String>,
    /// Its trace.
    pub trace_id: Option<String>,
    /// Its headline.
    pub title: String,
    /// Its user, as sent.
    pub user: Option<Value>,
}

impl EventSummaryJson {
    /// Formats a listed event.
    ///
    /// # Errors
    /// [`AppError::Internal`] if a stored time cannot be formatted.
    pub fn new(event: IssueEventSummary) -> Result<Self, AppError> {
        Ok(Self {
            timestamp: rfc3339_ms(event.timestamp_ms)?,
            timestamp_ms: event.timestamp_ms,
            issue_id: event.issue_id.to_string(),
            id: event.id,
            release: event.release,
            environment: event.environment,
            level: event.level,
            replay_id: event.replay_id,
            trace_id: event.trace_id,
            title: event.title,
            user: event.user,
        })
    }
}
