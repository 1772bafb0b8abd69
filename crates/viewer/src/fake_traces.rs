//! The trace API of the fake server (see [`crate::fake_server`]) for the trace page's browser
//! tests: the fixture replay's failing checkout ([`TRACE`]) followed from the browser through the
//! gateway to billing, where the error happened, with the services' logs; and billing's error
//! event, which no replay recorded.

use wasm_bindgen::JsValue;

use crate::fake_server::{FAILED_SPAN, FakeServer, REPLAY, TRACE, install};

/// The gateway's transaction.
pub const GATEWAY_TX: &str = "a1a1a1a1a1a1a1a1";
/// The gateway's database query.
pub const GATEWAY_DB: &str = "a2a2a2a2a2a2a2a2";
/// The gateway's call to billing (`http.client`).
pub const GATEWAY_CALL: &str = "a3a3a3a3a3a3a3a3";
/// The gateway's cache lookup, started while billing was already working.
pub const GATEWAY_CACHE: &str = "a4a4a4a4a4a4a4a4";
/// Billing's transaction, where the error happened.
pub const BILLING_TX: &str = "b1b1b1b1b1b1b1b1";
/// Billing's slow query (1.4 s of a 2 s trace).
pub const BILLING_QUERY: &str = "b2b2b2b2b2b2b2b2";
/// Billing's error event.
pub const BILLING_EVENT: &str = "bb000000000000000000000000000001";
/// Its issue.
pub const BILLING_ISSUE: &str = "21";
/// The trace's browser request starts this long after the replay (ms).
pub const REQUEST_AT: u64 = 5_850;

/// Installs the fake server with the trace API on top of the replay fixtures.
pub fn install_traces() -> Result<FakeServer, JsValue> {
    let server = install()?;
    let wrap = js_sys::Function::new_with_args(
        "trace, replay, browserSpan, billingEvent",
        r#"
        const previous = window.fetch;
        // The fixture replay starts at 1000 ms since the epoch.
        const at = (ms) => 1000 + ms;
        const span = (span_id, parent_span_id, service, op, description, status, kind, start, end, extra) =>
            Object.assign({ span_id, parent_span_id, trace_id: trace, service, op, description, status, kind,
                            start: new Date(at(start)).toISOString(), end: new Date(at(end)).toISOString(),
                            start_ms: at(start), end_ms: at(end), duration_ms: end - start,
                            transaction: null, event_id: null, replay_id: null, error_ids: [], data: {} },
                          extra || {});
        // By start, as the API sorts them: the cache lookup starts before billing's query.
        const spans = [
            span(browserSpan, null, "browser", "http.client", "POST https://shop.example/api/checkout",
                 "internal_error", "browser", 5850, 7850,
                 { replay_id: replay, data: { "http.response.status_code": 500 } }),
            span("a1a1a1a1a1a1a1a1", browserSpan, "gateway", "http.server", "POST /api/checkout",
                 "internal_error", "transaction", 5860, 7840,
                 { transaction: "POST /api/checkout", event_id: "7a000000000000000000000000000001" }),
            span("a2a2a2a2a2a2a2a2", "a1a1a1a1a1a1a1a1", "gateway", "db.query",
                 "SELECT * FROM carts WHERE id = ?", "ok", "span", 5862, 5870,
                 { data: { "db.system": "sqlite" } }),
            span("a3a3a3a3a3a3a3a3", "a1a1a1a1a1a1a1a1", "gateway", "http.client",
                 "POST http://billing/charge", "internal_error", "span", 5872, 7820),
            span("a4a4a4a4a4a4a4a4", "a1a1a1a1a1a1a1a1", "gateway", "cache.get", "cart:42", "ok",
                 "span", 5877, 5879),
            span("b1b1b1b1b1b1b1b1", "a3a3a3a3a3a3a3a3", "billing", "http.server", "POST /charge",
                 "internal_error", "transaction", 5880, 7800,
                 { transaction: "POST /charge", error_ids: [billingEvent] }),
            span("b2b2b2b2b2b2b2b2", "b1b1b1b1b1b1b1b1", "billing", "db.query",
                 "SELECT rate FROM tax_rates", "ok", "span", 5900, 7300,
                 { data: { "db.system": "postgresql", "db.rows": 1 } }),
        ];
        const log = (ms, level, message, service, span_id) => ({
            timestamp: new Date(at(ms)).toISOString(), timestamp_ms: at(ms), level, message,
            service, span_id, attributes: { "sentry.origin": "auto" },
        });
        const traceBody = {
            trace_id: trace, spans,
            events: [{ id: billingEvent, issue_id: "21", title: "CardDeclined: card declined",
                       level: "error", service: "billing", span_id: "b1b1b1b1b1b1b1b1",
                       parent_span_id: "a3a3a3a3a3a3a3a3", timestamp: new Date(at(7790)).toISOString(),
                       release: "billing@2.0.1", environment: "production", replay_id: null }],
            logs: [
                log(5874, "info", "calling billing", "gateway", "a3a3a3a3a3a3a3a3"),
                log(7301, "warn", "tax rates query took 1.4 s", "billing", "b2b2b2b2b2b2b2b2"),
                log(7790, "error", "charge failed: card declined", "billing", "b1b1b1b1b1b1b1b1"),
            ],
            replay_ids: [replay], services: ["browser", "gateway", "billing"],
            failing_service: "billing",
        };
        const eventBody = {
            id: billingEvent, issue_id: "21", replay_id: null, replay_offset_ms: null,
            title: "CardDeclined: card declined", level: "error", release: "billing@2.0.1",
            environment: "production", server_name: "billing-1", transaction: "POST /charge",
            trace_id: trace, span_id: "b1b1b1b1b1b1b1b1", parent_span_id: "a3a3a3a3a3a3a3a3",
            timestamp: new Date(at(7790)).toISOString(), tags: [{ key: "service", value: "billing" }],
        };
        window.fetch = async (request) => {
            const refusal = window.__slRefuse(request);
            if (refusal) {
                return refusal;
            }
            const path = new URL(request.url, location.href).pathname;
            if (path === `/api/0/traces/${trace}/`) {
                return new Response(JSON.stringify(traceBody));
            }
            if (path === `/api/0/events/${billingEvent}/`) {
                return new Response(JSON.stringify(eventBody));
            }
            return previous(request);
        };
        "#,
    );
    let args = js_sys::Array::new();
    for value in [TRACE, REPLAY, FAILED_SPAN, BILLING_EVENT] {
        args.push(&JsValue::from(value));
    }
    wrap.apply(&JsValue::NULL, &args)?;
    Ok(server)
}
