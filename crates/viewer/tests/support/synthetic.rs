//! A generated recording of a busy dashboard, as long as asked: a page of about 2,500 nodes (a
//! 200-row table, a live feed, a form) with the change rates of a real one — cells ticking every
//! second, a feed item added (and the oldest removed) every two seconds, a class toggled every
//! second, the pointer moving all the time, a click, a scroll and a typed value every few
//! seconds — and a page load (meta + full snapshot) every 20 minutes. One segment per minute,
//! encoded and decoded with `sightline-protocol` as the recorder and the server would.
//!
//! Shared by the replay-engine tests (`tests/replay_fixtures.rs`) and the seek benchmark
//! (`examples/seek_bench.rs`, run by `cargo xtask bench seek`). Deterministic: a seed drives a
//! small linear congruential generator.

use sightline_protocol::v1::{
    AddedNode, AttributeChange, Compression, Event, EventData, Input, MouseDelta, MouseInteraction,
    MouseMove, Mutation, NavigationKind, Node, NodeId, RemovedNode, SegmentHeader, TextChange,
};
use sightline_protocol::{DecodedSegment, decode_segment, encode_segment};

/// The recording starts at this time (ms since the Unix epoch).
pub const START_MS: u64 = 1_700_000_000_000;

const SEGMENT_MS: u64 = 60_000;
const RELOAD_MS: u64 = 20 * 60_000;
const TICK_MS: u64 = 250;
const ROWS: u32 = 200;
const FEED_KEEP: usize = 50;

/// A tiny deterministic random source.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The page being generated: where its live parts are.
struct Page {
    next_id: NodeId,
    /// Text node ids of the table's cells.
    cells: Vec<NodeId>,
    /// Row element ids (whose class toggles).
    rows: Vec<NodeId>,
    feed: NodeId,
    feed_items: Vec<NodeId>,
    input: NodeId,
    scroller: NodeId,
}

impl Page {
    fn id(&mut self) -> NodeId {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh page load: the document and its node tree.
    fn load(first_id: NodeId) -> (Self, Node) {
        let mut page = Self {
            next_id: first_id,
            cells: Vec::new(),
            rows: Vec::new(),
            feed: 0,
            feed_items: Vec::new(),
            input: 0,
            scroller: 0,
        };
        let document = page.id();
        let html = page.id();
        let head = page.id();
        let style = page.id();
        let css = page.id();
        let head_node = Node::element(
            head,
            "head",
            vec![],
            vec![Node::element(
                style,
                "style",
                vec![],
                vec![Node::text(css, "td { padding: 2px } .hot { color: red }")],
            )],
        );
        let mut rows = Vec::new();
        for row in 0..ROWS {
            let tr = page.id();
            page.rows.push(tr);
            let mut cells = Vec::new();
            for column in 0..5 {
                let td = page.id();
                let text = page.id();
                page.cells.push(text);
                cells.push(Node::element(
                    td,
                    "td",
                    vec![],
                    vec![Node::text(text, format!("r{row}c{column}"))],
                ));
            }
            rows.push(Node::element(tr, "tr", vec![], cells));
        }
        let table = page.id();
        page.scroller = page.id();
        let scroller = Node::element(
            page.scroller,
            "div",
            vec![("style".into(), "height:400px;overflow:auto".into())],
            vec![Node::element(table, "table", vec![], rows)],
        );
        page.feed = page.id();
        let feed = Node::element(page.feed, "ul", vec![("id".into(), "feed".into())], vec![]);
        page.input = page.id();
        let form = page.id();
        let form = Node::element(
            form,
            "form",
            vec![],
            vec![Node::element(
                page.input,
                "input",
                vec![("name".into(), "q".into())],
                vec![],
            )],
        );
        let body = page.id();
        let body = Node::element(body, "body", vec![], vec![form, scroller, feed]);
        let html = Node::element(html, "html", vec![], vec![head_node, body]);
        (
            page,
            Node::Document {
                id: document,
                children: vec![html],
            },
        )
    }
}

/// The events of `duration_ms` of recording, with their offsets from [`START_MS`], the page
/// loaded again every `reload_ms`.
pub fn events(duration_ms: u64, seed: u64, reload_ms: u64) -> Vec<(u64, EventData)> {
    let mut random = Lcg(seed);
    let mut out = Vec::new();
    let (mut page, mut root) = Page::load(0);
    let mut loads = 0u64;
    let mut t = 0;
    while t < duration_ms {
        if t == loads * reload_ms {
            if loads > 0 {
                (page, root) = Page::load(page.next_id);
            }
            loads += 1;
            out.push((
                t,
                EventData::Meta {
                    href: format!("https://shop.example/dashboard?load={loads}"),
                    width: 1280,
                    height: 800,
                    user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120".into(),
                },
            ));
            out.push((t, EventData::FullSnapshot { root: root.clone() }));
        }
        out.push((t, pointer(&mut random)));
        if t % 1_000 == 0 {
            out.push((t + 1, tick(&mut page, &mut random)));
        }
        if t % 2_000 == 0 {
            out.push((t + 2, feed(&mut page, t)));
        }
        if random.below(20) == 0 {
            let row = page.rows[random.below(u64::from(ROWS)) as usize];
            out.push((
                t + 3,
                EventData::MouseInteraction {
                    interaction: MouseInteraction::Click,
                    id: row,
                    x: 300,
                    y: 200,
                },
            ));
        }
        if random.below(20) == 0 {
            out.push((
                t + 4,
                EventData::Scroll {
                    id: page.scroller,
                    x: 0,
                    y: random.below(4_000) as i32,
                },
            ));
        }
        if random.below(12) == 0 {
            out.push((
                t + 5,
                EventData::Input(Input {
                    id: page.input,
                    value: "*".repeat(random.below(12) as usize),
                    checked: None,
                }),
            ));
        }
        if t % 90_000 == 0 && t > 0 {
            out.push((
                t + 6,
                EventData::Navigation {
                    href: format!("https://shop.example/dashboard#{t}"),
                    kind: NavigationKind::Hash,
                },
            ));
        }
        t += TICK_MS;
    }
    out
}

/// A batch of pointer positions over the last tick.
fn pointer(random: &mut Lcg) -> EventData {
    EventData::MouseMove(MouseMove {
        x: random.below(1_280) as i32,
        y: random.below(800) as i32,
        deltas: (0..5)
            .map(|_| MouseDelta {
                dx: random.below(21) as i32 - 10,
                dy: random.below(21) as i32 - 10,
                dt: 50,
            })
            .collect(),
    })
}

/// Five cells tick, and one row's class toggles.
fn tick(page: &mut Page, random: &mut Lcg) -> EventData {
    let texts = (0..5)
        .map(|_| TextChange {
            id: page.cells[random.below(page.cells.len() as u64) as usize],
            text: format!("{}", random.below(100_000)),
        })
        .collect();
    let row = page.rows[random.below(page.rows.len() as u64) as usize];
    let hot = random.below(2) == 0;
    EventData::Mutation(Mutation {
        removes: vec![],
        adds: vec![],
        texts,
        attributes: vec![AttributeChange {
            id: row,
            name: "class".into(),
            value: hot.then(|| "hot".into()),
        }],
    })
}

/// A feed item arrives on top; beyond [`FEED_KEEP`], the oldest goes.
fn feed(page: &mut Page, t: u64) -> EventData {
    let item = page.id();
    let text = page.id();
    let next_id = page.feed_items.last().copied();
    page.feed_items.push(item);
    let removes = if page.feed_items.len() > FEED_KEEP {
        let oldest = page.feed_items.remove(0);
        vec![RemovedNode {
            parent_id: page.feed,
            id: oldest,
        }]
    } else {
        vec![]
    };
    EventData::Mutation(Mutation {
        removes,
        adds: vec![AddedNode {
            parent_id: page.feed,
            next_id,
            node: Node::element(
                item,
                "li",
                vec![("class".into(), "item".into())],
                vec![Node::text(text, format!("order {t} paid"))],
            ),
        }],
        texts: vec![],
        attributes: vec![],
    })
}

/// The recording (a page load every 20 minutes) cut into one-minute segments, each encoded
/// (deflate) as the recorder uploads it.
///
/// # Panics
/// If the protocol crate cannot encode what it defines (a bug there).
#[allow(clippy::expect_used)]
pub fn encoded_segments(duration_ms: u64, seed: u64) -> Vec<Vec<u8>> {
    encoded_segments_with_reloads(duration_ms, seed, RELOAD_MS)
}

/// [`encoded_segments`] with a page load every `reload_ms` (a single one when it is longer than
/// the session).
///
/// # Panics
/// If the protocol crate cannot encode what it defines (a bug there).
#[allow(clippy::expect_used)]
pub fn encoded_segments_with_reloads(duration_ms: u64, seed: u64, reload_ms: u64) -> Vec<Vec<u8>> {
    let replay_id = "5e55e55e55e55e55e55e55e55e55e55e";
    let events = events(duration_ms, seed, reload_ms.max(1));
    let mut segments = Vec::new();
    let mut at = 0;
    let mut index = 0u32;
    while at < events.len() {
        let start = START_MS + u64::from(index) * SEGMENT_MS;
        let limit = u64::from(index + 1) * SEGMENT_MS;
        let end_at = at + events[at..].partition_point(|(t, _)| *t < limit);
        let mut previous = start;
        let mut body = Vec::new();
        for (offset, data) in &events[at..end_at] {
            let time = START_MS + offset;
            let dt = u32::try_from(time - previous).expect("dt within a minute");
            previous = time;
            body.push(Event::new(dt, data.clone()));
        }
        let header = SegmentHeader::new(replay_id, index, 1, start).with_end(previous);
        segments.push(
            encode_segment(&header, &body, Compression::DeflateRaw).expect("encodable segment"),
        );
        at = end_at;
        index += 1;
    }
    segments
}

/// [`encoded_segments`] decoded again, as the viewer receives them.
///
/// # Panics
/// If a segment the protocol crate encoded does not decode (a bug there).
#[allow(clippy::expect_used, dead_code)] // The benchmark decodes segments itself, timed.
pub fn segments(duration_ms: u64, seed: u64) -> Vec<DecodedSegment> {
    encoded_segments(duration_ms, seed)
        .iter()
        .map(|bytes| decode_segment(bytes).expect("decodable segment"))
        .collect()
}
