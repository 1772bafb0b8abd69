//! A scripted sample session shared by the protocol's integration tests.

use sightline_protocol::v1::{
    AddedNode, AttributeChange, Event, EventData, JsError, MouseInteraction, Mutation, Namespace,
    NetworkRequest, Node, RemovedNode, SegmentHeader, StackFrame, TextChange,
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
}
