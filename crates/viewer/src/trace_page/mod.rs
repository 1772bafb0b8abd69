//! The `/traces/{trace_id}` page: the failing request followed across services. The service
//! that failed is named at the top with the trace's errors, its replays and their issues one
//! click away; below, the waterfall of every span (see [`crate::waterfall`] for the layout and
//! the slow-span rule) beside the selected span's details and the trace's logs. Clicking a span
//! selects it; clicking a log selects the span it was written in. The page opens on the span
//! the error happened in.

mod rows;
mod side;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::{JsCast, JsValue};

use self::rows::waterfall_view;
use self::side::{logs_view, span_detail};
use crate::api::replay_path;
use crate::app::TokenGate;
use crate::backend::event_page_path;
use crate::http::{FetchError, api_resource, from_loose, from_value};
use crate::issue::issue_page_path;
use crate::loose::{FromLoose, Loose};
use crate::trace::{MAX_EVENTS, MAX_LOGS, MAX_SPANS, Trace, TraceEvent, trace_path};
use crate::waterfall::{
    Waterfall, failing_service, first_selected, format_duration, replay_link, request_start,
    waterfall,
};

/// Most replay links shown (a trace is normally one page view's).
const MAX_REPLAY_LINKS: usize = 5;

/// The trace page.
#[component]
pub fn TracePage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <TokenGate>
            {move || params.with(|p| p.get("id")).map(trace_view)}
        </TokenGate>
    }
}

/// A path that never changes, for [`api_resource`] (one closure type for both of the page's
/// resources keeps the bundle smaller).
fn fixed(path: String) -> impl Fn() -> Option<String> + 'static {
    move || Some(path.clone())
}

/// Reads the API's answer: the small fields through one [`Loose`] value, the span, log and
/// event lists item by item up to their caps (longer than a [`Loose`] list holds).
fn read_trace(value: &JsValue) -> Result<Trace, FetchError> {
    let field = |key: &str| js_sys::Reflect::get(value, &key.into()).unwrap_or_default();
    let mut head = Vec::new();
    for key in ["trace_id", "replay_ids", "services", "failing_service"] {
        head.push((key.to_owned(), from_value::<Loose>(&field(key))?));
    }
    let mut trace = Trace::from_loose(&Loose::Map(head));
    let (spans, spans_left_out) = read_list(&field("spans"), MAX_SPANS)?;
    let (logs, logs_left_out) = read_list(&field("logs"), MAX_LOGS)?;
    trace.events = read_list(&field("events"), MAX_EVENTS)?.0;
    trace.spans = spans;
    trace.logs = logs;
    trace.spans_left_out = spans_left_out;
    trace.logs_left_out = logs_left_out;
    Ok(trace)
}

/// The first `cap` items of a JS array read as `T`, and how many were left out.
fn read_list<T: FromLoose>(list: &JsValue, cap: usize) -> Result<(Vec<T>, usize), FetchError> {
    let Some(array) = list.dyn_ref::<js_sys::Array>() else {
        return Ok((Vec::new(), 0));
    };
    let length = array.length();
    let mut items = Vec::new();
    for at in 0..length.min(u32::try_from(cap).unwrap_or(u32::MAX)) {
        items.push(from_loose::<T>(&array.get(at))?);
    }
    let left_out = (length as usize).saturating_sub(items.len());
    Ok((items, left_out))
}

fn trace_view(id: String) -> AnyView {
    let path = trace_path(&id);
    let answer = api_resource(fixed(path));
    let shown_id = id.clone();
    let body = move || {
        match answer.get() {
        None => view! { <p class="muted">"Loading the trace…"</p> }.into_any(),
        Some(Err(FetchError::Status { status: 404, .. })) => view! {
            <p class="muted" data-sl-trace-missing="">
                "Nothing with this trace id has been received: no recorded request, span, error or log."
            </p>
        }
        .into_any(),
        Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
        Some(Ok(value)) => match read_trace(&value) {
            Ok(trace) => trace_body(trace),
            Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
        },
    }
    };
    view! {
        <section class="trace-page" data-sl-trace=id>
            <h1>"Trace " <code>{shown_id}</code></h1>
            {body}
        </section>
    }
    .into_any()
}

/// A loaded trace: its summary, waterfall, selected span and logs.
fn trace_body(trace: Trace) -> AnyView {
    let layout = waterfall(&trace);
    let selected = RwSignal::new(first_selected(&trace, &layout));
    let summary = summary_view(&trace, &layout);
    let trace = StoredValue::new(trace);
    let layout = StoredValue::new(layout);
    view! {
        {summary}
        <div class="trace-columns">
            {waterfall_view(trace, layout, selected)}
            <aside class="trace-side">
                {span_detail(trace, layout, selected)} {logs_view(trace, layout, selected)}
            </aside>
        </div>
    }
    .into_any()
}

/// Which service failed and with what, the counts, the services' colours, the replays.
fn summary_view(trace: &Trace, layout: &Waterfall) -> AnyView {
    let verdict = match failing_service(trace, layout) {
        Some(service) => view! {
            <p class="trace-verdict error">
                <strong data-sl-failing-service="">{service}</strong>
                " failed"
            </p>
        }
        .into_any(),
        None => view! { <p class="trace-verdict muted">"No errors in this trace."</p> }.into_any(),
    };
    let legend = layout
        .services
        .iter()
        .map(|(name, colour)| {
            view! {
                <li data-sl-service-legend=name.clone()>
                    <span class="service-chip" style=format!("background:{colour}")></span>
                    {name.clone()}
                </li>
            }
            .into_any()
        })
        .collect_view();
    let replays = trace
        .replay_ids
        .iter()
        .take(MAX_REPLAY_LINKS)
        .map(|id| replay_link_view(id.clone(), request_start(trace, id)))
        .collect_view();
    let more_spans = (trace.spans_left_out > 0)
        .then(|| format!(" ({} more spans not shown)", trace.spans_left_out));
    view! {
        <header class="trace-head">
            {verdict}
            <ul class="trace-events">{trace.events.iter().map(event_item).collect_view()}</ul>
            <dl class="issue-counts">
                <dt>"Duration"</dt>
                <dd data-sl-trace-duration="">{format_duration(layout.duration_ms)}</dd>
                <dt>"Spans"</dt>
                <dd>{trace.spans.len()} {more_spans}</dd>
                <dt>"Errors"</dt>
                <dd>{trace.events.len()}</dd>
                <dt>"Logs"</dt>
                <dd>{trace.logs.len() + trace.logs_left_out}</dd>
            </dl>
            <ul class="trace-services">{legend}</ul>
            {(!trace.replay_ids.is_empty())
                .then(|| view! { <p class="trace-replays">"Recorded by " {replays}</p> })}
        </header>
    }
    .into_any()
}

/// One error of the trace: its title linking to the event, its service, its issue.
pub(crate) fn event_item(event: &TraceEvent) -> AnyView {
    let issue = event.issue_id.clone().map(|issue| {
        view! {
            " · "
            <a data-sl-trace-issue=issue.clone() href=issue_page_path(&issue)>
                "issue " {issue.clone()}
            </a>
        }
    });
    view! {
        <li>
            <a class="error-type" data-sl-trace-event=event.id.clone() href=event_page_path(&event.id)>
                {if event.title.is_empty() { event.id.clone() } else { event.title.clone() }}
            </a>
            " "
            <span class="muted">{event.service.clone()}</span>
            {issue}
        </li>
    }
    .into_any()
}

/// A link to a replay that recorded the trace, at the trace's first browser request once the
/// replay's start is known.
fn replay_link_view(id: String, request_start: Option<f64>) -> AnyView {
    let path = replay_path(&id);
    let summary = api_resource(fixed(path));
    let replay = id.clone();
    let href = move || {
        let started = summary.with(|answer| {
            answer
                .as_ref()
                .and_then(|a| a.as_ref().ok())
                .and_then(|value| from_value::<Loose>(value).ok())
                .and_then(|v| v.number("started_at_ms"))
        });
        replay_link(&replay, request_start, started)
    };
    view! {
        <a class="trace-replay" data-sl-trace-replay=id.clone() href=href>
            "the replay " <code>{crate::format::short_sha(&id)}</code>
        </a>
        " "
    }
    .into_any()
}
