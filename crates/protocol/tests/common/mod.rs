//! A scripted sample session shared by the protocol's integration tests.

use sightline_protocol::v1::{
    AddedNode, AdoptedStyleSheets, AttributeChange, Breadcrumb, ConstructedSheet, Event, EventData,
    Input, JsError, Level, Media, MediaAction, MouseInteraction, MouseMove, Mutation, Namespace,
    NavigationKind, NetworkRequest, Node, RemovedNode, SegmentHeader, StackFrame, StyleOp,
    StyleOpKind, StyleSheetRule, TextChange,
};

pub const REPLAY_ID: &str = "4f1c2e0b9a8d47e6b3c5d2a1f0e9d8c7";

pub fn header() -> SegmentHeader {
    SegmentHeader::new(REPLAY_ID, 0, 1, 1_764_000_000_000)
        .with_release("shop@1.4.2")
        .with_environment("production")
        .with_end(1_764_000_004_250)
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every v1 event kind and node type, with unicode, empty strings, options and negative numbers.
pub fn events() -> Vec<Event> {
    let svg = Node::Element {
        id: 9,
        tag: "svg".into(),
        attributes: attrs(&[("viewBox", "0 0 10 10")]),
        children: vec![Node::Element {
            id: 10,
            tag: "linearGradient".into(),
            attributes: vec![],
            children: vec![],
            namespace: Namespace::Svg,
        }],
        namespace: Namespace::Svg,
    };
    let document = Node::Document {
        id: 1,
        children: vec![
            Node::Doctype {
                id: 2,
                name: "html".into(),
                public_id: String::new(),
                system_id: String::new(),
            },
            Node::element(
                3,
                "html",
                attrs(&[("lang", "en")]),
                vec![
                    Node::element(
                        4,
                        "head",
                        vec![],
                        vec![Node::Comment {
                            id: 5,
                            text: " build 1f3a ".into(),
                        }],
                    ),
                    Node::element(
                        6,
                        "body",
                        attrs(&[("class", "shop"), ("data-x", "")]),
                        vec![
                            Node::element(
                                7,
                                "h1",
                                vec![],
                                vec![Node::text(8, "Café — ☕ 3 items")],
                            ),
                            svg,
                            Node::CData {
                                id: 11,
                                text: "x < y".into(),
                            },
                            Node::element(
                                15,
                                "shop-badge",
                                vec![],
                                vec![Node::ShadowRoot {
                                    id: 16,
                                    children: vec![Node::text(17, "new")],
                                }],
                            ),
                            Node::element(
                                18,
                                "iframe",
                                attrs(&[("src", "/frame")]),
                                vec![Node::Document {
                                    id: 19,
                                    children: vec![Node::element(20, "html", vec![], vec![])],
                                }],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    };
    vec![
        Event::new(
            0,
            EventData::Meta {
                href: "https://shop.example/cart?step=1".into(),
                width: 1280,
                height: 720,
                user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/156".into(),
            },
        ),
        Event::new(3, EventData::FullSnapshot { root: document }),
        Event::new(
            1_200,
            EventData::MouseInteraction {
                interaction: MouseInteraction::Click,
                id: 7,
                x: 640,
                y: -3,
            },
        ),
        Event::new(
            15,
            EventData::Mutation(Mutation {
                removes: vec![RemovedNode {
                    parent_id: 6,
                    id: 9,
                }],
                adds: vec![
                    AddedNode {
                        parent_id: 6,
                        next_id: None,
                        node: Node::element(
                            12,
                            "p",
                            attrs(&[("id", "total")]),
                            vec![Node::text(13, "Total: 42.00")],
                        ),
                    },
                    AddedNode {
                        parent_id: 6,
                        next_id: Some(12),
                        node: Node::text(14, " "),
                    },
                ],
                texts: vec![TextChange {
                    id: 8,
                    text: "Cart (1)".into(),
                }],
                attributes: vec![
                    AttributeChange {
                        id: 6,
                        name: "class".into(),
                        value: Some("shop busy".into()),
                    },
                    AttributeChange {
                        id: 6,
                        name: "data-x".into(),
                        value: None,
                    },
                ],
            }),
        ),
        Event::new(
            2_000,
            EventData::NetworkRequest(NetworkRequest {
                method: "POST".into(),
                url: "https://shop.example/api/checkout".into(),
                status: 500,
                duration: 182,
                trace_id: "771a43a4192642f0b136d5159a501700".into(),
                span_id: "b0e6f15b45c36b12".into(),
                response_size: Some(43),
            }),
        ),
        Event::new(
            32,
            EventData::JsError(JsError {
                event_id: "0c2a7b4d1e9f4a3b8c6d5e4f3a2b1c0d".into(),
                error_type: "Error".into(),
                message: "Checkout failed: 500".into(),
                frames: vec![
                    StackFrame {
                        function: "checkout".into(),
                        filename: "https://shop.example/app.js".into(),
                        lineno: 42,
                        colno: 13,
                    },
                    StackFrame {
                        function: String::new(),
                        filename: "https://shop.example/app.js".into(),
                        lineno: 0,
                        colno: 0,
                    },
                ],
                release: "shop@1.4.2".into(),
            }),
        ),
    ]
    .into_iter()
    .chain(interaction_events())
    .collect()
}

/// The interaction, style and breadcrumb kinds, one each.
fn interaction_events() -> Vec<Event> {
    let moves = MouseMove::from_positions(&[(0, 100, 200), (50, 104, 190), (100, 90, 230)])
        .unwrap_or_default();
    vec![
        Event::new(10, EventData::MouseMove(moves)),
        Event::new(
            100,
            EventData::MouseInteraction {
                interaction: MouseInteraction::DblClick,
                id: 12,
                x: 90,
                y: 230,
            },
        ),
        Event::new(
            5,
            EventData::Scroll {
                id: 1,
                x: 0,
                y: 480,
            },
        ),
        Event::new(
            5,
            EventData::ViewportResize {
                width: 390,
                height: 844,
            },
        ),
        Event::new(
            20,
            EventData::Input(Input {
                id: 12,
                value: "********".into(),
                checked: None,
            }),
        ),
        Event::new(
            1,
            EventData::Input(Input {
                id: 7,
                value: "on".into(),
                checked: Some(true),
            }),
        ),
        Event::new(
            7,
            EventData::Media(Media {
                id: 9,
                action: MediaAction::Seeked,
                current_time: 12_500,
                volume: 80,
                muted: false,
                rate: 150,
            }),
        ),
        Event::new(
            3,
            EventData::StyleSheetRule(StyleSheetRule {
                node_id: Some(4),
                style_id: None,
                ops: vec![
                    StyleOp {
                        kind: StyleOpKind::Insert,
                        path: vec![2, 0],
                        text: ".busy { cursor: wait }".into(),
                    },
                    StyleOp {
                        kind: StyleOpKind::Delete,
                        path: vec![1],
                        text: String::new(),
                    },
                ],
            }),
        ),
        Event::new(
            3,
            EventData::AdoptedStyleSheets(AdoptedStyleSheets {
                owner_id: 16,
                style_ids: vec![1, 2],
                new_sheets: vec![ConstructedSheet {
                    style_id: 2,
                    text: ":host { display: inline-block }".into(),
                }],
            }),
        ),
        Event::new(
            900,
            EventData::Navigation {
                href: "https://shop.example/checkout#pay".into(),
                kind: NavigationKind::Push,
            },
        ),
        Event::new(
            2,
            EventData::Breadcrumb(Breadcrumb {
                category: "console".into(),
                level: Level::Warning,
                message: "***** ****** *******".into(),
                data: String::new(),
            }),
        ),
        Event::new(
            0,
            EventData::Custom {
                tag: "set_user".into(),
                payload: r#"{"id":"u-42"}"#.into(),
            },
        ),
    ]
}
