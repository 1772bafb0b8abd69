//! Seek time of the replay engine against the session's length, natively: generated dashboard
//! sessions of 10, 30 and 60 minutes (`tests/support/synthetic.rs`), each loaded segment by
//! segment as the player receives them, then sought to several positions — with the player's
//! checkpoints, and without them (every seek from the latest full snapshot) in the same run.
//! Also prints the time to the first frame, the load time and the memory the checkpoints hold.
//!
//! Run it with `cargo xtask bench seek` (a release build of this example).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::time::Instant;

use sightline_protocol::decode_segment;
use sightline_viewer::player::Player;
use sightline_viewer::timeline::Timeline;

/// Milliseconds since `start`.
fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1_000.0
}

/// Decodes and pushes every segment in order; returns the player, the time to the first frame
/// (first segment decoded, pushed and shown) and the whole load time.
fn load(encoded: &[Vec<u8>], checkpoints: bool) -> (Player, f64, f64) {
    let start = Instant::now();
    let first = decode_segment(&encoded[0]).unwrap();
    let mut player = Player::new(Timeline::new(first.header.start));
    if !checkpoints {
        player = player.without_checkpoints();
    }
    player.push_segment(&first);
    player.refresh();
    let first_frame = ms(start);
    for bytes in &encoded[1..] {
        player.push_segment(&decode_segment(bytes).unwrap());
    }
    (player, first_frame, ms(start))
}

/// Median time of seeking to `t`, alternately from the start and from the end.
fn seek_time(player: &mut Player, t: u64) -> f64 {
    let mut times: Vec<f64> = (0..7)
        .map(|round| {
            player.seek(if round % 2 == 0 { 0 } else { player.duration() });
            let start = Instant::now();
            player.seek(t);
            ms(start)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// p50, p95 and max of 100 seeks to pseudo-random positions, each from the previous one.
fn random_seeks(player: &mut Player) -> (f64, f64, f64) {
    let mut state = 99u64;
    let mut times: Vec<f64> = (0..100)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let t = (state >> 33) % player.duration().max(1);
            let start = Instant::now();
            player.seek(t);
            ms(start)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[49], times[94], times[99])
}

fn main() {
    println!("Replay engine seek, native (release), generated dashboard sessions");
    println!(
        "(page of ~2,500 nodes; ~7 events/s: pointer, cell ticks, feed, clicks, scrolls, inputs;"
    );
    println!(
        " a page load with a full snapshot every 20 min, or a single one; one deflated segment per minute)\n"
    );
    println!(
        "| session | events | path | first frame | load | seek 10% | seek 50% | seek 90% | seek end | 100 random p50 / p95 / max | checkpoints | checkpoint memory |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    // The last row: an hour on one page, a single full snapshot at its start.
    for (minutes, reload_minutes) in [(10u64, 20u64), (30, 20), (60, 20), (60, 60)] {
        let encoded = synthetic::encoded_segments_with_reloads(
            minutes * 60_000,
            minutes,
            reload_minutes * 60_000,
        );
        for checkpoints in [true, false] {
            let (mut player, first_frame, load_ms) = load(&encoded, checkpoints);
            let held = player.checkpoint_bytes();
            let duration = player.duration();
            let positions = [duration / 10, duration / 2, duration * 9 / 10, duration];
            let seeks: Vec<String> = positions
                .iter()
                .map(|&t| format!("{:.2} ms", seek_time(&mut player, t)))
                .collect();
            let (p50, p95, max) = random_seeks(&mut player);
            println!(
                "| {minutes} min, a load every {reload_minutes} min | {} | {} | {first_frame:.1} ms | {load_ms:.0} ms | {} | {p50:.2} / {p95:.2} / {max:.2} ms | {} | {:.1} MB |",
                player.timeline().events().len(),
                if checkpoints {
                    "checkpoints"
                } else {
                    "full snapshots only"
                },
                seeks.join(" | "),
                player.checkpoint_count(),
                held as f64 / 1e6,
            );
        }
    }
    println!(
        "\n`checkpoint memory`: estimated heap bytes of the mirror copies (nodes shared with the live mirror or"
    );
    println!("between copies counted once; see Player::checkpoint_bytes).");
}
