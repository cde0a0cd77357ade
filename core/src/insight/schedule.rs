//! When a scheduled workflow is expected to run, read from its synced definition.
//!
//! Schedule Trigger (`n8n-nodes-base.scheduleTrigger`, typeVersions 1–1.4), Cron
//! (`n8n-nodes-base.cron`) and Interval (`n8n-nodes-base.interval`) nodes that are not
//! disabled each contribute rules; the time zone is the workflow's `settings.timezone` (an
//! IANA name; absent, empty or `DEFAULT` means the instance's). The rules are turned into the
//! crons n8n itself registers (see `parse`) and evaluated with `croner` in that time zone
//! (see `firing`), so DST transitions fall where n8n's do.

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::words::duration_words;
use crate::n8n::Workflow;
use firing::{Cursor, Firing};
use zone::Zone;

mod firing;
mod parse;
mod zone;

pub use parse::{CRON_NODE, INTERVAL_NODE, SCHEDULE_TRIGGER};

/// At most this many runs come out of one [`expected_runs`] call.
pub const MAX_EXPECTED_RUNS: usize = 10_000;

/// What a rule asks for, as the user set it in n8n (its fire times come with it, computed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum RuleKind {
    /// Every `every` seconds, on the minute's grid (`*/every` seconds).
    Seconds {
        /// 1–59.
        every: u32,
    },
    /// Every `every` minutes.
    Minutes {
        /// 1–59 (Schedule Trigger) or up to 1000 (Cron node).
        every: u32,
    },
    /// Every `every` hours at `minute` past.
    Hours {
        /// Hours between runs.
        every: u32,
        /// `None` when n8n picks the minute itself (expected at :59, the latest it could be).
        minute: Option<u32>,
    },
    /// Every `every` days at `hour:minute`.
    Days {
        /// Days between runs.
        every: u32,
        /// `None` when n8n picks it (expected at the latest it could be).
        hour: Option<u32>,
        /// As `hour`.
        minute: Option<u32>,
    },
    /// Every `every` weeks on `weekdays` at `hour:minute`.
    Weeks {
        /// Weeks between runs (n8n counts Sunday-to-Saturday weeks).
        every: u32,
        /// The days it runs on; empty means every day.
        weekdays: Vec<Weekday>,
        /// As in `Days`.
        hour: Option<u32>,
        /// As in `Days`.
        minute: Option<u32>,
    },
    /// Every `every` months on day `day` at `hour:minute` (months without that day are skipped).
    Months {
        /// Months between runs.
        every: u32,
        /// 1–31.
        day: u32,
        /// As in `Days`.
        hour: Option<u32>,
        /// As in `Days`.
        minute: Option<u32>,
    },
    /// A cron expression (5 fields, or 6 with seconds first).
    Cron {
        /// As written in n8n.
        expression: String,
    },
    /// Every `seconds` from activation, not aligned to the clock (the Interval node).
    Period {
        /// Seconds between runs.
        seconds: i64,
    },
}

/// One rule of a trigger node, with the fire times n8n gives it.
#[derive(Debug, Clone)]
pub struct ScheduleRule {
    node: String,
    kind: RuleKind,
    firing: Firing,
}

/// A rule FlowPulse could not turn into fire times, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRule {
    /// The trigger node's name.
    pub node: String,
    /// Why, in FlowPulse's words.
    pub reason: String,
}

/// When a workflow's schedule triggers fire.
#[derive(Debug, Clone)]
pub struct ExpectedSchedule {
    timezone: Zone,
    rules: Vec<ScheduleRule>,
    skipped: Vec<SkippedRule>,
}

/// One trigger node as the parser needs it.
struct TriggerNode<'a> {
    name: &'a str,
    node_type: &'a str,
    parameters: &'a Value,
    disabled: bool,
}

impl ExpectedSchedule {
    /// The schedule of a definition as `mvp_workflows.definition` stores it (`{nodes,
    /// connections, settings}`), or `None` when it has no enabled schedule trigger.
    /// `instance_timezone` is the n8n instance's `GENERIC_TIMEZONE` if the caller knows it
    /// (UTC otherwise); an unknown zone name falls back the same way.
    pub fn from_definition(definition: &Value, instance_timezone: Option<&str>) -> Option<Self> {
        let nodes = definition.get("nodes").and_then(Value::as_array)?;
        let nodes = nodes.iter().filter_map(|node| {
            Some(TriggerNode {
                name: node.get("name")?.as_str()?,
                node_type: node.get("type")?.as_str()?,
                parameters: node.get("parameters").unwrap_or(&Value::Null),
                disabled: node.get("disabled").and_then(Value::as_bool) == Some(true),
            })
        });
        Self::build(nodes, definition.get("settings"), instance_timezone)
    }

    /// [`Self::from_definition`] for a workflow as the n8n API lists it.
    pub fn from_workflow(workflow: &Workflow, instance_timezone: Option<&str>) -> Option<Self> {
        let nodes = workflow.nodes.iter().map(|node| TriggerNode {
            name: &node.name,
            node_type: &node.node_type,
            parameters: &node.parameters,
            disabled: node.extra.get("disabled").and_then(Value::as_bool) == Some(true),
        });
        Self::build(nodes, Some(&workflow.settings), instance_timezone)
    }

    fn build<'a>(
        nodes: impl Iterator<Item = TriggerNode<'a>>,
        settings: Option<&Value>,
        instance_timezone: Option<&str>,
    ) -> Option<Self> {
        let mut triggers = nodes
            .filter(|node| {
                !node.disabled
                    && [SCHEDULE_TRIGGER, CRON_NODE, INTERVAL_NODE].contains(&node.node_type)
            })
            .peekable();
        triggers.peek()?;
        let (mut rules, mut skipped) = (Vec::new(), Vec::new());
        for node in triggers {
            for rule in parse::node_rules(node.name, node.node_type, node.parameters) {
                match rule {
                    Ok(rule) => rules.push(rule),
                    Err(skip) => skipped.push(skip),
                }
            }
        }
        let named = settings
            .and_then(|settings| settings.get("timezone"))
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty() && *name != "DEFAULT");
        let timezone = named
            .and_then(Zone::get)
            .or_else(|| instance_timezone.and_then(Zone::get))
            .unwrap_or(Zone::UTC);
        Some(Self {
            timezone,
            rules,
            skipped,
        })
    }

    /// The IANA name of the time zone the rules are read in.
    pub fn timezone(&self) -> &str {
        self.timezone.name()
    }

    /// The rules FlowPulse can compute fire times for.
    pub fn rules(&self) -> &[ScheduleRule] {
        &self.rules
    }

    /// The rules it cannot (an n8n expression, a value n8n refuses, …).
    pub fn skipped(&self) -> &[SkippedRule] {
        &self.skipped
    }

    /// The rules in words, with the time zone: `every 15 minutes (Europe/Berlin)`.
    pub fn describe(&self) -> String {
        let rules: Vec<String> = self.rules.iter().map(|rule| rule.kind.describe()).collect();
        format!("{} ({})", rules.join("; "), self.timezone.name())
    }
}

impl ScheduleRule {
    /// The trigger node the rule belongs to.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// What the rule asks for.
    pub fn kind(&self) -> &RuleKind {
        &self.kind
    }
}

impl RuleKind {
    /// The rule in FlowPulse's words: `every 2 hours at :30`, `every week on Mon, Fri at 09:00`.
    pub fn describe(&self) -> String {
        let every = |n: u32, one: &str, many: &str| match n {
            1 => format!("every {one}"),
            n => format!("every {n} {many}"),
        };
        let at = |hour: Option<u32>, minute: Option<u32>| match (hour, minute) {
            (Some(h), Some(m)) => format!(" at {h:02}:{m:02}"),
            _ => String::new(),
        };
        match self {
            Self::Seconds { every: n } => every(*n, "second", "seconds"),
            Self::Minutes { every: n } => every(*n, "minute", "minutes"),
            Self::Hours { every: n, minute } => {
                let mut text = every(*n, "hour", "hours");
                if let Some(m) = minute {
                    let _ = write!(text, " at :{m:02}");
                }
                text
            }
            Self::Days {
                every: n,
                hour,
                minute,
            } => every(*n, "day", "days") + &at(*hour, *minute),
            Self::Weeks {
                every: n,
                weekdays,
                hour,
                minute,
            } => {
                let days: Vec<String> = weekdays.iter().map(ToString::to_string).collect();
                let on = if days.is_empty() {
                    " on every day".to_string()
                } else {
                    format!(" on {}", days.join(", "))
                };
                every(*n, "week", "weeks") + &on + &at(*hour, *minute)
            }
            Self::Months {
                every: n,
                day,
                hour,
                minute,
            } => every(*n, "month", "months") + &format!(" on day {day}") + &at(*hour, *minute),
            Self::Cron { expression } => format!("cron `{expression}`"),
            Self::Period { seconds } => {
                format!("every {}", duration_words(TimeDelta::seconds(*seconds)))
            }
        }
    }
}

/// The runs `schedule` makes after `from` up to and including `to`, in order, at most
/// [`MAX_EXPECTED_RUNS`].
///
/// `from` is taken as the moment every rule last fired (the last run, or the activation of a
/// workflow that never ran). That matters only for rules n8n counts from their last fire
/// ("every 2 days", "every 50 minutes", the Interval node): their first expected run comes a
/// whole interval after `from`, never earlier than n8n could make it. A moment two rules share
/// counts once.
pub fn expected_runs(
    schedule: &ExpectedSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let mut cursors: Vec<(Cursor<'_>, Option<DateTime<Utc>>)> = schedule
        .rules
        .iter()
        .map(|rule| {
            let mut cursor = Cursor::new(&rule.firing, &schedule.timezone, from);
            let first = cursor.next_fire();
            (cursor, first)
        })
        .collect();
    let mut last: Option<DateTime<Utc>> = None;
    std::iter::from_fn(move || loop {
        let (cursor, next) = cursors
            .iter_mut()
            .filter(|(_, next)| next.is_some())
            .min_by_key(|(_, next)| *next)?;
        let at = (*next)?;
        if at > to {
            return None;
        }
        *next = cursor.next_fire();
        if last != Some(at) {
            last = Some(at);
            return Some(at);
        }
    })
    .take(MAX_EXPECTED_RUNS)
}

/// The first run `schedule` is expected to make after `t` (taking `t` as its last run, as
/// [`expected_runs`] does), if any.
pub fn next_expected_after(schedule: &ExpectedSchedule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    expected_runs(schedule, t, DateTime::<Utc>::MAX_UTC).next()
}

/// How often the schedule runs on average: each rule's mean gap over its first dozen fires
/// from a fixed reference moment, combined as rates (two daily rules make 12 h). `None` when
/// no rule fires at all.
pub fn nominal_interval(schedule: &ExpectedSchedule) -> Option<TimeDelta> {
    const SAMPLE: i32 = 12;
    // A Monday at midnight, far from DST changes; the clock is never read.
    let reference = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).single()?;
    let rate: f64 = schedule
        .rules
        .iter()
        .filter_map(|rule| {
            let mut cursor = Cursor::new(&rule.firing, &schedule.timezone, reference);
            let first = cursor.next_fire()?;
            let mut last = first;
            let mut gaps = 0;
            while gaps < SAMPLE {
                match cursor.next_fire() {
                    Some(next) => last = next,
                    None => break,
                }
                gaps += 1;
            }
            let mean = (last - first).num_milliseconds() as f64 / f64::from(gaps.max(1));
            (gaps > 0 && mean > 0.0).then(|| 1.0 / mean)
        })
        .sum();
    (rate > 0.0).then(|| TimeDelta::milliseconds((1.0 / rate).round() as i64))
}

#[cfg(test)]
mod tests;
