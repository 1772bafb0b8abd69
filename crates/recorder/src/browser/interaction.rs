//! What the user does: pointer and touch interactions, focus, mouse moves, scrolls, viewport
//! resizes, form input and media playback, plus the page-level listeners (errors, navigation,
//! hiding). Each listener turns a DOM event into a protocol event on the running recorder.

use js_sys::Reflect;
use sightline_protocol::v1::{EventData, MediaAction, MouseInteraction, NavigationKind, NodeId};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, ErrorEvent, Event, HtmlMediaElement, MouseEvent, PromiseRejectionEvent,
    TouchEvent, VisibilityState, Window,
};

use super::checkpoint::media_state;
use super::error_value::{report_for_error_event, report_for_rejection};
use super::frames::{as_document, as_element, as_node};
use super::input::record_input;
use super::listener::{Listener, Phase};
use super::mirror::Mirror;
use super::recorder::{Recorder, viewport, with_recorder};
use crate::transport::Delivery;

/// Every listener of a recording.
pub(crate) fn listeners(window: &Window, document: &Document) -> Result<Vec<Listener>, JsValue> {
    let mut listeners = document_listeners(document)?;
    listeners.push(Listener::new(window, "resize", Phase::Bubble, |_| {
        with_recorder(|recorder| {
            let (width, height) = viewport(recorder.window());
            recorder.throttle(|throttled, now| {
                throttled.resize(now, width, height);
                Vec::new()
            });
        });
    })?);
    for (kind, navigation) in [
        ("popstate", NavigationKind::Pop),
        ("hashchange", NavigationKind::Hash),
    ] {
        listeners.push(Listener::new(window, kind, Phase::Bubble, move |_| {
            with_recorder(|recorder| recorder.record_navigation(navigation));
        })?);
    }
    listeners.extend(page_listeners(window, document)?);
    Ok(listeners)
}

/// The listeners of what the user does in `document` (the page's or a frame's).
pub(crate) fn document_listeners(document: &Document) -> Result<Vec<Listener>, JsValue> {
    use MouseInteraction as Mouse;
    let mut listeners = Vec::with_capacity(32);
    let interactions = [
        ("click", Mouse::Click),
        ("dblclick", Mouse::DblClick),
        ("contextmenu", Mouse::ContextMenu),
        ("mousedown", Mouse::MouseDown),
        ("mouseup", Mouse::MouseUp),
        ("touchstart", Mouse::TouchStart),
        ("touchend", Mouse::TouchEnd),
        ("focus", Mouse::Focus),
        ("blur", Mouse::Blur),
    ];
    for (kind, interaction) in interactions {
        listeners.push(Listener::new(
            document,
            kind,
            Phase::Capture,
            move |event| {
                with_recorder(|recorder| record_interaction(recorder, &event, interaction));
            },
        )?);
    }
    for kind in ["mousemove", "touchmove"] {
        listeners.push(Listener::new(document, kind, Phase::Capture, |event| {
            with_recorder(|recorder| record_move(recorder, &event));
        })?);
    }
    listeners.push(Listener::new(
        document,
        "scroll",
        Phase::Capture,
        |event| {
            with_recorder(|recorder| record_scroll(recorder, &event));
        },
    )?);
    for kind in ["input", "change"] {
        listeners.push(Listener::new(document, kind, Phase::Capture, |event| {
            with_recorder(|recorder| record_input(recorder, &event));
        })?);
    }
    let media = [
        ("play", MediaAction::Play),
        ("pause", MediaAction::Pause),
        ("seeked", MediaAction::Seeked),
        ("volumechange", MediaAction::VolumeChange),
        ("ratechange", MediaAction::RateChange),
    ];
    for (kind, action) in media {
        listeners.push(Listener::new(
            document,
            kind,
            Phase::Capture,
            move |event| {
                with_recorder(|recorder| record_media(recorder, &event, action));
            },
        )?);
    }
    Ok(listeners)
}

/// Errors and the page going away.
fn page_listeners(window: &Window, document: &Document) -> Result<Vec<Listener>, JsValue> {
    let on_hide = |_: Event| {
        with_recorder(|recorder| recorder.flush(Delivery::Unload));
    };
    let hidden_document = document.clone();
    Ok(vec![
        Listener::new(window, "error", Phase::Bubble, |event| {
            if let Some(event) = event.dyn_ref::<ErrorEvent>() {
                let report = report_for_error_event(event);
                with_recorder(|recorder| recorder.record_error(report));
            }
        })?,
        Listener::new(window, "unhandledrejection", Phase::Bubble, |event| {
            if let Some(event) = event.dyn_ref::<PromiseRejectionEvent>() {
                let report = report_for_rejection(event);
                with_recorder(|recorder| recorder.record_error(report));
            }
        })?,
        Listener::new(window, "pagehide", Phase::Bubble, on_hide)?,
        Listener::new(document, "visibilitychange", Phase::Bubble, move |event| {
            if hidden_document.visibility_state() == VisibilityState::Hidden {
                on_hide(event);
            }
        })?,
    ])
}

/// Where an event really happened: inside an open shadow tree rather than at its host, which is
/// what a document listener is told.
pub(crate) fn origin(event: &Event) -> Option<web_sys::EventTarget> {
    let path = event.composed_path();
    if path.length() > 0 {
        // Unchecked: a frame's nodes are not `instanceof` this window's classes.
        let first = path.get(0);
        first.is_object().then(|| first.unchecked_into())
    } else {
        event.target()
    }
}

/// The node an event happened on, as a recorded id (the nearest recorded ancestor when the
/// target itself is not recorded).
fn target_id(recorder: &Recorder, event: &Event) -> Option<NodeId> {
    let origin = origin(event)?;
    recorder.nearest_id(as_node(&origin)?)
}

/// Where a pointer or touch event happened, in the page's viewport pixels (an event in a frame
/// is moved by where its frames are).
fn position(event: &Event) -> Option<(i32, i32)> {
    let has = |name: &str| Reflect::has(event, &JsValue::from_str(name)).unwrap_or(false);
    let (x, y) = if has("clientX") {
        let mouse: &MouseEvent = event.unchecked_ref();
        (mouse.client_x(), mouse.client_y())
    } else if has("changedTouches") {
        let touch = event
            .unchecked_ref::<TouchEvent>()
            .changed_touches()
            .item(0)?;
        (touch.client_x(), touch.client_y())
    } else {
        return None;
    };
    let (dx, dy) = frame_offset(event);
    Some((x.saturating_add(dx), y.saturating_add(dy)))
}

/// How far the viewport of the frame an event happened in is from the page's.
fn frame_offset(event: &Event) -> (i32, i32) {
    let get = |target: &JsValue, name: &str| {
        Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::NULL)
    };
    let (mut x, mut y) = (0.0, 0.0);
    let mut view = get(event, "view");
    // Frames nest a few levels at most; the bound keeps a strange page from looping.
    for _ in 0..16 {
        let frame = get(&view, "frameElement");
        if !frame.is_object() {
            break;
        }
        let frame: Element = frame.unchecked_into();
        let rect = frame.get_bounding_client_rect();
        x += rect.left() + f64::from(frame.client_left());
        y += rect.top() + f64::from(frame.client_top());
        view = frame
            .owner_document()
            .and_then(|document| document.default_view())
            .map_or(JsValue::NULL, JsValue::from);
    }
    // Offsets are small; `as` saturates anything else.
    #[allow(clippy::cast_possible_truncation)]
    (x.round() as i32, y.round() as i32)
}

fn record_interaction(recorder: &mut Recorder, event: &Event, interaction: MouseInteraction) {
    let Some(id) = target_id(recorder, event) else {
        return;
    };
    let (x, y) = position(event).unwrap_or_default();
    recorder.record(EventData::MouseInteraction {
        interaction,
        id,
        x,
        y,
    });
}

fn record_move(recorder: &mut Recorder, event: &Event) {
    if let Some((x, y)) = position(event) {
        recorder.throttle(|throttled, now| {
            throttled.mouse_move(now, x, y);
            Vec::new()
        });
    }
}

fn record_scroll(recorder: &mut Recorder, event: &Event) {
    let Some(target) = event.target() else {
        return;
    };
    let Some(node) = as_node(&target) else {
        return;
    };
    let scroll = if let Some(document) = as_document(node) {
        let Some(window) = document.default_view() else {
            return;
        };
        window_scroll(&window, recorder.mirror(), document)
    } else {
        let Some(element) = as_element(node) else {
            return;
        };
        recorder.mirror().note_stateful(element);
        recorder
            .mirror()
            .id_of(element)
            .map(|id| EventData::Scroll {
                id,
                x: element.scroll_left(),
                y: element.scroll_top(),
            })
    };
    if let Some(EventData::Scroll { id, x, y }) = scroll {
        recorder.throttle(|throttled, now| throttled.scroll(now, id, x, y));
    }
}

/// The window's scroll position as a scroll of the document node; `None` at the top left or
/// when the document is not recorded.
pub(crate) fn window_scroll(
    window: &Window,
    mirror: &Mirror,
    document: &Document,
) -> Option<EventData> {
    let id = mirror.id_of(document)?;
    // Scroll offsets are small; `as` saturates anything else.
    #[allow(clippy::cast_possible_truncation)]
    let (x, y) = (
        window.scroll_x().unwrap_or_default().round() as i32,
        window.scroll_y().unwrap_or_default().round() as i32,
    );
    (x != 0 || y != 0).then_some(EventData::Scroll { id, x, y })
}

fn record_media(recorder: &mut Recorder, event: &Event, action: MediaAction) {
    let Some(media) = event
        .target()
        .filter(|target| {
            as_node(target)
                .and_then(as_element)
                .is_some_and(|element| matches!(element.local_name().as_str(), "video" | "audio"))
        })
        .map(JsCast::unchecked_into::<HtmlMediaElement>)
    else {
        return;
    };
    let Some(id) = recorder.mirror().id_of(&media) else {
        return;
    };
    recorder.mirror().note_stateful(&media);
    recorder.record(EventData::Media(media_state(id, &media, action)));
}
