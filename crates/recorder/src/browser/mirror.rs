//! The recorder's side of the node ids: which DOM node got which id.

use js_sys::WeakMap;
use sightline_protocol::v1::NodeId;
use wasm_bindgen::JsValue;

/// Maps live DOM nodes to the ids they were recorded under. A `WeakMap` keeps no node alive and
/// adds nothing to the page's objects.
pub(crate) struct Mirror {
    ids: WeakMap,
    next_id: NodeId,
}

impl Mirror {
    /// An empty mirror; ids start at 1.
    pub(crate) fn new() -> Self {
        Self {
            ids: WeakMap::new(),
            next_id: 1,
        }
    }

    /// The id `node` was recorded under, if it is recorded.
    pub(crate) fn id_of(&self, node: &web_sys::Node) -> Option<NodeId> {
        let id = self.ids.get(node.as_ref()).as_f64()?;
        // Ids are integers this mirror stored itself; the cast is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(id as NodeId)
    }

    /// Gives `node` a fresh id.
    pub(crate) fn assign(&mut self, node: &web_sys::Node) -> NodeId {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.ids.set(node.as_ref(), &JsValue::from(id));
        id
    }

    /// The id the next [`Mirror::assign`] will hand out; every id below it existed before.
    pub(crate) fn next_id(&self) -> NodeId {
        self.next_id
    }

    /// Forgets `node` and its current descendants, so that they are serialized afresh when they
    /// come back.
    pub(crate) fn forget_subtree(&self, node: &web_sys::Node) {
        let mut stack = vec![node.clone()];
        while let Some(node) = stack.pop() {
            self.ids.delete(node.as_ref());
            let mut child = node.first_child();
            while let Some(current) = child {
                child = current.next_sibling();
                stack.push(current);
            }
        }
    }
}
