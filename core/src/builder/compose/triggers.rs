//! Finding what starts a workflow in a clause: a webhook ("when a webhook is called at
//! /orders", "when a GET request hits /health"), a schedule ("every 15 minutes", "hourly",
//! "daily at 9:30", "on weekdays at 8", "every monday at 9", "cron `0 9 * * 1`"), by hand
//! ("manually") or another workflow failing. The words that said it are taken out of the
//! clause; whatever remains is a step ("every hour fetch https://…").

use super::schedule::schedule;
use super::text::Clause;
use crate::builder::plan::{HttpMethod, Trigger};

/// A trigger found in a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// The trigger; a webhook's path is empty when the user gave none.
    pub trigger: Trigger,
    /// A webhook's method was not said (POST is used).
    pub method_defaulted: bool,
    /// The clause without the trigger's words (empty when nothing else was said).
    pub rest: Clause,
}

/// Words that may stand before a trigger phrase and belong to it.
const LEAD: &[&str] = &[
    "when",
    "whenever",
    "once",
    "on",
    "a",
    "an",
    "the",
    "each",
    "new",
    "incoming",
    "it",
    "run",
    "runs",
    "start",
    "starts",
    "trigger",
    "triggered",
    "should",
    "is",
    "make",
    "to",
    "and",
];

/// Words that say nothing once the trigger is taken out ("make it hourly" → "make it").
const FILLERS: &[&str] = &[
    "when",
    "whenever",
    "it",
    "is",
    "run",
    "runs",
    "start",
    "starts",
    "started",
    "trigger",
    "triggered",
    "make",
    "change",
    "set",
    "switch",
    "use",
    "to",
    "please",
    "instead",
    "the",
    "a",
    "an",
    "be",
    "should",
    "so",
    "that",
    "schedule",
    "scheduled",
    "do",
    "this",
    "workflow",
    "and",
    "then",
    "also",
    "on",
    "at",
    "once",
    "called",
    "i",
    "want",
    "rather",
    "for",
    "me",
    "it's",
    "its",
    "let",
    "lets",
    "let's",
    "by",
    "from",
    "now",
    "runs",
    "starting",
    "start",
];

/// The trigger a clause names, if any; `Err` when it names one FlowPulse cannot build.
pub(super) fn find(clause: &Clause) -> Result<Option<Found>, String> {
    let found = match webhook(clause) {
        Some(found) => Some(found),
        None => match schedule(clause)? {
            Some(found) => Some(found),
            None => manual(clause).or_else(|| workflow_error(clause)),
        },
    };
    Ok(found.map(|(trigger, method_defaulted, used)| Found {
        trigger,
        method_defaulted,
        rest: rest_of(clause, &used),
    }))
}

/// The clause without the used tokens and the lead words just before them.
fn rest_of(clause: &Clause, used: &[usize]) -> Clause {
    let (Some(&first), Some(&last)) = (used.iter().min(), used.iter().max()) else {
        return clause.clone();
    };
    let mut start = first;
    while start > 0 && clause.tokens[start - 1].is_any(LEAD) {
        start -= 1;
    }
    let span: Vec<usize> = (start..=last).collect();
    let rest = clause.without(&span).trimmed();
    if rest.only(FILLERS) {
        Clause::default()
    } else {
        rest
    }
}

/// A trigger, whether a webhook's method was left to the default, and the tokens that said it.
pub(super) type Match = (Trigger, bool, Vec<usize>);

fn webhook(clause: &Clause) -> Option<Match> {
    let hook = clause.find_any(&["webhook", "webhooks", "endpoint", "hook"]);
    let path = clause.tokens.iter().position(|t| {
        t.literal.is_none() && t.raw.starts_with('/') && t.raw.len() > 1 && !t.raw.starts_with("//")
    });
    let request = clause.find_any(&[
        "request", "requests", "called", "hits", "hit", "receives", "receive", "received", "calls",
    ]);
    // "the Discord webhook" names a destination, not a trigger: a trigger has a path, or is
    // introduced as one ("when/on a webhook ...").
    let introduced = clause.has_any(&["when", "whenever", "on", "once"]) || hook == Some(0);
    let is_trigger = match (hook, path, request) {
        (Some(_), Some(_), _) | (None, Some(_), Some(_)) => true,
        (Some(_), None, _) => introduced,
        _ => false,
    };
    if !is_trigger {
        return None;
    }
    let mut used: Vec<usize> = [hook, path, request].into_iter().flatten().collect();
    let start = used.iter().copied().min().unwrap_or(0);
    let end = used.iter().copied().max().unwrap_or(0);
    let method = (start.saturating_sub(2)..=end)
        .find_map(|i| method(&clause.tokens[i].word).map(|m| (i, m)));
    if let Some((i, _)) = method {
        used.push(i);
    }
    let path = path
        .map(|i| clause.tokens[i].raw.trim_matches('/').to_string())
        .unwrap_or_default();
    let trigger = Trigger::Webhook {
        method: method.map_or(HttpMethod::Post, |(_, m)| m),
        path,
    };
    Some((trigger, method.is_none(), used))
}

/// An HTTP method named by a word.
pub(super) fn method(word: &str) -> Option<HttpMethod> {
    match word {
        "get" => Some(HttpMethod::Get),
        "post" => Some(HttpMethod::Post),
        "put" => Some(HttpMethod::Put),
        "patch" => Some(HttpMethod::Patch),
        "delete" => Some(HttpMethod::Delete),
        _ => None,
    }
}

fn manual(clause: &Clause) -> Option<Match> {
    let used = if let Some(i) = clause.find_any(&["manually", "manual"]) {
        vec![i]
    } else if let Some(i) = clause
        .find_phrase(&["by", "hand"])
        .or_else(|| clause.find_phrase(&["on", "demand"]))
    {
        vec![i, i + 1]
    } else if let Some(i) = clause.find_any(&["click", "clicking"]) {
        // "when I click execute (workflow)".
        let end = (i + 1..clause.tokens.len())
            .take_while(|&j| {
                clause.tokens[j].is_any(&["execute", "run", "workflow", "the", "button", "it"])
            })
            .last()
            .unwrap_or(i);
        (i..=end).collect()
    } else {
        return None;
    };
    Some((Trigger::Manual, false, used))
}

fn workflow_error(clause: &Clause) -> Option<Match> {
    let fails = clause.find_any(&[
        "fails", "failed", "fail", "errors", "error", "crashes", "crashed", "breaks",
    ])?;
    let subject = (0..fails).find(|&i| {
        clause.tokens[i].is_any(&[
            "workflow",
            "workflows",
            "another",
            "something",
            "anything",
            "any",
        ])
    });
    // "on workflow error" / "on error": the error word is the subject too.
    let start =
        subject.or_else(|| (fails > 0 && clause.tokens[fails - 1].is("on")).then_some(fails))?;
    Some((Trigger::WorkflowError, false, (start..=fails).collect()))
}

#[cfg(test)]
mod tests {
    use super::super::text::clauses;
    use super::*;
    use crate::builder::plan::Schedule;

    fn found(message: &str) -> Option<(Trigger, String)> {
        let clause = clauses(message).remove(0);
        find(&clause)
            .unwrap()
            .map(|found| (found.trigger, found.rest.text()))
    }

    #[test]
    fn webhook_phrases_give_method_and_path() {
        assert_eq!(
            found("When a webhook is called at /orders"),
            Some((
                Trigger::Webhook {
                    method: HttpMethod::Post,
                    path: "orders".into()
                },
                String::new()
            ))
        );
        assert_eq!(
            found("when a GET request hits /health answer ok"),
            Some((
                Trigger::Webhook {
                    method: HttpMethod::Get,
                    path: "health".into()
                },
                "answer ok".into()
            ))
        );
        let clause = clauses("on webhook").remove(0);
        let webhook = find(&clause).unwrap().unwrap();
        assert!(webhook.method_defaulted);
        assert_eq!(
            webhook.trigger,
            Trigger::Webhook {
                method: HttpMethod::Post,
                path: String::new()
            }
        );
    }

    #[test]
    fn schedule_phrases_become_timetables() {
        let schedule = |message: &str| match found(message) {
            Some((Trigger::Schedule { schedule }, _)) => schedule,
            other => panic!("{message}: {other:?}"),
        };
        assert_eq!(schedule("every 15 minutes"), Schedule::Minutes { n: 15 });
        assert_eq!(schedule("every minute"), Schedule::Minutes { n: 1 });
        assert_eq!(
            schedule("make it hourly"),
            Schedule::Hours { n: 1, minute: 0 }
        );
        assert_eq!(
            schedule("every 120 minutes"),
            Schedule::Hours { n: 2, minute: 0 }
        );
        assert_eq!(
            schedule("daily at 9:30"),
            Schedule::Day {
                hour: 9,
                minute: 30
            }
        );
        assert_eq!(
            schedule("at 6pm every day"),
            Schedule::Day {
                hour: 18,
                minute: 0
            }
        );
        assert_eq!(
            schedule("on weekdays at 8"),
            Schedule::Weekday { hour: 8, minute: 0 }
        );
        assert_eq!(
            schedule("every monday at 7:15 am"),
            Schedule::Cron {
                expression: "15 7 * * 1".into()
            }
        );
        assert_eq!(
            schedule("on cron `*/5 * * * *`"),
            Schedule::Cron {
                expression: "*/5 * * * *".into()
            }
        );
        assert_eq!(
            schedule("cron 0 9 * * 1-5"),
            Schedule::Cron {
                expression: "0 9 * * 1-5".into()
            }
        );
    }

    #[test]
    fn the_rest_of_the_clause_is_a_step() {
        assert_eq!(
            found("Every hour fetch https://example.com/a"),
            Some((
                Trigger::Schedule {
                    schedule: Schedule::Hours { n: 1, minute: 0 }
                },
                "fetch https://example.com/a".into()
            ))
        );
        assert_eq!(
            found("post “hi” to slack #a manually").unwrap().1,
            "post “hi” to slack #a"
        );
        assert_eq!(
            found("When another workflow fails").unwrap(),
            (Trigger::WorkflowError, String::new())
        );
        assert_eq!(
            found("on workflow error").unwrap().0,
            Trigger::WorkflowError
        );
        assert_eq!(found("post 'x' to slack #a"), None);
    }

    #[test]
    fn schedules_n8n_cannot_run_are_refused_with_a_reason() {
        let refused = |message: &str| find(&clauses(message).remove(0)).unwrap_err();
        assert_eq!(
            refused("every 30 seconds"),
            "The shortest schedule I can build is every minute."
        );
        assert!(refused("every 90 minutes").contains("1 to 59 minutes"));
        assert!(refused("every 3 weeks").contains("I can't schedule"));
        assert_eq!(
            refused("daily at 25:99"),
            "“25:99” is not a time of day: say for example 9:30 or 6pm."
        );
        assert_eq!(
            refused("every 0 minutes"),
            "The schedule “Every 0 minutes” is out of range: minutes must be 1-59 (use hours \
             beyond that)."
        );
        assert!(refused("cron 0 9 * *").starts_with("The cron expression “0 9 * *” has 4 fields"));
    }
}
