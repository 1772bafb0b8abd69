//! Renderer tests in headless Chromium:
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! CHROMEDRIVER=/usr/bin/chromedriver \
//!   cargo test -p sightline-viewer --target wasm32-unknown-unknown --lib
//! ```
//!
//! A scripted replay with a shadow root, a same-origin frame, CSSOM edits, constructed sheets,
//! form values, scrolling and a video is rendered into a sandboxed iframe of the runner's page,
//! and what the browser then shows is read back through the DOM.

use js_sys::Function;
use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::{
    AddedNode, AdoptedStyleSheets, ConstructedSheet, Event, EventData, Input, Media, MediaAction,
    Mutation, Node, SegmentHeader, StyleOp, StyleOpKind, StyleSheetRule,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, HtmlIFrameElement};

use super::Renderer;
use crate::player::{Player, Step};
use crate::timeline::Timeline;

wasm_bindgen_test_configure!(run_in_browser);

type TestResult = Result<(), JsValue>;

pub(super) fn el(id: u32, tag: &str, attributes: &[(&str, &str)], children: Vec<Node>) -> Node {
    let attributes = attributes
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    Node::element(id, tag, attributes, children)
}

fn page() -> Node {
    Node::Document {
        id: 1,
        children: vec![el(
            2,
            "html",
            &[],
            vec![
                el(
                    3,
                    "head",
                    &[],
                    vec![el(
                        4,
                        "style",
                        &[],
                        vec![Node::text(5, "p { color: rgb(1, 2, 3) }")],
                    )],
                ),
                el(
                    6,
                    "body",
                    &[],
                    vec![
                        el(
                            7,
                            "div",
                            &[("id", "host")],
                            vec![Node::ShadowRoot {
                                id: 8,
                                children: vec![el(9, "p", &[], vec![Node::text(10, "in shadow")])],
                            }],
                        ),
                        el(11, "input", &[("id", "name")], vec![]),
                        el(
                            12,
                            "input",
                            &[("id", "agree"), ("type", "checkbox")],
                            vec![],
                        ),
                        el(
                            13,
                            "div",
                            &[("id", "box"), ("style", "height:50px;overflow:auto")],
                            vec![el(14, "div", &[("style", "height:500px")], vec![])],
                        ),
                        el(
                            15,
                            "iframe",
                            &[
                                ("src", "https://shop.example/widget"),
                                ("sandbox", "allow-scripts"),
                            ],
                            vec![Node::Document {
                                id: 16,
                                children: vec![el(
                                    17,
                                    "html",
                                    &[],
                                    vec![el(
                                        18,
                                        "body",
                                        &[],
                                        vec![el(19, "p", &[], vec![Node::text(20, "in frame")])],
                                    )],
                                )],
                            }],
                        ),
                        el(21, "video", &[("autoplay", "")], vec![]),
                        el(22, "div", &[("style", "height:3000px")], vec![]),
                    ],
                ),
            ],
        )],
    }
}

fn insert(node_id: Option<u32>, style_id: Option<u32>, index: u32, text: &str) -> EventData {
    EventData::StyleSheetRule(StyleSheetRule {
        node_id,
        style_id,
        ops: vec![StyleOp {
            kind: StyleOpKind::Insert,
            path: vec![index],
            text: text.into(),
        }],
    })
}

fn adopt(owner_id: u32, style_id: u32, text: &str) -> EventData {
    EventData::AdoptedStyleSheets(AdoptedStyleSheets {
        owner_id,
        style_ids: vec![style_id],
        new_sheets: vec![ConstructedSheet {
            style_id,
            text: text.into(),
        }],
    })
}

/// One event every 100 ms after the snapshot.
fn timeline() -> Timeline {
    let steps = vec![
        adopt(1, 1, "body { margin: 7px }"),
        adopt(8, 2, "p { font-weight: 700 }"),
        insert(Some(4), None, 1, "h1 { color: red }"),
        EventData::Input(Input {
            id: 11,
            value: "hello".into(),
            checked: None,
        }),
        EventData::Input(Input {
            id: 12,
            value: "on".into(),
            checked: Some(true),
        }),
        EventData::Scroll {
            id: 13,
            x: 0,
            y: 120,
        },
        EventData::Scroll {
            id: 1,
            x: 0,
            y: 800,
        },
        EventData::Media(Media {
            id: 21,
            action: MediaAction::Play,
            current_time: 2_000,
            volume: 100,
            muted: false,
            rate: 100,
        }),
        EventData::Mutation(Mutation {
            adds: vec![
                AddedNode {
                    parent_id: 8,
                    next_id: None,
                    node: el(30, "p", &[], vec![Node::text(31, "late")]),
                },
                AddedNode {
                    parent_id: 18,
                    next_id: None,
                    node: Node::text(32, " and later"),
                },
            ],
            ..Mutation::default()
        }),
        insert(None, Some(1), 1, "p { margin: 3px }"),
        insert(Some(4), None, 0, "@import url(https://evil.example/a.css);"),
    ];
    let mut events = vec![
        Event::new(
            0,
            EventData::Meta {
                href: "https://shop.example/".into(),
                width: 400,
                height: 300,
                user_agent: "test".into(),
            },
        ),
        Event::new(0, EventData::FullSnapshot { root: page() }),
    ];
    events.extend(steps.into_iter().map(|data| Event::new(100, data)));
    Timeline::from_segments(&[DecodedSegment {
        header: SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 0),
        events,
    }])
}

/// A sandboxed iframe in the runner's page, like the player's.
pub(super) fn replay_document() -> Result<Document, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let frame = document.create_element("iframe")?;
    frame.set_attribute("sandbox", "allow-same-origin")?;
    frame.set_attribute("style", "width:400px;height:300px")?;
    document.body().ok_or("no body")?.append_child(&frame)?;
    frame
        .unchecked_ref::<HtmlIFrameElement>()
        .content_document()
        .ok_or_else(|| "no content document".into())
}

/// What the rendered page shows, read back through the DOM, as JSON.
fn shown(document: &Document) -> Result<String, JsValue> {
    let read = Function::new_with_args(
        "doc",
        r#"
        const host = doc.getElementById('host');
        const shadow = host && host.shadowRoot;
        const frame = doc.querySelector('iframe');
        const inner = frame && frame.contentDocument;
        const style = doc.querySelector('style');
        const rules = (sheet) => sheet ? Array.from(sheet.cssRules, (r) => r.cssText) : null;
        const video = doc.querySelector('video');
        return JSON.stringify({
          mode: doc.compatMode,
          shadow: shadow ? shadow.textContent : null,
          shadowSheets: shadow ? shadow.adoptedStyleSheets.map(rules) : null,
          shadowWeight: shadow ? getComputedStyle(shadow.querySelector('p')).fontWeight : null,
          documentSheets: doc.adoptedStyleSheets.map(rules),
          bodyMargin: getComputedStyle(doc.body).marginTop,
          styleRules: rules(style.sheet),
          name: doc.getElementById('name').value,
          nameAttribute: doc.getElementById('name').getAttribute('value'),
          agree: doc.getElementById('agree').checked,
          box: doc.getElementById('box').scrollTop,
          windowY: doc.defaultView.scrollY,
          frameSandbox: frame.getAttribute('sandbox'),
          frameSrc: frame.getAttribute('src'),
          frameText: inner && inner.body ? inner.body.textContent : null,
          frameMode: inner ? inner.compatMode : null,
          videoPaused: video.paused,
          videoMuted: video.muted,
        });
        "#,
    );
    read.call1(&JsValue::NULL, document)?
        .as_string()
        .ok_or_else(|| "no summary".into())
}

fn field(summary: &str, name: &str) -> Result<serde_json::Value, JsValue> {
    let value: serde_json::Value =
        serde_json::from_str(summary).map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(value[name].clone())
}

#[wasm_bindgen_test]
fn renders_every_kind_of_page_state() -> TestResult {
    let document = replay_document()?;
    let mut renderer = Renderer::new(document.clone());
    let mut player = Player::new(timeline());
    let step = player.seek(player.duration());
    renderer.update(player.mirror(), &step);
    let summary = shown(&document)?;
    let expect = |name: &str, value: serde_json::Value| -> TestResult {
        let actual = field(&summary, name)?;
        if actual == value {
            Ok(())
        } else {
            Err(format!("{name}: {actual} instead of {value} in {summary}").into())
        }
    };
    use serde_json::json;
    expect("mode", json!("CSS1Compat"))?;
    expect("shadow", json!("in shadowlate"))?;
    expect("shadowSheets", json!([["p { font-weight: 700; }"]]))?;
    expect("shadowWeight", json!("700"))?;
    expect(
        "documentSheets",
        json!([["body { margin: 7px; }", "p { margin: 3px; }"]]),
    )?;
    expect("bodyMargin", json!("7px"))?;
    expect(
        "styleRules",
        json!([
            "@import url(\"about:invalid\");",
            "p { color: rgb(1, 2, 3); }",
            "h1 { color: red; }"
        ]),
    )?;
    expect("name", json!("hello"))?;
    expect("nameAttribute", json!(null))?;
    expect("agree", json!(true))?;
    expect("box", json!(120))?;
    expect("windowY", json!(800))?;
    expect("frameSandbox", json!("allow-same-origin"))?;
    expect("frameSrc", json!(null))?;
    expect("frameText", json!("in frame and later"))?;
    expect("frameMode", json!("CSS1Compat"))?;
    expect("videoPaused", json!(true))?;
    expect("videoMuted", json!(true))?;
    Ok(())
}

#[wasm_bindgen_test]
fn playing_step_by_step_shows_what_a_seek_shows() -> TestResult {
    let played_document = replay_document()?;
    let mut played = Renderer::new(played_document.clone());
    let mut player = Player::new(timeline());
    let step = player.seek(0);
    played.update(player.mirror(), &step);
    let sought_document = replay_document()?;
    let mut sought = Renderer::new(sought_document.clone());
    for t in (150..=1_150).step_by(100) {
        let step = player.seek(t);
        if !matches!(step, Step::Changes(_)) {
            return Err(format!("at {t}: expected incremental changes, got {step:?}").into());
        }
        played.update(player.mirror(), &step);
        let mut fresh = Player::new(timeline());
        let step = fresh.seek(t);
        sought.update(fresh.mirror(), &step);
        let (a, b) = (shown(&played_document)?, shown(&sought_document)?);
        if a != b {
            return Err(format!("at {t}:\nplayed {a}\nsought {b}").into());
        }
    }
    // Back to before the form was filled: a rebuild clears what came later.
    let step = player.seek(350);
    played.update(player.mirror(), &step);
    let summary = shown(&played_document)?;
    if field(&summary, "name")? != "" || field(&summary, "agree")? != false {
        return Err(format!("form still filled after seeking back: {summary}").into());
    }
    Ok(())
}
