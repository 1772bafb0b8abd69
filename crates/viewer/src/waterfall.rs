//! The trace page's layout, in plain Rust: spans ordered as a tree (each span followed by its
//! children, by start), their depth, their bars on one time axis shared by the whole trace, the
//! slow ones, the ones an error happened in and the path down to them, one colour per service,
//! and where the replay that recorded the trace should open.
//!
//! **Slow spans.** A span is slow when the time it spent itself — its duration minus the time
//! covered by its child spans — is at least [`SLOW_SPAN_MS`] (1 s), or is more than
//! [`SLOW_SHARE`] (half) of the whole trace's duration and at least [`SLOW_SHARE_FLOOR_MS`]
//! (100 ms). Counting a span's own time, not its duration, marks where the time went: the
//! browser request and the transactions waiting on a slow database query span almost the whole
//! trace too, but only the query is marked.

use std::collections::HashMap;

use crate::api::encode_segment_path;
use crate::trace::{Trace, TraceSpan};

/// Own time from which a span is slow whatever the trace's duration, ms.
pub const SLOW_SPAN_MS: f64 = 1_000.0;
/// Share of the trace's duration above which a span's own time makes it slow.
pub const SLOW_SHARE: f64 = 0.5;
/// Own time below which a span is never slow, ms (a 3 ms trace of one span is not slow).
pub const SLOW_SHARE_FLOOR_MS: f64 = 100.0;
/// Deepest indentation drawn; deeper spans are drawn at this depth (their depth is still told).
pub const MAX_INDENT: usize = 24;
/// Colours of the services, in the order the trace reached them (then round again).
pub const SERVICE_COLOURS: [&str; 8] = [
    "#4c3fd1", "#0f8a8a", "#c2571a", "#2f8f5b", "#a83279", "#3d6fb6", "#8a6d1f", "#6b5b95",
];

/// One row of the waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallRow {
    /// The span's index in [`Trace::spans`].
    pub span: usize,
    /// Ancestors of the span in the trace (0 for a root).
    pub depth: usize,
    /// Where its bar starts, percent of the trace's duration.
    pub offset: f64,
    /// How long its bar is, percent of the trace's duration.
    pub width: f64,
    /// Time it spent itself (not covered by its children), ms.
    pub self_ms: f64,
    /// Its own time makes it slow (see the module's documentation).
    pub slow: bool,
    /// An error event happened in it.
    pub error: bool,
    /// An error event happened in it or in a span below it.
    pub error_path: bool,
    /// Its service's colour (see [`SERVICE_COLOURS`]).
    pub colour: &'static str,
}

impl WaterfallRow {
    /// The indentation drawn, capped at [`MAX_INDENT`].
    pub fn indent(&self) -> usize {
        self.depth.min(MAX_INDENT)
    }
}

/// The whole waterfall.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waterfall {
    /// Every span once, parents before their children.
    pub rows: Vec<WaterfallRow>,
    /// The trace's first start, ms since the epoch.
    pub start_ms: f64,
    /// From the first start to the last end, ms.
    pub duration_ms: f64,
    /// Each service with its colour, in the order the trace reached them.
    pub services: Vec<(String, &'static str)>,
}

/// Lays the trace's spans out (see the module's documentation).
pub fn waterfall(trace: &Trace) -> Waterfall {
    let spans = &trace.spans;
    let order = tree_order(spans);
    let (start_ms, end_ms) = bounds(spans);
    let duration_ms = (end_ms - start_ms).max(0.0);
    let services = service_colours(trace);
    let colour_of = |service: &str| {
        services
            .iter()
            .find(|(name, _)| name == service)
            .map_or(SERVICE_COLOURS[0], |(_, colour)| *colour)
    };
    let children = children_of(spans);
    let mut rows: Vec<WaterfallRow> = order
        .iter()
        .map(|&(span, depth)| {
            let s = &spans[span];
            let kids: Vec<&TraceSpan> = children[span].iter().map(|&c| &spans[c]).collect();
            let self_ms = self_time(s, &kids);
            let (offset, width) = bar(s, start_ms, duration_ms);
            WaterfallRow {
                span,
                depth,
                offset,
                width,
                self_ms,
                slow: is_slow(self_ms, duration_ms),
                error: s.failed(),
                error_path: false,
                colour: colour_of(&s.service),
            }
        })
        .collect();
    mark_error_paths(&mut rows);
    Waterfall {
        rows,
        start_ms,
        duration_ms,
        services,
    }
}

/// Whether a span that spent `self_ms` itself in a trace of `trace_ms` is slow.
pub fn is_slow(self_ms: f64, trace_ms: f64) -> bool {
    self_ms >= SLOW_SPAN_MS || (self_ms >= SLOW_SHARE_FLOOR_MS && self_ms > SLOW_SHARE * trace_ms)
}

/// The spans in tree order with their depth: roots (no parent, or a parent not in the trace)
/// by start, each followed by its children by start. Every span comes once, also when the
/// parent links make a cycle (its first span met is taken as a root).
pub fn tree_order(spans: &[TraceSpan]) -> Vec<(usize, usize)> {
    let children = children_of(spans);
    let index = index_of(spans);
    let mut roots: Vec<usize> = (0..spans.len())
        .filter(|&at| parent_index(spans, &index, at).is_none())
        .collect();
    sort_by_start(spans, &mut roots);
    let mut seen = vec![false; spans.len()];
    let mut out = Vec::with_capacity(spans.len());
    let visit = |root: usize, out: &mut Vec<(usize, usize)>, seen: &mut Vec<bool>| {
        let mut stack = vec![(root, 0_usize)];
        while let Some((at, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[at], true) {
                continue;
            }
            out.push((at, depth));
            stack.extend(children[at].iter().rev().map(|&kid| (kid, depth + 1)));
        }
    };
    for root in roots {
        visit(root, &mut out, &mut seen);
    }
    // Spans only reachable through a cycle of parent links.
    for at in 0..spans.len() {
        if !seen[at] {
            visit(at, &mut out, &mut seen);
        }
    }
    out
}

/// The earliest start and the latest end of the spans, ms since the epoch (0, 0 for none).
pub fn bounds(spans: &[TraceSpan]) -> (f64, f64) {
    let start = spans
        .iter()
        .map(|s| s.start_ms)
        .fold(f64::INFINITY, f64::min);
    let end = spans
        .iter()
        .map(|s| s.start_ms + s.duration_ms())
        .fold(f64::NEG_INFINITY, f64::max);
    if start.is_finite() && end.is_finite() {
        (start, end.max(start))
    } else {
        (0.0, 0.0)
    }
}

/// A span's bar as (offset, width) in percent of the trace (`trace_ms` from `start_ms`).
pub fn bar(span: &TraceSpan, start_ms: f64, trace_ms: f64) -> (f64, f64) {
    if trace_ms <= 0.0 {
        return (0.0, 100.0);
    }
    let offset = ((span.start_ms - start_ms) * 100.0 / trace_ms).clamp(0.0, 100.0);
    let width = (span.duration_ms() * 100.0 / trace_ms).clamp(0.0, 100.0 - offset);
    (offset, width)
}

/// The time `span` spent itself: its duration minus the union of its children's times
/// (clipped to the span). `children` come by start, as [`tree_order`] orders them.
pub fn self_time(span: &TraceSpan, children: &[&TraceSpan]) -> f64 {
    let (start, end) = (span.start_ms, span.start_ms + span.duration_ms());
    let mut busy = 0.0;
    let mut reach = start;
    for child in children {
        let from = child.start_ms.max(reach);
        let to = (child.start_ms + child.duration_ms()).min(end);
        if to > from {
            busy += to - from;
            reach = to;
        }
    }
    (span.duration_ms() - busy).max(0.0)
}

/// Each service with its colour: the API's order, then any other service the spans name.
pub fn service_colours(trace: &Trace) -> Vec<(String, &'static str)> {
    let mut names: Vec<&str> = Vec::new();
    let named = trace
        .services
        .iter()
        .map(String::as_str)
        .chain(trace.spans.iter().map(|s| s.service.as_str()));
    for name in named {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(at, name)| (name.to_owned(), SERVICE_COLOURS[at % SERVICE_COLOURS.len()]))
        .collect()
}

/// The service that failed: the API's, else the service of the deepest span an error event
/// happened in.
pub fn failing_service(trace: &Trace, layout: &Waterfall) -> Option<String> {
    trace
        .failing_service
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            layout
                .rows
                .iter()
                .filter(|row| row.error)
                .max_by_key(|row| row.depth)
                .map(|row| trace.spans[row.span].service.clone())
        })
}

/// The span the page opens on: the deepest one an error happened in, else the first.
pub fn first_selected(trace: &Trace, layout: &Waterfall) -> Option<String> {
    layout
        .rows
        .iter()
        .filter(|row| row.error)
        .max_by_key(|row| row.depth)
        .or(layout.rows.first())
        .map(|row| trace.spans[row.span].span_id.clone())
}

/// When the trace's first browser request recorded by `replay_id` started, ms since the
/// epoch; `None` when that replay recorded none of the trace's spans.
pub fn request_start(trace: &Trace, replay_id: &str) -> Option<f64> {
    let start = trace
        .spans
        .iter()
        .filter(|s| s.replay_id.as_deref() == Some(replay_id))
        .map(|s| s.start_ms)
        .fold(f64::INFINITY, f64::min);
    start.is_finite().then_some(start)
}

/// The player's address at the trace's browser request: `/replays/{id}?t={ms from the
/// replay's start}`, or the replay's start when either time is unknown.
pub fn replay_link(
    replay_id: &str,
    request_start_ms: Option<f64>,
    replay_start_ms: Option<f64>,
) -> String {
    let base = format!("/replays/{}", encode_segment_path(replay_id));
    match (request_start_ms, replay_start_ms) {
        (Some(request), Some(replay)) if replay > 0.0 => {
            format!("{base}?t={}", (request - replay).max(0.0).round() as u64)
        }
        _ => base,
    }
}

/// Labels of the time axis: five ticks from 0 to the trace's duration, as (percent, label).
pub fn axis_ticks(trace_ms: f64) -> Vec<(f64, String)> {
    (0..=4)
        .map(|i| {
            let share = f64::from(i) / 4.0;
            (share * 100.0, format_duration(share * trace_ms.max(0.0)))
        })
        .collect()
}

/// A duration for people: `0.4 ms`, `12 ms`, `1.25 s`, `2 min 5 s`.
pub fn format_duration(ms: f64) -> String {
    let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
    if ms < 10.0 {
        let text = format!("{ms:.1}");
        format!("{} ms", text.trim_end_matches(".0"))
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else {
        let seconds = (ms / 1_000.0).round() as u64;
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

/// A moment of the trace as `+12 ms` from its start.
pub fn format_offset(ms: f64, start_ms: f64) -> String {
    format!("+{}", format_duration(ms - start_ms))
}

fn index_of(spans: &[TraceSpan]) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(spans.len());
    for (at, span) in spans.iter().enumerate() {
        index.entry(span.span_id.as_str()).or_insert(at);
    }
    index
}

fn parent_index(spans: &[TraceSpan], index: &HashMap<&str, usize>, at: usize) -> Option<usize> {
    let parent = spans[at].parent_span_id.as_deref()?;
    index.get(parent).copied().filter(|&p| p != at)
}

/// Each span's children (by the span's index), by start.
fn children_of(spans: &[TraceSpan]) -> Vec<Vec<usize>> {
    let index = index_of(spans);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    for at in 0..spans.len() {
        if let Some(parent) = parent_index(spans, &index, at) {
            children[parent].push(at);
        }
    }
    for kids in &mut children {
        sort_by_start(spans, kids);
    }
    children
}

fn sort_by_start(spans: &[TraceSpan], list: &mut [usize]) {
    list.sort_by(|&a, &b| {
        spans[a]
            .start_ms
            .total_cmp(&spans[b].start_ms)
            .then(a.cmp(&b))
    });
}

/// Marks the rows on the way down to an error: the failed rows and every ancestor of one.
fn mark_error_paths(rows: &mut [WaterfallRow]) {
    // The ancestors of the current row, as row indexes (tree order lists a row's descendants
    // right after it, deeper).
    let mut ancestors: Vec<usize> = Vec::new();
    for at in 0..rows.len() {
        while ancestors
            .last()
            .is_some_and(|&a| rows[a].depth >= rows[at].depth)
        {
            ancestors.pop();
        }
        if rows[at].error {
            rows[at].error_path = true;
            // Stop at the first ancestor already marked: those above it are too.
            for &a in ancestors.iter().rev() {
                if std::mem::replace(&mut rows[a].error_path, true) {
                    break;
                }
            }
        }
        ancestors.push(at);
    }
}

#[cfg(test)]
mod tests;
