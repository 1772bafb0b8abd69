//! The recorder's side of the node ids: which DOM node got which id.

use js_sys::WeakMap;
use sightline_protocol::v1::NodeId;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, ShadowRoot};

/// Maps live DOM nodes to the ids they were recorded under. A `WeakMap` keeps no node alive and
/// adds nothing to the page's objects.
pub(crate) struct Mirror {
    ids: WeakMap,
    next_id: NodeId,
    /// Shadow roots recorded since the last [`Mirror::take_new_shadow_roots`]: the recorder
    /// observes their mutations, which a document's observer does not see.
    new_shadow_roots: Vec<ShadowRoot>,
}

impl Mirror {
    /// An empty mirror; ids start at 1.
    pub(crate) fn new() -> Self {
        Self {
            ids: WeakMap::new(),
            next_id: 1,
            new_shadow_roots: Vec::new(),
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

    /// Gives the shadow root `root` a fresh id and remembers it for observation.
    pub(crate) fn assign_shadow_root(&mut self, root: &ShadowRoot) -> NodeId {
        self.new_shadow_roots.push(root.clone());
        self.assign(root)
    }

    /// The shadow roots recorded since the last call.
    pub(crate) fn take_new_shadow_roots(&mut self) -> Vec<ShadowRoot> {
        std::mem::take(&mut self.new_shadow_roots)
    }

    /// Forgets `node` and its current descendants, so that they are serialized afresh when they
    /// come back.
    pub(crate) fn forget_subtree(&self, node: &web_sys::Node) {
        let mut stack = vec![node.clone()];
        while let Some(node) = stack.pop() {
            self.ids.delete(node.as_ref());
            if let Some(root) = node
                .dyn_ref::<Element>()
                .and_then(|element| element.shadow_root())
            {
                stack.push(root.into());
            }
            let mut child = node.first_child();
            while let Some(current) = child {
                child = current.next_sibling();
                stack.push(current);
            }
        }
    }
}
