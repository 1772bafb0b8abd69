//! `<link>` stylesheets whose CSS the recorder captured (a replace of the link's sheet): the
//! replay renders them from that text, as a `data:` URL, and never fetches the recorded `href`
//! (the site may be gone, or serve other CSS by now). Links without captured CSS keep their
//! `href`.
//!
//! A `data:` stylesheet still loads asynchronously: until it has, the link has no sheet, so the
//! mirror's edits of it are kept aside and applied by the link's `load` handler.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use sightline_protocol::v1::{NodeId, StyleOp, StyleOpKind};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::Element;

use super::Renderer;
use super::state::{apply_op, parsed_rules};
use crate::mirror::{Mirror, NodeKind};

/// A rendered link showing captured CSS: the element, and the mirror's edits of its sheet for
/// its `load` handler to apply.
pub(super) struct CapturedLink {
    element: web_sys::Node,
    pending: Rc<RefCell<Vec<StyleOp>>>,
}

/// The CSS the recorder captured for a link, from the edits of its sheet: the latest replace.
pub(super) fn captured_css(ops: &[StyleOp]) -> Option<&str> {
    ops.iter()
        .rev()
        .find(|op| op.kind == StyleOpKind::Replace)
        .map(|op| op.text.as_str())
}

/// Whether mirror node `id` is a `<link>` whose CSS the recorder captured.
pub(super) fn is_captured(mirror: &Mirror, id: NodeId) -> bool {
    mirror.node(id).is_some_and(
        |n| matches!(&n.kind, NodeKind::Element { tag, .. } if tag.eq_ignore_ascii_case("link")),
    ) && mirror
        .state()
        .sheet_ops
        .get(&id)
        .is_some_and(|ops| captured_css(ops).is_some())
}

/// A `data:` URL of `css`, as the browser parses it, with imports made inert.
fn data_url(css: &str) -> String {
    let text = parsed_rules(css).join("\n");
    format!(
        "data:text/css;charset=utf-8,{}",
        js_sys::encode_uri_component(&text)
    )
}

impl Renderer {
    /// Points a rendered link with captured CSS at that CSS (once per element), and keeps the
    /// mirror's edits of its sheet for its `load` handler (the sheet the link has meanwhile, if
    /// any, is replaced when the load ends).
    pub(super) fn sync_captured_link(&mut self, mirror: &Mirror, id: NodeId, node: &web_sys::Node) {
        if !is_captured(mirror, id) {
            return;
        }
        let ops = mirror
            .state()
            .sheet_ops
            .get(&id)
            .map_or(&[][..], Vec::as_slice);
        if let Some(link) = self
            .captured_links
            .get(&id)
            .filter(|link| js_sys::Object::is(&link.element, node))
        {
            link.pending.replace(ops.to_vec());
            return;
        }
        let Some(css) = captured_css(ops) else {
            return;
        };
        let pending = Rc::new(RefCell::new(ops.to_vec()));
        let on_load = {
            let pending = Rc::clone(&pending);
            let element = node.clone();
            // The sheet parsed from the captured text: the edits (starting with that replace,
            // which resets the rules) bring it to the mirror's state.
            Closure::<dyn FnMut()>::new(move || {
                let Ok(sheet) = Reflect::get(&element, &"sheet".into()) else {
                    return;
                };
                if sheet.is_object() {
                    for op in pending.borrow().iter() {
                        apply_op(&sheet, op);
                    }
                }
            })
            .into_js_value()
        };
        // An import (inert) that fails to load makes the link report an error, with its sheet.
        let _ = Reflect::set(node, &"onload".into(), &on_load);
        let _ = Reflect::set(node, &"onerror".into(), &on_load);
        let _ = node
            .unchecked_ref::<Element>()
            .set_attribute("href", &data_url(css));
        self.captured_links.insert(
            id,
            CapturedLink {
                element: node.clone(),
                pending,
            },
        );
    }

    /// Forgets links the mirror no longer has.
    pub(super) fn retain_captured_links(&mut self, mirror: &Mirror) {
        self.captured_links
            .retain(|id, _| mirror.node(*id).is_some());
    }
}
