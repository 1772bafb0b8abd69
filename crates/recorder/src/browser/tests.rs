//! DOM tests of the snapshot, the mutation batching and error reading, run in headless Chromium:
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! CHROMEDRIVER=/usr/bin/chromedriver \
//!   cargo test -p sightline-recorder --target wasm32-unknown-unknown --lib
//! ```
//!
//! Each test records a container element of the runner's page, changes it, and checks that
//! replaying the recorded mutation onto the recorded snapshot gives what a fresh snapshot sees.

use js_sys::Function;
use sightline_protocol::v1::{Mutation, Namespace, Node, NodeId};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, MutationObserver, MutationObserverInit};

use super::error_value::report_for_value;
use super::mirror::Mirror;
use super::mutations::mutation_from_records;
use super::snapshot::{MAX_ELEMENT_DEPTH, depth_of, serialize};

wasm_bindgen_test_configure!(run_in_browser);

type TestResult = Result<(), JsValue>;

/// A recorded container: its snapshot, the ids and an observer whose records are taken by hand.
struct Recording {
    container: Element,
    mirror: Mirror,
    tree: Node,
    observer: MutationObserver,
}

impl Recording {
    fn new(html: &str) -> Result<Self, JsValue> {
        let document = document()?;
        let container = document.create_element("section")?;
        container.set_inner_html(html);
        document
            .body()
            .ok_or_else(|| JsValue::from_str("no body"))?
            .append_child(&container)?;
        let mut mirror = Mirror::new();
        let tree = serialize(&mut mirror, &container, depth_of(&container))
            .ok_or_else(|| JsValue::from_str("container not serialized"))?;
        let observer = MutationObserver::new(&Function::new_no_args(""))?;
        let options = MutationObserverInit::new();
        options.set_child_list(true);
        options.set_attributes(true);
        options.set_character_data(true);
        options.set_subtree(true);
        observer.observe_with_options(&container, &options)?;
        Ok(Self {
            container,
            mirror,
            tree,
            observer,
        })
    }

    /// The mutation event for everything changed since the last call.
    fn take(&mut self) -> Option<Mutation> {
        mutation_from_records(&mut self.mirror, &self.observer.take_records())
    }

    /// Takes the pending changes, replays them on the recorded tree and checks the result against
    /// a fresh snapshot of the container.
    fn assert_replay_matches(&mut self) -> TestResult {
        if let Some(mutation) = self.take() {
            apply(&mut self.tree, &mutation).map_err(|e| JsValue::from_str(&e))?;
        }
        let fresh = serialize(
            &mut Mirror::new(),
            &self.container,
            depth_of(&self.container),
        )
        .ok_or_else(|| JsValue::from_str("not serialized"))?;
        assert_eq!(shape(&self.tree), shape(&fresh));
        Ok(())
    }

    fn find(&self, selector: &str) -> Result<Element, JsValue> {
        self.container
            .query_selector(selector)?
            .ok_or_else(|| JsValue::from_str(selector))
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.observer.disconnect();
        self.container.remove();
    }
}

fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// The tree without ids, attributes sorted: what a viewer would show.
fn shape(node: &Node) -> String {
    let children = |children: &[Node]| children.iter().map(shape).collect::<String>();
    match node {
        Node::Element {
            tag,
            attributes,
            children: kids,
            namespace,
            ..
        } => {
            let mut attributes = attributes.clone();
            attributes.sort();
            format!("<{namespace:?}:{tag} {attributes:?}>({})", children(kids))
        }
        Node::Text { text, .. } => format!("T{text:?}"),
        Node::Comment { text, .. } => format!("C{text:?}"),
        other => format!("{other:?}"),
    }
}

fn find_mut(node: &mut Node, id: NodeId) -> Option<&mut Node> {
    if node.id() == id {
        return Some(node);
    }
    match node {
        Node::Element { children, .. } | Node::Document { children, .. } => {
            children.iter_mut().find_map(|child| find_mut(child, id))
        }
        _ => None,
    }
}

fn children_of(tree: &mut Node, id: NodeId) -> Result<&mut Vec<Node>, String> {
    match find_mut(tree, id) {
        Some(Node::Element { children, .. } | Node::Document { children, .. }) => Ok(children),
        _ => Err(format!("node {id} is not a recorded parent")),
    }
}

/// Applies a mutation as a viewer does, failing where a viewer would fail.
fn apply(tree: &mut Node, mutation: &Mutation) -> Result<(), String> {
    for remove in &mutation.removes {
        let children = children_of(tree, remove.parent_id)?;
        let position = children
            .iter()
            .position(|child| child.id() == remove.id)
            .ok_or(format!(
                "{} is not a child of {}",
                remove.id, remove.parent_id
            ))?;
        children.remove(position);
    }
    for add in &mutation.adds {
        if find_mut(tree, add.node.id()).is_some() {
            return Err(format!("id {} added twice", add.node.id()));
        }
        let children = children_of(tree, add.parent_id)?;
        let position = match add.next_id {
            None => children.len(),
            Some(next) => children
                .iter()
                .position(|child| child.id() == next)
                .ok_or(format!("next {next} is not a child of {}", add.parent_id))?,
        };
        children.insert(position, add.node.clone());
    }
    for change in &mutation.texts {
        match find_mut(tree, change.id) {
            Some(Node::Text { text, .. } | Node::Comment { text, .. }) => {
                text.clone_from(&change.text);
            }
            _ => return Err(format!("text change on {}", change.id)),
        }
    }
    for change in &mutation.attributes {
        let Some(Node::Element { attributes, .. }) = find_mut(tree, change.id) else {
            return Err(format!("attribute change on {}", change.id));
        };
        attributes.retain(|(name, _)| *name != change.name);
        if let Some(value) = &change.value {
            attributes.push((change.name.clone(), value.clone()));
        }
    }
    Ok(())
}

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
    let mut recording = Recording::new(
        "<h1>Hello <b>world</b></h1><p id=\"para\">Some text</p><div id=\"move\">m</div>\
         <div id=\"target\"></div><div id=\"replace\"><span>old</span></div>\
         <button class=\"primary\">Pay</button><svg><use href=\"#a\"></use></svg>",
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
