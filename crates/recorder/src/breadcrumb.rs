//! Console messages turned into bounded, masked [`Breadcrumb`]s.
//!
//! The browser glue reads each argument of a `console.*` call as text; here they become one
//! message the way a console shows it (printf-style `%s`, `%d`, `%o`, `%c` … substitutions of a
//! format string, the rest joined by spaces), with every argument and the whole message bounded,
//! masked like page text when `maskAllText` is on. A [`ConsoleBudget`] bounds how many messages a
//! chatty page can add.

use sightline_protocol::v1::{Breadcrumb, Level};

use crate::mask::mask_text;
use crate::stack::truncate;

/// The category of console breadcrumbs.
pub const CONSOLE_CATEGORY: &str = "console";

/// Most arguments of one call that are read.
pub const MAX_ARGUMENTS: usize = 32;

/// Longest argument kept, in bytes.
pub const MAX_ARGUMENT_BYTES: usize = 1024;

/// Longest message kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// Most console breadcrumbs recorded per [`BUDGET_WINDOW_MS`].
pub const MAX_CONSOLE_PER_WINDOW: u32 = 100;

/// The window of the console budget, in ms.
pub const BUDGET_WINDOW_MS: u64 = 10_000;

const ELLIPSIS: &str = "…";

/// A console method the recorder follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleMethod {
    /// `console.debug`.
    Debug,
    /// `console.log`.
    Log,
    /// `console.info`.
    Info,
    /// `console.warn`.
    Warn,
    /// `console.error`.
    Error,
}

impl ConsoleMethod {
    /// Every followed method.
    pub const ALL: [Self; 5] = [Self::Debug, Self::Log, Self::Info, Self::Warn, Self::Error];

    /// The method's name on `console`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Log => "log",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    /// The breadcrumb level of the method's messages.
    pub fn level(self) -> Level {
        match self {
            Self::Debug => Level::Debug,
            Self::Log => Level::Log,
            Self::Info => Level::Info,
            Self::Warn => Level::Warning,
            Self::Error => Level::Error,
        }
    }
}

/// Cuts `text` to [`MAX_ARGUMENT_BYTES`], marking the cut with `…`.
pub fn bound_argument(text: &str) -> String {
    bounded(text, MAX_ARGUMENT_BYTES)
}

fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut out = truncate(text, max - ELLIPSIS.len()).to_owned();
    out.push_str(ELLIPSIS);
    out
}

/// The message a console shows for `arguments` (each already read as text). When
/// `format` is true the first argument was a string and its `%` directives take arguments in
/// turn: `%s %d %i %f %o %O` insert the next one, `%c` (CSS) consumes it, `%%` is a `%`.
pub fn console_message(arguments: &[String], format: bool) -> String {
    let mut rest = arguments
        .iter()
        .take(MAX_ARGUMENTS)
        .map(|a| bounded(a, MAX_ARGUMENT_BYTES));
    let mut message = String::new();
    if format && let Some(first) = rest.next() {
        let mut chars = first.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                message.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some('%') => {
                    chars.next();
                    message.push('%');
                }
                Some(directive @ ('s' | 'd' | 'i' | 'f' | 'o' | 'O' | 'c')) => {
                    let Some(argument) = rest.next() else {
                        message.push('%');
                        continue;
                    };
                    chars.next();
                    if directive != 'c' {
                        message.push_str(&argument);
                    }
                }
                _ => message.push('%'),
            }
            if message.len() > MAX_MESSAGE_BYTES {
                break;
            }
        }
    }
    for argument in rest {
        if message.len() > MAX_MESSAGE_BYTES {
            break;
        }
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(&argument);
    }
    bounded(&message, MAX_MESSAGE_BYTES)
}

/// The breadcrumb of a `console.<method>(…arguments)` call; `mask` masks the message like page
/// text.
pub fn console_breadcrumb(
    method: ConsoleMethod,
    arguments: &[String],
    format: bool,
    mask: bool,
) -> Breadcrumb {
    let message = console_message(arguments, format);
    Breadcrumb {
        category: CONSOLE_CATEGORY.to_owned(),
        level: method.level(),
        message: if mask { mask_text(&message) } else { message },
        data: String::new(),
    }
}

/// Bounds the breadcrumbs (or network events) of a chatty page: at most
/// [`MAX_CONSOLE_PER_WINDOW`] per [`BUDGET_WINDOW_MS`]; the number left out is reported once the
/// next window opens, as a breadcrumb of the budget's category.
#[derive(Debug, Clone)]
pub struct ConsoleBudget {
    category: &'static str,
    subject: &'static str,
    window_start: u64,
    used: u32,
    dropped: u32,
}

impl Default for ConsoleBudget {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleBudget {
    /// A full budget for console messages.
    pub fn new() -> Self {
        Self::with_subject(CONSOLE_CATEGORY, "console messages")
    }

    /// A full budget whose notice is a `category` breadcrumb saying `N {subject} were not
    /// recorded`.
    pub fn with_subject(category: &'static str, subject: &'static str) -> Self {
        Self {
            category,
            subject,
            window_start: 0,
            used: 0,
            dropped: 0,
        }
    }

    /// Whether a message at `now` may be recorded. When a new window opens after messages were
    /// left out, also returns the breadcrumb that says how many.
    pub fn admit(&mut self, now: u64) -> (bool, Option<Breadcrumb>) {
        let mut notice = None;
        if now >= self.window_start.saturating_add(BUDGET_WINDOW_MS) || now < self.window_start {
            if self.dropped > 0 {
                let mut message = self.dropped.to_string();
                message.push(' ');
                message.push_str(self.subject);
                message.push_str(" were not recorded");
                notice = Some(Breadcrumb {
                    category: self.category.to_owned(),
                    level: Level::Warning,
                    message,
                    data: String::new(),
                });
            }
            self.window_start = now;
            self.used = 0;
            self.dropped = 0;
        }
        let admitted = self.used < MAX_CONSOLE_PER_WINDOW;
        if admitted {
            self.used += 1;
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
        (admitted, notice)
    }
}

/// The category of `captureMessage` breadcrumbs.
pub const MESSAGE_CATEGORY: &str = "message";

/// The category of `addBreadcrumb` entries that name none.
pub const DEFAULT_CATEGORY: &str = "custom";

/// Longest category kept, in bytes.
pub const MAX_CATEGORY_BYTES: usize = 64;

/// Longest `data` (JSON) kept, in bytes; larger data is left out rather than cut into invalid
/// JSON.
pub const MAX_DATA_BYTES: usize = 4 * 1024;

/// Reads a Sentry level name (`debug`, `log`, `info`, `warning` or `warn`, `error`, `fatal`).
pub fn parse_level(name: &str) -> Option<Level> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "debug" => Level::Debug,
        "log" => Level::Log,
        "info" => Level::Info,
        "warning" | "warn" => Level::Warning,
        "error" => Level::Error,
        "fatal" | "critical" => Level::Fatal,
        _ => return None,
    })
}

/// A breadcrumb the application added itself (`addBreadcrumb`, `captureMessage`): bounded but not
/// masked, since the application chose what it says. An empty category becomes
/// [`DEFAULT_CATEGORY`]; `data` (JSON) larger than [`MAX_DATA_BYTES`] is left out.
pub fn app_breadcrumb(category: &str, level: Level, message: &str, data: &str) -> Breadcrumb {
    let category = truncate(category.trim(), MAX_CATEGORY_BYTES);
    Breadcrumb {
        category: if category.is_empty() {
            DEFAULT_CATEGORY
        } else {
            category
        }
        .to_owned(),
        level,
        message: bounded(message, MAX_MESSAGE_BYTES),
        data: if data.len() <= MAX_DATA_BYTES {
            data.to_owned()
        } else {
            String::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|&item| item.to_owned()).collect()
    }

    #[test]
    fn arguments_are_joined_like_a_console_shows_them() {
        assert_eq!(
            console_message(&strings(&["cart", "2", "{\"a\":1}"]), true),
            "cart 2 {\"a\":1}"
        );
        assert_eq!(console_message(&[], false), "");
        assert_eq!(console_message(&strings(&["%s", "x"]), false), "%s x");
    }

    #[test]
    fn format_directives_take_arguments_in_turn() {
        let args = strings(&[
            "%s has %d items (%o) %c100%%",
            "Jane",
            "3",
            "[1,2]",
            "color:red",
            "tail",
        ]);
        assert_eq!(
            console_message(&args, true),
            "Jane has 3 items ([1,2]) 100% tail"
        );
        assert_eq!(
            console_message(&strings(&["%s and %s", "one"]), true),
            "one and %s"
        );
        assert_eq!(
            console_message(&strings(&["100% sure %x"]), true),
            "100% sure %x"
        );
        assert_eq!(
            console_message(&strings(&["ends with %"]), true),
            "ends with %"
        );
    }

    #[test]
    fn arguments_and_messages_are_bounded() {
        let long = "é".repeat(MAX_ARGUMENT_BYTES);
        let message = console_message(std::slice::from_ref(&long), false);
        assert!(message.len() <= MAX_ARGUMENT_BYTES, "{}", message.len());
        assert!(message.ends_with('…'));
        let many = vec!["x".repeat(MAX_ARGUMENT_BYTES); MAX_ARGUMENTS * 2];
        let message = console_message(&many, false);
        assert!(message.len() <= MAX_MESSAGE_BYTES);
        assert!(message.ends_with('…'));
        let formatted = console_message(&[format!("{}%s", "%s".repeat(100)), long], true);
        assert!(formatted.len() <= MAX_MESSAGE_BYTES);
    }

    #[test]
    fn breadcrumbs_carry_the_level_and_mask_the_message() {
        let crumb = console_breadcrumb(
            ConsoleMethod::Warn,
            &strings(&["Jane Doe", "paid"]),
            true,
            true,
        );
        assert_eq!(crumb.category, "console");
        assert_eq!(crumb.level, Level::Warning);
        assert_eq!(crumb.message, "**** *** ****");
        let crumb = console_breadcrumb(ConsoleMethod::Debug, &strings(&["ok"]), true, false);
        assert_eq!((crumb.level, crumb.message.as_str()), (Level::Debug, "ok"));
        assert_eq!(ConsoleMethod::Error.level(), Level::Error);
        assert_eq!(ConsoleMethod::Log.name(), "log");
    }

    #[test]
    fn a_chatty_page_is_bounded_and_told_how_much_was_left_out() {
        let mut budget = ConsoleBudget::new();
        for _ in 0..MAX_CONSOLE_PER_WINDOW {
            assert_eq!(budget.admit(1_000), (true, None));
        }
        assert_eq!(budget.admit(1_001), (false, None));
        assert_eq!(budget.admit(5_000), (false, None));
        let (admitted, notice) = budget.admit(1_000 + BUDGET_WINDOW_MS);
        assert!(admitted);
        let notice = notice.map(|n| n.message).unwrap_or_default();
        assert_eq!(notice, "2 console messages were not recorded");
        assert_eq!(budget.admit(1_000 + BUDGET_WINDOW_MS + 1), (true, None));
        let mut network = ConsoleBudget::with_subject("network", "network requests");
        for _ in 0..=MAX_CONSOLE_PER_WINDOW {
            network.admit(0);
        }
        let notice = network.admit(BUDGET_WINDOW_MS).1.ok_or("notice");
        assert_eq!(
            notice.map(|n| (n.category, n.message)),
            Ok((
                "network".into(),
                "1 network requests were not recorded".into()
            ))
        );
    }

    #[test]
    fn application_breadcrumbs_are_bounded_but_not_masked() {
        let crumb = app_breadcrumb(" auth ", Level::Info, "Jane signed in", "{\"id\":42}");
        assert_eq!(
            (
                crumb.category.as_str(),
                crumb.message.as_str(),
                crumb.data.as_str()
            ),
            ("auth", "Jane signed in", "{\"id\":42}")
        );
        let big = format!("{{\"x\":\"{}\"}}", "y".repeat(MAX_DATA_BYTES));
        let crumb = app_breadcrumb("", Level::Debug, &"m".repeat(MAX_MESSAGE_BYTES * 2), &big);
        assert_eq!(crumb.category, DEFAULT_CATEGORY);
        assert!(crumb.message.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(crumb.data, "");
        assert_eq!(parse_level("Warn"), Some(Level::Warning));
        assert_eq!(parse_level("fatal"), Some(Level::Fatal));
        assert_eq!(parse_level("loud"), None);
    }
}
