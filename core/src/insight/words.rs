//! How FlowPulse words durations and times in its findings and alerts.

use chrono::{DateTime, TimeDelta, Utc};

/// A duration in at most two units, rounded down: `45 s`, `15 min`, `2 h 30 min`, `3 days 4 h`.
pub fn duration_words(duration: TimeDelta) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) if seconds % 60 == 0 || m >= 10 => format!("{m} min"),
        (0, 0, m) => format!("{m} min {} s", seconds % 60),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => plural(d, "day", "days"),
        (d, h, _) => format!("{} {h} h", plural(d, "day", "days")),
    }
}

/// A moment as FlowPulse shows it in plain text: `2026-12-01 09:00 UTC`.
pub fn moment_words(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_said_in_at_most_two_units() {
        let cases = [
            (45, "45 s"),
            (15 * 60, "15 min"),
            (90, "1 min 30 s"),
            (12 * 60 + 5, "12 min"),
            (2 * 3600, "2 h"),
            (2 * 3600 + 30 * 60 + 9, "2 h 30 min"),
            (86_400, "1 day"),
            (3 * 86_400 + 4 * 3600 + 59, "3 days 4 h"),
            (-5, "0 s"),
        ];
        for (seconds, words) in cases {
            assert_eq!(duration_words(TimeDelta::seconds(seconds)), words);
        }
    }
}
