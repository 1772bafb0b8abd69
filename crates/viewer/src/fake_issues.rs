//! The issue API of the fake server (see [`crate::fake_server`]) for the issue pages' browser
//! tests: two issues, the search answering 400 for an unknown key, the issue detail with two
//! events, and `PUT` changing the issue. Every request is logged for the tests to read.

use wasm_bindgen::JsValue;

use crate::fake_server::{FakeServer, install};

/// The unresolved, regressed issue with an owner and a suspect commit.
pub const ISSUE: &str = "12";
/// Its suspect commit.
pub const SUSPECT: &str = "abc1234def5678";
/// Its newest event.
pub const LATEST_EVENT: &str = "ee000000000000000000000000000002";
/// The event before it.
pub const OLDER_EVENT: &str = "ee000000000000000000000000000001";

/// One request the fake server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// `GET`, `PUT`, …
    pub method: String,
    /// Path and query string.
    pub url: String,
    /// The body, if any.
    pub body: String,
}

/// Installs the fake server with the issue API on top of the replay fixtures.
pub fn install_issues() -> Result<FakeServer, JsValue> {
    let server = install()?;
    let wrap = js_sys::Function::new_no_args(
        r##"
        const previous = window.fetch;
        window.__slRequests = [];
        const hours = Array.from({ length: 24 }, (_, i) => (i >= 22 ? 10 * (i - 20) : 0));
        const issue = {
            id: "12", project: "1", title: "ZeroDivisionError: division by zero",
            culprit: "shop.checkout in total", type: "ZeroDivisionError", value: "division by zero",
            level: "error", status: "unresolved", regressed: true,
            first_seen: "2026-11-26T06:00:00.000Z", last_seen: "2026-11-26T07:00:00.000Z",
            first_seen_ms: 1795500000000, last_seen_ms: 1795503600000,
            first_release: "shop@1.4.2", last_release: "shop@1.4.3", count: 57, user_count: 9,
            events_1h: 40, counts_24h: hours, environments: ["production"],
            owner: "#payments", owner_rule: "path:shop/checkout.py #payments",
            assigned_to: "#payments", replay_count: 1,
            suspect_commits: [{ id: "abc1234def5678", message: "Compute totals per item\n\nMore.",
                author_name: "Ada Lovelace", author_email: "ada@example.com",
                timestamp: "2026-11-25T10:00:00Z", release: "shop@1.4.2", repository: "shop",
                path: "shop/checkout.py", score: 0.9,
                frame: { filename: "shop/checkout.py", module: "shop.checkout",
                         function: "total", lineno: 42 } }],
        };
        const other = Object.assign({}, issue, {
            id: "13", title: "KeyError: 'sku'", culprit: "shop.cart in add", status: "resolved",
            regressed: false, count: 3, user_count: 1, suspect_commits: [], owner: null,
            assigned_to: null, counts_24h: hours.map(() => 0),
        });
        const frames = [
            { filename: "flask/app.py", function: "dispatch_request", module: "flask.app",
              lineno: 880, in_app: false, context_line: "return handler()" },
            { filename: "shop/checkout.py", function: "total", module: "shop.checkout",
              lineno: 42, in_app: true, pre_context: ["def total(amount, count):"],
              context_line: "    return amount / count", post_context: [""],
              vars: { amount: 10, count: 0 } },
        ];
        const event = (id, previous, next) => ({
            id, issue_id: "12", title: issue.title, level: "error", release: "shop@1.4.3",
            environment: "production", timestamp: "2026-11-26T07:00:00.000Z",
            replay_id: "0123456789abcdef0123456789abcdef", replay_offset_ms: 6000,
            previous_event_id: previous, next_event_id: next,
            exception: { values: [{ type: "ZeroDivisionError", value: "division by zero",
                                     stacktrace: { frames } }] },
            request: { method: "POST", url: "http://shop/api/checkout", headers: [["Accept", "*/*"]] },
            user: { id: "u1", email: "ada@example.com" },
            breadcrumbs: [{ timestamp: 1795503590, category: "http", message: "POST /api/checkout" }],
            tags: [{ key: "service", value: "checkout-api" }],
        });
        const latest = event("ee000000000000000000000000000002", "ee000000000000000000000000000001", null);
        const older = event("ee000000000000000000000000000001", null, "ee000000000000000000000000000002");
        const activity = [{ kind: "created", release: "shop@1.4.2", at: "2026-11-26T06:00:00Z", detail: null }];
        const detail = () => Object.assign({}, issue, {
            tags: [{ key: "release", total: 57, values: [{ value: "shop@1.4.3", count: 40 },
                                                         { value: "shop@1.4.2", count: 17 }] }],
            replay_ids: ["0123456789abcdef0123456789abcdef"],
            first_event_id: older.id, latest_event_id: latest.id, latest_event: latest,
            activity, counts_14d: [], latest_trace_id: "feedfacefeedfacefeedfacefeedface",
        });
        const reply = (value, status) =>
            new Response(JSON.stringify(value), { status: status || 200 });
        window.fetch = async (request) => {
            const url = new URL(request.url, location.href);
            const body = request.method === "GET" ? "" : await request.clone().text();
            window.__slRequests.push({ method: request.method, url: url.pathname + url.search, body });
            const refusal = window.__slRefuse(request);
            if (refusal) {
                return refusal;
            }
            const path = url.pathname;
            if (path === "/api/0/issues/") {
                const query = url.searchParams.has("query") ? url.searchParams.get("query") : "is:unresolved";
                const bad = query.split(/\s+/).find((term) => term.startsWith("bogus:"));
                if (bad) {
                    return reply({ detail: `unknown search key "bogus" in term "${bad}"` }, 400);
                }
                const all = [issue, other];
                return reply(query.includes("is:unresolved")
                    ? all.filter((i) => i.status === "unresolved") : all);
            }
            if (path === "/api/0/issues/12/" && request.method === "PUT") {
                const change = JSON.parse(body);
                if ("status" in change) {
                    issue.status = change.status;
                    issue.regressed = false;
                    activity.push({ kind: change.status, release: null, at: "2026-11-26T08:00:00Z", detail: null });
                }
                if ("assigned_to" in change) {
                    issue.assigned_to = change.assigned_to;
                    activity.push({ kind: "assigned", release: null, at: "2026-11-26T08:00:00Z", detail: change.assigned_to });
                }
                return reply(issue);
            }
            if (path === "/api/0/issues/12/") return reply(detail());
            const release = {
                version: "shop@1.4.3", project: "1", created_at: "2026-11-26T06:00:00.000Z",
                commit_count: 2, last_commit: null,
                deploys: [{ id: "1", version: "shop@1.4.3", environment: "production", name: null,
                            date_started: null, date_finished: "2026-11-26T06:05:00.000Z" }],
                last_deploy: null, new_issue_count: 1, regression_count: 1, event_count: 57,
                session_count: 4, crash_free_session_count: 3, crash_free_sessions: 0.75,
                first_event: null, last_event: null,
            };
            if (path === "/api/0/projects/1/releases/") return reply([release]);
            if (path === "/api/0/projects/1/releases/shop%401.4.3/") {
                return reply(Object.assign({}, release, {
                    new_issues: [{ id: "12", title: issue.title, culprit: issue.culprit, count: 57, status: "unresolved" }],
                    regressed_issues: [{ id: "13", title: other.title, culprit: other.culprit, count: 3, status: "unresolved" }],
                    commits: [{ id: "abc1234def5678", author_name: "Ada Lovelace", author_email: "ada@example.com",
                                message: "Compute totals per item", timestamp: "2026-11-25T10:00:00Z" }],
                }));
            }
            if (path === "/api/0/projects/1/alerts/") {
                return reply([{ id: "5", rule_id: "1", rule_name: "Checkout spike", issue_id: "12",
                    issue_title: issue.title, fired_at: "2026-11-26T06:10:00.000Z", status: "failed",
                    attempts: 5, last_error: "HTTP 502 from the receiver",
                    payload: { rule: { id: "1", name: "Checkout spike", condition: "spike" } } }]);
            }
            if (path === `/api/0/events/${older.id}/`) return reply(older);
            if (path === `/api/0/events/${latest.id}/`) return reply(latest);
            return previous(request);
        };
        "##,
    );
    wrap.call0(&JsValue::NULL)?;
    Ok(server)
}

/// The requests the fake server answered since it was installed, oldest first.
pub fn requests() -> Vec<Logged> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let list = js_sys::Reflect::get(&window, &"__slRequests".into()).unwrap_or_default();
    let field = |item: &JsValue, name: &str| {
        js_sys::Reflect::get(item, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    js_sys::Array::from(&list)
        .iter()
        .map(|item| Logged {
            method: field(&item, "method"),
            url: field(&item, "url"),
            body: field(&item, "body"),
        })
        .collect()
}
