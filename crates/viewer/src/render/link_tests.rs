//! A `<link>` whose CSS the recorder captured is rendered from that CSS, in headless Chromium:
//! its recorded `href` (here unreachable) is never set, its imports stay inert (and in place), and
//! the edits recorded after the capture apply once the captured sheet has loaded.

use js_sys::{Function, Promise};
use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::{
    Event, EventData, Node, SegmentHeader, StyleOp, StyleOpKind, StyleSheetRule,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use super::Renderer;
use super::tests::{el, replay_document};
use crate::player::Player;
use crate::timeline::Timeline;

/// Where the recorded page's stylesheet was; nothing answers there.
const RECORDED_HREF: &str = "http://unreachable.invalid/theme.css";

fn sheet_ops(ops: Vec<StyleOp>) -> EventData {
    EventData::StyleSheetRule(StyleSheetRule {
        node_id: Some(4),
        style_id: None,
        ops,
    })
}

/// A page with a linked stylesheet, its captured CSS (with an import) and an edit after it.
fn timeline() -> Timeline {
    let page = Node::Document {
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
                        "link",
                        &[("rel", "stylesheet"), ("href", RECORDED_HREF)],
                        vec![],
                    )],
                ),
                el(5, "body", &[], vec![Node::text(6, "linked")]),
            ],
        )],
    };
    let events = vec![
        Event::new(0, EventData::FullSnapshot { root: page }),
        Event::new(
            0,
            sheet_ops(vec![StyleOp {
                kind: StyleOpKind::Replace,
                path: vec![],
                text: "@import url(http://unreachable.invalid/more.css);\n\
                       body { margin: 9px }"
                    .into(),
            }]),
        ),
        Event::new(
            100,
            sheet_ops(vec![StyleOp {
                kind: StyleOpKind::Insert,
                path: vec![1],
                text: "p { color: rgb(4, 5, 6) }".into(),
            }]),
        ),
    ];
    Timeline::from_segments(&[DecodedSegment {
        header: SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 0),
        events,
    }])
}

#[wasm_bindgen_test]
async fn a_captured_link_shows_its_css_without_fetching_it() -> Result<(), JsValue> {
    let document = replay_document()?;
    let mut renderer = Renderer::new(document.clone());
    let mut player = Player::new(timeline());
    let step = player.seek(player.duration());
    renderer.update(player.mirror(), &step);
    let read = Function::new_with_args(
        "doc",
        r#"
        const link = doc.querySelector('link');
        const href = link.getAttribute('href');
        const rules = () => link.sheet ? Array.from(link.sheet.cssRules, (r) => r.cssText) : [];
        const summary = () => JSON.stringify({ href: href.slice(0, 13), rules: rules(),
          recorded: href.includes('unreachable') });
        // Until the captured sheet has loaded and the renderer's handler ran.
        return new Promise((resolve) => {
          const check = (tries) => rules().length >= 3 || tries === 0
            ? resolve(summary())
            : setTimeout(() => check(tries - 1), 20);
          check(250);
        });
        "#,
    );
    let promise: Promise = read.call1(&JsValue::NULL, &document)?.into();
    let summary = JsFuture::from(promise).await?;
    let summary: serde_json::Value = summary
        .as_string()
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or("no summary")?;
    let expected = serde_json::json!({
        "href": "data:text/css",
        "rules": [
            "@import url(\"about:invalid\");",
            "p { color: rgb(4, 5, 6); }",
            "body { margin: 9px; }"
        ],
        "recorded": false,
    });
    if summary == expected {
        Ok(())
    } else {
        Err(format!("{summary} instead of {expected}").into())
    }
}
