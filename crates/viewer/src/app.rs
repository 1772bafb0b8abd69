//! The application shell: routes, who is signed in ([`Auth`]), the top nav and the gate that
//! shows the sign-in page instead of a page while signed out.

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::alert_list::AlertList;
use crate::event_page::EventPage;
use crate::issue_list::IssueList;
use crate::issue_page::IssuePage;
use crate::login::{SessionNav, SignInPage, start_session};
use crate::player_view::PlayerPage;
use crate::release_pages::{ReleaseList, ReleasePage};
use crate::replay_list::ReplayList;
use crate::session::{Credential, Session};
use crate::trace_page::TracePage;

/// Where signing in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// Asking the server for the session (or signing in with a link's `?token=`).
    Checking,
    /// Not signed in: the sign-in page shows, with an optional notice above the form.
    SignedOut {
        /// Why, when it is worth saying (a session that ended, a link's token refused).
        notice: Option<String>,
    },
    /// Signed in with the session cookie.
    SignedIn(Session),
    /// A token given by an embedding page, sent as a bearer.
    Bearer(String),
}

/// Who is signed in, shared by every page; no credential shows the sign-in page (or, in an
/// embedded player, its message).
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    state: RwSignal<AuthState>,
}

impl Auth {
    /// A token given by an embedding page: sent as a bearer, never stored, no cookies.
    pub fn fixed(token: Option<String>) -> Self {
        Self::with_state(match token.filter(|t| !t.trim().is_empty()) {
            Some(token) => AuthState::Bearer(token),
            None => AuthState::SignedOut { notice: None },
        })
    }

    /// Auth starting in `state`.
    pub fn with_state(state: AuthState) -> Self {
        Self {
            state: RwSignal::new(state),
        }
    }

    /// Where signing in stands, tracked.
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    /// The credential of API calls, tracked; `None` while signed out or checking.
    pub fn token(&self) -> Option<Credential> {
        self.state.with(credential)
    }

    /// The credential, untracked; `None` once the page that owned it is gone (a task can
    /// outlive its player).
    pub fn token_untracked(&self) -> Option<Credential> {
        self.state.try_with_untracked(credential).flatten()
    }

    /// The signed-in user's email, tracked.
    pub fn email(&self) -> Option<String> {
        self.state.with(|state| match state {
            AuthState::SignedIn(session) => Some(session.user.email.clone()),
            _ => None,
        })
    }

    /// Moves to `state`.
    pub fn set(&self, state: AuthState) {
        self.state.try_set(state);
    }

    /// Forgets a credential the server refused (a 401), which brings up the sign-in page; the
    /// page stays at its address and shows again once signed in.
    pub fn reject(&self) {
        // A loader may hear the refusal after its player is gone.
        let notice = self
            .state
            .try_with_untracked(|state| match state {
                AuthState::SignedIn(_) => Some(Some(
                    "Your session has ended. Sign in again to continue.".to_owned(),
                )),
                AuthState::Bearer(_) => Some(None),
                AuthState::Checking | AuthState::SignedOut { .. } => None,
            })
            .flatten();
        if let Some(notice) = notice {
            self.state.try_set(AuthState::SignedOut { notice });
        }
    }
}

fn credential(state: &AuthState) -> Option<Credential> {
    match state {
        AuthState::SignedIn(session) => Some(session.credential()),
        AuthState::Bearer(token) => Some(Credential::Bearer(token.clone())),
        AuthState::Checking | AuthState::SignedOut { .. } => None,
    }
}

/// The whole viewer.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::with_state(AuthState::Checking);
    provide_context(auth);
    start_session(auth);
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
                <SessionNav />
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

/// Shows `children` when signed in, the sign-in page otherwise (a line while the session is
/// being checked).
#[component]
pub fn TokenGate(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let waiting = move || {
        if matches!(auth.state(), AuthState::Checking) {
            view! { <p class="muted" data-sl-checking="">"Signing in…"</p> }.into_any()
        } else {
            view! { <SignInPage /> }.into_any()
        }
    };
    view! {
        <Show when=move || auth.token().is_some() fallback=waiting>
            {children()}
        </Show>
    }
}
