//! Privacy by default: what of the page may enter a segment, and in which form.
//!
//! Everything here is plain Rust; the browser glue asks it about each node and attribute it
//! serializes, before anything is encoded:
//! - text is masked keeping its layout ([`mask_text`]: every non-whitespace character becomes `*`,
//!   whitespace stays), input values are replaced by a fixed-length mask ([`mask_value`]) so that
//!   their length does not leak either;
//! - [`PrivacyConfig`] holds the page's choices (`maskAllText`, `maskAllInputs`, `blockAllMedia`
//!   and selector lists), parsed from `start(options)` or the loader's `data-` attributes;
//! - [`Scope`] carries the nearest mask / unmask override down the tree, and the roles
//!   ([`TextRole`], [`MediaKind`]) say which rule applies to what.
//!
//! ```
//! use sightline_recorder::mask::{PrivacyConfig, Scope, TextRole, mask_text};
//!
//! assert_eq!(mask_text("Jane Doe\n42 Main St."), "**** ***\n** **** ***");
//! let config = PrivacyConfig::default();
//! assert_eq!(config.text(Scope::default(), TextRole::Text, "Hi there"), "** *****");
//! assert_eq!(config.text(Scope::default(), TextRole::Value { secret: false }, "Hi"), "********");
//! assert_eq!(config.text(Scope::default(), TextRole::Raw, "p{color:red}"), "p{color:red}");
//! ```

mod config;
mod policy;

pub use config::{
    MAX_SELECTOR_BYTES, MAX_SELECTORS, PrivacyConfig, RawOption, SelectorList, split_selector_list,
};
pub use policy::{
    MaskOverride, MediaKind, Scope, TextRole, attribute_role, blocked_style, is_media_source,
    media_kind, same_origin, text_role,
};

/// What every non-empty input value is recorded as: eight stars, whatever its length.
pub const MASKED_VALUE: &str = "********";

/// Masks text keeping its layout: every non-whitespace character becomes `*`, whitespace (spaces,
/// tabs, line breaks, no-break spaces) is kept exactly, so word shapes and line breaks survive.
pub fn mask_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_whitespace() { c } else { '*' })
        .collect()
}

/// Masks an input value: empty stays empty, anything else becomes [`MASKED_VALUE`].
pub fn mask_value(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        MASKED_VALUE.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_masks_keep_whitespace_and_word_shape() {
        assert_eq!(mask_text("Hello, world!"), "****** ******");
        assert_eq!(
            mask_text("  two\tspaces\r\nand lines \n"),
            "  ***\t******\r\n*** ***** \n"
        );
        assert_eq!(mask_text(""), "");
        assert_eq!(mask_text(" \n\t"), " \n\t");
    }

    #[test]
    fn text_masks_count_characters_not_bytes() {
        assert_eq!(mask_text("Zoë Ünal"), "*** ****");
        assert_eq!(mask_text("東京 タワー"), "** ***");
        assert_eq!(mask_text("🙂 ok"), "* **");
        // A no-break space and an ideographic space are whitespace too.
        assert_eq!(mask_text("12\u{a0}€\u{3000}x"), "**\u{a0}*\u{3000}*");
    }

    #[test]
    fn value_masks_have_a_fixed_length() {
        assert_eq!(mask_value("a"), MASKED_VALUE);
        assert_eq!(mask_value(&"long secret ".repeat(100)), MASKED_VALUE);
        assert_eq!(mask_value("ü"), "********");
        assert_eq!(mask_value(""), "");
    }
}
