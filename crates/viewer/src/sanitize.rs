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

/// URL schemes (after normalization) that execute code.
const SCRIPT_SCHEMES: &[&str] = &["javascript:", "vbscript:"];

/// MIME types of `data:` URLs that load a document which may run script.
const DOCUMENT_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/xsl",
    "application/xslt+xml",
];

/// SVG animation elements, whose `to`/`from`/`by`/`values` can set a link's `href` later.
const ANIMATION_TAGS: &[&str] = &[
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "animatecolor",
];

/// The attributes of an SVG animation that hold the values it sets.
const ANIMATION_VALUES: &[&str] = &["to", "from", "by", "values"];

/// The local name of a tag: what follows a namespace prefix (`svg:script` is an SVG `script`
/// when the element is created in the SVG namespace).
fn local_name(tag: &str) -> &str {
    tag.rsplit(':').next().unwrap_or(tag)
}

/// Whether `tag` is a `<script>` element (HTML or SVG, with or without a prefix).
pub fn is_script(tag: &str) -> bool {
    local_name(tag).eq_ignore_ascii_case("script")
}

/// Whether `tag` is a frame (`<iframe>`, `<frame>`), whose recorded content is rendered into it.
pub fn is_frame(tag: &str) -> bool {
    let tag = local_name(tag);
    tag.eq_ignore_ascii_case("iframe") || tag.eq_ignore_ascii_case("frame")
}

/// Whether `name` on a `tag` element shows its URL only as an image (where an SVG `data:` URL
/// cannot run script), rather than loading or navigating to it as a document.
fn shows_image(tag: &str, name: &str) -> bool {
    let tag = local_name(tag).to_ascii_lowercase();
    match name {
        "poster" | "background" | "lowsrc" | "dynsrc" => true,
        "src" => matches!(tag.as_str(), "img" | "source" | "input" | "video" | "audio"),
        "href" | "xlink:href" => matches!(tag.as_str(), "image" | "use" | "feimage" | "link"),
        _ => false,
    }
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
    if local_name(tag).eq_ignore_ascii_case("meta")
        && lower == "http-equiv"
        && value.trim().eq_ignore_ascii_case("refresh")
    {
        return None;
    }
    if URL_ATTRIBUTES.contains(&lower.as_str())
        && (is_dangerous_url(value) || (is_svg_data_url(value) && !shows_image(tag, &lower)))
    {
        return None;
    }
    let tag_name = local_name(tag).to_ascii_lowercase();
    if ANIMATION_TAGS.contains(&tag_name.as_str())
        && ANIMATION_VALUES.contains(&lower.as_str())
        && value
            .split(';')
            .any(|part| is_dangerous_url(part) || is_svg_data_url(part))
    {
        // `<set attributeName="href" to="javascript:…">` turns a link dangerous after the fact.
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
///
/// The at-keyword is read the way CSS reads it: after whitespace and comments, with escapes
/// decoded (`/**/@\69mport` is an `@import` too).
pub fn css_rule(text: &str) -> &str {
    if at_keyword(text).is_some_and(|name| name.eq_ignore_ascii_case("import")) {
        INERT_IMPORT
    } else {
        text
    }
}

/// The name of the at-rule that `text` starts with, after whitespace and comments, with CSS
/// escapes decoded; `None` when it starts with something else. Reads at most 64 characters of
/// the name.
fn at_keyword(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        match trimmed.strip_prefix("/*") {
            Some(comment) => rest = comment.find("*/").map_or("", |end| &comment[end + 2..]),
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    let mut chars = rest.strip_prefix('@')?.chars().peekable();
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if name.len() > 64 {
            break;
        }
        if c == '\\' {
            chars.next();
            let mut hex = String::new();
            while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                hex.extend(chars.next());
            }
            if hex.is_empty() {
                match chars.next() {
                    Some('\n') | None => break,
                    Some(escaped) => name.push(escaped),
                }
            } else {
                if chars.peek().is_some_and(char::is_ascii_whitespace) {
                    chars.next();
                }
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                name.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
        } else if c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() {
            name.push(c);
            chars.next();
        } else {
            break;
        }
    }
    Some(name)
}

/// A URL the way browsers parse it: leading and trailing control characters and spaces
/// ignored, tabs and newlines anywhere removed, lowercased (schemes and MIME types are
/// case-insensitive); only its first 64 characters, which is all the checks need.
fn normalized_url(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The MIME type of a `data:` URL (`None` for other URLs), as a browser reads it: what comes
/// before the first `;` or `,`, without surrounding whitespace.
fn data_url_type(normalized: &str) -> Option<&str> {
    let rest = normalized.strip_prefix("data:")?;
    let end = rest.find([';', ',']).unwrap_or(rest.len());
    Some(rest[..end].trim_matches(|c: char| c.is_ascii_whitespace()))
}

/// Whether a URL would run script or load a document that may run script when followed:
/// `javascript:` and `vbscript:` URLs and `data:` URLs of HTML or XML documents, however they
/// are spaced or cased.
pub fn is_dangerous_url(value: &str) -> bool {
    let normalized = normalized_url(value);
    SCRIPT_SCHEMES
        .iter()
        .any(|scheme| normalized.starts_with(scheme))
        || data_url_type(&normalized).is_some_and(|kind| DOCUMENT_TYPES.contains(&kind))
}

/// Whether a URL is an SVG `data:` URL: harmless as an image, a scripted document when loaded
/// in a frame, an object or by navigating to it.
fn is_svg_data_url(value: &str) -> bool {
    data_url_type(&normalized_url(value)) == Some("image/svg+xml")
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
    fn prefixed_tags_are_judged_by_their_local_name() {
        // `svg:script` created in the SVG namespace is a script element.
        assert_eq!(
            attributes("svg:script", &pairs(&[("href", "/x.js"), ("id", "s")])),
            vec![("id", "s"), ("type", INERT_SCRIPT_TYPE)]
        );
        assert!(is_frame("x:IFRAME"));
        assert_eq!(attribute("svg:meta", "http-equiv", "refresh"), None);
    }

    #[test]
    fn data_documents_are_dangerous_however_their_type_is_spaced() {
        for url in [
            "data: text/html,<script>x</script>",
            "data:Text/HTML ;base64,PHNjcmlwdD4=",
            "data:application/xhtml+xml,<x/>",
            "data:text/xsl,<x/>",
        ] {
            assert!(is_dangerous_url(url), "{url:?}");
        }
        assert!(!is_dangerous_url("data:,text/html"));
        assert!(!is_dangerous_url("data:text/plain,text/html"));
    }

    #[test]
    fn svg_data_urls_are_kept_only_where_they_show_as_images() {
        let svg = "data:image/svg+xml,<svg onload='x()'/>";
        assert_eq!(attribute("img", "src", svg), Some(svg));
        assert_eq!(attribute("image", "href", svg), Some(svg));
        assert_eq!(attribute("link", "href", svg), Some(svg));
        assert_eq!(attribute("object", "data", svg), None);
        assert_eq!(attribute("embed", "src", svg), None);
        assert_eq!(attribute("a", "href", svg), None);
        assert_eq!(attribute("form", "action", " DATA:image/svg+xml,x"), None);
    }

    #[test]
    fn animations_cannot_set_a_scripted_url_later() {
        assert_eq!(attribute("set", "to", "javascript:x()"), None);
        assert_eq!(attribute("animate", "values", "#a; JavaScript:x()"), None);
        assert_eq!(attribute("svg:animate", "from", "data:text/html,x"), None);
        assert_eq!(attribute("animate", "values", "0;1"), Some("0;1"));
        assert_eq!(attribute("set", "to", "red"), Some("red"));
        // Other elements' `to` is just text.
        assert_eq!(
            attribute("p", "to", "javascript:x()"),
            Some("javascript:x()")
        );
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
