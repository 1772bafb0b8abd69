//! The `/events/{event_id}` page: looks the event up and opens its replay at the error (see
//! [`crate::deep_link`]); an event without a replay says so and shows the event itself: title,
//! service, release, stack trace and tags.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::app::{Auth, TokenGate};
use crate::backend::BackendEvent;
use crate::deep_link::event_path;
use crate::http::{FetchError, get_json};
use crate::player_view::stack_view;
use crate::stack::backend_event_frames;
use crate::trace::trace_page_path;

/// What the page shows while and after looking the event up.
#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    Loading,
    NoReplay(Box<BackendEvent>),
    Failed(String),
}

/// The event page.
#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <TokenGate>
            {move || params.with(|p| p.get("id")).map(|id| view! { <EventRedirect id=id /> })}
        </TokenGate>
    }
}

#[component]
fn EventRedirect(id: String) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let navigate = use_navigate();
    let lookup = RwSignal::new(Lookup::Loading);
    let path = event_path(&id);
    leptos::task::spawn_local(async move {
        let Some(token) = auth.token_untracked() else {
            return;
        };
        match get_json::<BackendEvent>(&path, &token).await {
            Ok(event) => match event.replay_link() {
                Some(link) => navigate(
                    &link,
                    NavigateOptions {
                        replace: true,
                        ..NavigateOptions::default()
                    },
                ),
                None => {
                    lookup.try_set(Lookup::NoReplay(Box::new(event.bounded())));
                }
            },
            Err(FetchError::Unauthorized) => auth.reject(),
            Err(error) => {
                lookup.try_set(Lookup::Failed(error.to_string()));
            }
        }
    });
    let shown_id = id.clone();
    view! {
        <section class="event event-page" data-sl-event=shown_id>
            {move || match lookup.get() {
                Lookup::Loading => view! { <p class="muted">"Opening the replay at this event…"</p> }.into_any(),
                Lookup::NoReplay(event) => event_details(*event).into_any(),
                Lookup::Failed(message) => {
                    view! {
                        <h1>"Event " <code>{id.clone()}</code></h1>
                        <p class="error">{message}</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The event itself, for an event that no replay recorded.
fn event_details(event: BackendEvent) -> impl IntoView {
    let facts: Vec<(&'static str, String)> = [
        ("Service", event.service_label()),
        ("Release", event.release.clone()),
        ("Environment", Some(event.environment.clone())),
        ("Level", Some(event.level.clone())),
        ("Status", event.status().map(|s| s.to_string())),
        ("Culprit", event.culprit.clone()),
        ("Time", Some(event.timestamp.clone())),
        ("Trace", event.trace().map(str::to_owned)),
    ]
    .into_iter()
    .filter_map(|(label, value)| Some((label, value.filter(|v| !v.is_empty())?)))
    .collect();
    let frames = backend_event_frames(&event);
    let title = if event.title.is_empty() {
        "Backend error".to_owned()
    } else {
        event.title.clone()
    };
    let tags = event
        .tags
        .iter()
        .map(|tag| {
            view! {
                <li>
                    <span class="muted">{tag.key.clone()}</span>
                    " "
                    <code>{tag.value.clone()}</code>
                </li>
            }
        })
        .collect_view();
    view! {
        <h1 class="error-type">{title}</h1>
        <p class="no-replay" data-sl-no-replay="">
            "This event has no linked replay: no recorded session could be matched to the request that caused it."
        </p>
        {event
            .issue_id
            .clone()
            .map(|id| {
                view! {
                    <p>
                        <a data-sl-event-issue="" href=crate::issue::issue_page_path(&id)>
                            "Open its issue"
                        </a>
                    </p>
                }
            })}
        {event
            .trace()
            .map(|trace| {
                view! {
                    <p>
                        <a data-sl-trace-link=trace.to_owned() href=trace_page_path(trace)>
                            "Follow its request across services (trace)"
                        </a>
                    </p>
                }
            })}
        <dl class="metadata" data-sl-event-facts="">
            {facts
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <dt>{label}</dt>
                        <dd data-sl-meta=label.to_ascii_lowercase()>{value}</dd>
                    }
                })
                .collect_view()}
        </dl>
        <h2>"Stack trace"</h2>
        {if frames.is_empty() {
            view! { <p class="muted">"No stack trace."</p> }.into_any()
        } else {
            stack_view(&frames).into_any()
        }}
        {(!event.tags.is_empty())
            .then(|| {
                view! {
                    <h2>"Tags"</h2>
                    <ul class="tags" data-sl-tags="">{tags}</ul>
                }
            })}
    }
}
