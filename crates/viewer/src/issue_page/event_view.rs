//! The issue page's event: the navigation between the issue's events, the event's facts, its
//! stack trace (the application's frames open with their source lines and local variables,
//! library frames closed), breadcrumbs, request and user.

use leptos::prelude::*;

use crate::api::format_started;
use crate::backend::{BackendFrame, MAX_FRAMES};
use crate::event_detail::{EventDetail, source_lines};
use crate::issue::{Issue, IssueExtras, issue_event_page_path};
use crate::trace::trace_page_path;

/// The event part of the issue page.
#[component]
pub(super) fn EventSection(
    issue: RwSignal<Issue>,
    extras: RwSignal<IssueExtras>,
    /// The event shown: `None` while loading, an error message when it could not be loaded.
    event: Signal<Option<Result<EventDetail, String>>>,
) -> impl IntoView {
    let content = move || match event.get() {
        None => view! { <p class="muted">"Loading the event…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any(),
        Some(Ok(event)) => {
            let id = issue.with_untracked(|i| i.id.clone());
            let (oldest, newest) =
                extras.with_untracked(|e| (e.first_event_id.clone(), e.latest_event_id.clone()));
            view! {
                {event_nav(&id, &event, oldest, newest)}
                {event_view(event)}
            }
            .into_any()
        }
    };
    view! { <section class="issue-event" data-sl-issue-event="">{content}</section> }
}

/// Oldest · Previous · Next · Newest, each a link unless it would stay on this event.
fn event_nav(
    issue_id: &str,
    event: &EventDetail,
    oldest: Option<String>,
    newest: Option<String>,
) -> impl IntoView + use<> {
    let link = |key: &'static str, label: &'static str, target: Option<String>| match target
        .filter(|t| !t.is_empty() && *t != event.id)
    {
        Some(target) => view! {
            <a data-sl-event-nav=key href=issue_event_page_path(issue_id, &target)>
                {label}
            </a>
        }
        .into_any(),
        None => view! { <span class="disabled" data-sl-event-nav=key>{label}</span> }.into_any(),
    };
    view! {
        <nav class="event-nav">
            {link("oldest", "« Oldest", oldest)}
            {link("previous", "‹ Previous", event.previous_event_id.clone())}
            {link("next", "Next ›", event.next_event_id.clone())}
            {link("newest", "Newest »", newest)}
        </nav>
    }
}

fn event_view(event: EventDetail) -> impl IntoView {
    let frames: Vec<BackendFrame> = {
        let all = event.frames();
        all[all.len().saturating_sub(MAX_FRAMES)..]
            .iter()
            .rev()
            .cloned()
            .collect()
    };
    let any_in_app = frames.iter().any(|f| f.in_app == Some(true));
    let exception = event
        .exception
        .as_ref()
        .and_then(|e| e.values.last())
        .map(|e| {
            let kind = e.kind.clone().unwrap_or_default();
            match e.value.as_deref() {
                Some(value) if !kind.is_empty() => format!("{kind}: {value}"),
                Some(value) => value.to_owned(),
                None => kind,
            }
        })
        .filter(|e| !e.is_empty());
    let replay = event.replay_link();
    let facts: Vec<(&'static str, String)> = [
        ("Time", Some(format_started(&event.timestamp))),
        ("Release", event.release.clone()),
        ("Environment", Some(event.environment.clone())),
        ("Transaction", event.transaction.clone()),
        ("Server", event.server_name.clone()),
        ("Trace", event.trace_id.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| Some((label, value.filter(|v| !v.is_empty())?)))
    .collect();
    let stack = frames
        .into_iter()
        .enumerate()
        .map(|(i, frame)| {
            let open = frame.in_app == Some(true) || (!any_in_app && i == 0);
            frame_view(frame, open)
        })
        .map(|item| item.into_any())
        .collect_view();
    let breadcrumbs = event.breadcrumb_rows();
    let request = event.request_rows();
    let user = event.user_rows();
    view! {
        <h2>
            "Event " <code data-sl-event-id=event.id.clone()>{event.id.clone()}</code>
        </h2>
        <dl class="metadata event-facts">
            {facts
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                .map(|item| item.into_any()).collect_view()}
        </dl>
        {replay
            .map(|href| {
                view! {
                    <p>
                        <a data-sl-event-replay="" href=href>"Open the replay at this event"</a>
                    </p>
                }
            })}
        {event
            .trace_id
            .clone()
            .filter(|t| !t.is_empty())
            .map(|trace| {
                view! {
                    <p>
                        <a data-sl-trace-link=trace.clone() href=trace_page_path(&trace)>
                            "Follow this event's request across services (trace)"
                        </a>
                    </p>
                }
            })}
        <h3>"Stack trace"</h3>
        {exception.map(|e| view! { <p class="exception error-type">{e}</p> })}
        <ol class="issue-stack" data-sl-stack="">{stack}</ol>
        {rows_view("Breadcrumbs", "breadcrumbs", breadcrumbs.is_empty(), breadcrumbs_table(breadcrumbs))}
        {rows_view("Request", "request", request.is_empty(), pairs_table(request))}
        {rows_view("User", "user", user.is_empty(), pairs_table(user))}
    }
}

/// One frame: a `<details>` open for the application's frames, with source and variables.
fn frame_view(frame: BackendFrame, open: bool) -> impl IntoView {
    let in_app = frame.in_app == Some(true);
    let function = frame
        .function
        .clone()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "<anonymous>".to_owned());
    let location = [&frame.filename, &frame.abs_path, &frame.module]
        .into_iter()
        .find_map(|s| s.clone().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    let place = match frame.lineno {
        Some(line) => format!("{location}:{line}"),
        None => location,
    };
    let lines = source_lines(&frame)
        .into_iter()
        .map(|line| {
            view! {
                <li class:current=line.current>
                    <span class="lineno">{line.number.map(|n| n.to_string())}</span>
                    <code>{line.text}</code>
                </li>
            }
        })
        .map(|item| item.into_any())
        .collect_view();
    let vars = (!frame.vars.is_empty()).then(|| {
        view! {
            <table class="vars" data-sl-vars="">
                <tbody>
                    {frame
                        .vars
                        .into_iter()
                        .map(|(name, value)| {
                            view! {
                                <tr>
                                    <th>{name}</th>
                                    <td>
                                        <code>{value}</code>
                                    </td>
                                </tr>
                            }
                        })
                        .map(|item| item.into_any()).collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        <li class=if in_app { "frame in-app" } else { "frame" } data-sl-in-app=in_app.to_string()>
            <details open=open>
                <summary>
                    <span class="function">{function}</span>
                    " "
                    <span class="place">{place}</span>
                </summary>
                <ol class="source">{lines}</ol>
                {vars}
            </details>
        </li>
    }
}

fn rows_view(
    title: &'static str,
    key: &'static str,
    empty: bool,
    table: impl IntoView + 'static,
) -> impl IntoView {
    (!empty).then(|| {
        view! {
            <section class="event-rows" data-sl-event-section=key>
                <h3>{title}</h3>
                {table}
            </section>
        }
    })
}

fn pairs_table(rows: Vec<(String, String)>) -> impl IntoView {
    view! {
        <table class="pairs">
            <tbody>
                {rows
                    .into_iter()
                    .map(|(name, value)| {
                        view! {
                            <tr>
                                <th>{name}</th>
                                <td>{value}</td>
                            </tr>
                        }
                    })
                    .map(|item| item.into_any()).collect_view()}
            </tbody>
        </table>
    }
}

fn breadcrumbs_table(rows: Vec<crate::event_detail::BreadcrumbRow>) -> impl IntoView {
    view! {
        <table class="pairs breadcrumbs">
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        view! {
                            <tr class=format!("level-{}", row.level)>
                                <td class="muted">{row.time}</td>
                                <td>{row.category}</td>
                                <td>{row.message}</td>
                            </tr>
                        }
                    })
                    .map(|item| item.into_any()).collect_view()}
            </tbody>
        </table>
    }
}
