//! Timetables in words: "every 15 minutes", "every 2 hours", "hourly", "daily at 9:30",
//! "every morning", "on weekdays at 8", "monday to friday at 7pm", "every monday at 9",
//! "cron `0 9 * * 1`". Ones n8n cannot run (seconds, 90 minutes, every 3 weeks) are refused
//! with a reason.

use super::text::{Clause, Literal};
use super::triggers::Match;
use crate::builder::plan::{Schedule, Trigger};
use crate::builder::validate::schedule_problems;

const DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// The timetable a clause names, if any; `Err` with the reason when n8n could not run it.
pub(super) fn schedule(clause: &Clause) -> Result<Option<Match>, String> {
    let attempted_time = (clause.tokens.windows(2))
        .find(|pair| pair[0].is("at") && pair[1].word.starts_with(|c: char| c.is_ascii_digit()));
    if let (Some(pair), None) = (attempted_time, time_after_at(clause)) {
        return Err(format!(
            "“{}” is not a time of day: say for example 9:30 or 6pm.",
            pair[1].raw
        ));
    }
    let found = read(clause)?;
    if let Some((Trigger::Schedule { schedule }, _, _)) = &found {
        if let Some(problem) = schedule_problems(schedule).into_iter().next() {
            return Err(problem.to_string());
        }
    }
    Ok(found)
}

fn read(clause: &Clause) -> Result<Option<Match>, String> {
    let mut used = Vec::new();
    let at = time_after_at(clause);
    if let Some((_, _, indices)) = &at {
        used.extend(indices);
    }
    let (hour, minute) = at.as_ref().map_or((9, 0), |(h, m, _)| (*h, *m));
    let daily = |used: Vec<usize>| {
        Some((
            schedule_trigger(Schedule::Day { hour, minute }),
            false,
            used,
        ))
    };
    let tokens = &clause.tokens;

    if let Some(i) = clause.find("cron") {
        used.push(i);
        let expression = match tokens.get(i + 1).and_then(|t| t.literal.as_ref()) {
            Some(Literal::Code(text) | Literal::Quoted(text)) => {
                used.push(i + 1);
                text.trim().to_string()
            }
            _ => {
                let parts: Vec<&str> = (tokens.iter().skip(i + 1))
                    .take_while(|t| t.literal.is_none() && is_cron_part(&t.raw))
                    .map(|t| t.raw.as_str())
                    .collect();
                used.extend(i + 1..i + 1 + parts.len());
                parts.join(" ")
            }
        };
        return Ok(Some((
            schedule_trigger(Schedule::Cron { expression }),
            false,
            used,
        )));
    }
    if let Some(i) = clause.find("hourly") {
        used.push(i);
        return Ok(Some((
            schedule_trigger(Schedule::Hours { n: 1, minute: 0 }),
            false,
            used,
        )));
    }
    if let Some(i) = clause.find("daily") {
        used.push(i);
        return Ok(daily(used));
    }
    if let Some(i) = clause.find_any(&["weekdays", "weekday", "mon-fri"]) {
        used.push(i);
        let trigger = schedule_trigger(Schedule::Weekday { hour, minute });
        return Ok(Some((trigger, false, used)));
    }
    if let Some(i) = clause.find_phrase(&["monday", "to", "friday"]) {
        used.extend(i..i + 3);
        let trigger = schedule_trigger(Schedule::Weekday { hour, minute });
        return Ok(Some((trigger, false, used)));
    }
    let Some(every) = clause.find_any(&["every", "each"]) else {
        return Ok(None);
    };
    used.push(every);
    let (n, unit_at) = match tokens.get(every + 1).and_then(|t| number(&t.word)) {
        Some(n) => (n, every + 2),
        None => (1, every + 1),
    };
    let Some(unit) = tokens.get(unit_at) else {
        return Ok(None);
    };
    let is_unit = |word: &str| {
        [
            "second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins", "hour",
            "hours", "hr", "hrs", "day", "days", "morning", "weekday", "weekdays", "week", "weeks",
            "month", "months", "year", "years",
        ]
        .contains(&word)
            || DAYS.iter().any(|day| word.trim_end_matches('s') == *day)
    };
    // "each order" is not a timetable.
    if !is_unit(&unit.word) {
        return Ok(None);
    }
    used.extend(every + 1..=unit_at);
    let schedule = match unit.word.as_str() {
        "second" | "seconds" | "sec" | "secs" => {
            return Err("The shortest schedule I can build is every minute.".into());
        }
        "minute" | "minutes" | "min" | "mins" if n > 0 && n % 60 == 0 => Schedule::Hours {
            n: n / 60,
            minute: 0,
        },
        "minute" | "minutes" | "min" | "mins" if n < 60 => Schedule::Minutes { n },
        "minute" | "minutes" | "min" | "mins" => {
            return Err(format!(
                "n8n's schedule takes 1 to 59 minutes, not {n}: say “every 2 hours”, or give a \
                 cron expression."
            ));
        }
        "hour" | "hours" | "hr" | "hrs" if n < 24 => Schedule::Hours { n, minute: 0 },
        "hour" | "hours" | "hr" | "hrs" => {
            return Err(format!(
                "n8n's schedule takes 1 to 23 hours, not {n}: say “daily at 9:00”."
            ));
        }
        "day" | "morning" if n == 1 => Schedule::Day { hour, minute },
        "weekday" | "weekdays" => Schedule::Weekday { hour, minute },
        word if n == 1 && DAYS.iter().any(|day| word.trim_end_matches('s') == *day) => {
            let day = DAYS
                .iter()
                .position(|day| word.trim_end_matches('s') == *day)
                .expect("found above");
            Schedule::Cron {
                expression: format!("{minute} {hour} * * {day}"),
            }
        }
        _ => {
            return Err(format!(
                "I can't schedule “{}” yet: say every N minutes, every N hours, daily at a \
                 time, on weekdays at a time, every monday at a time, or give a cron expression.",
                clause.text()
            ));
        }
    };
    Ok(Some((schedule_trigger(schedule), false, used)))
}

fn schedule_trigger(schedule: Schedule) -> Trigger {
    Trigger::Schedule { schedule }
}

fn is_cron_part(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*/,-".contains(c))
        && text.chars().any(|c| c.is_ascii_digit() || c == '*')
}

/// A count written as digits or a small word.
pub(super) fn number(word: &str) -> Option<u32> {
    let words = [
        ("a", 1),
        ("an", 1),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("ten", 10),
        ("twelve", 12),
        ("fifteen", 15),
        ("twenty", 20),
        ("thirty", 30),
    ];
    word.parse()
        .ok()
        .or_else(|| words.iter().find(|(w, _)| *w == word).map(|(_, n)| *n))
}

/// "at 9", "at 9:30", "at 9am", "at 9:30 pm", "at noon": (hour, minute, token indices).
fn time_after_at(clause: &Clause) -> Option<(u8, u8, Vec<usize>)> {
    let tokens = &clause.tokens;
    (0..tokens.len()).find_map(|i| {
        if !tokens[i].is("at") {
            return None;
        }
        let word = &tokens.get(i + 1)?.word;
        let suffix = tokens.get(i + 2).map(|t| t.word.as_str());
        match suffix {
            Some(s @ ("am" | "pm" | "a.m." | "p.m.")) => {
                let (hour, minute) = time(&format!("{word}{}", &s[..1]))?;
                Some((hour, minute, vec![i, i + 1, i + 2]))
            }
            _ => time(word).map(|(hour, minute)| (hour, minute, vec![i, i + 1])),
        }
    })
}

/// "9", "09:30", "9.30", "9am", "12pm", "noon", "midnight" → (hour, minute).
pub(super) fn time(word: &str) -> Option<(u8, u8)> {
    match word {
        "noon" | "midday" => return Some((12, 0)),
        "midnight" => return Some((0, 0)),
        _ => {}
    }
    let (clock, half) = if let Some(clock) = word.strip_suffix("am").or(word.strip_suffix('a')) {
        (clock, Some(false))
    } else if let Some(clock) = word.strip_suffix("pm").or(word.strip_suffix('p')) {
        (clock, Some(true))
    } else {
        (word, None)
    };
    let (hour, minute) = clock.split_once([':', '.', 'h']).unwrap_or((clock, "0"));
    let mut hour: u8 = hour.parse().ok()?;
    let minute: u8 = if minute.is_empty() {
        0
    } else {
        minute.parse().ok()?
    };
    match half {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) if hour == 12 => hour = 0,
        Some(true) if hour != 12 => hour += 12,
        _ => {}
    }
    (hour <= 23 && minute <= 59).then_some((hour, minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_the_common_ways() {
        assert_eq!(time("9"), Some((9, 0)));
        assert_eq!(time("09:30"), Some((9, 30)));
        assert_eq!(time("9.30"), Some((9, 30)));
        assert_eq!(time("12am"), Some((0, 0)));
        assert_eq!(time("12pm"), Some((12, 0)));
        assert_eq!(time("7pm"), Some((19, 0)));
        assert_eq!(time("noon"), Some((12, 0)));
        assert_eq!(time("25"), None);
        assert_eq!(time("13pm"), None);
    }
}
