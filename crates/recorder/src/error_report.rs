//! What the page tells us about an error, turned into a bounded [`JsError`] event.

use sightline_protocol::v1::{JsError, StackFrame};

use crate::stack::{MAX_FIELD_BYTES, parse_stack, truncate};

/// Longest error message kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// An error as read from the page: an `Error` object, an `ErrorEvent` or a rejection reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorReport {
    /// The error's type, such as `TypeError`; `Error` is used when empty.
    pub error_type: String,
    /// The error message.
    pub message: String,
    /// The `Error.stack` string, when there was one.
    pub stack: Option<String>,
    /// Where the error happened when there is no stack (an `ErrorEvent`'s filename, line and
    /// column).
    pub location: Option<StackFrame>,
}

impl ErrorReport {
    /// Builds the event recorded for this error under `event_id`, tagged with `release`.
    pub fn into_js_error(self, event_id: String, release: &str) -> JsError {
        let mut frames = self.stack.as_deref().map(parse_stack).unwrap_or_default();
        if frames.is_empty() {
            frames.extend(self.location.filter(|frame| !frame.filename.is_empty()));
        }
        let error_type = truncate(self.error_type.trim(), MAX_FIELD_BYTES);
        JsError {
            event_id,
            error_type: if error_type.is_empty() {
                "Error".to_owned()
            } else {
                error_type.to_owned()
            },
            message: truncate(&self.message, MAX_MESSAGE_BYTES).to_owned(),
            frames,
            release: release.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> StackFrame {
        StackFrame {
            function: String::new(),
            filename: "https://shop.example/app.js".into(),
            lineno: 4,
            colno: 2,
        }
    }

    #[test]
    fn the_stack_wins_over_the_location() {
        let report = ErrorReport {
            error_type: "TypeError".into(),
            message: "x is not a function".into(),
            stack: Some(
                "TypeError: x is not a function\n    at go (https://a.example/b.js:1:2)".into(),
            ),
            location: Some(location()),
        };
        let error = report.into_js_error("a".repeat(32), "shop@2");
        assert_eq!(error.error_type, "TypeError");
        assert_eq!(error.message, "x is not a function");
        assert_eq!(error.release, "shop@2");
        assert_eq!(error.event_id, "a".repeat(32));
        assert_eq!(error.frames.len(), 1);
        assert_eq!(error.frames[0].function, "go");
    }

    #[test]
    fn without_a_usable_stack_the_location_is_the_only_frame() {
        let report = ErrorReport {
            message: "Script error.".into(),
            stack: Some("Error: Script error.".into()),
            location: Some(location()),
            ..ErrorReport::default()
        };
        let error = report.into_js_error("b".repeat(32), "");
        assert_eq!(error.error_type, "Error");
        assert_eq!(error.frames, vec![location()]);
    }

    #[test]
    fn huge_messages_are_cut() {
        let report = ErrorReport {
            error_type: "RangeError".into(),
            message: "é".repeat(MAX_MESSAGE_BYTES),
            ..ErrorReport::default()
        };
        let error = report.into_js_error("c".repeat(32), "");
        assert!(error.message.len() <= MAX_MESSAGE_BYTES);
        assert!(error.message.len() > MAX_MESSAGE_BYTES - 2);
        assert!(error.frames.is_empty());
    }
}
