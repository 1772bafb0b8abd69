//! Numbers and times as the issue, release and alert pages print them.

/// `3s ago`, `5 min ago`, `2 h ago`, `4 d ago`; `just now` for the future (a skewed clock).
pub fn format_ago(now_ms: u64, then_ms: u64) -> String {
    let seconds = now_ms.saturating_sub(then_ms) / 1_000;
    match seconds {
        0 => "just now".to_owned(),
        1..=59 => format!("{seconds}s ago"),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

/// A count for a table cell: `999`, `1.2k`, `45k`, `3.4M`.
pub fn format_count(count: u64) -> String {
    match count {
        0..=999 => count.to_string(),
        1_000..=9_999 => format!("{:.1}k", count as f64 / 1_000.0),
        10_000..=999_999 => format!("{}k", count / 1_000),
        _ => format!("{:.1}M", count as f64 / 1_000_000.0),
    }
}

/// ms since the epoch as `2026-11-26 06:08:56 UTC`.
pub fn format_epoch_ms(ms: u64) -> String {
    let seconds = ms / 1_000;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shifted so that years start in March: leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A share (0..=1) as a percentage with one decimal: `99.5%`; `—` when unknown.
pub fn format_share(share: Option<f64>) -> String {
    match share {
        Some(share) if share.is_finite() => format!("{:.1}%", (share * 100.0).clamp(0.0, 100.0)),
        _ => "—".to_owned(),
    }
}

/// The first line of a commit message, at most 100 characters.
pub fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(99).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The first 7 characters of a commit id.
pub fn short_sha(id: &str) -> String {
    id.chars().take(7).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        let now = 10_000_000;
        assert_eq!(format_ago(now, now), "just now");
        assert_eq!(format_ago(now, now + 5_000), "just now");
        assert_eq!(format_ago(now, now - 42_000), "42s ago");
        assert_eq!(format_ago(now, now - 5 * 60_000), "5 min ago");
        assert_eq!(format_ago(now, now - 2 * 3_600_000 - 1), "2 h ago");
        assert_eq!(format_ago(now * 100, now * 100 - 3 * 86_400_000), "3 d ago");
    }

    #[test]
    fn counts_are_short() {
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_234), "1.2k");
        assert_eq!(format_count(45_600), "45k");
        assert_eq!(format_count(3_400_000), "3.4M");
    }

    #[test]
    fn epoch_ms_are_calendar_dates() {
        assert_eq!(format_epoch_ms(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_epoch_ms(1_795_500_536_123),
            "2026-11-24 06:08:56 UTC"
        );
        assert_eq!(format_epoch_ms(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            format_epoch_ms(1_709_251_199_000),
            "2024-02-29 23:59:59 UTC"
        );
    }

    #[test]
    fn shares_messages_and_shas() {
        assert_eq!(format_share(Some(0.995)), "99.5%");
        assert_eq!(format_share(Some(1.0)), "100.0%");
        assert_eq!(format_share(None), "—");
        assert_eq!(first_line("Fix total\n\nlong body"), "Fix total");
        assert_eq!(first_line(&"x".repeat(300)).chars().count(), 100);
        assert_eq!(short_sha("0123456789abcdef"), "0123456");
    }
}
