//! Turning one `MutationObserver` callback's records into one protocol [`Mutation`].
//!
//! The records describe the history of the batch; the event describes how to get from the DOM the
//! viewer has (as of the previous event) to the DOM as it is now:
//! 1. removes: every recorded node taken out of a recorded parent, once, in record order; the ids
//!    of removed subtrees are then forgotten, so a node moved elsewhere is serialized afresh;
//! 2. adds: every new node that is still connected and whose parent is recorded, serialized as it
//!    is now; per parent they are emitted from the last child to the first, so that the `next_id`
//!    of each add is a node the viewer already has;
//! 3. texts and attributes of nodes that existed before the batch, with their current values.
//!
//! Every text and attribute value is masked by the [`Privacy`] rules before it enters the event,
//! and nothing inside a blocked element is recorded.
//!
//! A node added and removed within the batch is neither connected nor recorded: it yields nothing.

use std::collections::BTreeSet;

use js_sys::{Array, Set};
use sightline_protocol::v1::{
    AddedNode, AttributeChange, Mutation, NodeId, RemovedNode, TextChange,
};
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationRecord};

use super::frames::as_element;
use super::mirror::Mirror;
use super::privacy::{Context, ElementName, ElementPolicy, Privacy};
use super::snapshot::{MAX_ELEMENT_DEPTH, depth_of, records_children, serialize};
use crate::mask::{Scope, is_media_source};

/// Builds the mutation event for `records`, or `None` when nothing recorded changed. Text and
/// attribute values are masked as `privacy` says.
pub(crate) fn mutation_from_records(
    mirror: &mut Mirror,
    privacy: &Privacy,
    records: &Array,
) -> Option<Mutation> {
    let records: Vec<MutationRecord> = records.iter().map(JsCast::unchecked_into).collect();
    let first_new_id = mirror.next_id();
    let mut mutation = Mutation {
        removes: removes(mirror, &records),
        ..Mutation::default()
    };
    let blocked_now = newly_blocked(mirror, privacy, &records, &mut mutation.removes);
    mutation.adds = adds(mirror, privacy, &records);
    let is_old = |id: NodeId| id < first_new_id;
    let mut seen_texts = BTreeSet::new();
    let mut seen_attributes = BTreeSet::new();
    // Records of one batch usually come in runs on the same node or parent: remembering the last
    // lookup saves most of the ancestor walks (a map would add kilobytes of code for little).
    let mut last_context: Option<(NodeId, Context)> = None;
    let mut last_scope: Option<(NodeId, Scope)> = None;
    for record in &records {
        let Some(target) = record.target() else {
            continue;
        };
        let Some(id) = mirror.id_of(&target).filter(|id| is_old(*id)) else {
            continue;
        };
        if !target.is_connected() {
            continue;
        }
        match record.type_().as_str() {
            "characterData" if seen_texts.insert(id) => {
                let context = match target.parent_node() {
                    Some(parent) => {
                        let parent_id = mirror.id_of(&parent);
                        match last_context {
                            Some((id, context)) if Some(id) == parent_id => context,
                            _ => {
                                let context = privacy.context_of(&parent);
                                last_context = parent_id.map(|id| (id, context));
                                context
                            }
                        }
                    }
                    None => Context::default(),
                };
                mutation.texts.push(TextChange {
                    id,
                    text: privacy.text(&target, context),
                });
            }
            "attributes" => {
                let Some(name) = record.attribute_name() else {
                    continue;
                };
                if blocked_now.iter().any(|(blocked, _)| *blocked == id) {
                    continue;
                }
                let element: &Element = target.unchecked_ref();
                let (name, value) = attribute(element, record.attribute_namespace(), name);
                if !seen_attributes.insert((id, name.clone())) {
                    continue;
                }
                let scope = match last_scope {
                    Some((last, scope)) if last == id => scope,
                    _ => {
                        let scope = privacy.scope_of(element);
                        last_scope = Some((id, scope));
                        scope
                    }
                };
                if let Some(value) = privacy.attribute_change(element, scope, &name, value) {
                    mutation
                        .attributes
                        .push(AttributeChange { id, name, value });
                }
            }
            _ => {}
        }
    }
    for (id, element) in &blocked_now {
        placeholder_attributes(privacy, *id, element, &mut mutation.attributes);
    }
    let empty = mutation.removes.is_empty()
        && mutation.adds.is_empty()
        && mutation.texts.is_empty()
        && mutation.attributes.is_empty();
    (!empty).then_some(mutation)
}

/// Recorded elements whose attribute changes make them placeholders from now on (a block class
/// was added, an embed now loads another origin). Their recorded children are removed, so that
/// nothing inside them is recorded any more; their attributes are re-recorded by
/// [`placeholder_attributes`].
fn newly_blocked(
    mirror: &Mirror,
    privacy: &Privacy,
    records: &[MutationRecord],
    removes: &mut Vec<RemovedNode>,
) -> Vec<(NodeId, Element)> {
    let mut blocked = Vec::new();
    for record in records.iter().filter(|r| r.type_() == "attributes") {
        // Style changes are the most frequent and never make an element media or blocked.
        if record.attribute_name().as_deref() == Some("style") {
            continue;
        }
        let Some(target) = record.target().filter(|target| target.is_connected()) else {
            continue;
        };
        let Some(id) = mirror.id_of(&target) else {
            continue;
        };
        let element: Element = target.unchecked_into();
        if !privacy.becomes_blocked(&element) {
            continue;
        }
        let mut child = element.first_child();
        while let Some(current) = child {
            child = current.next_sibling();
            if let Some(child_id) = mirror.id_of(&current) {
                removes.push(RemovedNode {
                    parent_id: id,
                    id: child_id,
                });
                mirror.forget_subtree(&current);
            }
        }
        if let Some(document) = mirror.take_frame_document(&element)
            && let Some(document_id) = mirror.id_of(&document)
        {
            removes.push(RemovedNode {
                parent_id: id,
                id: document_id,
            });
            mirror.forget_subtree(&document);
        }
        blocked.push((id, element));
    }
    blocked
}

/// Re-records every attribute of `element`, which just became a placeholder: its media sources
/// are removed, the rest masked, the placeholder's size and marker set.
fn placeholder_attributes(
    privacy: &Privacy,
    id: NodeId,
    element: &Element,
    changes: &mut Vec<AttributeChange>,
) {
    let list = element.attributes();
    for attribute in (0..list.length()).filter_map(|index| list.item(index)) {
        let name = attribute.name();
        if is_media_source(&name) {
            changes.push(AttributeChange {
                id,
                name,
                value: None,
            });
        }
    }
    let policy = ElementPolicy {
        scope: privacy.scope_of(element),
        blocked: true,
    };
    for (name, value) in privacy.attributes(element, &ElementName::of(element), &policy) {
        changes.push(AttributeChange {
            id,
            name,
            value: Some(value),
        });
    }
}

fn removes(mirror: &mut Mirror, records: &[MutationRecord]) -> Vec<RemovedNode> {
    let mut removes = Vec::new();
    let mut removed_ids = BTreeSet::new();
    let mut removed_nodes = Vec::new();
    for record in records.iter().filter(|r| r.type_() == "childList") {
        let parent_id = record.target().and_then(|target| mirror.id_of(&target));
        let nodes = record.removed_nodes();
        for node in (0..nodes.length()).filter_map(|index| nodes.item(index)) {
            // Only the first removal of a node describes where the viewer has it.
            if let (Some(parent_id), Some(id)) = (parent_id, mirror.id_of(&node))
                && removed_ids.insert(id)
            {
                removes.push(RemovedNode { parent_id, id });
            }
            removed_nodes.push(node);
        }
    }
    // Forget only after every record was read: a recorded node may have moved into a subtree
    // that was removed later in the batch, and its own removal must still be reported.
    for node in &removed_nodes {
        mirror.forget_subtree(node);
    }
    removes
}

fn adds(mirror: &mut Mirror, privacy: &Privacy, records: &[MutationRecord]) -> Vec<AddedNode> {
    let roots = Set::new(&wasm_bindgen::JsValue::UNDEFINED);
    let parent_set = Set::new(&wasm_bindgen::JsValue::UNDEFINED);
    let mut parents: Vec<web_sys::Node> = Vec::new();
    for record in records.iter().filter(|r| r.type_() == "childList") {
        let nodes = record.added_nodes();
        for node in (0..nodes.length()).filter_map(|index| nodes.item(index)) {
            if !node.is_connected() || mirror.id_of(&node).is_some() || roots.has(&node) {
                continue;
            }
            // A parent without id is new itself (the node comes with it) or not recorded.
            let Some(parent) = node.parent_node().filter(|p| mirror.id_of(p).is_some()) else {
                continue;
            };
            if !parent_set.has(&parent) {
                parent_set.add(&parent);
                parents.push(parent);
            }
            roots.add(&node);
        }
    }
    let mut adds = Vec::new();
    for parent in parents {
        let depth = depth_of(&parent);
        let clipped = depth >= MAX_ELEMENT_DEPTH
            || as_element(&parent).is_some_and(|element| !records_children(privacy, element));
        let Some(parent_id) = mirror.id_of(&parent).filter(|_| !clipped) else {
            continue;
        };
        let context = privacy.context_of(&parent);
        let mut late = Vec::new();
        let mut child = parent.last_child();
        while let Some(current) = child {
            child = current.previous_sibling();
            if !roots.has(&current) {
                continue;
            }
            if mirror.out_of_time() {
                late.push(current);
                continue;
            }
            let next_id = next_recorded_sibling(mirror, &current);
            if let Some(node) = serialize(mirror, privacy, &current, depth + 1, context) {
                adds.push(AddedNode {
                    parent_id,
                    next_id,
                    node,
                });
            }
        }
        // Deferred nodes are taken last first: the last of these comes right before the ones
        // just recorded, so each finds its next sibling recorded.
        for node in late.into_iter().rev() {
            mirror.defer(node);
        }
    }
    adds
}

fn next_recorded_sibling(mirror: &Mirror, node: &web_sys::Node) -> Option<NodeId> {
    let mut sibling = node.next_sibling();
    while let Some(current) = sibling {
        if let Some(id) = mirror.id_of(&current) {
            return Some(id);
        }
        sibling = current.next_sibling();
    }
    None
}

/// The qualified name and current value of an attribute named in a record.
fn attribute(
    element: &Element,
    namespace: Option<String>,
    local_name: String,
) -> (String, Option<String>) {
    match namespace {
        None => {
            let value = element.get_attribute(&local_name);
            (local_name, value)
        }
        Some(namespace) => match element.get_attribute_node_ns(Some(&namespace), &local_name) {
            Some(attribute) => (attribute.name(), Some(attribute.value())),
            None => (qualified_name(&namespace, local_name), None),
        },
    }
}

/// The usual prefix of a removed namespaced attribute, whose qualified name is gone with it.
fn qualified_name(namespace: &str, local_name: String) -> String {
    let prefix = match namespace {
        "http://www.w3.org/1999/xlink" => "xlink:",
        "http://www.w3.org/XML/1998/namespace" => "xml:",
        "http://www.w3.org/2000/xmlns/" if local_name != "xmlns" => "xmlns:",
        _ => return local_name,
    };
    let mut name = String::with_capacity(prefix.len() + local_name.len());
    name.push_str(prefix);
    name.push_str(&local_name);
    name
}

/// Serializes nodes whose serialization was deferred, until the mirror's budget runs out: each
/// one still in the page, not recorded since, under a recorded parent, becomes an addition made
/// now. Whatever changed in it meanwhile is in its serialization.
pub(crate) fn deferred_additions(mirror: &mut Mirror, privacy: &Privacy) -> Option<Mutation> {
    let mut adds = Vec::new();
    while !mirror.out_of_time() {
        let Some(node) = mirror.pop_deferred() else {
            break;
        };
        if !node.is_connected() || mirror.id_of(&node).is_some() {
            continue;
        }
        let Some(parent) = node.parent_node() else {
            continue;
        };
        let depth = depth_of(&parent);
        let clipped = depth >= MAX_ELEMENT_DEPTH
            || as_element(&parent).is_some_and(|element| !records_children(privacy, element));
        let Some(parent_id) = mirror.id_of(&parent).filter(|_| !clipped) else {
            continue;
        };
        let next_id = next_recorded_sibling(mirror, &node);
        let context = privacy.context_of(&parent);
        if let Some(node) = serialize(mirror, privacy, &node, depth + 1, context) {
            adds.push(AddedNode {
                parent_id,
                next_id,
                node,
            });
        }
    }
    (!adds.is_empty()).then(|| Mutation {
        adds,
        ..Mutation::default()
    })
}
