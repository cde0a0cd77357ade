//! How numbers and times read on the page. Pure functions: the server renders them and the
//! browser re-renders them identically, so hydration sees the same text.

use chrono::{DateTime, Utc};

/// "just now", "5 minutes ago", "yesterday", "3 days ago", or a date for anything older
/// than a month. `now` is passed in (server time of the read, then the browser's clock).
pub fn relative_time(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    if seconds < 0 {
        // A clock slightly ahead of ours: not worth confusing anyone with "in 3 seconds".
        return if seconds > -60 {
            "just now".into()
        } else {
            format!("in {}", span(-seconds))
        };
    }
    match seconds {
        0..45 => "just now".into(),
        45..90 => "1 minute ago".into(),
        _ if (22 * 3600..36 * 3600).contains(&seconds) => "yesterday".into(),
        _ if seconds < 30 * 86_400 => format!("{} ago", span(seconds)),
        _ => format!("on {}", then.format("%Y-%m-%d")),
    }
}

/// "N minutes", "N hours", "N days" for a positive number of seconds.
fn span(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| {
        if count == 1 {
            format!("1 {unit}")
        } else {
            format!("{count} {unit}s")
        }
    };
    if seconds < 3600 {
        plural((seconds + 30) / 60, "minute")
    } else if seconds < 86_400 {
        plural((seconds + 1800) / 3600, "hour")
    } else {
        plural((seconds + 43_200) / 86_400, "day")
    }
}

/// An absolute timestamp for tooltips and tables, always in UTC and saying so.
pub fn absolute_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "850 ms", "2.4 s", "3 min 5 s".
pub fn duration_ms(ms: i64) -> String {
    match ms {
        ..1000 => format!("{} ms", ms.max(0)),
        1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// A fraction in `[0, 1]` as "97.5 %", or "–" when there is nothing to rate.
pub fn percent(fraction: Option<f64>) -> String {
    match fraction {
        Some(value) => format!("{:.1} %", value * 100.0),
        None => "–".into(),
    }
}

/// Large counts with thin grouping: 12 345 → "12,345".
pub fn count(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn ago(seconds: i64) -> String {
        relative_time(now() - Duration::seconds(seconds), now())
    }

    #[test]
    fn recent_moments_read_as_just_now() {
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(44), "just now");
        assert_eq!(ago(-30), "just now");
    }

    #[test]
    fn minutes_hours_and_days_are_rounded_and_pluralised() {
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(5 * 60 + 10), "5 minutes ago");
        assert_eq!(ago(3600), "1 hour ago");
        assert_eq!(ago(3 * 3600 + 20 * 60), "3 hours ago");
        assert_eq!(ago(23 * 3600), "yesterday");
        assert_eq!(ago(3 * 86_400), "3 days ago");
    }

    #[test]
    fn anything_older_than_a_month_shows_its_date() {
        assert_eq!(ago(40 * 86_400), "on 2026-10-13");
    }

    #[test]
    fn a_clock_far_ahead_reads_as_future() {
        assert_eq!(ago(-10 * 60), "in 10 minutes");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration_ms(850), "850 ms");
        assert_eq!(duration_ms(2_430), "2.4 s");
        assert_eq!(duration_ms(185_000), "3 min 5 s");
    }

    #[test]
    fn percentages_and_counts_are_formatted_for_people() {
        assert_eq!(percent(Some(0.975)), "97.5 %");
        assert_eq!(percent(None), "–");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
    }

    #[test]
    fn absolute_times_are_in_utc_and_say_so() {
        assert_eq!(absolute_time(now()), "2026-11-22 12:00 UTC");
    }
}
