//! The player's chrome around the replayed page: timeline markers, the activity graph, the
//! mouse pointer overlay and the console panel. Each reads the [`Controls`] signals and reports seeks
//! through a callback; none holds logic of its own.

use leptos::prelude::*;

use super::controls::Controls;
use crate::api::format_clock;
use crate::markers::{LevelGroup, MarkerKind, backend_markers, level_name};

/// The markers along the scrubber: errors, clicks, navigations, failed requests, and the
/// backend errors with a hover card (title, service, release, status, a link to the event).
#[component]
pub(super) fn Markers(
    controls: Controls,
    on_seek: Callback<u64>,
    on_error: Option<Callback<(u64, String)>>,
    /// Prefix of the links to event pages (the server's origin for an embedded player).
    link_base: String,
) -> impl IntoView {
    let percent = move |offset: u64| {
        let duration = controls.duration.get().max(1);
        (offset.min(duration) as f64) * 100.0 / duration as f64
    };
    let markers = move || {
        let mut markers = controls.markers.get();
        // Errors last, so that they are drawn above clicks at the same moment.
        markers.sort_by_key(|m| (m.kind == MarkerKind::Error, m.offset));
        markers
            .into_iter()
            .map(|marker| {
                let offset = marker.offset;
                let is_error = marker.kind == MarkerKind::Error;
                let label = marker.label.clone();
                let click = move |_| {
                    on_seek.run(offset);
                    if let Some(on_error) = on_error.filter(|_| is_error) {
                        on_error.run((offset, label.clone()));
                    }
                };
                view! {
                    <button
                        class=format!("marker {}", marker.kind.as_str())
                        data-sl-marker=marker.kind.as_str()
                        data-sl-offset=offset.to_string()
                        title=marker.label.clone()
                        style=move || format!("left:{:.3}%", percent(offset))
                        on:click=click
                    ></button>
                }
            })
            .collect_view()
    };
    let backend = move || {
        let link_base = link_base.clone();
        controls.placed.with(|placed| {
            backend_markers(placed)
                .into_iter()
                .map(|marker| {
                    let offset = marker.offset;
                    let label = marker.label();
                    let title = marker.title.clone();
                    let click = move |_| {
                        on_seek.run(offset);
                        if let Some(on_error) = on_error {
                            on_error.run((offset, title.clone()));
                        }
                    };
                    let details = marker.details();
                    view! {
                        <span
                            class="marker-slot"
                            style=move || format!("left:{:.3}%", percent(offset))
                        >
                            <button
                                class="marker backend"
                                data-sl-marker="backend"
                                data-sl-offset=offset.to_string()
                                data-sl-event=marker.event_id.clone()
                                title=label.clone()
                                aria-label=label
                                on:click=click
                            ></button>
                            <span class="marker-card" role="tooltip" data-sl-marker-card="">
                                <strong>{marker.title.clone()}</strong>
                                {(!details.is_empty()).then(|| view! { <span>{details}</span> })}
                                <a
                                    href=format!("{link_base}{}", marker.link)
                                    target=(!link_base.is_empty()).then_some("_blank")
                                    rel="noopener"
                                >
                                    "Open event"
                                </a>
                            </span>
                        </span>
                    }
                })
                .collect_view()
        })
    };
    view! { <div class="markers">{markers}{backend}</div> }
}

/// The activity graph under the scrubber (events per slice of the replay), the idle
/// stretches that skip inactivity jumps over, shaded, and the stretches of lost segments.
#[component]
pub(super) fn ActivityGraph(controls: Controls) -> impl IntoView {
    let percent = move |offset: u64| {
        let duration = controls.duration.get().max(1);
        (offset.min(duration) as f64) * 100.0 / duration as f64
    };
    let bars = move || {
        let heights = controls.activity.get();
        let width = 100.0 / heights.len().max(1) as f64;
        heights
            .into_iter()
            .enumerate()
            .filter(|(_, h)| *h > 0)
            .map(|(i, h)| {
                let style = format!(
                    "left:{:.3}%;width:{width:.3}%;height:{h}%",
                    i as f64 * width
                );
                view! { <span class="bar" style=style></span> }
            })
            .collect_view()
    };
    let idle = move || {
        controls
            .idle
            .get()
            .into_iter()
            .map(|range| {
                let style = move || {
                    let left = percent(range.start);
                    format!("left:{left:.3}%;width:{:.3}%", percent(range.end) - left)
                };
                view! {
                    <span
                        class="idle"
                        data-sl-idle=format!("{}-{}", range.start, range.end)
                        title="No user activity"
                        style=style
                    ></span>
                }
            })
            .collect_view()
    };
    // A lost segment's stretch: the replay goes on across it, without its events.
    let gaps = move || {
        controls
            .gaps
            .get()
            .into_iter()
            .map(|gap| {
                let style = move || {
                    let left = percent(gap.start);
                    format!(
                        "left:{left:.3}%;width:max(3px,{:.3}%)",
                        percent(gap.end) - left
                    )
                };
                view! {
                    <span
                        class="gap"
                        data-sl-marker="gap"
                        data-sl-gap=format!("{}-{}", gap.start, gap.end)
                        style=style
                    ></span>
                }
            })
            .collect_view()
    };
    view! {
        <div class="activity" data-sl-activity="" aria-hidden="true">
            {bars}
            {idle}
            {gaps}
        </div>
    }
}

/// The recorded mouse pointer over the page, a ripple where the user clicked and, when turned
/// on, a trail along its recent path. It lies in
/// the replayed page's coordinates (inside the scaled screen), never in the page itself.
#[component]
pub(super) fn PointerLayer(controls: Controls) -> impl IntoView {
    let cursor_style = move || match controls.pointer.get() {
        Some((x, y)) => format!("transform:translate({x:.1}px,{y:.1}px)"),
        None => "display:none".to_owned(),
    };
    // Keyed by the click: a new click makes a new element, whose animation starts afresh.
    let ripple = move || {
        controls.ripple.get().map(|click| {
            view! {
                <div
                    class="ripple"
                    data-sl-ripple=click.offset.to_string()
                    style=format!("left:{}px;top:{}px", click.x, click.y)
                ></div>
            }
        })
    };
    let trail = move || {
        let points = controls.trail.get();
        (!points.is_empty()).then(|| {
            let points: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            view! {
                <svg class="trail" data-sl-trail="">
                    <polyline points=points.join(" ")></polyline>
                </svg>
            }
        })
    };
    view! {
        <div class="pointer-layer" aria-hidden="true">
            {trail}
            {ripple}
            <div class="cursor" data-sl-cursor="" style=cursor_style>
                <svg viewBox="0 0 16 24" width="16" height="24">
                    <path
                        d="M1 1 L1 19 L6 14.5 L9.5 22 L12.5 20.7 L9 13.3 L15 13.3 Z"
                        fill="#1d2330"
                        stroke="#fff"
                        stroke-width="1.5"
                        stroke-linejoin="round"
                    ></path>
                </svg>
            </div>
        </div>
    }
}

/// Console messages and breadcrumbs up to the playhead, the latest in view.
#[component]
pub(super) fn ConsolePanel(controls: Controls, on_seek: Callback<u64>) -> impl IntoView {
    let list = NodeRef::<leptos::html::Ol>::new();
    let shown = Memo::new(move |_| {
        let time = controls.time.get();
        controls
            .crumbs
            .with(|crumbs| crumbs.partition_point(|c| c.offset <= time))
    });
    // The level groups the user turned off.
    let hidden = RwSignal::new(Vec::<LevelGroup>::new());
    let filters = LevelGroup::ALL
        .into_iter()
        .map(|group| {
            let count = move || {
                let time = controls.time.get();
                controls.crumbs.with(|crumbs| {
                    crumbs
                        .iter()
                        .take_while(|c| c.offset <= time)
                        .filter(|c| LevelGroup::of(c.level) == group)
                        .count()
                })
            };
            view! {
                <button
                    class="toggle level-filter"
                    data-sl-level-filter=group.as_str()
                    aria-pressed=move || (!hidden.with(|h| h.contains(&group))).to_string()
                    on:click=move |_| {
                        hidden.update(|h| {
                            if let Some(at) = h.iter().position(|g| *g == group) {
                                h.remove(at);
                            } else {
                                h.push(group);
                            }
                        })
                    }
                >
                    {group.label()}
                    " "
                    <span class="count">{count}</span>
                </button>
            }
        })
        .collect_view();
    let entries = move || {
        let count = shown.get();
        let hidden = hidden.get();
        controls.crumbs.with(|crumbs| {
            crumbs[..count.min(crumbs.len())]
                .iter()
                .filter(|crumb| !hidden.contains(&LevelGroup::of(crumb.level)))
                .map(|crumb| {
                    let offset = crumb.offset;
                    let level = level_name(crumb.level);
                    view! {
                        <li data-sl-level=level class=level>
                            <button class="link" on:click=move |_| on_seek.run(offset)>
                                {format_clock(offset)}
                            </button>
                            <span class="level">{level}</span>
                            <span class="category">{crumb.category.clone()}</span>
                            <span class="message">{crumb.message.clone()}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    Effect::new(move || {
        shown.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <div class="level-filters" role="group" aria-label="Console levels">
            {filters}
        </div>
        <ol class="console" data-sl-console="" node_ref=list>
            {entries}
        </ol>
        {move || {
            (shown.get() == 0)
                .then(|| view! { <p class="muted">"No console messages up to this moment."</p> })
        }}
    }
}
