//! Browser tests of signing in and out against the fake server's session endpoints (see
//! [`crate::fake_session`]): signed out, any page shows the sign-in page and, once signed in,
//! the page itself; a wrong password and too many attempts say so; a `?token=` link signs in
//! and leaves no token in the address or in local storage; a change sends the CSRF token and an
//! ended session asks to sign in again; "Sign out" ends the session; an embedded player's
//! calls carry its bearer token and no cookies.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use crate::fake_issues::{ISSUE, install_issues};
use crate::fake_server::{
    REPLAY, click, find, install, mount_player, open_app, paused_player, text, type_into,
    wait_within,
};
use crate::fake_session::{
    CSRF, EMAIL, FAILURE_LIMIT, PASSWORD, end_session, seen, set_failures, signed_in,
};
use crate::session::LEGACY_TOKEN_KEY;

wasm_bindgen_test_configure!(run_in_browser);

const ROW: &str = "[data-sl-issue-row='12']";
const LOGIN_FORM: &str = "[data-sl-login-form]";

fn location() -> Result<web_sys::Location, JsValue> {
    Ok(web_sys::window().ok_or("no window")?.location())
}

async fn sign_in_page(root: &web_sys::Element) -> Result<(), JsValue> {
    wait_within(
        5_000,
        || find(root, LOGIN_FORM).is_some(),
        "the sign-in form",
    )
    .await
}

fn submit_password(root: &web_sys::Element, email: &str, password: &str) -> Result<(), JsValue> {
    type_into(root, "input[name=email]", email)?;
    type_into(root, "input[name=password]", password)?;
    click(root, &format!("{LOGIN_FORM} button[type=submit]"))
}

async fn login_error(root: &web_sys::Element) -> Result<String, JsValue> {
    wait_within(
        5_000,
        || find(root, "[data-sl-login-error]").is_some(),
        "the login error",
    )
    .await?;
    Ok(text(root, "[data-sl-login-error]"))
}

#[wasm_bindgen_test]
async fn signed_out_a_page_asks_to_sign_in_then_shows_itself() -> Result<(), JsValue> {
    let _server = install_issues()?;
    end_session()?;
    let (root, _app) = open_app("/issues?query=is%3Aunresolved")?;
    sign_in_page(&root).await?;
    assert!(find(&root, ROW).is_none());
    assert!(find(&root, "[data-sl-sign-out]").is_none());
    assert!(text(&root, LOGIN_FORM).contains("Use an API token instead"));

    submit_password(&root, EMAIL, PASSWORD)?;
    wait_within(5_000, || find(&root, ROW).is_some(), "the issues list").await?;
    assert!(signed_in());
    assert_eq!(text(&root, "[data-sl-user]"), EMAIL);
    assert!(find(&root, "[data-sl-sign-out]").is_some());
    // The same page, with its query.
    assert_eq!(location()?.pathname()?, "/issues");
    assert_eq!(location()?.search()?, "?query=is%3Aunresolved");
    // The list was read with the cookie, not a token.
    let list = seen()
        .into_iter()
        .find(|r| r.path.starts_with("/api/0/issues/"))
        .ok_or("no issues request")?;
    assert_eq!(list.authorization, None);
    assert_eq!(list.credentials, "same-origin");
    Ok(())
}

#[wasm_bindgen_test]
async fn a_wrong_password_says_so_and_keeps_the_form() -> Result<(), JsValue> {
    let _server = install_issues()?;
    end_session()?;
    let (root, _app) = open_app("/issues")?;
    sign_in_page(&root).await?;
    submit_password(&root, EMAIL, "not the password")?;
    assert_eq!(login_error(&root).await?, "Wrong email or password.");
    assert!(!signed_in());
    assert!(find(&root, LOGIN_FORM).is_some());
    assert!(find(&root, ROW).is_none());
    Ok(())
}

#[wasm_bindgen_test]
async fn too_many_attempts_say_when_to_try_again() -> Result<(), JsValue> {
    let _server = install_issues()?;
    end_session()?;
    set_failures(FAILURE_LIMIT)?;
    let (root, _app) = open_app("/issues")?;
    sign_in_page(&root).await?;
    // Even the right password waits for the window to pass.
    submit_password(&root, EMAIL, PASSWORD)?;
    assert_eq!(
        login_error(&root).await?,
        "Too many attempts, try again in 42 s."
    );
    assert!(!signed_in());
    Ok(())
}

#[wasm_bindgen_test]
async fn the_token_form_signs_in_with_an_api_token() -> Result<(), JsValue> {
    let _server = install_issues()?;
    end_session()?;
    let (root, _app) = open_app("/issues")?;
    sign_in_page(&root).await?;
    click(&root, "[data-sl-use-token]")?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-token-form]").is_some(),
        "the token form",
    )
    .await?;
    type_into(&root, "input[name=token]", "wrong")?;
    click(&root, "[data-sl-token-form] button[type=submit]")?;
    assert_eq!(
        login_error(&root).await?,
        "The server did not accept this token."
    );
    type_into(&root, "input[name=token]", "t0k")?;
    click(&root, "[data-sl-token-form] button[type=submit]")?;
    wait_within(5_000, || find(&root, ROW).is_some(), "the issues list").await?;
    assert_eq!(text(&root, "[data-sl-user]"), "admin@localhost");
    Ok(())
}

#[wasm_bindgen_test]
async fn a_token_link_signs_in_and_leaves_no_token_behind() -> Result<(), JsValue> {
    let _server = install_issues()?;
    end_session()?;
    let storage = web_sys::window()
        .ok_or("no window")?
        .local_storage()?
        .ok_or("no local storage")?;
    // What an older viewer kept.
    storage.set_item(LEGACY_TOKEN_KEY, "old-admin-token")?;
    let (root, _app) = open_app("/issues?query=is%3Aunresolved&token=t0k")?;
    wait_within(5_000, || find(&root, ROW).is_some(), "the issues list").await?;
    assert!(signed_in());
    assert_eq!(text(&root, "[data-sl-user]"), "admin@localhost");
    assert_eq!(location()?.search()?, "?query=is%3Aunresolved");
    assert_eq!(storage.get_item(LEGACY_TOKEN_KEY)?, None);
    let login = seen()
        .into_iter()
        .find(|r| r.path == "/api/0/auth/login/")
        .ok_or("no login")?;
    assert_eq!(login.method, "POST");
    // The token went in the login's body only; the page's calls use the session.
    assert!(
        seen()
            .iter()
            .filter(|r| r.path.starts_with("/api/0/issues/"))
            .all(|r| r.authorization.is_none())
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn a_change_sends_the_csrf_token_and_an_ended_session_asks_to_sign_in_again()
-> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _app) = open_app(&format!("/issues/{ISSUE}"))?;
    let resolve = "[data-sl-action='resolve']";
    wait_within(
        5_000,
        || find(&root, resolve).is_some(),
        "the issue's buttons",
    )
    .await?;
    click(&root, resolve)?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-action='unresolve']").is_some(),
        "the resolved issue",
    )
    .await?;
    let put = seen()
        .into_iter()
        .find(|r| r.method == "PUT")
        .ok_or("no PUT")?;
    assert_eq!(put.path, format!("/api/0/issues/{ISSUE}/"));
    assert_eq!(put.csrf.as_deref(), Some(CSRF));
    assert_eq!(put.authorization, None);
    // Reads carry no CSRF token.
    assert!(
        seen()
            .iter()
            .filter(|r| r.method == "GET")
            .all(|r| r.csrf.is_none())
    );

    // The session ends on the server: the next change is refused and the sign-in page shows,
    // then signing in brings the issue back.
    end_session()?;
    click(&root, "[data-sl-action='unresolve']")?;
    sign_in_page(&root).await?;
    assert!(text(&root, "[data-sl-sign-in-notice]").contains("session has ended"));
    submit_password(&root, EMAIL, PASSWORD)?;
    wait_within(
        5_000,
        || find(&root, "[data-sl-action='unresolve']").is_some(),
        "the issue page again",
    )
    .await?;
    assert_eq!(location()?.pathname()?, format!("/issues/{ISSUE}"));
    Ok(())
}

#[wasm_bindgen_test]
async fn sign_out_ends_the_session_and_shows_the_sign_in_page() -> Result<(), JsValue> {
    let _server = install_issues()?;
    let (root, _app) = open_app("/issues")?;
    wait_within(5_000, || find(&root, ROW).is_some(), "the issues list").await?;
    assert_eq!(text(&root, "[data-sl-user]"), EMAIL);
    click(&root, "[data-sl-sign-out]")?;
    sign_in_page(&root).await?;
    assert!(!signed_in());
    assert!(find(&root, "[data-sl-user]").is_none());
    assert!(find(&root, ROW).is_none());
    let logout = seen()
        .into_iter()
        .find(|r| r.path == "/api/0/auth/logout/")
        .ok_or("no logout")?;
    assert_eq!(logout.method, "POST");
    assert_eq!(logout.csrf.as_deref(), Some(CSRF));
    Ok(())
}

#[wasm_bindgen_test]
async fn an_embedded_player_sends_its_token_and_no_cookies() -> Result<(), JsValue> {
    let _server = install()?;
    end_session()?;
    let (_handle, root) = mount_player(REPLAY, 0)?;
    paused_player(&root).await?;
    let calls: Vec<_> = seen()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/0/"))
        .collect();
    assert!(!calls.is_empty());
    for call in calls {
        assert_eq!(
            call.authorization.as_deref(),
            Some("Bearer t0k"),
            "{call:?}"
        );
        assert_eq!(call.credentials, "omit", "{call:?}");
    }
    Ok(())
}
