//! The rules of [`crate::mask`] applied to live DOM nodes: which overrides reach an element, what
//! of its text and attributes is recorded, and which elements are replaced by placeholders.
//!
//! Masking happens here, while a node is serialized: raw page text never reaches a protocol value.

use js_sys::{Array, Reflect, WeakMap, WeakSet};
use sightline_protocol::v1::Namespace;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use super::frames::{as_document, as_element, as_shadow_root, frame_element};

use crate::mask::{
    MaskOverride, MediaKind, PrivacyConfig, Scope, SelectorList, TextRole, attribute_role,
    blocked_style, is_media_source, media_kind, same_origin, text_role,
};
use crate::stack::truncate;

/// Longest attribute value or text recorded, in bytes; bigger ones (inline data URLs, huge styles)
/// are cut so that one value can never make a segment undecodable.
const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// The attribute that marks a blocked element's placeholder.
pub(crate) const BLOCKED_MARKER: &str = "data-sl-blocked";

/// Where a node sits: the scope of its parent element and the role of text there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// The parent element's scope.
    pub(crate) scope: Scope,
    /// The role of a text node's content in this parent.
    pub(crate) text: TextRole,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            scope: Scope::default(),
            text: TextRole::Text,
        }
    }
}

/// An element's local name and namespace, read from the DOM once per serialization.
pub(crate) struct ElementName {
    /// The local name (`div`, `linearGradient`).
    pub(crate) tag: String,
    /// The namespace.
    pub(crate) namespace: Namespace,
}

impl ElementName {
    /// Reads the name of `element`.
    pub(crate) fn of(element: &Element) -> Self {
        Self {
            tag: element.local_name(),
            namespace: Namespace::from_uri(element.namespace_uri().as_deref()),
        }
    }
}

/// An element's own privacy state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ElementPolicy {
    /// The scope of the element and its subtree.
    pub(crate) scope: Scope,
    /// Whether the element is recorded as a placeholder without content.
    pub(crate) blocked: bool,
}

/// The page's privacy configuration, compiled for the DOM.
pub(crate) struct Privacy {
    config: PrivacyConfig,
    mask: String,
    unmask: String,
    block: String,
    unblock: String,
    ignore: String,
    /// Any of the above but `ignore`: elements that match none need no further check.
    any: String,
    origin: String,
    /// Inputs that were password fields at some point: their values stay masked for good.
    passwords: WeakSet,
    /// Elements recorded as placeholders; they stay blocked for the rest of the recording.
    blocked: WeakSet,
    /// Placeholders blocked since the last [`Privacy::take_new_blocked`], to watch their size.
    new_blocked: Array,
    /// The style (with the size) last recorded for each placeholder.
    sizes: WeakMap,
}

impl Privacy {
    /// Compiles `config` for `document`, dropping selectors the browser cannot parse.
    pub(crate) fn new(mut config: PrivacyConfig, document: &Document) -> Self {
        if let Some(root) = document.document_element() {
            config.retain_selectors(|selector| {
                let valid = root.matches(selector).is_ok();
                if !valid {
                    web_sys::console::warn_2(
                        &JsValue::from_str("Sightline: ignoring an invalid selector"),
                        &JsValue::from_str(selector),
                    );
                }
                valid
            });
        }
        let origin = document
            .location()
            .and_then(|location| location.origin().ok())
            .unwrap_or_default();
        let [mask, unmask, block, unblock, ignore] =
            SelectorList::ALL.map(|list| config.selector(list));
        let mut any =
            String::with_capacity(mask.len() + unmask.len() + block.len() + unblock.len() + 3);
        for selector in [&mask, &unmask, &block, &unblock] {
            if !any.is_empty() {
                any.push(',');
            }
            any.push_str(selector);
        }
        Self {
            config,
            mask,
            unmask,
            block,
            unblock,
            ignore,
            any,
            origin,
            passwords: WeakSet::new(),
            blocked: WeakSet::new(),
            new_blocked: Array::new(),
            sizes: WeakMap::new(),
        }
    }

    /// The configuration in force.
    pub(crate) fn config(&self) -> &PrivacyConfig {
        &self.config
    }

    /// Whether input events of `element` are left out (`sl-ignore` and the `ignore` list).
    pub(crate) fn ignores(&self, element: &Element) -> bool {
        element.closest(&self.ignore).ok().flatten().is_some()
    }

    /// The recorded state of a form control now: its value, masked as its scope says (a
    /// password's always), and for checkboxes and radio buttons whether it is checked.
    pub(crate) fn input_state(&self, element: &Element) -> (String, Option<bool>) {
        let tag = element.local_name();
        let input_type = self.input_type(element, &tag);
        let read = |name: &str| Reflect::get(element, &JsValue::from_str(name)).ok();
        let value = read("value")
            .and_then(|value| value.as_string())
            .unwrap_or_default();
        let value = self.value(self.scope_of(element), &tag, &input_type, "value", &value);
        let checked = matches!(input_type.as_str(), "checkbox" | "radio")
            .then(|| read("checked").and_then(|checked| checked.as_bool()))
            .flatten();
        (value, checked)
    }

    /// The policy of `element`, named `name`, inside its parent's scope `outer`, for
    /// serializing top-down.
    pub(crate) fn enter(
        &self,
        outer: Scope,
        element: &Element,
        name: &ElementName,
    ) -> ElementPolicy {
        let matches = |selector: &str| element.matches(selector).unwrap_or(false);
        let (scope, matches_block) = if matches(&self.any) {
            let scope = outer.enter(
                matches(&self.mask),
                matches(&self.unmask),
                matches(&self.unblock),
            );
            (scope, matches(&self.block))
        } else {
            (outer, false)
        };
        ElementPolicy {
            scope,
            blocked: self.decide_block(element, name, scope, matches_block),
        }
    }

    /// The scope of an element already in the page, read from its ancestors, across the
    /// boundaries of the shadow trees it sits in.
    pub(crate) fn scope_of(&self, element: &Element) -> Scope {
        let mut scope = Scope::default();
        let mut current = Some(element.clone());
        while let Some(element) = current {
            let closest = |selector: &str| element.closest(selector).ok().flatten();
            if scope.mask.is_none() {
                scope.mask = match (closest(&self.mask), closest(&self.unmask)) {
                    // The nearer override wins; on the same element, masking does.
                    (Some(mask), Some(unmask)) => {
                        if !mask.is_same_node(Some(&unmask)) && mask.contains(Some(&unmask)) {
                            Some(MaskOverride::Unmask)
                        } else {
                            Some(MaskOverride::Mask)
                        }
                    }
                    (Some(_), None) => Some(MaskOverride::Mask),
                    (None, Some(_)) => Some(MaskOverride::Unmask),
                    (None, None) => None,
                };
            }
            scope.unblocked = scope.unblocked || closest(&self.unblock).is_some();
            // `closest` stops at a shadow root and at a frame's document: go on from the host
            // or the frame.
            let root = element.get_root_node();
            current = match as_shadow_root(&root) {
                Some(root) => Some(root.host()),
                None => as_document(&root).and_then(frame_element),
            };
        }
        scope
    }

    /// The context of the children of `parent`, an element, shadow root or document already in
    /// the page.
    pub(crate) fn context_of(&self, parent: &web_sys::Node) -> Context {
        if let Some(element) = as_element(parent) {
            return Context {
                scope: self.scope_of(element),
                text: text_role(&element.local_name()),
            };
        }
        let host = match as_shadow_root(parent) {
            Some(root) => Some(root.host()),
            None => as_document(parent).and_then(frame_element),
        };
        match host {
            Some(host) => Context {
                scope: self.scope_of(&host),
                text: TextRole::Text,
            },
            None => Context::default(),
        }
    }

    /// The context of the children of an element named `name` whose policy is `policy`.
    pub(crate) fn inside(name: &ElementName, policy: &ElementPolicy) -> Context {
        Context {
            scope: policy.scope,
            text: text_role(&name.tag),
        }
    }

    /// Whether `element` was recorded as a placeholder.
    pub(crate) fn is_blocked(&self, element: &Element) -> bool {
        self.blocked.has(element)
    }

    /// Whether `element`, recorded in full so far, has to become a placeholder now (a block
    /// class was added, an embed now loads another origin). Once blocked, it stays blocked.
    pub(crate) fn becomes_blocked(&self, element: &Element) -> bool {
        if self.is_blocked(element) {
            return false;
        }
        let matches_block = element.matches(&self.block).unwrap_or(false);
        let name = ElementName::of(element);
        self.decide_block(element, &name, self.scope_of(element), matches_block)
    }

    fn decide_block(
        &self,
        element: &Element,
        name: &ElementName,
        scope: Scope,
        matches_block: bool,
    ) -> bool {
        let svg = name.namespace == Namespace::Svg;
        let tag = &name.tag;
        let parent_tag = if tag == "source" {
            element
                .parent_element()
                .map(|parent| parent.local_name())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let kind = media_kind(tag, svg, &parent_tag);
        let cross_origin =
            kind == MediaKind::CrossOrigin && !same_origin(&embed_url(element, tag), &self.origin);
        let blocked = self.config.blocks(scope, matches_block, kind, cross_origin);
        if blocked {
            self.blocked.add(element);
            self.new_blocked.push(element);
        }
        blocked
    }

    /// The placeholders blocked since the last call.
    pub(crate) fn take_new_blocked(&self) -> Vec<Element> {
        let elements = self
            .new_blocked
            .iter()
            .map(JsCast::unchecked_into)
            .collect();
        self.new_blocked.set_length(0);
        elements
    }

    /// The placeholder style of `element` when its size changed since it was last recorded.
    pub(crate) fn resized_style(&self, element: &Element) -> Option<String> {
        if !self.is_blocked(element) {
            return None;
        }
        let recorded = self.sizes.get(element).as_string();
        let style = element.get_attribute("style").unwrap_or_default();
        let style = self.placeholder_style(element, &style);
        (recorded.as_deref() != Some(style.as_str())).then_some(style)
    }

    /// The placeholder's style: the element's own `style`, then its current layout size. The
    /// result is remembered so that a later resize is recorded once.
    fn placeholder_style(&self, element: &Element, style: &str) -> String {
        let rect = element.get_bounding_client_rect();
        let style = blocked_style(style, rect.width(), rect.height());
        self.sizes.set(element, &JsValue::from_str(&style));
        style
    }

    /// The recorded content of a text, comment or CDATA node in `context`.
    pub(crate) fn text(&self, node: &web_sys::Node, context: Context) -> String {
        let role = if node.node_type() == web_sys::Node::TEXT_NODE {
            context.text
        } else {
            TextRole::Text
        };
        let text = node.node_value().unwrap_or_default();
        self.config
            .text(context.scope, role, truncate(&text, MAX_VALUE_BYTES))
    }

    /// The recorded attributes of `element`: masked, with the live state of form fields, and as
    /// a sized placeholder when blocked.
    pub(crate) fn attributes(
        &self,
        element: &Element,
        name: &ElementName,
        policy: &ElementPolicy,
    ) -> Vec<(String, String)> {
        let tag = &name.tag;
        let input_type = self.input_type(element, tag);
        let list = element.attributes();
        let mut attributes = Vec::with_capacity(list.length() as usize + 2);
        let mut style = String::new();
        for attribute in (0..list.length()).filter_map(|index| list.item(index)) {
            let name = attribute.name();
            if policy.blocked {
                if name == "style" {
                    style = attribute.value();
                    continue;
                }
                if is_media_source(&name) || name == BLOCKED_MARKER {
                    continue;
                }
            }
            let value = self.value(policy.scope, tag, &input_type, &name, &attribute.value());
            attributes.push((name, value));
        }
        self.add_form_state(element, tag, &input_type, policy.scope, &mut attributes);
        if policy.blocked {
            attributes.push(("style".to_owned(), self.placeholder_style(element, &style)));
            attributes.push((BLOCKED_MARKER.to_owned(), String::new()));
        }
        attributes
    }

    /// The recorded value of attribute `name` of a recorded `element` in `scope`, set to
    /// `value` (`None`: removed). `None` when the change is not recorded at all (the media
    /// source of a placeholder).
    pub(crate) fn attribute_change(
        &self,
        element: &Element,
        scope: Scope,
        name: &str,
        value: Option<String>,
    ) -> Option<Option<String>> {
        if self.is_blocked(element) {
            if name == "style" {
                let style = value.as_deref().unwrap_or_default();
                return Some(Some(self.placeholder_style(element, style)));
            }
            if is_media_source(name) || name == BLOCKED_MARKER {
                return None;
            }
        }
        let tag = element.local_name();
        let input_type = self.input_type(element, &tag);
        Some(value.map(|value| self.value(scope, &tag, &input_type, name, &value)))
    }

    fn value(&self, scope: Scope, tag: &str, input_type: &str, name: &str, value: &str) -> String {
        let role = attribute_role(tag, input_type, name);
        self.config
            .text(scope, role, truncate(value, MAX_VALUE_BYTES))
    }

    /// An input's type in lower case (empty for other elements); `password` for any input that
    /// was a password field at some point, so that showing a password never unmasks it.
    fn input_type(&self, element: &Element, tag: &str) -> String {
        if tag != "input" {
            return String::new();
        }
        let kind = element
            .get_attribute("type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if kind == "password" {
            self.passwords.add(element);
            kind
        } else if self.passwords.has(element) {
            "password".to_owned()
        } else {
            kind
        }
    }

    /// Records what a form field shows now rather than its markup: the `value` of inputs,
    /// text areas and selects (masked as values), and whether a checkbox or radio is checked.
    fn add_form_state(
        &self,
        element: &Element,
        tag: &str,
        input_type: &str,
        scope: Scope,
        attributes: &mut Vec<(String, String)>,
    ) {
        if !matches!(tag, "input" | "textarea" | "select") {
            return;
        }
        if matches!(input_type, "checkbox" | "radio") {
            let checked = Reflect::get(element, &JsValue::from_str("checked"))
                .ok()
                .and_then(|checked| checked.as_bool())
                .unwrap_or(false);
            attributes.retain(|(name, _)| name != "checked");
            if checked {
                attributes.push(("checked".to_owned(), String::new()));
            }
            return;
        }
        let live = Reflect::get(element, &JsValue::from_str("value"))
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default();
        let position = attributes.iter().position(|(name, _)| name == "value");
        if position.is_none() && live.is_empty() {
            return;
        }
        let value = self.value(scope, tag, input_type, "value", &live);
        match position {
            Some(index) => attributes[index].1 = value,
            None => attributes.push(("value".to_owned(), value)),
        }
    }
}

/// The URL an embed loads, resolved by the browser (`src`, or `data` for `<object>`).
fn embed_url(element: &Element, tag: &str) -> String {
    let property = if tag == "object" { "data" } else { "src" };
    Reflect::get(element, &JsValue::from_str(property))
        .ok()
        .and_then(|url| url.as_string())
        .unwrap_or_default()
}
