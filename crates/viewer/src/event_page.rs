//! The `/events/{event_id}` page: looks the event up and opens its replay at the error
//! (see [`crate::deep_link`]), or says that it has none.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::app::{Auth, TokenGate};
use crate::deep_link::{EventSummary, event_path};
use crate::http::{FetchError, get_json};

/// What the page shows while and after looking the event up.
#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    Loading,
    NoReplay(String),
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
        match get_json::<EventSummary>(&path, &token).await {
            Ok(event) => match event.replay_link() {
                Some(link) => navigate(
                    &link,
                    NavigateOptions {
                        replace: true,
                        ..NavigateOptions::default()
                    },
                ),
                None => {
                    lookup.try_set(Lookup::NoReplay(event.title));
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
        <section class="event" data-sl-event=shown_id>
            {move || match lookup.get() {
                Lookup::Loading => view! { <p class="muted">"Opening the replay at this event…"</p> }.into_any(),
                Lookup::NoReplay(title) => {
                    view! {
                        <h1>{title}</h1>
                        <p data-sl-no-replay="">"This event has no linked replay."</p>
                    }
                        .into_any()
                }
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
