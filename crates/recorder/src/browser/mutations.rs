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
//! A node added and removed within the batch is neither connected nor recorded: it yields nothing.

use std::collections::BTreeSet;

use js_sys::{Array, Set};
use sightline_protocol::v1::{
    AddedNode, AttributeChange, Mutation, NodeId, RemovedNode, TextChange,
};
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationRecord};

use super::mirror::Mirror;
use super::snapshot::{
    MAX_ELEMENT_DEPTH, attribute_value, depth_of, records_children, serialize, text_of,
};

/// Builds the mutation event for `records`, or `None` when nothing recorded changed.
pub(crate) fn mutation_from_records(mirror: &mut Mirror, records: &Array) -> Option<Mutation> {
    let records: Vec<MutationRecord> = records.iter().map(JsCast::unchecked_into).collect();
    let first_new_id = mirror.next_id();
    let mut mutation = Mutation {
        removes: removes(mirror, &records),
        ..Mutation::default()
    };
    mutation.adds = adds(mirror, &records);
    let is_old = |id: NodeId| id < first_new_id;
    let mut seen_texts = BTreeSet::new();
    let mut seen_attributes = BTreeSet::new();
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
            "characterData" if seen_texts.insert(id) => mutation.texts.push(TextChange {
                id,
                text: text_of(&target),
            }),
            "attributes" => {
                let Some(name) = record.attribute_name() else {
                    continue;
                };
                let element: &Element = target.unchecked_ref();
                let (name, value) = attribute(element, record.attribute_namespace(), name);
                if seen_attributes.insert((id, name.clone())) {
                    mutation
                        .attributes
                        .push(AttributeChange { id, name, value });
                }
            }
            _ => {}
        }
    }
    let empty = mutation.removes.is_empty()
        && mutation.adds.is_empty()
        && mutation.texts.is_empty()
        && mutation.attributes.is_empty();
    (!empty).then_some(mutation)
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

fn adds(mirror: &mut Mirror, records: &[MutationRecord]) -> Vec<AddedNode> {
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
            || parent
                .dyn_ref::<Element>()
                .is_some_and(|element| !records_children(element));
        let Some(parent_id) = mirror.id_of(&parent).filter(|_| !clipped) else {
            continue;
        };
        let mut child = parent.last_child();
        while let Some(current) = child {
            child = current.previous_sibling();
            if !roots.has(&current) {
                continue;
            }
            let next_id = next_recorded_sibling(mirror, &current);
            if let Some(node) = serialize(mirror, &current, depth + 1) {
                adds.push(AddedNode {
                    parent_id,
                    next_id,
                    node,
                });
            }
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
            let value = element.get_attribute(&local_name).map(attribute_value);
            (local_name, value)
        }
        Some(namespace) => match element.get_attribute_node_ns(Some(&namespace), &local_name) {
            Some(attribute) => (attribute.name(), Some(attribute_value(attribute.value()))),
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
