//! Same-origin frames are recorded as documents inside their `<iframe>`: in the snapshot, as
//! they change, when they load another document and when they are added later; what the user
//! does inside them is recorded too. Frames of other origins stay placeholders.

use sightline_protocol::v1::{EventData, Input, Node, NodeId};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::capture::{Live, run, run_async, sleep};
use super::{TestResult, apply, as_is};
use crate::mask::PrivacyConfig;

/// The recorded page after every recorded mutation, as a viewer would have it.
pub(super) fn replayed(events: &[EventData]) -> Result<Node, JsValue> {
    let mut tree = None;
    for event in events {
        match event {
            EventData::FullSnapshot { root } => tree = Some(root.clone()),
            EventData::Mutation(mutation) => {
                let tree = tree.as_mut().ok_or("mutation before the snapshot")?;
                apply(tree, mutation).map_err(|e| JsValue::from_str(&e))?;
            }
            _ => {}
        }
    }
    tree.ok_or_else(|| "no snapshot".into())
}

pub(super) fn find(node: &Node, id: NodeId) -> Option<&Node> {
    if node.id() == id {
        return Some(node);
    }
    node.children().iter().find_map(|child| find(child, id))
}

/// The text under `node`, in document order.
pub(super) fn text(node: &Node) -> String {
    match node {
        Node::Text { text, .. } => text.clone(),
        other => other.children().iter().map(text).collect(),
    }
}

/// The recorded frame `id`: its only child must be a document; returns that document's text.
fn frame_text(tree: &Node, id: NodeId) -> Result<String, JsValue> {
    let frame = find(tree, id).ok_or("frame not in the replay")?;
    match frame.children() {
        [document @ Node::Document { .. }] => Ok(text(document)),
        other => Err(JsValue::from_str(&format!("frame children: {other:?}"))),
    }
}

#[wasm_bindgen_test]
async fn same_origin_frames_are_recorded_as_they_change_and_load() -> TestResult {
    let live = Live::start_prepared("<iframe id=\"frame\"></iframe>", as_is(), || {
        run(
            "document.getElementById('frame').contentDocument.body.innerHTML = \
             '<p id=\"status\">first</p><input id=\"field\">';",
        )?;
        Ok(())
    })?;
    let frame = live.id("#frame")?;
    let tree = replayed(&live.events()?)?;
    assert_eq!(frame_text(&tree, frame)?, "first");

    run(
        "const doc = document.getElementById('frame').contentDocument;
         doc.getElementById('status').textContent = 'changed inside';
         const field = doc.getElementById('field');
         field.value = 'typed';
         field.dispatchEvent(new Event('input', { bubbles: true }));",
    )?;
    sleep(0).await?;
    let events = live.events()?;
    assert_eq!(frame_text(&replayed(&events)?, frame)?, "changed inside");
    let typed = events
        .iter()
        .any(|event| matches!(event, EventData::Input(Input { value, .. }) if value == "typed"));
    assert!(typed, "the input in the frame was not recorded: {events:?}");

    // The frame loads another document: the replay shows it, not the old one.
    run_async(
        "const frame = document.getElementById('frame');
         await new Promise((resolve) => {
           frame.addEventListener('load', resolve, { once: true });
           frame.srcdoc = '<p>loaded later</p>';
         });",
    )
    .await?;
    assert_eq!(
        frame_text(&replayed(&live.events()?)?, frame)?,
        "loaded later"
    );

    // A frame added later, with a frame inside it.
    run_async(
        "const outer = document.createElement('iframe');
         outer.id = 'outer';
         const loaded = new Promise((resolve) => outer.addEventListener('load', resolve, { once: true }));
         outer.srcdoc = '<p>outer</p><iframe srcdoc=\"<p>inner</p>\"></iframe>';
         document.getElementById('frame').after(outer);
         await loaded;
         const inner = outer.contentDocument.querySelector('iframe');
         if (inner.contentDocument.readyState !== 'complete') {
           await new Promise((resolve) => inner.addEventListener('load', resolve, { once: true }));
         }
         inner.contentDocument.body.append('inner changed');",
    )
    .await?;
    sleep(0).await?;
    let outer = live.id("#outer")?;
    assert_eq!(
        frame_text(&replayed(&live.events()?)?, outer)?,
        "outerinnerinner changed"
    );
    Ok(())
}

#[wasm_bindgen_test]
fn frames_of_other_origins_are_sized_placeholders() -> TestResult {
    let live = Live::start(
        "<iframe id=\"other\" src=\"https://example.invalid/\" style=\"width: 120px; height: 80px\"></iframe>",
        PrivacyConfig::default(),
    )?;
    let other = live.id("#other")?;
    let tree = replayed(&live.events()?)?;
    let Some(Node::Element {
        attributes,
        children,
        ..
    }) = find(&tree, other)
    else {
        return Err("the frame is not recorded".into());
    };
    assert!(children.is_empty());
    assert!(attributes.iter().any(|(name, _)| name == "data-sl-blocked"));
    assert!(
        attributes
            .iter()
            .any(|(name, value)| name == "style" && value.contains("120px"))
    );
    assert!(!attributes.iter().any(|(name, _)| name == "src"));
    Ok(())
}

#[wasm_bindgen_test]
async fn a_frame_still_loading_when_recording_starts_is_recorded_once_loaded() -> TestResult {
    let live = Live::start_prepared("<iframe id=\"slow\"></iframe>", as_is(), || {
        run(
            "const page = new Blob(['<!doctype html><p>loaded</p>'], { type: 'text/html' });
             document.getElementById('slow').src = URL.createObjectURL(page);",
        )?;
        Ok(())
    })?;
    let slow = live.id("#slow")?;
    run_async(
        "const frame = document.getElementById('slow');
         if (!frame.contentDocument.body || frame.contentDocument.body.textContent !== 'loaded') {
           await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
         }",
    )
    .await?;
    assert_eq!(frame_text(&replayed(&live.events()?)?, slow)?, "loaded");
    Ok(())
}
