//! Alert rules and the alerts they fired, with their webhook delivery state.
//!
//! Rules are evaluated in the transaction that stores an event (see
//! [`IssueActivity`](super::issues::IssueActivity)); an alert that fires is written to the
//! `alerts` table in that same transaction — a durable outbox — and the
//! [`webhook`](crate::webhook) task delivers it afterwards, with retries.

use std::fmt;

use super::StoreError;

/// Most alert rules per project (each is evaluated for every stored event).
pub const MAX_ALERT_RULES: usize = 100;

/// What makes a rule fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertCondition {
    /// An issue was created (its first event).
    NewIssue,
    /// A resolved issue got a new event and reopened.
    Regression,
    /// An issue got more than `threshold` events within `window_minutes`.
    Spike,
}

impl AlertCondition {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewIssue => "new_issue",
            Self::Regression => "regression",
            Self::Spike => "spike",
        }
    }

    /// The condition named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "new_issue" => Some(Self::NewIssue),
            "regression" => Some(Self::Regression),
            "spike" => Some(Self::Spike),
            _ => None,
        }
    }
}

impl fmt::Display for AlertCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlertRule {
    /// The project whose issues it watches.
    pub project_id: u64,
    /// A name for people.
    pub name: String,
    /// What makes it fire.
    pub condition: AlertCondition,
    /// Only events from this environment count, if set.
    pub environment: Option<String>,
    /// Spike: fires when an issue has more than this many events in the window.
    pub threshold: Option<u64>,
    /// Spike: the window, in minutes.
    pub window_minutes: Option<u64>,
    /// Where alerts are POSTed.
    pub webhook_url: String,
    /// The rule fires at most once per issue within this many minutes.
    pub throttle_minutes: u64,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// Rule id.
    pub id: u64,
    /// When it was created, ms since the Unix epoch.
    pub created_at_ms: u64,
    /// Everything it was created with.
    pub rule: NewAlertRule,
}

/// Where a fired alert's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet; will be (re)tried at `next_attempt_ms`.
    Pending,
    /// The webhook answered 2xx.
    Delivered,
    /// Every attempt failed (or the rule was deleted); no more tries.
    Failed,
}

impl DeliveryStatus {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A fired alert as the alerts list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Alert id.
    pub id: u64,
    /// The rule that fired.
    pub rule_id: u64,
    /// Its name (kept in the payload if the rule was deleted since).
    pub rule_name: String,
    /// The project.
    pub project_id: u64,
    /// The issue it is about.
    pub issue_id: u64,
    /// The issue's title now.
    pub issue_title: String,
    /// When it fired, ms since the Unix epoch.
    pub fired_at_ms: u64,
    /// Delivery status.
    pub status: DeliveryStatus,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at_ms: Option<u64>,
    /// The JSON body POSTed to the webhook.
    pub payload: serde_json::Value,
}

/// An alert due for a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// Alert id.
    pub alert_id: u64,
    /// Where to POST it.
    pub webhook_url: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The webhook answered 2xx at this time (ms since the Unix epoch).
    Delivered {
        /// When.
        at_ms: u64,
    },
    /// The attempt failed; try again at `next_attempt_ms`.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again, ms since the Unix epoch.
        next_attempt_ms: u64,
    },
    /// The attempt failed and it was the last one.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// Alert rule and fired-alert storage.
pub trait AlertStore {
    /// Creates a rule.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the project already has [`MAX_ALERT_RULES`] rules; any
    /// other [`StoreError`].
    fn create_alert_rule(&self, rule: &NewAlertRule, now_ms: u64) -> Result<AlertRule, StoreError>;

    /// A project's rules, oldest first.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn alert_rules(&self, project_id: u64) -> Result<Vec<AlertRule>, StoreError>;

    /// Deletes a rule; its alerts stay listed, and those not delivered yet are marked failed.
    /// `false` when the project has no such rule.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn delete_alert_rule(&self, project_id: u64, rule_id: u64) -> Result<bool, StoreError>;

    /// A project's fired alerts, newest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn alerts(&self, project_id: u64, limit: usize) -> Result<Vec<Alert>, StoreError>;

    /// Pending alerts whose next attempt is due at `now_ms`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn due_alerts(&self, now_ms: u64, limit: usize) -> Result<Vec<PendingDelivery>, StoreError>;

    /// When the next pending alert is due, if any is pending.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn next_alert_due(&self) -> Result<Option<u64>, StoreError>;

    /// Records one delivery attempt of alert `alert_id`.
    ///
    /// # Errors
    /// Any [`StoreError`] from the backend.
    fn record_delivery(&self, alert_id: u64, outcome: &DeliveryOutcome) -> Result<(), StoreError>;
}
