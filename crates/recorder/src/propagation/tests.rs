use super::*;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const SPAN: &str = "b7ad6b7169203331";
const REPLAY: &str = "00112233445566778899aabbccddeeff";

fn propagation() -> Propagation {
    Propagation::new(TRACE, REPLAY, "shop@1.4.2 beta", "production", "key1")
}

fn new_span() -> String {
    SPAN.to_owned()
}

#[test]
fn a_plain_request_gets_all_three_headers_with_one_trace_and_a_new_span() {
    let request = propagation().plan(&PageHeaders::default(), true, new_span);
    assert_eq!(
        (request.trace_id.as_str(), request.span_id.as_str()),
        (TRACE, SPAN)
    );
    assert_eq!(
        request.sentry_trace.as_deref(),
        Some("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1")
    );
    assert_eq!(
        request.traceparent.as_deref(),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    );
    assert_eq!(
        request.baggage.as_deref(),
        Some(
            "sentry-trace_id=0af7651916cd43dd8448eb211c80319c,\
             sentry-replay_id=00112233445566778899aabbccddeeff,sentry-release=shop%401.4.2%20beta,\
             sentry-environment=production,sentry-public_key=key1"
        )
    );
}

#[test]
fn requests_to_other_targets_get_nothing_and_record_no_ids() {
    let mut called = false;
    let request = propagation().plan(&PageHeaders::default(), false, || {
        called = true;
        new_span()
    });
    assert_eq!(request, RequestTrace::default());
    assert!(!called, "no span is made for an untraced request");
}

#[test]
fn a_page_set_sentry_trace_is_kept_and_its_ids_recorded() {
    let page = PageHeaders {
        sentry_trace: Some("1234567890ABCDEF1234567890abcdef-1111222233334444-0"),
        traceparent: None,
        baggage: Some("vendor=1"),
    };
    for propagate in [true, false] {
        let request = propagation().plan(&page, propagate, new_span);
        assert_eq!(request.trace_id, "1234567890abcdef1234567890abcdef");
        assert_eq!(request.span_id, "1111222233334444");
        assert_eq!(
            (&request.sentry_trace, &request.traceparent),
            (&None, &None)
        );
        // Our baggage, in the page's trace, only where headers may be added.
        let baggage = request.baggage.unwrap_or_default();
        assert_eq!(
            baggage
                .starts_with("sentry-trace_id=1234567890abcdef1234567890abcdef,sentry-replay_id="),
            propagate,
            "{baggage}"
        );
    }
    let with_sentry_baggage = PageHeaders {
        baggage: Some("sentry-trace_id=1234567890abcdef1234567890abcdef"),
        ..page
    };
    assert_eq!(
        propagation()
            .plan(&with_sentry_baggage, true, new_span)
            .baggage,
        None
    );
    let garbled = PageHeaders {
        sentry_trace: Some("not-a-trace"),
        ..PageHeaders::default()
    };
    assert_eq!(
        propagation().plan(&garbled, true, new_span),
        RequestTrace::default()
    );
}

#[test]
fn a_page_set_traceparent_is_kept_and_sentry_headers_follow_its_ids() {
    let page = PageHeaders {
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
        ..PageHeaders::default()
    };
    let request = propagation().plan(&page, true, new_span);
    assert_eq!(request.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(request.span_id, "00f067aa0ba902b7");
    assert_eq!(
        request.sentry_trace.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0")
    );
    assert_eq!(request.traceparent, None);
    assert!(
        request
            .baggage
            .is_some_and(|b| b.starts_with("sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736,"))
    );
    let invalid = PageHeaders {
        traceparent: Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ..PageHeaders::default()
    };
    let request = propagation().plan(&invalid, true, new_span);
    assert_eq!(
        (request.trace_id.as_str(), request.span_id.as_str()),
        (TRACE, SPAN)
    );
    assert_eq!(
        request.traceparent, None,
        "the page's header is not doubled"
    );
    assert!(request.sentry_trace.is_some());
}

#[test]
fn baggage_is_appended_to_a_page_baggage_without_sentry_entries() {
    let ours = propagation().baggage(TRACE);
    let page = |baggage| PageHeaders {
        baggage: Some(baggage),
        ..PageHeaders::default()
    };
    let request = propagation().plan(&page("userId=alice,isProduction=false"), true, new_span);
    assert_eq!(request.baggage.as_deref(), Some(ours.as_str()));
    let request = propagation().plan(&page("other=1, sentry-trace_id=abc"), true, new_span);
    assert_eq!(
        request.baggage, None,
        "a Sentry SDK on the page owns the baggage"
    );
    assert!(request.sentry_trace.is_some());
    let huge = format!("big={}", "x".repeat(MAX_BAGGAGE_BYTES - 10));
    assert_eq!(
        propagation().plan(&page(&huge), true, new_span).baggage,
        None
    );
    assert_eq!(
        baggage_to_append(Some("  "), "sentry-a=1").as_deref(),
        Some("sentry-a=1")
    );
}

#[test]
fn baggage_values_are_percent_encoded_and_empty_ones_left_out() {
    assert_eq!(percent_encode("shop@1.4.2"), "shop%401.4.2");
    assert_eq!(percent_encode("a,b;c=d é"), "a%2Cb%3Bc%3Dd%20%C3%A9");
    assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
    let propagation = Propagation::new(TRACE, REPLAY, "", "staging", "k");
    assert_eq!(
        propagation.baggage(TRACE),
        format!(
            "sentry-trace_id={TRACE},sentry-replay_id={REPLAY},sentry-environment=staging,sentry-public_key=k"
        )
    );
    assert!(has_sentry_entries("a=1, sentry-x=2"));
    assert!(!has_sentry_entries("a=sentry-x"));
}

#[test]
fn span_ids_are_16_hex_and_never_zero() {
    assert_eq!(span_id([0xab; 8]), "abababababababab");
    assert_eq!(span_id([0; 8]), "0000000000000001");
}

#[test]
fn trace_headers_parse_strictly() {
    assert_eq!(
        parse_sentry_trace(&format!("{TRACE}-{SPAN}")),
        Some((TRACE.to_owned(), SPAN.to_owned(), true))
    );
    assert_eq!(parse_sentry_trace(&format!("{TRACE}-{SPAN}-2")), None);
    assert_eq!(parse_sentry_trace(&format!("{TRACE}-{SPAN}-1-x")), None);
    assert_eq!(parse_sentry_trace(&format!("{TRACE}x-{SPAN}")), None);
    assert_eq!(
        parse_traceparent(&format!("00-{TRACE}-{SPAN}-01")),
        Some((TRACE.to_owned(), SPAN.to_owned(), true))
    );
    assert_eq!(parse_traceparent(&format!("ff-{TRACE}-{SPAN}-01")), None);
    assert_eq!(
        parse_traceparent(&format!("00-{TRACE}-0000000000000000-01")),
        None
    );
    assert_eq!(
        parse_traceparent(&format!("00-{TRACE}-{SPAN}-01-extra")),
        None
    );
    assert!(parse_traceparent(&format!("01-{TRACE}-{SPAN}-01-extra")).is_some());
}
