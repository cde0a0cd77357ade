//! The checks a plan passes before it is rendered and deployed. A [`ValidPlan`] (from
//! [`ValidPlan::new`] or [`validate`]) is what `render_workflow` takes, and `render` checks
//! first, so nothing unchecked reaches n8n; every [`PlanProblem`]
//! is worded for the person who asked for the workflow. [`rendered`] checks the n8n JSON itself.

pub mod cron;
mod problem;
pub mod rendered;
mod rules;

pub use problem::PlanProblem;
pub use rules::{
    is_email, is_field_path, is_http_url, is_identifier, is_slack_channel, webhook_path_problem,
};
use rules::{is_table, is_telegram_chat};

use serde_json::Value;

use super::catalogue::step_credential;
use super::plan::{Condition, HttpMethod, Operator, Schedule, Step, Trigger, WorkflowPlan};
use super::summary::step_label;

/// Longest title: n8n caps names at 128 characters and the `[USR-xxxxxxxx] ` prefix takes 15.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest wait: 30 days.
pub const MAX_WAIT_SECONDS: u32 = 30 * 86_400;

/// A plan that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPlan(WorkflowPlan);

impl ValidPlan {
    /// Checks `plan`; every problem found, in plan order, when there are any.
    pub fn new(plan: WorkflowPlan) -> Result<ValidPlan, Vec<PlanProblem>> {
        let found = problems(&plan);
        if found.is_empty() {
            Ok(ValidPlan(plan))
        } else {
            Err(found)
        }
    }

    /// The plan.
    pub fn plan(&self) -> &WorkflowPlan {
        &self.0
    }

    /// The plan, back.
    pub fn into_inner(self) -> WorkflowPlan {
        self.0
    }
}

/// Checks a plan without taking it: the checked copy, or every problem in plan order.
pub fn validate(plan: &WorkflowPlan) -> Result<ValidPlan, Vec<PlanProblem>> {
    ValidPlan::new(plan.clone())
}

/// Every problem of `plan`, in plan order (empty when it can be deployed).
pub fn problems(plan: &WorkflowPlan) -> Vec<PlanProblem> {
    let mut out = Vec::new();
    let title = plan.title.trim();
    if title.is_empty() {
        out.push(PlanProblem::EmptyTitle);
    } else if title.chars().count() > MAX_TITLE_CHARS {
        out.push(PlanProblem::TitleTooLong {
            chars: title.chars().count(),
        });
    }
    check_trigger(&plan.trigger, &mut out);
    if plan.steps.is_empty() {
        out.push(PlanProblem::NoSteps);
    }
    let webhook = matches!(plan.trigger, Trigger::Webhook { .. });
    check_steps(&plan.steps, webhook, false, &mut out);
    out
}

fn check_trigger(trigger: &Trigger, out: &mut Vec<PlanProblem>) {
    match trigger {
        Trigger::Webhook { path, .. } => {
            if let Some(reason) = webhook_path_problem(path) {
                out.push(PlanProblem::WebhookPath {
                    path: path.clone(),
                    reason,
                });
            }
        }
        Trigger::Schedule { schedule } => check_schedule(schedule, out),
        Trigger::Manual | Trigger::WorkflowError => {}
    }
}

/// The problems of a timetable on its own (what [`problems`] reports for a schedule trigger).
pub fn schedule_problems(schedule: &Schedule) -> Vec<PlanProblem> {
    let mut out = Vec::new();
    check_schedule(schedule, &mut out);
    out
}

fn check_schedule(schedule: &Schedule, out: &mut Vec<PlanProblem>) {
    let label = super::summary::schedule_label(schedule);
    let mut range = |reason: &str| {
        out.push(PlanProblem::Schedule {
            schedule: label.clone(),
            reason: reason.to_string(),
        });
    };
    match schedule {
        // The ranges n8n's Schedule Trigger itself enforces (1.3+).
        Schedule::Minutes { n } if !(1..=59).contains(n) => {
            range("minutes must be 1-59 (use hours beyond that)");
        }
        Schedule::Hours { n, .. } if !(1..=23).contains(n) => {
            range("hours must be 1-23 (use a daily time beyond that)");
        }
        Schedule::Hours { minute, .. } if *minute > 59 => range("the minute must be 0-59"),
        Schedule::Day { hour, minute } | Schedule::Weekday { hour, minute }
            if *hour > 23 || *minute > 59 =>
        {
            range("the time must be between 00:00 and 23:59");
        }
        Schedule::Cron { expression } => {
            if let Err(reason) = cron::check(expression) {
                out.push(PlanProblem::Cron {
                    expression: expression.clone(),
                    reason,
                });
            }
        }
        _ => {}
    }
}

/// `answered`: a Respond to Webhook already ran on the path leading here.
fn check_steps(steps: &[Step], webhook: bool, mut answered: bool, out: &mut Vec<PlanProblem>) {
    for step in steps {
        check_step(step, out);
        if let Some((credential_type, name)) = step_credential(step) {
            if name.is_none_or(|name| name.trim().is_empty()) {
                out.push(PlanProblem::NoCredential {
                    step: step_label(step),
                    credential_type: credential_type.to_string(),
                });
            }
        }
        match step {
            Step::RespondToWebhook { .. } => {
                if !webhook {
                    out.push(PlanProblem::RespondWithoutWebhook {
                        step: step_label(step),
                    });
                } else if answered {
                    out.push(PlanProblem::RespondTwice {
                        step: step_label(step),
                    });
                }
                answered = true;
            }
            Step::If {
                then, otherwise, ..
            } => {
                check_steps(then, webhook, answered, out);
                check_steps(otherwise, webhook, answered, out);
                answered = answered || responds(then) || responds(otherwise);
            }
            _ => {}
        }
    }
}

fn responds(steps: &[Step]) -> bool {
    let mut found = false;
    super::summary::for_each_step(steps, &mut |step| {
        found |= matches!(step, Step::RespondToWebhook { .. });
    });
    found
}

fn check_step(step: &Step, out: &mut Vec<PlanProblem>) {
    let label = || step_label(step);
    let mut text = |value: &str, what: &'static str| {
        if value.trim().is_empty() {
            out.push(PlanProblem::EmptyText {
                step: label(),
                what,
            });
        }
    };
    match step {
        Step::HttpRequest {
            method, url, body, ..
        } => {
            if !is_http_url(url) {
                out.push(PlanProblem::BadUrl {
                    step: label(),
                    url: url.clone(),
                });
            }
            if body.is_some() && matches!(method, HttpMethod::Get | HttpMethod::Delete) {
                out.push(PlanProblem::BodyNotAllowed {
                    step: label(),
                    method: method.as_str(),
                });
            }
        }
        Step::Slack {
            channel,
            text: message,
            ..
        } => {
            text(message, "message");
            if !is_slack_channel(channel) {
                out.push(PlanProblem::BadChannel {
                    step: label(),
                    channel: channel.clone(),
                });
            }
        }
        Step::Email {
            to,
            from,
            subject,
            text: body,
            ..
        } => {
            text(subject, "subject");
            text(body, "text");
            let recipients: Vec<&str> = to.split(',').map(str::trim).collect();
            for address in recipients.into_iter().filter(|a| !is_email(a)) {
                out.push(PlanProblem::BadEmail {
                    step: label(),
                    address: address.to_string(),
                });
            }
            match from.as_deref() {
                None => out.push(PlanProblem::NoSender { step: label() }),
                Some(from) if !is_email(from.trim()) => out.push(PlanProblem::BadEmail {
                    step: label(),
                    address: from.to_string(),
                }),
                Some(_) => {}
            }
        }
        Step::Discord { text: message, .. } => text(message, "message"),
        Step::Telegram {
            chat_id,
            text: message,
            ..
        } => {
            text(message, "message");
            if !is_telegram_chat(chat_id.trim()) {
                out.push(PlanProblem::BadChatId {
                    step: label(),
                    chat_id: chat_id.clone(),
                });
            }
        }
        Step::SetFields { fields, .. } => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            check_names(&label(), &names, "field", is_field_path, out);
        }
        Step::PostgresInsert { table, columns, .. } => {
            if !is_table(table) {
                out.push(PlanProblem::BadName {
                    step: label(),
                    name: table.clone(),
                    what: "table",
                });
            }
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            check_names(&label(), &names, "column", is_identifier, out);
        }
        Step::If {
            condition,
            then,
            otherwise,
        } => {
            check_condition(&label(), condition, out);
            if then.is_empty() && otherwise.is_empty() {
                out.push(PlanProblem::EmptyBranches { step: label() });
            }
        }
        Step::Filter { condition } => check_condition(&label(), condition, out),
        Step::Code { javascript } => text(javascript, "code"),
        Step::Wait { seconds } => {
            if !(1..=MAX_WAIT_SECONDS).contains(seconds) {
                out.push(PlanProblem::WaitRange { step: label() });
            }
        }
        Step::RespondToWebhook { status, .. } => {
            if !(100..=599).contains(status) {
                out.push(PlanProblem::StatusRange {
                    step: label(),
                    status: *status,
                });
            }
        }
    }
}

fn check_names(
    step: &str,
    names: &[&str],
    what: &'static str,
    usable: fn(&str) -> bool,
    out: &mut Vec<PlanProblem>,
) {
    if names.is_empty() {
        out.push(PlanProblem::NothingNamed {
            step: step.to_string(),
            what,
        });
    }
    for (i, name) in names.iter().enumerate() {
        if !usable(name) {
            out.push(PlanProblem::BadName {
                step: step.to_string(),
                name: name.to_string(),
                what,
            });
        } else if names[..i].contains(name) {
            out.push(PlanProblem::Duplicate {
                step: step.to_string(),
                name: name.to_string(),
            });
        }
    }
}

fn check_condition(step: &str, condition: &Condition, out: &mut Vec<PlanProblem>) {
    if !is_field_path(&condition.field) {
        out.push(PlanProblem::BadName {
            step: step.to_string(),
            name: condition.field.clone(),
            what: "field",
        });
    }
    let numeric = match &condition.value {
        Some(Value::Number(_)) => true,
        Some(Value::String(text)) => text.trim().parse::<f64>().is_ok(),
        _ => false,
    };
    let reason = match condition.operator {
        Operator::Greater | Operator::GreaterOrEqual | Operator::Less | Operator::LessOrEqual
            if !numeric =>
        {
            Some("a comparison like > or < needs a number to compare with")
        }
        Operator::Equals | Operator::NotEquals | Operator::Contains
            if matches!(condition.value, None | Some(Value::Null)) =>
        {
            Some("the condition needs a value to compare with")
        }
        Operator::Contains if !matches!(condition.value, Some(Value::String(_))) => {
            Some("“contains” compares with a text")
        }
        _ => None,
    };
    if let Some(reason) = reason {
        out.push(PlanProblem::ConditionValue {
            step: step.to_string(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests;
