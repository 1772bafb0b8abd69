//! Signing in to the viewer, end to end with the real `sightline` binary and headless Chromium:
//! a page opened without a session shows the sign-in page; a user created through the API
//! (`POST /api/0/users/` with the admin token) signs in with email and password and sees the
//! issues list, signs out and gets the sign-in page again; a wrong password says so, and too
//! many say how long to wait; and a `?token=` link (as the README and the demo print) opens the page signed in, leaving no token
//! in the address bar or in local storage, and no cookie the page's scripts can read.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};
use sightline_tests::browser::Browser;
use sightline_tests::server::Server;
use sightline_tests::wait_for;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// Sends one error event to the default project with its DSN key, and waits until the API
/// lists its issue.
fn report_an_error(server: &Server) -> Result<()> {
    let key = server
        .dsn
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(key, _)| key.to_owned())
        .context("no key in the DSN")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let event = json!({
        "event_id": "c0ffee00c0ffee00c0ffee00c0ffee00",
        "level": "error",
        "platform": "python",
        "message": "login e2e: the list has this issue",
    });
    let status = agent
        .post(&format!("{}/api/1/store/?sentry_key={key}", server.base))
        .header("content-type", "application/json")
        .send(event.to_string())?
        .status()
        .as_u16();
    ensure!(status == 200, "the store endpoint answered {status}");
    wait_for("the issue", Duration::from_secs(30), || {
        let (_, issues) = server.api("/api/0/issues/?query=")?;
        Ok(issues
            .as_array()
            .is_some_and(|list| !list.is_empty())
            .then_some(()))
    })
}

/// Waits for `selector` on the page; on a timeout, says what the page shows.
fn wait_for_element(browser: &Browser, selector: &str, what: &str) -> Result<()> {
    let found = browser.wait_until(
        &format!("document.querySelector({})", json!(selector)),
        Duration::from_secs(30),
    );
    match found {
        Ok(_) => Ok(()),
        Err(error) => {
            let text = browser.eval("return document.body.innerText", &[])?;
            Err(error.context(format!("waiting for {what}; the page shows: {text}")))
        }
    }
}

/// Types the email and password into the sign-in form and submits it.
fn sign_in(browser: &Browser, email: &str, password: &str) -> Result<()> {
    browser.eval(
        "const form = document.querySelector('[data-sl-login-form]'); \
         form.querySelector('input[name=email]').value = arguments[0]; \
         form.querySelector('input[name=password]').value = arguments[1]; \
         form.querySelector('button[type=submit]').click();",
        &[json!(email), json!(password)],
    )?;
    Ok(())
}

fn text(browser: &Browser, selector: &str) -> Result<Value> {
    browser.eval(
        "const e = document.querySelector(arguments[0]); return e && e.textContent.trim();",
        &[json!(selector)],
    )
}

#[test]
fn sign_in_with_a_password_sign_out_and_open_a_token_link() -> Result<()> {
    let server = Server::start()?;
    let browser = Browser::start()?;
    report_an_error(&server)?;
    let row = "[data-sl-issue-row]";

    // No session: the issues page is the sign-in page.
    browser.goto(&format!("{}/issues", server.base))?;
    wait_for_element(&browser, "[data-sl-login-form]", "the sign-in page")?;
    ensure!(
        browser.eval("return document.querySelector('[data-sl-issue-row]')", &[])? == Value::Null,
        "signed out, the issues must not show"
    );

    // A member of the default organization, created by the admin.
    let (status, user) = server.api_send(
        "POST",
        "/api/0/users/",
        &json!({
            "email": EMAIL, "password": PASSWORD, "name": "Ada", "is_superuser": false,
            "organizations": [{"slug": "default", "role": "member"}],
        }),
    )?;
    ensure!(status == 201, "creating the user answered {status}: {user}");
    assert_eq!(user["email"], EMAIL, "{user}");

    // A wrong password says so and signs nobody in.
    sign_in(&browser, EMAIL, "not the password")?;
    wait_for_element(&browser, "[data-sl-login-error]", "the login error")?;
    assert_eq!(
        text(&browser, "[data-sl-login-error]")?,
        json!("Wrong email or password.")
    );

    // The right one shows the page that was asked for, with the user in the nav.
    sign_in(&browser, EMAIL, PASSWORD)?;
    wait_for_element(&browser, row, "the issues list after signing in")?;
    assert_eq!(text(&browser, "[data-sl-user]")?, json!(EMAIL));
    assert_eq!(
        browser.eval("return location.pathname", &[])?,
        json!("/issues")
    );
    // The session cookie is HttpOnly: the page's scripts cannot read it.
    assert_eq!(
        browser.eval("return document.cookie.includes('sightline_session')", &[])?,
        json!(false)
    );

    // Sign out: the sign-in page again, and the server forgot the session.
    browser.click("[data-sl-sign-out]")?;
    wait_for_element(
        &browser,
        "[data-sl-login-form]",
        "the sign-in page after signing out",
    )?;
    let session = browser.eval_async(
        "const done = arguments[arguments.length - 1]; \
         fetch('/api/0/auth/session/').then((r) => done(r.status), (e) => done(String(e)));",
        &[],
    )?;
    assert_eq!(
        session,
        json!(401),
        "the session must be gone after signing out"
    );

    // Five wrong passwords for one email: the next attempt, even from the sign-in page, is
    // told to wait, with the server's Retry-After.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..5 {
        let status = agent
            .post(&format!("{}/api/0/auth/login/", server.base))
            .header("content-type", "application/json")
            .send(json!({"email": "eve@example.com", "password": "guess"}).to_string())?
            .status()
            .as_u16();
        ensure!(status == 401, "a wrong password answered {status}");
    }
    sign_in(&browser, "eve@example.com", "another guess")?;
    let limited = browser.wait_until(
        "(() => { const e = document.querySelector('[data-sl-login-error]'); \
           return e && e.textContent.startsWith('Too many attempts, try again in ') \
             && e.textContent; })()",
        Duration::from_secs(30),
    )?;
    println!("rate limited: {limited}");
    ensure!(
        limited
            .as_str()
            .is_some_and(|text| text.ends_with(" s.") && !text.contains("later")),
        "the message must give the seconds of Retry-After: {limited}"
    );

    // A `?token=` link opens the page signed in and leaves no token behind.
    browser.goto(&format!(
        "{}/issues?query=is%3Aunresolved&token={}",
        server.base, server.token
    ))?;
    wait_for_element(&browser, row, "the issues list from a token link")?;
    assert_eq!(
        browser.eval("return location.search", &[])?,
        json!("?query=is%3Aunresolved")
    );
    assert_eq!(
        browser.eval("return localStorage.getItem('sightline.token')", &[])?,
        Value::Null
    );
    assert_eq!(
        browser.eval(
            "return Object.keys(localStorage).some((k) => localStorage.getItem(k).includes(arguments[0]))",
            &[json!(server.token)],
        )?,
        json!(false),
        "the token must not be kept in local storage"
    );
    assert_eq!(text(&browser, "[data-sl-user]")?, json!("admin@localhost"));
    Ok(())
}
