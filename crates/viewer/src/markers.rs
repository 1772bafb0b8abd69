//! What the player's timeline points out: errors, clicks, navigations and failed requests as
//! [`Marker`]s, the backend errors the session caused as [`BackendMarker`]s, and the console and
//! application breadcrumbs as [`Crumb`]s.

use sightline_protocol::v1::{EventData, Level, MouseInteraction, NetworkRequest};

use crate::network::{PlacedEvent, format_size};

/// The kinds of timeline markers; [`MarkerKind::as_str`] is what `data-sl-marker` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// An uncaught JS error.
    Error,
    /// A click (or double click) by the user.
    Click,
    /// The page's URL changed.
    Navigation,
    /// A request failed: no response, or a status of 400 or more.
    Network,
}

impl MarkerKind {
    /// The kind's name as written in `data-sl-marker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Click => "click",
            Self::Navigation => "navigation",
            Self::Network => "network",
        }
    }
}

/// A moment the timeline points out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// What happened.
    pub kind: MarkerKind,
    /// The tooltip: what happened, in a few words.
    pub label: String,
}

impl Marker {
    /// The marker for an event at `offset`, if the event is one the timeline points out.
    pub fn for_event(offset: u64, event: &EventData) -> Option<Self> {
        let (kind, label) = match event {
            EventData::JsError(error) if error.error_type.is_empty() => {
                (MarkerKind::Error, error.message.clone())
            }
            EventData::JsError(error) => (
                MarkerKind::Error,
                format!("{}: {}", error.error_type, error.message),
            ),
            EventData::MouseInteraction {
                interaction: MouseInteraction::Click | MouseInteraction::DblClick,
                x,
                y,
                ..
            } => (MarkerKind::Click, format!("Click at {x}, {y}")),
            EventData::Navigation { href, .. } => {
                (MarkerKind::Navigation, format!("Navigated to {href}"))
            }
            EventData::NetworkRequest(request) if is_failure(request) => {
                (MarkerKind::Network, request_label(request))
            }
            _ => return None,
        };
        Some(Self {
            offset,
            kind,
            label,
        })
    }
}

/// Whether a request failed: no response at all, or a client or server error status.
pub fn is_failure(request: &NetworkRequest) -> bool {
    request.status == 0 || request.status >= 400
}

/// `POST /api/checkout → 500 (120 ms)`, or `… → failed` without a response.
pub fn request_label(request: &NetworkRequest) -> String {
    let outcome = match request.status {
        0 => "failed".to_owned(),
        status => status.to_string(),
    };
    format!(
        "{} {} → {outcome} ({} ms)",
        request.method, request.url, request.duration
    )
}

/// A backend error on the timeline, at the failing request's client time, with what its
/// hover card says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendMarker {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// The event id.
    pub event_id: String,
    /// The event's title.
    pub title: String,
    /// `service · transaction`, when known.
    pub service: Option<String>,
    /// The service's release, when known.
    pub release: Option<String>,
    /// The HTTP status, when known.
    pub status: Option<u16>,
    /// The viewer page of the event, `/events/{id}`.
    pub link: String,
}

impl BackendMarker {
    /// The marker of a placed event; `None` when it has no place on the timeline.
    pub fn new(placed: &PlacedEvent) -> Option<Self> {
        let event = &placed.event;
        Some(Self {
            offset: placed.offset?,
            event_id: event.id.clone(),
            title: non_empty_or(&event.title, "Backend error"),
            service: event.service_label(),
            release: event.release.clone().filter(|r| !r.is_empty()),
            status: event.status(),
            link: event.page_path(),
        })
    }

    /// `service · release · HTTP 500`, as much as is known.
    pub fn details(&self) -> String {
        let status = self.status.map(|s| format!("HTTP {s}"));
        [self.service.clone(), self.release.clone(), status]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The tooltip: `Backend error: title — details`.
    pub fn label(&self) -> String {
        let details = self.details();
        if details.is_empty() {
            format!("Backend error: {}", self.title)
        } else {
            format!("Backend error: {} — {details}", self.title)
        }
    }
}

/// The markers of the events that have a place on the timeline, in the order of `placed`
/// (time order, see [`crate::network::place_events`]).
pub fn backend_markers(placed: &[PlacedEvent]) -> Vec<BackendMarker> {
    placed.iter().filter_map(BackendMarker::new).collect()
}

fn non_empty_or(text: &str, fallback: &str) -> String {
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

/// A breadcrumb on the timeline: a console message or an application's trail entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    /// Milliseconds since the replay's start.
    pub offset: u64,
    /// Severity.
    pub level: Level,
    /// `console`, or the application's category.
    pub category: String,
    /// The message.
    pub message: String,
}

impl Crumb {
    /// The breadcrumb an event at `offset` carries, if any.
    pub fn for_event(offset: u64, event: &EventData) -> Option<Self> {
        match event {
            EventData::Breadcrumb(crumb) => Some(Self {
                offset,
                level: crumb.level,
                category: crumb.category.clone(),
                message: crumb.message.clone(),
            }),
            EventData::Custom { tag, payload } if tag == DROPPED_TAG => Some(Self {
                offset,
                level: Level::Warning,
                category: "sightline".into(),
                message: dropped_message(payload),
            }),
            _ => None,
        }
    }
}

/// The tag of the recorder's custom event reporting what it could not deliver.
pub const DROPPED_TAG: &str = "sightline.dropped";

/// The console line for a `sightline.dropped` report: what the recorder dropped while the server
/// could not be reached (its offline buffer was full) or refused.
fn dropped_message(payload: &str) -> String {
    let overflow = report_count(payload, "overflow_segments");
    let rejected = report_count(payload, "rejected_segments");
    let mut parts = Vec::new();
    if overflow > 0 {
        parts.push(format!(
            "dropped {overflow} segment{} while the server could not be reached",
            if overflow == 1 { "" } else { "s" }
        ));
    }
    if rejected > 0 {
        parts.push(format!(
            "{rejected} segment{} refused by the server",
            if rejected == 1 { " was" } else { "s were" }
        ));
    }
    if parts.is_empty() {
        parts.push("dropped data".to_owned());
    }
    format!(
        "The recorder {} ({} events, {}): that part of the session is missing.",
        parts.join("; "),
        report_count(payload, "events"),
        format_size(report_count(payload, "bytes"))
    )
}

/// The whole number under `"key"` in the recorder's flat JSON report (0 when absent or not a
/// number): the report is a handful of counters, not worth a JSON decoder in the bundle.
fn report_count(payload: &str, key: &str) -> u64 {
    let quoted = format!("\"{key}\"");
    payload
        .split_once(&quoted)
        .and_then(|(_, rest)| rest.trim_start().strip_prefix(':'))
        .map(str::trim_start)
        .and_then(|rest| {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest[..digits].parse().ok()
        })
        .unwrap_or(0)
}

/// A level's name as shown in the console panel and written in `data-sl-level`.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Log => "log",
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
        Level::Fatal => "fatal",
        _ => "log",
    }
}

/// The groups of console levels the console panel filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LevelGroup {
    /// Errors and fatal errors.
    Error,
    /// Warnings.
    Warning,
    /// Info and plain log messages.
    Info,
    /// Debug messages.
    Debug,
}

impl LevelGroup {
    /// Every group, most severe first.
    pub const ALL: [Self; 4] = [Self::Error, Self::Warning, Self::Info, Self::Debug];

    /// The group a level belongs to.
    pub fn of(level: Level) -> Self {
        match level {
            Level::Fatal | Level::Error => Self::Error,
            Level::Warning => Self::Warning,
            Level::Debug => Self::Debug,
            _ => Self::Info,
        }
    }

    /// The group's name, as written in `data-sl-level-filter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::Debug => "debug",
        }
    }

    /// The label of the group's filter button.
    pub fn label(self) -> &'static str {
        match self {
            Self::Error => "Errors",
            Self::Warning => "Warnings",
            Self::Info => "Info",
            Self::Debug => "Debug",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_protocol::v1::{Breadcrumb, NavigationKind};

    fn request(status: u16) -> EventData {
        EventData::NetworkRequest(NetworkRequest {
            method: "POST".into(),
            url: "/api/checkout".into(),
            status,
            duration: 120,
            trace_id: String::new(),
            span_id: String::new(),
            response_size: None,
        })
    }

    #[test]
    fn the_recorders_drop_report_is_a_console_warning() {
        let report = EventData::Custom {
            tag: DROPPED_TAG.into(),
            payload: r#"{"overflow_segments":4,"rejected_segments":1,"events":120,"bytes":11629,"from":1,"to":2}"#.into(),
        };
        let crumb = Crumb::for_event(70, &report).unwrap_or_else(|| panic!("no crumb"));
        assert_eq!((crumb.offset, crumb.level), (70, Level::Warning));
        assert_eq!(
            crumb.message,
            "The recorder dropped 4 segments while the server could not be reached; 1 segment \
             was refused by the server (120 events, 11.6 kB): that part of the session is missing."
        );
        let garbled = EventData::Custom {
            tag: DROPPED_TAG.into(),
            payload: "{not json".into(),
        };
        let crumb = Crumb::for_event(0, &garbled).unwrap_or_else(|| panic!("no crumb"));
        assert!(crumb.message.starts_with("The recorder dropped data"));
        let other = EventData::Custom {
            tag: "app.checkout".into(),
            payload: "{}".into(),
        };
        assert_eq!(Crumb::for_event(0, &other), None);
    }

    #[test]
    fn failed_requests_clicks_and_navigations_are_marked() {
        let failed = Marker::for_event(5, &request(500));
        assert_eq!(
            failed,
            Some(Marker {
                offset: 5,
                kind: MarkerKind::Network,
                label: "POST /api/checkout → 500 (120 ms)".into(),
            })
        );
        let unanswered = Marker::for_event(5, &request(0));
        assert_eq!(
            unanswered.map(|m| m.label),
            Some("POST /api/checkout → failed (120 ms)".into())
        );
        assert_eq!(Marker::for_event(5, &request(200)), None);
        assert_eq!(Marker::for_event(5, &request(304)), None);

        let click = |interaction| EventData::MouseInteraction {
            interaction,
            id: 3,
            x: 10,
            y: 20,
        };
        assert_eq!(
            Marker::for_event(1, &click(MouseInteraction::Click)).map(|m| m.kind),
            Some(MarkerKind::Click)
        );
        assert_eq!(Marker::for_event(1, &click(MouseInteraction::Focus)), None);
        let navigation = EventData::Navigation {
            href: "https://shop.example/cart".into(),
            kind: NavigationKind::Push,
        };
        assert_eq!(
            Marker::for_event(1, &navigation).map(|m| (m.kind.as_str(), m.label)),
            Some((
                "navigation",
                "Navigated to https://shop.example/cart".into()
            ))
        );
    }

    #[test]
    fn a_backend_marker_tells_title_service_release_and_status() {
        use crate::backend::BackendEvent;
        let placed = |offset, event: BackendEvent| PlacedEvent {
            event,
            offset,
            row: None,
        };
        let event = BackendEvent {
            id: "ee01".into(),
            title: "ZeroDivisionError: division by zero".into(),
            service: Some("checkout-api".into()),
            transaction: Some("POST /api/checkout".into()),
            release: Some("shop@1.4.2".into()),
            status_code: Some(500),
            ..BackendEvent::default()
        };
        let markers = backend_markers(&[
            placed(Some(6_000), event.clone()),
            placed(Some(9_000), BackendEvent::default()),
            placed(None, event),
        ]);
        assert_eq!(markers.len(), 2);
        assert_eq!(markers[0].offset, 6_000);
        assert_eq!(markers[0].link, "/events/ee01");
        assert_eq!(
            markers[0].label(),
            "Backend error: ZeroDivisionError: division by zero — \
             checkout-api · POST /api/checkout · shop@1.4.2 · HTTP 500"
        );
        assert_eq!(markers[1].label(), "Backend error: Backend error");
    }

    #[test]
    fn breadcrumbs_keep_level_and_message() {
        let event = EventData::Breadcrumb(Breadcrumb {
            category: "console".into(),
            level: Level::Warning,
            message: "cart is slow".into(),
            data: String::new(),
        });
        let crumb =
            Crumb::for_event(42, &event).map(|c| (c.offset, level_name(c.level), c.message));
        assert_eq!(crumb, Some((42, "warning", "cart is slow".into())));
        assert_eq!(Crumb::for_event(42, &request(500)), None);
    }

    #[test]
    fn console_levels_fall_into_the_filter_groups() {
        assert_eq!(LevelGroup::of(Level::Fatal), LevelGroup::Error);
        assert_eq!(LevelGroup::of(Level::Error), LevelGroup::Error);
        assert_eq!(LevelGroup::of(Level::Warning), LevelGroup::Warning);
        assert_eq!(LevelGroup::of(Level::Log), LevelGroup::Info);
        assert_eq!(LevelGroup::of(Level::Info), LevelGroup::Info);
        assert_eq!(LevelGroup::of(Level::Debug), LevelGroup::Debug);
    }
}
