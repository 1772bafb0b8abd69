//! The errors panel: the page's JS errors and the backend errors in time order, each with its
//! stack trace (the application's frames highlighted, library frames folded), then the segments
//! that could not be loaded. The entries come from [`crate::error_list`].

use leptos::prelude::*;

use super::controls::Controls;
use crate::api::format_clock;
use crate::error_list::{ErrorEntry, ErrorSource, error_entries};
use crate::stack::{FrameGroup, FrameRow, group_frames, split_visible};

/// The errors panel.
#[component]
pub(super) fn ErrorsPanel(
    controls: Controls,
    on_seek: Callback<u64>,
    /// Prefix of the links to event pages.
    link_base: String,
) -> impl IntoView {
    let entries = Memo::new(move |_| {
        let page_url = controls
            .meta
            .with(|m| m.as_ref().map(|m| m.href.clone()))
            .unwrap_or_default();
        controls.errors.with(|js| {
            controls
                .placed
                .with(|placed| error_entries(js, placed, &page_url))
        })
    });
    let list = move || {
        let link_base = link_base.clone();
        entries
            .get()
            .into_iter()
            .map(|entry| error_item(entry, on_seek, &link_base, controls).into_any())
            .collect_view()
    };
    let gap_list = move || {
        controls
            .gaps
            .get()
            .into_iter()
            .map(|gap| {
                view! {
                    <li class="gap">
                        {format!("Segment {} could not be loaded: {}", gap.index, gap.reason)}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <ul class="errors" data-sl-errors="">
            {list}
        </ul>
        {move || {
            entries
                .with(Vec::is_empty)
                .then(|| view! { <p class="muted">"No errors in this replay."</p> })
        }}
        {move || {
            controls
                .backend_failure
                .get()
                .map(|reason| {
                    view! {
                        <p class="muted" data-sl-backend-failure="">
                            {format!("Backend errors could not be loaded: {reason}")}
                        </p>
                    }
                })
        }}
        <ul class="gaps">{gap_list}</ul>
        {move || {
            let skipped = controls.skipped.get();
            (skipped > 0)
                .then(|| {
                    view! {
                        <p class="muted">
                            {format!("{skipped} recorded changes referred to unknown nodes and were skipped.")}
                        </p>
                    }
                })
        }}
    }
}

fn error_item(
    entry: ErrorEntry,
    on_seek: Callback<u64>,
    link_base: &str,
    controls: Controls,
) -> impl IntoView + use<> {
    let source = entry.source;
    let seek = entry.offset;
    let clock = seek.map_or_else(|| "—".to_owned(), format_clock);
    let badge = match source {
        ErrorSource::Page => "JS",
        ErrorSource::Backend => "Backend",
    };
    let link = entry.link.map(|path| {
        let external = !link_base.is_empty();
        view! {
            <a
                class="event-link"
                href=format!("{link_base}{path}")
                target=external.then_some("_blank")
                rel="noopener"
            >
                "Open event"
            </a>
        }
    });
    let frames = entry.frames;
    let stack = if frames.is_empty() {
        let waiting = source == ErrorSource::Backend;
        view! {
            <p class="muted no-stack">
                {move || {
                    if waiting && controls.backend_details_loading.get() {
                        "Loading the stack trace…"
                    } else {
                        "No stack trace."
                    }
                }}
            </p>
        }
        .into_any()
    } else {
        stack_view(&frames).into_any()
    };
    view! {
        <li
            class=format!("error-entry {}", source.as_str())
            data-sl-error=entry.event_id
            data-sl-error-source=source.as_str()
        >
            <div class="error-head">
                <button
                    class="link"
                    disabled=seek.is_none()
                    on:click=move |_| {
                        if let Some(t) = seek {
                            on_seek.run(t);
                        }
                    }
                >
                    {clock}
                </button>
                <span class=format!("badge {}", source.as_str())>{badge}</span>
                <button
                    class="link error-type"
                    title="Go to this moment"
                    disabled=seek.is_none()
                    on:click=move |_| {
                        if let Some(t) = seek {
                            on_seek.run(t);
                        }
                    }
                >
                    {entry.title}
                </button>
                {link}
            </div>
            {entry.details.map(|details| view! { <div class="muted error-details">{details}</div> })}
            {stack}
        </li>
    }
}

/// A stack trace, innermost frame first, library runs folded, a long stack's tail behind
/// "N more frames".
pub(crate) fn stack_view(frames: &[FrameRow]) -> impl IntoView + use<> {
    let (shown, rest, hidden) = split_visible(group_frames(frames));
    let more = (!rest.is_empty()).then(|| {
        view! {
            <li class="more">
                <details>
                    <summary>{format!("{hidden} more frames")}</summary>
                    <ol class="stack">{groups_view(rest)}</ol>
                </details>
            </li>
        }
    });
    view! { <ol class="stack" data-sl-stack="">{groups_view(shown)}{more}</ol> }
}

fn groups_view(groups: Vec<FrameGroup>) -> AnyView {
    groups
        .into_iter()
        .map(|group| match group {
            FrameGroup::Frame(frame) => frame_view(frame).into_any(),
            FrameGroup::Library(run) => {
                let count = run.len();
                let label = if count == 1 {
                    "1 library frame".to_owned()
                } else {
                    format!("{count} library frames")
                };
                view! {
                    <li class="library">
                        <details>
                            <summary>{label}</summary>
                            <ol class="stack">
                                {run.into_iter().map(|f| frame_view(f).into_any()).collect_view()}
                            </ol>
                        </details>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view()
        .into_any()
}

fn frame_view(frame: FrameRow) -> impl IntoView {
    let place = frame.place();
    view! {
        <li class=if frame.in_app { "frame in-app" } else { "frame" } data-sl-in-app=frame.in_app.to_string()>
            <span class="function">{frame.function}</span>
            {(!place.is_empty()).then(|| view! { <span class="place">{place}</span> })}
            {frame.source.map(|line| view! { <code class="source">{line}</code> })}
        </li>
    }
}
