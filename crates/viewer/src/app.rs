//! The application shell: routes, the admin token and the token form.

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::alert_list::AlertList;
use crate::event_page::EventPage;
use crate::issue_list::IssueList;
use crate::issue_page::IssuePage;
use crate::player_view::PlayerPage;
use crate::release_pages::{ReleaseList, ReleasePage};
use crate::replay_list::ReplayList;
use crate::token::{STORAGE_KEY, take_from_query};
use crate::trace_page::TracePage;

/// The admin token shared by every page; `None` shows the token form.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    token: RwSignal<Option<String>>,
    /// Keep the token in local storage (the viewer's own pages, not an embedded player).
    persist: bool,
}

impl Auth {
    /// A token given by an embedding page: used as is, never stored.
    pub fn fixed(token: Option<String>) -> Self {
        Self {
            token: RwSignal::new(token.filter(|t| !t.trim().is_empty())),
            persist: false,
        }
    }

    /// The current token, tracked.
    pub fn token(&self) -> Option<String> {
        self.token.get()
    }

    /// The current token, untracked; `None` once the page that owned it is gone (a task can
    /// outlive its player).
    pub fn token_untracked(&self) -> Option<String> {
        self.token.try_get_untracked().flatten()
    }

    /// Keeps a token typed into the form.
    pub fn set(&self, token: String) {
        if let Some(storage) = local_storage().filter(|_| self.persist) {
            let _ = storage.set_item(STORAGE_KEY, &token);
        }
        self.token.set(Some(token));
    }

    /// Forgets a token the server refused, which brings up the token form.
    pub fn reject(&self) {
        if let Some(storage) = local_storage().filter(|_| self.persist) {
            let _ = storage.remove_item(STORAGE_KEY);
        }
        // A loader may hear the refusal after its player is gone.
        self.token.try_set(None);
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Moves `?token=` from the address bar into local storage, then returns the stored token.
pub fn adopt_token_from_url() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let (token, rest) = take_from_query(&search);
    if let Some(token) = token {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, &token);
        }
        let url = format!(
            "{}{}{}",
            location.pathname().unwrap_or_default(),
            rest,
            location.hash().unwrap_or_default()
        );
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    local_storage()?
        .get_item(STORAGE_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.trim().is_empty())
}

/// The whole viewer.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth {
        token: RwSignal::new(adopt_token_from_url()),
        persist: true,
    };
    provide_context(auth);
    view! {
        <Router>
            <header class="top">
                <a class="brand" href="/issues">"Sightline"</a>
                <nav data-sl-nav="">
                    <a href="/issues">"Issues"</a>
                    <a href="/replays">"Replays"</a>
                    <a href="/releases">"Releases"</a>
                    <a href="/alerts">"Alerts"</a>
                </nav>
            </header>
            <main>
                <AppRoutes />
            </main>
        </Router>
    }
}

/// The viewer's pages by address; inside a `<Router>`, with an [`Auth`] in the context.
#[component]
pub fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=NotFound>
            <Route path=path!("/") view=|| view! { <Redirect path="/issues" /> } />
            <Route path=path!("/replays") view=ReplayList />
            <Route path=path!("/replays/:id") view=PlayerPage />
            <Route path=path!("/events/:id") view=EventPage />
            <Route path=path!("/issues") view=IssueList />
            <Route path=path!("/issues/:id") view=IssuePage />
            <Route path=path!("/releases") view=ReleaseList />
            <Route path=path!("/releases/:version") view=ReleasePage />
            <Route path=path!("/alerts") view=AlertList />
            <Route path=path!("/traces/:id") view=TracePage />
        </Routes>
    }
}

/// Shown for every address the viewer does not know.
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/issues">"See all issues"</a> "."</p>
        </section>
    }
}

/// Shows `children` when a token is known, the token form otherwise.
#[component]
pub fn TokenGate(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Show when=move || auth.token().is_some() fallback=TokenForm>
            {children()}
        </Show>
    }
}

/// Asks for the admin token printed by `sightline serve`.
#[component]
fn TokenForm() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(value) = input.get().map(|i| i.value()) {
            let value = value.trim().to_owned();
            if !value.is_empty() {
                auth.set(value);
            }
        }
    };
    view! {
        <form class="token-form" data-sl-token-form="" on:submit=submit>
            <h1>"Admin token"</h1>
            <p>
                "Paste the admin token that " <code>"sightline serve"</code>
                " printed on its first start."
            </p>
            <input type="password" name="token" autocomplete="off" node_ref=input required />
            <button type="submit">"Continue"</button>
        </form>
    }
}
