//! Which privacy rule applies to a node or an attribute, given the overrides around it.

use super::{PrivacyConfig, mask_text, mask_value};

/// An explicit choice made by a class, attribute or selector on an element or an ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskOverride {
    /// Mask text and inputs here, whatever the defaults.
    Mask,
    /// Record text and inputs here as they are (passwords and hidden inputs excepted).
    Unmask,
}

/// The privacy state an element inherits from itself and its ancestors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope {
    /// The nearest mask or unmask override; `None` leaves it to the configuration's defaults.
    pub mask: Option<MaskOverride>,
    /// Whether the element or an ancestor matches the unblock list.
    pub unblocked: bool,
}

impl Scope {
    /// The scope of an element inside `self` that matches the mask, unmask and unblock lists as
    /// given. When an element matches both mask and unmask, masking wins.
    #[must_use]
    pub fn enter(self, mask: bool, unmask: bool, unblock: bool) -> Self {
        Self {
            mask: if mask {
                Some(MaskOverride::Mask)
            } else if unmask {
                Some(MaskOverride::Unmask)
            } else {
                self.mask
            },
            unblocked: self.unblocked || unblock,
        }
    }
}

/// How a piece of page text (a text node's content or an attribute's value) is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRole {
    /// As it is: CSS in `<style>`, and attributes that carry no page text (`class`, `href` …).
    Raw,
    /// Page text: masked keeping its layout unless unmasked.
    Text,
    /// An input's value: masked to a fixed length unless unmasked.
    Value {
        /// A password or hidden input's value, which is never unmasked.
        secret: bool,
    },
}

/// What kind of media an element is, for `blockAllMedia`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// Not media.
    None,
    /// Blocked whenever media is: `img`, `video`, `audio`, `canvas`, `<picture>`'s `source`,
    /// SVG `image`.
    Always,
    /// Blocked when its content comes from another origin: `iframe`, `embed`, `object`.
    CrossOrigin,
}

/// Attribute names whose values are page text, masked like text.
const TEXT_ATTRIBUTES: [&str; 9] = [
    "title",
    "placeholder",
    "alt",
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-valuetext",
    "label",
    "srcdoc",
];

/// Attributes that point at an element's media; a blocked element is recorded without them.
const MEDIA_SOURCE_ATTRIBUTES: [&str; 7] = [
    "src",
    "srcset",
    "poster",
    "data",
    "srcdoc",
    "href",
    "xlink:href",
];

/// The role of the text in a child of `parent_tag`: CSS stays raw, a `<textarea>`'s text is its
/// value, anything else is page text.
pub fn text_role(parent_tag: &str) -> TextRole {
    if parent_tag.eq_ignore_ascii_case("style") {
        TextRole::Raw
    } else if parent_tag.eq_ignore_ascii_case("textarea") {
        TextRole::Value { secret: false }
    } else {
        TextRole::Text
    }
}

/// The role of attribute `name` on an element `tag`; `input_type` is the input's type (empty for
/// other elements), `"password"` for an input that ever was one.
pub fn attribute_role(tag: &str, input_type: &str, name: &str) -> TextRole {
    if TEXT_ATTRIBUTES
        .iter()
        .any(|text| name.eq_ignore_ascii_case(text))
    {
        return TextRole::Text;
    }
    if !name.eq_ignore_ascii_case("value") {
        return TextRole::Raw;
    }
    if tag.eq_ignore_ascii_case("input") {
        let is = |kind: &str| input_type.eq_ignore_ascii_case(kind);
        if is("submit") || is("button") || is("reset") {
            // A button's label, shown on the page like any text.
            return TextRole::Text;
        }
        return TextRole::Value {
            secret: is("password") || is("hidden"),
        };
    }
    let form_value = ["option", "select", "textarea", "button"]
        .iter()
        .any(|form| tag.eq_ignore_ascii_case(form));
    if form_value {
        TextRole::Value { secret: false }
    } else {
        TextRole::Raw
    }
}

/// Whether a blocked element is recorded without attribute `name` (it points at the media).
pub fn is_media_source(name: &str) -> bool {
    MEDIA_SOURCE_ATTRIBUTES
        .iter()
        .any(|source| name.eq_ignore_ascii_case(source))
}

/// What kind of media an element is: `tag` is its local name, `svg` whether it is in the SVG
/// namespace, `parent_tag` its parent's local name.
pub fn media_kind(tag: &str, svg: bool, parent_tag: &str) -> MediaKind {
    let is = |name: &str| tag.eq_ignore_ascii_case(name);
    if svg {
        return if is("image") {
            MediaKind::Always
        } else {
            MediaKind::None
        };
    }
    let picture_source = is("source") && parent_tag.eq_ignore_ascii_case("picture");
    if is("img") || is("video") || is("audio") || is("canvas") || picture_source {
        MediaKind::Always
    } else if is("iframe") || is("embed") || is("object") {
        MediaKind::CrossOrigin
    } else {
        MediaKind::None
    }
}

/// Whether the absolute `url` an embed loads is of `origin` (`scheme://host[:port]`, as
/// `location.origin` gives it). Empty, `about:` and `javascript:` URLs load nothing from
/// elsewhere; `blob:` URLs belong to the origin written after the prefix; `data:` URLs are
/// opaque, never of the page's origin.
pub fn same_origin(url: &str, origin: &str) -> bool {
    let url = url.trim();
    let starts = |prefix: &str| {
        url.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if url.is_empty() || starts("about:") || starts("javascript:") {
        return true;
    }
    let url = if starts("blob:") { &url[5..] } else { url };
    if origin.is_empty() || origin == "null" {
        return false;
    }
    let Some(head) = url.get(..origin.len()) else {
        return false;
    };
    head.eq_ignore_ascii_case(origin)
        && matches!(
            url[origin.len()..].chars().next(),
            None | Some('/' | '?' | '#')
        )
}

/// The `style` of a blocked placeholder: the element's own style, then its measured size (the
/// border box, as `getBoundingClientRect` gives it), which wins.
pub fn blocked_style(style: &str, width: f64, height: f64) -> String {
    let pixels = |value: f64| {
        // Layout sizes are small and non-negative; NaN and negatives become 0.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let pixels = value.max(0.0).round().min(f64::from(u32::MAX)) as u32;
        pixels
    };
    let style = style.trim().trim_end_matches(';');
    let mut out = String::with_capacity(style.len() + 48);
    if !style.is_empty() {
        out.push_str(style);
        out.push(';');
    }
    // Pushed piece by piece: `format!` would link the formatting machinery into the bundle.
    out.push_str("box-sizing:border-box;width:");
    out.push_str(&pixels(width).to_string());
    out.push_str("px;height:");
    out.push_str(&pixels(height).to_string());
    out.push_str("px");
    out
}

impl PrivacyConfig {
    /// Whether page text in `scope` is masked.
    pub fn masks_text(&self, scope: Scope) -> bool {
        match scope.mask {
            Some(MaskOverride::Mask) => true,
            Some(MaskOverride::Unmask) => false,
            None => self.mask_all_text,
        }
    }

    /// Whether input values in `scope` are masked; `secret` ones (passwords, hidden inputs)
    /// always are.
    pub fn masks_inputs(&self, scope: Scope, secret: bool) -> bool {
        secret
            || match scope.mask {
                Some(MaskOverride::Mask) => true,
                Some(MaskOverride::Unmask) => false,
                None => self.mask_all_inputs,
            }
    }

    /// The recorded form of `text` of role `role` in `scope`.
    pub fn text(&self, scope: Scope, role: TextRole, text: &str) -> String {
        match role {
            TextRole::Text if self.masks_text(scope) => mask_text(text),
            TextRole::Value { secret } if self.masks_inputs(scope, secret) => mask_value(text),
            _ => text.to_owned(),
        }
    }

    /// Whether an element is replaced by a placeholder: it matches the block list itself, or it
    /// is media of `kind` (`cross_origin` telling where an embed's content comes from) while
    /// `blockAllMedia` is on and nothing here unblocks it.
    pub fn blocks(
        &self,
        scope: Scope,
        matches_block: bool,
        kind: MediaKind,
        cross_origin: bool,
    ) -> bool {
        if matches_block {
            return true;
        }
        let media = match kind {
            MediaKind::None => false,
            MediaKind::Always => true,
            MediaKind::CrossOrigin => cross_origin,
        };
        media && self.block_all_media && !scope.unblocked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::MASKED_VALUE;

    const MASK: Scope = Scope {
        mask: Some(MaskOverride::Mask),
        unblocked: false,
    };
    const UNMASK: Scope = Scope {
        mask: Some(MaskOverride::Unmask),
        unblocked: false,
    };

    fn relaxed() -> PrivacyConfig {
        let mut config = PrivacyConfig::default();
        config.mask_all_text = false;
        config.mask_all_inputs = false;
        config.block_all_media = false;
        config
    }

    #[test]
    fn the_nearest_override_wins_and_mask_beats_unmask_on_one_element() {
        let outer = Scope::default().enter(true, false, false);
        assert_eq!(outer.mask, Some(MaskOverride::Mask));
        let inner = outer.enter(false, true, false);
        assert_eq!(inner.mask, Some(MaskOverride::Unmask));
        assert_eq!(inner.enter(false, false, false), inner);
        assert_eq!(
            inner.enter(true, true, false).mask,
            Some(MaskOverride::Mask)
        );
        assert!(
            inner
                .enter(false, false, true)
                .enter(false, false, false)
                .unblocked
        );
    }

    #[test]
    fn text_is_masked_by_default_and_unmasked_only_by_an_override() {
        let config = PrivacyConfig::default();
        assert_eq!(
            config.text(Scope::default(), TextRole::Text, "Jane Doe"),
            "**** ***"
        );
        assert_eq!(config.text(UNMASK, TextRole::Text, "Jane Doe"), "Jane Doe");
        let relaxed = relaxed();
        assert_eq!(
            relaxed.text(Scope::default(), TextRole::Text, "Jane"),
            "Jane"
        );
        assert_eq!(relaxed.text(MASK, TextRole::Text, "Jane"), "****");
        assert_eq!(
            config.text(MASK, TextRole::Raw, "a { color: red }"),
            "a { color: red }"
        );
    }

    #[test]
    fn secrets_are_masked_even_when_unmasked() {
        let config = relaxed();
        let secret = TextRole::Value { secret: true };
        let plain = TextRole::Value { secret: false };
        assert_eq!(config.text(UNMASK, secret, "hunter2"), MASKED_VALUE);
        assert_eq!(
            config.text(Scope::default(), secret, "hunter2"),
            MASKED_VALUE
        );
        assert_eq!(
            config.text(UNMASK, plain, "jane@example.com"),
            "jane@example.com"
        );
        assert_eq!(config.text(MASK, plain, "jane@example.com"), MASKED_VALUE);
        let strict = PrivacyConfig::default();
        assert_eq!(strict.text(Scope::default(), plain, "x"), MASKED_VALUE);
        assert_eq!(strict.text(UNMASK, plain, "x"), "x");
        assert_eq!(strict.text(UNMASK, secret, ""), "");
    }

    #[test]
    fn attributes_have_roles() {
        let value = |secret| TextRole::Value { secret };
        assert_eq!(attribute_role("input", "text", "value"), value(false));
        assert_eq!(attribute_role("input", "password", "value"), value(true));
        assert_eq!(attribute_role("INPUT", "Hidden", "VALUE"), value(true));
        assert_eq!(attribute_role("input", "checkbox", "value"), value(false));
        assert_eq!(attribute_role("input", "submit", "value"), TextRole::Text);
        assert_eq!(attribute_role("option", "", "value"), value(false));
        assert_eq!(attribute_role("option", "", "label"), TextRole::Text);
        assert_eq!(attribute_role("li", "", "value"), TextRole::Raw);
        assert_eq!(
            attribute_role("input", "text", "placeholder"),
            TextRole::Text
        );
        for name in [
            "title",
            "alt",
            "aria-label",
            "aria-description",
            "aria-valuetext",
        ] {
            assert_eq!(attribute_role("div", "", name), TextRole::Text, "{name}");
        }
        assert_eq!(attribute_role("a", "", "href"), TextRole::Raw);
        assert_eq!(attribute_role("div", "", "class"), TextRole::Raw);
        assert_eq!(text_role("style"), TextRole::Raw);
        assert_eq!(text_role("textarea"), value(false));
        assert_eq!(text_role("p"), TextRole::Text);
        assert!(is_media_source("srcset") && is_media_source("xlink:href"));
        assert!(!is_media_source("width"));
    }

    #[test]
    fn media_is_blocked_by_default_and_embeds_only_from_other_origins() {
        assert_eq!(media_kind("img", false, "p"), MediaKind::Always);
        assert_eq!(media_kind("source", false, "picture"), MediaKind::Always);
        assert_eq!(media_kind("source", false, "video"), MediaKind::None);
        assert_eq!(media_kind("image", true, "svg"), MediaKind::Always);
        assert_eq!(media_kind("image", false, "div"), MediaKind::None);
        assert_eq!(media_kind("iframe", false, "div"), MediaKind::CrossOrigin);
        let config = PrivacyConfig::default();
        let scope = Scope::default();
        assert!(config.blocks(scope, false, MediaKind::Always, false));
        assert!(config.blocks(scope, false, MediaKind::CrossOrigin, true));
        assert!(!config.blocks(scope, false, MediaKind::CrossOrigin, false));
        assert!(!config.blocks(scope, false, MediaKind::None, true));
        assert!(config.blocks(scope, true, MediaKind::None, false));
        let unblocked = scope.enter(false, false, true);
        assert!(!config.blocks(unblocked, false, MediaKind::Always, false));
        assert!(config.blocks(unblocked, true, MediaKind::Always, false));
        assert!(!relaxed().blocks(scope, false, MediaKind::Always, true));
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let origin = "http://127.0.0.1:8080";
        assert!(same_origin("http://127.0.0.1:8080/demo/frame.html", origin));
        assert!(same_origin("HTTP://127.0.0.1:8080?x", origin));
        assert!(same_origin("http://127.0.0.1:8080", origin));
        assert!(same_origin("about:blank", origin));
        assert!(same_origin("", origin));
        assert!(same_origin("blob:http://127.0.0.1:8080/0b7e", origin));
        assert!(!same_origin("http://127.0.0.1:8081/", origin));
        assert!(!same_origin("http://127.0.0.1:80800/", origin));
        assert!(!same_origin("http://127.0.0.1:8080.evil.example/", origin));
        assert!(!same_origin("https://127.0.0.1:8080/", origin));
        assert!(!same_origin("data:text/html,hi", origin));
        assert!(!same_origin("https://www.youtube.com/embed/x", origin));
        assert!(!same_origin("http://a/", "null"));
    }

    #[test]
    fn placeholders_keep_the_measured_size() {
        assert_eq!(
            blocked_style("", 320.4, 180.6),
            "box-sizing:border-box;width:320px;height:181px"
        );
        assert_eq!(
            blocked_style("border: 1px solid; ", 10.0, 20.0),
            "border: 1px solid;box-sizing:border-box;width:10px;height:20px"
        );
        assert_eq!(
            blocked_style("", f64::NAN, -5.0),
            "box-sizing:border-box;width:0px;height:0px"
        );
    }
}
