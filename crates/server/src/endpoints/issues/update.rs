//! The body of `PUT /api/0/issues/{id}/`: a status and/or an assignee, in Sightline's form
//! (`status`, `assigned_to`) or Sentry's (`statusDetails.inNextRelease`, `assignedTo`).

use serde_json::{Map, Value};
use thiserror::Error;

use crate::store::issues::{IssueStatus, IssueUpdate};

/// Largest body accepted (bytes).
pub const MAX_UPDATE_BYTES: usize = 16 * 1024;

/// Longest assignee accepted (characters).
pub const MAX_ASSIGNEE_CHARS: usize = 200;

/// Why an update body was rejected; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The body is larger than [`MAX_UPDATE_BYTES`].
    #[error("issue update is larger than MAX_UPDATE_BYTES ({MAX_UPDATE_BYTES} bytes)")]
    TooLarge,
    /// The body is not a JSON object.
    #[error("issue update must be a JSON object: {0}")]
    NotAnObject(String),
    /// `status` is not a known status.
    #[error(
        "invalid status {0}: expected \"resolved\", \"resolved_in_next_release\", \"unresolved\" \
         or \"ignored\""
    )]
    Status(String),
    /// The assignee is not `#team`, `@user`, an email or null.
    #[error("invalid assigned_to {0}: expected \"#team\", \"@user\", \"user@example.com\" or null")]
    Assignee(String),
    /// Neither a status nor an assignee was given.
    #[error("issue update names nothing to change: send status and/or assigned_to")]
    Empty,
}

/// Parses an update body.
///
/// # Errors
/// An [`UpdateError`] naming the field that is wrong.
pub fn parse_update(body: &[u8]) -> Result<IssueUpdate, UpdateError> {
    if body.len() > MAX_UPDATE_BYTES {
        return Err(UpdateError::TooLarge);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| UpdateError::NotAnObject(error.to_string()))?;
    let Value::Object(object) = value else {
        return Err(UpdateError::NotAnObject(format!("got {value}")));
    };
    let status = match object.get("status") {
        None | Some(Value::Null) => None,
        Some(raw) => Some(status(raw, &object)?),
    };
    let assigned_to = match object
        .get("assigned_to")
        .or_else(|| object.get("assignedTo"))
    {
        None => None,
        Some(raw) => Some(assignee(raw)?),
    };
    if status.is_none() && assigned_to.is_none() {
        return Err(UpdateError::Empty);
    }
    Ok(IssueUpdate {
        status,
        assigned_to,
    })
}

fn status(raw: &Value, object: &Map<String, Value>) -> Result<IssueStatus, UpdateError> {
    let name = raw
        .as_str()
        .ok_or_else(|| UpdateError::Status(raw.to_string()))?;
    let in_next_release = object
        .get("statusDetails")
        .or_else(|| object.get("status_details"))
        .and_then(|details| {
            details
                .get("inNextRelease")
                .or_else(|| details.get("in_next_release"))
        })
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match name.trim().to_ascii_lowercase().as_str() {
        "resolved" if in_next_release => Ok(IssueStatus::ResolvedInNextRelease),
        "resolved" => Ok(IssueStatus::Resolved),
        "resolved_in_next_release" | "resolvedinnextrelease" => {
            Ok(IssueStatus::ResolvedInNextRelease)
        }
        "unresolved" => Ok(IssueStatus::Unresolved),
        "ignored" | "muted" => Ok(IssueStatus::Ignored),
        _ => Err(UpdateError::Status(raw.to_string())),
    }
}

/// `#team`, `@user` or an email as given; Sentry's `team:NAME` and `user:NAME` and bare user
/// names are written as `#NAME` and `@NAME`; `null` or `""` unassigns.
fn assignee(raw: &Value) -> Result<Option<String>, UpdateError> {
    let invalid = || UpdateError::Assignee(raw.to_string());
    let text = match raw {
        Value::Null => return Ok(None),
        Value::String(text) => text.trim(),
        _ => return Err(invalid()),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_ASSIGNEE_CHARS {
        return Err(invalid());
    }
    let name_ok = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.@/+".contains(c))
    };
    let owner = if let Some(team) = text.strip_prefix("team:") {
        format!("#{team}")
    } else if let Some(user) = text.strip_prefix("user:") {
        format!("@{user}")
    } else if text.starts_with('#') || text.starts_with('@') || text.contains('@') {
        text.to_owned()
    } else {
        format!("@{text}")
    };
    let body = owner.trim_start_matches(['#', '@']);
    if !name_ok(body) || (owner.starts_with('#') && body.contains('@')) {
        return Err(invalid());
    }
    Ok(Some(owner))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<IssueUpdate, UpdateError> {
        parse_update(body.as_bytes())
    }

    #[test]
    fn sightline_and_sentry_forms_are_accepted() {
        let update =
            parse(r##"{"status": "resolved_in_next_release", "assigned_to": "#payments"}"##)
                .unwrap();
        assert_eq!(update.status, Some(IssueStatus::ResolvedInNextRelease));
        assert_eq!(update.assigned_to, Some(Some("#payments".into())));
        let sentry = parse(r#"{"status": "resolved", "statusDetails": {"inNextRelease": true}}"#);
        assert_eq!(
            sentry.unwrap().status,
            Some(IssueStatus::ResolvedInNextRelease)
        );
        let assigned = parse(r#"{"assignedTo": "user:ann"}"#).unwrap();
        assert_eq!(assigned.assigned_to, Some(Some("@ann".into())));
        assert_eq!(
            parse(r#"{"assignedTo": "ann@example.com"}"#)
                .unwrap()
                .assigned_to,
            Some(Some("ann@example.com".into()))
        );
        assert_eq!(
            parse(r#"{"assigned_to": null}"#).unwrap().assigned_to,
            Some(None)
        );
        assert_eq!(parse(r#"{"status": "ignored"}"#).unwrap().assigned_to, None);
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let message = |body: &str| parse(body).unwrap_err().to_string();
        assert!(message(r#"{"status": "fixed"}"#).contains("invalid status \"fixed\""));
        assert!(message(r#"{"assigned_to": "two words"}"#).contains("invalid assigned_to"));
        assert!(message(r#"{"assigned_to": 5}"#).contains("invalid assigned_to 5"));
        assert!(message("{}").contains("nothing to change"));
        assert!(message("[1]").contains("JSON object"));
        assert!(message("{").contains("JSON object"));
        let big = format!("{{\"status\": \"{}\"}}", "x".repeat(MAX_UPDATE_BYTES));
        assert!(message(&big).contains("MAX_UPDATE_BYTES"));
    }
}
