//! Stylesheets changed through the CSSOM rather than the DOM: rules inserted or deleted with
//! `insertRule` / `deleteRule` (on sheets and on grouping rules such as `@media`), sheets
//! replaced with `replace` / `replaceSync`, and the `adoptedStyleSheets` of documents and shadow
//! roots. CSS is recorded as it is (it carries no page text and the replay needs it).

use js_sys::{Array, Object, Reflect, WeakMap};
use sightline_protocol::v1::{AdoptedStyleSheets, ConstructedSheet, StyleOp, StyleOpKind};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Window;

use super::hooks::wrap_method;
use super::recorder::with_recorder;
use crate::stack::truncate;

/// Longest sheet text recorded, in bytes.
const MAX_SHEET_BYTES: usize = 1024 * 1024;

/// The ids of constructed stylesheets (`new CSSStyleSheet()`), given when first adopted.
pub(crate) struct StyleSheets {
    ids: WeakMap,
    next_id: u32,
}

impl StyleSheets {
    /// No sheet known yet; ids start at 1.
    pub(crate) fn new() -> Self {
        Self {
            ids: WeakMap::new(),
            next_id: 1,
        }
    }

    /// The id of a constructed sheet that was adopted somewhere, if it was.
    pub(crate) fn id_of(&self, sheet: &JsValue) -> Option<u32> {
        let sheet = sheet.dyn_ref::<Object>()?;
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
            let Ok(object) = sheet.clone().dyn_into::<Object>() else {
                continue;
            };
            let style_id = match self.id_of(&sheet) {
                Some(id) => id,
                None => {
                    let id = self.next_id;
                    self.next_id = self.next_id.saturating_add(1);
                    self.ids.set(&object, &JsValue::from(id));
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

/// `list` (a rule list or array) as an array; `None` when it is not an object.
fn items(list: &JsValue) -> Option<Array> {
    list.is_object().then(|| Array::from(list))
}

fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn prototype(window: &Window, class: &str) -> Option<Object> {
    let class = Reflect::get(window, &JsValue::from_str(class)).ok()?;
    get(&class, "prototype").dyn_into().ok()
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
