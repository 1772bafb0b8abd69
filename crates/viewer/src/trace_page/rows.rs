//! The waterfall: a time axis, then one row per span (indented under its parent, its bar on
//! the trace's time axis in its service's colour), the failing and slow spans marked.

use leptos::prelude::*;

use crate::trace::Trace;
use crate::waterfall::{Waterfall, WaterfallRow, axis_ticks, format_duration};

/// Indentation per level, px.
const INDENT_PX: usize = 14;

/// The waterfall of every span; clicking a span selects it.
pub(super) fn waterfall_view(
    trace: StoredValue<Trace>,
    layout: StoredValue<Waterfall>,
    selected: RwSignal<Option<String>>,
) -> AnyView {
    let ticks = layout.with_value(|l| axis_ticks(l.duration_ms));
    let axis = ticks
        .into_iter()
        .map(|(percent, label)| {
            view! { <span class="tick" style=format!("left:{percent:.0}%")>{label}</span> }
                .into_any()
        })
        .collect_view();
    let rows = layout.with_value(|l| {
        trace.with_value(|t| {
            l.rows
                .iter()
                .map(|row| span_row(t, row, selected).into_any())
                .collect_view()
        })
    });
    view! {
        <div class="waterfall" data-sl-waterfall="">
            <div class="span-row axis">
                <div class="span-name muted">"Service · operation"</div>
                <div class="span-track">{axis}</div>
                <div class="span-duration muted">"Duration"</div>
                <div class="span-status muted">"Status"</div>
            </div>
            {rows}
        </div>
    }
    .into_any()
}

fn span_row(
    trace: &Trace,
    row: &WaterfallRow,
    selected: RwSignal<Option<String>>,
) -> impl IntoView + use<> {
    let span = &trace.spans[row.span];
    let id = span.span_id.clone();
    let mut class = String::from("span-row");
    for (on, name) in [
        (row.error, " error"),
        (row.error_path && !row.error, " error-path"),
        (row.slow, " slow"),
        (span.status_failed(), " status-failed"),
    ] {
        if on {
            class.push_str(name);
        }
    }
    let class = {
        let id = id.clone();
        move || {
            if selected.with(|s| s.as_deref() == Some(id.as_str())) {
                format!("{class} selected")
            } else {
                class.clone()
            }
        }
    };
    let select = {
        let id = id.clone();
        move |_| selected.set(Some(id.clone()))
    };
    let bar = format!(
        "left:{:.3}%;width:{:.3}%;background:{}",
        row.offset, row.width, row.colour
    );
    let title = format!(
        "{} · {} · {} (own time {})",
        span.service,
        span.label(),
        format_duration(span.duration_ms()),
        format_duration(row.self_ms)
    );
    view! {
        <div
            class=class
            data-sl-span=id
            data-sl-service=span.service.clone()
            data-sl-depth=row.depth.to_string()
            data-sl-span-error=row.error.then_some("")
            data-sl-slow=row.slow.then_some("")
            on:click=select
        >
            <div class="span-name" style=format!("padding-left:{}px", row.indent() * INDENT_PX)>
                <span class="service-chip" style=format!("background:{}", row.colour)></span>
                <button class="link service">{span.service.clone()}</button>
                " "
                <span class="op muted">{span.op.clone()}</span>
                " "
                <span class="description" title=span.description.clone()>{span.label().to_owned()}</span>
            </div>
            <div class="span-track" title=title>
                <div class="span-bar" style=bar></div>
            </div>
            <div class="span-duration">
                {format_duration(span.duration_ms())}
                {row.slow.then(|| view! { <span class="badge slow">"slow"</span> })}
            </div>
            <div class="span-status">
                {row.error.then(|| view! { <span class="badge level-error">"error"</span> })}
                " "
                {span.status.clone()}
            </div>
        </div>
    }
}
