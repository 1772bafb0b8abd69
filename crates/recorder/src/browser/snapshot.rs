//! Serialization of live DOM nodes into protocol [`Node`] trees with fresh ids, masked as the
//! [`Privacy`] rules say.

use sightline_protocol::v1::Node;
use wasm_bindgen::JsCast;
use web_sys::{DocumentType, Element, ShadowRoot};

use super::frames::{as_document, as_shadow_root, content_document, frame_element};
use super::mirror::Mirror;
use super::privacy::{Context, ElementName, Privacy};
use super::stylesheets::is_stylesheet_link;
use crate::mask::TextRole;

/// Deepest element recorded (the root `<html>` is depth 1). Deeper subtrees are clipped: the
/// element at this depth is kept without children, which then have no ids and are ignored by the
/// mutation observer too. Each element costs two MessagePack levels of the protocol's `MAX_DEPTH`.
pub(crate) const MAX_ELEMENT_DEPTH: usize = 100;

/// Serializes `node`, which sits at element depth `depth` in a parent described by `context`,
/// with fresh ids for it and its recorded descendants. Returns `None` for node types that are not
/// recorded (processing instructions, fragments).
pub(crate) fn serialize(
    mirror: &mut Mirror,
    privacy: &Privacy,
    node: &web_sys::Node,
    depth: usize,
    context: Context,
) -> Option<Node> {
    let serialized = match node.node_type() {
        web_sys::Node::ELEMENT_NODE => {
            let element: &Element = node.unchecked_ref();
            let id = mirror.assign(node);
            let name = ElementName::of(element);
            let policy = privacy.enter(context.scope, element, &name);
            let attributes = privacy.attributes(element, &name, &policy);
            let recorded = name.tag != "script" && !policy.blocked;
            if is_stylesheet_link(element) {
                mirror.note_link(element);
            }
            let children = if depth >= MAX_ELEMENT_DEPTH || !recorded {
                Vec::new()
            } else {
                let inside = Privacy::inside(&name, &policy);
                if let Some(document) = content_document(element) {
                    // A same-origin frame: its document is its only recorded child.
                    mirror.note_frame(element, &document);
                    let content = serialize(mirror, privacy, &document, depth, inside);
                    return Some(Node::Element {
                        id,
                        tag: name.tag,
                        attributes,
                        children: content.into_iter().collect(),
                        namespace: name.namespace,
                    });
                }
                let mut children = Vec::new();
                if let Some(root) = element.shadow_root() {
                    children.push(shadow_root(mirror, privacy, &root, depth + 1, inside));
                }
                children.extend(children_of(mirror, privacy, node, depth + 1, inside));
                children
            };
            Node::Element {
                id,
                tag: name.tag,
                attributes,
                children,
                namespace: name.namespace,
            }
        }
        web_sys::Node::TEXT_NODE => Node::Text {
            id: mirror.assign(node),
            text: privacy.text(node, context),
        },
        web_sys::Node::COMMENT_NODE => Node::Comment {
            id: mirror.assign(node),
            text: privacy.text(node, context),
        },
        web_sys::Node::CDATA_SECTION_NODE => Node::CData {
            id: mirror.assign(node),
            text: privacy.text(node, context),
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
        web_sys::Node::DOCUMENT_NODE => {
            // The page's document at depth 0, a frame's at its frame's depth.
            let context = Context {
                text: TextRole::Text,
                ..context
            };
            Node::Document {
                id: mirror.assign(node),
                children: children_of(mirror, privacy, node, depth + 1, context),
            }
        }
        _ => return None,
    };
    Some(serialized)
}

/// Serializes the open shadow root `root` of an element at depth `depth - 1`, whose content is
/// in `context` (the host's inside).
pub(crate) fn shadow_root(
    mirror: &mut Mirror,
    privacy: &Privacy,
    root: &ShadowRoot,
    depth: usize,
    context: Context,
) -> Node {
    let context = Context {
        text: TextRole::Text,
        ..context
    };
    Node::ShadowRoot {
        id: mirror.assign_shadow_root(root),
        children: children_of(mirror, privacy, root, depth, context),
    }
}

/// Whether the children of `element` are recorded. A `<script>`'s text is not: the viewer never
/// runs it, so it would only cost bytes (the element itself is kept, empty). Nor is the content
/// of a blocked element, which is recorded as an empty placeholder.
pub(crate) fn records_children(privacy: &Privacy, element: &Element) -> bool {
    element.local_name() != "script" && !privacy.is_blocked(element)
}

/// The element depth of `node`: 0 for the document, 1 for `<html>`. A shadow root counts as a
/// child of its host, a frame's document as its frame (its `<html>` one deeper).
pub(crate) fn depth_of(node: &web_sys::Node) -> usize {
    let mut depth = 0;
    let mut current = node.clone();
    loop {
        let parent = match current.parent_node() {
            Some(parent) => parent,
            None => {
                if let Some(root) = as_shadow_root(&current) {
                    root.host().into()
                } else if let Some(frame) = as_document(&current).and_then(frame_element) {
                    // The frame's depth is the document's; the step below counts its `<html>`.
                    current = frame.into();
                    continue;
                } else {
                    return depth;
                }
            }
        };
        depth += 1;
        current = parent;
    }
}

fn children_of(
    mirror: &mut Mirror,
    privacy: &Privacy,
    node: &web_sys::Node,
    depth: usize,
    context: Context,
) -> Vec<Node> {
    let mut children = Vec::new();
    let mut child = node.first_child();
    while let Some(current) = child {
        child = current.next_sibling();
        if mirror.out_of_time() {
            mirror.defer(current);
        } else {
            children.extend(serialize(mirror, privacy, &current, depth, context));
        }
    }
    children
}
