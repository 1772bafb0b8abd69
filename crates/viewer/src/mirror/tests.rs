//! Tests of the mirrored tree and page state.
use super::*;
use sightline_protocol::v1::{AddedNode, AttributeChange, RemovedNode, TextChange};

fn page() -> Node {
    Node::Document {
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
                vec![],
                vec![Node::element(
                    4,
                    "body",
                    vec![],
                    vec![
                        Node::element(5, "p", vec![], vec![Node::text(6, "one")]),
                        Node::element(7, "p", vec![], vec![Node::text(8, "three")]),
                    ],
                )],
            ),
        ],
    }
}

fn mirror() -> Mirror {
    let mut mirror = Mirror::new();
    mirror.apply(&EventData::FullSnapshot { root: page() });
    mirror
}

fn body_texts(mirror: &Mirror) -> Vec<String> {
    mirror
        .node(4)
        .unwrap()
        .children
        .iter()
        .map(|p| {
            let text = mirror.node(*p).unwrap().children[0];
            match &mirror.node(text).unwrap().kind {
                NodeKind::Text(t) => t.clone(),
                other => format!("{other:?}"),
            }
        })
        .collect()
}

#[test]
fn full_snapshot_round_trips() {
    let mirror = mirror();
    assert_eq!(mirror.to_tree(), Some(page()));
    assert_eq!(mirror.len(), 8);
}

#[test]
fn adds_honor_next_id_in_order() {
    let mut mirror = mirror();
    let changes = mirror.apply_mutation(&Mutation {
        adds: vec![
            AddedNode {
                parent_id: 4,
                next_id: Some(7),
                node: Node::element(9, "p", vec![], vec![Node::text(10, "two")]),
            },
            // Its next sibling was added just before: order of the adds matters.
            AddedNode {
                parent_id: 4,
                next_id: Some(9),
                node: Node::element(11, "p", vec![], vec![Node::text(12, "one and a half")]),
            },
            AddedNode {
                parent_id: 4,
                next_id: None,
                node: Node::element(13, "p", vec![], vec![Node::text(14, "four")]),
            },
        ],
        ..Mutation::default()
    });
    assert_eq!(
        body_texts(&mirror),
        vec!["one", "one and a half", "two", "three", "four"]
    );
    assert_eq!(changes.len(), 3);
    assert_eq!(mirror.skipped(), 0);
}

#[test]
fn removes_apply_before_adds_then_texts_then_attributes() {
    let mut mirror = mirror();
    mirror.apply_mutation(&Mutation {
        removes: vec![RemovedNode {
            parent_id: 4,
            id: 5,
        }],
        adds: vec![AddedNode {
            parent_id: 4,
            next_id: Some(7),
            node: Node::element(20, "p", vec![], vec![Node::text(21, "new")]),
        }],
        texts: vec![TextChange {
            id: 21,
            text: "newer".into(),
        }],
        attributes: vec![
            AttributeChange {
                id: 20,
                name: "class".into(),
                value: Some("fresh".into()),
            },
            AttributeChange {
                id: 20,
                name: "class".into(),
                value: Some("fresher".into()),
            },
        ],
    });
    assert_eq!(body_texts(&mirror), vec!["newer", "three"]);
    assert!(mirror.node(5).is_none() && mirror.node(6).is_none());
    match &mirror.node(20).unwrap().kind {
        NodeKind::Element { attributes, .. } => {
            assert_eq!(
                attributes,
                &vec![("class".to_owned(), "fresher".to_owned())]
            );
        }
        other => panic!("not an element: {other:?}"),
    }
}

#[test]
fn attribute_removal() {
    let mut mirror = mirror();
    let set = |value: Option<&str>| Mutation {
        attributes: vec![AttributeChange {
            id: 5,
            name: "hidden".into(),
            value: value.map(Into::into),
        }],
        ..Mutation::default()
    };
    mirror.apply_mutation(&set(Some("")));
    mirror.apply_mutation(&set(None));
    assert_eq!(mirror.to_tree(), Some(page()));
}

#[test]
fn unknown_ids_are_skipped_and_counted() {
    let mut mirror = mirror();
    let changes = mirror.apply_mutation(&Mutation {
        removes: vec![RemovedNode {
            parent_id: 4,
            id: 999,
        }],
        adds: vec![
            AddedNode {
                parent_id: 998,
                next_id: None,
                node: Node::text(30, "orphan"),
            },
            AddedNode {
                parent_id: 6,
                next_id: None,
                node: Node::text(31, "under a text node"),
            },
        ],
        texts: vec![TextChange {
            id: 997,
            text: "x".into(),
        }],
        attributes: vec![AttributeChange {
            id: 6,
            name: "class".into(),
            value: Some("x".into()),
        }],
    });
    assert!(changes.is_empty());
    assert_eq!(mirror.skipped(), 5);
    assert_eq!(mirror.to_tree(), Some(page()));
}

#[test]
fn unknown_next_sibling_appends_and_counts() {
    let mut mirror = mirror();
    mirror.apply_mutation(&Mutation {
        adds: vec![AddedNode {
            parent_id: 4,
            next_id: Some(404),
            node: Node::element(40, "p", vec![], vec![Node::text(41, "last")]),
        }],
        ..Mutation::default()
    });
    assert_eq!(body_texts(&mirror), vec!["one", "three", "last"]);
    assert_eq!(mirror.skipped(), 1);
}

#[test]
fn re_adding_an_existing_id_moves_it() {
    let mut mirror = mirror();
    mirror.apply_mutation(&Mutation {
        adds: vec![AddedNode {
            parent_id: 4,
            next_id: None,
            node: Node::element(5, "p", vec![], vec![Node::text(6, "one")]),
        }],
        ..Mutation::default()
    });
    assert_eq!(body_texts(&mirror), vec!["three", "one"]);
    assert_eq!(mirror.len(), 8);
}

#[test]
fn full_snapshot_resets_everything() {
    let mut mirror = mirror();
    mirror.apply_mutation(&Mutation {
        removes: vec![RemovedNode {
            parent_id: 4,
            id: 7,
        }],
        ..Mutation::default()
    });
    let changes = mirror.apply(&EventData::FullSnapshot { root: page() });
    assert_eq!(changes, vec![Change::Reset]);
    assert_eq!(mirror.to_tree(), Some(page()));
}

fn host_page() -> Node {
    Node::Document {
        id: 1,
        children: vec![Node::element(
            2,
            "html",
            vec![],
            vec![Node::element(
                3,
                "body",
                vec![],
                vec![
                    Node::element(
                        4,
                        "x-card",
                        vec![],
                        vec![
                            Node::ShadowRoot {
                                id: 5,
                                children: vec![Node::text(6, "inside")],
                            },
                            Node::text(7, "light"),
                        ],
                    ),
                    Node::element(
                        8,
                        "iframe",
                        vec![],
                        vec![Node::Document {
                            id: 9,
                            children: vec![Node::element(10, "html", vec![], vec![])],
                        }],
                    ),
                    Node::element(11, "style", vec![], vec![Node::text(12, "p {}")]),
                ],
            )],
        )],
    }
}

fn host_mirror() -> Mirror {
    let mut mirror = Mirror::new();
    mirror.apply(&EventData::FullSnapshot { root: host_page() });
    mirror
}

fn insert_rule(node_id: Option<NodeId>, style_id: Option<u32>, text: &str) -> EventData {
    use sightline_protocol::v1::{StyleOp, StyleOpKind};
    EventData::StyleSheetRule(StyleSheetRule {
        node_id,
        style_id,
        ops: vec![StyleOp {
            kind: StyleOpKind::Insert,
            path: vec![0],
            text: text.into(),
        }],
    })
}

#[test]
fn shadow_roots_and_frame_documents_are_children_with_their_own_document() {
    let mut mirror = host_mirror();
    assert_eq!(mirror.to_tree(), Some(host_page()));
    assert_eq!(mirror.node(5).unwrap().kind, NodeKind::ShadowRoot);
    assert_eq!(mirror.document_of(6), Some(1));
    assert_eq!(mirror.document_of(10), Some(9));
    assert_eq!(mirror.document_of(9), Some(9));
    let changes = mirror.apply_mutation(&Mutation {
        adds: vec![
            AddedNode {
                parent_id: 5,
                next_id: None,
                node: Node::text(20, "more inside"),
            },
            AddedNode {
                parent_id: 10,
                next_id: None,
                node: Node::element(21, "body", vec![], vec![]),
            },
        ],
        ..Mutation::default()
    });
    assert_eq!(changes.len(), 2);
    assert_eq!(mirror.node(5).unwrap().children, vec![6, 20]);
    assert_eq!(mirror.document_of(21), Some(9));
    assert_eq!(mirror.skipped(), 0);
}

#[test]
fn shadow_roots_and_documents_go_only_where_browsers_allow_them() {
    let mut mirror = host_mirror();
    mirror.apply_mutation(&Mutation {
        adds: vec![
            // A second shadow root on the same host.
            AddedNode {
                parent_id: 4,
                next_id: None,
                node: Node::ShadowRoot {
                    id: 30,
                    children: vec![],
                },
            },
            // A document under an element that is not a frame.
            AddedNode {
                parent_id: 3,
                next_id: None,
                node: Node::Document {
                    id: 31,
                    children: vec![],
                },
            },
            // A second document in the same frame.
            AddedNode {
                parent_id: 8,
                next_id: None,
                node: Node::Document {
                    id: 33,
                    children: vec![],
                },
            },
        ],
        ..Mutation::default()
    });
    assert_eq!(mirror.skipped(), 3);
    assert_eq!(mirror.to_tree(), Some(host_page()));

    // A shadow root attached after load goes first among the host's children.
    mirror.apply_mutation(&Mutation {
        adds: vec![AddedNode {
            parent_id: 11,
            next_id: None,
            node: Node::ShadowRoot {
                id: 32,
                children: vec![],
            },
        }],
        ..Mutation::default()
    });
    assert_eq!(mirror.node(11).unwrap().children, vec![32, 12]);
}

#[test]
fn a_style_whose_text_changes_loses_its_cssom_edits() {
    let mut mirror = host_mirror();
    let changes = mirror.apply(&insert_rule(Some(11), None, "a { color: red }"));
    assert_eq!(
        changes,
        vec![Change::Sheet {
            sheet: SheetId::Element(11)
        }]
    );
    assert_eq!(mirror.state().sheet_ops[&11].len(), 1);
    mirror.apply_mutation(&Mutation {
        texts: vec![TextChange {
            id: 12,
            text: "p { margin: 0 }".into(),
        }],
        ..Mutation::default()
    });
    assert!(mirror.state().sheet_ops.is_empty());
    // Rules for an element that has no sheet are skipped.
    mirror.apply(&insert_rule(Some(3), None, "a {}"));
    assert_eq!(mirror.skipped(), 1);
}

#[test]
fn constructed_sheets_outlive_snapshots_but_adoptions_do_not() {
    use sightline_protocol::v1::{AdoptedStyleSheets, ConstructedSheet};
    let mut mirror = host_mirror();
    let changes = mirror.apply(&EventData::AdoptedStyleSheets(AdoptedStyleSheets {
        owner_id: 5,
        style_ids: vec![1, 404],
        new_sheets: vec![ConstructedSheet {
            style_id: 1,
            text: ":host { display: block }".into(),
        }],
    }));
    assert_eq!(
        changes,
        vec![
            Change::Sheet {
                sheet: SheetId::Constructed(1)
            },
            Change::Adopted { owner: 5 }
        ]
    );
    // The unknown sheet 404 is left out.
    assert_eq!(mirror.state().adopted[&5], vec![1]);
    assert_eq!(mirror.skipped(), 1);
    mirror.apply(&insert_rule(None, Some(1), "span {}"));
    assert_eq!(mirror.constructed_sheet(1).unwrap().ops.len(), 1);

    mirror.apply(&EventData::FullSnapshot { root: host_page() });
    assert!(mirror.state().adopted.is_empty());
    assert_eq!(mirror.constructed_sheet(1).unwrap().ops.len(), 1);
}

#[test]
fn inputs_scroll_and_media_need_a_known_node() {
    use sightline_protocol::v1::{Input, Media, MediaAction};
    let mut mirror = host_mirror();
    let media = |action| {
        EventData::Media(Media {
            id: 8,
            action,
            current_time: 1_500,
            volume: 100,
            muted: false,
            rate: 100,
        })
    };
    mirror.apply(&media(MediaAction::Play));
    mirror.apply(&media(MediaAction::Seeked));
    assert!(mirror.state().media[&8].playing, "a seek keeps it playing");
    mirror.apply(&EventData::Scroll { id: 9, x: 0, y: 40 });
    mirror.apply(&EventData::Scroll { id: 9, x: 0, y: 0 });
    assert!(mirror.state().scroll.is_empty());
    for id in [6, 999] {
        mirror.apply(&EventData::Input(Input {
            id,
            value: "x".into(),
            checked: None,
        }));
        mirror.apply(&EventData::Scroll { id, x: 1, y: 1 });
    }
    assert!(mirror.state().inputs.is_empty());
    assert_eq!(mirror.skipped(), 4);
}

#[test]
fn url_and_viewport_follow_navigations_and_resizes() {
    use sightline_protocol::v1::NavigationKind;
    let mut mirror = Mirror::new();
    mirror.apply(&EventData::Meta {
        href: "https://shop.example/".into(),
        width: 1280,
        height: 720,
        user_agent: "test".into(),
    });
    mirror.apply(&EventData::Navigation {
        href: "https://shop.example/cart".into(),
        kind: NavigationKind::Push,
    });
    mirror.apply(&EventData::ViewportResize {
        width: 390,
        height: 844,
    });
    assert_eq!(mirror.url(), Some("https://shop.example/cart"));
    assert_eq!(mirror.viewport(), Some((390, 844)));
}
