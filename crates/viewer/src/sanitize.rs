//! What must never run in a replay. The recorded page is untrusted HTML: before anything reaches
//! the player's iframe, scripts are made inert, event-handler attributes are dropped and URLs that
//! would execute code are neutralized.
//!
//! The iframe is sandboxed without `allow-scripts` as well; these rules are the second wall, and
//! they also stop what a sandbox does not: `<meta http-equiv=refresh>` navigating the frame, and
//! `srcdoc` frames loading recorded markup. Recorded frames never load their `src`: what the
//! recorder captured of them is rendered into them, under the player's own sandbox.

/// The `type` given to every rendered `<script>`: an unknown type is never executed.
pub const INERT_SCRIPT_TYPE: &str = "text/x-sightline-inert";

/// The `sandbox` given to every rendered `<iframe>`: the player's own (same origin, so that the
/// player can build the recorded frame's document in it; never scripts).
pub const FRAME_SANDBOX: &str = "allow-same-origin";

/// What an `@import` rule becomes: an import of nothing, which keeps rule indexes intact.
pub const INERT_IMPORT: &str = "@import url(\"about:invalid\");";

/// Attributes whose value is a URL that a browser may load or navigate to.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "ping",
    "codebase",
    "cite",
    "lowsrc",
    "dynsrc",
];

/// URL prefixes (after normalization) that execute code or load a document.
const DANGEROUS_SCHEMES: &[&str] = &[
    "javascript:",
    "vbscript:",
    "data:text/html",
    "data:application/xhtml",
    "data:text/xml",
    "data:application/xml",
];

/// Whether `tag` is a `<script>` element (HTML or SVG).
pub fn is_script(tag: &str) -> bool {
    tag.eq_ignore_ascii_case("script")
}

/// Whether `tag` is a frame (`<iframe>`, `<frame>`), whose recorded content is rendered into it.
pub fn is_frame(tag: &str) -> bool {
    tag.eq_ignore_ascii_case("iframe") || tag.eq_ignore_ascii_case("frame")
}

/// Whether the renderer sets attribute `name` of a `tag` element itself (a script's `type`, a
/// frame's `sandbox`), whatever the recording says.
pub fn is_fixed_attribute(tag: &str, name: &str) -> bool {
    (is_script(tag) && name.eq_ignore_ascii_case("type"))
        || (is_frame(tag) && name.eq_ignore_ascii_case("sandbox"))
}

/// Whether `name` on a `tag` element is the control's live value that the recorder (like rrweb)
/// writes as an attribute of `<textarea>` and `<select>`: a browser has no such attribute, so the
/// renderer sets the `value` property from it instead.
pub fn is_value_property(tag: &str, name: &str) -> bool {
    (tag.eq_ignore_ascii_case("textarea") || tag.eq_ignore_ascii_case("select"))
        && name.trim().eq_ignore_ascii_case("value")
}

/// The live value recorded for a `<textarea>` or `<select>` (see [`is_value_property`]).
pub fn value_property<'a>(tag: &str, attributes: &'a [(String, String)]) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(name, _)| is_value_property(tag, name))
        .map(|(_, value)| value.as_str())
}

/// Whether a form control's `value` is a property of its own: false for the inputs whose `value`
/// property is their `value` attribute (checkboxes, radio buttons, hidden inputs and buttons),
/// where setting it would add an attribute the page never had.
pub fn value_is_property(tag: &str, attributes: &[(String, String)]) -> bool {
    if !tag.eq_ignore_ascii_case("input") {
        return true;
    }
    let kind = attributes
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("type"))
        .map_or("text", |(_, value)| value.trim());
    ![
        "checkbox", "radio", "hidden", "submit", "button", "reset", "image",
    ]
    .iter()
    .any(|k| kind.eq_ignore_ascii_case(k))
}

/// The attribute to render for `name=value` on a `tag` element, or `None` to leave it out.
///
/// The live value of a `<textarea>` or `<select>` is left out too ([`is_value_property`]).
/// Event handlers (`on*`), `srcdoc`, `http-equiv` on `<meta>` when it asks for a refresh, a
/// script's `src` and `type`, and URL attributes that would run code are all left out.
pub fn attribute<'a>(tag: &str, name: &str, value: &'a str) -> Option<&'a str> {
    let lower = name.trim().to_ascii_lowercase();
    if lower.starts_with("on") || lower == "srcdoc" || is_value_property(tag, &lower) {
        return None;
    }
    if is_script(tag) && matches!(lower.as_str(), "src" | "type" | "href" | "xlink:href") {
        return None;
    }
    if is_frame(tag) && matches!(lower.as_str(), "src" | "sandbox") {
        return None;
    }
    if tag.eq_ignore_ascii_case("meta")
        && lower == "http-equiv"
        && value.trim().eq_ignore_ascii_case("refresh")
    {
        return None;
    }
    if URL_ATTRIBUTES.contains(&lower.as_str()) && is_dangerous_url(value) {
        return None;
    }
    Some(value)
}

/// The attributes to render for an element: [`attribute`] applied to each, plus the inert `type`
/// on scripts and the player's `sandbox` on frames.
pub fn attributes<'a>(tag: &str, attributes: &'a [(String, String)]) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = attributes
        .iter()
        .filter_map(|(name, value)| attribute(tag, name, value).map(|v| (name.as_str(), v)))
        .collect();
    if is_script(tag) {
        out.push(("type", INERT_SCRIPT_TYPE));
    }
    if is_frame(tag) {
        out.push(("sandbox", FRAME_SANDBOX));
    }
    out
}

/// The CSS rule text to insert for a recorded `insertRule`: the text itself, except that an
/// `@import` (which would fetch a stylesheet from wherever it points, at replay time) becomes
/// [`INERT_IMPORT`].
pub fn css_rule(text: &str) -> &str {
    let start = text.trim_start();
    let is_import = start
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("@import"));
    if is_import { INERT_IMPORT } else { text }
}

/// Whether a URL would run script or load a document when followed, the way browsers parse it:
/// leading and trailing control characters and spaces are ignored, tabs and newlines anywhere are
/// removed and the scheme is case-insensitive.
pub fn is_dangerous_url(value: &str) -> bool {
    let normalized: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    DANGEROUS_SCHEMES
        .iter()
        .any(|scheme| normalized.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn event_handlers_are_dropped_whatever_their_case() {
        let attrs = pairs(&[("onclick", "steal()"), ("ONLOAD", "x()"), ("class", "btn")]);
        assert_eq!(attributes("button", &attrs), vec![("class", "btn")]);
    }

    #[test]
    fn live_values_of_textareas_and_selects_are_not_attributes() {
        let attrs = pairs(&[("name", "bio"), ("value", "Typed text")]);
        assert_eq!(attributes("textarea", &attrs), vec![("name", "bio")]);
        assert_eq!(attributes("SELECT", &attrs), vec![("name", "bio")]);
        assert_eq!(value_property("textarea", &attrs), Some("Typed text"));
        // An input's `value` attribute is its default value, part of the page's markup.
        assert_eq!(
            attributes("input", &attrs),
            vec![("name", "bio"), ("value", "Typed text")]
        );
        assert_eq!(value_property("input", &attrs), None);
    }

    #[test]
    fn checkbox_values_are_attributes_text_values_are_properties() {
        assert!(!value_is_property("input", &pairs(&[("type", "Checkbox")])));
        assert!(!value_is_property("input", &pairs(&[("type", "hidden")])));
        assert!(value_is_property("input", &pairs(&[("type", "email")])));
        assert!(value_is_property("input", &[]));
        assert!(value_is_property("textarea", &[]));
    }

    #[test]
    fn scripts_become_inert() {
        let attrs = pairs(&[("src", "/app.js"), ("type", "module"), ("id", "main")]);
        assert_eq!(
            attributes("script", &attrs),
            vec![("id", "main"), ("type", INERT_SCRIPT_TYPE)]
        );
        assert_eq!(attributes("SCRIPT", &[]), vec![("type", INERT_SCRIPT_TYPE)]);
    }

    #[test]
    fn javascript_urls_are_neutralized_even_when_obfuscated() {
        for url in [
            "javascript:alert(1)",
            "  JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "jav\nascript:x",
            "vbscript:msgbox",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
        ] {
            assert!(is_dangerous_url(url), "{url:?} should be dangerous");
            for name in ["href", "src", "action", "formaction", "xlink:href", "HREF"] {
                assert_eq!(attribute("a", name, url), None, "{name}={url:?}");
            }
        }
    }

    #[test]
    fn ordinary_urls_are_kept() {
        for url in [
            "https://shop.example/cart",
            "/checkout",
            "#top",
            "data:image/png;base64,iVBORw0KGgo=",
            "mailto:help@shop.example",
        ] {
            assert!(!is_dangerous_url(url), "{url:?}");
            assert_eq!(attribute("a", "href", url), Some(url));
        }
        // Only URL attributes are checked: a title may say anything.
        assert_eq!(
            attribute("a", "title", "javascript:void 0"),
            Some("javascript:void 0")
        );
    }

    #[test]
    fn frames_never_load_their_recorded_source_and_keep_the_player_sandbox() {
        let attrs = pairs(&[
            ("src", "https://shop.example/widget"),
            ("sandbox", "allow-scripts allow-same-origin"),
            ("title", "widget"),
        ]);
        assert_eq!(
            attributes("iframe", &attrs),
            vec![("title", "widget"), ("sandbox", FRAME_SANDBOX)]
        );
        assert!(is_fixed_attribute("IFRAME", "sandbox"));
        assert!(is_fixed_attribute("script", "type"));
        assert!(!is_fixed_attribute("div", "sandbox"));
        assert_eq!(attribute("img", "src", "/a.png"), Some("/a.png"));
    }

    #[test]
    fn css_imports_become_inert_and_other_rules_stay() {
        assert_eq!(
            css_rule("  @IMPORT url(https://evil.example/x.css);"),
            INERT_IMPORT
        );
        assert_eq!(css_rule("@import 'x.css' screen"), INERT_IMPORT);
        assert_eq!(css_rule(".a { color: red }"), ".a { color: red }");
        assert_eq!(css_rule("@media print { .a {} }"), "@media print { .a {} }");
        assert_eq!(css_rule("@im"), "@im");
    }

    #[test]
    fn meta_refresh_and_srcdoc_are_dropped() {
        assert_eq!(attribute("meta", "http-equiv", "Refresh"), None);
        assert_eq!(
            attribute("meta", "http-equiv", "content-type"),
            Some("content-type")
        );
        assert_eq!(attribute("iframe", "srcdoc", "<script>x</script>"), None);
    }
}
