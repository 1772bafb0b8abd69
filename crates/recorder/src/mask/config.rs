//! The page's privacy choices, parsed from `start(options)` or the loader's `data-` attributes.
//!
//! Flags accept booleans or the strings a `data-` attribute holds (`"false"`, `"0"`, `"no"`,
//! `"off"` turn a flag off; `"true"`, `"1"`, `"yes"`, `"on"` and `""` turn it on; anything else
//! keeps the safe default). Selector lists accept an array of CSS selectors or one string of
//! comma-separated selectors. Lists are bounded by [`MAX_SELECTORS`] and [`MAX_SELECTOR_BYTES`].

/// Most selectors kept per list; later ones are ignored.
pub const MAX_SELECTORS: usize = 64;

/// Longest selector kept, in bytes; longer ones are ignored.
pub const MAX_SELECTOR_BYTES: usize = 512;

/// An option's value as read from JavaScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawOption {
    /// A JS boolean.
    Bool(bool),
    /// A JS string (all `data-` attributes are strings).
    Text(String),
    /// A JS array, its string items in order.
    List(Vec<String>),
}

/// One of the configurable selector lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorList {
    /// Subtrees whose text and inputs are masked even when masking is off.
    Mask,
    /// Subtrees whose text and inputs are recorded as they are (passwords excepted).
    Unmask,
    /// Elements replaced by a placeholder of the same size, without their content.
    Block,
    /// Media that is recorded although `blockAllMedia` is on.
    Unblock,
    /// Inputs whose input events are not recorded.
    Ignore,
}

impl SelectorList {
    /// Every list, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::Mask,
        Self::Unmask,
        Self::Block,
        Self::Unblock,
        Self::Ignore,
    ];

    /// The selector that always belongs to the list: the `sl-…` class and `data-sl-…` attribute.
    pub fn builtin(self) -> &'static str {
        match self {
            Self::Mask => ".sl-mask,[data-sl-mask]",
            Self::Unmask => ".sl-unmask,[data-sl-unmask]",
            Self::Block => ".sl-block,[data-sl-block]",
            Self::Unblock => ".sl-unblock,[data-sl-unblock]",
            Self::Ignore => ".sl-ignore,[data-sl-ignore]",
        }
    }

    /// The option names that set the list: the short one and Sentry's `…Selector` spelling.
    fn option_names(self) -> [&'static str; 2] {
        match self {
            Self::Mask => ["mask", "maskSelector"],
            Self::Unmask => ["unmask", "unmaskSelector"],
            Self::Block => ["block", "blockSelector"],
            Self::Unblock => ["unblock", "unblockSelector"],
            Self::Ignore => ["ignore", "ignoreSelector"],
        }
    }
}

/// What the page chose to mask, block and ignore. The default masks all text and inputs and
/// blocks all media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyConfig {
    /// Mask all text (option `maskAllText`, attribute `data-mask-all-text`).
    pub mask_all_text: bool,
    /// Mask all input values (option `maskAllInputs`, attribute `data-mask-all-inputs`).
    pub mask_all_inputs: bool,
    /// Block images, video, audio, canvas and cross-origin embeds (option `blockAllMedia`,
    /// attribute `data-block-all-media`).
    pub block_all_media: bool,
    mask: Vec<String>,
    unmask: Vec<String>,
    block: Vec<String>,
    unblock: Vec<String>,
    ignore: Vec<String>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            mask_all_text: true,
            mask_all_inputs: true,
            block_all_media: true,
            mask: Vec::new(),
            unmask: Vec::new(),
            block: Vec::new(),
            unblock: Vec::new(),
            ignore: Vec::new(),
        }
    }
}

impl PrivacyConfig {
    /// Reads the options through `option`, which returns the value of a named option (`None`
    /// when absent). Unknown or malformed values keep the defaults.
    pub fn from_options(mut option: impl FnMut(&str) -> Option<RawOption>) -> Self {
        let mut config = Self::default();
        let mut flag = |name: &str, default: bool| match option(name) {
            Some(RawOption::Bool(value)) => value,
            Some(RawOption::Text(text)) => parse_flag(&text).unwrap_or(default),
            _ => default,
        };
        config.mask_all_text = flag("maskAllText", true);
        config.mask_all_inputs = flag("maskAllInputs", true);
        config.block_all_media = flag("blockAllMedia", true);
        for list in SelectorList::ALL {
            let selectors = config.list_mut(list);
            for name in list.option_names() {
                let items = match option(name) {
                    Some(RawOption::Text(text)) => vec![text],
                    Some(RawOption::List(items)) => items,
                    _ => continue,
                };
                for item in &items {
                    for selector in split_selector_list(item) {
                        if selectors.len() < MAX_SELECTORS && selector.len() <= MAX_SELECTOR_BYTES {
                            selectors.push(selector.to_owned());
                        }
                    }
                }
            }
        }
        config
    }

    /// Adds `selector` to `list` (within the bounds); returns whether it was added.
    pub fn add_selector(&mut self, list: SelectorList, selector: &str) -> bool {
        let selector = selector.trim();
        let selectors = self.list_mut(list);
        let fits = !selector.is_empty()
            && selectors.len() < MAX_SELECTORS
            && selector.len() <= MAX_SELECTOR_BYTES;
        if fits {
            selectors.push(selector.to_owned());
        }
        fits
    }

    /// The page's own selectors of `list`, without the built-in one.
    pub fn selectors(&self, list: SelectorList) -> &[String] {
        match list {
            SelectorList::Mask => &self.mask,
            SelectorList::Unmask => &self.unmask,
            SelectorList::Block => &self.block,
            SelectorList::Unblock => &self.unblock,
            SelectorList::Ignore => &self.ignore,
        }
    }

    /// Drops every page selector for which `valid` says no (the browser checks their syntax).
    pub fn retain_selectors(&mut self, mut valid: impl FnMut(&str) -> bool) {
        for list in SelectorList::ALL {
            self.list_mut(list).retain(|selector| valid(selector));
        }
    }

    /// The whole list as one CSS selector list: the built-in selector, then the page's.
    pub fn selector(&self, list: SelectorList) -> String {
        let mut selector = list.builtin().to_owned();
        for item in self.selectors(list) {
            selector.push(',');
            selector.push_str(item);
        }
        selector
    }

    fn list_mut(&mut self, list: SelectorList) -> &mut Vec<String> {
        match list {
            SelectorList::Mask => &mut self.mask,
            SelectorList::Unmask => &mut self.unmask,
            SelectorList::Block => &mut self.block,
            SelectorList::Unblock => &mut self.unblock,
            SelectorList::Ignore => &mut self.ignore,
        }
    }
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "false" | "0" | "no" | "off" => Some(false),
        "true" | "1" | "yes" | "on" | "" => Some(true),
        _ => None,
    }
}

/// Splits a CSS selector list at its top-level commas: commas inside parentheses (`:is(a, b)`),
/// brackets (`[title="a,b"]`), quotes or after a backslash do not split. Items are trimmed and
/// empty ones dropped.
pub fn split_selector_list(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in list.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, quote) {
            ('\\', _) => escaped = true,
            (c, Some(open)) if c == open => quote = None,
            (_, Some(_)) => {}
            ('"' | '\'', None) => quote = Some(c),
            ('(' | '[', None) => depth += 1,
            (')' | ']', None) => depth = depth.saturating_sub(1),
            (',', None) if depth == 0 => {
                items.push(&list[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(options: &[(&str, RawOption)]) -> PrivacyConfig {
        let options: HashMap<&str, RawOption> = options.iter().cloned().collect();
        PrivacyConfig::from_options(|name| options.get(name).cloned())
    }

    fn text(value: &str) -> RawOption {
        RawOption::Text(value.into())
    }

    #[test]
    fn the_default_masks_and_blocks_everything() {
        let config = parse(&[]);
        assert_eq!(config, PrivacyConfig::default());
        assert!(config.mask_all_text && config.mask_all_inputs && config.block_all_media);
        assert_eq!(
            config.selector(SelectorList::Unmask),
            ".sl-unmask,[data-sl-unmask]"
        );
    }

    #[test]
    fn flags_come_from_booleans_or_attribute_strings() {
        let config = parse(&[
            ("maskAllText", text("false")),
            ("maskAllInputs", RawOption::Bool(false)),
            ("blockAllMedia", text(" OFF ")),
        ]);
        assert!(!config.mask_all_text && !config.mask_all_inputs && !config.block_all_media);
        let config = parse(&[
            ("maskAllText", text("")),
            ("maskAllInputs", text("maybe")),
            ("blockAllMedia", RawOption::List(vec![])),
        ]);
        assert!(config.mask_all_text && config.mask_all_inputs && config.block_all_media);
    }

    #[test]
    fn selector_lists_come_from_arrays_or_comma_separated_strings() {
        let config = parse(&[
            ("unmask", text(".price, #total , h1")),
            ("unmaskSelector", text("nav a")),
            (
                "block",
                RawOption::List(vec!["video.ad".into(), " ".into(), ".x,.y".into()]),
            ),
            ("ignore", RawOption::Bool(true)),
        ]);
        assert_eq!(
            config.selectors(SelectorList::Unmask),
            [".price", "#total", "h1", "nav a"]
        );
        assert_eq!(
            config.selectors(SelectorList::Block),
            ["video.ad", ".x", ".y"]
        );
        assert!(config.selectors(SelectorList::Ignore).is_empty());
        assert_eq!(
            config.selector(SelectorList::Block),
            ".sl-block,[data-sl-block],video.ad,.x,.y"
        );
    }

    #[test]
    fn selector_lists_are_bounded() {
        let many = vec!["p".to_owned(); MAX_SELECTORS + 10];
        let long = "a".repeat(MAX_SELECTOR_BYTES + 1);
        let config = parse(&[
            ("mask", RawOption::List(many)),
            ("block", text(&format!("{long}, img"))),
        ]);
        assert_eq!(config.selectors(SelectorList::Mask).len(), MAX_SELECTORS);
        assert_eq!(config.selectors(SelectorList::Block), ["img"]);
        let mut config = PrivacyConfig::default();
        assert!(config.add_selector(SelectorList::Ignore, " input.search "));
        assert!(!config.add_selector(SelectorList::Ignore, "  "));
        assert!(!config.add_selector(SelectorList::Ignore, &long));
        assert_eq!(config.selectors(SelectorList::Ignore), ["input.search"]);
    }

    #[test]
    fn invalid_selectors_can_be_dropped() {
        let mut config = parse(&[("mask", text(".ok, ::bad"))]);
        config.retain_selectors(|selector| !selector.starts_with("::"));
        assert_eq!(config.selectors(SelectorList::Mask), [".ok"]);
    }

    #[test]
    fn splitting_respects_parentheses_brackets_quotes_and_escapes() {
        assert_eq!(
            split_selector_list(r#":is(a, b) > c, [title="x,y"], .a\,b, d[x='1,2']"#),
            [":is(a, b) > c", r#"[title="x,y"]"#, r".a\,b", "d[x='1,2']"]
        );
        assert!(split_selector_list(" , ,").is_empty());
        assert_eq!(split_selector_list("única"), ["única"]);
    }
}
