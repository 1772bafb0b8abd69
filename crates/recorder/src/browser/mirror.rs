//! The recorder's side of the node ids: which DOM node got which id.

use js_sys::{Function, Reflect, Set, WeakMap};
use sightline_protocol::v1::NodeId;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, ShadowRoot};

use super::frames::as_element;

/// How many nodes are serialized between two looks at the clock.
const CLOCK_STRIDE: u32 = 16;

/// Maps live DOM nodes to the ids they were recorded under. A `WeakMap` keeps no node alive and
/// adds nothing to the page's objects.
///
/// It also holds serialization's time budget: once the deadline set by [`Mirror::set_budget`]
/// passed, the nodes still to serialize are deferred (they stay without id) and recorded later
/// as additions by [`super::recorder::Recorder`], in slices. A deferred node's changes meanwhile
/// need no event: it is serialized as it is when its turn comes.
pub(crate) struct Mirror {
    ids: WeakMap,
    next_id: NodeId,
    /// Shadow roots recorded since the last [`Mirror::take_new_shadow_roots`]: the recorder
    /// observes their mutations, which a document's observer does not see.
    new_shadow_roots: Vec<ShadowRoot>,
    /// Frames whose document was recorded since the last [`Mirror::take_new_frames`].
    new_frames: Vec<(Element, Document)>,
    /// The document recorded as each frame's child.
    frame_documents: WeakMap,
    /// `<link rel=stylesheet>` elements recorded since the last [`Mirror::take_new_links`].
    new_links: Vec<Element>,
    /// Elements the user scrolled and media the user played, whose state a checkpoint re-sends.
    stateful: Set,
    /// Nodes whose serialization was deferred for lack of time.
    deferred: Vec<web_sys::Node>,
    /// When serialization has to stop (`performance.now()`), if it has a budget.
    deadline: Option<f64>,
    /// Whether the deadline passed (sticky until the next budget).
    expired: bool,
    /// Nodes serialized since the clock was last read.
    since_clock: u32,
}

impl Mirror {
    /// An empty mirror; ids start at 1.
    pub(crate) fn new() -> Self {
        Self {
            ids: WeakMap::new(),
            next_id: 1,
            new_shadow_roots: Vec::new(),
            new_frames: Vec::new(),
            frame_documents: WeakMap::new(),
            new_links: Vec::new(),
            stateful: Set::new(&JsValue::UNDEFINED),
            deferred: Vec::new(),
            deadline: None,
            expired: false,
            since_clock: 0,
        }
    }

    /// Forgets every id (a checkpoint records every node afresh); ids keep counting up, so that
    /// an id never names two nodes in one replay.
    pub(crate) fn reset(&mut self) {
        let next_id = self.next_id;
        let stateful = self.stateful.clone();
        *self = Self::new();
        self.next_id = next_id;
        self.stateful = stateful;
    }

    /// Gives serialization `ms` milliseconds from now; what is left is deferred.
    pub(crate) fn set_budget(&mut self, ms: f64) {
        self.deadline = Some(clock() + ms);
        self.expired = false;
        self.since_clock = 0;
    }

    /// Lets serialization take as long as it needs.
    pub(crate) fn clear_budget(&mut self) {
        self.deadline = None;
        self.expired = false;
    }

    /// Whether serialization ran out of time, looking at the clock every [`CLOCK_STRIDE`] calls.
    pub(crate) fn out_of_time(&mut self) -> bool {
        if self.expired {
            return true;
        }
        let Some(deadline) = self.deadline else {
            return false;
        };
        self.since_clock += 1;
        if self.since_clock >= CLOCK_STRIDE {
            self.since_clock = 0;
            self.expired = clock() >= deadline;
        }
        self.expired
    }

    /// Leaves `node` to be serialized later, before the nodes deferred so far (the last
    /// deferred is serialized first: defer siblings in document order).
    pub(crate) fn defer(&mut self, node: web_sys::Node) {
        self.deferred.push(node);
    }

    /// The next deferred node, if any.
    pub(crate) fn pop_deferred(&mut self) -> Option<web_sys::Node> {
        self.deferred.pop()
    }

    /// Whether nodes wait to be serialized.
    pub(crate) fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Remembers an element whose state (scroll offset, playback) a checkpoint re-sends.
    pub(crate) fn note_stateful(&self, element: &Element) {
        self.stateful.add(element);
    }

    /// The elements noted by [`Mirror::note_stateful`] that are still in the page; the others
    /// are forgotten.
    pub(crate) fn stateful(&self) -> Vec<Element> {
        let mut elements = Vec::new();
        for value in js_sys::Array::from(&self.stateful).iter() {
            let element: Element = value.unchecked_into();
            if element.is_connected() {
                elements.push(element);
            } else {
                self.stateful.delete(&element);
            }
        }
        elements
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

    /// Remembers that `document` is recorded as the content of `frame`, to be watched.
    pub(crate) fn note_frame(&mut self, frame: &Element, document: &Document) {
        self.frame_documents.set(frame, document);
        self.new_frames.push((frame.clone(), document.clone()));
    }

    /// The document recorded as the content of `frame`, if any.
    pub(crate) fn frame_document(&self, frame: &Element) -> Option<Document> {
        let document = self.frame_documents.get(frame);
        document.is_object().then(|| document.unchecked_into())
    }

    /// Takes out the document recorded as the content of `frame`, if any: the frame shows
    /// another document, or none, from now on.
    pub(crate) fn take_frame_document(&self, frame: &Element) -> Option<Document> {
        let document = self.frame_documents.get(frame);
        self.frame_documents.delete(frame);
        document.is_object().then(|| document.unchecked_into())
    }

    /// Remembers the stylesheet link `link` just recorded, whose sheet is recorded next.
    pub(crate) fn note_link(&mut self, link: &Element) {
        self.new_links.push(link.clone());
    }

    /// The stylesheet links recorded since the last call.
    pub(crate) fn take_new_links(&mut self) -> Vec<Element> {
        std::mem::take(&mut self.new_links)
    }

    /// The frames whose documents were recorded since the last call.
    pub(crate) fn take_new_frames(&mut self) -> Vec<(Element, Document)> {
        std::mem::take(&mut self.new_frames)
    }

    /// Forgets `node` and its current descendants, so that they are serialized afresh when they
    /// come back.
    pub(crate) fn forget_subtree(&self, node: &web_sys::Node) {
        let mut stack = vec![node.clone()];
        while let Some(node) = stack.pop() {
            self.ids.delete(node.as_ref());
            if let Some(element) = as_element(&node) {
                if let Some(root) = element.shadow_root() {
                    stack.push(root.into());
                }
                if let Some(document) = self.take_frame_document(element) {
                    stack.push(document.into());
                }
            }
            let mut child = node.first_child();
            while let Some(current) = child {
                child = current.next_sibling();
                stack.push(current);
            }
        }
    }
}

/// `performance.now()`, or `Date.now()` where there is no `performance`.
pub(crate) fn clock() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&performance, &JsValue::from_str("now"))
        .ok()
        .and_then(|now| now.dyn_into::<Function>().ok())
        .and_then(|now| now.call0(&performance).ok())
        .and_then(|time| time.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}
