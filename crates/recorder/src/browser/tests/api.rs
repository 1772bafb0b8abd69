//! The application's API: messages, breadcrumbs, user and tags reach the recording, and the
//! recorder's own uploads are neither recorded nor traced.

use sightline_protocol::v1::{Breadcrumb, EventData, Level};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use super::capture::{Live, run};
use crate::browser::api;
use crate::browser::hooks::upload_fetch;
use crate::mask::PrivacyConfig;

#[wasm_bindgen_test]
fn messages_breadcrumbs_user_and_tags_are_recorded() -> TestResult {
    let live = Live::start("<p>shop</p>", PrivacyConfig::default())?;
    assert_eq!(api::capture_message("cart opened", None), None);
    let event_id = api::capture_message("checkout failed", Some("fatal".into()))
        .ok_or("an error message has an event id")?;
    api::add_breadcrumb(run(
        "return { category: 'auth', message: 'Jane signed in', level: 'warning', data: { id: 7 } };",
    )?);
    api::set_user(run(
        "return { id: 42, email: 'jane@shop.example', admin: true, nested: {} };",
    )?);
    api::set_tag("plan", JsValue::from("pro"));
    api::set_tags(run("return { region: 'eu', plan: null, beta: false };")?);
    api::set_user(JsValue::from("not a user"));
    api::add_breadcrumb(JsValue::from("not a breadcrumb"));
    api::set_user(JsValue::NULL);
    let events = live.events()?;
    let crumbs: Vec<&Breadcrumb> = events
        .iter()
        .filter_map(|event| match event {
            EventData::Breadcrumb(crumb) => Some(crumb),
            _ => None,
        })
        .collect();
    let summary: Vec<(&str, Level, &str, &str)> = crumbs
        .iter()
        .map(|c| {
            (
                c.category.as_str(),
                c.level,
                c.message.as_str(),
                c.data.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("message", Level::Info, "cart opened", ""),
            ("auth", Level::Warning, "Jane signed in", "{\"id\":7}"),
        ],
        "application text is not masked"
    );
    let error = events.iter().find_map(|event| match event {
        EventData::JsError(error) => Some(error),
        _ => None,
    });
    assert_eq!(
        error.map(|e| (
            e.event_id.as_str(),
            e.error_type.as_str(),
            e.message.as_str()
        )),
        Some((event_id.as_str(), "Message", "checkout failed"))
    );
    let custom: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|event| match event {
            EventData::Custom { tag, payload } => Some((tag.as_str(), payload.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        custom,
        [
            (
                "user",
                r#"{"id":"42","email":"jane@shop.example","admin":"true"}"#
            ),
            ("tags", r#"{"plan":"pro"}"#),
            ("tags", r#"{"region":"eu","plan":null,"beta":"false"}"#),
            ("user", "null"),
        ]
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn the_recorders_own_uploads_are_not_recorded() -> TestResult {
    let live = Live::start("<p>shop</p>", PrivacyConfig::default())?;
    let url = run("return location.href")?.as_string().unwrap_or_default();
    JsFuture::from(upload_fetch(&url, &JsValue::UNDEFINED)?).await?;
    let requests = live
        .events()?
        .into_iter()
        .filter(|event| matches!(event, EventData::NetworkRequest(_)))
        .count();
    assert_eq!(requests, 0);
    Ok(())
}
