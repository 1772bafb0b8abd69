//! Same-origin frames: their documents are recorded as the only child of their `<iframe>` and
//! watched like the page's own (listeners, CSSOM hooks, a new document when the frame loads).
//!
//! A frame's nodes belong to another window, whose `Node`, `Element` and `Object` classes are not
//! this one's: `instanceof` checks (what `dyn_ref` does) reject them, so the recorder tells node
//! kinds apart by `nodeType` through the helpers here.

use std::cell::Cell;

use js_sys::{Object, Reflect, WeakSet};
use sightline_protocol::v1::{AddedNode, Mutation, RemovedNode};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, ShadowRoot, Window};

use super::hooks::wrap_method;
use super::listener::{Listener, Phase};
use super::mirror::Mirror;
use super::privacy::Privacy;
use super::recorder::with_recorder;
use super::snapshot::{MAX_ELEMENT_DEPTH, depth_of, records_children, serialize};

/// `value` as a DOM node of any window.
pub(crate) fn as_node(value: &JsValue) -> Option<&web_sys::Node> {
    let is_node = value.is_object()
        && Reflect::get(value, &JsValue::from_str("nodeType"))
            .ok()
            .and_then(|kind| kind.as_f64())
            .is_some();
    is_node.then(|| value.unchecked_ref())
}

/// `node` as an element, of any window.
pub(crate) fn as_element(node: &web_sys::Node) -> Option<&Element> {
    (node.node_type() == web_sys::Node::ELEMENT_NODE).then(|| node.unchecked_ref())
}

/// `node` as a document, of any window.
pub(crate) fn as_document(node: &web_sys::Node) -> Option<&Document> {
    (node.node_type() == web_sys::Node::DOCUMENT_NODE).then(|| node.unchecked_ref())
}

/// `node` as a shadow root (a fragment with a host), of any window.
pub(crate) fn as_shadow_root(node: &web_sys::Node) -> Option<&ShadowRoot> {
    let is_root = node.node_type() == web_sys::Node::DOCUMENT_FRAGMENT_NODE
        && Reflect::get(node, &JsValue::from_str("host")).is_ok_and(|host| host.is_object());
    is_root.then(|| node.unchecked_ref())
}

/// The document shown by `element` when it is a frame whose document this page can read.
pub(crate) fn content_document(element: &Element) -> Option<Document> {
    if !matches!(element.local_name().as_str(), "iframe" | "frame") {
        return None;
    }
    let document = Reflect::get(element, &JsValue::from_str("contentDocument")).ok()?;
    document.is_object().then(|| document.unchecked_into())
}

/// The `<iframe>` showing `document`, when it is a frame's.
pub(crate) fn frame_element(document: &Document) -> Option<Element> {
    let window: JsValue = document.default_view()?.into();
    let element = Reflect::get(&window, &JsValue::from_str("frameElement")).ok()?;
    element.is_object().then(|| element.unchecked_into())
}

/// How many times in a row loading frames are checked for a new document (at the recorder's
/// frame poll interval, about 10 s).
const MAX_POLLS: u32 = 200;

/// What is listened to in the recorded frames.
pub(crate) struct Frames {
    /// Each frame document's listeners, with the frame showing it.
    documents: Vec<(Element, Document, Vec<Listener>)>,
    /// Each frame's `load` listener.
    loads: Vec<(Element, Listener)>,
    /// The `Element.prototype` of every window whose methods are wrapped.
    hooked: WeakSet,
    /// Checks for a new frame document since a frame document was last recorded.
    polls: Cell<u32>,
}

impl Frames {
    /// No frame watched yet.
    pub(crate) fn new() -> Self {
        Self {
            documents: Vec::new(),
            loads: Vec::new(),
            hooked: WeakSet::new(),
            polls: Cell::new(0),
        }
    }

    /// Watches the document `document` just recorded in `frame`: user input in it, its CSSOM
    /// and shadow roots, and the frame loading another document.
    pub(crate) fn watch(&mut self, frame: &Element, document: &Document) {
        self.polls.set(0);
        // Frames gone or showing another document need their listeners no more.
        self.documents.retain(|(frame, document, _)| {
            frame.is_connected() && content_document(frame).is_some_and(|shown| shown == *document)
        });
        self.loads.retain(|(frame, _)| frame.is_connected());
        let known = self
            .documents
            .iter()
            .any(|(known, shown, _)| known == frame && shown == document);
        if !known && let Ok(listeners) = super::interaction::document_listeners(document) {
            self.documents
                .push((frame.clone(), document.clone(), listeners));
        }
        if !self.loads.iter().any(|(known, _)| known == frame) {
            let loaded = frame.clone();
            if let Ok(listener) = Listener::new(frame, "load", Phase::Bubble, move |_| {
                with_recorder(|recorder| recorder.record_frame_load(&loaded));
            }) {
                self.loads.push((frame.clone(), listener));
            }
        }
        if let Some(window) = document.default_view() {
            self.hook(&window);
        }
    }

    /// The recorded frames that show another document than the recorded one: a frame's `load`
    /// comes only once its own frames loaded, long after its new document is on screen.
    pub(crate) fn switched(&self, mirror: &Mirror) -> Vec<Element> {
        self.loads
            .iter()
            .map(|(frame, _)| frame)
            .filter(|frame| {
                frame.is_connected()
                    && mirror.id_of(frame).is_some()
                    && content_document(frame) != mirror.frame_document(frame)
            })
            .cloned()
            .collect()
    }

    /// Whether a recorded frame may switch to another document soon: its recorded document is
    /// still loading, or is the empty one a frame shows before its first page arrives. A frame
    /// that stays so is left to its `load` event after [`MAX_POLLS`] checks.
    pub(crate) fn loading(&self, mirror: &Mirror) -> bool {
        if self.polls.get() >= MAX_POLLS {
            return false;
        }
        self.polls.set(self.polls.get() + 1);
        self.loads.iter().any(|(frame, _)| {
            let Some(document) = mirror.frame_document(frame) else {
                return false;
            };
            let has_source = ["src", "srcdoc"].iter().any(|name| {
                frame
                    .get_attribute(name)
                    .is_some_and(|value| !value.is_empty() && value != "about:blank")
            });
            frame.is_connected()
                && (document.ready_state() != "complete"
                    || (has_source && document.url().is_ok_and(|url| url == "about:blank")))
        })
    }

    /// Wraps the CSSOM methods and `attachShadow` of a frame's window, once per window.
    fn hook(&self, window: &Window) {
        let Some(prototype) = Reflect::get(window, &JsValue::from_str("Element"))
            .and_then(|class| Reflect::get(&class, &JsValue::from_str("prototype")))
            .ok()
            .filter(JsValue::is_object)
        else {
            return;
        };
        if self.hooked.has(prototype.unchecked_ref()) {
            return;
        }
        self.hooked.add(prototype.unchecked_ref());
        super::stylesheets::install(window);
        wrap_method(
            prototype.unchecked_ref::<Object>(),
            "attachShadow",
            |host, _| {
                if let Some(host) = as_node(host).and_then(as_element) {
                    with_recorder(|recorder| recorder.record_attached_shadow(host));
                }
            },
        );
    }
}

/// The mutation a recorded `frame` makes by loading another document: the document recorded
/// so far is removed, the one it shows now (when this page can read it) added as its child.
/// `None` when the frame is not recorded, is a placeholder, or shows what was recorded.
pub(crate) fn frame_load_mutation(
    mirror: &mut Mirror,
    privacy: &Privacy,
    frame: &Element,
) -> Option<Mutation> {
    let frame_id = mirror.id_of(frame)?;
    let document = content_document(frame);
    let depth = depth_of(frame);
    if document.as_ref().is_some_and(|d| mirror.id_of(d).is_some())
        || depth >= MAX_ELEMENT_DEPTH
        || !records_children(privacy, frame)
    {
        return None;
    }
    let mut mutation = Mutation::default();
    if let Some(old) = mirror.take_frame_document(frame)
        && let Some(id) = mirror.id_of(&old)
    {
        mutation.removes.push(RemovedNode {
            parent_id: frame_id,
            id,
        });
        mirror.forget_subtree(&old);
    }
    if let Some(document) = document {
        mirror.note_frame(frame, &document);
        let context = privacy.context_of(frame);
        if let Some(node) = serialize(mirror, privacy, &document, depth, context) {
            mutation.adds.push(AddedNode {
                parent_id: frame_id,
                next_id: None,
                node,
            });
        }
    }
    (!mutation.removes.is_empty() || !mutation.adds.is_empty()).then_some(mutation)
}
