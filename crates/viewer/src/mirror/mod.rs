//! The mirrored page: the recorded DOM as an id → node map that full snapshots reset and mutations
//! change, plus what the page shows besides its nodes (see [`state`]): form values, scroll
//! positions, media, CSSOM edits, adopted stylesheets, the URL and the viewport.
//!
//! Two placements are special, as in the protocol: an open shadow root is a
//! [`NodeKind::ShadowRoot`] child of its host (first among the host's children), and a
//! same-origin frame's content is a [`NodeKind::Document`] child of the `<iframe>` element.
//!
//! Recordings come from outside the process, so nothing here trusts them: a change that refers
//! to an unknown node is skipped and counted in [`Mirror::skipped`], never a panic. Every applied
//! change is reported as a [`Change`] so that a renderer can update a live DOM incrementally.

mod node_map;
pub mod state;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use std::collections::{HashMap, HashSet};

use sightline_protocol::v1::{
    AdoptedStyleSheets, EventData, Input, Media, Mutation, Namespace, Node, NodeId, StyleSheetRule,
};

use self::node_map::NodeMap;
use self::state::{
    CarriedState, ConstructedSheetState, DocumentState, InputState, MediaState, SessionState,
    SheetId,
};

/// What a mirrored node is, without its tree links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// The document.
    Document,
    /// `<!DOCTYPE …>`.
    Doctype {
        /// Doctype name.
        name: String,
        /// Public identifier.
        public_id: String,
        /// System identifier.
        system_id: String,
    },
    /// An element.
    Element {
        /// Tag name as recorded.
        tag: String,
        /// Namespace.
        namespace: Namespace,
        /// Attributes in document order.
        attributes: Vec<(String, String)>,
    },
    /// A text node.
    Text(String),
    /// A comment.
    Comment(String),
    /// A CDATA section.
    CData(String),
    /// An element's open shadow root.
    ShadowRoot,
}

impl NodeKind {
    fn can_have_children(&self) -> bool {
        matches!(
            self,
            Self::Document | Self::Element { .. } | Self::ShadowRoot
        )
    }

    /// Whether this is an `<iframe>` or `<frame>`, the elements whose content may be recorded.
    pub fn is_frame(&self) -> bool {
        matches!(self, Self::Element { tag, .. }
            if tag.eq_ignore_ascii_case("iframe") || tag.eq_ignore_ascii_case("frame"))
    }

    /// Whether this is an element with the given tag (ASCII case-insensitive).
    pub fn is_element(&self, name: &str) -> bool {
        matches!(self, Self::Element { tag, .. } if tag.eq_ignore_ascii_case(name))
    }
}

/// A node of the mirror with its tree links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorNode {
    /// The parent, `None` for the document.
    pub parent: Option<NodeId>,
    /// Child ids in order.
    pub children: Vec<NodeId>,
    /// What the node is.
    pub kind: NodeKind,
}

/// One change the mirror applied, in application order; a renderer replays them on its own DOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The whole page was replaced (full snapshot): render everything again.
    Reset,
    /// The subtree `id` was detached from `parent` and forgotten.
    Removed {
        /// The former parent.
        parent: NodeId,
        /// The removed subtree's root.
        id: NodeId,
    },
    /// The subtree `id` was inserted under `parent` before `before` (appended when `None`).
    Added {
        /// The new parent.
        parent: NodeId,
        /// The sibling it was inserted before.
        before: Option<NodeId>,
        /// The new subtree's root.
        id: NodeId,
    },
    /// The text of `id` changed.
    Text {
        /// The text, comment or CDATA node.
        id: NodeId,
    },
    /// Attribute `name` of element `id` was set (`Some`) or removed (`None`).
    Attribute {
        /// The element.
        id: NodeId,
        /// Attribute name.
        name: String,
        /// The new value.
        value: Option<String>,
    },
    /// The value or checked state of form control `id` changed.
    Input {
        /// The control.
        id: NodeId,
    },
    /// Document (its window) or element `id` scrolled.
    Scroll {
        /// The document or element.
        id: NodeId,
    },
    /// Media element `id` played, paused or seeked.
    Media {
        /// The `<video>` or `<audio>`.
        id: NodeId,
    },
    /// A stylesheet's rules changed: bring it in line with the mirror.
    Sheet {
        /// The sheet.
        sheet: SheetId,
    },
    /// The adopted stylesheets of a document or shadow root changed.
    Adopted {
        /// The document or shadow root.
        owner: NodeId,
    },
}

/// The mirrored page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirror {
    /// Shared with the player's checkpoints: a copy of the mirror copies pointers, and a change
    /// copies only the nodes it touches.
    nodes: NodeMap,
    root: Option<NodeId>,
    skipped: usize,
    state: DocumentState,
    session: SessionState,
}

impl Mirror {
    /// Creates an empty mirror (no page yet).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Roughly how many heap bytes this mirror holds beyond what it shares with the mirrors
    /// whose nodes are already in `seen` (node addresses; this mirror's are added): its node
    /// map, the nodes only it holds, and its form, scroll and media state.
    pub fn heap_bytes(&self, seen: &mut HashSet<usize>) -> usize {
        let mut bytes = self.nodes.heap_bytes(seen);
        let state = &self.state;
        bytes += state
            .inputs
            .iter()
            .map(|(_, i)| size_of::<(NodeId, InputState)>() + i.value.capacity())
            .sum::<usize>();
        bytes += state.scroll.len() * (size_of::<(NodeId, (i32, i32))>() + 16);
        bytes += state.media.len() * (size_of::<(NodeId, MediaState)>() + 16);
        bytes
    }

    /// The document node's id, once a full snapshot was applied.
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }

    /// Looks up a node.
    pub fn node(&self, id: NodeId) -> Option<&MirrorNode> {
        self.nodes.get(&id)
    }

    /// The number of nodes in the page.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the mirror holds no page.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many changes referred to unknown nodes (or were otherwise impossible) and were skipped.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Creates an empty mirror that starts from another one's [`SessionState`]: the state a
    /// full snapshot does not replace.
    #[must_use]
    pub fn with_session(session: SessionState) -> Self {
        Self {
            session,
            ..Self::default()
        }
    }

    /// State tied to the current snapshot's nodes: form values, scroll, media, sheets.
    pub fn state(&self) -> &DocumentState {
        &self.state
    }

    /// State that outlives snapshots: URL, viewport, constructed stylesheets.
    pub fn session(&self) -> &SessionState {
        &self.session
    }

    /// The page's current URL.
    pub fn url(&self) -> Option<&str> {
        self.session.url.as_deref()
    }

    /// The recorded viewport's size in CSS pixels.
    pub fn viewport(&self) -> Option<(u32, u32)> {
        self.session.viewport
    }

    /// A constructed stylesheet by style id.
    pub fn constructed_sheet(&self, style_id: u32) -> Option<&ConstructedSheetState> {
        self.session.sheets.get(&style_id)
    }

    /// The document node that `id` belongs to: the nearest document among itself and its
    /// ancestors (a frame's own document for nodes inside a frame).
    pub fn document_of(&self, id: NodeId) -> Option<NodeId> {
        let mut next = Some(id);
        // Bounded by the node count: the tree has no cycles, but the input is untrusted.
        for _ in 0..=self.nodes.len() {
            let current = next?;
            let node = self.nodes.get(&current)?;
            if node.kind == NodeKind::Document {
                return Some(current);
            }
            next = node.parent;
        }
        None
    }

    /// Applies one event; events that change nothing on screen return no changes.
    pub fn apply(&mut self, event: &EventData) -> Vec<Change> {
        let mut changes = self.apply_session(event);
        match event {
            EventData::FullSnapshot { root } => {
                self.reset(root);
                return vec![Change::Reset];
            }
            EventData::Mutation(mutation) => changes.extend(self.apply_mutation(mutation)),
            EventData::Input(input) => changes.extend(self.apply_input(input)),
            EventData::Scroll { id, x, y } => {
                let scrollable = self.nodes.get(id).is_some_and(|n| {
                    matches!(n.kind, NodeKind::Document | NodeKind::Element { .. })
                });
                if scrollable {
                    self.state.set_scroll(*id, *x, *y);
                    changes.push(Change::Scroll { id: *id });
                } else {
                    self.skipped += 1;
                }
            }
            EventData::Media(media) => changes.extend(self.apply_media(media)),
            EventData::StyleSheetRule(rule) => changes.extend(self.apply_element_sheet(rule)),
            EventData::AdoptedStyleSheets(adopted) => changes.extend(self.apply_adoption(adopted)),
            _ => {}
        }
        changes
    }

    /// Applies only the part of `event` that outlives full snapshots (URL, viewport, constructed
    /// stylesheets). A player starting from a later full snapshot catches up with this.
    pub fn apply_session(&mut self, event: &EventData) -> Vec<Change> {
        match event {
            EventData::Meta {
                href,
                width,
                height,
                ..
            } => {
                self.session.url = Some(href.clone());
                self.session.viewport = Some((*width, *height));
                Vec::new()
            }
            EventData::Navigation { href, .. } => {
                self.session.url = Some(href.clone());
                Vec::new()
            }
            EventData::ViewportResize { width, height } => {
                self.session.viewport = Some((*width, *height));
                Vec::new()
            }
            EventData::AdoptedStyleSheets(adopted) => adopted
                .new_sheets
                .iter()
                .map(|sheet| {
                    self.session.define_sheet(sheet.style_id, &sheet.text);
                    Change::Sheet {
                        sheet: SheetId::Constructed(sheet.style_id),
                    }
                })
                .collect(),
            EventData::StyleSheetRule(StyleSheetRule {
                node_id: None,
                style_id: Some(style_id),
                ops,
            }) => {
                if self.session.edit_sheet(*style_id, ops) {
                    vec![Change::Sheet {
                        sheet: SheetId::Constructed(*style_id),
                    }]
                } else {
                    self.skipped += 1;
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    /// Replaces the whole page with the tree under `root`; the session state stays.
    pub fn reset(&mut self, root: &Node) {
        self.nodes.clear();
        self.root = None;
        self.state = DocumentState::default();
        if self.insert_tree(root, None) {
            self.root = Some(root.id());
        }
    }

    fn apply_input(&mut self, input: &Input) -> Option<Change> {
        if !self
            .nodes
            .get(&input.id)
            .is_some_and(|n| matches!(n.kind, NodeKind::Element { .. }))
        {
            self.skipped += 1;
            return None;
        }
        self.state.set_input(
            input.id,
            InputState {
                value: input.value.clone(),
                checked: input.checked,
            },
        );
        Some(Change::Input { id: input.id })
    }

    fn apply_media(&mut self, media: &Media) -> Option<Change> {
        if !self
            .nodes
            .get(&media.id)
            .is_some_and(|n| matches!(n.kind, NodeKind::Element { .. }))
        {
            self.skipped += 1;
            return None;
        }
        let state = MediaState::after(self.state.media.get(&media.id), media);
        self.state.media.insert(media.id, state);
        Some(Change::Media { id: media.id })
    }

    /// CSSOM edits of a `<style>` or `<link>` element's sheet (constructed sheets are session
    /// state, see [`Mirror::apply_session`]).
    fn apply_element_sheet(&mut self, rule: &StyleSheetRule) -> Option<Change> {
        let id = rule.node_id?;
        let owner_ok = self
            .nodes
            .get(&id)
            .is_some_and(|n| n.kind.is_element("style") || n.kind.is_element("link"));
        if !owner_ok || !self.state.push_sheet_ops(id, &rule.ops) {
            self.skipped += 1;
            return None;
        }
        Some(Change::Sheet {
            sheet: SheetId::Element(id),
        })
    }

    fn apply_adoption(&mut self, adopted: &AdoptedStyleSheets) -> Option<Change> {
        let owner_ok = self
            .nodes
            .get(&adopted.owner_id)
            .is_some_and(|n| matches!(n.kind, NodeKind::Document | NodeKind::ShadowRoot));
        if !owner_ok {
            self.skipped += 1;
            return None;
        }
        // Sheets never defined cannot be shown; the rest keep their order.
        let known: Vec<u32> = adopted
            .style_ids
            .iter()
            .copied()
            .filter(|id| self.session.sheets.contains_key(id))
            .collect();
        self.skipped += adopted.style_ids.len() - known.len();
        if known.is_empty() {
            self.state.adopted.remove(&adopted.owner_id);
        } else {
            self.state.adopted.insert(adopted.owner_id, known);
        }
        Some(Change::Adopted {
            owner: adopted.owner_id,
        })
    }

    /// Whether `child` may be placed under `parent`: shadow roots only under elements (one
    /// each), documents only under frames.
    fn placement_ok(&self, parent: NodeId, child: &Node) -> bool {
        let Some(parent_node) = self.nodes.get(&parent) else {
            return false;
        };
        if !parent_node.kind.can_have_children() || child.id() == parent {
            return false;
        }
        // At most one shadow root per host and one document per frame.
        let has_other = |kind: NodeKind| {
            parent_node
                .children
                .iter()
                .any(|c| *c != child.id() && self.nodes.get(c).is_some_and(|n| n.kind == kind))
        };
        match child {
            Node::ShadowRoot { .. } => {
                matches!(parent_node.kind, NodeKind::Element { .. })
                    && !has_other(NodeKind::ShadowRoot)
            }
            Node::Document { .. } => parent_node.kind.is_frame() && !has_other(NodeKind::Document),
            _ => true,
        }
    }

    /// Clears the CSSOM edits of a `<style>` whose content changed: the browser parses its sheet
    /// again from the new text.
    fn content_changed(&mut self, parent: NodeId) {
        if self
            .nodes
            .get(&parent)
            .is_some_and(|n| n.kind.is_element("style"))
        {
            self.state.sheet_ops.remove(&parent);
        }
    }

    /// Applies a mutation in the recorded order: removes, adds, texts, attributes.
    pub fn apply_mutation(&mut self, mutation: &Mutation) -> Vec<Change> {
        let mut changes = Vec::new();
        // State of removed nodes, given back to those that come back in this mutation (moves).
        let mut carried: HashMap<NodeId, CarriedState> = HashMap::new();
        for removed in &mutation.removes {
            match self.detach(removed.id) {
                Some(parent) => {
                    self.forget(removed.id, &mut carried);
                    self.content_changed(parent);
                    changes.push(Change::Removed {
                        parent,
                        id: removed.id,
                    });
                }
                None => self.skipped += 1,
            }
        }
        for added in &mutation.adds {
            if !self.placement_ok(added.parent_id, &added.node) {
                self.skipped += 1;
                continue;
            }
            // A node added again under a fresh position was moved: drop its old copy first.
            if self.nodes.contains_key(&added.node.id()) {
                if let Some(parent) = self.detach(added.node.id()) {
                    self.content_changed(parent);
                    changes.push(Change::Removed {
                        parent,
                        id: added.node.id(),
                    });
                }
                self.forget(added.node.id(), &mut carried);
                if !self.nodes.contains_key(&added.parent_id) {
                    self.skipped += 1;
                    continue;
                }
            }
            if !self.insert_tree(&added.node, Some(added.parent_id)) {
                self.skipped += 1;
                continue;
            }
            let siblings = self
                .nodes
                .get(&added.parent_id)
                .map(|p| p.children.clone())
                .unwrap_or_default();
            let position = added
                .next_id
                .and_then(|next| siblings.iter().position(|c| *c == next));
            if added.next_id.is_some() && position.is_none() {
                // The sibling is unknown: keep the content visible by appending it.
                self.skipped += 1;
            }
            if let Some(parent) = self.nodes.get_mut(&added.parent_id) {
                match position {
                    // A shadow root stays first among its host's children.
                    _ if matches!(added.node, Node::ShadowRoot { .. }) => {
                        parent.children.insert(0, added.node.id());
                    }
                    Some(at) => parent.children.insert(at, added.node.id()),
                    None => parent.children.push(added.node.id()),
                }
            }
            self.content_changed(added.parent_id);
            changes.push(Change::Added {
                parent: added.parent_id,
                before: position.and(added.next_id),
                id: added.node.id(),
            });
        }
        for (id, state) in carried {
            if self.nodes.contains_key(&id) {
                self.state.restore(id, state);
            }
        }
        for change in &mutation.texts {
            let node = self.nodes.get_mut(&change.id);
            let parent = node.as_ref().and_then(|n| n.parent);
            match node.map(|n| &mut n.kind) {
                Some(NodeKind::Text(text) | NodeKind::Comment(text) | NodeKind::CData(text)) => {
                    text.clone_from(&change.text);
                    changes.push(Change::Text { id: change.id });
                    if let Some(parent) = parent {
                        self.content_changed(parent);
                    }
                }
                _ => self.skipped += 1,
            }
        }
        for change in &mutation.attributes {
            match self.nodes.get_mut(&change.id).map(|n| &mut n.kind) {
                Some(NodeKind::Element { attributes, .. }) => {
                    let existing = attributes.iter().position(|(n, _)| *n == change.name);
                    match (&change.value, existing) {
                        (Some(value), Some(at)) => attributes[at].1.clone_from(value),
                        (Some(value), None) => {
                            attributes.push((change.name.clone(), value.clone()))
                        }
                        (None, Some(at)) => {
                            attributes.remove(at);
                        }
                        (None, None) => {}
                    }
                    changes.push(Change::Attribute {
                        id: change.id,
                        name: change.name.clone(),
                        value: change.value.clone(),
                    });
                }
                _ => self.skipped += 1,
            }
        }
        changes
    }

    /// Rebuilds the protocol tree of the page (for comparisons and serialization).
    pub fn to_tree(&self) -> Option<Node> {
        self.root.and_then(|root| self.subtree(root))
    }

    /// Rebuilds the protocol tree under `id`.
    pub fn subtree(&self, id: NodeId) -> Option<Node> {
        let node = self.nodes.get(&id)?;
        let children = || {
            node.children
                .iter()
                .filter_map(|c| self.subtree(*c))
                .collect()
        };
        Some(match &node.kind {
            NodeKind::Document => Node::Document {
                id,
                children: children(),
            },
            NodeKind::Doctype {
                name,
                public_id,
                system_id,
            } => Node::Doctype {
                id,
                name: name.clone(),
                public_id: public_id.clone(),
                system_id: system_id.clone(),
            },
            NodeKind::Element {
                tag,
                namespace,
                attributes,
            } => Node::Element {
                id,
                tag: tag.clone(),
                attributes: attributes.clone(),
                children: children(),
                namespace: *namespace,
            },
            NodeKind::Text(text) => Node::text(id, text.clone()),
            NodeKind::Comment(text) => Node::Comment {
                id,
                text: text.clone(),
            },
            NodeKind::CData(text) => Node::CData {
                id,
                text: text.clone(),
            },
            NodeKind::ShadowRoot => Node::ShadowRoot {
                id,
                children: children(),
            },
        })
    }

    /// Inserts a subtree with `parent` as its parent, without linking it into the parent's
    /// children. Nodes whose ids are already taken are skipped with their subtrees. Returns
    /// whether the root was inserted.
    fn insert_tree(&mut self, node: &Node, parent: Option<NodeId>) -> bool {
        let id = node.id();
        if self.nodes.contains_key(&id) {
            self.skipped += 1;
            return false;
        }
        let kind = match node {
            Node::Document { .. } => NodeKind::Document,
            Node::Doctype {
                name,
                public_id,
                system_id,
                ..
            } => NodeKind::Doctype {
                name: name.clone(),
                public_id: public_id.clone(),
                system_id: system_id.clone(),
            },
            Node::Element {
                tag,
                attributes,
                namespace,
                ..
            } => NodeKind::Element {
                tag: tag.clone(),
                namespace: *namespace,
                attributes: attributes.clone(),
            },
            Node::Text { text, .. } => NodeKind::Text(text.clone()),
            Node::Comment { text, .. } => NodeKind::Comment(text.clone()),
            Node::CData { text, .. } => NodeKind::CData(text.clone()),
            Node::ShadowRoot { .. } => NodeKind::ShadowRoot,
            _ => {
                self.skipped += 1;
                return false;
            }
        };
        self.nodes.insert(
            id,
            MirrorNode {
                parent,
                children: Vec::new(),
                kind,
            },
        );
        for child in node.children() {
            if !self.placement_ok(id, child) {
                self.skipped += 1;
            } else if self.insert_tree(child, Some(id)) {
                // Linked one by one, so that a second shadow root is refused.
                if let Some(entry) = self.nodes.get_mut(&id) {
                    entry.children.push(child.id());
                }
            }
        }
        true
    }

    /// Unlinks `id` from its parent; returns the parent, or `None` when `id` is unknown or is the
    /// document.
    fn detach(&mut self, id: NodeId) -> Option<NodeId> {
        let parent = self.nodes.get(&id)?.parent?;
        if let Some(p) = self.nodes.get_mut(&parent) {
            p.children.retain(|c| *c != id);
        }
        Some(parent)
    }

    /// Removes `id` and its descendants from the map, moving their state into `carried`.
    fn forget(&mut self, id: NodeId, carried: &mut HashMap<NodeId, CarriedState>) {
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if let Some(node) = self.nodes.remove(&next) {
                carried.insert(next, self.state.take(next));
                stack.extend(node.children);
            }
        }
    }
}
