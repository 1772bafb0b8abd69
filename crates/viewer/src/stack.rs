//! Stack traces as the errors panel shows them: JS frames from the recording and backend frames
//! from the server in one shape, innermost frame first, the application's own frames
//! highlighted and runs of library frames collapsed.

use sightline_protocol::v1::StackFrame;

use crate::backend::{BackendEvent, BackendFrame};

/// One frame of a stack trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    /// The function, `<anonymous>` when unnamed.
    pub function: String,
    /// The file, URL or module.
    pub location: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// The application's own code (not a library's).
    pub in_app: bool,
    /// The source line, when the SDK sent it.
    pub source: Option<String>,
}

impl FrameRow {
    /// `file:line:column` (as much as is known).
    pub fn place(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.location),
            (Some(line), None) => format!("{}:{line}", self.location),
            _ => self.location.clone(),
        }
    }
}

/// Frames as the panel lays them out: each of the application's frames on its own, library
/// frames between them folded into one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameGroup {
    /// A frame shown as is.
    Frame(FrameRow),
    /// Consecutive library frames, collapsed behind "N library frames".
    Library(Vec<FrameRow>),
}

const ANONYMOUS: &str = "<anonymous>";

/// The frames of a recorded JS error (innermost first, as recorded). A frame is the
/// application's when its script comes from the page's own origin and not from a dependency
/// folder (`node_modules`, `vendor`).
pub fn js_frames(frames: &[StackFrame], page_url: &str) -> Vec<FrameRow> {
    let page_origin = origin(page_url);
    frames
        .iter()
        .map(|frame| {
            let in_app = page_origin.is_some()
                && origin(&frame.filename) == page_origin
                && !is_dependency(&frame.filename);
            FrameRow {
                function: non_empty(&frame.function).unwrap_or(ANONYMOUS).to_owned(),
                location: frame.filename.clone(),
                line: (frame.lineno > 0).then_some(u64::from(frame.lineno)),
                column: (frame.colno > 0).then_some(u64::from(frame.colno)),
                in_app,
                source: None,
            }
        })
        .collect()
}

/// The frames of a backend stack trace (sent outermost first), innermost first.
pub fn backend_frames(frames: &[BackendFrame]) -> Vec<FrameRow> {
    frames
        .iter()
        .rev()
        .map(|frame| {
            let location = [&frame.filename, &frame.abs_path, &frame.module]
                .into_iter()
                .find_map(|s| s.as_deref().and_then(non_empty))
                .unwrap_or("")
                .to_owned();
            FrameRow {
                function: frame
                    .function
                    .as_deref()
                    .and_then(non_empty)
                    .unwrap_or(ANONYMOUS)
                    .to_owned(),
                location,
                line: frame.lineno,
                column: frame.colno,
                in_app: frame.in_app == Some(true),
                source: frame
                    .context_line
                    .as_deref()
                    .map(str::trim)
                    .and_then(non_empty)
                    .map(str::to_owned),
            }
        })
        .collect()
}

/// The main exception's frames of a backend event (the last of its chain, or its message's
/// stack trace), innermost first.
pub fn backend_event_frames(event: &BackendEvent) -> Vec<FrameRow> {
    let from_exception = event
        .exception
        .as_ref()
        .and_then(|e| e.values.iter().rev().find_map(|v| v.stacktrace.as_ref()));
    from_exception
        .or(event.stacktrace.as_ref())
        .map(|stack| backend_frames(&stack.frames))
        .unwrap_or_default()
}

/// Lays frames out: the application's frames one by one, runs of library frames folded. When
/// no frame is the application's, nothing is folded (there would be nothing left to read).
pub fn group_frames(frames: &[FrameRow]) -> Vec<FrameGroup> {
    if !frames.iter().any(|f| f.in_app) {
        return frames.iter().cloned().map(FrameGroup::Frame).collect();
    }
    let mut groups = Vec::new();
    for frame in frames {
        match (frame.in_app, groups.last_mut()) {
            (true, _) => groups.push(FrameGroup::Frame(frame.clone())),
            (false, Some(FrameGroup::Library(run))) => run.push(frame.clone()),
            (false, _) => groups.push(FrameGroup::Library(vec![frame.clone()])),
        }
    }
    groups
}

/// How many groups of a long stack show before "N more frames".
pub const VISIBLE_GROUPS: usize = 6;

/// Splits a layout into the groups shown at once and the rest (folded behind "N more
/// frames"), with the number of frames in the rest.
pub fn split_visible(mut groups: Vec<FrameGroup>) -> (Vec<FrameGroup>, Vec<FrameGroup>, usize) {
    if groups.len() <= VISIBLE_GROUPS + 1 {
        return (groups, Vec::new(), 0);
    }
    let rest = groups.split_off(VISIBLE_GROUPS);
    let frames = rest
        .iter()
        .map(|g| match g {
            FrameGroup::Frame(_) => 1,
            FrameGroup::Library(run) => run.len(),
        })
        .sum();
    (groups, rest, frames)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `scheme://host[:port]` of an absolute http(s) URL, lowercased.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!host.is_empty()).then(|| format!("{scheme}://{host}").to_ascii_lowercase())
}

fn is_dependency(url: &str) -> bool {
    url.contains("/node_modules/") || url.contains("/vendor/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(function: &str, filename: &str, lineno: u32) -> StackFrame {
        StackFrame {
            function: function.into(),
            filename: filename.into(),
            lineno,
            colno: 7,
        }
    }

    #[test]
    fn js_frames_of_the_page_are_the_application() {
        let rows = js_frames(
            &[
                js("render", "https://shop.example/app.js", 12),
                js("", "https://shop.example/node_modules/react/index.js", 900),
                js("track", "https://cdn.other.example/lib.js", 1),
                js("x", "", 0),
            ],
            "https://shop.example/cart?x=1",
        );
        let seen: Vec<(&str, bool)> = rows
            .iter()
            .map(|r| (r.function.as_str(), r.in_app))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("render", true),
                ("<anonymous>", false),
                ("track", false),
                ("x", false)
            ]
        );
        assert_eq!(rows[0].place(), "https://shop.example/app.js:12:7");
        assert_eq!(rows[3].place(), "");
    }

    #[test]
    fn backend_frames_come_innermost_first_with_their_source() {
        let frame = |function: &str, module: &str, in_app| BackendFrame {
            function: Some(function.into()),
            module: Some(module.into()),
            lineno: Some(3),
            in_app: Some(in_app),
            context_line: Some("  return a / b  ".into()),
            ..BackendFrame::default()
        };
        let rows = backend_frames(&[
            frame("dispatch", "flask.app", false),
            frame("total", "shop.checkout", true),
        ]);
        assert_eq!(rows[0].function, "total");
        assert_eq!(rows[0].place(), "shop.checkout:3");
        assert_eq!(rows[0].source.as_deref(), Some("return a / b"));
        assert!(rows[0].in_app && !rows[1].in_app);
    }

    #[test]
    fn library_runs_fold_between_application_frames() {
        let row = |name: &str, in_app| FrameRow {
            function: name.into(),
            location: String::new(),
            line: None,
            column: None,
            in_app,
            source: None,
        };
        let frames = vec![
            row("a", true),
            row("lib1", false),
            row("lib2", false),
            row("b", true),
            row("lib3", false),
        ];
        let groups = group_frames(&frames);
        assert_eq!(
            groups,
            vec![
                FrameGroup::Frame(row("a", true)),
                FrameGroup::Library(vec![row("lib1", false), row("lib2", false)]),
                FrameGroup::Frame(row("b", true)),
                FrameGroup::Library(vec![row("lib3", false)]),
            ]
        );
        // A long stack shows its first groups; the rest is counted in frames.
        let long: Vec<FrameRow> = (0..20).map(|i| row("f", i % 3 != 0)).collect();
        let (shown, rest, hidden) = split_visible(group_frames(&long));
        assert_eq!(shown.len(), VISIBLE_GROUPS);
        assert_eq!(shown.iter().chain(&rest).count(), group_frames(&long).len());
        assert_eq!(hidden, 20 - 6);
        let (shown, rest, hidden) = split_visible(group_frames(&frames));
        assert_eq!((shown.len(), rest.len(), hidden), (4, 0, 0));
        // Only library frames: all shown.
        let libraries = vec![row("x", false), row("y", false)];
        assert_eq!(group_frames(&libraries).len(), 2);
        assert!(matches!(group_frames(&libraries)[0], FrameGroup::Frame(_)));
    }
}
