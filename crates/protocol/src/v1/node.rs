//! The serialized DOM: a tree of nodes with numeric ids, as taken by a full snapshot or added by a
//! mutation.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::tuple::{field, skip_rest, write_tuple};

/// A node's id, unique within a replay; the recorder assigns them and mutations refer to them.
pub type NodeId = u32;

/// The XML namespace of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Namespace {
    /// `http://www.w3.org/1999/xhtml`.
    #[default]
    Html,
    /// `http://www.w3.org/2000/svg`.
    Svg,
    /// `http://www.w3.org/1998/Math/MathML`.
    MathMl,
}

impl Namespace {
    /// The namespace URI, as passed to `createElementNS`.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Html => "http://www.w3.org/1999/xhtml",
            Self::Svg => "http://www.w3.org/2000/svg",
            Self::MathMl => "http://www.w3.org/1998/Math/MathML",
        }
    }

    /// The namespace for a URI as reported by `Element.namespaceURI` (HTML when unknown).
    pub fn from_uri(uri: Option<&str>) -> Self {
        match uri {
            Some("http://www.w3.org/2000/svg") => Self::Svg,
            Some("http://www.w3.org/1998/Math/MathML") => Self::MathMl,
            _ => Self::Html,
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            Self::Html => 0,
            Self::Svg => 1,
            Self::MathMl => 2,
        }
    }

    fn from_code<E: de::Error>(code: u8) -> Result<Self, E> {
        match code {
            0 => Ok(Self::Html),
            1 => Ok(Self::Svg),
            2 => Ok(Self::MathMl),
            other => Err(E::custom(format_args!("unknown namespace {other}"))),
        }
    }
}

/// One node of a serialized DOM tree. Encoded as `[type, id, …fields]`.
///
/// Two placements are special: an element's open shadow root is a [`Node::ShadowRoot`] that comes
/// first among the element's children, and a same-origin `<iframe>`'s content is a
/// [`Node::Document`] as the iframe element's only child. Mutations inside either name that node's
/// id as the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Node {
    /// The document (type 0).
    Document {
        /// Node id.
        id: NodeId,
        /// Child nodes (doctype, the root element, top-level comments).
        children: Vec<Node>,
    },
    /// `<!DOCTYPE …>` (type 1).
    Doctype {
        /// Node id.
        id: NodeId,
        /// Doctype name, `html` for HTML5.
        name: String,
        /// Public identifier, usually empty.
        public_id: String,
        /// System identifier, usually empty.
        system_id: String,
    },
    /// An element (type 2).
    Element {
        /// Node id.
        id: NodeId,
        /// Tag name as the DOM reports it in lower case for HTML (`div`), as written for SVG
        /// (`linearGradient`).
        tag: String,
        /// Attributes as `(name, value)` in document order.
        attributes: Vec<(String, String)>,
        /// Child nodes.
        children: Vec<Node>,
        /// Namespace; omitted on the wire when HTML.
        namespace: Namespace,
    },
    /// A text node (type 3).
    Text {
        /// Node id.
        id: NodeId,
        /// Text content.
        text: String,
    },
    /// A comment (type 4).
    Comment {
        /// Node id.
        id: NodeId,
        /// Comment text.
        text: String,
    },
    /// A CDATA section (type 5; only in XML documents).
    CData {
        /// Node id.
        id: NodeId,
        /// Section text.
        text: String,
    },
    /// An open shadow root (type 6), first among its host element's children.
    ShadowRoot {
        /// Node id.
        id: NodeId,
        /// The shadow tree's top-level nodes.
        children: Vec<Node>,
    },
}

impl Node {
    /// The node's id.
    pub fn id(&self) -> NodeId {
        match self {
            Self::Document { id, .. }
            | Self::Doctype { id, .. }
            | Self::Element { id, .. }
            | Self::Text { id, .. }
            | Self::Comment { id, .. }
            | Self::CData { id, .. }
            | Self::ShadowRoot { id, .. } => *id,
        }
    }

    /// The node's children (empty for leaf nodes).
    pub fn children(&self) -> &[Node] {
        match self {
            Self::Document { children, .. }
            | Self::Element { children, .. }
            | Self::ShadowRoot { children, .. } => children,
            _ => &[],
        }
    }

    /// Creates an HTML element with no namespace override.
    #[must_use]
    pub fn element(
        id: NodeId,
        tag: impl Into<String>,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    ) -> Self {
        Self::Element {
            id,
            tag: tag.into(),
            attributes,
            children,
            namespace: Namespace::Html,
        }
    }

    /// Creates a text node.
    #[must_use]
    pub fn text(id: NodeId, text: impl Into<String>) -> Self {
        Self::Text {
            id,
            text: text.into(),
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Document { id, children } => write_tuple!(serializer; &0u8, id, children),
            Self::Doctype {
                id,
                name,
                public_id,
                system_id,
            } => write_tuple!(serializer; &1u8, id, name, public_id, system_id),
            Self::Element {
                id,
                tag,
                attributes,
                children,
                namespace: Namespace::Html,
            } => write_tuple!(serializer; &2u8, id, tag, attributes, children),
            Self::Element {
                id,
                tag,
                attributes,
                children,
                namespace,
            } => write_tuple!(serializer; &2u8, id, tag, attributes, children, &namespace.code()),
            Self::Text { id, text } => write_tuple!(serializer; &3u8, id, text),
            Self::Comment { id, text } => write_tuple!(serializer; &4u8, id, text),
            Self::CData { id, text } => write_tuple!(serializer; &5u8, id, text),
            Self::ShadowRoot { id, children } => write_tuple!(serializer; &6u8, id, children),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a node tuple [type, id, …]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let kind: u8 = field(&mut seq, "node type")?;
        let id: NodeId = field(&mut seq, "node id")?;
        let node = match kind {
            0 => Node::Document {
                id,
                children: field(&mut seq, "children")?,
            },
            1 => Node::Doctype {
                id,
                name: field(&mut seq, "name")?,
                public_id: field(&mut seq, "public_id")?,
                system_id: field(&mut seq, "system_id")?,
            },
            2 => Node::Element {
                id,
                tag: field(&mut seq, "tag")?,
                attributes: field(&mut seq, "attributes")?,
                children: field(&mut seq, "children")?,
                namespace: match seq.next_element::<u8>()? {
                    Some(code) => Namespace::from_code(code)?,
                    None => Namespace::Html,
                },
            },
            3 => Node::Text {
                id,
                text: field(&mut seq, "text")?,
            },
            4 => Node::Comment {
                id,
                text: field(&mut seq, "text")?,
            },
            5 => Node::CData {
                id,
                text: field(&mut seq, "text")?,
            },
            6 => Node::ShadowRoot {
                id,
                children: field(&mut seq, "children")?,
            },
            other => {
                return Err(de::Error::custom(format_args!("unknown node type {other}")));
            }
        };
        skip_rest(&mut seq)?;
        Ok(node)
    }
}
