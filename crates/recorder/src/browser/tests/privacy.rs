//! Privacy: recorded snapshots and mutations, encoded as segments, hold no raw page text, input
//! value or media source unless the page unmasked it; blocked elements keep their size.

use sightline_protocol::v1::{EventData, Mutation, Node};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{Recording, TestResult, apply, document};
use crate::browser::api::privacy_config;
use crate::mask::{PrivacyConfig, RawOption, SelectorList};
use crate::segmenter::{ReplayInfo, Segmenter};

/// The bytes of the segments that carry `tree` as a full snapshot followed by `mutations`,
/// uncompressed, so that raw strings would be visible in them.
fn segment_bytes(tree: &Node, mutations: &[Mutation]) -> Result<Vec<u8>, JsValue> {
    let mut segmenter = Segmenter::new(ReplayInfo {
        replay_id: "ab".repeat(16),
        project: 1,
        release: String::new(),
        environment: "test".into(),
    });
    segmenter.push(1, EventData::FullSnapshot { root: tree.clone() });
    for mutation in mutations {
        segmenter.push(2, EventData::Mutation(mutation.clone()));
    }
    let error = |e: sightline_protocol::EncodeError| JsValue::from_str(&e.to_string());
    let mut bytes = Vec::new();
    for segment in segmenter.cut(usize::MAX).map_err(error)? {
        bytes.extend(segment.to_bytes().map_err(error)?);
    }
    Ok(bytes)
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn assert_absent(bytes: &[u8], secrets: &[&str]) {
    for secret in secrets {
        assert!(!contains(bytes, secret), "{secret:?} reached the segment");
    }
}

fn assert_present(bytes: &[u8], expected: &[&str]) {
    for text in expected {
        assert!(
            contains(bytes, text),
            "{text:?} is missing from the segment"
        );
    }
}

fn set_property(element: &web_sys::Element, name: &str, value: &JsValue) -> TestResult {
    js_sys::Reflect::set(element, &JsValue::from_str(name), value)?;
    Ok(())
}

/// Appends `html` at the end of `parent`.
fn append_html(parent: &web_sys::Element, html: &str) -> TestResult {
    parent.insert_adjacent_html("beforeend", html)
}

fn find_element<'a>(node: &'a Node, attribute: (&str, &str)) -> Option<&'a Node> {
    if let Node::Element { attributes, .. } = node
        && attributes
            .iter()
            .any(|(name, value)| (name.as_str(), value.as_str()) == attribute)
    {
        return Some(node);
    }
    node.children()
        .iter()
        .find_map(|child| find_element(child, attribute))
}

fn attribute<'a>(node: &'a Node, name: &str) -> Option<&'a str> {
    let Node::Element { attributes, .. } = node else {
        return None;
    };
    attributes
        .iter()
        .find(|(attribute, _)| attribute == name)
        .map(|(_, value)| value.as_str())
}

fn element<'a>(tree: &'a Node, id: &str) -> Result<&'a Node, JsValue> {
    find_element(tree, ("id", id)).ok_or_else(|| JsValue::from_str(id))
}

const FORM: &str = "<h1 id=\"name\" title=\"Secret title\">Jane Doe's account</h1>\
    <p id=\"para\">Lives at 42 Wallaby Way</p>\
    <input id=\"email\" type=\"text\" value=\"jane@example.com\" placeholder=\"Your email here\">\
    <input id=\"pass\" type=\"password\" value=\"hunter2secret\">\
    <input type=\"hidden\" value=\"csrf-token-abc\">\
    <textarea id=\"note\">My private note</textarea>\
    <select id=\"country\"><option value=\"country-nz\" selected>New Zealand</option>\
    <option value=\"country-au\" label=\"Aussie label\">Australia</option></select>\
    <input id=\"news\" type=\"checkbox\" value=\"newsletter-opt\" checked>\
    <input type=\"submit\" value=\"Send it now\">\
    <img src=\"/photo-of-jane.jpg\" alt=\"Portrait of Jane\" style=\"width:12px;height:8px\">\
    <iframe src=\"http://localhost:1/embed-widget\" style=\"width:30px;height:15px\"></iframe>\
    <button aria-label=\"Delete Jane\" aria-description=\"Removes Jane\">X</button>\
    <div contenteditable=\"true\" id=\"editor\">Editable draft words</div>\
    <!-- comment about Jane -->\
    <style>.keep-this-css { color: red }</style>";

const FORM_SECRETS: &[&str] = &[
    "Secret title",
    "Jane",
    "Wallaby",
    "jane@example.com",
    "Your email",
    "hunter2secret",
    "csrf-token",
    "private note",
    "country-nz",
    "country-au",
    "New Zealand",
    "Australia",
    "Aussie",
    "newsletter-opt",
    "Send it",
    "photo-of-jane",
    "Portrait",
    "embed-widget",
    "Removes",
    "Editable draft",
    "typed-by-user",
    "typed-in-textarea",
];

#[wasm_bindgen_test]
fn by_default_no_text_value_or_media_source_reaches_the_segment() -> TestResult {
    let document = document()?;
    // What the user typed lives in properties, not in the markup.
    let mut recording = Recording::prepared(FORM, PrivacyConfig::default(), |container| {
        let field = |selector| {
            container
                .query_selector(selector)?
                .ok_or_else(|| JsValue::from_str(selector))
        };
        set_property(&field("#email")?, "value", &"typed-by-user".into())?;
        set_property(&field("#note")?, "value", &"typed-in-textarea".into())
    })?;
    let email = recording.find("#email")?;
    let snapshot = segment_bytes(&recording.tree, &[])?;
    assert_absent(&snapshot, FORM_SECRETS);
    assert_present(&snapshot, &[".keep-this-css { color: red }", "********"]);
    let tree = &recording.tree;
    // Text keeps its layout; values have a fixed length; a checkbox keeps its state.
    let heading = element(tree, "name")?;
    assert_eq!(
        heading.children()[0],
        Node::text(heading.children()[0].id(), "**** ***** *******")
    );
    assert_eq!(attribute(heading, "title"), Some("****** *****"));
    assert_eq!(
        attribute(element(tree, "email")?, "value"),
        Some("********")
    );
    assert_eq!(
        attribute(element(tree, "email")?, "placeholder"),
        Some("**** ***** ****")
    );
    assert_eq!(attribute(element(tree, "pass")?, "value"), Some("********"));
    assert_eq!(attribute(element(tree, "note")?, "value"), Some("********"));
    assert_eq!(
        attribute(element(tree, "country")?, "value"),
        Some("********")
    );
    assert_eq!(attribute(element(tree, "news")?, "checked"), Some(""));

    // Changes made later are masked the same way.
    recording
        .find("#para")?
        .first_child()
        .ok_or("no text")?
        .set_node_value(Some("Jane moved to Sydney"));
    let heading = recording.find("#name")?;
    heading.append_child(&document.create_text_node(" and Jane's friends"))?;
    heading.set_attribute("title", "Jane's new title")?;
    heading.set_attribute("aria-label", "Jane label")?;
    email.set_attribute("value", "jane.doe@mail.example")?;
    recording
        .find("#pass")?
        .set_attribute("value", "hunter3secret")?;
    recording
        .find("#editor")?
        .set_text_content(Some("Jane edits her draft"));
    append_html(
        &recording.container,
        "<p>Jane added this</p><img src=\"/jane-later.png\" alt=\"Jane later\">\
         <input type=\"password\" value=\"jane-new-password\">\
         <input type=\"hidden\" value=\"jane-hidden-later\">",
    )?;
    append_html(
        &recording.find("#country")?,
        "<option value=\"country-jane\" label=\"Jane land\">Janeland</option>",
    )?;
    let mutation = recording.take().ok_or("no mutation")?;
    let bytes = segment_bytes(&recording.tree, &[mutation])?;
    assert_absent(&bytes, FORM_SECRETS);
    assert_absent(
        &bytes,
        &[
            "Sydney",
            "friends",
            "mail.example",
            "hunter3",
            "edits",
            "added this",
            "jane-",
        ],
    );
    Ok(())
}

#[wasm_bindgen_test]
fn unmasked_subtrees_show_text_and_inputs_but_never_passwords() -> TestResult {
    let mut recording = Recording::with(
        "<div class=\"sl-unmask\" id=\"open\">\
           <p>Visible words</p><input value=\"visible-value\">\
           <input id=\"pass\" type=\"password\" value=\"pass-in-unmask\">\
           <input type=\"hidden\" value=\"hidden-in-unmask\">\
           <div data-sl-mask id=\"closed\"><span>Masked again</span>\
             <input value=\"masked-input-again\"></div>\
         </div><p>Outside words</p>",
        PrivacyConfig::default(),
    )?;
    let bytes = segment_bytes(&recording.tree, &[])?;
    assert_present(&bytes, &["Visible words", "visible-value"]);
    assert_absent(
        &bytes,
        &[
            "pass-in-unmask",
            "hidden-in-unmask",
            "Masked again",
            "masked-input-again",
            "Outside",
        ],
    );

    // Showing a password (type becomes text) never unmasks it, nor do new password fields.
    let password = recording.find("#pass")?;
    password.set_attribute("type", "text")?;
    password.set_attribute("value", "revealed-password")?;
    let open = recording.find("#open")?;
    append_html(
        &open,
        "<p>More visible words</p><input type=\"password\" value=\"added-password\">",
    )?;
    append_html(&recording.find("#closed")?, "<b>added under mask</b>")?;
    let first = recording.take().ok_or("no mutation")?;
    password.set_attribute("value", "still-revealed")?;
    let second = recording.take().ok_or("no mutation")?;
    let bytes = segment_bytes(&recording.tree, &[first, second])?;
    assert_present(&bytes, &["Visible words", "More visible words"]);
    assert_absent(
        &bytes,
        &[
            "revealed-password",
            "added-password",
            "added under mask",
            "still-revealed",
        ],
    );
    Ok(())
}

#[wasm_bindgen_test]
fn options_and_selectors_choose_what_is_masked_and_the_nearest_override_wins() -> TestResult {
    let mut config = PrivacyConfig::from_options(|name| match name {
        "maskAllText" | "maskAllInputs" => Some(RawOption::Text("false".into())),
        "mask" => Some(RawOption::List(vec![".private".into()])),
        _ => None,
    });
    assert!(config.add_selector(SelectorList::Unmask, ".public"));
    let mut recording = Recording::with(
        "<p>Public words</p><p class=\"private\" id=\"private\">Private words \
           <span class=\"public\" id=\"public\">but this shows</span></p>\
         <p class=\"sl-mask\">Masked words</p>\
         <input value=\"public-value\"><input class=\"private\" value=\"private-value\">",
        config,
    )?;
    let bytes = segment_bytes(&recording.tree, &[])?;
    assert_present(&bytes, &["Public words", "public-value", "but this shows"]);
    assert_absent(&bytes, &["Private", "private-value", "Masked words"]);

    // Nodes added later get the overrides of their new ancestors.
    append_html(&recording.find("#private")?, "<i>private addition</i>")?;
    append_html(&recording.find("#public")?, "<i>public addition</i>")?;
    let mutation = recording.take().ok_or("no mutation")?;
    let bytes = segment_bytes(&recording.tree, &[mutation])?;
    assert_present(&bytes, &["public addition"]);
    assert_absent(&bytes, &["private addition"]);
    Ok(())
}

#[wasm_bindgen_test]
fn blocked_media_keeps_its_size_and_loses_its_source_and_content() -> TestResult {
    let mut recording = Recording::with(
        "<img id=\"photo\" src=\"/secret-photo.png\" srcset=\"/secret-photo-2x.png 2x\" \
              style=\"width:64px;height:32px\">\
         <video id=\"clip\" poster=\"/secret-poster.png\" style=\"display:block;width:160px;height:90px\">\
           <source src=\"/secret-clip.mp4\"></video>\
         <canvas id=\"paint\" width=\"100\" height=\"40\"></canvas>\
         <picture><source srcset=\"/secret-picture.webp\"><img src=\"/secret-picture.png\"></picture>\
         <svg width=\"50\" height=\"50\"><image id=\"vector\" href=\"/secret-vector.png\" \
              width=\"50\" height=\"20\"></image></svg>\
         <iframe id=\"foreign\" src=\"http://localhost:1/secret-embed\" \
              style=\"border:0;width:300px;height:150px\"></iframe>\
         <iframe id=\"local\" src=\"/same-origin-frame.html\" style=\"width:30px;height:15px\"></iframe>\
         <div id=\"panel\" class=\"sl-block\" \
              style=\"border:2px solid;padding:3px;width:200px;height:50px\">Blocked words</div>\
         <img id=\"logo\" class=\"sl-unblock\" src=\"/public-logo.png\">\
         <div id=\"later\" style=\"width:70px;height:20px\">Later blocked words</div>",
        PrivacyConfig::default(),
    )?;
    let secrets = [
        "secret-photo",
        "secret-poster",
        "secret-clip",
        "secret-picture",
        "secret-vector",
        "secret-embed",
        "Blocked words",
    ];
    let bytes = segment_bytes(&recording.tree, &[])?;
    assert_absent(&bytes, &secrets);
    assert_present(&bytes, &["/same-origin-frame.html", "/public-logo.png"]);
    let tree = &recording.tree;
    for (id, size) in [
        ("photo", "width:64px;height:32px"),
        ("clip", "width:160px;height:90px"),
        ("paint", "width:100px;height:40px"),
        ("vector", "width:50px;height:20px"),
        ("foreign", "width:300px;height:150px"),
        ("panel", "box-sizing:border-box;width:210px;height:60px"),
    ] {
        let node = element(tree, id)?;
        assert_eq!(attribute(node, "data-sl-blocked"), Some(""), "{id}");
        let style = attribute(node, "style").unwrap_or_default();
        assert!(style.ends_with(size), "{id}: {style}");
        assert!(node.children().is_empty(), "{id} keeps no content");
    }
    for id in ["local", "logo", "later"] {
        assert_eq!(
            attribute(element(tree, id)?, "data-sl-blocked"),
            None,
            "{id}"
        );
    }

    // Media added later is blocked; an element that becomes blocked loses its content; an embed
    // that starts loading another origin is blocked.
    append_html(
        &recording.container,
        "<img id=\"added\" src=\"/secret-added.png\" style=\"width:7px;height:9px\">",
    )?;
    let later = recording.find("#later")?;
    later.set_attribute("class", "sl-block")?;
    recording
        .find("#local")?
        .set_attribute("src", "http://localhost:1/secret-navigation")?;
    let mutation = recording.take().ok_or("no mutation")?;
    apply(&mut recording.tree, &mutation).map_err(|e| JsValue::from_str(&e))?;
    later
        .first_child()
        .ok_or("no text")?
        .set_node_value(Some("Blocked change"));
    assert_eq!(
        recording.take(),
        None,
        "nothing inside a placeholder is recorded"
    );
    let bytes = segment_bytes(&recording.tree, &[mutation])?;
    assert_absent(&bytes, &secrets);
    assert_absent(
        &bytes,
        &["secret-added", "Later blocked", "secret-navigation"],
    );
    let tree = &recording.tree;
    for (id, size) in [
        ("added", "width:7px;height:9px"),
        ("later", "width:70px;height:20px"),
        ("local", "width:34px;height:19px"),
    ] {
        let node = element(tree, id)?;
        assert_eq!(attribute(node, "data-sl-blocked"), Some(""), "{id}");
        assert_eq!(attribute(node, "src"), None, "{id}");
        let style = attribute(node, "style").unwrap_or_default();
        assert!(style.ends_with(size), "{id}: {style}");
        assert!(node.children().is_empty(), "{id} keeps no content");
    }
    Ok(())
}

#[wasm_bindgen_test]
fn start_options_are_read_from_javascript_values() -> TestResult {
    let options = js_sys::eval(
        "({dsn: 'http://k@h/1', maskAllText: 'false', maskAllInputs: false, \
          blockAllMedia: 'nonsense', unmask: ['.a', 7, '.b, .c'], block: '.d', \
          ignoreSelector: 'input.search'})",
    )?;
    let config = privacy_config(&options);
    assert!(!config.mask_all_text && !config.mask_all_inputs && config.block_all_media);
    assert_eq!(config.selectors(SelectorList::Unmask), [".a", ".b", ".c"]);
    assert_eq!(config.selectors(SelectorList::Block), [".d"]);
    assert_eq!(config.selectors(SelectorList::Ignore), ["input.search"]);
    assert_eq!(
        privacy_config(&"http://k@h/1".into()),
        PrivacyConfig::default()
    );
    Ok(())
}

#[wasm_bindgen_test]
fn invalid_selectors_are_dropped_instead_of_breaking_the_recording() -> TestResult {
    let config = PrivacyConfig::from_options(|name| {
        (name == "unmask").then(|| RawOption::Text(".ok, p:::bad".into()))
    });
    let recording = Recording::with("<p class=\"ok\">Shown words</p><p>Hidden words</p>", config)?;
    let bytes = segment_bytes(&recording.tree, &[])?;
    assert_present(&bytes, &["Shown words"]);
    assert_absent(&bytes, &["Hidden words"]);
    Ok(())
}

#[wasm_bindgen_test]
async fn placeholders_follow_the_size_of_what_they_hide() -> TestResult {
    use super::capture::{Live, run, sleep};
    let live = Live::start(
        "<div id=\"frame\" style=\"--w: 100px\">\
           <div id=\"ad\" class=\"sl-block\" style=\"width: var(--w); height: 20px\">Ad words</div>\
         </div>",
        PrivacyConfig::default(),
    )?;
    sleep(50).await?;
    // The element's own attributes do not change: only the ResizeObserver can tell.
    run("document.querySelector('#frame').style.setProperty('--w', '150px');")?;
    sleep(100).await?;
    let ad = live.id("#ad")?;
    let styles: Vec<Option<String>> = live
        .events()?
        .into_iter()
        .filter_map(|event| match event {
            EventData::Mutation(mutation) => Some(mutation.attributes),
            _ => None,
        })
        .flatten()
        .filter(|change| change.id == ad && change.name == "style")
        .map(|change| change.value)
        .collect();
    assert_eq!(
        styles,
        [Some(
            "width: var(--w); height: 20px;box-sizing:border-box;width:150px;height:20px"
                .to_owned()
        )],
        "one change, when the size changed"
    );
    Ok(())
}
