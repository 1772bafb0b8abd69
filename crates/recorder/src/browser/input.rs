//! Form input: the value or checked state of a control after the user changed it, masked as the
//! privacy rules say. Controls under `sl-ignore` (or the `ignore` list) are not recorded.
//! Contenteditable text is recorded through DOM mutations instead.

use js_sys::{Object, Reflect};
use sightline_protocol::v1::{EventData, Input};
use wasm_bindgen::JsValue;
use web_sys::{Element, Event};

use super::frames::{as_element, as_node};
use super::recorder::Recorder;

/// Records the state of the control an `input` or `change` event came from, and for a radio
/// button that got checked, the state of the buttons of its group it unchecked.
pub(crate) fn record_input(recorder: &mut Recorder, event: &Event) {
    let Some(origin) = super::interaction::origin(event) else {
        return;
    };
    let Some(element) = as_node(&origin).and_then(as_element) else {
        return;
    };
    if !matches!(
        element.local_name().as_str(),
        "input" | "textarea" | "select"
    ) || recorder.privacy().ignores(element)
    {
        return;
    }
    record_state(recorder, element);
    let is_radio = element
        .get_attribute("type")
        .is_some_and(|kind| kind.eq_ignore_ascii_case("radio"));
    if is_radio && property(element, "checked").as_bool() == Some(true) {
        for other in radio_group(element) {
            record_state(recorder, &other);
        }
    }
}

/// Records `element`'s state unless it is the one recorded last for it.
fn record_state(recorder: &mut Recorder, element: &Element) {
    let Some(id) = recorder.mirror().id_of(element) else {
        return;
    };
    let (value, checked) = recorder.privacy().input_state(element);
    let mut key = String::with_capacity(value.len() + 1);
    key.push(match checked {
        Some(true) => '1',
        Some(false) => '0',
        None => '-',
    });
    key.push_str(&value);
    let key = JsValue::from_str(&key);
    let states = recorder.input_states();
    if Object::is(&states.get(element), &key) {
        return;
    }
    states.set(element, &key);
    recorder.record(EventData::Input(Input { id, value, checked }));
}

/// The other radio buttons of `radio`'s group: same name, same form.
fn radio_group(radio: &Element) -> Vec<Element> {
    let Some(name) = radio.get_attribute("name").filter(|name| !name.is_empty()) else {
        return Vec::new();
    };
    let form = property(radio, "form");
    let Some(document) = radio.owner_document() else {
        return Vec::new();
    };
    let named = document.get_elements_by_name(&name);
    (0..named.length())
        .filter_map(|index| named.item(index))
        .filter_map(|node| as_element(&node).cloned())
        .filter(|other| {
            other != radio
                && other.local_name() == "input"
                && other
                    .get_attribute("type")
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("radio"))
                && Object::is(&property(other, "form"), &form)
        })
        .collect()
}

fn property(element: &Element, name: &str) -> JsValue {
    Reflect::get(element, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}
