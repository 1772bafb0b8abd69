//! The mirrored page: the recorded DOM as an id → node map that full snapshots reset and mutations
//! change.
//!
//! Recordings come from outside the process, so nothing here trusts them: a mutation that refers
//! to an unknown node is skipped and counted in [`Mirror::skipped`], never a panic. Every applied
//! change is reported as a [`Change`] so that a renderer can update a live DOM incrementally.

use std::collections::HashMap;

use sightline_protocol::v1::{EventData, Mutation, Namespace, Node, NodeId};

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
}

impl NodeKind {
    fn can_have_children(&self) -> bool {
        matches!(self, Self::Document | Self::Element { .. })
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
}

/// The mirrored page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirror {
    nodes: HashMap<NodeId, MirrorNode>,
    root: Option<NodeId>,
    skipped: usize,
}

impl Mirror {
    /// Creates an empty mirror (no page yet).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
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

    /// Applies one event; events that do not change the DOM return no changes.
    pub fn apply(&mut self, event: &EventData) -> Vec<Change> {
        match event {
            EventData::FullSnapshot { root } => {
                self.reset(root);
                vec![Change::Reset]
            }
            EventData::Mutation(mutation) => self.apply_mutation(mutation),
            _ => Vec::new(),
        }
    }

    /// Replaces the whole page with the tree under `root`.
    pub fn reset(&mut self, root: &Node) {
        self.nodes.clear();
        self.root = None;
        if self.insert_tree(root, None) {
            self.root = Some(root.id());
        }
    }

    /// Applies a mutation in the recorded order: removes, adds, texts, attributes.
    pub fn apply_mutation(&mut self, mutation: &Mutation) -> Vec<Change> {
        let mut changes = Vec::new();
        for removed in &mutation.removes {
            match self.detach(removed.id) {
                Some(parent) => {
                    self.forget(removed.id);
                    changes.push(Change::Removed {
                        parent,
                        id: removed.id,
                    });
                }
                None => self.skipped += 1,
            }
        }
        for added in &mutation.adds {
            let parent_ok = self
                .nodes
                .get(&added.parent_id)
                .is_some_and(|p| p.kind.can_have_children());
            if !parent_ok || added.node.id() == added.parent_id {
                self.skipped += 1;
                continue;
            }
            // A node added again under a fresh position was moved: drop its old copy first.
            if self.nodes.contains_key(&added.node.id()) {
                if let Some(parent) = self.detach(added.node.id()) {
                    changes.push(Change::Removed {
                        parent,
                        id: added.node.id(),
                    });
                }
                self.forget(added.node.id());
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
                    Some(at) => parent.children.insert(at, added.node.id()),
                    None => parent.children.push(added.node.id()),
                }
            }
            changes.push(Change::Added {
                parent: added.parent_id,
                before: position.and(added.next_id),
                id: added.node.id(),
            });
        }
        for change in &mutation.texts {
            match self.nodes.get_mut(&change.id).map(|n| &mut n.kind) {
                Some(NodeKind::Text(text) | NodeKind::Comment(text) | NodeKind::CData(text)) => {
                    text.clone_from(&change.text);
                    changes.push(Change::Text { id: change.id });
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
        let mut children = Vec::with_capacity(node.children().len());
        for child in node.children() {
            if self.insert_tree(child, Some(id)) {
                children.push(child.id());
            }
        }
        if let Some(entry) = self.nodes.get_mut(&id) {
            entry.children = children;
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

    /// Removes `id` and its descendants from the map.
    fn forget(&mut self, id: NodeId) {
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if let Some(node) = self.nodes.remove(&next) {
                stack.extend(node.children);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sightline_protocol::v1::{AddedNode, AttributeChange, RemovedNode, TextChange};

    fn page() -> Node {
        Node::Document {
            id: 1,
            children: vec![
                Node::Doctype {
                    id: 2,
                    name: "html".into(),
                    public_id: String::new(),
                    system_id: String::new(),
                },
                Node::element(
                    3,
                    "html",
                    vec![],
                    vec![Node::element(
                        4,
                        "body",
                        vec![],
                        vec![
                            Node::element(5, "p", vec![], vec![Node::text(6, "one")]),
                            Node::element(7, "p", vec![], vec![Node::text(8, "three")]),
                        ],
                    )],
                ),
            ],
        }
    }

    fn mirror() -> Mirror {
        let mut mirror = Mirror::new();
        mirror.apply(&EventData::FullSnapshot { root: page() });
        mirror
    }

    fn body_texts(mirror: &Mirror) -> Vec<String> {
        mirror
            .node(4)
            .unwrap()
            .children
            .iter()
            .map(|p| {
                let text = mirror.node(*p).unwrap().children[0];
                match &mirror.node(text).unwrap().kind {
                    NodeKind::Text(t) => t.clone(),
                    other => format!("{other:?}"),
                }
            })
            .collect()
    }

    #[test]
    fn full_snapshot_round_trips() {
        let mirror = mirror();
        assert_eq!(mirror.to_tree(), Some(page()));
        assert_eq!(mirror.len(), 8);
    }

    #[test]
    fn adds_honor_next_id_in_order() {
        let mut mirror = mirror();
        let changes = mirror.apply_mutation(&Mutation {
            adds: vec![
                AddedNode {
                    parent_id: 4,
                    next_id: Some(7),
                    node: Node::element(9, "p", vec![], vec![Node::text(10, "two")]),
                },
                // Its next sibling was added just before: order of the adds matters.
                AddedNode {
                    parent_id: 4,
                    next_id: Some(9),
                    node: Node::element(11, "p", vec![], vec![Node::text(12, "one and a half")]),
                },
                AddedNode {
                    parent_id: 4,
                    next_id: None,
                    node: Node::element(13, "p", vec![], vec![Node::text(14, "four")]),
                },
            ],
            ..Mutation::default()
        });
        assert_eq!(
            body_texts(&mirror),
            vec!["one", "one and a half", "two", "three", "four"]
        );
        assert_eq!(changes.len(), 3);
        assert_eq!(mirror.skipped(), 0);
    }

    #[test]
    fn removes_apply_before_adds_then_texts_then_attributes() {
        let mut mirror = mirror();
        mirror.apply_mutation(&Mutation {
            removes: vec![RemovedNode {
                parent_id: 4,
                id: 5,
            }],
            adds: vec![AddedNode {
                parent_id: 4,
                next_id: Some(7),
                node: Node::element(20, "p", vec![], vec![Node::text(21, "new")]),
            }],
            texts: vec![TextChange {
                id: 21,
                text: "newer".into(),
            }],
            attributes: vec![
                AttributeChange {
                    id: 20,
                    name: "class".into(),
                    value: Some("fresh".into()),
                },
                AttributeChange {
                    id: 20,
                    name: "class".into(),
                    value: Some("fresher".into()),
                },
            ],
        });
        assert_eq!(body_texts(&mirror), vec!["newer", "three"]);
        assert!(mirror.node(5).is_none() && mirror.node(6).is_none());
        match &mirror.node(20).unwrap().kind {
            NodeKind::Element { attributes, .. } => {
                assert_eq!(
                    attributes,
                    &vec![("class".to_owned(), "fresher".to_owned())]
                );
            }
            other => panic!("not an element: {other:?}"),
        }
    }

    #[test]
    fn attribute_removal() {
        let mut mirror = mirror();
        let set = |value: Option<&str>| Mutation {
            attributes: vec![AttributeChange {
                id: 5,
                name: "hidden".into(),
                value: value.map(Into::into),
            }],
            ..Mutation::default()
        };
        mirror.apply_mutation(&set(Some("")));
        mirror.apply_mutation(&set(None));
        assert_eq!(mirror.to_tree(), Some(page()));
    }

    #[test]
    fn unknown_ids_are_skipped_and_counted() {
        let mut mirror = mirror();
        let changes = mirror.apply_mutation(&Mutation {
            removes: vec![RemovedNode {
                parent_id: 4,
                id: 999,
            }],
            adds: vec![
                AddedNode {
                    parent_id: 998,
                    next_id: None,
                    node: Node::text(30, "orphan"),
                },
                AddedNode {
                    parent_id: 6,
                    next_id: None,
                    node: Node::text(31, "under a text node"),
                },
            ],
            texts: vec![TextChange {
                id: 997,
                text: "x".into(),
            }],
            attributes: vec![AttributeChange {
                id: 6,
                name: "class".into(),
                value: Some("x".into()),
            }],
        });
        assert!(changes.is_empty());
        assert_eq!(mirror.skipped(), 5);
        assert_eq!(mirror.to_tree(), Some(page()));
    }

    #[test]
    fn unknown_next_sibling_appends_and_counts() {
        let mut mirror = mirror();
        mirror.apply_mutation(&Mutation {
            adds: vec![AddedNode {
                parent_id: 4,
                next_id: Some(404),
                node: Node::element(40, "p", vec![], vec![Node::text(41, "last")]),
            }],
            ..Mutation::default()
        });
        assert_eq!(body_texts(&mirror), vec!["one", "three", "last"]);
        assert_eq!(mirror.skipped(), 1);
    }

    #[test]
    fn re_adding_an_existing_id_moves_it() {
        let mut mirror = mirror();
        mirror.apply_mutation(&Mutation {
            adds: vec![AddedNode {
                parent_id: 4,
                next_id: None,
                node: Node::element(5, "p", vec![], vec![Node::text(6, "one")]),
            }],
            ..Mutation::default()
        });
        assert_eq!(body_texts(&mirror), vec!["three", "one"]);
        assert_eq!(mirror.len(), 8);
    }

    #[test]
    fn full_snapshot_resets_everything() {
        let mut mirror = mirror();
        mirror.apply_mutation(&Mutation {
            removes: vec![RemovedNode {
                parent_id: 4,
                id: 7,
            }],
            ..Mutation::default()
        });
        let changes = mirror.apply(&EventData::FullSnapshot { root: page() });
        assert_eq!(changes, vec![Change::Reset]);
        assert_eq!(mirror.to_tree(), Some(page()));
    }
}
