//! Serialization of live DOM nodes into protocol [`Node`] trees with fresh ids.

use sightline_protocol::v1::{Namespace, Node};
use wasm_bindgen::JsCast;
use web_sys::{DocumentType, Element};

use super::mirror::Mirror;
use crate::stack::truncate;

/// Deepest element recorded (the root `<html>` is depth 1). Deeper subtrees are clipped: the
/// element at this depth is kept without children, which then have no ids and are ignored by the
/// mutation observer too. Each element costs two MessagePack levels of the protocol's `MAX_DEPTH`.
pub(crate) const MAX_ELEMENT_DEPTH: usize = 100;

/// Longest attribute value or text recorded, in bytes; bigger ones (inline data URLs, huge styles)
/// are cut so that one value can never make a segment undecodable.
const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Serializes `node`, which sits at element depth `depth`, with fresh ids for it and its recorded
/// descendants. Returns `None` for node types that are not recorded (processing instructions,
/// fragments).
pub(crate) fn serialize(mirror: &mut Mirror, node: &web_sys::Node, depth: usize) -> Option<Node> {
    let serialized = match node.node_type() {
        web_sys::Node::ELEMENT_NODE => {
            let element: &Element = node.unchecked_ref();
            let id = mirror.assign(node);
            let children = if depth >= MAX_ELEMENT_DEPTH || !records_children(element) {
                Vec::new()
            } else {
                children_of(mirror, node, depth + 1)
            };
            Node::Element {
                id,
                tag: element.local_name(),
                attributes: attributes_of(element),
                children,
                namespace: Namespace::from_uri(element.namespace_uri().as_deref()),
            }
        }
        web_sys::Node::TEXT_NODE => Node::Text {
            id: mirror.assign(node),
            text: text_of(node),
        },
        web_sys::Node::COMMENT_NODE => Node::Comment {
            id: mirror.assign(node),
            text: text_of(node),
        },
        web_sys::Node::CDATA_SECTION_NODE => Node::CData {
            id: mirror.assign(node),
            text: text_of(node),
        },
        web_sys::Node::DOCUMENT_TYPE_NODE => {
            let doctype: &DocumentType = node.unchecked_ref();
            Node::Doctype {
                id: mirror.assign(node),
                name: doctype.name(),
                public_id: doctype.public_id(),
                system_id: doctype.system_id(),
            }
        }
        web_sys::Node::DOCUMENT_NODE => Node::Document {
            id: mirror.assign(node),
            children: children_of(mirror, node, 1),
        },
        _ => return None,
    };
    Some(serialized)
}

/// Whether the children of `element` are recorded. A `<script>`'s text is not: the viewer never
/// runs it, so it would only cost bytes (the element itself is kept, empty).
pub(crate) fn records_children(element: &Element) -> bool {
    element.local_name() != "script"
}

/// The element depth of `node`: 0 for the document, 1 for `<html>`.
pub(crate) fn depth_of(node: &web_sys::Node) -> usize {
    let mut depth = 0;
    let mut current = node.parent_node();
    while let Some(parent) = current {
        depth += 1;
        current = parent.parent_node();
    }
    depth
}

/// The recorded text of a text, comment or CDATA node. Privacy masking will apply here.
pub(crate) fn text_of(node: &web_sys::Node) -> String {
    let mut text = node.node_value().unwrap_or_default();
    text.truncate(truncate(&text, MAX_VALUE_BYTES).len());
    text
}

/// The recorded value of an attribute. Privacy masking will apply here.
pub(crate) fn attribute_value(mut value: String) -> String {
    value.truncate(truncate(&value, MAX_VALUE_BYTES).len());
    value
}

fn children_of(mirror: &mut Mirror, node: &web_sys::Node, depth: usize) -> Vec<Node> {
    let mut children = Vec::new();
    let mut child = node.first_child();
    while let Some(current) = child {
        children.extend(serialize(mirror, &current, depth));
        child = current.next_sibling();
    }
    children
}

fn attributes_of(element: &Element) -> Vec<(String, String)> {
    let attributes = element.attributes();
    (0..attributes.length())
        .filter_map(|index| attributes.item(index))
        .map(|attribute| (attribute.name(), attribute_value(attribute.value())))
        .collect()
}
