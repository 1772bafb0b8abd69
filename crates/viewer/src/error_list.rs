//! The errors panel's entries: the page's JS errors (from the recording) and the backend errors
//! the session caused (from the server), in one list in time order, each with its stack trace.

use crate::network::PlacedEvent;
use crate::stack::{FrameRow, backend_event_frames, js_frames};
use crate::timeline::ErrorMarker;

/// Where an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    /// In the page (an uncaught JS error or rejection).
    Page,
    /// In a backend service, handling one of the page's requests.
    Backend,
}

impl ErrorSource {
    /// The source's name as written in `data-sl-error-source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "js",
            Self::Backend => "backend",
        }
    }
}

/// One entry of the errors panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    /// Milliseconds since the replay's start; `None` for a backend error the server could not
    /// place (listed last).
    pub offset: Option<u64>,
    /// Page or backend.
    pub source: ErrorSource,
    /// The event id.
    pub event_id: String,
    /// `Type: message`.
    pub title: String,
    /// For a backend error: `service · transaction · release` and the culprit, as known.
    pub details: Option<String>,
    /// The viewer page of a backend event, `/events/{id}`.
    pub link: Option<String>,
    /// The stack, innermost frame first (empty when unknown).
    pub frames: Vec<FrameRow>,
}

/// Merges JS errors and placed backend events into the panel's list, in time order (a JS error
/// before a backend error at the same moment).
pub fn error_entries(
    js: &[ErrorMarker],
    backend: &[PlacedEvent],
    page_url: &str,
) -> Vec<ErrorEntry> {
    let page = js.iter().map(|error| ErrorEntry {
        offset: Some(error.offset),
        source: ErrorSource::Page,
        event_id: error.event_id.clone(),
        title: error.label(),
        details: (!error.release.is_empty()).then(|| error.release.clone()),
        link: None,
        frames: js_frames(&error.frames, page_url),
    });
    let services = backend.iter().map(|placed| {
        let event = &placed.event;
        let details: Vec<String> = [
            event.service_label(),
            event.release.clone(),
            event.culprit.clone(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
        ErrorEntry {
            offset: placed.offset,
            source: ErrorSource::Backend,
            event_id: event.id.clone(),
            title: if event.title.is_empty() {
                "Backend error".to_owned()
            } else {
                event.title.clone()
            },
            details: (!details.is_empty()).then(|| details.join(" · ")),
            link: Some(event.page_path()),
            frames: backend_event_frames(event),
        }
    });
    let mut entries: Vec<ErrorEntry> = page.chain(services).collect();
    // Equal moments: page errors first.
    entries.sort_unstable_by(|a, b| {
        let key = |e: &ErrorEntry| {
            (
                e.offset.unwrap_or(u64::MAX),
                e.source == ErrorSource::Backend,
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{
        BackendEvent, BackendFrame, BackendStacktrace, ExceptionValue, Exceptions,
    };
    use sightline_protocol::v1::StackFrame;

    fn js(offset: u64, id: &str) -> ErrorMarker {
        ErrorMarker {
            offset,
            event_id: id.into(),
            error_type: "TypeError".into(),
            message: "x is undefined".into(),
            frames: vec![StackFrame {
                function: "render".into(),
                filename: "https://shop.example/app.js".into(),
                lineno: 3,
                colno: 9,
            }],
            release: "shop@1.4.2".into(),
        }
    }

    fn backend(offset: Option<u64>, id: &str) -> PlacedEvent {
        PlacedEvent {
            event: BackendEvent {
                id: id.into(),
                title: "ZeroDivisionError: division by zero".into(),
                service: Some("checkout-api".into()),
                release: Some("api@7".into()),
                culprit: Some("shop.checkout in total".into()),
                exception: Some(Exceptions {
                    values: vec![ExceptionValue {
                        stacktrace: Some(BackendStacktrace {
                            frames: vec![BackendFrame {
                                function: Some("total".into()),
                                in_app: Some(true),
                                ..BackendFrame::default()
                            }],
                        }),
                        ..ExceptionValue::default()
                    }],
                }),
                ..BackendEvent::default()
            },
            offset,
            row: None,
        }
    }

    #[test]
    fn page_and_backend_errors_in_time_order_with_their_stacks() {
        let entries = error_entries(
            &[js(2_000, "j1"), js(6_000, "j2")],
            &[
                backend(None, "b0"),
                backend(Some(6_000), "b1"),
                backend(Some(1_000), "b2"),
            ],
            "https://shop.example/",
        );
        let order: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.event_id.as_str(), e.source.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("b2", "backend"),
                ("j1", "js"),
                ("j2", "js"),
                ("b1", "backend"),
                ("b0", "backend")
            ]
        );
        let page = &entries[1];
        assert_eq!(page.title, "TypeError: x is undefined");
        assert!(page.frames[0].in_app);
        assert_eq!(page.link, None);
        let service = &entries[0];
        assert_eq!(
            service.details.as_deref(),
            Some("checkout-api · api@7 · shop.checkout in total")
        );
        assert_eq!(service.link.as_deref(), Some("/events/b2"));
        assert_eq!(service.frames[0].function, "total");
    }
}
