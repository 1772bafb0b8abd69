//! Tests of the player: seeking, playing, late and missing segments.
use super::*;
use crate::mirror::state::{DocumentState, SessionState};
use sightline_protocol::v1::{
    AddedNode, AdoptedStyleSheets, AttributeChange, ConstructedSheet, Event, EventData, Input,
    Media, MediaAction, Mutation, NavigationKind, Node, RemovedNode, SegmentHeader, StyleOp,
    StyleOpKind, StyleSheetRule, TextChange,
};

const REPLAY: &str = "0123456789abcdef0123456789abcdef";

/// Ids of the fixture page's nodes.
const DOC: u32 = 1;
const BODY: u32 = 3;
const TITLE: u32 = 4;
const STYLE: u32 = 6;
const STYLE_TEXT: u32 = 7;
const TEXT_INPUT: u32 = 8;
const CHECKBOX: u32 = 9;
const SCROLL_BOX: u32 = 10;
const VIDEO: u32 = 11;
const SHADOW_ROOT: u32 = 13;
const FRAME_BODY: u32 = 19;

/// A page with a `<style>`, form controls, a scrolling box, a video, a shadow host and a
/// same-origin iframe.
fn page(title: &str) -> Node {
    let el = |id, tag: &str, children| Node::element(id, tag, vec![], children);
    Node::Document {
        id: DOC,
        children: vec![Node::element(
            2,
            "html",
            vec![],
            vec![Node::element(
                BODY,
                "body",
                vec![],
                vec![
                    el(TITLE, "h1", vec![Node::text(5, title)]),
                    el(
                        STYLE,
                        "style",
                        vec![Node::text(STYLE_TEXT, "h1 { color: red }")],
                    ),
                    Node::element(
                        TEXT_INPUT,
                        "input",
                        vec![("type".into(), "text".into())],
                        vec![],
                    ),
                    Node::element(
                        CHECKBOX,
                        "input",
                        vec![("type".into(), "checkbox".into())],
                        vec![],
                    ),
                    el(SCROLL_BOX, "div", vec![]),
                    el(VIDEO, "video", vec![]),
                    el(
                        12,
                        "div",
                        vec![Node::ShadowRoot {
                            id: SHADOW_ROOT,
                            children: vec![el(14, "span", vec![Node::text(15, "shadow")])],
                        }],
                    ),
                    el(
                        16,
                        "iframe",
                        vec![Node::Document {
                            id: 17,
                            children: vec![el(18, "html", vec![el(FRAME_BODY, "body", vec![])])],
                        }],
                    ),
                ],
            )],
        )],
    }
}

fn insert(path: u32, text: &str) -> StyleOp {
    StyleOp {
        kind: StyleOpKind::Insert,
        path: vec![path],
        text: text.into(),
    }
}

fn adopt(owner_id: u32, style_ids: Vec<u32>, new_sheets: &[(u32, &str)]) -> EventData {
    EventData::AdoptedStyleSheets(AdoptedStyleSheets {
        owner_id,
        style_ids,
        new_sheets: new_sheets
            .iter()
            .map(|(style_id, text)| ConstructedSheet {
                style_id: *style_id,
                text: (*text).into(),
            })
            .collect(),
    })
}

/// What happens besides the DOM mutation at each step of the scripted session: typing, a
/// checkbox, scrolling, CSSOM edits on an element sheet and on constructed sheets, media,
/// navigations, resizes, and changes inside the shadow root and the iframe.
fn step_events(step: u32) -> Vec<EventData> {
    let mut events = vec![
        EventData::Input(Input {
            id: TEXT_INPUT,
            value: format!("typed {step}"),
            checked: None,
        }),
        EventData::Input(Input {
            id: CHECKBOX,
            value: "on".into(),
            checked: Some(step.is_multiple_of(2)),
        }),
        EventData::Scroll {
            id: DOC,
            x: 0,
            y: i32::try_from(step).unwrap() * 10,
        },
        EventData::StyleSheetRule(StyleSheetRule {
            node_id: Some(STYLE),
            style_id: None,
            ops: vec![insert(0, &format!(".s{step} {{ margin: {step}px }}"))],
        }),
        EventData::StyleSheetRule(StyleSheetRule {
            node_id: None,
            style_id: Some(70),
            ops: vec![insert(1, &format!(".c{step} {{ color: blue }}"))],
        }),
        EventData::Media(Media {
            id: VIDEO,
            action: if step.is_multiple_of(2) {
                MediaAction::Play
            } else {
                MediaAction::Pause
            },
            current_time: step * 1_000,
            volume: 50,
            muted: true,
            rate: 100,
        }),
        EventData::Mutation(Mutation {
            adds: vec![
                AddedNode {
                    parent_id: SHADOW_ROOT,
                    next_id: None,
                    node: Node::text(500 + step, "in shadow"),
                },
                AddedNode {
                    parent_id: FRAME_BODY,
                    next_id: None,
                    node: Node::text(600 + step, "in frame"),
                },
            ],
            ..Mutation::default()
        }),
    ];
    if step % 2 == 1 {
        events.push(EventData::Scroll {
            id: SCROLL_BOX,
            x: 3,
            y: i32::try_from(step).unwrap(),
        });
    }
    if step % 4 == 3 {
        events.push(EventData::StyleSheetRule(StyleSheetRule {
            node_id: Some(STYLE),
            style_id: None,
            ops: vec![StyleOp {
                kind: StyleOpKind::Delete,
                path: vec![0],
                text: String::new(),
            }],
        }));
    }
    if step % 5 == 2 {
        // The style's text changes: the browser parses the sheet again, dropping CSSOM edits.
        events.push(EventData::Mutation(Mutation {
            texts: vec![TextChange {
                id: STYLE_TEXT,
                text: format!("h1 {{ color: #{step:03} }}"),
            }],
            ..Mutation::default()
        }));
    }
    if step % 7 == 1 {
        events.push(EventData::Navigation {
            href: format!("https://shop.example/page/{step}"),
            kind: NavigationKind::Push,
        });
    }
    if step % 9 == 4 {
        events.push(EventData::ViewportResize {
            width: 800 + step,
            height: 600,
        });
    }
    match step {
        3 => events.push(adopt(
            SHADOW_ROOT,
            vec![71, 70],
            &[(71, "span { color: green }")],
        )),
        11 => events.push(EventData::StyleSheetRule(StyleSheetRule {
            node_id: None,
            style_id: Some(70),
            ops: vec![StyleOp {
                kind: StyleOpKind::Replace,
                path: vec![],
                text: "body { margin: 0 }".into(),
            }],
        })),
        // The text input moves to the end of the body: it keeps its value.
        15 => events.push(EventData::Mutation(Mutation {
            removes: vec![RemovedNode {
                parent_id: BODY,
                id: TEXT_INPUT,
            }],
            adds: vec![AddedNode {
                parent_id: BODY,
                next_id: None,
                node: Node::element(TEXT_INPUT, "input", vec![], vec![]),
            }],
            ..Mutation::default()
        })),
        // After the second snapshot, sheets defined before it are adopted again by id only.
        20 => events.push(adopt(DOC, vec![71, 70], &[])),
        _ => {}
    }
    events
}

/// A scripted session: a snapshot, then every 700 ms a list item is added before the previous
/// one, the title text changes and an attribute flips, followed 30 ms apart by the
/// [`step_events`]; one item is removed now and then, and a second full snapshot arrives
/// half-way.
fn events() -> Vec<Event> {
    let mut events = vec![
        Event::new(
            0,
            EventData::Meta {
                href: "https://shop.example/".into(),
                width: 800,
                height: 600,
                user_agent: "test".into(),
            },
        ),
        Event::new(
            20,
            EventData::FullSnapshot {
                root: page("start"),
            },
        ),
        Event::new(0, adopt(DOC, vec![70], &[(70, "h1 { font-weight: 400 }")])),
    ];
    let mut previous: Option<u32> = None;
    for step in 0..40u32 {
        if step == 20 {
            events.push(Event::new(
                300,
                EventData::FullSnapshot {
                    root: page("again"),
                },
            ));
            previous = None;
        }
        let id = 100 + step * 2;
        let mut mutation = Mutation {
            adds: vec![AddedNode {
                parent_id: BODY,
                next_id: previous,
                node: Node::element(id, "li", vec![], vec![Node::text(id + 1, "item")]),
            }],
            texts: vec![TextChange {
                id: 5,
                text: format!("step {step}"),
            }],
            attributes: vec![AttributeChange {
                id: TITLE,
                name: "data-step".into(),
                value: (step % 3 != 0).then(|| step.to_string()),
            }],
            ..Mutation::default()
        };
        if let Some(prev) = previous.filter(|_| step % 5 == 4) {
            mutation.removes.push(RemovedNode {
                parent_id: BODY,
                id: prev,
            });
            mutation.adds[0].next_id = None;
        }
        previous = Some(id);
        events.push(Event::new(700, EventData::Mutation(mutation)));
        events.extend(step_events(step).into_iter().map(|e| Event::new(30, e)));
    }
    events
}

/// Everything the page shows: the tree and the state besides it.
fn shown(player: &Player) -> (Option<Node>, DocumentState, SessionState) {
    let mirror = player.mirror();
    (
        mirror.to_tree(),
        mirror.state().clone(),
        mirror.session().clone(),
    )
}

fn timeline() -> Timeline {
    let events = events();
    let (first, second) = events.split_at(25);
    let first_end: u64 = first.iter().map(|e| u64::from(e.dt)).sum();
    let second_end: u64 = second.iter().map(|e| u64::from(e.dt)).sum();
    Timeline::from_segments(&[
        DecodedSegment {
            header: SegmentHeader::new(REPLAY, 0, 1, 0).with_end(first_end),
            events: first.to_vec(),
        },
        DecodedSegment {
            header: SegmentHeader::new(REPLAY, 1, 1, first_end).with_end(first_end + second_end),
            events: second.to_vec(),
        },
    ])
}

fn played_to(t: u64, tick: f64) -> Player {
    let mut player = Player::new(timeline());
    player.refresh();
    player.play();
    while (player.time() as f64 + tick) <= t as f64 {
        player.advance(tick);
    }
    player.advance(t as f64 - player.playhead);
    player
}

#[test]
fn seeking_gives_the_same_page_as_playing_there() {
    let duration = timeline().duration();
    let mut from_end = Player::new(timeline());
    from_end.seek(duration);
    for t in (0..=duration).step_by(97).chain([0, 20, 720, duration]) {
        let played = played_to(t, 33.0);
        let mut fresh = Player::new(timeline());
        fresh.seek(t);
        from_end.seek(duration);
        assert!(from_end.seek(t) != Step::Nothing || t >= duration - 700);
        assert_eq!(played.time(), t);
        assert_eq!(shown(&fresh), shown(&played), "fresh at {t}");
        assert_eq!(shown(&from_end), shown(&played), "back at {t}");
        assert_eq!(fresh.mirror().len(), played.mirror().len());
    }
}

#[test]
fn state_besides_the_tree_is_what_the_user_last_did() {
    let mut player = Player::new(timeline());
    player.seek(player.duration());
    let mirror = player.mirror();
    let input = mirror.state().input(TEXT_INPUT).unwrap();
    assert_eq!(input.value, "typed 39");
    assert_eq!(mirror.state().input(CHECKBOX).unwrap().checked, Some(false));
    assert_eq!(mirror.state().scroll.get(&DOC), Some(&(0, 390)));
    assert_eq!(mirror.state().scroll.get(&SCROLL_BOX), Some(&(3, 39)));
    let video = mirror.state().media.get(&VIDEO).unwrap();
    assert!(!video.playing);
    assert_eq!(video.current_time, 39_000);
    assert_eq!(mirror.url(), Some("https://shop.example/page/36"));
    assert_eq!(mirror.viewport(), Some((831, 600)));
    // Step 37 changed the style's text: only the edits of steps 38 and 39 (two inserts and a
    // delete) remain.
    assert_eq!(mirror.state().sheet_ops[&STYLE].len(), 3);
    // Replaced at step 11, then one insert per step.
    let sheet = mirror.constructed_sheet(70).unwrap();
    assert_eq!(sheet.text, "body { margin: 0 }");
    assert_eq!(sheet.ops.len(), 28);
    // Adopted again after the second snapshot, by id only.
    assert_eq!(mirror.state().adopted.get(&DOC), Some(&vec![71, 70]));
    assert!(mirror.node(SHADOW_ROOT).unwrap().children.len() > 1);
    assert!(mirror.node(FRAME_BODY).unwrap().children.len() > 1);
    assert_eq!(mirror.skipped(), 0);

    // Typed into at step 15, then moved: it kept its value.
    player.seek(
        player
            .timeline()
            .events()
            .iter()
            .rev()
            .find_map(|e| match &e.data {
                EventData::Mutation(m) if m.removes.iter().any(|r| r.id == TEXT_INPUT) => {
                    Some(e.offset)
                }
                _ => None,
            })
            .unwrap(),
    );
    assert_eq!(
        player.mirror().state().input(TEXT_INPUT).unwrap().value,
        "typed 15"
    );
    assert_eq!(
        player.mirror().node(BODY).unwrap().children.last(),
        Some(&TEXT_INPUT)
    );
}

#[test]
fn incremental_changes_are_reported_and_seek_back_rebuilds() {
    let mut player = Player::new(timeline());
    assert_eq!(player.seek(20), Step::Rebuild);
    match player.seek(720) {
        Step::Changes(changes) => assert_eq!(changes.len(), 3),
        other => panic!("expected changes, got {other:?}"),
    }
    assert_eq!(player.seek(100), Step::Rebuild);
    assert_eq!(player.seek(100), Step::Nothing);
}

#[test]
fn the_first_snapshot_shows_before_its_time() {
    let mut player = Player::new(timeline());
    assert_eq!(player.seek(0), Step::Rebuild);
    assert_eq!(player.time(), 0);
    assert!(player.mirror().root().is_some());
}

#[test]
fn plays_to_the_end_then_restarts() {
    let mut player = Player::new(timeline());
    player.play();
    assert_eq!(player.state(), PlaybackState::Playing);
    player.set_speed(8.0);
    for _ in 0..1_000 {
        player.advance(50.0);
    }
    assert_eq!(player.state(), PlaybackState::Ended);
    assert_eq!(player.time(), player.duration());
    assert_eq!(player.play(), Step::Rebuild);
    assert_eq!(player.time(), 0);
    assert_eq!(player.state(), PlaybackState::Playing);
}

#[test]
fn paused_player_does_not_move_and_seek_clamps() {
    let mut player = Player::new(timeline());
    player.seek(1_000);
    assert_eq!(player.advance(500.0), Step::Nothing);
    assert_eq!(player.time(), 1_000);
    player.seek(u64::MAX);
    assert_eq!(player.time(), player.duration());
    assert_eq!(player.state(), PlaybackState::Paused);
}

#[test]
fn late_segment_rebuilds_the_page_it_changes() {
    let events = events();
    let (first, second) = events.split_at(25);
    let first_end: u64 = first.iter().map(|e| u64::from(e.dt)).sum();
    let second_segment = DecodedSegment {
        header: SegmentHeader::new(REPLAY, 1, 1, first_end),
        events: second.to_vec(),
    };
    let mut complete = Player::new(timeline());
    complete.seek(first_end + 2_000);

    // Segment 1 arrives while the player already waits beyond the first segment's end.
    let mut loading = Player::new(Timeline::new(0).with_known_duration(complete.duration()));
    loading.push_segment(&DecodedSegment {
        header: SegmentHeader::new(REPLAY, 0, 1, 0).with_end(first_end),
        events: first.to_vec(),
    });
    loading.seek(first_end + 2_000);
    assert_eq!(loading.push_segment(&second_segment), Step::Rebuild);
    assert_eq!(loading.mirror().to_tree(), complete.mirror().to_tree());
}

#[test]
fn gap_in_the_middle_still_plays() {
    let events = events();
    let (first, rest) = events.split_at(10);
    let (_lost, last) = rest.split_at(10);
    let mut timeline = Timeline::new(0);
    timeline.push_segment(&DecodedSegment {
        header: SegmentHeader::new(REPLAY, 0, 1, 0),
        events: first.to_vec(),
    });
    timeline.record_gap(1, "HTTP 500");
    timeline.push_segment(&DecodedSegment {
        header: SegmentHeader::new(REPLAY, 2, 1, 20_000),
        events: last.to_vec(),
    });
    let mut player = Player::new(timeline);
    player.seek(u64::MAX);
    // Items added by the lost segment are missing: later adds that refer to them are
    // skipped or appended, never a crash, and the second snapshot restores the page.
    assert!(player.mirror().root().is_some());
    assert_eq!(player.timeline().gaps().len(), 1);
}

/// A 40 s page with clicks at 1 s and 30 s and nothing in between.
fn idle_segment() -> sightline_protocol::DecodedSegment {
    use sightline_protocol::v1::MouseInteraction;
    let click = || EventData::MouseInteraction {
        interaction: MouseInteraction::Click,
        id: BODY,
        x: 1,
        y: 1,
    };
    sightline_protocol::DecodedSegment {
        header: SegmentHeader::new(REPLAY, 0, 1, 0).with_end(40_000),
        events: vec![
            Event::new(0, EventData::FullSnapshot { root: page("a") }),
            Event::new(1_000, click()),
            Event::new(29_000, click()),
        ],
    }
}

#[test]
fn skip_inactivity_jumps_idle_stretches_while_playing() {
    let mut player = Player::new(Timeline::new(0));
    player.set_skip_inactivity(true);
    player.push_segment(&idle_segment());
    assert_eq!(player.idle_ranges().len(), 1);
    player.seek(2_000);
    player.play();
    player.advance(100.0);
    // 1 s → 30 s is idle: the playhead lands 1 s before the next click.
    assert_eq!(player.time(), 29_000);
    player.advance(100.0);
    assert_eq!(player.time(), 29_100);

    let mut plain = Player::new(Timeline::new(0));
    plain.push_segment(&idle_segment());
    plain.seek(2_000);
    plain.play();
    plain.advance(100.0);
    assert_eq!(plain.time(), 2_100);
}

#[test]
fn pause_at_stops_on_the_error() {
    let mut player = Player::new(timeline());
    player.seek(100);
    player.set_pause_at(Some(700));
    player.play();
    for _ in 0..100 {
        player.advance(50.0);
    }
    assert_eq!(player.state(), PlaybackState::Paused);
    assert_eq!(player.time(), 700);
    // Playing on goes past it.
    player.play();
    player.advance(50.0);
    assert_eq!(player.time(), 750);
}

/// The idle page with a JS error at 20 s.
fn error_segment() -> sightline_protocol::DecodedSegment {
    let mut segment = idle_segment();
    segment.events.insert(
        2,
        Event::new(
            19_000,
            EventData::JsError(sightline_protocol::v1::JsError {
                event_id: "e1".into(),
                error_type: "TypeError".into(),
                message: "boom".into(),
                frames: vec![],
                release: String::new(),
            }),
        ),
    );
    // The click that followed was 29 s after the start: now 10 s after the error.
    segment.events[3] = Event::new(10_000, segment.events[3].data.clone());
    segment
}

#[test]
fn open_at_error_plays_from_five_seconds_before_and_pauses_on_it() {
    let mut player = Player::new(Timeline::new(0));
    player.set_skip_inactivity(true);
    player.push_segment(&error_segment());
    player.seek(15_000);
    player.play();
    assert_eq!(player.focus_error("unknown"), None);
    assert_eq!(player.focus_error("e1"), Some(Step::Nothing));
    // The lead-in is idle, but it is shown, not skipped.
    player.advance(100.0);
    assert_eq!(player.time(), 15_100);
    for _ in 0..200 {
        player.advance(50.0);
    }
    assert_eq!(player.state(), PlaybackState::Paused);
    assert_eq!(player.time(), 20_000);
}

#[test]
fn open_at_error_after_it_goes_back_and_pauses() {
    let mut player = Player::new(Timeline::new(0));
    player.push_segment(&error_segment());
    player.seek(25_000);
    player.play();
    assert!(player.focus_error("e1").is_some());
    assert_eq!(player.state(), PlaybackState::Paused);
    assert_eq!(player.time(), 20_000);
}

#[test]
fn open_at_a_backend_error_pauses_at_its_request() {
    // A backend error is known by its offset only (the failing request's client time).
    let mut player = Player::new(Timeline::new(0));
    player.push_segment(&error_segment());
    player.seek(12_000);
    player.play();
    assert_eq!(player.focus_at(17_000), Step::Nothing);
    for _ in 0..200 {
        player.advance(50.0);
    }
    assert_eq!(player.state(), PlaybackState::Paused);
    assert_eq!(player.time(), 17_000);
    // Not playing (or past it): straight there, paused.
    player.seek(30_000);
    player.focus_at(17_500);
    assert_eq!(
        (player.state(), player.time()),
        (PlaybackState::Paused, 17_500)
    );
}
