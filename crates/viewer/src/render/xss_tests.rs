//! The XSS corpus checked natively: after every payload of `xss_corpus.rs` is played through the
//! real player and mirror, what the renderer would put in the page (the sanitizer's output for
//! every element) holds none of the dangerous constructs. An independent, stricter check than
//! the sanitizer's own: any `javascript:`/`vbscript:` anywhere in a URL once all whitespace and
//! control characters are removed, any `data:` document type however it is spaced.

use sightline_protocol::v1::NodeId;

use super::xss_corpus::{self, ids};
use crate::mirror::{Mirror, NodeKind};
use crate::player::Player;
use crate::sanitize::{self, FRAME_SANDBOX, INERT_IMPORT, INERT_SCRIPT_TYPE};

/// Attributes whose value a browser loads, follows or animates into a link.
const URL_LIKE: &[&str] = &[
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
    "to",
    "from",
    "by",
    "values",
];

/// The stricter check: does `value` hold a scripted URL or a scripted `data:` document?
fn scripted(tag: &str, value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let image_tag = matches!(
        tag.rsplit(':').next().unwrap_or(tag),
        "img" | "image" | "use" | "source" | "video" | "link"
    );
    squeezed.contains("javascript:")
        || squeezed.contains("vbscript:")
        || [
            "text/html",
            "application/xhtml",
            "text/xml",
            "application/xml",
        ]
        .iter()
        .any(|kind| squeezed.contains(&format!("data:{kind}")))
        || (!image_tag && squeezed.contains("data:image/svg"))
}

/// Every problem in what the renderer would render of `mirror`, as `tag[attribute]: why`.
fn problems(mirror: &Mirror) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack: Vec<NodeId> = mirror.root().into_iter().collect();
    while let Some(id) = stack.pop() {
        let Some(node) = mirror.node(id) else {
            continue;
        };
        stack.extend(node.children.iter().copied());
        let NodeKind::Element {
            tag, attributes, ..
        } = &node.kind
        else {
            continue;
        };
        let rendered = sanitize::attributes(tag, attributes);
        // Judged by the local name, independently of the sanitizer's own tests: `svg:script`
        // created in the SVG namespace is a script.
        let local = tag.rsplit(':').next().unwrap_or(tag).to_ascii_lowercase();
        for (name, value) in &rendered {
            let lower = name.trim().to_ascii_lowercase();
            if lower.starts_with("on") {
                found.push(format!("{tag}[{name}]: event handler"));
            }
            if lower == "srcdoc" {
                found.push(format!("{tag}[{name}]: srcdoc"));
            }
            if URL_LIKE.contains(&lower.as_str()) && scripted(tag, value) {
                found.push(format!("{tag}[{name}={value:?}]: scripted URL"));
            }
            if local == "meta"
                && lower == "http-equiv"
                && value.trim().eq_ignore_ascii_case("refresh")
            {
                found.push(format!("{tag}[{name}]: refresh"));
            }
        }
        let has = |name: &str, value: &str| rendered.iter().any(|(n, v)| *n == name && *v == value);
        if local == "script"
            && (!has("type", INERT_SCRIPT_TYPE)
                || rendered
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("type"))
                    .count()
                    != 1)
        {
            found.push(format!("{tag}: script not inert"));
        }
        if (local == "iframe" || local == "frame")
            && (!has("sandbox", FRAME_SANDBOX)
                || rendered.iter().any(|(n, _)| n.eq_ignore_ascii_case("src")))
        {
            found.push(format!(
                "{tag}: frame without the player's sandbox or with a src"
            ));
        }
    }
    found
}

#[test]
fn no_payload_of_the_corpus_survives_sanitizing_after_any_step() {
    let mut player = Player::new(xss_corpus::timeline());
    let payloads = xss_corpus::payloads();
    // After the snapshot and after each payload, as the player plays them one by one.
    for (step, t) in (0..=payloads.len() as u64)
        .map(|n| (n, n * 100 + 50))
        .collect::<Vec<_>>()
    {
        player.seek(t);
        let found = problems(player.mirror());
        let after = step
            .checked_sub(1)
            .and_then(|i| payloads.get(i as usize))
            .map_or("the snapshot", |p| p.name);
        assert!(found.is_empty(), "after {after}: {found:#?}");
    }
    // The payloads did arrive: the mirror holds them, unsanitized.
    let mirror = player.mirror();
    let NodeKind::Element { attributes, .. } = &mirror
        .node(ids::LINK)
        .map(|n| n.kind.clone())
        .unwrap_or(NodeKind::Document)
    else {
        panic!("the link is gone");
    };
    assert!(
        attributes
            .iter()
            .any(|(n, v)| n == "onclick" && v.contains("attr-onclick-added")),
        "{attributes:?}"
    );
    assert!(
        mirror.node(100).is_some(),
        "the added script is in the mirror"
    );
}

#[test]
fn css_import_tricks_in_inserted_rules_become_inert() {
    for text in [
        "@import url(https://evil.example/a.css);",
        "/* hi */ @import url(https://evil.example/b.css);",
        "/**//**/\n@IMPORT 'x.css';",
        "@\\69mport url(https://evil.example/c.css);",
        "@\\69 mport url(c.css);",
        "@i\\mport url(c.css);",
        "@\\000069mport url(c.css);",
    ] {
        assert_eq!(sanitize::css_rule(text), INERT_IMPORT, "{text:?}");
    }
    for text in [
        "@media print { p { color: red } }",
        "/* @import url(x.css); */ p { color: red }",
        "p { background: url(@import) }",
        "@importance { }",
        "/* unterminated",
    ] {
        assert_eq!(sanitize::css_rule(text), text, "{text:?}");
    }
}
