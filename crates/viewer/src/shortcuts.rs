//! The player's keyboard shortcuts: which key does what.

use crate::player::SPEEDS;

/// How far the arrow keys move the playhead, in ms.
pub const ARROW_STEP_MS: u64 = 5_000;

/// What a key asks the player to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shortcut {
    /// Space: play when paused, pause when playing.
    TogglePlay,
    /// ← / →: move the playhead by this many ms.
    SeekBy(i64),
    /// 1–5: play at this speed.
    Speed(f64),
}

impl Shortcut {
    /// The shortcut for a `KeyboardEvent.key`, if any; modified keys (Ctrl, Alt, Meta) and keys
    /// typed into a form field (`in_field`) are left to the browser.
    pub fn for_key(key: &str, modified: bool, in_field: bool) -> Option<Self> {
        if modified || in_field {
            return None;
        }
        let step = i64::try_from(ARROW_STEP_MS).unwrap_or(i64::MAX);
        match key {
            " " | "Spacebar" => Some(Self::TogglePlay),
            "ArrowLeft" => Some(Self::SeekBy(-step)),
            "ArrowRight" => Some(Self::SeekBy(step)),
            digit => {
                let index = digit.parse::<usize>().ok()?.checked_sub(1)?;
                SPEEDS.get(index).copied().map(Self::Speed)
            }
        }
    }
}

/// The playhead after moving `by` ms from `time`, kept within `[0, duration]`.
pub fn seek_by(time: u64, by: i64, duration: u64) -> u64 {
    let moved = if by < 0 {
        time.saturating_sub(by.unsigned_abs())
    } else {
        time.saturating_add(by.unsigned_abs())
    };
    moved.min(duration)
}

/// Whether an element with this tag name (any case; `input_type` for `<input>`) takes typed
/// text or arrow keys itself, so that its keys are not shortcuts. The player's own scrubber
/// (a range input), buttons and checkboxes leave the keys to the player.
pub fn is_text_field(tag: &str, input_type: &str, content_editable: bool) -> bool {
    if content_editable {
        return true;
    }
    if tag.eq_ignore_ascii_case("input") {
        const NOT_TEXT: [&str; 6] = ["range", "button", "checkbox", "radio", "submit", "reset"];
        return !NOT_TEXT.iter().any(|t| input_type.eq_ignore_ascii_case(t));
    }
    tag.eq_ignore_ascii_case("textarea") || tag.eq_ignore_ascii_case("select")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_player_actions() {
        assert_eq!(
            Shortcut::for_key(" ", false, false),
            Some(Shortcut::TogglePlay)
        );
        assert_eq!(
            Shortcut::for_key("ArrowLeft", false, false),
            Some(Shortcut::SeekBy(-5_000))
        );
        assert_eq!(
            Shortcut::for_key("ArrowRight", false, false),
            Some(Shortcut::SeekBy(5_000))
        );
        let speeds: Vec<_> = ["1", "2", "3", "4", "5"]
            .iter()
            .map(|k| Shortcut::for_key(k, false, false))
            .collect();
        assert_eq!(
            speeds,
            [1.0, 2.0, 4.0, 8.0, 16.0].map(|s| Some(Shortcut::Speed(s)))
        );
        assert_eq!(Shortcut::for_key("6", false, false), None);
        assert_eq!(Shortcut::for_key("0", false, false), None);
        assert_eq!(Shortcut::for_key("a", false, false), None);
    }

    #[test]
    fn typing_and_modified_keys_are_not_shortcuts() {
        assert_eq!(Shortcut::for_key(" ", false, true), None);
        assert_eq!(Shortcut::for_key("1", true, false), None);
        assert!(is_text_field("INPUT", "text", false));
        assert!(is_text_field("input", "", false));
        assert!(is_text_field("textarea", "", false));
        assert!(is_text_field("SELECT", "", false));
        assert!(is_text_field("div", "", true));
        assert!(!is_text_field("button", "", false));
        assert!(!is_text_field("input", "range", false));
    }

    #[test]
    fn arrows_stay_within_the_replay() {
        assert_eq!(seek_by(3_000, -5_000, 60_000), 0);
        assert_eq!(seek_by(3_000, 5_000, 60_000), 8_000);
        assert_eq!(seek_by(58_000, 5_000, 60_000), 60_000);
    }
}
