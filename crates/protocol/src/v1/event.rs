//! Recorded events: `[kind, dt, …fields]` tuples with `dt` in ms since the previous event.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::interaction::{
    AdoptedStyleSheets, Breadcrumb, Input, Media, MouseInteraction, MouseMove, NavigationKind,
    StyleSheetRule,
};
use super::node::{Node, NodeId};
use super::tuple::{field, skip_rest, write_tuple};

/// One recorded event: what happened and how long after the previous event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the previous event of the segment (the first event: since the header's
    /// `start`).
    pub dt: u32,
    /// What happened.
    pub data: EventData,
}

impl Event {
    /// Creates an event `dt` ms after the previous one.
    #[must_use]
    pub fn new(dt: u32, data: EventData) -> Self {
        Self { dt, data }
    }
}

/// The kinds of recorded events. The wire kind number of each variant is fixed forever.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventData {
    /// Kind 0: the page being recorded.
    Meta {
        /// The page URL.
        href: String,
        /// Viewport width in CSS pixels.
        width: u32,
        /// Viewport height in CSS pixels.
        height: u32,
        /// The browser's user agent string.
        user_agent: String,
    },
    /// Kind 1: a full snapshot of the document; a checkpoint the viewer can start from.
    FullSnapshot {
        /// The document node.
        root: Node,
    },
    /// Kind 2: a batch of DOM changes, applied in the order removes, adds, texts, attributes.
    Mutation(Mutation),
    /// Kind 3: a click or similar interaction.
    MouseInteraction {
        /// What the user did.
        interaction: MouseInteraction,
        /// The node that received it.
        id: NodeId,
        /// Viewport x in CSS pixels.
        x: i32,
        /// Viewport y in CSS pixels.
        y: i32,
    },
    /// Kind 4: an uncaught JS error or unhandled promise rejection.
    JsError(JsError),
    /// Kind 5: a finished fetch or XHR request; the event's time is when it finished.
    NetworkRequest(NetworkRequest),
    /// Kind 6: pointer positions while the mouse moved (batched, delta-coded).
    MouseMove(MouseMove),
    /// Kind 7: the window (the document's node id) or an element scrolled.
    Scroll {
        /// The document node for the window, else the scrolled element.
        id: NodeId,
        /// `scrollLeft` / `scrollX` in CSS pixels.
        x: i32,
        /// `scrollTop` / `scrollY` in CSS pixels.
        y: i32,
    },
    /// Kind 8: the viewport changed size.
    ViewportResize {
        /// New width in CSS pixels.
        width: u32,
        /// New height in CSS pixels.
        height: u32,
    },
    /// Kind 9: a form control's value or checked state changed.
    Input(Input),
    /// Kind 10: a media element played, paused, seeked or changed volume or rate.
    Media(Media),
    /// Kind 11: a stylesheet changed through the CSSOM.
    StyleSheetRule(StyleSheetRule),
    /// Kind 12: a document's or shadow root's adopted stylesheets changed.
    AdoptedStyleSheets(AdoptedStyleSheets),
    /// Kind 13: the URL changed without a new snapshot (single-page app navigation).
    Navigation {
        /// The new URL.
        href: String,
        /// How it changed.
        kind: NavigationKind,
    },
    /// Kind 14: a console message or application breadcrumb.
    Breadcrumb(Breadcrumb),
    /// Kind 15: an application-defined event.
    Custom {
        /// What the event is, such as `set_user`.
        tag: String,
        /// Its data as JSON.
        payload: String,
    },
}

impl EventData {
    pub(super) fn kind(&self) -> u8 {
        match self {
            Self::Meta { .. } => 0,
            Self::FullSnapshot { .. } => 1,
            Self::Mutation(_) => 2,
            Self::MouseInteraction { .. } => 3,
            Self::JsError(_) => 4,
            Self::NetworkRequest(_) => 5,
            Self::MouseMove(_) => 6,
            Self::Scroll { .. } => 7,
            Self::ViewportResize { .. } => 8,
            Self::Input(_) => 9,
            Self::Media(_) => 10,
            Self::StyleSheetRule(_) => 11,
            Self::AdoptedStyleSheets(_) => 12,
            Self::Navigation { .. } => 13,
            Self::Breadcrumb(_) => 14,
            Self::Custom { .. } => 15,
        }
    }
}

/// DOM changes observed together (one `MutationObserver` callback).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mutation {
    /// Nodes removed from their parents.
    pub removes: Vec<RemovedNode>,
    /// Subtrees inserted, in an order where every `next_id` already exists when applied.
    pub adds: Vec<AddedNode>,
    /// Text and comment content changes.
    pub texts: Vec<TextChange>,
    /// Attribute changes.
    pub attributes: Vec<AttributeChange>,
}

/// A subtree inserted under `parent_id`, before `next_id` (or appended when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedNode {
    /// The new parent.
    pub parent_id: NodeId,
    /// The sibling the node is inserted before; `None` appends.
    pub next_id: Option<NodeId>,
    /// The inserted subtree, with fresh ids.
    pub node: Node,
}

/// A node removed from `parent_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedNode {
    /// The former parent.
    pub parent_id: NodeId,
    /// The removed node (its whole subtree goes with it).
    pub id: NodeId,
}

/// New content of a text, comment or CDATA node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    /// The changed node.
    pub id: NodeId,
    /// Its new text.
    pub text: String,
}

/// An attribute set or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// The element.
    pub id: NodeId,
    /// Attribute name.
    pub name: String,
    /// The new value; `None` when the attribute was removed.
    pub value: Option<String>,
}

/// An uncaught error in the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsError {
    /// The error's event id (32 hex), under which it is listed in the replay's `error_ids`.
    pub event_id: String,
    /// The error's constructor name, such as `TypeError`.
    pub error_type: String,
    /// The error message.
    pub message: String,
    /// Parsed stack frames, innermost first.
    pub frames: Vec<StackFrame>,
    /// The page's release when the error happened.
    pub release: String,
}

/// One parsed frame of a JS stack trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFrame {
    /// Function name, empty when anonymous.
    pub function: String,
    /// Script URL.
    pub filename: String,
    /// 1-based line number, 0 when unknown.
    pub lineno: u32,
    /// 1-based column number, 0 when unknown.
    pub colno: u32,
}

/// A finished HTTP request made by the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRequest {
    /// HTTP method.
    pub method: String,
    /// Request URL (the recorder strips query-string values).
    pub url: String,
    /// Response status; 0 when the request failed without a response.
    pub status: u16,
    /// Time from start to end in ms; the request started `duration` ms before the event.
    pub duration: u32,
    /// Trace id sent in `sentry-trace` (32 hex), empty when the request was not traced.
    pub trace_id: String,
    /// Span id sent in `sentry-trace` (16 hex), empty when the request was not traced.
    pub span_id: String,
    /// Response body size in bytes, when known.
    pub response_size: Option<u64>,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kind = self.data.kind();
        let dt = &self.dt;
        match &self.data {
            EventData::Meta {
                href,
                width,
                height,
                user_agent,
            } => write_tuple!(serializer; &kind, dt, href, width, height, user_agent),
            EventData::FullSnapshot { root } => write_tuple!(serializer; &kind, dt, root),
            EventData::Mutation(m) => {
                write_tuple!(serializer; &kind, dt, &m.removes, &m.adds, &m.texts, &m.attributes)
            }
            EventData::MouseInteraction {
                interaction,
                id,
                x,
                y,
            } => write_tuple!(serializer; &kind, dt, interaction, id, x, y),
            EventData::JsError(e) => write_tuple!(
                serializer; &kind, dt, &e.event_id, &e.error_type, &e.message, &e.frames, &e.release
            ),
            EventData::NetworkRequest(r) => write_tuple!(
                serializer; &kind, dt, &r.method, &r.url, &r.status, &r.duration, &r.trace_id,
                &r.span_id, &r.response_size
            ),
            EventData::MouseMove(m) => write_tuple!(serializer; &kind, dt, &m.x, &m.y, &m.deltas),
            EventData::Scroll { id, x, y } => write_tuple!(serializer; &kind, dt, id, x, y),
            EventData::ViewportResize { width, height } => {
                write_tuple!(serializer; &kind, dt, width, height)
            }
            EventData::Input(i) => write_tuple!(serializer; &kind, dt, &i.id, &i.value, &i.checked),
            EventData::Media(m) => write_tuple!(
                serializer; &kind, dt, &m.id, &m.action, &m.current_time, &m.volume, &m.muted,
                &m.rate
            ),
            EventData::StyleSheetRule(r) => {
                write_tuple!(serializer; &kind, dt, &r.node_id, &r.style_id, &r.ops)
            }
            EventData::AdoptedStyleSheets(a) => {
                write_tuple!(serializer; &kind, dt, &a.owner_id, &a.style_ids, &a.new_sheets)
            }
            EventData::Navigation { href, kind: how } => {
                write_tuple!(serializer; &kind, dt, href, how)
            }
            EventData::Breadcrumb(b) => write_tuple!(
                serializer; &kind, dt, &b.category, &b.level, &b.message, &b.data
            ),
            EventData::Custom { tag, payload } => write_tuple!(serializer; &kind, dt, tag, payload),
        }
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event tuple [kind, dt, …]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Event, A::Error> {
        let kind: u8 = field(&mut seq, "event kind")?;
        let dt: u32 = field(&mut seq, "dt")?;
        let data = match kind {
            0 => EventData::Meta {
                href: field(&mut seq, "href")?,
                width: field(&mut seq, "width")?,
                height: field(&mut seq, "height")?,
                user_agent: field(&mut seq, "user_agent")?,
            },
            1 => EventData::FullSnapshot {
                root: field(&mut seq, "root")?,
            },
            2 => EventData::Mutation(Mutation {
                removes: field(&mut seq, "removes")?,
                adds: field(&mut seq, "adds")?,
                texts: field(&mut seq, "texts")?,
                attributes: field(&mut seq, "attributes")?,
            }),
            3 => EventData::MouseInteraction {
                interaction: field(&mut seq, "interaction")?,
                id: field(&mut seq, "id")?,
                x: field(&mut seq, "x")?,
                y: field(&mut seq, "y")?,
            },
            4 => EventData::JsError(JsError {
                event_id: field(&mut seq, "event_id")?,
                error_type: field(&mut seq, "error_type")?,
                message: field(&mut seq, "message")?,
                frames: field(&mut seq, "frames")?,
                release: field(&mut seq, "release")?,
            }),
            5 => EventData::NetworkRequest(NetworkRequest {
                method: field(&mut seq, "method")?,
                url: field(&mut seq, "url")?,
                status: field(&mut seq, "status")?,
                duration: field(&mut seq, "duration")?,
                trace_id: field(&mut seq, "trace_id")?,
                span_id: field(&mut seq, "span_id")?,
                response_size: field(&mut seq, "response_size")?,
            }),
            6 => EventData::MouseMove(MouseMove {
                x: field(&mut seq, "x")?,
                y: field(&mut seq, "y")?,
                deltas: field(&mut seq, "deltas")?,
            }),
            7 => EventData::Scroll {
                id: field(&mut seq, "id")?,
                x: field(&mut seq, "x")?,
                y: field(&mut seq, "y")?,
            },
            8 => EventData::ViewportResize {
                width: field(&mut seq, "width")?,
                height: field(&mut seq, "height")?,
            },
            9 => EventData::Input(Input {
                id: field(&mut seq, "id")?,
                value: field(&mut seq, "value")?,
                checked: field(&mut seq, "checked")?,
            }),
            10 => EventData::Media(Media {
                id: field(&mut seq, "id")?,
                action: field(&mut seq, "action")?,
                current_time: field(&mut seq, "current_time")?,
                volume: field(&mut seq, "volume")?,
                muted: field(&mut seq, "muted")?,
                rate: field(&mut seq, "rate")?,
            }),
            11 => EventData::StyleSheetRule(StyleSheetRule {
                node_id: field(&mut seq, "node_id")?,
                style_id: field(&mut seq, "style_id")?,
                ops: field(&mut seq, "ops")?,
            }),
            12 => EventData::AdoptedStyleSheets(AdoptedStyleSheets {
                owner_id: field(&mut seq, "owner_id")?,
                style_ids: field(&mut seq, "style_ids")?,
                new_sheets: field(&mut seq, "new_sheets")?,
            }),
            13 => EventData::Navigation {
                href: field(&mut seq, "href")?,
                kind: field(&mut seq, "kind")?,
            },
            14 => EventData::Breadcrumb(Breadcrumb {
                category: field(&mut seq, "category")?,
                level: field(&mut seq, "level")?,
                message: field(&mut seq, "message")?,
                data: field(&mut seq, "data")?,
            }),
            15 => EventData::Custom {
                tag: field(&mut seq, "tag")?,
                payload: field(&mut seq, "payload")?,
            },
            other => {
                return Err(de::Error::custom(format_args!(
                    "unknown event kind {other}"
                )));
            }
        };
        skip_rest(&mut seq)?;
        Ok(Event { dt, data })
    }
}
