//! Issues: events grouped by fingerprint, their status, counts and history.
//!
//! Grouping happens in the transaction that stores an event (see
//! [`complete_inbox_entry`](super::Store::complete_inbox_entry)); every change it makes to an
//! issue is described by an [`IssueActivity`] that alert rules are evaluated against in the same
//! transaction.

use serde_json::Value;

use super::StoreError;

/// Hours in an issue's daily sparkline ([`Issue::counts_24h`]).
pub const HOURS_24: usize = 24;

/// Hours in an issue's two-week histogram ([`IssueDetails::counts_14d`]).
pub const HOURS_14D: usize = 14 * 24;

/// Most distinct values kept per tag key per issue; later new values are not counted.
pub const MAX_TAG_VALUES_PER_KEY: u64 = 100;

/// Most values per tag key in [`IssueDetails::tags`].
pub const TOP_TAG_VALUES: usize = 10;

/// Most replay ids in [`IssueDetails::replay_ids`].
pub const MAX_ISSUE_REPLAYS: usize = 50;

/// Most issues or events one listing returns.
pub const MAX_LIST_LIMIT: usize = 1000;

/// What storing one new event did to its issue; alert rules are evaluated against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueActivity {
    /// The project.
    pub project_id: u64,
    /// The issue the event was grouped into.
    pub issue_id: u64,
    /// The event.
    pub event_id: String,
    /// The issue was created by this event.
    pub created: bool,
    /// The issue was resolved and this event reopened it.
    pub regressed: bool,
    /// The event's environment.
    pub environment: String,
    /// The event's release, if any.
    pub release: Option<String>,
    /// The event's timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
}

/// Where an issue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueStatus {
    /// Open: new, reopened, or never looked at.
    Unresolved,
    /// Fixed: any new event reopens it.
    Resolved,
    /// Fixed in the release after the one current when it was resolved: only an event of a
    /// later release reopens it.
    ResolvedInNextRelease,
    /// Muted: new events are counted but never reopen it.
    Ignored,
}

impl IssueStatus {
    /// Every status, in the order the API documents them.
    pub const ALL: [Self; 4] = [
        Self::Unresolved,
        Self::Resolved,
        Self::ResolvedInNextRelease,
        Self::Ignored,
    ];

    /// The name stored and shown: `unresolved`, `resolved`, `resolved_in_next_release`,
    /// `ignored`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Resolved => "resolved",
            Self::ResolvedInNextRelease => "resolved_in_next_release",
            Self::Ignored => "ignored",
        }
    }

    /// The status named `name` (as [`IssueStatus::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// An issue with what lists and dashboards show about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Issue id.
    pub id: u64,
    /// Its project.
    pub project_id: u64,
    /// The grouping hash its events share.
    pub fingerprint: String,
    /// The grouping rule: `custom`, `stacktrace`, `exception` or `message`.
    pub grouping: String,
    /// Headline of its latest event.
    pub title: String,
    /// The innermost in-app frame of its latest event (`module in function`).
    pub culprit: Option<String>,
    /// The main exception's type, if its events are exceptions.
    pub exception_type: Option<String>,
    /// The main exception's value (of the latest event).
    pub exception_value: Option<String>,
    /// Level of its latest event.
    pub level: String,
    /// Where it stands.
    pub status: IssueStatus,
    /// For [`IssueStatus::ResolvedInNextRelease`]: the release current when it was resolved.
    pub resolved_in_release: Option<String>,
    /// A resolved issue that got a new event and reopened.
    pub regressed: bool,
    /// Timestamp of its oldest event, ms since the Unix epoch.
    pub first_seen_ms: u64,
    /// Timestamp of its newest event.
    pub last_seen_ms: u64,
    /// Release of its oldest event with a release.
    pub first_release: Option<String>,
    /// Release of its newest event with a release.
    pub last_release: Option<String>,
    /// Number of events.
    pub count: u64,
    /// Number of distinct users affected.
    pub user_count: u64,
    /// Owner decided by the ownership rules when it was created.
    pub owner: Option<String>,
    /// The rule that decided the owner.
    pub owner_rule: Option<String>,
    /// Who it is assigned to: `#team`, `@user` or an email.
    pub assigned_to: Option<String>,
    /// Its oldest event.
    pub first_event_id: String,
    /// Its newest event.
    pub last_event_id: String,
    /// Events in the hour before the time asked about.
    pub events_1h: u64,
    /// Events per hour over the last 24 hours, oldest first; the last is the current hour.
    pub counts_24h: Vec<u64>,
    /// Environments its events came from, by name.
    pub environments: Vec<String>,
    /// Distinct replays its events are linked to.
    pub replay_count: u64,
}

/// One tag key of an issue with its most frequent values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSummary {
    /// Tag key, such as `environment` or `http.status_code`.
    pub key: String,
    /// Events counted under this key (over the kept values).
    pub total: u64,
    /// The most frequent values with their counts, most frequent first.
    pub values: Vec<(String, u64)>,
}

/// One entry of an issue's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    /// `created`, `regressed`, `resolved`, `resolved_in_next_release`, `ignored`,
    /// `unresolved` or `assigned`.
    pub kind: String,
    /// Release of the event that caused it, or the release an issue was resolved in.
    pub release: Option<String>,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// More about it (the assignee), if anything.
    pub detail: Option<String>,
}

/// An issue with its tags, replays, history and two-week histogram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDetails {
    /// The issue.
    pub issue: Issue,
    /// Tag keys, alphabetical, with their top values.
    pub tags: Vec<TagSummary>,
    /// Replays of its events, newest first.
    pub replay_ids: Vec<String>,
    /// History, oldest first.
    pub activity: Vec<ActivityEntry>,
    /// Events per hour over 14 days, oldest first; the last is the current hour.
    pub counts_14d: Vec<u64>,
}

/// A change to an issue; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueUpdate {
    /// The new status.
    pub status: Option<IssueStatus>,
    /// The new assignee (`Some(None)` unassigns).
    pub assigned_to: Option<Option<String>>,
}

/// An issue search already translated to SQL over `issues AS i` (see [`crate::search`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueSearch {
    /// The project searched.
    pub project_id: u64,
    /// A boolean SQL expression over `issues AS i`; `1` for all.
    pub clause: String,
    /// The values of the clause's placeholders.
    pub params: Vec<rusqlite::types::Value>,
    /// `ORDER BY` text over `i`.
    pub order_by: String,
    /// Most issues returned.
    pub limit: usize,
    /// The time counts are relative to, ms since the Unix epoch.
    pub now_ms: u64,
}

/// An event search already translated to SQL over `issue_events AS e JOIN events AS ev … JOIN
/// issues AS i`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSearch {
    /// The project searched.
    pub project_id: u64,
    /// A boolean SQL expression; `1` for all.
    pub clause: String,
    /// The values of the clause's placeholders.
    pub params: Vec<rusqlite::types::Value>,
    /// Most events returned.
    pub limit: usize,
}

/// An event as issue event lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueEventSummary {
    /// Event id.
    pub id: String,
    /// Its issue.
    pub issue_id: u64,
    /// When it happened, ms since the Unix epoch.
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

/// An event's place in its issue: the issue and the neighbouring events by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlace {
    /// The issue.
    pub issue_id: u64,
    /// The event just before it (by timestamp, then id), if any.
    pub previous_event_id: Option<String>,
    /// The event just after it, if any.
    pub next_event_id: Option<String>,
}

/// Issue queries and updates.
pub trait IssueStore {
    /// The issues matching `search`, in its order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] also when the clause is not valid SQL.
    fn search_issues(&self, search: &IssueSearch) -> Result<Vec<Issue>, StoreError>;

    /// One issue, with counts relative to `now_ms`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn issue(&self, id: u64, now_ms: u64) -> Result<Option<Issue>, StoreError>;

    /// One issue with its tags, replays, history and histogram, relative to `now_ms`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn issue_details(&self, id: u64, now_ms: u64) -> Result<Option<IssueDetails>, StoreError>;

    /// Changes an issue's status or assignee and records it in its history; the updated issue,
    /// `None` when there is no such issue. Resolving in the next release keeps the issue's
    /// last release as the one it was resolved in.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn update_issue(
        &self,
        id: u64,
        update: &IssueUpdate,
        now_ms: u64,
    ) -> Result<Option<Issue>, StoreError>;

    /// An issue's events, newest first (by timestamp, then id), at most `limit`, starting
    /// after `cursor` (the `timestamp_ms:id` of the last event of the previous page).
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn issue_events(
        &self,
        issue_id: u64,
        limit: usize,
        cursor: Option<(u64, String)>,
    ) -> Result<Vec<IssueEventSummary>, StoreError>;

    /// Which issue an event belongs to and its neighbours there.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn event_place(&self, event_id: &str) -> Result<Option<EventPlace>, StoreError>;

    /// The grouped events matching `search`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] also when the clause is not valid SQL.
    fn search_events(&self, search: &EventSearch) -> Result<Vec<IssueEventSummary>, StoreError>;
}
