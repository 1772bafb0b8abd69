//! DOM tests of the browser glue, run in headless Chromium:
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! CHROMEDRIVER=/usr/bin/chromedriver \
//!   cargo test -p sightline-recorder --target wasm32-unknown-unknown --lib
//! ```
//!
//! Each test records a container element of the runner's page, changes it, and checks what was
//! recorded: [`replay`] that replaying the recorded mutations onto the recorded snapshot gives
//! what a fresh snapshot sees, [`privacy`] that nothing unmasked reaches the segment bytes.

mod api;
mod capture;
mod frames;
mod guard;
mod hooks;
mod interaction;
mod links;
mod network;
mod pacing;
mod privacy;
mod replay;
mod retry;
mod sessions;
mod shadow;
mod styles;

use js_sys::Function;
use sightline_protocol::v1::{Mutation, Node, NodeId};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test_configure;
use web_sys::{Document, Element, MutationObserver, MutationObserverInit};

use super::mirror::Mirror;
use super::mutations::mutation_from_records;
use super::privacy::Privacy;
use super::snapshot::{depth_of, serialize};
use crate::mask::{PrivacyConfig, RawOption};

wasm_bindgen_test_configure!(run_in_browser);

type TestResult = Result<(), JsValue>;

/// A recorded container: its snapshot, the ids and an observer whose records are taken by hand.
struct Recording {
    container: Element,
    config: PrivacyConfig,
    privacy: Privacy,
    mirror: Mirror,
    tree: Node,
    observer: MutationObserver,
}

/// A configuration that records text, inputs and media as they are (passwords excepted).
fn as_is() -> PrivacyConfig {
    PrivacyConfig::from_options(|name| {
        matches!(name, "maskAllText" | "maskAllInputs" | "blockAllMedia")
            .then_some(RawOption::Bool(false))
    })
}

/// Serializes `container` afresh, as a new recording with `privacy` would.
fn snapshot(privacy: &Privacy, mirror: &mut Mirror, container: &Element) -> Result<Node, JsValue> {
    let context = match container.parent_node() {
        Some(parent) => privacy.context_of(&parent),
        None => super::privacy::Context::default(),
    };
    serialize(mirror, privacy, container, depth_of(container), context)
        .ok_or_else(|| JsValue::from_str("container not serialized"))
}

impl Recording {
    /// Records `html` with text, inputs and media as they are.
    fn new(html: &str) -> Result<Self, JsValue> {
        Self::with(html, as_is())
    }

    /// Records `html` with the privacy configuration `config`.
    fn with(html: &str, config: PrivacyConfig) -> Result<Self, JsValue> {
        Self::prepared(html, config, |_| Ok(()))
    }

    /// Records `html` with `config` after `prepare` had the container in the page.
    fn prepared(
        html: &str,
        config: PrivacyConfig,
        prepare: impl FnOnce(&Element) -> TestResult,
    ) -> Result<Self, JsValue> {
        let document = document()?;
        let container = document.create_element("section")?;
        container.set_inner_html(html);
        document
            .body()
            .ok_or_else(|| JsValue::from_str("no body"))?
            .append_child(&container)?;
        prepare(&container)?;
        let privacy = Privacy::new(config.clone(), &document);
        let mut mirror = Mirror::new();
        let tree = snapshot(&privacy, &mut mirror, &container)?;
        let observer = MutationObserver::new(&Function::new_no_args(""))?;
        let options = MutationObserverInit::new();
        options.set_child_list(true);
        options.set_attributes(true);
        options.set_character_data(true);
        options.set_subtree(true);
        observer.observe_with_options(&container, &options)?;
        Ok(Self {
            container,
            config,
            privacy,
            mirror,
            tree,
            observer,
        })
    }

    /// The mutation event for everything changed since the last call.
    fn take(&mut self) -> Option<Mutation> {
        mutation_from_records(
            &mut self.mirror,
            &self.privacy,
            &self.observer.take_records(),
        )
    }

    /// Takes the pending changes, replays them on the recorded tree and checks the result against
    /// a fresh snapshot of the container.
    fn assert_replay_matches(&mut self) -> TestResult {
        if let Some(mutation) = self.take() {
            apply(&mut self.tree, &mutation).map_err(|e| JsValue::from_str(&e))?;
        }
        let privacy = Privacy::new(self.config.clone(), &document()?);
        let fresh = snapshot(&privacy, &mut Mirror::new(), &self.container)?;
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
        Node::ShadowRoot { children: kids, .. } => format!("#shadow({})", children(kids)),
        other => format!("{other:?}"),
    }
}

fn find_mut(node: &mut Node, id: NodeId) -> Option<&mut Node> {
    if node.id() == id {
        return Some(node);
    }
    match node {
        Node::Element { children, .. }
        | Node::Document { children, .. }
        | Node::ShadowRoot { children, .. } => {
            children.iter_mut().find_map(|child| find_mut(child, id))
        }
        _ => None,
    }
}

fn children_of(tree: &mut Node, id: NodeId) -> Result<&mut Vec<Node>, String> {
    match find_mut(tree, id) {
        Some(
            Node::Element { children, .. }
            | Node::Document { children, .. }
            | Node::ShadowRoot { children, .. },
        ) => Ok(children),
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
