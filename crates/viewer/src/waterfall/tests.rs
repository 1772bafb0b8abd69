use super::*;

/// A span of `service` from `start` to `end` ms.
fn span(id: &str, parent: Option<&str>, service: &str, start: f64, end: f64) -> TraceSpan {
    TraceSpan {
        span_id: id.to_owned(),
        parent_span_id: parent.map(str::to_owned),
        service: service.to_owned(),
        description: format!("{id} of {service}"),
        start_ms: start,
        end_ms: end,
        ..TraceSpan::default()
    }
}

/// The browser's checkout through the gateway to billing, as the API sorts it (by start): the
/// gateway's cache lookup starts after billing's transaction but is the gateway's child; billing's
/// rates query takes 1.4 s of a 2 s trace and billing's transaction holds the error.
fn checkout() -> Trace {
    let mut billing = span("b1", Some("a3"), "billing", 1_030.0, 2_950.0);
    billing.error_ids = vec!["ee01".to_owned()];
    Trace {
        spans: vec![
            span("br", None, "browser", 1_000.0, 3_000.0),
            span("a1", Some("br"), "gateway", 1_010.0, 2_990.0),
            span("a2", Some("a1"), "gateway", 1_012.0, 1_020.0),
            span("a3", Some("a1"), "gateway", 1_022.0, 2_970.0),
            billing,
            span("a4", Some("a1"), "gateway", 1_027.0, 1_029.0),
            span("b2", Some("b1"), "billing", 1_050.0, 2_450.0),
        ],
        services: vec!["browser".into(), "gateway".into(), "billing".into()],
        ..Trace::default()
    }
}

fn ids(trace: &Trace, layout: &Waterfall) -> Vec<(String, usize)> {
    layout
        .rows
        .iter()
        .map(|row| (trace.spans[row.span].span_id.clone(), row.depth))
        .collect()
}

fn row<'a>(trace: &Trace, layout: &'a Waterfall, id: &str) -> &'a WaterfallRow {
    layout
        .rows
        .iter()
        .find(|row| trace.spans[row.span].span_id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[test]
fn children_follow_their_parent_by_start_whatever_the_start_order() {
    let trace = checkout();
    let layout = waterfall(&trace);
    let expected = [
        ("br", 0),
        ("a1", 1),
        ("a2", 2),
        ("a3", 2),
        ("b1", 3),
        ("b2", 4),
        ("a4", 2),
    ];
    assert_eq!(
        ids(&trace, &layout),
        expected
            .iter()
            .map(|(id, depth)| ((*id).to_owned(), *depth))
            .collect::<Vec<_>>()
    );
}

#[test]
fn orphans_and_cycles_are_shown_once_each() {
    let trace = Trace {
        spans: vec![
            span("x", Some("y"), "a", 5.0, 6.0),
            span("y", Some("x"), "a", 6.0, 7.0),
            span("lost", Some("nowhere"), "b", 1.0, 2.0),
            span("self", Some("self"), "b", 3.0, 4.0),
            span("root", None, "a", 0.0, 10.0),
        ],
        ..Trace::default()
    };
    let layout = waterfall(&trace);
    let shown = ids(&trace, &layout);
    assert_eq!(
        shown,
        vec![
            ("root".to_owned(), 0),
            ("lost".to_owned(), 0),
            ("self".to_owned(), 0),
            ("x".to_owned(), 0),
            ("y".to_owned(), 1),
        ]
    );
}

#[test]
fn a_deep_chain_is_laid_out_without_recursion() {
    let spans: Vec<TraceSpan> = (0..5_000)
        .map(|i| {
            let parent = (i > 0).then(|| format!("s{}", i - 1));
            span(
                &format!("s{i}"),
                parent.as_deref(),
                "a",
                f64::from(i),
                6_000.0,
            )
        })
        .collect();
    let trace = Trace {
        spans,
        ..Trace::default()
    };
    let layout = waterfall(&trace);
    assert_eq!(layout.rows.len(), 5_000);
    assert_eq!(layout.rows[4_999].depth, 4_999);
    assert_eq!(layout.rows[4_999].indent(), MAX_INDENT);
}

#[test]
fn bars_share_the_trace_time_axis() {
    let trace = checkout();
    let layout = waterfall(&trace);
    assert_eq!(layout.start_ms, 1_000.0);
    assert_eq!(layout.duration_ms, 2_000.0);
    let browser = row(&trace, &layout, "br");
    assert_eq!((browser.offset, browser.width), (0.0, 100.0));
    let query = row(&trace, &layout, "b2");
    assert_eq!((query.offset, query.width), (2.5, 70.0));
    // A span past the end or longer than the trace stays inside the axis.
    let odd = span("odd", None, "a", 2_900.0, 9_000.0);
    assert_eq!(bar(&odd, 1_000.0, 2_000.0), (95.0, 5.0));
    // A trace of zero length draws full bars.
    assert_eq!(bar(&odd, 2_900.0, 0.0), (0.0, 100.0));
}

#[test]
fn only_the_span_that_spent_the_time_is_slow() {
    let trace = checkout();
    let layout = waterfall(&trace);
    let slow: Vec<String> = layout
        .rows
        .iter()
        .filter(|row| row.slow)
        .map(|row| trace.spans[row.span].span_id.clone())
        .collect();
    // The rates query spent 1.4 s itself; billing's transaction 520 ms (26 %), the others
    // waited on their children.
    assert_eq!(slow, vec!["b2".to_owned()]);
    assert_eq!(row(&trace, &layout, "b1").self_ms, 520.0);
    assert_eq!(row(&trace, &layout, "a1").self_ms, 1_980.0 - 1_948.0 - 8.0);
}

#[test]
fn the_slow_rule() {
    assert!(is_slow(1_000.0, 100_000.0));
    assert!(!is_slow(999.0, 100_000.0));
    assert!(is_slow(600.0, 1_000.0));
    assert!(!is_slow(500.0, 1_000.0));
    // A short trace of one span is not slow.
    assert!(!is_slow(3.0, 3.0));
    assert!(is_slow(120.0, 150.0));
}

#[test]
fn self_time_counts_overlapping_children_once() {
    let parent = span("p", None, "a", 0.0, 100.0);
    let children = [
        span("c4", Some("p"), "a", -20.0, 5.0),
        span("c1", Some("p"), "a", 10.0, 40.0),
        span("c2", Some("p"), "a", 30.0, 50.0),
        span("c5", Some("p"), "a", 32.0, 35.0),
        span("c3", Some("p"), "a", 90.0, 150.0),
    ];
    let refs: Vec<&TraceSpan> = children.iter().collect();
    assert_eq!(self_time(&parent, &refs), 100.0 - 40.0 - 10.0 - 5.0);
}

#[test]
fn the_error_its_path_and_the_failing_service() {
    let mut trace = checkout();
    let layout = waterfall(&trace);
    let failed: Vec<&str> = layout
        .rows
        .iter()
        .filter(|row| row.error)
        .map(|row| trace.spans[row.span].span_id.as_str())
        .collect();
    assert_eq!(failed, vec!["b1"]);
    let path: Vec<&str> = layout
        .rows
        .iter()
        .filter(|row| row.error_path)
        .map(|row| trace.spans[row.span].span_id.as_str())
        .collect();
    assert_eq!(path, vec!["br", "a1", "a3", "b1"]);
    // Without the API's answer, the deepest failing span's service.
    assert_eq!(failing_service(&trace, &layout).as_deref(), Some("billing"));
    assert_eq!(first_selected(&trace, &layout).as_deref(), Some("b1"));
    trace.failing_service = Some("payments".into());
    assert_eq!(
        failing_service(&trace, &layout).as_deref(),
        Some("payments")
    );
    let healthy = Trace {
        spans: vec![span("only", None, "a", 0.0, 1.0)],
        ..Trace::default()
    };
    let layout = waterfall(&healthy);
    assert_eq!(failing_service(&healthy, &layout), None);
    assert_eq!(first_selected(&healthy, &layout).as_deref(), Some("only"));
}

#[test]
fn each_service_has_its_colour() {
    let mut trace = checkout();
    trace.spans.push(span("z", None, "auth", 0.0, 1.0));
    let layout = waterfall(&trace);
    let names: Vec<&str> = layout.services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["browser", "gateway", "billing", "auth"]);
    assert_eq!(row(&trace, &layout, "a2").colour, SERVICE_COLOURS[1]);
    assert_eq!(row(&trace, &layout, "b2").colour, SERVICE_COLOURS[2]);
    assert_eq!(row(&trace, &layout, "z").colour, SERVICE_COLOURS[3]);
    let many = Trace {
        services: (0..10).map(|i| format!("s{i}")).collect(),
        ..Trace::default()
    };
    assert_eq!(service_colours(&many)[9].1, SERVICE_COLOURS[1]);
}

#[test]
fn the_replay_opens_at_the_browser_request() {
    let mut trace = checkout();
    trace.spans[0].replay_id = Some("r1".into());
    let start = request_start(&trace, "r1");
    assert_eq!(start, Some(1_000.0));
    assert_eq!(request_start(&trace, "r2"), None);
    assert_eq!(replay_link("r1", start, Some(400.0)), "/replays/r1?t=600");
    // A request seen before the replay's first segment opens the replay at its start.
    assert_eq!(replay_link("r1", start, Some(1_500.0)), "/replays/r1?t=0");
    assert_eq!(replay_link("r1", start, None), "/replays/r1");
    assert_eq!(replay_link("r/1", None, Some(400.0)), "/replays/r%2F1");
}

#[test]
fn durations_and_ticks_read_well() {
    assert_eq!(format_duration(0.4), "0.4 ms");
    assert_eq!(format_duration(3.0), "3 ms");
    assert_eq!(format_duration(12.4), "12 ms");
    assert_eq!(format_duration(1_250.0), "1.25 s");
    assert_eq!(format_duration(125_000.0), "2 min 5 s");
    assert_eq!(format_duration(f64::NAN), "0 ms");
    assert_eq!(format_offset(1_012.0, 1_000.0), "+12 ms");
    let ticks = axis_ticks(2_000.0);
    assert_eq!(ticks.len(), 5);
    assert_eq!(ticks[2], (50.0, "1.00 s".to_owned()));
    assert_eq!(ticks[4], (100.0, "2.00 s".to_owned()));
}
