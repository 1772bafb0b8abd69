//! CSSOM edits and adopted stylesheets, which the DOM does not show, are recorded.

use sightline_protocol::v1::{
    AdoptedStyleSheets, ConstructedSheet, EventData, StyleOp, StyleOpKind, StyleSheetRule,
};
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use super::capture::{Live, run};
use crate::browser::recorder::with_recorder;
use crate::mask::PrivacyConfig;

fn rules(events: &[EventData]) -> Vec<StyleSheetRule> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::StyleSheetRule(rule) => Some(rule.clone()),
            _ => None,
        })
        .collect()
}

fn adopted(events: &[EventData]) -> Vec<AdoptedStyleSheets> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::AdoptedStyleSheets(adopted) => Some(adopted.clone()),
            _ => None,
        })
        .collect()
}

fn op(kind: StyleOpKind, path: &[u32], text: &str) -> StyleOp {
    StyleOp {
        kind,
        path: path.to_vec(),
        text: text.into(),
    }
}

#[wasm_bindgen_test]
fn a_rule_inserted_into_a_style_element_just_added_is_recorded_after_it() -> TestResult {
    let live = Live::start("<p class=\"panel\">panel</p>", PrivacyConfig::default())?;
    run("const style = document.createElement('style');\
        style.id = 'late';\
        document.querySelector('section:last-of-type').appendChild(style);\
        style.sheet.insertRule('.panel { border: 3px dashed orange; }', 0);")?;
    let id = live.id("#late")?;
    let events = live.events()?;
    let added = events.iter().position(|event| {
        matches!(event, EventData::Mutation(m) if m.adds.iter().any(|add| add.node.id() == id))
    });
    let inserted = events.iter().position(
        |event| matches!(event, EventData::StyleSheetRule(rule) if rule.node_id == Some(id)),
    );
    assert!(
        matches!((added, inserted), (Some(a), Some(i)) if a < i),
        "{added:?} {inserted:?}"
    );
    assert_eq!(
        rules(&events)
            .into_iter()
            .filter(|rule| rule.node_id == Some(id))
            .map(|rule| rule.ops)
            .collect::<Vec<_>>(),
        [vec![op(
            StyleOpKind::Insert,
            &[0],
            ".panel { border: 3px dashed orange; }"
        )]]
    );
    Ok(())
}

#[wasm_bindgen_test]
fn rule_edits_of_style_elements_are_recorded_with_their_index_paths() -> TestResult {
    let live = Live::start_prepared(
        "<style id=\"css\">.a { color: red; }</style><style id=\"js\"></style>",
        PrivacyConfig::default(),
        || {
            run("document.querySelector('#js').sheet.insertRule('.injected { margin: 0px; }');")
                .map(drop)
        },
    )?;
    let outcome = run("const sheet = document.querySelector('#css').sheet;\
        const first = sheet.insertRule('@media screen { .b { color: blue; } }', 1);\
        const nested = sheet.cssRules[1].insertRule('.c { color: green; }', 1);\
        sheet.cssRules[1].deleteRule(0);\
        sheet.deleteRule(0);\
        let error = 'none';\
        try { sheet.insertRule('.no-block', 0); } catch (e) { error = e.name; }\
        return [first, nested, error, sheet.cssRules.length].join(',');")?;
    assert_eq!(outcome.as_string().as_deref(), Some("1,1,SyntaxError,1"));
    let css = live.id("#css")?;
    let js = live.id("#js")?;
    let for_css = |ops| StyleSheetRule {
        node_id: Some(css),
        style_id: None,
        ops,
    };
    assert_eq!(
        rules(&live.events()?),
        [
            StyleSheetRule {
                node_id: Some(js),
                style_id: None,
                ops: vec![op(StyleOpKind::Replace, &[], ".injected { margin: 0px; }")],
            },
            for_css(vec![op(
                StyleOpKind::Insert,
                &[1],
                "@media screen { .b { color: blue; } }"
            )]),
            for_css(vec![op(
                StyleOpKind::Insert,
                &[1, 1],
                ".c { color: green; }"
            )]),
            for_css(vec![op(StyleOpKind::Delete, &[1, 0], "")]),
            for_css(vec![op(StyleOpKind::Delete, &[0], "")]),
        ]
    );
    Ok(())
}

#[wasm_bindgen_test]
fn adopted_stylesheets_are_recorded_once_with_their_text_then_by_id() -> TestResult {
    let live = Live::start_prepared("<div id=\"host\"></div>", PrivacyConfig::default(), || {
        run(
            "window.slFirst = new CSSStyleSheet(); slFirst.replaceSync('.first { color: red; }');\
                 document.adoptedStyleSheets = [slFirst];",
        )
        .map(drop)
    })?;
    // The wrapped setters still set, and the edited sheets still change.
    let applied = run(
        "const second = new CSSStyleSheet(); second.replaceSync('.second { color: blue; }');\
         const root = document.querySelector('#host').attachShadow({ mode: 'open' });\
         root.adoptedStyleSheets = [second, slFirst];\
         slFirst.insertRule('.more { margin: 0px; }', 1);\
         second.replaceSync('.again { padding: 0px; }');\
         document.adoptedStyleSheets = [];\
         return [root.adoptedStyleSheets.length, document.adoptedStyleSheets.length,\
                 slFirst.cssRules.length, second.cssRules[0].selectorText].join(',');",
    )?;
    assert_eq!(applied.as_string().as_deref(), Some("2,0,2,.again"));
    let events = live.events()?;
    run("document.adoptedStyleSheets = [];")?;
    let document_id = with_recorder(|recorder| recorder.mirror().id_of(recorder.document()))
        .flatten()
        .ok_or("document not recorded")?;
    let host = live.id("#host")?;
    let root_id = events
        .iter()
        .find_map(|event| match event {
            EventData::Mutation(mutation) => mutation
                .adds
                .iter()
                .find(|add| add.parent_id == host)
                .map(|add| add.node.id()),
            _ => None,
        })
        .ok_or("shadow root not recorded")?;
    let sheet = |style_id, text: &str| ConstructedSheet {
        style_id,
        text: text.into(),
    };
    assert_eq!(
        adopted(&events),
        [
            AdoptedStyleSheets {
                owner_id: document_id,
                style_ids: vec![1],
                new_sheets: vec![sheet(1, ".first { color: red; }")],
            },
            AdoptedStyleSheets {
                owner_id: root_id,
                style_ids: vec![2, 1],
                new_sheets: vec![sheet(2, ".second { color: blue; }")],
            },
            AdoptedStyleSheets {
                owner_id: document_id,
                style_ids: vec![],
                new_sheets: vec![],
            },
        ]
    );
    let constructed = |style_id, op| StyleSheetRule {
        node_id: None,
        style_id: Some(style_id),
        ops: vec![op],
    };
    // Only constructed sheets: a page left by another test may hold `<style>` elements.
    let constructed_rules: Vec<_> = rules(&events)
        .into_iter()
        .filter(|rule| rule.style_id.is_some())
        .collect();
    assert_eq!(
        constructed_rules,
        [
            constructed(1, op(StyleOpKind::Insert, &[1], ".more { margin: 0px; }")),
            constructed(2, op(StyleOpKind::Replace, &[], ".again { padding: 0px; }")),
        ]
    );
    Ok(())
}
