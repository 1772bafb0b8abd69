//! Builds the mirrored page as real DOM nodes inside the player's sandboxed `<iframe>`, and keeps
//! them up to date with the [`Change`]s the player reports.
//!
//! Everything passes through the [`crate::sanitize`] rules on the way in. The renderer reads
//! values from the mirror (which already holds the state after the whole batch), so applying a
//! change twice is harmless; whenever the DOM and the mirror disagree it renders everything again.
//!
//! Nothing is added to the recorded page (no `<base>`), so the replayed DOM equals the recorded
//! one; relative URLs therefore resolve against the viewer's address.

use std::collections::HashMap;

use sightline_protocol::v1::{Namespace, NodeId};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlDocument};

use crate::mirror::{Change, Mirror, NodeKind};
use crate::player::Step;
use crate::sanitize;

const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The live rendering of a mirror in one document.
pub struct Renderer {
    document: Document,
    nodes: HashMap<NodeId, web_sys::Node>,
}

impl Renderer {
    /// Takes over `document` (the iframe's), switching it to standards mode.
    pub fn new(document: Document) -> Self {
        // The iframe's objects come from another realm, where `instanceof` checks against this
        // window's classes fail: cast unchecked (every `Document` in a browser is an
        // `HTMLDocument`). A parsed doctype is the only way to leave quirks mode; the parsed
        // nodes are replaced right away.
        let html = document.unchecked_ref::<HtmlDocument>();
        let _ = html.open();
        let _ = html.write_1("<!DOCTYPE html><html><head></head><body></body></html>");
        let _ = html.close();
        Self {
            document,
            nodes: HashMap::new(),
        }
    }

    /// Brings the rendered page in line with the mirror after a player step.
    pub fn update(&mut self, mirror: &Mirror, step: &Step) {
        match step {
            Step::Nothing => {}
            Step::Rebuild => self.rebuild(mirror),
            Step::Changes(changes) => self.apply(mirror, changes),
        }
    }

    /// Renders the whole mirror again.
    pub fn rebuild(&mut self, mirror: &Mirror) {
        self.nodes.clear();
        while let Some(child) = self.document.first_child() {
            if self.document.remove_child(&child).is_err() {
                break;
            }
        }
        let Some(root) = mirror.root() else {
            return;
        };
        self.nodes.insert(root, self.document.clone().into());
        let children = mirror
            .node(root)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        for child in children {
            if let Some(node) = self.build(mirror, child) {
                let _ = self.document.append_child(&node);
            }
        }
    }

    /// Applies incremental changes; falls back to a full rebuild when the DOM and the mirror
    /// disagree.
    pub fn apply(&mut self, mirror: &Mirror, changes: &[Change]) {
        let mut consistent = true;
        let mut removed_any = false;
        for change in changes {
            let ok = match change {
                Change::Reset => false,
                Change::Removed { id, .. } => {
                    removed_any = true;
                    if let Some(node) = self.nodes.remove(id) {
                        detach(&node);
                    }
                    true
                }
                Change::Added { parent, before, id } => self.add(mirror, *parent, *before, *id),
                Change::Text { id } => self.set_text(mirror, *id),
                Change::Attribute { id, name, .. } => self.set_attribute(mirror, *id, name),
                _ => true,
            };
            if !ok {
                consistent = false;
                break;
            }
        }
        if !consistent {
            self.rebuild(mirror);
        } else if removed_any {
            self.nodes.retain(|id, _| mirror.node(*id).is_some());
        }
    }

    fn add(&mut self, mirror: &Mirror, parent: NodeId, before: Option<NodeId>, id: NodeId) -> bool {
        let Some(entry) = mirror.node(id) else {
            // Removed again later in the same batch.
            return true;
        };
        if entry.parent != Some(parent) {
            // Moved again later in the same batch; a later change places it.
            return true;
        }
        let Some(parent_node) = self.nodes.get(&parent).cloned() else {
            return mirror.node(parent).is_none();
        };
        if let Some(old) = self.nodes.remove(&id) {
            detach(&old);
        }
        let Some(node) = self.build(mirror, id) else {
            return true;
        };
        let reference = before
            .and_then(|b| self.nodes.get(&b))
            .filter(|b| b.parent_node().as_ref() == Some(&parent_node));
        parent_node.insert_before(&node, reference).is_ok()
    }

    fn set_text(&self, mirror: &Mirror, id: NodeId) -> bool {
        let text = match mirror.node(id).map(|n| &n.kind) {
            Some(NodeKind::Text(t) | NodeKind::Comment(t) | NodeKind::CData(t)) => t,
            _ => return true,
        };
        match self.nodes.get(&id) {
            Some(node) => {
                node.set_node_value(Some(text));
                true
            }
            None => false,
        }
    }

    fn set_attribute(&self, mirror: &Mirror, id: NodeId, name: &str) -> bool {
        let Some(NodeKind::Element {
            tag, attributes, ..
        }) = mirror.node(id).map(|n| &n.kind)
        else {
            return true;
        };
        let Some(element) = self
            .nodes
            .get(&id)
            .filter(|n| n.node_type() == web_sys::Node::ELEMENT_NODE)
            .map(|n| n.unchecked_ref::<Element>())
        else {
            return false;
        };
        let value = attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| sanitize::attribute(tag, name, v));
        if sanitize::is_script(tag) && name.eq_ignore_ascii_case("type") {
            return true;
        }
        match value {
            Some(value) => set_attribute(element, name, value),
            None => {
                let _ = element.remove_attribute(name);
            }
        }
        true
    }

    /// Creates the DOM subtree of mirror node `id`, registering every node in the map.
    fn build(&mut self, mirror: &Mirror, id: NodeId) -> Option<web_sys::Node> {
        let entry = mirror.node(id)?;
        let node: web_sys::Node = match &entry.kind {
            NodeKind::Document => return None,
            NodeKind::Doctype {
                name,
                public_id,
                system_id,
            } => self
                .document
                .implementation()
                .ok()?
                .create_document_type(name, public_id, system_id)
                .ok()?
                .into(),
            NodeKind::Element {
                tag,
                namespace,
                attributes,
            } => {
                let element = match namespace {
                    Namespace::Html => self.document.create_element(tag),
                    other => self.document.create_element_ns(Some(other.uri()), tag),
                }
                .ok()?;
                for (name, value) in sanitize::attributes(tag, attributes) {
                    set_attribute(&element, name, value);
                }
                element.into()
            }
            // CDATA sections exist only in XML documents; the replay is HTML.
            NodeKind::Text(text) | NodeKind::CData(text) => {
                self.document.create_text_node(text).into()
            }
            NodeKind::Comment(text) => self.document.create_comment(text).into(),
            NodeKind::ShadowRoot => return None,
        };
        for child in &entry.children {
            if let Some(child_node) = self.build(mirror, *child) {
                let _ = node.append_child(&child_node);
            }
        }
        self.nodes.insert(id, node.clone());
        Some(node)
    }
}

/// Takes a node out of its parent, if it has one.
fn detach(node: &web_sys::Node) {
    if let Some(parent) = node.parent_node() {
        let _ = parent.remove_child(node);
    }
}

/// Sets an attribute, in its XML namespace when its prefix says so; invalid names are ignored.
fn set_attribute(element: &Element, name: &str, value: &str) {
    let namespace = if name.starts_with("xlink:") {
        Some(XLINK_NS)
    } else if name.starts_with("xml:") {
        Some(XML_NS)
    } else if name == "xmlns" || name.starts_with("xmlns:") {
        Some(XMLNS_NS)
    } else {
        None
    };
    let result: Result<(), JsValue> = match namespace {
        Some(ns) if element.namespace_uri().as_deref() != Some(Namespace::Html.uri()) => {
            element.set_attribute_ns(Some(ns), name, value)
        }
        _ => element.set_attribute(name, value),
    };
    let _ = result;
}
