//! Parsing of JavaScript `Error.stack` strings into [`StackFrame`]s.
//!
//! Browsers format stacks differently:
//! - Chrome and Edge: a `TypeError: message` line, then `    at fn (url:line:col)` or
//!   `    at url:line:col` per frame (`async`, `new` and `eval at …` variants included);
//! - Firefox and Safari: `fn@url:line:col` per frame, `@url:line:col` when anonymous.
//!
//! Lines that match neither form (the message line, `[native code]`) are skipped. The result is
//! bounded by [`MAX_FRAMES`] and every string by [`MAX_FIELD_BYTES`], so a hostile page cannot make
//! a segment huge through an error.

use sightline_protocol::v1::StackFrame;

/// Most frames kept from one stack, innermost first.
pub const MAX_FRAMES: usize = 50;

/// Longest function name or file name kept, in bytes.
pub const MAX_FIELD_BYTES: usize = 1024;

/// Parses a stack string into frames, innermost first.
pub fn parse_stack(stack: &str) -> Vec<StackFrame> {
    stack
        .lines()
        .filter_map(parse_line)
        .take(MAX_FRAMES)
        .collect()
}

/// Cuts `value` to at most `max` bytes on a character boundary.
pub fn truncate(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

fn parse_line(line: &str) -> Option<StackFrame> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("at ") {
        return parse_chrome(rest.trim());
    }
    if let Some((function, location)) = line.rsplit_once('@')
        && let Some(frame) = parse_location(location)
    {
        return Some(frame.with_function(function));
    }
    // Safari prints anonymous top-level frames as a bare `url:line:col`.
    parse_location(line).filter(|frame| frame.lineno > 0 && frame.filename.contains('/'))
}

fn parse_chrome(rest: &str) -> Option<StackFrame> {
    let (function, location) = match rest.strip_suffix(')') {
        // `fn (location)`; an eval frame nests parentheses, so split at the first " (".
        Some(inner) => match inner
            .match_indices('(')
            .find(|(index, _)| inner[..*index].ends_with(' '))
        {
            Some((index, _)) => (&inner[..index - 1], &inner[index + 1..]),
            None => ("", inner.strip_prefix('(').unwrap_or(inner)),
        },
        None => ("", rest),
    };
    // `eval at f (url:1:2), <anonymous>:3:4`: the position inside the evaluated code comes last.
    let location = location
        .rsplit_once(',')
        .map_or(location, |(_, tail)| tail.trim_start());
    let function = function.strip_prefix("async ").unwrap_or(function);
    match parse_location(location) {
        Some(frame) => Some(frame.with_function(function)),
        // `at Array.map (<anonymous>)` and `at <anonymous>`: a frame without a location.
        None if location == "<anonymous>" || location == "native" => Some(StackFrame {
            function: truncate(function, MAX_FIELD_BYTES).to_owned(),
            filename: location.to_owned(),
            lineno: 0,
            colno: 0,
        }),
        None => None,
    }
}

/// Splits `url:line:col` (or `url:line`) from the right, since URLs contain colons too.
fn parse_location(location: &str) -> Option<StackFrame> {
    let (rest, last) = location.rsplit_once(':')?;
    let last: u32 = last.parse().ok()?;
    let (filename, lineno, colno) = match rest.rsplit_once(':') {
        Some((file, line)) => match line.parse::<u32>() {
            Ok(line) => (file, line, last),
            Err(_) => (rest, last, 0),
        },
        None => (rest, last, 0),
    };
    if filename.is_empty() {
        return None;
    }
    Some(StackFrame {
        function: String::new(),
        filename: truncate(filename, MAX_FIELD_BYTES).to_owned(),
        lineno,
        colno,
    })
}

trait WithFunction {
    fn with_function(self, function: &str) -> Self;
}

impl WithFunction for StackFrame {
    fn with_function(mut self, function: &str) -> Self {
        let function = function.trim();
        let function = if function == "<anonymous>" {
            ""
        } else {
            function
        };
        self.function = truncate(function, MAX_FIELD_BYTES).to_owned();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, filename: &str, lineno: u32, colno: u32) -> StackFrame {
        StackFrame {
            function: function.into(),
            filename: filename.into(),
            lineno,
            colno,
        }
    }

    #[test]
    fn chrome_stacks() {
        let stack = "TypeError: Cannot read properties of undefined (reading 'total')\n    \
            at computeTotal (https://shop.example/app.js:10:15)\n    \
            at https://shop.example/app.js:20:3\n    \
            at async Checkout.submit (http://127.0.0.1:8080/demo/cart.js:7:1)\n    \
            at new Cart (https://shop.example/app.js:3:9)\n    \
            at Array.map (<anonymous>)\n    \
            at eval (eval at run (https://shop.example/app.js:5:1), <anonymous>:1:7)";
        assert_eq!(
            parse_stack(stack),
            vec![
                frame("computeTotal", "https://shop.example/app.js", 10, 15),
                frame("", "https://shop.example/app.js", 20, 3),
                frame(
                    "Checkout.submit",
                    "http://127.0.0.1:8080/demo/cart.js",
                    7,
                    1
                ),
                frame("new Cart", "https://shop.example/app.js", 3, 9),
                frame("Array.map", "<anonymous>", 0, 0),
                frame("eval", "<anonymous>", 1, 7),
            ]
        );
    }

    #[test]
    fn firefox_and_safari_stacks() {
        let stack = "computeTotal@https://shop.example/app.js:10:15\n\
            Checkout/<@http://127.0.0.1:8080/cart.js:7:1\n\
            @https://shop.example/app.js:20:3\n\
            global code@https://shop.example/app.js:1:1\n\
            forEach@[native code]\n\
            https://shop.example/app.js:30:2\n";
        assert_eq!(
            parse_stack(stack),
            vec![
                frame("computeTotal", "https://shop.example/app.js", 10, 15),
                frame("Checkout/<", "http://127.0.0.1:8080/cart.js", 7, 1),
                frame("", "https://shop.example/app.js", 20, 3),
                frame("global code", "https://shop.example/app.js", 1, 1),
                frame("", "https://shop.example/app.js", 30, 2),
            ]
        );
    }

    #[test]
    fn message_lines_and_garbage_yield_no_frames() {
        assert!(parse_stack("Error: boom").is_empty());
        assert!(parse_stack("").is_empty());
        assert!(parse_stack("just some text: with colons").is_empty());
    }

    #[test]
    fn output_is_bounded() {
        let long_name = "f".repeat(5000);
        let stack: String = (0..500)
            .map(|i| format!("    at {long_name} (https://x.example/a.js:{i}:1)\n"))
            .collect();
        let frames = parse_stack(&stack);
        assert_eq!(frames.len(), MAX_FRAMES);
        assert!(frames.iter().all(|f| f.function.len() == MAX_FIELD_BYTES));
        assert_eq!(frames[3].lineno, 3);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
