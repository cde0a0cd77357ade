//! Five-field cron expressions (minute hour day-of-month month day-of-week), checked field by
//! field so the user hears which part is wrong. n8n also takes a sixth (seconds) field; plans
//! keep to the five everyone knows.

const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    ),
    // 0 and 7 are both Sunday.
    (
        "day of week",
        0,
        7,
        &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    ),
];

/// Ok, or why the expression is not a five-field cron expression (“has 4 fields, …”).
pub fn check(expression: &str) -> Result<(), String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "has {} fields; use five: minute hour day-of-month month day-of-week",
            fields.len()
        ));
    }
    for (text, (name, min, max, names)) in fields.iter().zip(FIELDS) {
        for part in text.split(',') {
            if !part_ok(part, min, max, names) {
                return Err(format!(
                    "has “{text}” as its {name} (allowed: {min}-{max}, *, lists, ranges and /steps)"
                ));
            }
        }
    }
    Ok(())
}

/// `*`, `*/n`, `a`, `a-b`, `a-b/n` or `a/n`, with values in range (or names, where allowed).
fn part_ok(part: &str, min: u32, max: u32, names: &[&str]) -> bool {
    let (range, step) = match part.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (part, None),
    };
    if let Some(step) = step {
        if !step
            .parse::<u32>()
            .is_ok_and(|n| (1..=max.max(1)).contains(&n))
        {
            return false;
        }
    }
    if range == "*" {
        return true;
    }
    let value = |text: &str| -> Option<u32> {
        let lower = text.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|name| *name == lower) {
            // Month names count from 1, weekday names from 0 (Sunday).
            let offset = if min == 1 { 1 } else { 0 };
            return Some(i as u32 + offset);
        }
        text.parse::<u32>().ok().filter(|n| (min..=max).contains(n))
    };
    match range.split_once('-') {
        Some((from, to)) => matches!((value(from), value(to)), (Some(a), Some(b)) if a <= b),
        None => value(range).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_expressions_pass() {
        for expression in [
            "* * * * *",
            "*/5 * * * *",
            "0 9 * * 1-5",
            "30 8 1,15 * *",
            "0 0 * jan-mar mon",
            "0 12 * * 7",
            "15 */2 * * SUN",
        ] {
            assert_eq!(check(expression), Ok(()), "{expression}");
        }
    }

    #[test]
    fn the_wrong_number_of_fields_is_named() {
        assert_eq!(
            check("0 9 * *"),
            Err("has 4 fields; use five: minute hour day-of-month month day-of-week".into())
        );
        assert!(check("0 0 9 * * 1")
            .unwrap_err()
            .starts_with("has 6 fields"));
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        assert!(check("60 * * * *").unwrap_err().contains("as its minute"));
        assert!(check("0 24 * * *").unwrap_err().contains("as its hour"));
        assert!(check("0 0 0 * *").unwrap_err().contains("day of month"));
        assert!(check("0 0 * 13 *").unwrap_err().contains("month"));
        assert!(check("0 0 * * 8").unwrap_err().contains("day of week"));
        assert!(check("0 0 * * fri-mon").is_err(), "a backwards range");
        assert!(check("*/0 * * * *").is_err(), "a zero step");
        assert!(check("? * * * *").is_err());
    }
}
