//! The `history` and `console` wrappers are transparent and record navigations and breadcrumbs.

use js_sys::{Array, Object, Reflect};
use sightline_protocol::v1::{Breadcrumb, EventData, Level, NavigationKind};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use super::capture::{Live, run, sleep};
use crate::browser::hooks::wrap_method;
use crate::mask::{PrivacyConfig, RawOption};

#[wasm_bindgen_test]
fn a_wrapped_method_keeps_this_arguments_results_exceptions_and_identity() -> TestResult {
    let target: Object = run("return {\
          calls: [],\
          pay(amount, note) { this.calls.push([this, arguments.length, amount, note]); return 42; },\
          fail() { this.error = new RangeError('declined'); throw this.error; },\
        };")?
    .dyn_into()?;
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    for name in ["pay", "fail"] {
        let seen = seen.clone();
        assert!(wrap_method(&target, name, move |_, arguments: &Array| {
            seen.borrow_mut().push(arguments.length());
        }));
    }
    assert!(!wrap_method(&target, "calls", |_, _| {}), "not a function");
    Reflect::set(&js_sys::global(), &"slTarget".into(), &target)?;
    let outcome = run("const t = slTarget;\
        const result = t.pay(5, undefined);\
        let caught; try { t.fail(); } catch (e) { caught = e; }\
        return [result, t.calls[0][0] === t, t.calls[0][1], t.calls[0][2], caught === t.error,\
                t.pay.name, t.pay.length].join(',');")?;
    assert_eq!(
        outcome.as_string().as_deref(),
        Some("42,true,2,5,true,pay,2")
    );
    // Told after the original returned, never after it threw.
    assert_eq!(*seen.borrow(), [2]);
    Ok(())
}

fn navigations(events: &[EventData]) -> Vec<(String, NavigationKind)> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::Navigation { href, kind } => Some((href.clone(), *kind)),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn history_changes_are_recorded_as_navigations_with_a_meta_event() -> TestResult {
    let start = run("return location.href")?.as_string().unwrap_or_default();
    let live = Live::start("<p>page</p>", PrivacyConfig::default())?;
    let results = run("const a = history.pushState({ page: 2 }, '', '?page=2');\
        const b = history.replaceState({ page: 3 }, '', '?page=3');\
        history.replaceState(history.state, '');\
        let error = 'none';\
        try { history.pushState({}, '', 'http://other.invalid/'); } catch (e) { error = e.name; }\
        return [String(a), String(b), history.state.page, error].join(',');")?;
    assert_eq!(
        results.as_string().as_deref(),
        Some("undefined,undefined,3,SecurityError")
    );
    run("location.hash = '#details';")?;
    sleep(50).await?;
    let events = live.events()?;
    let base = start.split(['?', '#']).next().unwrap_or_default();
    assert_eq!(
        navigations(&events),
        [
            (format!("{base}?page=2"), NavigationKind::Push),
            (format!("{base}?page=3"), NavigationKind::Replace),
            (format!("{base}?page=3#details"), NavigationKind::Hash),
        ]
    );
    let metas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            EventData::Meta { href, .. } => Some(href.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(metas.len(), 4, "the start and one per new URL: {metas:?}");
    assert!(metas[3].ends_with("?page=3#details"));
    drop(live);
    run(&format!("history.replaceState(null, '', {start:?});"))?;
    Ok(())
}

fn breadcrumbs(events: &[EventData]) -> Vec<Breadcrumb> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::Breadcrumb(crumb) => Some(crumb.clone()),
            _ => None,
        })
        .collect()
}

const LOGGING: &str = "const results = [\
      console.log('%s paid %d euros', 'Jane', 30),\
      console.warn({ user: 'jane', items: [1, 2] }),\
      console.error(new TypeError('card declined'), 7, null),\
      console.info('[Sightline test] info'),\
      console.debug('debugging', undefined),\
    ];\
    return results.map(String).join(',');";

#[wasm_bindgen_test]
fn console_messages_become_breadcrumbs_masked_like_text() -> TestResult {
    let live = Live::start("<p>page</p>", PrivacyConfig::default())?;
    let returned = run(LOGGING)?;
    assert_eq!(
        returned.as_string().as_deref(),
        Some("undefined,undefined,undefined,undefined,undefined")
    );
    let crumbs = breadcrumbs(&live.events()?);
    let summary: Vec<(&str, Level, &str)> = crumbs
        .iter()
        .map(|c| (c.category.as_str(), c.level, c.message.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("console", Level::Log, "**** **** ** *****"),
            ("console", Level::Warning, "*****************************"),
            ("console", Level::Error, "********** **** ******** * ****"),
            ("console", Level::Info, "********** ***** ****"),
            ("console", Level::Debug, "********* *********"),
        ]
    );
    Ok(())
}

#[wasm_bindgen_test]
fn console_messages_are_kept_when_text_is_not_masked() -> TestResult {
    let config = PrivacyConfig::from_options(|name| {
        (name == "maskAllText").then_some(RawOption::Bool(false))
    });
    let live = Live::start("<p>page</p>", config)?;
    run(LOGGING)?;
    let messages: Vec<String> = breadcrumbs(&live.events()?)
        .into_iter()
        .map(|crumb| crumb.message)
        .collect();
    assert_eq!(
        messages,
        [
            "Jane paid 30 euros",
            "{\"user\":\"jane\",\"items\":[1,2]}",
            "TypeError: card declined 7 null",
            "[Sightline test] info",
            "debugging undefined",
        ]
    );
    Ok(())
}
