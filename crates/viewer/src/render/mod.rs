//! Builds the mirrored page as real DOM nodes inside the player's sandboxed `<iframe>`, and keeps
//! them up to date with the [`Change`]s the player reports.
//!
//! Everything passes through the [`crate::sanitize`] rules on the way in. The renderer reads
//! values from the mirror (which already holds the state after the whole batch), so applying a
//! change twice is harmless; whenever the DOM and the mirror disagree it renders everything again.
//!
//! Shadow roots are attached (`mode: open`) to their hosts, and a recorded frame's document is
//! built inside the nested `<iframe>`'s own document, which the iframe's `sandbox` keeps as inert
//! as the player's. What is not in the tree (form values, scroll offsets, media,
//! CSSOM edits, adopted sheets) is applied once the nodes are in place.
//!
//! Nothing is added to the recorded page (no `<base>`), so the replayed DOM equals the recorded
//! one; relative URLs therefore resolve against the viewer's address. One attribute differs: a
//! `<link>` whose CSS the recorder captured points at that CSS (a `data:` URL), never at the
//! recorded site (see `render/link.rs`).

mod link;
mod state;

#[cfg(all(test, target_arch = "wasm32"))]
mod link_tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod xss_browser_tests;
#[cfg(test)]
mod xss_corpus;
#[cfg(test)]
mod xss_tests;

use std::collections::{HashMap, HashSet};

use sightline_protocol::v1::{Namespace, NodeId};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlDocument, ShadowRootInit, ShadowRootMode};

use crate::mirror::state::SheetId;
use crate::mirror::{Change, Mirror, NodeKind};
use crate::player::Step;
use crate::sanitize;

use self::link::CapturedLink;
use self::state::LiveSheet;

const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The live rendering of a mirror in one document (and the documents of its frames).
pub struct Renderer {
    document: Document,
    nodes: HashMap<NodeId, web_sys::Node>,
    /// Sheets of `<style>`/`<link>` elements: the live sheet and how many of the mirror's edits
    /// it holds. A browser parses a new sheet whenever the element's text changes.
    element_sheets: HashMap<NodeId, (JsValue, usize)>,
    /// Constructed sheets, one per document that adopts them (a sheet belongs to the window that
    /// constructed it), keyed by `(document id, style id)`.
    constructed: HashMap<(NodeId, u32), LiveSheet>,
    /// Links rendered from the CSS the recorder captured rather than from their `href`.
    captured_links: HashMap<NodeId, CapturedLink>,
}

impl Renderer {
    /// Takes over `document` (the iframe's), switching it to standards mode.
    pub fn new(document: Document) -> Self {
        to_standards_mode(&document);
        Self {
            document,
            nodes: HashMap::new(),
            element_sheets: HashMap::new(),
            constructed: HashMap::new(),
            captured_links: HashMap::new(),
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
        self.element_sheets.clear();
        self.constructed.clear();
        self.captured_links.clear();
        clear_children(&self.document);
        let Some(root) = mirror.root() else {
            state::set_adopted(&self.document, &js_sys::Array::new());
            return;
        };
        self.nodes.insert(root, self.document.clone().into());
        let mut built = vec![root];
        let document = self.document.clone();
        self.build_children(mirror, root, &document, &document, &mut built);
        self.finish(mirror, built);
    }

    /// Applies incremental changes; falls back to a full rebuild when the DOM and the mirror
    /// disagree.
    pub fn apply(&mut self, mirror: &Mirror, changes: &[Change]) {
        let mut consistent = true;
        let mut removed_any = false;
        let mut reflowed = false;
        for change in changes {
            reflowed |= matches!(
                change,
                Change::Added { .. }
                    | Change::Removed { .. }
                    | Change::Text { .. }
                    | Change::Attribute { .. }
                    | Change::Sheet { .. }
                    | Change::Adopted { .. }
            );
            let ok = match change {
                Change::Reset => false,
                Change::Removed { id, .. } => {
                    removed_any = true;
                    if let Some(node) = self.nodes.remove(id) {
                        remove(&node);
                    }
                    true
                }
                Change::Added { parent, before, id } => self.add(mirror, *parent, *before, *id),
                Change::Text { id } => self.set_text(mirror, *id),
                Change::Attribute { id, name, .. } => self.set_attribute(mirror, *id, name),
                Change::Input { id } => self.known(mirror, *id, |r| r.sync_input(mirror, *id)),
                Change::Scroll { id } => self.known(mirror, *id, |r| r.sync_scroll(mirror, *id)),
                Change::Media { id } => self.known(mirror, *id, |r| r.sync_media(mirror, *id)),
                Change::Sheet {
                    sheet: SheetId::Element(id),
                } => self.known(mirror, *id, |r| r.sync_element_sheet(mirror, *id)),
                Change::Sheet {
                    sheet: SheetId::Constructed(style_id),
                } => {
                    self.sync_constructed_everywhere(mirror, *style_id);
                    true
                }
                Change::Adopted { owner } => {
                    self.known(mirror, *owner, |r| r.sync_adopted(mirror, *owner))
                }
            };
            if !ok {
                consistent = false;
                break;
            }
        }
        if !consistent {
            self.rebuild(mirror);
            return;
        }
        if removed_any {
            self.nodes.retain(|id, _| mirror.node(*id).is_some());
            self.element_sheets
                .retain(|id, _| mirror.node(*id).is_some());
            self.constructed
                .retain(|(document, _), _| mirror.node(*document).is_some());
            self.retain_captured_links(mirror);
        }
        if reflowed {
            // The browser's scroll anchoring shifts scrolled boxes when content changes above
            // them; the recording says where they really were (anchoring fires scroll events
            // that the recorder saw).
            for id in mirror.state().scroll.keys() {
                self.sync_scroll(mirror, *id);
            }
        }
    }

    /// Runs `sync` for a node that is rendered; a node the mirror has but the DOM lacks means
    /// they disagree (`false`), a node the mirror no longer has was removed later in the batch.
    fn known(&mut self, mirror: &Mirror, id: NodeId, sync: impl FnOnce(&mut Self)) -> bool {
        if self.nodes.contains_key(&id) {
            sync(self);
            true
        } else {
            mirror.node(id).is_none()
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
            remove(&old);
        }
        let mut built = Vec::new();
        match entry.kind {
            NodeKind::ShadowRoot => {
                let Some(shadow) = attach_shadow(parent_node.unchecked_ref::<Element>()) else {
                    return true;
                };
                clear_children(&shadow);
                self.nodes.insert(id, shadow.clone());
                built.push(id);
                let Some(document) = self.owner_document(mirror, parent) else {
                    return false;
                };
                self.build_children(mirror, id, &shadow, &document, &mut built);
            }
            NodeKind::Document => {
                // A frame's content arrived: `finish` renders it into the frame.
                built.push(parent);
            }
            _ => {
                let Some(document) = self.owner_document(mirror, parent) else {
                    return false;
                };
                let Some(node) = self.build(mirror, id, &document, &mut built) else {
                    return true;
                };
                let reference = before
                    .and_then(|b| self.nodes.get(&b))
                    .filter(|b| b.parent_node().as_ref() == Some(&parent_node));
                if parent_node.insert_before(&node, reference).is_err() {
                    return false;
                }
            }
        }
        self.finish(mirror, built);
        if mirror
            .node(parent)
            .is_some_and(|n| n.kind.is_element("select"))
        {
            // The select's value may name the option that just arrived.
            self.sync_input(mirror, parent);
        }
        true
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
        if sanitize::is_fixed_attribute(tag, name)
            || (name.eq_ignore_ascii_case("href") && link::is_captured(mirror, id))
        {
            // A link with captured CSS keeps showing it, never fetching its `href`.
            return true;
        }
        if sanitize::is_value_property(tag, name) {
            self.sync_input(mirror, id);
            return true;
        }
        let value = attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| sanitize::attribute(tag, name, v));
        match value {
            Some(value) => set_attribute(element, name, value),
            None => {
                let _ = element.remove_attribute(name);
            }
        }
        true
    }

    /// The rendered document that mirror node `id` belongs to.
    fn owner_document(&self, mirror: &Mirror, id: NodeId) -> Option<Document> {
        let document = mirror.document_of(id)?;
        self.nodes
            .get(&document)
            .map(|n| n.clone().unchecked_into::<Document>())
    }

    /// Builds the children of mirror node `id` into `container` (a document or shadow root).
    fn build_children(
        &mut self,
        mirror: &Mirror,
        id: NodeId,
        container: &web_sys::Node,
        document: &Document,
        built: &mut Vec<NodeId>,
    ) {
        let children = mirror
            .node(id)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        for child in children {
            if let Some(node) = self.build(mirror, child, document, built) {
                let _ = container.append_child(&node);
            }
        }
    }

    /// Creates the DOM subtree of mirror node `id` with `document` as owner, registering every
    /// node in the map and its id in `built`. A shadow root among the children is attached to
    /// the element; a frame's document is left to [`Renderer::finish`], which needs the frame
    /// in place.
    fn build(
        &mut self,
        mirror: &Mirror,
        id: NodeId,
        document: &Document,
        built: &mut Vec<NodeId>,
    ) -> Option<web_sys::Node> {
        let entry = mirror.node(id)?;
        let node: web_sys::Node = match &entry.kind {
            NodeKind::Document | NodeKind::ShadowRoot => return None,
            NodeKind::Doctype {
                name,
                public_id,
                system_id,
            } => document
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
                    Namespace::Html => document.create_element(tag),
                    other => document.create_element_ns(Some(other.uri()), tag),
                }
                .ok()?;
                // A link with captured CSS gets it as its `href` once in place (`finish`).
                let captured = link::is_captured(mirror, id);
                for (name, value) in sanitize::attributes(tag, attributes) {
                    if !(captured && name.eq_ignore_ascii_case("href")) {
                        set_attribute(&element, name, value);
                    }
                }
                element.into()
            }
            // CDATA sections exist only in XML documents; the replay is HTML.
            NodeKind::Text(text) | NodeKind::CData(text) => document.create_text_node(text).into(),
            NodeKind::Comment(text) => document.create_comment(text).into(),
        };
        for child in &entry.children {
            match mirror.node(*child).map(|c| &c.kind) {
                Some(NodeKind::ShadowRoot) => {
                    if let Some(shadow) = attach_shadow(node.unchecked_ref::<Element>()) {
                        self.nodes.insert(*child, shadow.clone());
                        built.push(*child);
                        self.build_children(mirror, *child, &shadow, document, built);
                    }
                }
                _ => {
                    if let Some(child_node) = self.build(mirror, *child, document, built) {
                        let _ = node.append_child(&child_node);
                    }
                }
            }
        }
        self.nodes.insert(id, node.clone());
        built.push(id);
        Some(node)
    }

    /// Completes freshly built nodes once they are in the page: renders recorded frame
    /// documents into their frames, then applies sheets, adoptions, media, form values and
    /// finally scroll offsets (which need the layout the rest produces).
    fn finish(&mut self, mirror: &Mirror, mut built: Vec<NodeId>) {
        let mut at = 0;
        while at < built.len() {
            let id = built[at];
            at += 1;
            let frame_document = mirror.node(id).filter(|n| n.kind.is_frame()).and_then(|n| {
                n.children.iter().copied().find(|c| {
                    mirror
                        .node(*c)
                        .is_some_and(|c| c.kind == NodeKind::Document)
                })
            });
            if let Some(document) = frame_document {
                self.render_frame(mirror, id, document, &mut built);
            }
        }
        let fresh: HashSet<NodeId> = built.iter().copied().collect();
        for id in &built {
            match mirror.node(*id).map(|n| &n.kind) {
                Some(NodeKind::Document | NodeKind::ShadowRoot) => self.sync_adopted(mirror, *id),
                Some(kind) if kind.is_element("style") || kind.is_element("link") => {
                    self.sync_element_sheet(mirror, *id);
                }
                Some(kind) if kind.is_element("video") || kind.is_element("audio") => {
                    self.sync_media(mirror, *id);
                }
                _ => {}
            }
        }
        // Snapshot values first (a select's options are built by now), then the user's changes
        // in the order they were made: checking a radio button unchecks its group.
        for id in &built {
            let recorded_value = mirror.node(*id).is_some_and(|n| match &n.kind {
                NodeKind::Element {
                    tag, attributes, ..
                } => sanitize::value_property(tag, attributes).is_some(),
                _ => false,
            });
            if recorded_value && mirror.state().input(*id).is_none() {
                self.sync_input(mirror, *id);
            }
        }
        for (id, _) in &mirror.state().inputs {
            if fresh.contains(id) {
                self.sync_input(mirror, *id);
            }
        }
        for id in mirror.state().scroll.keys() {
            if fresh.contains(id) {
                self.sync_scroll(mirror, *id);
            }
        }
    }

    /// Renders the recorded document `document` into the rendered frame `frame`.
    fn render_frame(
        &mut self,
        mirror: &Mirror,
        frame: NodeId,
        document: NodeId,
        built: &mut Vec<NodeId>,
    ) {
        // Read as a property, not through `HTMLIFrameElement`'s getter: a recorded "frame" may
        // be a `<frame>` or an element of another namespace named `iframe` (which has no
        // document, and whose getter call would throw).
        let Some(frame_document) = self
            .nodes
            .get(&frame)
            .and_then(|f| js_sys::Reflect::get(f, &"contentDocument".into()).ok())
            .filter(|d| {
                d.is_object()
                    && js_sys::Reflect::get(d, &"nodeType".into())
                        .ok()
                        .and_then(|t| t.as_f64())
                        == Some(f64::from(web_sys::Node::DOCUMENT_NODE))
            })
            .map(JsCast::unchecked_into::<Document>)
        else {
            return;
        };
        to_standards_mode(&frame_document);
        clear_children(&frame_document);
        self.constructed.retain(|(d, _), _| *d != document);
        self.nodes.insert(document, frame_document.clone().into());
        built.push(document);
        self.build_children(mirror, document, &frame_document, &frame_document, built);
    }
}

/// Switches a fresh document to standards mode. Its objects may come from another realm, where
/// `instanceof` checks against this window's classes fail: cast unchecked (every `Document` in a
/// browser is an `HTMLDocument`). A parsed doctype is the only way to leave quirks mode; the
/// parsed nodes are replaced right away.
fn to_standards_mode(document: &Document) {
    let html = document.unchecked_ref::<HtmlDocument>();
    let _ = html.open();
    let _ = html.write_1("<!DOCTYPE html><html><head></head><body></body></html>");
    let _ = html.close();
}

/// Attaches an open shadow root to `host`, or takes the one it has; `None` when the element
/// cannot host one.
fn attach_shadow(host: &Element) -> Option<web_sys::Node> {
    if let Some(existing) = host.shadow_root() {
        return Some(existing.into());
    }
    host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .ok()
        .map(Into::into)
}

/// Removes every child of a document, shadow root or element.
fn clear_children(node: &web_sys::Node) {
    while let Some(child) = node.first_child() {
        if node.remove_child(&child).is_err() {
            break;
        }
    }
}

/// Takes a node out of the page. A shadow root cannot be detached from its host, and a frame's
/// document not from its frame: they are emptied instead.
fn remove(node: &web_sys::Node) {
    match node.node_type() {
        web_sys::Node::DOCUMENT_FRAGMENT_NODE => {
            clear_children(node);
            state::set_adopted(node, &js_sys::Array::new());
        }
        web_sys::Node::DOCUMENT_NODE => clear_children(node),
        _ => {
            if let Some(parent) = node.parent_node() {
                let _ = parent.remove_child(node);
            }
        }
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
