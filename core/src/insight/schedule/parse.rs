//! Reading the schedule out of n8n 2.41.1's trigger node parameters.
//!
//! n8n stores parameters without their defaults and fills them in when it runs the workflow,
//! so a missing field means the default of the node's description (`ScheduleTrigger.node.js`,
//! `Cron.node.js` through `NodeHelpers.cronNodeOptions`, `Interval.node.js`). Each rule becomes
//! the cron expression n8n registers for it (`GenericFunctions.toCronExpression`) and, where
//! that cron fires more often than the rule, n8n's recurrence filter (`intervalToRecurrence`).
//! The second within the minute n8n adds to spread load (a hash of workflow and node ids in
//! 2.41, random before) is taken as 0: the health check's grace absorbs it.

use chrono::Weekday;
use serde_json::{Map, Value};

use super::firing::{parse_cron, Firing, Recurrence};
use super::{RuleKind, ScheduleRule, SkippedRule};
use chrono::TimeDelta;

/// The Schedule Trigger's type.
pub const SCHEDULE_TRIGGER: &str = "n8n-nodes-base.scheduleTrigger";
/// The legacy Cron node's type (hidden in the editor, still run).
pub const CRON_NODE: &str = "n8n-nodes-base.cron";
/// The legacy Interval node's type.
pub const INTERVAL_NODE: &str = "n8n-nodes-base.interval";

type Parsed = Result<(RuleKind, Firing), String>;

/// The rules of one enabled trigger node, each read or skipped with the reason.
pub(super) fn node_rules(
    node_name: &str,
    node_type: &str,
    parameters: &Value,
) -> Vec<Result<ScheduleRule, SkippedRule>> {
    let empty = Map::new();
    let parameters = parameters.as_object().unwrap_or(&empty);
    let parsed: Vec<Parsed> = match node_type {
        SCHEDULE_TRIGGER => schedule_trigger(parameters),
        CRON_NODE => cron_node(parameters),
        INTERVAL_NODE => vec![interval_node(parameters)],
        _ => Vec::new(),
    };
    parsed
        .into_iter()
        .map(|rule| match rule {
            Ok((kind, firing)) => Ok(ScheduleRule {
                node: node_name.to_string(),
                kind,
                firing,
            }),
            Err(reason) => Err(SkippedRule {
                node: node_name.to_string(),
                reason,
            }),
        })
        .collect()
}

/// A numeric parameter: a JSON number (n8n may store `2.0`) or a string holding one; `None`
/// when absent (the default applies). An n8n expression (`={{ … }}`) cannot be evaluated here.
fn number(item: &Map<String, Value>, field: &str) -> Result<Option<i64>, String> {
    match item.get(field) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("`{field}` is {n}, not a whole number")),
        Some(Value::String(s)) if s.starts_with('=') => Err(format!(
            "`{field}` is an n8n expression, which only n8n can evaluate"
        )),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("`{field}` is \"{s}\", not a number")),
        Some(other) => Err(format!("`{field}` is {other}, not a number")),
    }
}

/// A numeric parameter within `range`, `default` when absent.
fn bounded(
    item: &Map<String, Value>,
    field: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, String> {
    let value = number(item, field)?.unwrap_or(i64::from(default));
    u32::try_from(value)
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| match range.end() {
            &u32::MAX => format!(
                "`{field}` is {value}; n8n accepts {} or more",
                range.start()
            ),
            end => format!("`{field}` is {value}; n8n accepts {}-{end}", range.start()),
        })
}

/// `triggerAtHour`/`triggerAtMinute`: the default when absent; an explicit `null` makes n8n
/// pick a value from a hash of the workflow and node ids, which FlowPulse cannot know.
fn time_part(item: &Map<String, Value>, field: &str, max: u32) -> Result<Option<u32>, String> {
    match item.get(field) {
        Some(Value::Null) => Ok(None),
        _ => bounded(item, field, 0, 0..=max).map(Some),
    }
}

fn cron(expression: &str, recurrence: Option<Recurrence>) -> Result<Firing, String> {
    Ok(Firing::Cron {
        cron: Box::new(parse_cron(expression)?),
        recurrence,
    })
}

/// A recurrence only where n8n activates one: intervals other than 1.
fn recurrence(size: u32, unit: fn(u32) -> Recurrence) -> Option<Recurrence> {
    (size != 1).then(|| unit(size))
}

/// An unknown minute or hour is expected at its latest (59, 23), so a run is never expected
/// before n8n could have made it.
fn or_latest(value: Option<u32>, latest: u32) -> u32 {
    value.unwrap_or(latest)
}

fn schedule_trigger(parameters: &Map<String, Value>) -> Vec<Parsed> {
    // `rule` absent: its default, one daily rule; `rule` without `interval`: n8n's `[{}]`.
    let default_rule = [Value::Object(Map::new())];
    let intervals: &[Value] = match parameters.get("rule") {
        None | Some(Value::Null) => &default_rule,
        Some(Value::Object(rule)) => match rule.get("interval") {
            None => &default_rule,
            Some(Value::Array(items)) => items,
            Some(_) => return vec![Err("`rule.interval` is not a list".into())],
        },
        Some(_) => return vec![Err("`rule` is not an object".into())],
    };
    let empty = Map::new();
    intervals
        .iter()
        .map(|item| schedule_interval(item.as_object().unwrap_or(&empty)))
        .collect()
}

fn schedule_interval(item: &Map<String, Value>) -> Parsed {
    let field = item.get("field").and_then(Value::as_str).unwrap_or("days");
    match field {
        "seconds" => {
            let every = bounded(item, "secondsInterval", 30, 1..=59)?;
            Ok((
                RuleKind::Seconds { every },
                cron(&format!("*/{every} * * * * *"), None)?,
            ))
        }
        "minutes" => {
            let every = bounded(item, "minutesInterval", 5, 1..=59)?;
            let firing = if 60 % every == 0 {
                cron(&format!("0 */{every} * * * *"), None)?
            } else {
                Firing::Period {
                    period: TimeDelta::minutes(i64::from(every)),
                    whole_minutes: true,
                }
            };
            Ok((RuleKind::Minutes { every }, firing))
        }
        "hours" => {
            let every = bounded(item, "hoursInterval", 1, 1..=23)?;
            let minute = time_part(item, "triggerAtMinute", 59)?;
            let m = or_latest(minute, 59);
            let expression = if 24 % every == 0 {
                format!("0 {m} */{every} * * *")
            } else {
                format!("0 {m} * * * *")
            };
            Ok((
                RuleKind::Hours { every, minute },
                cron(&expression, recurrence(every, Recurrence::Hours))?,
            ))
        }
        "weeks" => {
            let every = bounded(item, "weeksInterval", 1, 1..=u32::MAX)?;
            if every >= 52 {
                return Err(format!(
                    "every {every} weeks: n8n fires such a rule only in its first week"
                ));
            }
            let weekdays = weekdays(item)?;
            let (hour, minute) = (
                time_part(item, "triggerAtHour", 23)?,
                time_part(item, "triggerAtMinute", 59)?,
            );
            let days = if weekdays.is_empty() {
                "*".to_string()
            } else {
                let numbers: Vec<String> = weekdays
                    .iter()
                    .map(|day| day.num_days_from_sunday().to_string())
                    .collect();
                numbers.join(",")
            };
            let expression = format!(
                "0 {} {} * * {days}",
                or_latest(minute, 59),
                or_latest(hour, 23)
            );
            Ok((
                RuleKind::Weeks {
                    every,
                    weekdays,
                    hour,
                    minute,
                },
                cron(&expression, recurrence(every, Recurrence::Weeks))?,
            ))
        }
        "months" => {
            let every = bounded(item, "monthsInterval", 1, 1..=u32::MAX)?;
            let day = bounded(item, "triggerAtDayOfMonth", 1, 1..=31)?;
            let (hour, minute) = (
                time_part(item, "triggerAtHour", 23)?,
                time_part(item, "triggerAtMinute", 59)?,
            );
            let months = if 12 % every == 0 {
                format!("*/{every}")
            } else {
                "*".to_string()
            };
            let expression = format!(
                "0 {} {} {day} {months} *",
                or_latest(minute, 59),
                or_latest(hour, 23)
            );
            Ok((
                RuleKind::Months {
                    every,
                    day,
                    hour,
                    minute,
                },
                cron(&expression, recurrence(every, Recurrence::Months))?,
            ))
        }
        "cronExpression" => {
            let expression = match item.get("expression") {
                None => "",
                Some(Value::String(s)) if s.starts_with('=') => {
                    return Err("the cron expression is an n8n expression".into())
                }
                Some(Value::String(s)) => s,
                Some(other) => return Err(format!("`expression` is {other}, not text")),
            };
            Ok((
                RuleKind::Cron {
                    expression: expression.trim().to_string(),
                },
                cron(expression, None)?,
            ))
        }
        // n8n reads any other field (and none) as `days`.
        _ => {
            let every = bounded(item, "daysInterval", 1, 1..=31)?;
            let (hour, minute) = (
                time_part(item, "triggerAtHour", 23)?,
                time_part(item, "triggerAtMinute", 59)?,
            );
            let expression = format!("0 {} {} * * *", or_latest(minute, 59), or_latest(hour, 23));
            Ok((
                RuleKind::Days {
                    every,
                    hour,
                    minute,
                },
                cron(&expression, recurrence(every, Recurrence::Days))?,
            ))
        }
    }
}

/// `triggerAtDay`: weekday numbers, Sunday 0 (default `[0]`); an empty list means every day.
fn weekdays(item: &Map<String, Value>) -> Result<Vec<Weekday>, String> {
    let Some(raw) = item.get("triggerAtDay") else {
        return Ok(vec![Weekday::Sun]);
    };
    let list = raw
        .as_array()
        .ok_or_else(|| "`triggerAtDay` is not a list".to_string())?;
    let mut days = Vec::with_capacity(list.len());
    for value in list {
        let wrapper = Map::from_iter([("triggerAtDay".to_string(), value.clone())]);
        let number = bounded(&wrapper, "triggerAtDay", 0, 0..=7)?;
        let day = weekday_from_sunday(number);
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort_by_key(Weekday::num_days_from_monday);
    Ok(days)
}

fn weekday_from_sunday(number: u32) -> Weekday {
    match number % 7 {
        0 => Weekday::Sun,
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        _ => Weekday::Sat,
    }
}

/// The Cron node: `triggerTimes.item[]`, each with a `mode` (default `everyDay` at 14:00).
fn cron_node(parameters: &Map<String, Value>) -> Vec<Parsed> {
    let items = parameters
        .get("triggerTimes")
        .and_then(|times| times.get("item"))
        .and_then(Value::as_array);
    let empty = Map::new();
    items
        .into_iter()
        .flatten()
        .map(|item| cron_item(item.as_object().unwrap_or(&empty)))
        .collect()
}

fn cron_item(item: &Map<String, Value>) -> Parsed {
    let hour = || bounded(item, "hour", 14, 0..=23);
    let minute = || bounded(item, "minute", 0, 0..=59);
    match item
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("everyDay")
    {
        "everyMinute" => Ok((RuleKind::Minutes { every: 1 }, cron("0 * * * * *", None)?)),
        "everyHour" => {
            let minute = minute()?;
            Ok((
                RuleKind::Hours {
                    every: 1,
                    minute: Some(minute),
                },
                cron(&format!("0 {minute} * * * *"), None)?,
            ))
        }
        "everyX" => {
            let every = bounded(item, "value", 2, 1..=1000)?;
            // `*/n` beyond the field's range matches only its first value, as in n8n's cron.
            if item.get("unit").and_then(Value::as_str) == Some("minutes") {
                let step = if every < 60 {
                    format!("*/{every}")
                } else {
                    "0".into()
                };
                Ok((
                    RuleKind::Minutes { every },
                    cron(&format!("0 {step} * * * *"), None)?,
                ))
            } else {
                // n8n picks the minute at random on each activation: expect it at :59.
                let step = if every < 24 {
                    format!("*/{every}")
                } else {
                    "0".into()
                };
                Ok((
                    RuleKind::Hours {
                        every,
                        minute: None,
                    },
                    cron(&format!("0 59 {step} * * *"), None)?,
                ))
            }
        }
        "everyWeek" => {
            let (hour, minute) = (hour()?, minute()?);
            let day = bounded(item, "weekday", 1, 0..=7)?;
            Ok((
                RuleKind::Weeks {
                    every: 1,
                    weekdays: vec![weekday_from_sunday(day)],
                    hour: Some(hour),
                    minute: Some(minute),
                },
                cron(&format!("0 {minute} {hour} * * {day}"), None)?,
            ))
        }
        "everyMonth" => {
            let (hour, minute) = (hour()?, minute()?);
            let day = bounded(item, "dayOfMonth", 1, 1..=31)?;
            Ok((
                RuleKind::Months {
                    every: 1,
                    day,
                    hour: Some(hour),
                    minute: Some(minute),
                },
                cron(&format!("0 {minute} {hour} {day} * *"), None)?,
            ))
        }
        "custom" => {
            let expression = match item.get("cronExpression") {
                None => "* * * * * *",
                Some(Value::String(s)) if s.starts_with('=') => {
                    return Err("the cron expression is an n8n expression".into())
                }
                Some(Value::String(s)) => s,
                Some(other) => return Err(format!("`cronExpression` is {other}, not text")),
            };
            Ok((
                RuleKind::Cron {
                    expression: expression.trim().to_string(),
                },
                cron(expression, None)?,
            ))
        }
        // `everyDay` and anything n8n would not recognise.
        _ => {
            let (hour, minute) = (hour()?, minute()?);
            Ok((
                RuleKind::Days {
                    every: 1,
                    hour: Some(hour),
                    minute: Some(minute),
                },
                cron(&format!("0 {minute} {hour} * * *"), None)?,
            ))
        }
    }
}

/// The Interval node: `interval` (default 1) `unit`s (default seconds), by `setInterval` from
/// the moment the workflow was activated, so not aligned to the clock.
fn interval_node(parameters: &Map<String, Value>) -> Parsed {
    let interval = bounded(parameters, "interval", 1, 1..=u32::MAX)?;
    let unit_seconds: i64 = match parameters.get("unit").and_then(Value::as_str) {
        Some("minutes") => 60,
        Some("hours") => 3600,
        _ => 1,
    };
    let seconds = i64::from(interval) * unit_seconds;
    // Node's `setInterval` takes at most 2^31-1 ms; n8n refuses anything longer.
    if seconds * 1000 > i64::from(i32::MAX) {
        return Err(format!(
            "every {seconds} seconds is longer than n8n's Interval node allows"
        ));
    }
    Ok((
        RuleKind::Period { seconds },
        Firing::Period {
            period: TimeDelta::seconds(seconds),
            whole_minutes: false,
        },
    ))
}
