//! Stylesheets from `<link rel=stylesheet>` are recorded as CSS text when the page can read them,
//! with relative URLs made absolute against the sheet's URL, so the replay never fetches them.

use sightline_protocol::v1::{EventData, StyleOpKind};
use wasm_bindgen_test::wasm_bindgen_test;

use super::capture::{Live, run_async};
use super::{TestResult, as_is};
use crate::browser::stylesheets::absolute_urls;

#[wasm_bindgen_test]
fn relative_urls_in_captured_css_are_made_absolute_against_the_sheet() {
    let css = "@import url(\"theme.css\");\n\
        .logo { background: url(\"../img/logo.png\") no-repeat; }\n\
        .icon { mask: url(\"#shape\"); cursor: url(\"data:image/png;base64,AA\"), auto; }\n\
        .hero { background-image: url(\"https://cdn.example/hero.jpg\"); }";
    let absolute = absolute_urls(css, "https://shop.example/static/css/site.css");
    assert_eq!(
        absolute,
        "@import url(\"https://shop.example/static/css/theme.css\");\n\
        .logo { background: url(\"https://shop.example/static/img/logo.png\") no-repeat; }\n\
        .icon { mask: url(\"#shape\"); cursor: url(\"data:image/png;base64,AA\"), auto; }\n\
        .hero { background-image: url(\"https://cdn.example/hero.jpg\"); }"
    );
}

#[wasm_bindgen_test]
async fn a_readable_link_stylesheet_is_recorded_with_its_rules() -> TestResult {
    let live = Live::start("", as_is())?;
    run_async(
        "const link = document.createElement('link');
         link.id = 'sheet';
         link.rel = 'stylesheet';
         const loaded = new Promise((resolve, reject) => {
           link.onload = resolve;
           link.onerror = () => reject(new Error('the stylesheet did not load'));
         });
         link.href = 'data:text/css,' + encodeURIComponent('.captured { color: rgb(1, 2, 3); }');
         document.querySelector('section').appendChild(link);
         await loaded;",
    )
    .await?;
    let link = live.id("#sheet")?;
    let events = live.events()?;
    let captured = events.iter().any(|event| {
        matches!(event, EventData::StyleSheetRule(rule)
            if rule.node_id == Some(link)
                && rule.ops.iter().any(|op| op.kind == StyleOpKind::Replace
                    && op.text.contains(".captured { color: rgb(1, 2, 3); }")))
    });
    assert!(captured, "the link's rules were not recorded: {events:?}");
    Ok(())
}
