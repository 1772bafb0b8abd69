//! The issues list's sparkline: an issue's events per hour over the last day as an SVG path,
//! one bar per hour, scaled to the busiest hour.

/// Most hours drawn (the API sends 24; more are ignored, the newest kept).
pub const MAX_HOURS: usize = 24 * 14;

/// The `d` attribute of a path drawing `counts` (oldest first) as bars in a `width` × `height`
/// box, the tallest bar filling the height. Hours without events draw nothing; an hour with a
/// few events among busy ones still shows (at least one unit tall). Empty when nothing happened.
pub fn bars_path(counts: &[u64], width: f64, height: f64) -> String {
    let counts = &counts[counts.len().saturating_sub(MAX_HOURS)..];
    let max = counts.iter().copied().max().unwrap_or(0);
    if max == 0 || width <= 0.0 || height <= 0.0 {
        return String::new();
    }
    let slot = width / counts.len() as f64;
    // A gap between bars once they are wide enough to afford one.
    let bar = if slot >= 3.0 { slot - 1.0 } else { slot };
    let mut path = String::new();
    for (hour, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let tall = (count as f64 / max as f64 * height).max(1.0);
        let x = hour as f64 * slot;
        let y = height - tall;
        if !path.is_empty() {
            path.push(' ');
        }
        path.push_str(&format!(
            "M{} {}h{}v{}h-{}z",
            round(x),
            round(y),
            round(bar),
            round(tall),
            round(bar)
        ));
    }
    path
}

/// Two decimals at most, without trailing zeros (short paths).
fn round(value: f64) -> String {
    let text = format!("{:.2}", value);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The sparkline's tooltip: `57 events in the last 24 hours`.
pub fn summary(counts: &[u64]) -> String {
    let total: u64 = counts.iter().sum();
    let hours = counts.len().min(MAX_HOURS);
    let noun = if total == 1 { "event" } else { "events" };
    format!("{total} {noun} in the last {hours} hours")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_hour() {
        let mut counts = vec![0; 24];
        counts[0] = 5;
        counts[23] = 10;
        // 24 hours in 48 px: 2 px per hour, no gap; heights 10 and 20 of 20.
        assert_eq!(
            bars_path(&counts, 48.0, 20.0),
            "M0 10h2v10h-2z M46 0h2v20h-2z"
        );
    }

    #[test]
    fn a_quiet_hour_among_busy_ones_still_shows_and_wide_bars_get_a_gap() {
        let path = bars_path(&[1000, 1], 8.0, 10.0);
        assert_eq!(path, "M0 0h3v10h-3z M4 9h3v1h-3z");
    }

    #[test]
    fn nothing_happened_draws_nothing() {
        assert_eq!(bars_path(&[0; 24], 48.0, 20.0), "");
        assert_eq!(bars_path(&[], 48.0, 20.0), "");
        assert_eq!(summary(&[1, 0]), "1 event in the last 2 hours");
        assert_eq!(summary(&[3; 24]), "72 events in the last 24 hours");
    }

    #[test]
    fn too_many_hours_keep_the_newest() {
        let mut counts = vec![1; MAX_HOURS + 10];
        counts[0] = 1_000_000;
        // The huge oldest hour is dropped, so every kept bar is full height.
        assert!(bars_path(&counts, 336.0, 10.0).starts_with("M0 0h1v10h-1z"));
    }
}
