//! The recorded snapshot and mutations reproduce the DOM; thrown values become error reports.

use sightline_protocol::v1::{Namespace, Node};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{Recording, TestResult, apply, as_is, document, shape};
use crate::browser::error_value::report_for_value;
use crate::browser::snapshot::{MAX_ELEMENT_DEPTH, depth_of};
use crate::mask::PrivacyConfig;

#[wasm_bindgen_test]
fn snapshot_keeps_namespaces_and_attributes_but_not_script_text() -> TestResult {
    let recording = Recording::new(
        "<p class=\"a\" data-x=\"1\">hi<!--note--></p>\
         <script>var secret = 1;</script>\
         <svg viewBox=\"0 0 1 1\"><linearGradient id=\"g\"></linearGradient></svg>\
         <math><mi>x</mi></math>",
    )?;
    let shape = shape(&recording.tree);
    assert!(
        shape.contains(r#"<Html:p [("class", "a"), ("data-x", "1")]>(T"hi"C"note")"#),
        "{shape}"
    );
    assert!(shape.contains("<Html:script []>()"), "{shape}");
    assert!(!shape.contains("secret"), "{shape}");
    assert!(shape.contains("<Svg:linearGradient"), "{shape}");
    assert!(shape.contains("<MathMl:mi []>(T\"x\")"), "{shape}");
    let Node::Element { namespace, .. } = &recording.tree else {
        return Err("container is not an element".into());
    };
    assert_eq!(*namespace, Namespace::Html);
    Ok(())
}

#[wasm_bindgen_test]
fn deep_subtrees_are_clipped_and_changes_below_the_clip_are_ignored() -> TestResult {
    let html = "<div>".repeat(MAX_ELEMENT_DEPTH + 20);
    let mut recording = Recording::new(&html)?;
    let mut depth = 0;
    let mut node = &recording.tree;
    while let Some(child) = node.children().first() {
        node = child;
        depth += 1;
    }
    assert_eq!(depth + depth_of(&recording.container), MAX_ELEMENT_DEPTH);
    let leaf = recording.find(&"div ".repeat(MAX_ELEMENT_DEPTH + 19))?;
    let paragraph = document()?.create_element("p")?;
    leaf.append_child(&paragraph)?;
    leaf.set_attribute("data-changed", "yes")?;
    assert_eq!(recording.take(), None);
    Ok(())
}

#[wasm_bindgen_test]
fn replayed_mutations_reproduce_the_dom() -> TestResult {
    replayed_mutations_reproduce_the_dom_with(as_is())
}

#[wasm_bindgen_test]
fn replayed_mutations_reproduce_the_masked_dom() -> TestResult {
    replayed_mutations_reproduce_the_dom_with(PrivacyConfig::default())
}

fn replayed_mutations_reproduce_the_dom_with(config: PrivacyConfig) -> TestResult {
    let mut recording = Recording::with(
        "<h1>Hello <b>world</b></h1><p id=\"para\">Some text</p><div id=\"move\">m</div>\
         <div id=\"target\"></div><div id=\"replace\"><span>old</span></div>\
         <button class=\"primary\">Pay</button><svg><use href=\"#a\"></use></svg>",
        config,
    )?;
    let document = document()?;
    let target = recording.find("#target")?;
    let list = document.create_element("ul")?;
    for i in 0..3 {
        let item = document.create_element("li")?;
        item.set_text_content(Some(&format!("item {i}")));
        list.append_child(&item)?;
    }
    target.append_child(&list)?;
    // A new node inserted before another new node: the second must be added first.
    let second = document.create_element("em")?;
    let first = document.create_element("strong")?;
    target.append_child(&second)?;
    target.insert_before(&first, Some(&second))?;
    recording
        .find("#para")?
        .first_child()
        .ok_or("no text")?
        .set_node_value(Some("Changed text"));
    recording.find("#para")?.set_attribute("data-state", "on")?;
    recording.find("button")?.remove_attribute("class")?;
    let moved = recording.find("#move")?;
    target.append_child(&moved)?;
    recording.find("use")?.set_attribute_ns(
        Some("http://www.w3.org/1999/xlink"),
        "xlink:href",
        "#b",
    )?;
    let heading = recording.find("h1")?;
    heading.insert_before(
        &document.create_text_node(">> "),
        heading.first_child().as_ref(),
    )?;
    recording.assert_replay_matches()?;

    let item = list.children().item(1).ok_or("no item")?;
    list.remove_child(&item)?;
    list.first_element_child()
        .ok_or("no item")?
        .set_text_content(Some("item zero"));
    recording
        .find("#replace")?
        .set_inner_html("<i>new</i> <u>content</u><!--c-->");
    recording
        .find("use")?
        .remove_attribute_ns(Some("http://www.w3.org/1999/xlink"), "href")?;
    recording.assert_replay_matches()
}

#[wasm_bindgen_test]
fn a_node_added_and_removed_in_one_batch_produces_nothing() -> TestResult {
    let mut recording = Recording::new("<div id=\"target\"></div>")?;
    let ghost = document()?.create_element("div")?;
    recording.find("#target")?.append_child(&ghost)?;
    ghost.remove();
    assert_eq!(recording.take(), None);
    Ok(())
}

#[wasm_bindgen_test]
fn a_node_moved_into_a_removed_subtree_is_still_removed_where_the_viewer_has_it() -> TestResult {
    let mut recording =
        Recording::new("<div id=\"a\"><span id=\"known\">k</span></div><div id=\"b\"></div>")?;
    let b = recording.find("#b")?;
    let known = recording.find("#known")?;
    b.append_child(&known)?;
    b.remove();
    let mutation = recording.take().ok_or("no mutation")?;
    assert_eq!(mutation.removes.len(), 2, "{mutation:?}");
    assert!(mutation.adds.is_empty(), "{mutation:?}");
    apply(&mut recording.tree, &mutation).map_err(|e| JsValue::from_str(&e))?;
    recording.assert_replay_matches()
}

#[wasm_bindgen_test]
fn thrown_values_become_reports() -> TestResult {
    let error = js_sys::eval(
        "(function () { class PaymentError extends Error {} \
          try { (function pay() { throw new PaymentError('declined'); })(); } \
          catch (e) { return e; } })()",
    )?;
    let report = report_for_value(&error);
    assert_eq!(report.error_type, "PaymentError");
    assert_eq!(report.message, "declined");
    let frames = crate::stack::parse_stack(report.stack.as_deref().unwrap_or_default());
    assert_eq!(frames.first().map(|f| f.function.as_str()), Some("pay"));

    let report = report_for_value(&js_sys::TypeError::new("bad type").into());
    assert_eq!(
        (report.error_type.as_str(), report.message.as_str()),
        ("TypeError", "bad type")
    );

    let report = report_for_value(&JsValue::from_str("plain"));
    assert_eq!(
        (report.error_type.as_str(), report.message.as_str()),
        ("", "plain")
    );
    let object = js_sys::JSON::parse("{\"code\":42}")?;
    assert_eq!(report_for_value(&object).message, "{\"code\":42}");
    Ok(())
}
