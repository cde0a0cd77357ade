//! What a draft still lacks, the one question that asks for it, and reading the answer.
//!
//! Missing values are found in plan order (trigger, then steps depth first), so the user is
//! asked one thing at a time in the order they said things. A credential is only asked about
//! when the user has several of its type: with one it is used, with none the plan is shown with
//! the credential marked as still needed.

use serde::{Deserialize, Serialize};

use super::fields::Context;
use super::request;
use super::steps::{addresses, channel, credential, is_chat_id, names, slack_channel};
use super::text::clauses;
use super::triggers;
use super::Credentials;
use crate::builder::catalogue::{credential_noun, step_credential};
use crate::builder::plan::{Field, HttpAuth, Step, Trigger, WorkflowPlan};
use crate::builder::summary::step_label;

/// A plan being built; its trigger is a placeholder while `trigger_missing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Draft {
    pub plan: WorkflowPlan,
    pub trigger_missing: bool,
}

/// Where a step is: indexes from the top, through IF branches (`then` = true).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StepPath(pub Vec<(usize, Option<bool>)>);

/// One missing value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "missing", rename_all = "snake_case")]
pub(super) enum Hole {
    Trigger,
    Steps,
    WebhookPath,
    SlackChannel {
        at: StepPath,
    },
    Text {
        at: StepPath,
    },
    EmailTo {
        at: StepPath,
    },
    EmailFrom {
        at: StepPath,
    },
    TelegramChat {
        at: StepPath,
    },
    Url {
        at: StepPath,
    },
    Table {
        at: StepPath,
    },
    Columns {
        at: StepPath,
    },
    Code {
        at: StepPath,
    },
    Credential {
        at: StepPath,
        credential_type: String,
    },
}

/// The first missing value of a draft.
pub(super) fn next(draft: &Draft, credentials: &Credentials) -> Option<Hole> {
    if draft.trigger_missing {
        return Some(Hole::Trigger);
    }
    if matches!(&draft.plan.trigger, Trigger::Webhook { path, .. } if path.is_empty()) {
        return Some(Hole::WebhookPath);
    }
    if draft.plan.steps.is_empty() {
        return Some(Hole::Steps);
    }
    let mut found = None;
    walk(&draft.plan.steps, &mut Vec::new(), &mut |step, at| {
        if found.is_none() {
            found = step_hole(step, at, credentials);
        }
    });
    found
}

fn walk(
    steps: &[Step],
    path: &mut Vec<(usize, Option<bool>)>,
    visit: &mut impl FnMut(&Step, StepPath),
) {
    for (i, step) in steps.iter().enumerate() {
        path.push((i, None));
        visit(step, StepPath(path.clone()));
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            path.last_mut().expect("pushed").1 = Some(true);
            walk(then, path, visit);
            path.last_mut().expect("pushed").1 = Some(false);
            walk(otherwise, path, visit);
        }
        path.pop();
    }
}

fn step_hole(step: &Step, at: StepPath, credentials: &Credentials) -> Option<Hole> {
    let hole = match step {
        Step::Slack { channel, .. } if channel.is_empty() => Hole::SlackChannel { at },
        Step::Slack { text, .. } | Step::Discord { text, .. } if text.trim().is_empty() => {
            Hole::Text { at }
        }
        Step::Telegram { chat_id, .. } if chat_id.is_empty() => Hole::TelegramChat { at },
        Step::Telegram { text, .. } if text.trim().is_empty() => Hole::Text { at },
        Step::Email { to, .. } if to.is_empty() => Hole::EmailTo { at },
        Step::Email { from: None, .. } => Hole::EmailFrom { at },
        Step::HttpRequest { url, .. } if url.is_empty() => Hole::Url { at },
        Step::PostgresInsert { table, .. } if table.is_empty() => Hole::Table { at },
        Step::PostgresInsert { columns, .. } if columns.is_empty() => Hole::Columns { at },
        Step::Code { javascript } if javascript.trim().is_empty() => Hole::Code { at },
        _ => {
            let (credential_type, None) = step_credential(step)? else {
                return None;
            };
            if credentials.names(credential_type).len() < 2 {
                return None;
            }
            Hole::Credential {
                at,
                credential_type: credential_type.to_string(),
            }
        }
    };
    Some(hole)
}

/// The question for a hole.
pub(super) fn question(draft: &Draft, hole: &Hole, credentials: &Credentials) -> String {
    let label = |at: &StepPath| {
        step_at(&draft.plan.steps, at)
            .map(step_label)
            .unwrap_or_default()
    };
    match hole {
        Hole::Trigger => {
            "What should start this workflow: a webhook (“when a webhook is called at \
             /orders”), a schedule (“every 15 minutes”, “on weekdays at 8”), you by hand \
             (“manually”), or another workflow failing?"
                .into()
        }
        Hole::Steps => "What should it do when it starts? For example “post 'Hello' to Slack \
             #general” or “call https://example.com/hook”."
            .into(),
        Hole::WebhookPath => {
            "Which path should the webhook listen on (for example /orders)?".into()
        }
        Hole::SlackChannel { .. } => {
            "Which Slack channel should I post to (for example #sales)?".into()
        }
        Hole::Text { at } => {
            let service = match step_at(&draft.plan.steps, at) {
                Some(Step::Discord { .. }) => "Discord",
                Some(Step::Telegram { .. }) => "Telegram",
                _ => "Slack",
            };
            format!(
                "What should the {service} message say? Use {{{{field}}}} for a field of the item."
            )
        }
        Hole::EmailTo { .. } => "Who should the email go to?".into(),
        Hole::EmailFrom { at } => format!(
            "Which address should the email ({}) come from?",
            label(at).to_lowercase()
        ),
        Hole::TelegramChat { .. } => {
            "Which Telegram chat should I send to (its chat ID, for example \
             -1001234567890, or @channelname)?"
                .into()
        }
        Hole::Url { .. } => "Which URL should I call?".into(),
        Hole::Table { .. } => "Which Postgres table should I insert into?".into(),
        Hole::Columns { at } => format!(
            "Which columns should {} fill (for example “id and total”)?",
            label(at)
        ),
        Hole::Code { .. } => {
            "What JavaScript should the Code step run? Put it in `backticks`.".into()
        }
        Hole::Credential {
            at,
            credential_type,
        } => format!(
            "Which {} credential should {} use? You have: {}.",
            credential_noun(credential_type),
            label(at),
            credentials.names(credential_type).join(", ")
        ),
    }
}

/// Fills `hole` from `answer`; false when the message does not answer it.
pub(super) fn answer(
    draft: &mut Draft,
    hole: &Hole,
    answer: &str,
    credentials: &Credentials,
) -> bool {
    let clause = clauses(answer).into_iter().next().unwrap_or_default();
    let quoted_or_all = || {
        clause
            .quoted()
            .map(str::to_string)
            .unwrap_or_else(|| answer.trim().to_string())
    };
    let context = Context::start(Some(&draft.plan.trigger));
    match hole {
        Hole::Trigger => {
            let Ok(Some(found)) = triggers::find(&clause) else {
                return false;
            };
            draft.plan.trigger = found.trigger;
            draft.trigger_missing = false;
            true
        }
        Hole::Steps => match request::parse(answer, Some(&draft.plan.trigger), &[]) {
            Ok(parsed) if !parsed.steps.is_empty() => {
                draft.plan.steps = parsed.steps;
                true
            }
            _ => false,
        },
        Hole::WebhookPath => {
            let word = answer.trim().trim_end_matches('.');
            let Trigger::Webhook { path, .. } = &mut draft.plan.trigger else {
                return false;
            };
            let valid = !word.is_empty() && !word.contains(char::is_whitespace);
            if valid {
                *path = word.trim_matches('/').to_string();
            }
            valid
        }
        Hole::SlackChannel { at } => {
            let named = slack_channel(&clause);
            let single = clause.tokens.len() == 1 && clause.tokens[0].literal.is_none();
            let value = if !named.is_empty() {
                named
            } else if single {
                channel(&clause.tokens[0].raw)
            } else {
                return false;
            };
            set(draft, at, |step| {
                if let Step::Slack { channel, .. } = step {
                    *channel = value;
                }
            })
        }
        Hole::Text { at } => {
            let value = context_at(draft, at).expressions(&quoted_or_all());
            set(draft, at, |step| {
                if let Step::Slack { text, .. }
                | Step::Discord { text, .. }
                | Step::Telegram { text, .. } = step
                {
                    *text = value;
                }
            })
        }
        Hole::EmailTo { at } | Hole::EmailFrom { at } => {
            let found = addresses(&clause.tokens);
            if found.is_empty() {
                return false;
            }
            let to_hole = matches!(hole, Hole::EmailTo { .. });
            set(draft, at, |step| {
                if let Step::Email { to, from, .. } = step {
                    if to_hole {
                        *to = found.join(", ");
                    } else {
                        *from = Some(found[0].clone());
                    }
                }
            })
        }
        Hole::TelegramChat { at } => {
            let Some(id) = clause
                .tokens
                .iter()
                .find(|t| is_chat_id(&t.raw))
                .map(|t| t.raw.clone())
            else {
                return false;
            };
            set(draft, at, |step| {
                if let Step::Telegram { chat_id, .. } = step {
                    *chat_id = id;
                }
            })
        }
        Hole::Url { at } => {
            let found = clause
                .tokens
                .iter()
                .find(|t| t.raw.starts_with("http://") || t.raw.starts_with("https://"));
            let Some(found) = found.map(|t| context.expressions(&t.raw)) else {
                return false;
            };
            set(draft, at, |step| {
                if let Step::HttpRequest { url, .. } = step {
                    *url = found;
                }
            })
        }
        Hole::Table { at } => {
            let word = clause
                .tokens
                .iter()
                .rev()
                .find(|t| t.literal.is_none() && !t.is_any(&["the", "table", "into", "use", "in"]))
                .map(|t| t.raw.clone());
            let Some(word) =
                word.filter(|w| w.split('.').all(crate::builder::validate::is_identifier))
            else {
                return false;
            };
            set(draft, at, |step| {
                if let Step::PostgresInsert { table, .. } = step {
                    *table = word;
                }
            })
        }
        Hole::Columns { at } => {
            let listed = names(&clause, 0);
            if listed.is_empty() {
                return false;
            }
            let context = context_at(draft, at);
            set(draft, at, |step| {
                if let Step::PostgresInsert { columns, .. } = step {
                    *columns = listed
                        .iter()
                        .map(|name| Field {
                            name: name.clone(),
                            value: context.expression(name),
                        })
                        .collect();
                }
            })
        }
        Hole::Code { at } => {
            let code = clause
                .literal(|l| match l {
                    super::text::Literal::Code(code) => Some(code),
                    _ => None,
                })
                .map_or_else(|| answer.trim().to_string(), str::to_string);
            set(draft, at, |step| {
                if let Step::Code { javascript } = step {
                    *javascript = code;
                }
            })
        }
        Hole::Credential {
            at,
            credential_type,
        } => {
            let Some(name) = pick_credential(answer, credentials.names(credential_type)) else {
                return false;
            };
            set(draft, at, |step| set_credential(step, &name))
        }
    }
}

/// The credential an answer names: by name (case-insensitive, quoted or not), or by its
/// number in the list the question showed.
pub(super) fn pick_credential(answer: &str, names: &[String]) -> Option<String> {
    let clause = clauses(answer).into_iter().next().unwrap_or_default();
    if let Some((named, _)) = credential(&clause) {
        if let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(&named)) {
            return Some(name.clone());
        }
    }
    let lower = answer
        .trim()
        .trim_matches(['"', '\'', '“', '”', '.'])
        .to_lowercase();
    if let Ok(n) = lower.parse::<usize>() {
        return names.get(n.checked_sub(1)?).cloned();
    }
    // The longest name the answer contains ("the Sales bot one please").
    names
        .iter()
        .filter(|name| lower.contains(&name.to_lowercase()))
        .max_by_key(|name| name.len())
        .cloned()
}

/// Sets the credential of a credentialed step.
pub(super) fn set_credential(step: &mut Step, name: &str) {
    let slot = match step {
        Step::HttpRequest { auth, .. } => match auth {
            HttpAuth::None => return,
            HttpAuth::Header { credential } | HttpAuth::Basic { credential } => credential,
        },
        Step::Slack { credential, .. }
        | Step::Email { credential, .. }
        | Step::Discord { credential, .. }
        | Step::Telegram { credential, .. }
        | Step::PostgresInsert { credential, .. } => credential,
        _ => return,
    };
    *slot = Some(name.to_string());
}

/// Chooses the user's only credential of a type wherever a step still needs one.
pub(super) fn autofill_credentials(steps: &mut [Step], credentials: &Credentials) {
    for step in steps.iter_mut() {
        if let Some((credential_type, None)) = step_credential(step) {
            if let [only] = credentials.names(credential_type) {
                let only = only.clone();
                set_credential(step, &only);
            }
        }
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            autofill_credentials(then, credentials);
            autofill_credentials(otherwise, credentials);
        }
    }
}

/// The step at a path.
pub(super) fn step_at<'a>(steps: &'a [Step], at: &StepPath) -> Option<&'a Step> {
    let (last, parents) = at.0.split_last()?;
    let mut list = steps;
    for (index, branch) in parents {
        match (list.get(*index)?, branch) {
            (Step::If { then, .. }, Some(true)) => list = then,
            (Step::If { otherwise, .. }, Some(false)) => list = otherwise,
            _ => return None,
        }
    }
    list.get(last.0)
}

fn set(draft: &mut Draft, at: &StepPath, change: impl FnOnce(&mut Step)) -> bool {
    let Some((last, parents)) = at.0.split_last() else {
        return false;
    };
    let mut list = &mut draft.plan.steps;
    for (index, branch) in parents {
        list = match (list.get_mut(*index), branch) {
            (Some(Step::If { then, .. }), Some(true)) => then,
            (Some(Step::If { otherwise, .. }), Some(false)) => otherwise,
            _ => return false,
        };
    }
    match list.get_mut(last.0) {
        Some(step) => {
            change(step);
            true
        }
        None => false,
    }
}

/// Where fields are just before the step at `at` (top-level steps before it, and the IFs
/// leading to it).
fn context_at(draft: &Draft, at: &StepPath) -> Context {
    let mut context = Context::start(Some(&draft.plan.trigger));
    let mut list = &draft.plan.steps;
    for (index, branch) in &at.0 {
        context = context.after(&list[..(*index).min(list.len())]);
        match (list.get(*index), branch) {
            (Some(Step::If { then, .. }), Some(true)) => list = then,
            (Some(Step::If { otherwise, .. }), Some(false)) => list = otherwise,
            _ => break,
        }
    }
    context
}
