//! A fake Sightline server for the viewer's browser tests: `window.fetch` answers from a table of
//! paths (any origin) until the guard is dropped. It wants either the bearer token `t0k` (an
//! embedded player's) or its session "cookie" (see [`crate::fake_session`]): signed in from the
//! start as [`crate::fake_session::EMAIL`], with [`crate::fake_session::CSRF`] required on state
//! changes. The guard also puts the page's address back, for tests that drive the router.

use wasm_bindgen::{JsCast, JsValue};

use sightline_protocol::v1::{
    Breadcrumb, Compression, Event, EventData, JsError, Level, MouseDelta, MouseInteraction,
    MouseMove, NetworkRequest, Node, SegmentHeader, StackFrame,
};

/// The replay the fixtures describe.
pub const REPLAY: &str = "0123456789abcdef0123456789abcdef";

/// A replay of three segments of which only the first loads: the second is missing (404) and
/// the third is not a segment.
pub const REPLAY_WITH_GAPS: &str = "feedfacefeedfacefeedfacefeedface";
/// The trace id of the page view.
pub const TRACE: &str = "feedfacefeedfacefeedfacefeedface";
/// The span id of the request that failed with a 500.
pub const FAILED_SPAN: &str = "5a5a5a5a5a5a5a5a";
/// The backend error that request caused.
pub const BACKEND_EVENT: &str = "be000000000000000000000000000001";
/// A backend error that no replay recorded.
pub const LONELY_EVENT: &str = "be000000000000000000000000000002";
/// Where (ms) the failing request's response came in.
pub const FAILED_AT: u64 = 6_000;

/// Restores the real `fetch` and the page's address when dropped, also when a test fails
/// half-way.
pub struct FakeServer {
    real_fetch: JsValue,
    address: String,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &"fetch".into(), &self.real_fetch);
            if let Ok(history) = window.history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&self.address));
            }
        }
    }
}

/// Installs the fake server with the fixture replay (see [`segment_bytes`]), its backend
/// events and their details.
pub fn install() -> Result<FakeServer, JsValue> {
    install_with(true)
}

/// Installs the fake server; without `backend`, the replay's backend events answer 500.
pub fn install_with(backend: bool) -> Result<FakeServer, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let real_fetch = js_sys::Reflect::get(&window, &"fetch".into())?;
    let address = window.location().href()?;
    let install = js_sys::Function::new_with_args(
        "segment, replay, trace, span, event, lonely, backend, gapped",
        r#"
        const linked = {
            id: event, title: "ZeroDivisionError: division by zero", level: "error",
            culprit: "shop.checkout in total", service: "checkout-api", release: "api@7.1.0",
            environment: "production", status_code: 500, trace_id: trace, span_id: span,
            replay_offset_ms: 6000, replay_offset_source: "request", link_source: "trace_and_span",
            request: { method: "POST", url: "/api/checkout", status: 500, trace_id: trace,
                       span_id: span, timestamp_ms: 7000, segment_index: 0 },
            timestamp: "2026-11-26T06:08:56.123Z",
        };
        const frames = [
            { filename: "flask/app.py", function: "dispatch_request", module: "flask.app",
              lineno: 880, in_app: false },
            { filename: "flask/app.py", function: "full_dispatch_request", module: "flask.app",
              lineno: 865, in_app: false },
            { filename: "shop/checkout.py", function: "total", module: "shop.checkout",
              lineno: 42, in_app: true, context_line: "    return amount / count" },
        ];
        const detail = Object.assign({}, linked, {
            replay_id: replay, replay_request: linked.request, request: null,
            parent_span_id: span, span_id: "b0b0b0b0b0b0b0b0", transaction: "POST /api/checkout",
            server_name: "web-1", tags: [{ key: "service", value: "checkout-api" }],
            exception: { values: [{ type: "ZeroDivisionError", value: "division by zero",
                                     stacktrace: { frames, frames_omitted: 0 } }] },
        });
        delete detail.service;
        const lonelyDetail = {
            id: lonely, issue_id: "13", replay_id: null, replay_offset_ms: null, title: "KeyError: 'sku'",
            level: "error", release: "api@7.1.0", environment: "production",
            server_name: "web-2", transaction: "GET /api/cart", trace_id: null,
            timestamp: "2026-11-26T07:00:00.000Z",
            tags: [{ key: "region", value: "eu-west" }],
            exception: { values: [{ type: "KeyError", value: "'sku'",
                                     stacktrace: { frames, frames_omitted: 0 } }] },
        };
        const json = (value) => ({ body: JSON.stringify(value) });
        const routes = {
            [`/api/0/replays/${replay}/`]: json({
                id: replay, segment_count: 1, duration_ms: 10000, started_at_ms: 1000,
                started_at: "2026-11-26T06:08:50.000Z", release: "shop@1.4.2",
                environment: "production", urls: ["https://shop.example/"],
            }),
            [`/api/0/replays/${replay}/segments/0`]: { body: segment },
            [`/api/0/replays/${gapped}/`]: json({
                id: gapped, segment_count: 3, duration_ms: 30000, started_at_ms: 1000,
                started_at: "2026-11-26T06:08:50.000Z", release: "shop@1.4.2",
                environment: "production", urls: ["https://shop.example/"],
            }),
            [`/api/0/replays/${gapped}/segments/0`]: { body: segment },
            [`/api/0/replays/${gapped}/segments/2`]: { body: "not a segment" },
            [`/api/0/replays/${gapped}/events/`]: json([]),
            [`/api/0/replays/${replay}/events/`]: backend
                ? json([linked])
                : { body: '{"error":"database is locked"}', status: 500 },
            [`/api/0/events/${event}/`]: json(detail),
            [`/api/0/events/${lonely}/`]: json(lonelyDetail),
        };
        window.fetch = async (request) => {
            const refusal = window.__slRefuse(request);
            if (refusal) {
                return refusal;
            }
            const route = routes[new URL(request.url, location.href).pathname];
            if (!route) {
                return new Response('{"error":"not found"}', { status: 404 });
            }
            return new Response(route.body, { status: route.status || 200 });
        };
        "#,
    );
    let args = js_sys::Array::new();
    for value in [
        js_sys::Uint8Array::from(segment_bytes()?.as_slice()).into(),
        JsValue::from(REPLAY),
        JsValue::from(TRACE),
        JsValue::from(FAILED_SPAN),
        JsValue::from(BACKEND_EVENT),
        JsValue::from(LONELY_EVENT),
        JsValue::from(backend),
        JsValue::from(REPLAY_WITH_GAPS),
    ] {
        args.push(&value);
    }
    install.apply(&JsValue::NULL, &args)?;
    crate::fake_session::install_session()?;
    Ok(FakeServer {
        real_fetch,
        address,
    })
}

/// A 10 s replay of a shop page in Chrome 120: a click at the start, the pointer moving right
/// for 200 ms, a console log and a console warning at 0.5 s, a `GET /api/cart` (200) at 2 s,
/// the user idle, then `POST /api/checkout` failing with a 500 at 6 s, and a JS error right
/// after.
pub fn segment_bytes() -> Result<Vec<u8>, JsValue> {
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
                vec![Node::text(4, "shop")],
            )],
        )],
    };
    let request = |method: &str, url: &str, status, duration, span: &str| {
        EventData::NetworkRequest(NetworkRequest {
            method: method.into(),
            url: url.into(),
            status,
            duration,
            trace_id: TRACE.into(),
            span_id: span.into(),
            response_size: Some(2_048),
        })
    };
    let console = |level, message: &str| {
        EventData::Breadcrumb(Breadcrumb {
            category: "console".into(),
            level,
            message: message.into(),
            data: String::new(),
        })
    };
    let events = vec![
        Event::new(
            0,
            EventData::Meta {
                href: "https://shop.example/".into(),
                width: 800,
                height: 600,
                user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like \
                             Gecko) Chrome/120.0.0.0 Safari/537.36"
                    .into(),
            },
        ),
        Event::new(0, EventData::FullSnapshot { root: page }),
        Event::new(
            0,
            EventData::MouseInteraction {
                interaction: MouseInteraction::Click,
                id: 3,
                x: 10,
                y: 10,
            },
        ),
        Event::new(
            0,
            EventData::MouseMove(MouseMove {
                x: 10,
                y: 10,
                deltas: (0..4)
                    .map(|_| MouseDelta {
                        dx: 40,
                        dy: 10,
                        dt: 50,
                    })
                    .collect(),
            }),
        ),
        Event::new(500, console(Level::Log, "cart loaded")),
        Event::new(0, console(Level::Warning, "slow response")),
        Event::new(
            1_500,
            request("GET", "/api/cart", 200, 80, "1111111111111111"),
        ),
        Event::new(
            4_000,
            request("POST", "/api/checkout", 500, 150, FAILED_SPAN),
        ),
        Event::new(
            200,
            EventData::JsError(JsError {
                event_id: "js000000000000000000000000000001".into(),
                error_type: "Error".into(),
                message: "checkout failed".into(),
                frames: vec![StackFrame {
                    function: "submit".into(),
                    filename: "https://shop.example/app.js".into(),
                    lineno: 12,
                    colno: 5,
                }],
                release: "shop@1.4.2".into(),
            }),
        ),
    ];
    let header = SegmentHeader::new(REPLAY, 0, 1, 1_000).with_end(11_000);
    sightline_protocol::encode_segment(&header, &events, Compression::None)
        .map_err(|e| JsValue::from(e.to_string()))
}

/// A new `<div>` at the end of the test page's body.
pub fn container() -> Result<web_sys::HtmlElement, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let element: web_sys::HtmlElement = document.create_element("div")?.dyn_into()?;
    document.body().ok_or("no body")?.append_child(&element)?;
    Ok(element)
}

/// Waits up to `ms` for `condition`.
pub async fn wait_within(
    ms: u32,
    mut condition: impl FnMut() -> bool,
    what: &str,
) -> Result<(), JsValue> {
    for _ in 0..ms.div_ceil(50) {
        if condition() {
            return Ok(());
        }
        let sleep = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
            }
        });
        wasm_bindgen_futures::JsFuture::from(sleep).await?;
    }
    Err(format!("timed out waiting for {what}").into())
}

/// The first element under `root` matching `selector`.
pub fn find(root: &web_sys::Element, selector: &str) -> Option<web_sys::Element> {
    root.query_selector(selector).ok().flatten()
}

/// The text of the first element under `root` matching `selector`; empty when there is none.
pub fn text(root: &web_sys::Element, selector: &str) -> String {
    find(root, selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Types `value` into the first input under `root` matching `selector`.
///
/// # Errors
/// When nothing matches or it is not an input.
pub fn type_into(root: &web_sys::Element, selector: &str, value: &str) -> Result<(), JsValue> {
    let input: web_sys::HtmlInputElement = find(root, selector)
        .ok_or(format!("no {selector}"))?
        .dyn_into()?;
    input.set_value(value);
    Ok(())
}

/// Clicks the first element under `root` matching `selector`.
///
/// # Errors
/// When nothing matches or it is not an HTML element.
pub fn click(root: &web_sys::Element, selector: &str) -> Result<(), JsValue> {
    let element: web_sys::HtmlElement = find(root, selector)
        .ok_or(format!("no {selector}"))?
        .dyn_into()?;
    element.click();
    Ok(())
}

/// Mounts the replay page's player for `replay`, opened at `start_at` ms with a token, into a
/// new container; returns the mount handle (unmounts when dropped) and the container.
pub fn mount_player(
    replay: &'static str,
    start_at: u64,
) -> Result<(impl Drop + use<>, web_sys::Element), JsValue> {
    use crate::app::Auth;
    use crate::player_view::{PlayerOptions, ReplayPlayer};
    use leptos::prelude::*;

    let element = container()?;
    let handle = leptos::mount::mount_to(element.clone(), move || {
        provide_context(Auth::fixed(Some("t0k".into())));
        view! {
            <ReplayPlayer
                id=replay.to_owned()
                start_at=Some(start_at)
                focus_event=None
                options=PlayerOptions { page: true, ..PlayerOptions::default() }
            />
        }
    });
    Ok((handle, element.into()))
}

/// The player under `root`, once it has loaded and paused (5 s at most).
pub async fn paused_player(root: &web_sys::Element) -> Result<web_sys::Element, JsValue> {
    wait_within(
        5_000,
        || find(root, "[data-sl-player][data-sl-state=paused]").is_some(),
        "the replay",
    )
    .await?;
    find(root, "[data-sl-player]").ok_or_else(|| "no player".into())
}

/// [`open_routes`] with the container as a plain element, as the page tests query it.
pub fn open_page(path: &str) -> Result<(web_sys::Element, impl Sized + use<>), JsValue> {
    let (element, mounted) = open_routes(path)?;
    Ok((element.into(), mounted))
}

/// The viewer mounted by [`open_routes`]; cleans its reactive owner up when dropped, so that
/// its router stops listening to the page's clicks (a task still holding the owner would keep
/// it alive, and a later test's links would be taken by this router).
pub struct MountedRoutes<H> {
    owner: Option<leptos::prelude::Owner>,
    _handle: H,
}

impl<H> Drop for MountedRoutes<H> {
    fn drop(&mut self) {
        if let Some(owner) = &self.owner {
            owner.cleanup();
        }
    }
}

/// Mounts the viewer's routes at `path` (signed in with the fake server's session) into a new
/// container, as if the address had been opened.
pub fn open_routes(
    path: &str,
) -> Result<(web_sys::HtmlElement, MountedRoutes<impl Sized + use<>>), JsValue> {
    use crate::app::{AppRoutes, Auth, AuthState};
    use leptos::prelude::*;

    let window = web_sys::window().ok_or("no window")?;
    window
        .history()?
        .replace_state_with_url(&JsValue::NULL, "", Some(path))?;
    let element = container()?;
    let owner = std::rc::Rc::new(std::cell::Cell::new(None));
    let inner = owner.clone();
    let handle = leptos::mount::mount_to(element.clone(), move || {
        inner.set(Owner::current());
        provide_context(Auth::with_state(AuthState::SignedIn(
            crate::fake_session::session(),
        )));
        view! {
            <leptos_router::components::Router>
                <AppRoutes />
            </leptos_router::components::Router>
        }
    });
    let mounted = MountedRoutes {
        owner: owner.take(),
        _handle: handle,
    };
    Ok((element, mounted))
}

/// Mounts the whole viewer (nav, session check, routes) at `path` into a new container, as if
/// the address had been opened in a new tab.
pub fn open_app(
    path: &str,
) -> Result<(web_sys::Element, MountedRoutes<impl Sized + use<>>), JsValue> {
    use leptos::prelude::*;

    let window = web_sys::window().ok_or("no window")?;
    window
        .history()?
        .replace_state_with_url(&JsValue::NULL, "", Some(path))?;
    let element = container()?;
    let owner = std::rc::Rc::new(std::cell::Cell::new(None));
    let inner = owner.clone();
    let handle = leptos::mount::mount_to(element.clone(), move || {
        inner.set(Owner::current());
        crate::app::App()
    });
    let mounted = MountedRoutes {
        owner: owner.take(),
        _handle: handle,
    };
    Ok((element.into(), mounted))
}
