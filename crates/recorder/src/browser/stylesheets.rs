//! Stylesheets changed through the CSSOM rather than the DOM: rules inserted or deleted with
//! `insertRule` / `deleteRule` (on sheets and on grouping rules such as `@media`), sheets
//! replaced with `replace` / `replaceSync`, and the `adoptedStyleSheets` of documents and shadow
//! roots. CSS is recorded as it is (it carries no page text and the replay needs it).
//!
//! The rules a `<link rel=stylesheet>` loaded are recorded as its sheet's text when the CSSOM lets
//! the page read them (same origin or CORS), so the replay never fetches them again; their
//! relative `url()`s are made absolute against the sheet's URL. Other origins' sheets keep only
//! the link's `href`.

use js_sys::{Array, Object, Reflect, Set, WeakMap};
use sightline_protocol::v1::{AdoptedStyleSheets, ConstructedSheet, StyleOp, StyleOpKind};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Window};

use super::hooks::wrap_method;
use super::listener::{Listener, Phase};
use super::recorder::with_recorder;
use crate::stack::truncate;

/// Longest sheet text recorded, in bytes.
const MAX_SHEET_BYTES: usize = 1024 * 1024;

/// The ids of constructed stylesheets (`new CSSStyleSheet()`), given when first adopted, and the
/// recorded `<link rel=stylesheet>` elements, whose sheets are recorded when they load.
pub(crate) struct StyleSheets {
    ids: WeakMap,
    next_id: u32,
    links: Vec<(Element, Listener)>,
    /// `<style>` and `<link>` elements whose sheet was edited through the CSSOM: their text no
    /// longer says what they apply, so a checkpoint re-sends their rules.
    edited: Set,
}

impl StyleSheets {
    /// No sheet known yet; ids start at 1.
    pub(crate) fn new() -> Self {
        Self {
            ids: WeakMap::new(),
            next_id: 1,
            links: Vec::new(),
            edited: Set::new(&JsValue::UNDEFINED),
        }
    }

    /// Notes that the sheet of `owner` (a `<style>` or `<link>`) was edited through the CSSOM.
    pub(crate) fn note_edited(&self, owner: &JsValue) {
        self.edited.add(owner);
    }

    /// The elements with edited sheets still in the page, each with the rules it applies now.
    pub(crate) fn edited_rules(&self) -> Vec<(Element, String)> {
        let mut rules = Vec::new();
        for owner in Array::from(&self.edited).iter() {
            let owner: Element = owner.unchecked_into();
            if !owner.is_connected() {
                self.edited.delete(&owner);
                continue;
            }
            if let Some(text) = css_text(&get(&owner, "sheet")) {
                rules.push((owner, text));
            }
        }
        rules
    }

    /// Records the sheet of the `<link>` `link` whenever it loads one (again, after its `href`
    /// changed).
    pub(crate) fn watch_link(&mut self, link: &Element) {
        self.links.retain(|(link, _)| link.is_connected());
        if self.links.iter().any(|(known, _)| known == link) {
            return;
        }
        let loaded = link.clone();
        if let Ok(listener) = Listener::new(link, "load", Phase::Bubble, move |_| {
            with_recorder(|recorder| recorder.record_link_sheet(&loaded));
        }) {
            self.links.push((link.clone(), listener));
        }
    }

    /// The id of a constructed sheet that was adopted somewhere, if it was.
    pub(crate) fn id_of(&self, sheet: &JsValue) -> Option<u32> {
        // A frame's sheets are not `instanceof` this window's `Object`.
        let sheet = sheet.is_object().then(|| sheet.unchecked_ref::<Object>())?;
        // Ids are integers this map stored itself; the cast is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.ids.get(sheet).as_f64().map(|id| id as u32)
    }

    /// The `adoptedStyleSheets` of `owner` (a document or shadow root recorded as `owner_id`),
    /// with the text of sheets seen for the first time; `None` when `owner` has none and
    /// `skip_empty` is set.
    pub(crate) fn adopted(
        &mut self,
        owner: &JsValue,
        owner_id: u32,
        skip_empty: bool,
    ) -> Option<AdoptedStyleSheets> {
        let sheets = items(&Reflect::get(owner, &JsValue::from_str("adoptedStyleSheets")).ok()?)?;
        if skip_empty && sheets.length() == 0 {
            return None;
        }
        let mut adopted = AdoptedStyleSheets {
            owner_id,
            style_ids: Vec::with_capacity(sheets.length() as usize),
            new_sheets: Vec::new(),
        };
        for sheet in sheets.iter() {
            if !sheet.is_object() {
                continue;
            }
            let object: &Object = sheet.unchecked_ref();
            let style_id = match self.id_of(&sheet) {
                Some(id) => id,
                None => {
                    let id = self.next_id;
                    self.next_id = self.next_id.saturating_add(1);
                    self.ids.set(object, &JsValue::from(id));
                    adopted.new_sheets.push(ConstructedSheet {
                        style_id: id,
                        text: css_text(&sheet).unwrap_or_default(),
                    });
                    id
                }
            };
            adopted.style_ids.push(style_id);
        }
        Some(adopted)
    }
}

/// The rules of `sheet` as CSS text, bounded; `None` when the sheet cannot be read (another
/// origin's stylesheet).
pub(crate) fn css_text(sheet: &JsValue) -> Option<String> {
    let rules = items(&Reflect::get(sheet, &JsValue::from_str("cssRules")).ok()?)?;
    let mut text = String::new();
    for rule in rules.iter() {
        let Some(rule_text) = get(&rule, "cssText").as_string() else {
            continue;
        };
        if text.len() + rule_text.len() + 1 > MAX_SHEET_BYTES {
            break;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&rule_text);
    }
    Some(text)
}

/// Whether `element` is a `<link>` that loads a stylesheet.
pub(crate) fn is_stylesheet_link(element: &Element) -> bool {
    element.local_name() == "link"
        && element.get_attribute("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|kind| kind.eq_ignore_ascii_case("stylesheet"))
        })
}

/// The rules the `<link>` `link` loaded, with relative `url()`s made absolute against the
/// sheet's URL; `None` when it has no sheet yet or the page may not read it.
pub(crate) fn link_css(link: &Element) -> Option<String> {
    let sheet = get(link, "sheet");
    if !sheet.is_object() {
        return None;
    }
    let text = css_text(&sheet)?;
    let base = get(&sheet, "href").as_string().unwrap_or_default();
    Some(absolute_urls(&text, &base))
}

/// `css` (as the CSSOM serializes it: every `url("…")` quoted) with its relative URLs resolved
/// against `base`, the sheet's URL.
pub(crate) fn absolute_urls(css: &str, base: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("url(\"") {
        let (head, tail) = rest.split_at(start + 5);
        out.push_str(head);
        let Some(end) = tail.find('"') else {
            rest = tail;
            break;
        };
        let url = &tail[..end];
        match resolve(url, base) {
            Some(absolute) => out.push_str(&absolute),
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `url` resolved against `base` by the browser's `URL`; `None` when already absolute (or
/// unresolvable), a fragment or a data URL.
fn resolve(url: &str, base: &str) -> Option<String> {
    let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if base.is_empty() || has_scheme || url.starts_with('#') {
        return None;
    }
    let class: js_sys::Function = get(&js_sys::global(), "URL").dyn_into().ok()?;
    let arguments = Array::of2(&JsValue::from_str(url), &JsValue::from_str(base));
    let resolved = Reflect::construct(&class, &arguments).ok()?;
    get(&resolved, "href").as_string()
}

/// `list` (a rule list or array) as an array; `None` when it is not an object.
fn items(list: &JsValue) -> Option<Array> {
    list.is_object().then(|| Array::from(list))
}

fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn prototype(window: &Window, class: &str) -> Option<Object> {
    let class = Reflect::get(window, &JsValue::from_str(class)).ok()?;
    let prototype = get(&class, "prototype");
    prototype.is_object().then(|| prototype.unchecked_into())
}

/// An index argument of `insertRule` / `deleteRule` (0 when absent, as the CSSOM says).
fn index(arguments: &Array, position: u32) -> u32 {
    // Rule indexes are small non-negative integers; `as` saturates anything else.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    arguments
        .get(position)
        .as_f64()
        .map_or(0, |index| index as u32)
}

/// Where a grouping rule sits: its index in its parent's rules, outermost first, and its sheet.
fn rule_path(rule: &JsValue) -> Option<(JsValue, Vec<u32>)> {
    let mut path = Vec::new();
    let mut current = rule.clone();
    loop {
        let parent = get(&current, "parentRule");
        let list = if parent.is_null() || parent.is_undefined() {
            get(&get(&current, "parentStyleSheet"), "cssRules")
        } else {
            get(&parent, "cssRules")
        };
        let position = items(&list)?
            .iter()
            .position(|item| Object::is(&item, &current))?;
        path.push(u32::try_from(position).ok()?);
        if parent.is_null() || parent.is_undefined() {
            path.reverse();
            return Some((get(&current, "parentStyleSheet"), path));
        }
        current = parent;
    }
}

/// Wraps the CSSOM methods that change stylesheets and the `adoptedStyleSheets` setters.
pub(crate) fn install(window: &Window) {
    if let Some(sheet) = prototype(window, "CSSStyleSheet") {
        wrap_method(&sheet, "insertRule", |sheet, arguments| {
            let op = StyleOp {
                kind: StyleOpKind::Insert,
                path: vec![index(arguments, 1)],
                text: arguments.get(0).as_string().unwrap_or_default(),
            };
            record(sheet, op);
        });
        wrap_method(&sheet, "deleteRule", |sheet, arguments| {
            let op = StyleOp {
                kind: StyleOpKind::Delete,
                path: vec![index(arguments, 0)],
                text: String::new(),
            };
            record(sheet, op);
        });
        for name in ["replace", "replaceSync"] {
            wrap_method(&sheet, name, |sheet, arguments| {
                let text = arguments.get(0).as_string().unwrap_or_default();
                let op = StyleOp {
                    kind: StyleOpKind::Replace,
                    path: Vec::new(),
                    text: truncate(&text, MAX_SHEET_BYTES).to_owned(),
                };
                record(sheet, op);
            });
        }
    }
    if let Some(grouping) = prototype(window, "CSSGroupingRule") {
        wrap_method(&grouping, "insertRule", |rule, arguments| {
            if let Some((sheet, mut path)) = rule_path(rule) {
                path.push(index(arguments, 1));
                let text = arguments.get(0).as_string().unwrap_or_default();
                record(
                    &sheet,
                    StyleOp {
                        kind: StyleOpKind::Insert,
                        path,
                        text,
                    },
                );
            }
        });
        wrap_method(&grouping, "deleteRule", |rule, arguments| {
            if let Some((sheet, mut path)) = rule_path(rule) {
                path.push(index(arguments, 0));
                let op = StyleOp {
                    kind: StyleOpKind::Delete,
                    path,
                    text: String::new(),
                };
                record(&sheet, op);
            }
        });
    }
    for class in ["Document", "ShadowRoot"] {
        if let Some(prototype) = prototype(window, class) {
            wrap_setter(&prototype, "adoptedStyleSheets", |owner| {
                with_recorder(|recorder| recorder.record_adopted(owner));
            });
        }
    }
}

fn record(sheet: &JsValue, op: StyleOp) {
    with_recorder(|recorder| recorder.record_style_op(sheet, op));
}

/// Replaces the setter of the accessor property `name` of `target` by a transparent proxy that
/// calls `after(this)` once the original setter returned.
fn wrap_setter(target: &Object, name: &str, after: impl Fn(&JsValue) + 'static) {
    let key = JsValue::from_str(name);
    let descriptor = Object::get_own_property_descriptor(target, &key);
    let setter = get(&descriptor, "set");
    if !setter.is_function() {
        return;
    }
    let holder = Object::new();
    if Reflect::set(&holder, &JsValue::from_str("set"), &setter).is_err() {
        return;
    }
    if !wrap_method(&holder, "set", move |this, _| after(this)) {
        return;
    }
    let _ = Reflect::set(&descriptor, &JsValue::from_str("set"), &get(&holder, "set"));
    if let Ok(descriptor) = descriptor.dyn_into::<Object>() {
        let _ = Reflect::define_property(target, &key, &descriptor);
    }
}
