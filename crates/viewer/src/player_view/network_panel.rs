//! The network panel: every request the page made, synchronized with the playhead (requests not
//! answered yet are dimmed, the latest answered one is marked current), failed and 5xx requests
//! highlighted, the backend errors each request caused inline in its row, and a link to the
//! trace of each traced request (`/traces/{trace_id}`). A row stands at the moment its response
//! came in (or the request failed): that is where clicking it seeks, as the timeline's markers
//! do. Rows come from [`crate::network`].

use leptos::prelude::*;

use super::controls::Controls;
use crate::api::format_clock;
use crate::network::{NetworkRow, PlacedEvent, current_row, display_url, format_size};
use crate::player::PlaybackState;
use crate::trace::trace_page_path;

/// The network panel.
#[component]
pub(super) fn NetworkPanel(
    controls: Controls,
    on_seek: Callback<u64>,
    /// Prefix of the links to event pages.
    link_base: String,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let current = Memo::new(move |_| {
        let time = controls.time.get();
        controls.requests.with(|rows| current_row(rows, time))
    });
    let rows = move || {
        let link_base = link_base.clone();
        let placed = controls.placed.get();
        let page_url = controls
            .meta
            .with(|m| m.as_ref().map(|m| m.href.clone()))
            .unwrap_or_default();
        controls
            .requests
            .get()
            .into_iter()
            .enumerate()
            .map(|(index, row)| {
                let errors: Vec<PlacedEvent> = placed
                    .iter()
                    .filter(|p| p.row == Some(index))
                    .cloned()
                    .collect();
                request_row(index, row, errors, current, on_seek, &link_base, &page_url).into_any()
            })
            .collect_view()
    };
    // While playing, keep the current request in view (without scrolling the page).
    Effect::new(move || {
        let Some(index) = current.get() else {
            return;
        };
        if controls.state.get_untracked() != PlaybackState::Playing {
            return;
        }
        let Some(container) = container.get_untracked() else {
            return;
        };
        let selector = format!("[data-sl-row='{index}']");
        if let Ok(Some(row)) = container.query_selector(&selector)
            && let Ok(row) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(row)
        {
            let top = row.offset_top() - container.client_height() / 2;
            container.set_scroll_top(top.max(0));
        }
    });
    view! {
        <div class="network-scroll" node_ref=container>
            <table class="network" data-sl-network="">
                <thead>
                    <tr>
                        <th>"Time"</th>
                        <th>"Method"</th>
                        <th>"URL"</th>
                        <th class="num">"Status"</th>
                        <th class="num">"Duration"</th>
                        <th class="num">"Size"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {move || {
            controls
                .requests
                .with(Vec::is_empty)
                .then(|| view! { <p class="muted">"No requests recorded."</p> })
        }}
    }
}

fn request_row(
    index: usize,
    row: NetworkRow,
    errors: Vec<PlacedEvent>,
    current: Memo<Option<usize>>,
    on_seek: Callback<u64>,
    link_base: &str,
    page_url: &str,
) -> impl IntoView + use<> {
    let offset = row.offset;
    let mut class = String::from("request");
    if row.failed() {
        class.push_str(" failed");
    } else if row.server_error() {
        class.push_str(" server-error");
    } else if row.status >= 400 {
        class.push_str(" client-error");
    }
    let class = move || {
        let position = match current.get() {
            Some(c) if c == index => " current",
            Some(c) if c > index => "",
            _ => " future",
        };
        format!("{class}{position}")
    };
    let external = !link_base.is_empty();
    let inline = errors
        .into_iter()
        .map(|placed| {
            let event = placed.event;
            let service = event.service_label();
            view! {
                <a
                    class="backend-error"
                    data-sl-backend-error=event.id.clone()
                    href=format!("{link_base}{}", event.page_path())
                    target=external.then_some("_blank")
                    rel="noopener"
                    on:click=|ev| ev.stop_propagation()
                >
                    <span class="badge backend">"Backend"</span>
                    <span class="error-type">{event.title.clone()}</span>
                    {service.map(|s| view! { <span class="muted">{s}</span> })}
                </a>
            }
        })
        .collect_view();
    // The request's trace: the backend spans, errors and logs it caused. (The click is left to
    // bubble: the router takes links' clicks at the document; the row's seek is harmless.)
    let trace = (!row.trace_id.is_empty()).then(|| {
        view! {
            <a
                class="trace-link"
                data-sl-trace-link=row.trace_id.clone()
                href=format!("{link_base}{}", trace_page_path(&row.trace_id))
                target=external.then_some("_blank")
                rel="noopener"
                title="Follow this request across the backend services"
            >
                "trace"
            </a>
        }
    });
    let url = row.url.clone();
    let key = row.key();
    let status = row.status_label();
    let highlighted = row.highlighted();
    // Rows are placed (and seek) where the response came in, like the markers and the errors.
    let answered = format_clock(row.offset);
    let timing = format!(
        "Started at {}, answered after {} ms",
        format_clock(row.start),
        row.duration
    );
    view! {
        <tr
            class=class
            data-sl-request=key
            data-sl-row=index.to_string()
            data-sl-status=row.status.to_string()
            data-sl-highlight=highlighted.then_some("")
            aria-current=move || (current.get() == Some(index)).then_some("true")
            on:click=move |_| on_seek.run(offset)
        >
            <td title=timing>
                <button class="link" on:click=move |ev| {
                    ev.stop_propagation();
                    on_seek.run(offset);
                }>{answered}</button>
            </td>
            <td class="method">{row.method}</td>
            <td class="url">
                <span class="request-url" title=url.clone()>{display_url(&url, page_url)}</span>
                {trace}
                {inline}
            </td>
            <td class="num status">{status}</td>
            <td class="num">{format!("{} ms", row.duration)}</td>
            <td class="num">{row.response_size.map(format_size).unwrap_or_default()}</td>
        </tr>
    }
}
