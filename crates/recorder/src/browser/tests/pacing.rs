//! Checkpoints re-record the page and re-send what a snapshot lacks; big insertions are recorded
//! in slices without losing what changes meanwhile; a mutation flood ends in a checkpoint rather
//! than in thousands of events, and recording goes on.

use sightline_protocol::v1::{EventData, Mutation, StyleOpKind};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::capture::{Live, run, sleep};
use super::frames::{find, replayed, text};
use super::{TestResult, as_is, document, shape, snapshot};
use crate::browser::mirror::Mirror;
use crate::browser::privacy::Privacy;
use crate::browser::recorder::with_recorder;
use crate::transport::Delivery;

/// The events after the last full snapshot.
fn since_checkpoint(events: &[EventData]) -> &[EventData] {
    let last = events
        .iter()
        .rposition(|event| matches!(event, EventData::FullSnapshot { .. }))
        .unwrap_or(0);
    &events[last..]
}

/// Waits until the recorder has serialized everything it deferred.
async fn settled() -> TestResult {
    for _ in 0..500 {
        if with_recorder(|recorder| recorder.mirror().has_deferred()) != Some(true) {
            return Ok(());
        }
        sleep(10).await?;
    }
    Err("deferred nodes were never serialized".into())
}

#[wasm_bindgen_test]
fn a_checkpoint_records_the_page_afresh_and_resends_scrolls_and_edited_sheets() -> TestResult {
    let live = Live::start(
        "<div id=\"box\" style=\"height: 50px; overflow: scroll\"><div style=\"height: 500px\">tall</div></div>\
         <style id=\"css\">p { color: red; }</style>",
        as_is(),
    )?;
    run("const box = document.getElementById('box');
         box.scrollTop = 120;
         box.dispatchEvent(new Event('scroll'));
         document.getElementById('css').sheet.insertRule('b { color: blue; }', 1);")?;
    let old_box = live.id("#box")?;
    with_recorder(|recorder| recorder.take_checkpoint()).ok_or("not recording")?;
    let (box_id, css) = (live.id("#box")?, live.id("#css")?);
    assert_ne!(box_id, old_box, "a checkpoint gives every node a fresh id");
    let events = live.events()?;
    let after = since_checkpoint(&events);
    let EventData::FullSnapshot { root } = &after[0] else {
        return Err("no checkpoint".into());
    };
    assert!(find(root, box_id).is_some() && find(root, css).is_some());
    assert!(
        after.contains(&EventData::Scroll {
            id: box_id,
            x: 0,
            y: 120
        }),
        "the element's scroll is re-sent: {after:?}"
    );
    let resent = after.iter().any(|event| {
        matches!(event, EventData::StyleSheetRule(rule)
            if rule.node_id == Some(css)
                && rule.ops.iter().any(|op| op.kind == StyleOpKind::Replace
                    && op.text.contains("p { color: red; }")
                    && op.text.contains("b { color: blue; }")))
    });
    assert!(resent, "the edited sheet's rules are re-sent: {after:?}");
    Ok(())
}

#[wasm_bindgen_test]
async fn a_big_insertion_is_recorded_in_slices_with_the_changes_made_meanwhile() -> TestResult {
    let live = Live::start("<div id=\"grid\"></div>", as_is())?;
    run("const grid = document.getElementById('grid');
         for (let i = 0; i < 1000; i++) {
           const block = document.createElement('div');
           for (let j = 0; j < 9; j++) {
             const cell = document.createElement('span');
             cell.textContent = i + ':' + j;
             block.appendChild(cell);
           }
           grid.appendChild(block);
         }")?;
    sleep(0).await?;
    // Changes while the rest waits for its slice: inside blocks not recorded yet, and around them.
    run("const grid = document.getElementById('grid');
         grid.children[10].firstChild.textContent = 'edited early';
         grid.lastChild.firstChild.textContent = 'edited late';
         grid.children[500].remove();
         grid.insertBefore(document.createElement('hr'), grid.children[700]);")?;
    settled().await?;
    let events = live.events()?;
    let tree = replayed(&events)?;
    let grid = document()?.get_element_by_id("grid").ok_or("no grid")?;
    let recorded = find(&tree, live.id("#grid")?).ok_or("grid not replayed")?;
    let privacy = Privacy::new(as_is(), &document()?);
    let fresh = snapshot(&privacy, &mut Mirror::new(), &grid)?;
    assert_eq!(shape(recorded), shape(&fresh));
    assert!(text(recorded).contains("edited late"));
    Ok(())
}

#[wasm_bindgen_test]
async fn a_mutation_flood_ends_in_a_checkpoint_and_recording_goes_on() -> TestResult {
    let live = Live::start("<p id=\"ticker\">0</p>", as_is())?;
    run(
        "const ticker = document.getElementById('ticker').firstChild;
         for (let i = 0; i < 25000; i++) ticker.data = String(i);",
    )?;
    sleep(0).await?;
    let during = live.events()?;
    let changes: usize = during
        .iter()
        .filter_map(|event| match event {
            EventData::Mutation(Mutation { texts, .. }) => Some(texts.len()),
            _ => None,
        })
        .sum();
    assert_eq!(
        changes, 0,
        "the flood's changes are not recorded one by one"
    );
    // The checkpoint comes once the flood's window is over.
    sleep(1_200).await?;
    run("document.getElementById('ticker').textContent = 'after the flood';")?;
    sleep(0).await?;
    let events = live.events()?;
    let notice = events.iter().position(|event| {
        matches!(event, EventData::Breadcrumb(crumb)
            if crumb.category == "sightline" && crumb.message.contains("25000"))
    });
    let notice = notice.ok_or_else(|| JsValue::from_str(&format!("no notice: {events:?}")))?;
    let EventData::FullSnapshot { root } = &events[notice + 1] else {
        return Err("no checkpoint after the notice".into());
    };
    assert!(
        text(root).contains("24999"),
        "the checkpoint shows where the flood led"
    );
    let ticker = live.id("#ticker")?;
    let tree = replayed(&events)?;
    assert_eq!(
        text(find(&tree, ticker).ok_or("no ticker")?),
        "after the flood"
    );
    Ok(())
}

#[wasm_bindgen_test]
fn what_waits_for_its_slice_is_recorded_when_the_page_goes_away() -> TestResult {
    let live = Live::start("<ol id=\"rows\"></ol>", as_is())?;
    run("const rows = document.getElementById('rows');
         for (let i = 0; i < 3000; i++) {
           const row = document.createElement('li');
           row.innerHTML = '<b>row</b> <i>' + i + '</i>';
           rows.appendChild(row);
         }")?;
    // As on `pagehide`: the observer's records are taken (12,000 nodes take more than a slice
    // here), then what waits for a later slice is recorded before the upload.
    with_recorder(|recorder| recorder.flush(Delivery::Unload)).ok_or("not recording")?;
    assert_eq!(
        with_recorder(|recorder| recorder.mirror().has_deferred()),
        Some(false)
    );
    let events = live.events()?;
    let rows = document()?.get_element_by_id("rows").ok_or("no rows")?;
    let recorded = replayed(&events)?;
    let recorded = find(&recorded, live.id("#rows")?).ok_or("rows not replayed")?;
    let privacy = Privacy::new(as_is(), &document()?);
    assert_eq!(
        shape(recorded),
        shape(&snapshot(&privacy, &mut Mirror::new(), &rows)?)
    );
    Ok(())
}
