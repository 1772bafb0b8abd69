//! The replay engine over recorded sessions: wherever a user seeks — forward, backward, in any
//! order, before or after the later segments arrived — the page shown must be exactly the page
//! that playing from the start up to that moment shows.
//!
//! Sessions: the demo shop's recorded session (`tests/fixtures/demo-session/`, recorded by the
//! real recorder in headless Chromium; `cargo xtask bench session-size --save` records it
//! again), every directory of `segment-*.bin` files under `crates/viewer/tests/fixtures/`
//! (copy a replay's segments there from `GET /api/0/replays/{id}/segments/{index}`), and a
//! generated 25-minute dashboard session (`support/synthetic.rs`) that crosses page loads.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::{Path, PathBuf};

use sightline_protocol::v1::Node;
use sightline_protocol::{DecodedSegment, decode_segment};
use sightline_viewer::mirror::state::{DocumentState, SessionState};
use sightline_viewer::player::Player;
use sightline_viewer::timeline::Timeline;

/// What the user sees of the page: its tree and the state besides it.
#[derive(Debug, PartialEq)]
struct Page {
    tree: Option<Node>,
    document: DocumentState,
    session: SessionState,
}

fn page(player: &Player) -> Page {
    let mirror = player.mirror();
    Page {
        tree: mirror.to_tree(),
        document: mirror.state().clone(),
        session: mirror.session().clone(),
    }
}

fn load_dir(dir: &Path) -> Vec<DecodedSegment> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| decode_segment(&std::fs::read(path).unwrap()).unwrap())
        .collect()
}

/// Every recorded session available, by name.
fn recorded_sessions() -> Vec<(String, Vec<DecodedSegment>)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sessions = vec![(
        "demo-session".to_owned(),
        load_dir(&manifest.join("../../tests/fixtures/demo-session")),
    )];
    if let Ok(entries) = std::fs::read_dir(manifest.join("tests/fixtures")) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                sessions.push((name, load_dir(&path)));
            }
        }
    }
    sessions
}

/// The moments to compare: every event's time and the ms around it, and a regular grid.
fn moments(timeline: &Timeline, most: usize) -> Vec<u64> {
    let duration = timeline.duration();
    let mut times: Vec<u64> = timeline
        .events()
        .iter()
        .flat_map(|e| [e.offset.saturating_sub(1), e.offset, e.offset + 1])
        .chain((0..=duration).step_by(997))
        .filter(|t| *t <= duration)
        .collect();
    times.sort_unstable();
    times.dedup();
    if times.len() > most {
        let stride = times.len().div_ceil(most);
        times = times.into_iter().step_by(stride).collect();
    }
    times.push(duration);
    times.dedup();
    times
}

/// The page at each of `times` (ascending) while playing from the start at real speed, in
/// frames of at most 40 ms.
fn played(segments: &[DecodedSegment], times: &[u64]) -> Vec<Page> {
    let mut player = Player::new(Timeline::from_segments(segments));
    // As the player view does once the first segment arrived.
    player.refresh();
    player.play();
    let mut pages = Vec::new();
    for &t in times {
        while player.time() < t {
            let frame = (t - player.time()).min(40);
            player.advance(frame as f64);
        }
        assert_eq!(player.time(), t);
        pages.push(page(&player));
    }
    pages
}

/// A permutation of `0..n` that jumps back and forth.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (state >> 33) as usize % (i + 1);
        order.swap(i, j);
    }
    order
}

fn assert_seeks_match_playing(name: &str, segments: &[DecodedSegment], most: usize) {
    let timeline = Timeline::from_segments(segments);
    assert!(
        timeline.first_checkpoint().is_some(),
        "{name}: no full snapshot"
    );
    let times = moments(&timeline, most);
    let expected = played(segments, &times);

    // Seeks in random order, on one player (its checkpoints accumulate).
    let mut player = Player::new(Timeline::from_segments(segments));
    for i in shuffled(times.len(), 7) {
        player.seek(times[i]);
        assert!(
            page(&player) == expected[i],
            "{name}: seeking to {} ms shows another page than playing to it",
            times[i]
        );
    }
    // Backward from the end, each seek on a player that has seen nothing before it.
    let mut backward = Player::new(Timeline::from_segments(segments));
    for (i, &t) in times.iter().enumerate().rev() {
        backward.seek(t);
        assert!(
            page(&backward) == expected[i],
            "{name}: seeking back to {t} ms"
        );
        let mut fresh = Player::new(Timeline::from_segments(segments));
        if i % 17 == 0 {
            fresh.seek(t);
            assert!(
                page(&fresh) == expected[i],
                "{name}: a first seek to {t} ms"
            );
        }
    }
    // Streaming: the segments arrive last first while the user already seeks around.
    let mut streaming = Player::new(Timeline::new(timeline.origin()));
    let mut order: Vec<&DecodedSegment> = segments.iter().collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.header.index));
    for (n, segment) in order.iter().enumerate() {
        streaming.seek(times[(n * 31) % times.len()]);
        streaming.push_segment(segment);
    }
    for i in shuffled(times.len(), 11).into_iter().take(200) {
        streaming.seek(times[i]);
        assert!(
            page(&streaming) == expected[i],
            "{name}: after streaming, seeking to {} ms",
            times[i]
        );
    }
}

#[test]
fn recorded_sessions_seek_to_the_page_playing_shows() {
    let sessions = recorded_sessions();
    assert!(!sessions.is_empty());
    for (name, segments) in sessions {
        assert!(!segments.is_empty(), "{name}: no segments");
        assert_seeks_match_playing(&name, &segments, 1_500);
    }
}

#[test]
fn a_long_generated_session_seeks_to_the_page_playing_shows() {
    // 25 minutes: two page loads, feed items added and removed, inputs, scrolls.
    let segments = support::synthetic::segments(25 * 60_000, 42);
    assert_eq!(segments.len(), 25);
    assert_seeks_match_playing("synthetic", &segments, 250);
}

#[test]
fn a_lost_segment_leaves_a_gap_not_a_broken_page() {
    let mut segments = support::synthetic::segments(5 * 60_000, 3);
    let lost = segments.remove(2);
    let mut player = Player::new(Timeline::from_segments(&segments));
    player.record_gap(lost.header.index, "404");
    let gaps = player.timeline().gaps();
    assert_eq!(gaps.len(), 1);
    // On the timeline, the gap spans the lost minute: from the end of the segment before it to
    // the start of the one after.
    assert!((115_000..120_000).contains(&gaps[0].start), "{gaps:?}");
    assert_eq!(gaps[0].end, 180_000);
    // Every moment, in the gap too, shows a page; after the gap the page goes on changing.
    let mut pages = Vec::new();
    for t in (0..player.duration()).step_by(30_000) {
        player.seek(t);
        assert!(player.mirror().to_tree().is_some(), "no page at {t} ms");
        pages.push(page(&player));
    }
    assert_ne!(pages[pages.len() - 1], pages[pages.len() - 2]);
}

/// A flood like `tests/fixtures/pages/flood.html`: a thousand blocks added in one task, cut
/// across three segments that all hold events of that same millisecond, then the same cells
/// rewritten over and over (text nodes replaced), then the grid emptied.
fn flood_segments() -> Vec<DecodedSegment> {
    use sightline_protocol::v1::{
        AddedNode, Compression, Event, EventData, Mutation, RemovedNode, SegmentHeader,
    };
    let start = support::synthetic::START_MS;
    let page = Node::Document {
        id: 1,
        children: vec![Node::element(
            2,
            "html",
            vec![],
            vec![Node::element(
                3,
                "body",
                vec![],
                vec![Node::element(
                    4,
                    "div",
                    vec![("id".into(), "grid".into())],
                    vec![],
                )],
            )],
        )],
    };
    let mut next = 10u32;
    let mut id = || {
        next += 1;
        next
    };
    let mut cells = Vec::new();
    let mut adds = Vec::new();
    for i in 0..1_000 {
        let block = id();
        let mut spans = Vec::new();
        for j in 0..9 {
            let span = id();
            let text = id();
            cells.push((span, text));
            spans.push(Node::element(
                span,
                "span",
                vec![],
                vec![Node::text(text, format!("{i}:{j}"))],
            ));
        }
        adds.push(AddedNode {
            parent_id: 4,
            next_id: None,
            node: Node::element(block, "div", vec![("class".into(), "block".into())], spans),
        });
    }
    let mutation = |adds: Vec<AddedNode>, removes: Vec<RemovedNode>| {
        EventData::Mutation(Mutation {
            removes,
            adds,
            texts: vec![],
            attributes: vec![],
        })
    };
    let mut events: Vec<(u64, EventData)> = vec![(0, EventData::FullSnapshot { root: page })];
    // The flood at 500 ms, in batches of 100 blocks.
    for batch in adds.chunks(100) {
        events.push((500, mutation(batch.to_vec(), vec![])));
    }
    // Churn at 900 ms: 500 cells get a new text node, 20 times, in batches.
    for round in 0..20 {
        let mut removes = Vec::new();
        let mut adds = Vec::new();
        for (span, text) in cells.iter_mut().take(500) {
            removes.push(RemovedNode {
                parent_id: *span,
                id: *text,
            });
            *text = id();
            adds.push(AddedNode {
                parent_id: *span,
                next_id: None,
                node: Node::text(*text, format!("r{round}")),
            });
        }
        events.push((900, mutation(adds, removes)));
    }
    // Cut into segments of 4 events each: many share the flood's millisecond.
    events
        .chunks(4)
        .enumerate()
        .map(|(index, chunk)| {
            let mut previous = start;
            let body: Vec<Event> = chunk
                .iter()
                .map(|(offset, data)| {
                    let dt = (start + offset - previous) as u32;
                    previous = start + offset;
                    Event::new(dt, data.clone())
                })
                .collect();
            let header =
                SegmentHeader::new("f100d000f100d000f100d000f100d000", index as u32, 1, start)
                    .with_end(previous);
            let bytes =
                sightline_protocol::encode_segment(&header, &body, Compression::None).unwrap();
            decode_segment(&bytes).unwrap()
        })
        .collect()
}

#[test]
fn a_flood_cut_across_segments_at_one_moment_seeks_to_the_page_playing_shows() {
    assert_seeks_match_playing("flood", &flood_segments(), 200);
    // Streamed in order while the playhead stands between the flood and the churn.
    let segments = flood_segments();
    let expected = played(&segments, &[700]);
    let mut player = Player::new(Timeline::new(segments[0].header.start));
    player.push_segment(&segments[0]);
    player.seek(700);
    for segment in &segments[1..] {
        player.push_segment(segment);
    }
    assert!(page(&player) == expected[0], "streamed in order, at 700 ms");
}
