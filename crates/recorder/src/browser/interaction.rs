//! What the user does: pointer and touch interactions, focus, mouse moves, scrolls, viewport
//! resizes, form input and media playback, plus the page-level listeners (errors, navigation,
//! hiding). Each listener turns a DOM event into a protocol event on the running recorder.

use sightline_protocol::v1::{
    EventData, Media, MediaAction, MouseInteraction, NavigationKind, NodeId,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, ErrorEvent, Event, HtmlMediaElement, MouseEvent, PromiseRejectionEvent, TouchEvent,
    VisibilityState, Window,
};

use super::error_value::{report_for_error_event, report_for_rejection};
use super::input::record_input;
use super::listener::{Listener, Phase};
use super::mirror::Mirror;
use super::recorder::{Recorder, viewport, with_recorder};
use crate::transport::Delivery;

/// Every listener of a recording.
pub(crate) fn listeners(window: &Window, document: &Document) -> Result<Vec<Listener>, JsValue> {
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
    listeners.push(Listener::new(window, "resize", Phase::Bubble, |_| {
        with_recorder(|recorder| {
            let (width, height) = viewport(recorder.window());
            recorder.throttle(|throttled, now| {
                throttled.resize(now, width, height);
                Vec::new()
            });
        });
    })?);
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
        path.get(0).dyn_into().ok()
    } else {
        event.target()
    }
}

/// The node an event happened on, as a recorded id (the nearest recorded ancestor when the
/// target itself is not recorded).
fn target_id(recorder: &Recorder, event: &Event) -> Option<NodeId> {
    let node = origin(event)?.dyn_into::<web_sys::Node>().ok()?;
    recorder.nearest_id(&node)
}

/// Where a pointer or touch event happened, in viewport pixels.
fn position(event: &Event) -> Option<(i32, i32)> {
    if let Some(mouse) = event.dyn_ref::<MouseEvent>() {
        return Some((mouse.client_x(), mouse.client_y()));
    }
    let touch = event.dyn_ref::<TouchEvent>()?.changed_touches().item(0)?;
    Some((touch.client_x(), touch.client_y()))
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
    let scroll = if target.dyn_ref::<Document>().is_some() {
        window_scroll(recorder.window(), recorder.mirror(), recorder.document())
    } else {
        let Some(element) = target.dyn_ref::<web_sys::Element>() else {
            return;
        };
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
        .and_then(|target| target.dyn_into::<HtmlMediaElement>().ok())
    else {
        return;
    };
    let Some(id) = recorder.mirror().id_of(&media) else {
        return;
    };
    // Media times, volumes and rates are small non-negative numbers; `as` saturates the rest.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let media = Media {
        id,
        action,
        current_time: (media.current_time() * 1000.0).round() as u32,
        volume: (media.volume() * 100.0).round() as u8,
        muted: media.muted(),
        rate: (media.playback_rate() * 100.0).round() as u16,
    };
    recorder.record(EventData::Media(media));
}
