//! Beside the waterfall: the selected span in full (times, ids, its errors with their events
//! and issues, its data) and the trace's logs (clicking one selects the span it was written
//! in; the selected span's logs are marked).

use leptos::prelude::*;

use super::event_item;
use crate::backend::event_page_path;
use crate::trace::Trace;
use crate::waterfall::{Waterfall, format_duration, format_offset};

/// The selected span's details.
pub(super) fn span_detail(
    trace: StoredValue<Trace>,
    layout: StoredValue<Waterfall>,
    selected: RwSignal<Option<String>>,
) -> AnyView {
    (move || {
        let id = selected.get()?;
        let view = trace.with_value(|trace| {
            let (at, span) = trace
                .spans
                .iter()
                .enumerate()
                .find(|(_, s)| s.span_id == id)?;
            let (start, own) = layout.with_value(|l| {
                let own = l.rows.iter().find(|r| r.span == at).map(|r| r.self_ms);
                (l.start_ms, own)
            });
            let facts: Vec<(&'static str, String)> = [
                ("Service", Some(span.service.clone())),
                ("Operation", Some(span.op.clone())),
                ("Status", Some(span.status.clone())),
                ("Duration", Some(format_duration(span.duration_ms()))),
                ("Own time", own.map(format_duration)),
                ("Starts at", Some(format_offset(span.start_ms, start))),
                ("Start", Some(span.start.clone())),
                ("Span id", Some(span.span_id.clone())),
                ("Parent", span.parent_span_id.clone()),
                ("Transaction", span.transaction.clone()),
                ("Kind", Some(span.kind.clone())),
            ]
            .into_iter()
            .filter_map(|(label, value)| Some((label, value.filter(|v| !v.is_empty())?)))
            .collect();
            let errors = span
                .error_ids
                .iter()
                .map(|error| match trace.event(error) {
                    Some(event) => event_item(event).into_any(),
                    None => view! {
                        <li>
                            <a data-sl-trace-event=error.clone() href=event_page_path(error)>
                                {error.clone()}
                            </a>
                        </li>
                    }
                    .into_any(),
                })
                .collect_view();
            let transaction_event = span.event_id.clone().map(|event| {
                view! {
                    <p>
                        <a href=event_page_path(&event)>"Its transaction's event"</a>
                    </p>
                }
            });
            let data = span.data.entries();
            Some(view! {
                <section class="span-detail" data-sl-span-detail=span.span_id.clone()>
                    <h2>{span.label().to_owned()}</h2>
                    <dl class="metadata">
                        {facts
                            .into_iter()
                            .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }.into_any())
                            .collect_view()}
                    </dl>
                    {(!span.error_ids.is_empty())
                        .then(|| view! {
                            <h3 class="error">"Errors in this span"</h3>
                            <ul class="trace-events">{errors}</ul>
                        })}
                    {transaction_event}
                    {(!data.is_empty())
                        .then(|| view! {
                            <h3>"Data"</h3>
                            <table class="pairs">
                                <tbody>
                                    {data
                                        .into_iter()
                                        .map(|(key, value)| view! { <tr><th>{key}</th><td>{value}</td></tr> }.into_any())
                                        .collect_view()}
                                </tbody>
                            </table>
                        })}
                </section>
            }.into_any())
        })?;
        Some(view)
    })
    .into_any()
}

/// The console class of a log level (`warn` shows as a warning).
fn level_class(level: &str) -> &'static str {
    match level {
        "fatal" => "fatal",
        "error" => "error",
        "warn" | "warning" => "warning",
        "debug" | "trace" => "debug",
        _ => "info",
    }
}

/// The trace's logs, by time.
pub(super) fn logs_view(
    trace: StoredValue<Trace>,
    layout: StoredValue<Waterfall>,
    selected: RwSignal<Option<String>>,
) -> AnyView {
    let start = layout.with_value(|l| l.start_ms);
    let (items, left_out) = trace.with_value(|trace| {
        let items = trace
            .logs
            .iter()
            .enumerate()
            .map(|(index, log)| {
                let span = log.span_id.clone();
                let select = {
                    let span = span.clone();
                    move |_| {
                        if let Some(span) = span.clone() {
                            selected.set(Some(span.clone()));
                            reveal_span(&span);
                        }
                    }
                };
                let class = format!("log {}", level_class(&log.level));
                let class = move || {
                    let here = span.is_some() && selected.with(|s| *s == span);
                    if here {
                        format!("{class} current")
                    } else {
                        class.clone()
                    }
                };
                let attributes = log.attributes.entries();
                let title = attributes
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                view! {
                    <li
                        class=class
                        data-sl-log=index.to_string()
                        data-sl-log-span=log.span_id.clone()
                        title=title
                        on:click=select
                    >
                        <span class="level">{log.level.clone()}</span>
                        <span class="time" title=log.timestamp.clone()>
                            {format_offset(log.timestamp_ms, start)}
                        </span>
                        <span class="category">{log.service.clone()}</span>
                        <span class="message">{log.message.clone()}</span>
                    </li>
                }
                .into_any()
            })
            .collect_view();
        (items, trace.logs_left_out)
    });
    let empty = trace.with_value(|t| t.logs.is_empty());
    view! {
        <section class="trace-logs" data-sl-logs="">
            <h2>"Logs"</h2>
            {empty.then(|| view! { <p class="muted">"No logs were sent in this trace."</p> })}
            <ol class="console">{items}</ol>
            {(left_out > 0).then(|| view! { <p class="muted">{format!("{left_out} more logs not shown.")}</p> })}
        </section>
    }
    .into_any()
}

/// Scrolls the waterfall row of `span_id` into view.
fn reveal_span(span_id: &str) {
    let row = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(&format!(
            "[data-sl-span='{}']",
            span_id.replace(['\'', '\\'], "")
        ))
        .ok()
        .flatten()
    });
    if let Some(row) = row {
        row.scroll_into_view_with_bool(false);
    }
}
