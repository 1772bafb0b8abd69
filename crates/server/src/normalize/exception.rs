//! Exceptions and stack traces: `exception` as a list or `{values}`, frames kept with their
//! source context, `in_app` flag and local variables, long traces trimmed in the middle.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{NormalizationNote, bounded, fields, note};
use crate::limits::{MAX_EXCEPTIONS, MAX_FRAMES_PER_STACKTRACE};

/// One exception of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceptionValue {
    /// The exception's type, such as `ZeroDivisionError`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Its message, such as `division by zero`.
    pub value: Option<String>,
    /// The module defining the type, if sent.
    pub module: Option<String>,
    /// How it was captured (`{type, handled, …}`), as sent.
    pub mechanism: Option<Value>,
    /// Where it was raised.
    pub stacktrace: Option<Stacktrace>,
}

/// A stack trace, outermost frame first and the frame that raised last (Sentry's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stacktrace {
    /// The frames kept.
    pub frames: Vec<Frame>,
    /// How many frames were dropped from the middle to stay within the limit.
    pub frames_omitted: usize,
}

impl Stacktrace {
    /// `module in function` (or `file in function`) of the innermost in-app frame (by the
    /// SDK's flag corrected by the server's rules, [`crate::grouping::is_in_app`]), or of the
    /// innermost frame when none is in-app.
    pub fn culprit(&self) -> Option<String> {
        let frame = self
            .frames
            .iter()
            .rev()
            .find(|frame| crate::grouping::is_in_app(frame))
            .or_else(|| self.frames.last())?;
        crate::grouping::frame_culprit(frame)
    }
}

/// One stack frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The file as the SDK names it (often relative).
    pub filename: Option<String>,
    /// The absolute path or URL of the file.
    pub abs_path: Option<String>,
    /// The function.
    pub function: Option<String>,
    /// The module or package path.
    pub module: Option<String>,
    /// Line number (1-based).
    pub lineno: Option<u64>,
    /// Column number (1-based).
    pub colno: Option<u64>,
    /// Source lines before the current one.
    pub pre_context: Vec<String>,
    /// The current source line.
    pub context_line: Option<String>,
    /// Source lines after the current one.
    pub post_context: Vec<String>,
    /// Whether the frame is the application's own code (not a library's).
    pub in_app: Option<bool>,
    /// Local variables, bounded.
    pub vars: Option<Map<String, Value>>,
}

/// The exception chain from `exception`, either a list or `{"values": [...]}`.
pub(super) fn exceptions(
    raw: Option<&Value>,
    notes: &mut Vec<NormalizationNote>,
) -> Vec<ExceptionValue> {
    let list = match raw {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(Value::Object(object)) => match object.get("values") {
            Some(Value::Array(list)) => list,
            None | Some(Value::Null) => return Vec::new(),
            Some(_) => {
                note(notes, "invalid_data", "exception.values");
                return Vec::new();
            }
        },
        Some(_) => {
            note(notes, "invalid_data", "exception");
            return Vec::new();
        }
    };
    // The main exception is the last one; when a chain is too long, keep the newest.
    let skip = list.len().saturating_sub(MAX_EXCEPTIONS);
    if skip > 0 {
        note(notes, "too_many_exceptions", "exception.values");
    }
    list.iter()
        .skip(skip)
        .filter_map(|value| {
            let object = value.as_object()?;
            let text = |name: &str| fields::string_field(object, name);
            Some(ExceptionValue {
                kind: text("type"),
                value: text("value"),
                module: text("module"),
                mechanism: object
                    .get("mechanism")
                    .filter(|m| m.is_object())
                    .map(bounded::value),
                stacktrace: object
                    .get("stacktrace")
                    .and_then(|s| stacktrace(s, "exception.stacktrace", notes)),
            })
        })
        .collect()
}

/// A stack trace object `{"frames": [...]}`; `None` when it has no usable frames.
pub(super) fn stacktrace(
    raw: &Value,
    name: &str,
    notes: &mut Vec<NormalizationNote>,
) -> Option<Stacktrace> {
    let frames = match raw.get("frames") {
        Some(Value::Array(frames)) => frames,
        None | Some(Value::Null) => return None,
        Some(_) => {
            note(notes, "invalid_data", &format!("{name}.frames"));
            return None;
        }
    };
    let mut kept: Vec<Frame> = frames.iter().filter_map(frame).collect();
    let mut frames_omitted = 0;
    if kept.len() > MAX_FRAMES_PER_STACKTRACE {
        frames_omitted = kept.len() - MAX_FRAMES_PER_STACKTRACE;
        let head = MAX_FRAMES_PER_STACKTRACE / 2;
        kept.drain(head..head + frames_omitted);
        note(notes, "too_many_frames", &format!("{name}.frames"));
    }
    (!kept.is_empty()).then_some(Stacktrace {
        frames: kept,
        frames_omitted,
    })
}

fn frame(raw: &Value) -> Option<Frame> {
    let object = raw.as_object()?;
    let text = |name: &str| fields::string_field(object, name);
    let number = |name: &str| match object.get(name) {
        Some(Value::Number(number)) => number.as_u64(),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    };
    let lines = |name: &str| match object.get(name) {
        Some(Value::Array(lines)) => lines
            .iter()
            .map(|line| bounded::truncate(line.as_str().unwrap_or_default(), 1024))
            .collect(),
        _ => Vec::new(),
    };
    Some(Frame {
        filename: text("filename"),
        abs_path: text("abs_path"),
        function: text("function"),
        module: text("module"),
        lineno: number("lineno"),
        colno: number("colno"),
        pre_context: lines("pre_context"),
        // Source lines keep their indentation.
        context_line: object
            .get("context_line")
            .and_then(Value::as_str)
            .map(|line| bounded::truncate(line, 1024)),
        post_context: lines("post_context"),
        in_app: object.get("in_app").and_then(Value::as_bool),
        vars: match object.get("vars") {
            Some(Value::Object(vars)) => Some(bounded::object(vars)),
            _ => None,
        },
    })
}
