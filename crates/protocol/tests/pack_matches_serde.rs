//! The hand-written encoder (`encode_body`, `encode_header_prefix`) must write exactly the bytes of
//! the serde impls through `rmp_serde::to_vec`, for every event kind and node type and at every
//! boundary where MessagePack switches to a wider form; and those bytes must decode back equal.
//!
//! Events come from a small seeded generator that draws each field from pools of edge values, so
//! a failure names the seed and reproduces.

mod common;

use sightline_protocol::v1::{
    AddedNode, AdoptedStyleSheets, AttributeChange, Breadcrumb, Compression, ConstructedSheet,
    Event, EventData, Input, JsError, Level, Media, MediaAction, MouseDelta, MouseInteraction,
    MouseMove, Mutation, Namespace, NavigationKind, NetworkRequest, Node, RemovedNode,
    SegmentHeader, StackFrame, StyleOp, StyleOpKind, StyleSheetRule, TextChange,
};
use sightline_protocol::{
    FORMAT_VERSION, MAGIC, decode_body, decode_header, encode_body, encode_header_prefix,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Number of event kinds in v1.
const EVENT_KINDS: u8 = 16;

const U32_EDGES: &[u32] = &[
    0,
    1,
    31,
    32,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    16_777_216,
    u32::MAX - 1,
    u32::MAX,
];

const I32_EDGES: &[i32] = &[
    0,
    1,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    i32::MAX,
    -1,
    -31,
    -32,
    -33,
    -127,
    -128,
    -129,
    -32_768,
    -32_769,
    i32::MIN + 1,
    i32::MIN,
];

const U64_EDGES: &[u64] = &[
    0,
    127,
    128,
    65_536,
    4_294_967_295,
    4_294_967_296,
    1_764_000_000_000,
    u64::MAX - 1,
    u64::MAX,
];

/// Byte lengths at and around every string form: fixstr, str8, str16 and str32.
const STRING_LENGTHS: &[usize] = &[0, 1, 31, 32, 255, 256, 65_535, 65_536, 70_000];

/// Element counts at and around every array form: fixarray, array16 and array32.
const ARRAY_LENGTHS: &[usize] = &[0, 1, 15, 16, 65_535, 65_536];

/// A seeded xorshift64* generator: enough to spread choices, reproducible by seed.
struct Draw(u64);

impl Draw {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, pool: &[T]) -> T {
        pool[self.below(pool.len())]
    }

    fn u32(&mut self) -> u32 {
        if self.one_in(3) {
            self.next() as u32
        } else {
            self.pick(U32_EDGES)
        }
    }

    fn u16(&mut self) -> u16 {
        self.pick(&[0, 1, 127, 128, 200, 255, 256, 404, 500, u16::MAX])
    }

    fn u8(&mut self) -> u8 {
        self.pick(&[0, 1, 50, 100, 127, 128, 255])
    }

    fn i32(&mut self) -> i32 {
        if self.one_in(3) {
            self.next() as i32
        } else {
            self.pick(I32_EDGES)
        }
    }

    fn u64(&mut self) -> u64 {
        if self.one_in(3) {
            self.next()
        } else {
            self.pick(U64_EDGES)
        }
    }

    fn bool(&mut self) -> bool {
        self.one_in(2)
    }

    fn option<T>(&mut self, value: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.one_in(3) {
            None
        } else {
            Some(value(self))
        }
    }

    /// A string of one of the boundary byte lengths, sometimes with multi-byte characters. Long
    /// strings are rarer so that a run stays quick.
    fn string(&mut self) -> String {
        let len = if self.one_in(4) {
            self.pick(STRING_LENGTHS)
        } else {
            self.pick(&STRING_LENGTHS[..6])
        };
        let unit = self.pick(&["a", "é", "☕", "🦀", "\0", "\"<&>'"]);
        let mut text = unit.repeat(len / unit.len());
        text.push_str(&"z".repeat(len - text.len()));
        text
    }

    /// A list that may hold tens of thousands of cheap items.
    fn long_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let len = if self.one_in(6) {
            self.pick(ARRAY_LENGTHS)
        } else {
            self.below(4)
        };
        (0..len).map(|_| item(self)).collect()
    }

    fn few<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let len = if self.one_in(10) { 17 } else { self.below(4) };
        (0..len).map(|_| item(self)).collect()
    }

    fn namespace(&mut self) -> Namespace {
        self.pick(&[Namespace::Html, Namespace::Svg, Namespace::MathMl])
    }

    /// A node of any type; containers get children while `depth` lasts.
    fn node(&mut self, depth: u32) -> Node {
        let id = self.u32();
        let children = |draw: &mut Self| {
            if depth == 0 {
                Vec::new()
            } else {
                draw.few(|d| d.node(depth - 1))
            }
        };
        match self.below(7) {
            0 => Node::Document {
                id,
                children: children(self),
            },
            1 => Node::Doctype {
                id,
                name: self.string(),
                public_id: self.string(),
                system_id: self.string(),
            },
            2 => Node::Element {
                id,
                tag: self.string(),
                attributes: self.few(|d| (d.string(), d.string())),
                children: children(self),
                namespace: self.namespace(),
            },
            3 => Node::Text {
                id,
                text: self.string(),
            },
            4 => Node::Comment {
                id,
                text: self.string(),
            },
            5 => Node::CData {
                id,
                text: self.string(),
            },
            _ => Node::ShadowRoot {
                id,
                children: children(self),
            },
        }
    }

    fn event_data(&mut self, kind: u8) -> EventData {
        match kind {
            0 => EventData::Meta {
                href: self.string(),
                width: self.u32(),
                height: self.u32(),
                user_agent: self.string(),
            },
            1 => EventData::FullSnapshot { root: self.node(4) },
            2 => EventData::Mutation(Mutation {
                removes: self.long_list(|d| RemovedNode {
                    parent_id: d.u32(),
                    id: d.u32(),
                }),
                adds: self.few(|d| AddedNode {
                    parent_id: d.u32(),
                    next_id: d.option(Self::u32),
                    node: d.node(2),
                }),
                texts: self.few(|d| TextChange {
                    id: d.u32(),
                    text: d.string(),
                }),
                attributes: self.few(|d| AttributeChange {
                    id: d.u32(),
                    name: d.string(),
                    value: d.option(Self::string),
                }),
            }),
            3 => EventData::MouseInteraction {
                interaction: self.pick(&[
                    MouseInteraction::Click,
                    MouseInteraction::DblClick,
                    MouseInteraction::ContextMenu,
                    MouseInteraction::Focus,
                    MouseInteraction::Blur,
                    MouseInteraction::TouchStart,
                    MouseInteraction::TouchEnd,
                    MouseInteraction::MouseDown,
                    MouseInteraction::MouseUp,
                ]),
                id: self.u32(),
                x: self.i32(),
                y: self.i32(),
            },
            4 => EventData::JsError(JsError {
                event_id: self.string(),
                error_type: self.string(),
                message: self.string(),
                frames: self.few(|d| StackFrame {
                    function: d.string(),
                    filename: d.string(),
                    lineno: d.u32(),
                    colno: d.u32(),
                }),
                release: self.string(),
            }),
            5 => EventData::NetworkRequest(NetworkRequest {
                method: self.string(),
                url: self.string(),
                status: self.u16(),
                duration: self.u32(),
                trace_id: self.string(),
                span_id: self.string(),
                response_size: self.option(Self::u64),
            }),
            6 => EventData::MouseMove(MouseMove {
                x: self.i32(),
                y: self.i32(),
                deltas: self.long_list(|d| MouseDelta {
                    dx: d.i32(),
                    dy: d.i32(),
                    dt: d.u32(),
                }),
            }),
            7 => EventData::Scroll {
                id: self.u32(),
                x: self.i32(),
                y: self.i32(),
            },
            8 => EventData::ViewportResize {
                width: self.u32(),
                height: self.u32(),
            },
            9 => EventData::Input(Input {
                id: self.u32(),
                value: self.string(),
                checked: self.option(Self::bool),
            }),
            10 => EventData::Media(Media {
                id: self.u32(),
                action: self.pick(&[
                    MediaAction::Play,
                    MediaAction::Pause,
                    MediaAction::Seeked,
                    MediaAction::VolumeChange,
                    MediaAction::RateChange,
                ]),
                current_time: self.u32(),
                volume: self.u8(),
                muted: self.bool(),
                rate: self.u16(),
            }),
            11 => EventData::StyleSheetRule(StyleSheetRule {
                node_id: self.option(Self::u32),
                style_id: self.option(Self::u32),
                ops: self.few(|d| StyleOp {
                    kind: d.pick(&[
                        StyleOpKind::Insert,
                        StyleOpKind::Delete,
                        StyleOpKind::Replace,
                    ]),
                    path: d.long_list(Self::u32),
                    text: d.string(),
                }),
            }),
            12 => EventData::AdoptedStyleSheets(AdoptedStyleSheets {
                owner_id: self.u32(),
                style_ids: self.long_list(Self::u32),
                new_sheets: self.few(|d| ConstructedSheet {
                    style_id: d.u32(),
                    text: d.string(),
                }),
            }),
            13 => EventData::Navigation {
                href: self.string(),
                kind: self.pick(&[
                    NavigationKind::Push,
                    NavigationKind::Replace,
                    NavigationKind::Pop,
                    NavigationKind::Hash,
                    NavigationKind::Load,
                ]),
            },
            14 => EventData::Breadcrumb(Breadcrumb {
                category: self.string(),
                level: self.pick(&[
                    Level::Debug,
                    Level::Log,
                    Level::Info,
                    Level::Warning,
                    Level::Error,
                    Level::Fatal,
                ]),
                message: self.string(),
                data: self.string(),
            }),
            _ => EventData::Custom {
                tag: self.string(),
                payload: self.string(),
            },
        }
    }

    fn event(&mut self, kind: u8) -> Event {
        Event::new(self.u32(), self.event_data(kind))
    }
}

/// Checks one body: same bytes as serde, and both decoders read it back equal.
fn check_body(events: &[Event], context: &str) -> TestResult {
    let packed = encode_body(events)?;
    let serde = rmp_serde::to_vec(events)?;
    if packed != serde {
        let at = packed
            .iter()
            .zip(&serde)
            .take_while(|(a, b)| a == b)
            .count();
        panic!(
            "{context}: encode_body differs from rmp_serde::to_vec at byte {at} \
             (lengths {} and {})",
            packed.len(),
            serde.len()
        );
    }
    let via_serde: Vec<Event> = rmp_serde::from_slice(&packed)?;
    assert_eq!(via_serde, events, "{context}: rmp_serde round trip");
    let header = SegmentHeader {
        event_count: u32::try_from(events.len())?,
        ..common::header()
    };
    assert_eq!(
        decode_body(&header, &packed)?,
        events,
        "{context}: bounded decode"
    );
    Ok(())
}

#[test]
fn every_event_kind_packs_like_serde_across_edge_values() -> TestResult {
    let mut kinds_seen = [false; EVENT_KINDS as usize];
    for seed in 0..48 {
        let mut draw = Draw::new(seed);
        let events: Vec<Event> = (0..EVENT_KINDS).map(|kind| draw.event(kind)).collect();
        for (kind, event) in events.iter().enumerate() {
            check_body(
                std::slice::from_ref(event),
                &format!("seed {seed} kind {kind}"),
            )?;
            let bytes = encode_body(std::slice::from_ref(event))?;
            // [array of 1][event tuple header][kind as fixint]
            kinds_seen[usize::from(bytes[2])] = true;
        }
        check_body(&events, &format!("seed {seed}, all kinds in one body"))?;
    }
    assert!(kinds_seen.iter().all(|seen| *seen), "{kinds_seen:?}");
    Ok(())
}

#[test]
fn every_node_type_and_namespace_packs_like_serde() -> TestResult {
    for seed in 0..200 {
        let mut draw = Draw::new(seed);
        let root = draw.node(5);
        check_body(
            &[Event::new(0, EventData::FullSnapshot { root })],
            &format!("node seed {seed}"),
        )?;
    }
    Ok(())
}

#[test]
fn the_sample_session_packs_like_serde() -> TestResult {
    check_body(&common::events(), "sample session")
}

#[test]
fn bodies_of_many_events_use_wider_array_lengths_like_serde() -> TestResult {
    let mut draw = Draw::new(7);
    for count in [0, 15, 16, 65_536] {
        let events: Vec<Event> = (0..count)
            .map(|i| {
                Event::new(
                    draw.u32(),
                    EventData::ViewportResize {
                        width: i,
                        height: draw.u32(),
                    },
                )
            })
            .collect();
        let packed = encode_body(&events)?;
        assert_eq!(packed, rmp_serde::to_vec(&events)?, "{count} events");
        let decoded: Vec<Event> = rmp_serde::from_slice(&packed)?;
        assert_eq!(decoded, events);
    }
    Ok(())
}

#[test]
fn header_prefix_packs_like_serde_across_edge_values() -> TestResult {
    for seed in 0..200 {
        let mut draw = Draw::new(seed);
        let start = draw.u64();
        let header = SegmentHeader {
            replay_id: common::REPLAY_ID.to_owned(),
            index: draw.u32(),
            project: draw.u64(),
            release: "r".repeat(draw.pick(&[0, 31, 32, 200])),
            environment: "é".repeat(draw.pick(&[0, 15, 16, 100])),
            start,
            end: start.saturating_add(u64::from(draw.u32())),
            event_count: draw.pick(&[0, 1, 127, 128, 100_000]),
            flags: draw.u8(),
            compression: draw.pick(&[Compression::None, Compression::DeflateRaw]),
        };
        let prefix = encode_header_prefix(&header)?;
        let serde = rmp_serde::to_vec(&header)?;
        let mut expected = MAGIC.to_vec();
        expected.push(FORMAT_VERSION);
        expected.extend_from_slice(&u16::try_from(serde.len())?.to_le_bytes());
        expected.extend_from_slice(&serde);
        assert_eq!(prefix, expected, "header seed {seed}");
        let mut segment = prefix;
        segment.push(0x90);
        let (decoded, body) = decode_header(&segment)?;
        assert_eq!(decoded, header, "header seed {seed}");
        assert_eq!(body, [0x90]);
    }
    Ok(())
}

#[test]
fn an_oversized_header_is_still_refused() {
    let header = common::header().with_release("r".repeat(5_000));
    assert!(matches!(
        encode_header_prefix(&header),
        Err(sightline_protocol::EncodeError::HeaderTooLarge(len)) if len > 4_096
    ));
}
