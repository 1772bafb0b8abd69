//! The player embedded in other pages: [`mount`] renders one replay's player (the same engine
//! and renderer as the viewer's own page, without its routes) into any element, with the API at
//! an absolute server URL, and returns a [`PlayerHandle`] to drive it. `www/player/sightline-player.js`
//! wraps it in the `<sightline-player>` custom element.
//!
//! The player tells the page what happens with DOM `CustomEvent`s dispatched on the element
//! (bubbling and composed, so that they leave a shadow root): `timeupdate` (detail `{time}`, ms
//! from the replay's start) and `error-marker-click` (detail `{time, title}`), for a JS error's
//! marker and for a linked backend error's.

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::app::Auth;
use crate::player_view::{Command, CommandQueue, PlayerOptions, ReplayPlayer};

/// The embedded player's styles; every rule is scoped under `.sl-embed`, the container [`mount`]
/// creates, so that nothing leaks into the page even outside a shadow root.
pub const EMBED_CSS: &str = include_str!("embed.css");

/// What [`mount`] takes, as a JS object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MountOptions {
    /// The Sightline server's origin, such as `https://sightline.example` (empty: this page's).
    #[serde(default)]
    pub server: String,
    /// The replay id.
    pub replay: String,
    /// Open paused at this offset (ms); without it the replay plays from the start.
    #[serde(default)]
    pub t: Option<f64>,
    /// The admin token sent as `Authorization: Bearer`.
    #[serde(default)]
    pub token: Option<String>,
    /// Play from `t` and pause on this error: a JS error's or a linked backend error's event id.
    #[serde(default)]
    pub event: Option<String>,
}

/// Why [`mount`] refused its options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MountError {
    /// The options were not an object with a `replay` string.
    #[error("invalid player options: {0}")]
    Options(String),
    /// `server` was not an http(s) origin.
    #[error("`server` must be an http(s) URL, got {0:?}")]
    Server(String),
    /// `replay` was empty.
    #[error("`replay` must be a replay id")]
    Replay,
}

impl MountOptions {
    /// The prefix of every API URL: `server` without its trailing slashes.
    ///
    /// # Errors
    /// [`MountError::Server`] when `server` is neither empty nor an http(s) URL.
    pub fn api_base(&self) -> Result<String, MountError> {
        let server = self.server.trim().trim_end_matches('/');
        let lower = server.to_ascii_lowercase();
        if server.is_empty() || lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(server.to_owned())
        } else {
            Err(MountError::Server(self.server.clone()))
        }
    }

    /// The start offset in whole ms, when given as a finite non-negative number.
    pub fn start_at(&self) -> Option<u64> {
        self.t
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| t.floor() as u64)
    }
}

/// A player mounted by [`mount`]: `play()`, `pause()`, `seek(ms)` and `destroy()` from JS.
#[wasm_bindgen]
pub struct PlayerHandle {
    commands: CommandQueue,
    mounted: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen]
impl PlayerHandle {
    /// Starts playing.
    pub fn play(&self) {
        self.push(Command::Play);
    }

    /// Pauses the player.
    pub fn pause(&self) {
        self.push(Command::Pause);
    }

    /// Moves the playhead to `ms` from the replay's start (negative or invalid: the start).
    pub fn seek(&self, ms: f64) {
        let ms = if ms.is_finite() && ms > 0.0 {
            ms.floor() as u64
        } else {
            0
        };
        self.push(Command::Seek(ms));
    }

    /// Removes the player from its element and stops it; the handle does nothing afterwards.
    pub fn destroy(&mut self) {
        self.mounted = None;
    }
}

impl PlayerHandle {
    fn push(&self, command: Command) {
        if self.mounted.is_some()
            && let Ok(mut queue) = self.commands.lock()
        {
            queue.push(command);
        }
    }
}

/// Renders the player of `options.replay` into `element` and returns its handle.
///
/// # Errors
/// When the options are not `{server, replay, t?, token?, event?}` or `server` is not an
/// http(s) URL.
#[wasm_bindgen]
pub fn mount(element: web_sys::HtmlElement, options: JsValue) -> Result<PlayerHandle, JsError> {
    console_error_panic_hook::set_once();
    let options: MountOptions = serde_wasm_bindgen::from_value(options)
        .map_err(|e| JsError::from(MountError::Options(e.to_string())))?;
    let base = options.api_base().map_err(JsError::from)?;
    let replay = options.replay.trim().to_owned();
    if replay.is_empty() {
        return Err(MountError::Replay.into());
    }
    let commands: CommandQueue = Arc::new(Mutex::new(Vec::new()));
    let target = SendWrapper::new(element.clone());
    let on_time = {
        let target = target.clone();
        Callback::new(move |time: u64| {
            dispatch(
                &target,
                "timeupdate",
                &[("time", JsValue::from(time as f64))],
            );
        })
    };
    let on_error_click = Callback::new(move |(time, title): (u64, String)| {
        dispatch(
            &target,
            "error-marker-click",
            &[
                ("time", JsValue::from(time as f64)),
                ("title", JsValue::from(title)),
            ],
        );
    });
    let player_options = PlayerOptions {
        base,
        on_time: Some(on_time),
        on_error_click: Some(on_error_click),
        commands: Some(commands.clone()),
        page: false,
    };
    let start_at = options.start_at();
    let focus_event = options.event.clone();
    let token = options.token.clone();
    let mounted = leptos::mount::mount_to(element, move || {
        let auth = Auth::fixed(token);
        provide_context(auth);
        let props = StoredValue::new((replay, start_at, focus_event, player_options));
        let player = move || {
            auth.token().is_some().then(|| {
                let (id, start_at, focus_event, options) = props.get_value();
                view! {
                    <ReplayPlayer
                        id=id
                        start_at=start_at
                        focus_event=focus_event
                        options=options
                    />
                }
            })
        };
        let refused = move || {
            auth.token().is_none().then(|| {
                view! {
                    <p class="error" data-sl-embed-error="">
                        "This player needs a valid Sightline token."
                    </p>
                }
            })
        };
        view! {
            <div class="sl-embed">
                <style>{EMBED_CSS}</style>
                {refused}
                {player}
            </div>
        }
    });
    Ok(PlayerHandle {
        commands,
        mounted: Some(Box::new(mounted)),
    })
}

/// Dispatches a bubbling, composed `CustomEvent` named `name` with `detail` built from `fields`.
fn dispatch(target: &web_sys::HtmlElement, name: &str, fields: &[(&str, JsValue)]) {
    let detail = js_sys::Object::new();
    for (key, value) in fields {
        let _ = js_sys::Reflect::set(&detail, &JsValue::from_str(key), value);
    }
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(server: &str, t: Option<f64>) -> MountOptions {
        MountOptions {
            server: server.into(),
            replay: "abc".into(),
            t,
            token: None,
            event: None,
        }
    }

    #[test]
    fn api_urls_are_absolute_on_the_given_server() {
        assert_eq!(
            options("https://sightline.example/", None).api_base(),
            Ok("https://sightline.example".into())
        );
        assert_eq!(
            options("http://127.0.0.1:8080", None).api_base(),
            Ok("http://127.0.0.1:8080".into())
        );
        assert_eq!(options("", None).api_base(), Ok(String::new()));
        assert!(matches!(
            options("javascript:alert(1)", None).api_base(),
            Err(MountError::Server(_))
        ));
    }

    #[test]
    fn start_offsets_are_whole_non_negative_ms() {
        assert_eq!(options("", Some(1_500.7)).start_at(), Some(1_500));
        assert_eq!(options("", Some(-3.0)).start_at(), None);
        assert_eq!(options("", Some(f64::NAN)).start_at(), None);
        assert_eq!(options("", None).start_at(), None);
    }

    #[test]
    fn the_styles_are_scoped_to_the_embed() {
        // Every rule's selectors start with `.sl-embed` (or are inside @keyframes).
        let mut depth = 0usize;
        let mut in_keyframes = false;
        for line in EMBED_CSS.lines().map(str::trim) {
            if line.is_empty() || line.starts_with("/*") {
                continue;
            }
            if depth == 0 && line.ends_with('{') {
                in_keyframes = line.starts_with("@keyframes");
                if !in_keyframes {
                    for selector in line.trim_end_matches('{').split(',') {
                        assert!(
                            selector.trim().starts_with(".sl-embed"),
                            "unscoped selector {selector:?}"
                        );
                    }
                }
            }
            depth += line.matches('{').count();
            depth -= line.matches('}').count().min(depth);
        }
        assert!(!in_keyframes || depth == 0);
    }
}

/// Browser tests of [`mount`]: what the embedding page sees without a server.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::mount;

    wasm_bindgen_test_configure!(run_in_browser);

    fn container() -> Result<web_sys::HtmlElement, JsValue> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let element: web_sys::HtmlElement = document.create_element("div")?.dyn_into()?;
        document.body().ok_or("no body")?.append_child(&element)?;
        Ok(element)
    }

    fn options(pairs: &[(&str, &str)]) -> Result<JsValue, JsValue> {
        let object = js_sys::Object::new();
        for (key, value) in pairs {
            js_sys::Reflect::set(&object, &(*key).into(), &(*value).into())?;
        }
        Ok(object.into())
    }

    #[wasm_bindgen_test]
    fn without_a_token_the_player_says_so_and_destroy_removes_it() -> Result<(), JsValue> {
        let element = container()?;
        let mut handle = mount(
            element.clone(),
            options(&[("server", "http://127.0.0.1:9"), ("replay", "abc")])?,
        )?;
        let message = element
            .query_selector("[data-sl-embed-error]")?
            .ok_or("no message")?;
        assert!(message.text_content().unwrap_or_default().contains("token"));
        // The styles live inside the container, scoped.
        let style = element.query_selector("style")?.ok_or("no style")?;
        assert!(
            style
                .text_content()
                .unwrap_or_default()
                .contains(".sl-embed")
        );
        handle.destroy();
        assert_eq!(element.child_element_count(), 0);
        // A destroyed handle ignores further calls.
        handle.play();
        handle.seek(10.0);
        element.remove();
        Ok(())
    }

    #[wasm_bindgen_test]
    fn with_a_token_the_player_renders_in_the_element_with_the_data_attributes()
    -> Result<(), JsValue> {
        let element = container()?;
        let mut handle = mount(
            element.clone(),
            options(&[
                ("server", "http://127.0.0.1:9/"),
                ("replay", "abc"),
                ("token", "t0k"),
            ])?,
        )?;
        let player = element
            .query_selector("[data-sl-player]")?
            .ok_or("no player")?;
        assert_eq!(
            player.get_attribute("data-sl-state").as_deref(),
            Some("loading")
        );
        assert!(
            element
                .query_selector("iframe[sandbox='allow-same-origin']")?
                .is_some()
        );
        assert!(
            element
                .query_selector("[data-sl-action='skip-inactivity'][aria-pressed='true']")?
                .is_some()
        );
        assert!(
            element
                .query_selector("[data-sl-action='fullscreen']")?
                .is_some()
        );
        assert!(element.query_selector("input[data-sl-scrubber]")?.is_some());
        handle.destroy();
        assert!(element.query_selector("[data-sl-player]")?.is_none());
        element.remove();
        Ok(())
    }

    #[wasm_bindgen_test]
    fn bad_options_are_refused() -> Result<(), JsValue> {
        let element = container()?;
        assert!(
            mount(
                element.clone(),
                options(&[("server", "ftp://x"), ("replay", "a")])?
            )
            .is_err()
        );
        assert!(mount(element.clone(), options(&[("replay", " ")])?).is_err());
        assert!(mount(element.clone(), JsValue::from(3)).is_err());
        assert_eq!(element.child_element_count(), 0);
        element.remove();
        Ok(())
    }

    /// Waits up to 5 s for `condition`.
    async fn wait_for(condition: impl FnMut() -> bool, what: &str) -> Result<(), JsValue> {
        wait_within(5_000, condition, what).await
    }

    /// Waits up to `ms` for `condition`.
    async fn wait_within(
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
                    let _ =
                        window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
                }
            });
            wasm_bindgen_futures::JsFuture::from(sleep).await?;
        }
        Err(format!("timed out waiting for {what}").into())
    }

    /// A one-segment replay: a page, a click at the start and a JS error at 6 s (the user idle
    /// in between), 10 s long.
    fn replay_bytes() -> Result<Vec<u8>, JsValue> {
        use sightline_protocol::v1::{
            Compression, Event, EventData, JsError, MouseInteraction, Node, SegmentHeader,
        };
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
        let events = vec![
            Event::new(
                0,
                EventData::Meta {
                    href: "https://shop.example/".into(),
                    width: 800,
                    height: 600,
                    user_agent: String::new(),
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
                6_000,
                EventData::JsError(JsError {
                    event_id: "e1".into(),
                    error_type: "TypeError".into(),
                    message: "boom".into(),
                    frames: vec![],
                    release: String::new(),
                }),
            ),
        ];
        let header =
            SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 1_000).with_end(11_000);
        sightline_protocol::encode_segment(&header, &events, Compression::None)
            .map_err(|e| JsValue::from(e.to_string()))
    }

    /// Puts the page's real `fetch` back when dropped, also when a test fails half-way, so one
    /// failing test cannot leave its fake server to the tests after it.
    struct FakeServer {
        real_fetch: JsValue,
    }

    impl Drop for FakeServer {
        fn drop(&mut self) {
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"fetch".into(), &self.real_fetch);
            }
        }
    }

    /// Replaces `window.fetch` with a fake Sightline server at `http://sl.test` that wants the
    /// token `t0k`, until the returned guard is dropped.
    fn fake_server(segment: &[u8]) -> Result<FakeServer, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let real = js_sys::Reflect::get(&window, &"fetch".into())?;
        let install = js_sys::Function::new_with_args(
            "segment",
            r#"
            window.fetch = async (request) => {
                if (request.headers.get("Authorization") !== "Bearer t0k") {
                    return new Response('{"error":"unauthorized"}', { status: 401 });
                }
                const id = "0123456789abcdef0123456789abcdef";
                if (request.url === `http://sl.test/api/0/replays/${id}/`) {
                    return new Response(JSON.stringify({
                        id, segment_count: 1, duration_ms: 10000, started_at_ms: 1000,
                        urls: ["https://shop.example/"],
                    }));
                }
                if (request.url === `http://sl.test/api/0/replays/${id}/segments/0`) {
                    return new Response(segment);
                }
                return new Response('{"error":"not found"}', { status: 404 });
            };
            "#,
        );
        install.call1(&JsValue::NULL, &js_sys::Uint8Array::from(segment).into())?;
        Ok(FakeServer { real_fetch: real })
    }

    #[wasm_bindgen_test]
    async fn the_handle_drives_the_player_and_the_element_hears_its_events() -> Result<(), JsValue>
    {
        use std::cell::RefCell;
        use std::rc::Rc;
        use wasm_bindgen::closure::Closure;

        let _server = fake_server(&replay_bytes()?)?;
        let element = container()?;
        let times = Rc::new(RefCell::new(Vec::<f64>::new()));
        let clicks = Rc::new(RefCell::new(Vec::<(f64, String)>::new()));
        let on_time = {
            let times = times.clone();
            Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
                let time = js_sys::Reflect::get(&e.detail(), &"time".into())
                    .ok()
                    .and_then(|t| t.as_f64());
                times.borrow_mut().extend(time);
            })
        };
        let on_error = {
            let clicks = clicks.clone();
            Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
                let detail = e.detail();
                let time = js_sys::Reflect::get(&detail, &"time".into()).ok();
                let title = js_sys::Reflect::get(&detail, &"title".into()).ok();
                if let (Some(time), Some(title)) = (
                    time.and_then(|t| t.as_f64()),
                    title.and_then(|t| t.as_string()),
                ) {
                    clicks.borrow_mut().push((time, title));
                }
            })
        };
        element.add_event_listener_with_callback("timeupdate", on_time.as_ref().unchecked_ref())?;
        element.add_event_listener_with_callback(
            "error-marker-click",
            on_error.as_ref().unchecked_ref(),
        )?;

        let opts = options(&[
            ("server", "http://sl.test"),
            ("replay", "0123456789abcdef0123456789abcdef"),
            ("token", "t0k"),
        ])?;
        js_sys::Reflect::set(&opts, &"t".into(), &JsValue::from(1_000))?;
        let mut handle = mount(element.clone(), opts)?;
        let attr = |name: &str| {
            element
                .query_selector("[data-sl-player]")
                .ok()
                .flatten()
                .and_then(|p| p.get_attribute(name))
                .unwrap_or_default()
        };
        wait_for(
            || attr("data-sl-state") == "paused" && attr("data-sl-time") == "1000",
            "paused at t=1000",
        )
        .await?;
        assert!(times.borrow().contains(&1_000.0));

        handle.seek(3_000.0);
        wait_for(|| attr("data-sl-time") == "3000", "seek to 3000").await?;
        assert_eq!(times.borrow().last(), Some(&3_000.0));

        let marker: web_sys::HtmlElement = element
            .query_selector("[data-sl-marker='error']")?
            .ok_or("no error marker")?
            .dyn_into()?;
        marker.click();
        wait_for(|| !clicks.borrow().is_empty(), "error-marker-click").await?;
        assert_eq!(clicks.borrow()[0], (6_000.0, "TypeError: boom".to_owned()));
        wait_for(|| attr("data-sl-time") == "6000", "seek to the error").await?;

        handle.play();
        wait_for(|| attr("data-sl-state") == "playing", "playing").await?;
        handle.pause();
        wait_for(|| attr("data-sl-state") == "paused", "paused").await?;

        handle.destroy();
        assert!(element.query_selector("[data-sl-player]")?.is_none());
        element.remove();
        Ok(())
    }

    #[wasm_bindgen_test]
    async fn keyboard_shortcuts_play_seek_and_change_speed() -> Result<(), JsValue> {
        let _server = fake_server(&replay_bytes()?)?;
        let element = container()?;
        let opts = options(&[
            ("server", "http://sl.test"),
            ("replay", "0123456789abcdef0123456789abcdef"),
            ("token", "t0k"),
        ])?;
        js_sys::Reflect::set(&opts, &"t".into(), &JsValue::from(1_000))?;
        let mut handle = mount(element.clone(), opts)?;
        let player: web_sys::HtmlElement = element
            .query_selector("[data-sl-player]")?
            .ok_or("no player")?
            .dyn_into()?;
        let attr = |name: &str| player.get_attribute(name).unwrap_or_default();
        wait_for(|| attr("data-sl-state") == "paused", "paused").await?;
        let press = |key: &str| -> Result<bool, JsValue> {
            let init = web_sys::KeyboardEventInit::new();
            init.set_key(key);
            init.set_bubbles(true);
            init.set_cancelable(true);
            let event =
                web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)?;
            player.dispatch_event(&event)
        };
        // A shortcut's default action (scrolling, for space) is prevented.
        assert!(!press("ArrowRight")?);
        wait_for(|| attr("data-sl-time") == "6000", "→ moves 5 s on").await?;
        press("ArrowLeft")?;
        press("ArrowLeft")?;
        wait_for(|| attr("data-sl-time") == "0", "← twice stops at the start").await?;
        press("4")?;
        let speed: web_sys::HtmlSelectElement = element
            .query_selector("select.speed")?
            .ok_or("no speed")?
            .dyn_into()?;
        wait_for(|| speed.value() == "8", "4 plays at 8×").await?;
        press("1")?;
        wait_for(|| speed.value() == "1", "1 plays at 1×").await?;
        // 0–6 s without user activity is shaded and skipped: playing at 1× from 0 is at 5 s
        // (1 s before the error) at once.
        assert!(element.query_selector("[data-sl-idle='0-6000']")?.is_some());
        press(" ")?;
        wait_for(|| attr("data-sl-state") == "playing", "space plays").await?;
        wait_within(
            1_000,
            || attr("data-sl-time").parse::<u64>().unwrap_or(0) >= 5_000,
            "skip inactivity",
        )
        .await?;
        press(" ")?;
        wait_for(|| attr("data-sl-state") == "paused", "space pauses").await?;
        // Other keys are left alone.
        assert!(press("a")?);

        handle.destroy();
        element.remove();
        Ok(())
    }

    #[wasm_bindgen_test]
    async fn opened_at_an_error_it_plays_up_to_the_error_and_pauses_on_it() -> Result<(), JsValue> {
        let _server = fake_server(&replay_bytes()?)?;
        let element = container()?;
        // What `/events/e1` links to: 5 s before the error at 6 s.
        let opts = options(&[
            ("server", "http://sl.test"),
            ("replay", "0123456789abcdef0123456789abcdef"),
            ("token", "t0k"),
            ("event", "e1"),
        ])?;
        js_sys::Reflect::set(&opts, &"t".into(), &JsValue::from(1_000))?;
        let mut handle = mount(element.clone(), opts)?;
        let player = element
            .query_selector("[data-sl-player]")?
            .ok_or("no player")?;
        let attr = |name: &str| player.get_attribute(name).unwrap_or_default();
        wait_for(|| attr("data-sl-state") == "playing", "playing from t").await?;
        wait_within(
            8_000,
            || attr("data-sl-state") == "paused",
            "paused at the error",
        )
        .await?;
        assert_eq!(attr("data-sl-time"), "6000");

        handle.destroy();
        element.remove();
        Ok(())
    }
}
