//! Recorded events: `[kind, dt, …fields]` tuples with `dt` in ms since the previous event.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
}

impl EventData {
    fn kind(&self) -> u8 {
        match self {
            Self::Meta { .. } => 0,
            Self::FullSnapshot { .. } => 1,
            Self::Mutation(_) => 2,
            Self::MouseInteraction { .. } => 3,
            Self::JsError(_) => 4,
            Self::NetworkRequest(_) => 5,
        }
    }
}

/// A pointer interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MouseInteraction {
    /// A primary-button click (code 0).
    Click,
}

impl Serialize for MouseInteraction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match self {
            Self::Click => 0,
        })
    }
}

impl<'de> Deserialize<'de> for MouseInteraction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            0 => Ok(Self::Click),
            other => Err(de::Error::custom(format_args!(
                "unknown mouse interaction {other}"
            ))),
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
                &r.span_id
            ),
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
            }),
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
