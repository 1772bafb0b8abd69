//! Open shadow roots are recorded in the snapshot, when attached later, and their mutations,
//! text and inputs like the light DOM's, with the privacy overrides of the hosts' ancestors.

use sightline_protocol::v1::{EventData, Input, Node};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::capture::{Live, run};
use super::{TestResult, apply, document, shape, snapshot};
use crate::browser::mirror::Mirror;
use crate::browser::privacy::Privacy;
use crate::mask::PrivacyConfig;

fn find<'a>(node: &'a Node, id: &str) -> Option<&'a Node> {
    if let Node::Element { attributes, .. } = node
        && attributes
            .iter()
            .any(|(name, value)| name == "id" && value == id)
    {
        return Some(node);
    }
    node.children().iter().find_map(|child| find(child, id))
}

/// The recorded page after every recorded mutation, as a viewer would have it.
fn replayed(events: &[EventData]) -> Result<Node, JsValue> {
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

/// Checks that the replayed element `id` looks like a fresh snapshot of it.
fn assert_replayed(events: &[EventData], live: &Live, id: &str) -> TestResult {
    let tree = replayed(events)?;
    let recorded = find(&tree, id).ok_or_else(|| JsValue::from_str(id))?;
    let element = live
        .container
        .query_selector(&format!("#{id}"))?
        .ok_or("no element")?;
    let privacy = Privacy::new(PrivacyConfig::default(), &document()?);
    let fresh = snapshot(&privacy, &mut Mirror::new(), &element)?;
    assert_eq!(shape(recorded), shape(&fresh));
    Ok(())
}

const PAGE: &str = "<div class=\"sl-unmask\"><div id=\"open-host\"><i>light</i></div></div>\
    <div id=\"masked-host\"></div><div id=\"closed-host\"><i>light</i></div>\
    <div id=\"late-host\"><i>late light</i></div>";

#[wasm_bindgen_test]
fn shadow_trees_are_recorded_in_the_snapshot_and_as_they_change() -> TestResult {
    let live = Live::start_prepared(PAGE, PrivacyConfig::default(), || {
        run(
            "const open = document.querySelector('#open-host').attachShadow({ mode: 'open' });\
             open.innerHTML = '<p>Shadow words</p><input id=\"inner\">';\
             document.querySelector('#masked-host').attachShadow({ mode: 'open' })\
               .innerHTML = '<p>Hidden words</p>';\
             document.querySelector('#closed-host').attachShadow({ mode: 'closed' })\
               .innerHTML = '<p>Closed words</p>';",
        )
        .map(drop)
    })?;
    let events = live.events()?;
    let EventData::FullSnapshot { root } = events
        .iter()
        .find(|event| matches!(event, EventData::FullSnapshot { .. }))
        .ok_or("no snapshot")?
    else {
        return Err("no snapshot".into());
    };
    let open = find(root, "open-host").ok_or("open host")?;
    assert_eq!(
        shape(open),
        "<Html:div [(\"id\", \"open-host\")]>(#shadow(<Html:p []>(T\"Shadow words\")\
         <Html:input [(\"id\", \"inner\")]>())<Html:i []>(T\"light\"))"
    );
    let masked = shape(find(root, "masked-host").ok_or("masked host")?);
    assert!(masked.contains("T\"****** *****\""), "{masked}");
    let closed = shape(find(root, "closed-host").ok_or("closed host")?);
    assert!(!closed.contains("#shadow"), "{closed}");

    // Changes inside shadow trees, and a shadow root attached after the snapshot.
    run(
        "const open = document.querySelector('#open-host').shadowRoot;\
         open.querySelector('p').textContent = 'Changed words';\
         open.append(document.createElement('hr'));\
         const late = document.querySelector('#late-host').attachShadow({ mode: 'open' });\
         late.innerHTML = '<b>Late words</b><slot></slot>';\
         document.querySelector('#masked-host').shadowRoot.append('More hidden');",
    )?;
    let events = live.events()?;
    for id in ["open-host", "masked-host", "late-host"] {
        assert_replayed(&events, &live, id)?;
    }
    let tree = replayed(&events)?;
    let late = shape(find(&tree, "late-host").ok_or("late host")?);
    assert!(
        late.starts_with("<Html:div [(\"id\", \"late-host\")]>(#shadow("),
        "{late}"
    );
    assert!(late.contains("T\"**** *****\""), "{late}");
    // An input inside a shadow tree is recorded on its own node, not on the host.
    run(
        "const inner = document.querySelector('#open-host').shadowRoot.querySelector('#inner');\
         inner.value = 'typed inside';\
         inner.dispatchEvent(new Event('input', { bubbles: true, composed: true }));",
    )?;
    let events = live.events()?;
    let inputs: Vec<&Input> = events
        .iter()
        .filter_map(|event| match event {
            EventData::Input(input) => Some(input),
            _ => None,
        })
        .collect();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0].value, "typed inside");
    assert_ne!(inputs[0].id, live.id("#open-host")?);
    Ok(())
}
