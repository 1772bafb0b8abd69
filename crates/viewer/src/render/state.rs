//! Applies what the mirror keeps besides the node tree to the rendered nodes: form values as
//! properties, scroll offsets, paused and seeked media, CSSOM edits and adopted sheets.
//!
//! CSSOM objects may belong to the iframe's realm, so they are reached through `Reflect` rather
//! than typed casts (whose `instanceof` checks fail across realms).

use js_sys::{Array, Function, Reflect};
use sightline_protocol::v1::{NodeId, StyleOp, StyleOpKind};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlMediaElement, ScrollBehavior, ScrollToOptions};

use super::Renderer;
use crate::css_head::{self, HeadRule};
use crate::mirror::{Mirror, NodeKind};
use crate::sanitize;

/// A constructed sheet as rendered in one document.
pub(super) struct LiveSheet {
    sheet: JsValue,
    /// The mirror's revision of the sheet's text that `sheet` holds.
    revision: u32,
    /// How many of the mirror's edits since that text `sheet` holds.
    applied: usize,
}

impl Renderer {
    /// Sets a form control's `value` and `checked` properties (never attributes: the recorded
    /// page kept them as properties too). Without an input event yet, a `<textarea>` or
    /// `<select>` takes the live value the snapshot recorded as its `value` attribute; a select
    /// whose value matches none of its options (a masked one) selects nothing.
    pub(super) fn sync_input(&self, mirror: &Mirror, id: NodeId) {
        let (
            Some(node),
            Some(NodeKind::Element {
                tag, attributes, ..
            }),
        ) = (self.nodes.get(&id), mirror.node(id).map(|n| &n.kind))
        else {
            return;
        };
        let is_control = ["input", "textarea", "select"]
            .iter()
            .any(|control| tag.eq_ignore_ascii_case(control));
        if !is_control {
            return;
        }
        let input = mirror.state().input(id);
        let Some(value) = input
            .map(|i| i.value.as_str())
            .or_else(|| sanitize::value_property(tag, attributes))
        else {
            return;
        };
        if sanitize::value_is_property(tag, attributes) {
            // A file input refuses values; nothing else can fail.
            let _ = Reflect::set(node, &"value".into(), &value.into());
        }
        if let Some(checked) = input.and_then(|i| i.checked) {
            let _ = Reflect::set(node, &"checked".into(), &checked.into());
        }
    }

    /// Scrolls an element, or a document's window, to the mirror's offset, instantly.
    pub(super) fn sync_scroll(&self, mirror: &Mirror, id: NodeId) {
        let Some(node) = self.nodes.get(&id) else {
            return;
        };
        let (x, y) = mirror.state().scroll.get(&id).copied().unwrap_or((0, 0));
        let options = ScrollToOptions::new();
        options.set_left(f64::from(x));
        options.set_top(f64::from(y));
        options.set_behavior(ScrollBehavior::Instant);
        match node.node_type() {
            web_sys::Node::DOCUMENT_NODE => {
                if let Some(window) = node.unchecked_ref::<Document>().default_view() {
                    window.scroll_to_with_scroll_to_options(&options);
                }
            }
            web_sys::Node::ELEMENT_NODE => node
                .unchecked_ref::<Element>()
                .scroll_to_with_scroll_to_options(&options),
            _ => {}
        }
    }

    /// Keeps a media element paused and muted (a replay never plays recorded sound) at the
    /// position of its latest media event.
    pub(super) fn sync_media(&self, mirror: &Mirror, id: NodeId) {
        let (Some(node), Some(entry)) = (self.nodes.get(&id), mirror.node(id)) else {
            return;
        };
        if !(entry.kind.is_element("video") || entry.kind.is_element("audio")) {
            return;
        }
        let media = node.unchecked_ref::<HtmlMediaElement>();
        media.set_muted(true);
        // Pausing also clears the element's permission to autoplay.
        let _ = media.pause();
        if let Some(state) = mirror.state().media.get(&id) {
            media.set_current_time(f64::from(state.current_time) / 1_000.0);
        }
    }

    /// Brings a `<style>`/`<link>` element's sheet in line with the mirror's CSSOM edits.
    pub(super) fn sync_element_sheet(&mut self, mirror: &Mirror, id: NodeId) {
        let Some(node) = self.nodes.get(&id).cloned() else {
            return;
        };
        let sheet = Reflect::get(&node, &"sheet".into())
            .ok()
            .filter(JsValue::is_object);
        self.sync_captured_link(mirror, id, &node);
        // Not in a document, or a link that has not loaded.
        let Some(sheet) = sheet else {
            return;
        };
        let ops = mirror
            .state()
            .sheet_ops
            .get(&id)
            .map_or(&[][..], Vec::as_slice);
        let applied = match self.element_sheets.get(&id) {
            Some((known, applied)) if js_sys::Object::is(known, &sheet) => *applied,
            // A new sheet, parsed from the element's text.
            _ => 0,
        };
        for op in ops.get(applied..).unwrap_or_default() {
            apply_op(&sheet, op);
        }
        self.element_sheets.insert(id, (sheet, ops.len()));
    }

    /// Brings every rendered copy of constructed sheet `style_id` in line with the mirror.
    pub(super) fn sync_constructed_everywhere(&mut self, mirror: &Mirror, style_id: u32) {
        let documents: Vec<NodeId> = self
            .constructed
            .keys()
            .filter(|(_, s)| *s == style_id)
            .map(|(d, _)| *d)
            .collect();
        for document in documents {
            self.constructed_sheet(mirror, document, style_id);
        }
    }

    /// The constructed sheet `style_id` as rendered in `document`, created in that document's
    /// window when needed and brought in line with the mirror.
    fn constructed_sheet(
        &mut self,
        mirror: &Mirror,
        document: NodeId,
        style_id: u32,
    ) -> Option<JsValue> {
        let state = mirror.constructed_sheet(style_id)?;
        if !self.constructed.contains_key(&(document, style_id)) {
            let window = self
                .nodes
                .get(&document)?
                .unchecked_ref::<Document>()
                .default_view()?;
            let constructor = Reflect::get(&window, &"CSSStyleSheet".into()).ok()?;
            if !constructor.is_function() {
                return None;
            }
            let sheet =
                Reflect::construct(constructor.unchecked_ref::<Function>(), &Array::new()).ok()?;
            self.constructed.insert(
                (document, style_id),
                LiveSheet {
                    sheet,
                    revision: state.revision.wrapping_sub(1),
                    applied: 0,
                },
            );
        }
        let live = self.constructed.get_mut(&(document, style_id))?;
        if live.revision != state.revision || live.applied > state.ops.len() {
            call(&live.sheet, "replaceSync", &[state.text.as_str().into()]);
            live.revision = state.revision;
            live.applied = 0;
        }
        for op in state.ops.get(live.applied..).unwrap_or_default() {
            apply_op(&live.sheet, op);
        }
        live.applied = state.ops.len();
        Some(live.sheet.clone())
    }

    /// Sets the adopted sheets of a rendered document or shadow root from the mirror.
    pub(super) fn sync_adopted(&mut self, mirror: &Mirror, owner: NodeId) {
        let is_owner = mirror
            .node(owner)
            .is_some_and(|n| matches!(n.kind, NodeKind::Document | NodeKind::ShadowRoot));
        let Some(document) = mirror.document_of(owner).filter(|_| is_owner) else {
            return;
        };
        let sheets = Array::new();
        let style_ids = mirror
            .state()
            .adopted
            .get(&owner)
            .cloned()
            .unwrap_or_default();
        for style_id in style_ids {
            if let Some(sheet) = self.constructed_sheet(mirror, document, style_id) {
                sheets.push(&sheet);
            }
        }
        if let Some(node) = self.nodes.get(&owner) {
            set_adopted(node, &sheets);
        }
    }
}

/// Sets `adoptedStyleSheets` of a document or shadow root.
pub(super) fn set_adopted(owner: &JsValue, sheets: &Array) {
    let _ = Reflect::set(owner, &"adoptedStyleSheets".into(), sheets);
}

/// Applies one CSSOM edit to `sheet`. Index paths reach into grouping rules (`@media`,
/// `@supports`) through their `cssRules`; an edit the browser refuses (a stale index, a rule it
/// does not parse) is left out, as the recorded browser would have thrown too.
pub(super) fn apply_op(sheet: &JsValue, op: &StyleOp) {
    if op.kind == StyleOpKind::Replace {
        let owned = Reflect::get(sheet, &"ownerNode".into()).is_ok_and(|owner| owner.is_object());
        if owned {
            replace_rules(sheet, &op.text);
        } else {
            call(sheet, "replaceSync", &[op.text.as_str().into()]);
        }
        return;
    }
    let Some((&index, parents)) = op.path.split_last() else {
        return;
    };
    let mut target = sheet.clone();
    for &step in parents {
        let rule = Reflect::get(&target, &"cssRules".into())
            .and_then(|rules| Reflect::get_u32(&rules, step));
        match rule {
            Ok(rule) if rule.is_object() => target = rule,
            _ => return,
        }
    }
    match op.kind {
        StyleOpKind::Delete => call(&target, "deleteRule", &[index.into()]),
        _ => call(
            &target,
            "insertRule",
            &[sanitize::css_rule(&op.text).into(), index.into()],
        ),
    }
}

/// Replaces the rules of an element's sheet (which has no `replaceSync`) by those of `text`,
/// parsed in a constructed sheet and inserted one by one (imports made inert).
fn replace_rules(sheet: &JsValue, text: &str) {
    for index in (0..rule_count(sheet)).rev() {
        call(sheet, "deleteRule", &[index.into()]);
    }
    for css in parsed_rules(text) {
        // At the end, whatever the browser refused before it.
        let end = rule_count(sheet);
        call(sheet, "insertRule", &[css.into(), end.into()]);
    }
}

/// The rules of CSS `text` as the browser parses them (in a constructed sheet), each as its
/// serialized text, imports made inert.
pub(super) fn parsed_rules(text: &str) -> Vec<String> {
    let Ok(constructor) = Reflect::get(&js_sys::global(), &"CSSStyleSheet".into()) else {
        return Vec::new();
    };
    let Ok(parser) = Reflect::construct(constructor.unchecked_ref::<Function>(), &Array::new())
    else {
        return Vec::new();
    };
    call(&parser, "replaceSync", &[text.into()]);
    let Ok(parsed) = Reflect::get(&parser, &"cssRules".into()) else {
        return Vec::new();
    };
    let parsed = Array::from(&parsed);
    let mut parsed = parsed
        .iter()
        .filter_map(|rule| Reflect::get(&rule, &"cssText".into()).ok()?.as_string())
        .map(|css| sanitize::css_rule(&css).to_owned());
    // A constructed sheet drops imports: each is put back, inert, where it stood.
    let mut rules = Vec::new();
    for head in css_head::head_rules(text) {
        match head {
            HeadRule::Import => rules.push(sanitize::INERT_IMPORT.to_owned()),
            HeadRule::Layer => rules.extend(parsed.next()),
        }
    }
    rules.extend(parsed);
    rules
}

/// How many top-level rules `sheet` has (0 when unreadable).
fn rule_count(sheet: &JsValue) -> u32 {
    Reflect::get(sheet, &"cssRules".into())
        .and_then(|rules| Reflect::get(&rules, &"length".into()))
        .ok()
        .and_then(|length| length.as_f64())
        .map_or(0, |length| length as u32)
}

/// Calls `target[method](...args)`, ignoring failures.
fn call(target: &JsValue, method: &str, args: &[JsValue]) {
    let Ok(function) = Reflect::get(target, &method.into()) else {
        return;
    };
    if function.is_function() {
        let args: Array = args.iter().collect();
        let _ = Reflect::apply(function.unchecked_ref::<Function>(), target, &args);
    }
}
