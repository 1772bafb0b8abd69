//! Signing in and out in the browser: the session check on start (or signing in with a link's
//! `?token=`), the sign-in page (email and password, or an API token) and the nav's user and
//! "Sign out". The decisions are plain Rust in [`crate::session`].

use leptos::prelude::*;

use crate::app::{Auth, AuthState};
use crate::http::{current_session, login, logout};
use crate::session::{LEGACY_TOKEN_KEY, LoginRequest};
use crate::token::take_from_query;

/// Finds out who is signed in: with `?token=` in the address, signs in with it (and takes it
/// out of the address first); otherwise asks the server for the cookie's session. Also removes
/// the admin token older versions kept in local storage.
pub fn start_session(auth: Auth) {
    forget_legacy_token();
    let token = take_token_from_address();
    leptos::task::spawn_local(async move {
        let mut notice = None;
        if let Some(token) = token {
            match login(&LoginRequest::Token(token)).await {
                Ok(session) => return auth.set(AuthState::SignedIn(session)),
                Err(failure) => {
                    notice = Some(format!("The link's token did not sign you in. {failure}"));
                }
            }
        }
        let state = match current_session().await {
            Ok(Some(session)) => AuthState::SignedIn(session),
            Ok(None) => AuthState::SignedOut { notice },
            Err(error) => AuthState::SignedOut {
                notice: Some(format!("Could not reach the server: {error}")),
            },
        };
        auth.set(state);
    });
}

/// Removes `sightline.token` from local storage.
fn forget_legacy_token() {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(LEGACY_TOKEN_KEY);
    }
}

/// Takes `?token=` out of the address bar (keeping the rest of the query and the hash) and
/// returns it.
fn take_token_from_address() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let (token, rest) = take_from_query(&location.search().unwrap_or_default());
    if token.is_some() {
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
    token
}

/// The sign-in page, shown in place of any page while signed out; signing in shows the page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let with_token = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let sign_in = move |request: LoginRequest| {
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match login(&request).await {
                Ok(session) => auth.set(AuthState::SignedIn(session)),
                Err(error) => {
                    failure.try_set(Some(error.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let notice = move || match auth.state() {
        AuthState::SignedOut { notice } => notice,
        _ => None,
    };
    let switch = move |token: bool| {
        failure.set(None);
        with_token.set(token);
    };
    let form = move || {
        if with_token.get() {
            view! { <TokenForm busy=busy on_submit=sign_in on_back=move || switch(false) /> }
                .into_any()
        } else {
            view! { <PasswordForm busy=busy on_submit=sign_in on_token=move || switch(true) /> }
                .into_any()
        }
    };
    view! {
        <section class="sign-in" data-sl-sign-in="">
            {move || notice().map(|n| view! { <p class="notice" data-sl-sign-in-notice="">{n}</p> })}
            {form}
            {move || {
                failure
                    .get()
                    .map(|m| view! { <p class="error" role="alert" data-sl-login-error="">{m}</p> })
            }}
        </section>
    }
}

/// Email and password.
#[component]
fn PasswordForm(
    busy: RwSignal<bool>,
    on_submit: impl Fn(LoginRequest) + Copy + 'static,
    on_token: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let email = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |input: NodeRef<leptos::html::Input>| input.get().map(|i| i.value());
        if let (Some(email), Some(password)) = (value(email), value(password))
            && !email.trim().is_empty()
            && !password.is_empty()
        {
            on_submit(LoginRequest::Password { email, password });
        }
    };
    view! {
        <form class="token-form" data-sl-login-form="" on:submit=submit>
            <h1>"Sign in to Sightline"</h1>
            <label>
                "Email"
                <input type="email" name="email" autocomplete="username" node_ref=email required />
            </label>
            <label>
                "Password"
                <input
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    node_ref=password
                    required
                />
            </label>
            <button type="submit" disabled=move || busy.get()>"Sign in"</button>
            <button type="button" class="link" data-sl-use-token="" on:click=move |_| on_token()>
                "Use an API token instead"
            </button>
        </form>
    }
}

/// An API token, or the admin token `sightline serve` printed.
#[component]
fn TokenForm(
    busy: RwSignal<bool>,
    on_submit: impl Fn(LoginRequest) + Copy + 'static,
    on_back: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(value) = input.get().map(|i| i.value())
            && !value.trim().is_empty()
        {
            on_submit(LoginRequest::Token(value));
        }
    };
    view! {
        <form class="token-form" data-sl-token-form="" on:submit=submit>
            <h1>"Sign in with an API token"</h1>
            <p>
                "Paste an API token, or the admin token that " <code>"sightline serve"</code>
                " printed on its first start."
            </p>
            <input type="password" name="token" autocomplete="off" node_ref=input required />
            <button type="submit" disabled=move || busy.get()>"Continue"</button>
            <button type="button" class="link" data-sl-use-password="" on:click=move |_| on_back()>
                "Sign in with email and password instead"
            </button>
        </form>
    }
}

/// The signed-in user's email and "Sign out", in the top nav.
#[component]
pub fn SessionNav() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let failure = RwSignal::new(None::<String>);
    let sign_out = move |_| {
        let Some(credential) = auth.token_untracked() else {
            return;
        };
        failure.set(None);
        leptos::task::spawn_local(async move {
            match logout(&credential).await {
                Ok(()) => auth.set(AuthState::SignedOut {
                    notice: Some("You are signed out.".to_owned()),
                }),
                Err(error) => {
                    failure.try_set(Some(format!("Could not sign out: {error}")));
                }
            }
        });
    };
    move || {
        auth.email().map(|email| {
            view! {
                <div class="session" data-sl-session="">
                    <span class="user" data-sl-user="">{email}</span>
                    <button type="button" class="link" data-sl-sign-out="" on:click=sign_out>
                        "Sign out"
                    </button>
                    {move || {
                        failure.get().map(|m| view! { <span class="error" role="alert">{m}</span> })
                    }}
                </div>
            }
        })
    }
}
