//! Follow-ups on the current plan: "rename it to …", "remove the Slack step", "use GET",
//! "change the path to /x", "post to #other instead", "change the message to '…'", "use the
//! credential X", a new trigger ("make it hourly"), more steps ("also email ops@…"), "only
//! when total > 100". A message that names a trigger *and* steps is a new workflow.

use serde_json::Value;

use super::request::{self, Request};
use super::steps::{channel, credential};
use super::text::{clauses, Clause};
use super::{holes, Credentials};
use crate::builder::catalogue::{spec, step_credential, step_kind, NodeKind};
use crate::builder::plan::{HttpMethod, Step, Trigger, WorkflowPlan};
use crate::builder::summary::{step_label, trigger_label};

/// What a follow-up did.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Edit {
    /// The plan changed; `notes` say how.
    Changed {
        plan: WorkflowPlan,
        notes: Vec<String>,
    },
    /// A new workflow replaces the current one (a trigger and steps were named).
    Replaced(Request),
    /// The message asks for something the composer cannot do.
    Refused(String),
}

/// Applies a follow-up to `plan`.
pub(super) fn apply(plan: &WorkflowPlan, message: &str, credentials: &Credentials) -> Edit {
    let first = clauses(message).into_iter().next().unwrap_or_default();
    let mut plan = plan.clone();
    let direct = rename(&mut plan, &first)
        .or_else(|| remove(&mut plan, &first))
        .or_else(|| change_text(&mut plan, &first))
        .or_else(|| use_credential(&mut plan, &first, credentials))
        .or_else(|| webhook_change(&mut plan, &first))
        .or_else(|| channel_change(&mut plan, &first));
    if let Some(note) = direct {
        return Edit::Changed {
            plan,
            notes: vec![note],
        };
    }
    let parsed = match request::parse(message, Some(&plan.trigger), &plan.steps) {
        Ok(parsed) => parsed,
        Err(reason) => return Edit::Refused(reason),
    };
    match (parsed.trigger, parsed.steps.is_empty()) {
        (Some(found), false) => Edit::Replaced(Request {
            trigger: Some(found),
            steps: parsed.steps,
        }),
        (Some(found), true) => {
            let mut notes = vec![format!(
                "Now: {}.",
                trigger_label(&found.trigger).to_lowercase()
            )];
            plan.trigger = found.trigger;
            if !matches!(plan.trigger, Trigger::Webhook { .. }) {
                unbody(&mut plan.steps);
                let before = plan.steps.len();
                plan.steps
                    .retain(|s| !matches!(s, Step::RespondToWebhook { .. }));
                if plan.steps.len() < before {
                    notes.push(
                        "I removed the webhook answer: nothing calls this workflow any more."
                            .into(),
                    );
                }
            }
            Edit::Changed { plan, notes }
        }
        (None, false) => add(plan, message, parsed.steps),
        (None, true) => Edit::Refused(format!(
            "I didn't understand “{}” as a change. {}",
            first.text(),
            super::CAPABILITIES
        )),
    }
}

/// Items no longer come from a webhook: fields the plan read under `body` are at the top.
fn unbody(steps: &mut Vec<Step>) {
    fn walk(value: &mut Value) {
        match value {
            Value::String(text) => *text = text.replace("$json.body.", "$json."),
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::Object(map) => {
                let is_condition = map.contains_key("operator");
                for (key, item) in map.iter_mut() {
                    match item {
                        Value::String(field) if is_condition && key == "field" => {
                            if let Some(rest) = field.strip_prefix("body.") {
                                *field = rest.to_string();
                            }
                        }
                        item => walk(item),
                    }
                }
            }
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&*steps).expect("steps serialize");
    walk(&mut value);
    *steps = serde_json::from_value(value).expect("the same steps, edited");
}

/// Adds steps: before a final webhook answer; "instead" (or a second answer) replaces a step
/// of the same kind; a lone "only when" condition guards the steps that act.
fn add(mut plan: WorkflowPlan, message: &str, new: Vec<Step>) -> Edit {
    let instead = clauses(message).iter().any(|c| c.has("instead"));
    if let [Step::Filter { .. }] = new[..] {
        return guard(plan, message);
    }
    // A webhook is answered once: a new answer replaces the old one.
    let answers = |s: &Step| matches!(s, Step::RespondToWebhook { .. });
    let reanswer = new.iter().any(answers) && plan.steps.iter().any(answers);
    if instead || reanswer {
        if let [step] = &new[..] {
            if let Some(i) = plan
                .steps
                .iter()
                .position(|s| step_kind(s) == step_kind(step))
            {
                let note = format!(
                    "Replaced {} with {}.",
                    step_label(&plan.steps[i]),
                    step_label(step)
                );
                plan.steps[i] = step.clone();
                return Edit::Changed {
                    plan,
                    notes: vec![note],
                };
            }
        }
    }
    if reanswer {
        plan.steps.retain(|s| !answers(s));
    }
    let at = match plan.steps.last() {
        Some(Step::RespondToWebhook { .. })
            if !new
                .iter()
                .any(|s| matches!(s, Step::RespondToWebhook { .. })) =>
        {
            plan.steps.len() - 1
        }
        _ => plan.steps.len(),
    };
    let labels: Vec<String> = new.iter().map(step_label).collect();
    plan.steps.splice(at..at, new);
    Edit::Changed {
        plan,
        notes: vec![format!("Added {}.", labels.join(", "))],
    }
}

/// "only when …" on an existing plan: a Filter before the first step that acts; if the
/// webhook is answered after those steps, an IF instead, so the caller is still answered.
fn guard(mut plan: WorkflowPlan, message: &str) -> Edit {
    // Steps that send something out; a GET request fetches the items the condition reads.
    let acts = |s: &Step| match s {
        Step::HttpRequest { method, .. } => *method != HttpMethod::Get,
        _ => matches!(
            step_kind(s),
            NodeKind::Slack
                | NodeKind::Email
                | NodeKind::Discord
                | NodeKind::Telegram
                | NodeKind::PostgresInsert
        ),
    };
    let answer = plan
        .steps
        .iter()
        .rposition(|s| matches!(s, Step::RespondToWebhook { .. }));
    let at = plan
        .steps
        .iter()
        .position(acts)
        .or(answer)
        .unwrap_or(plan.steps.len());
    // Parsed again at its place, so its field is where the items have it there.
    let condition = match request::parse(message, Some(&plan.trigger), &plan.steps[..at]) {
        Ok(Request { steps, .. }) => match steps.into_iter().next() {
            Some(Step::Filter { condition }) => condition,
            _ => return Edit::Refused("I couldn't read that condition.".into()),
        },
        Err(reason) => return Edit::Refused(reason),
    };
    match answer.filter(|&end| end > at) {
        Some(end) => {
            let guarded: Vec<Step> = plan.steps.drain(at..end).collect();
            let step = Step::If {
                condition,
                then: guarded,
                otherwise: Vec::new(),
            };
            let note = format!(
                "{}: only matching items go on; the webhook is still answered.",
                step_label(&step)
            );
            plan.steps.insert(at, step);
            Edit::Changed {
                plan,
                notes: vec![note],
            }
        }
        None => {
            let step = Step::Filter { condition };
            let note = format!("Added {}.", step_label(&step));
            plan.steps.insert(at, step);
            Edit::Changed {
                plan,
                notes: vec![note],
            }
        }
    }
}

/// "rename it to X", "call it X", "name it 'X'", "change the title to X".
fn rename(plan: &mut WorkflowPlan, clause: &Clause) -> Option<String> {
    let starts = clause
        .tokens
        .first()?
        .is_any(&["rename", "call", "name", "title", "retitle"])
        || clause.find_phrase(&["change", "the", "title"]) == Some(0)
        || clause.find_phrase(&["change", "the", "name"]) == Some(0);
    if !starts
        || clause.has_any(&["https", "http"])
        || clause.tokens.iter().any(|t| t.raw.starts_with("http"))
    {
        return None;
    }
    let title = match clause.quoted() {
        Some(text) => text.to_string(),
        None => {
            let at = clause
                .find("to")
                .or_else(|| clause.find("it"))
                .or_else(|| clause.find("title"))?;
            clause.from(at + 1).text()
        }
    };
    let title = title.trim().to_string();
    if title.is_empty() {
        return None;
    }
    plan.title = title.clone();
    Some(format!("Renamed it to “{title}”."))
}

/// Nouns that name steps, for "remove the Slack step".
const NOUNS: &[(&[&str], NodeKind)] = &[
    (&["slack"], NodeKind::Slack),
    (&["email", "e-mail", "mail"], NodeKind::Email),
    (&["discord"], NodeKind::Discord),
    (&["telegram"], NodeKind::Telegram),
    (&["http", "request", "call", "url"], NodeKind::HttpRequest),
    (&["code", "javascript", "script"], NodeKind::Code),
    (&["wait", "pause", "delay"], NodeKind::Wait),
    (&["filter", "condition"], NodeKind::Filter),
    (&["if", "branch"], NodeKind::If),
    (&["fields", "field", "set", "keep"], NodeKind::SetFields),
    (
        &["answer", "response", "respond", "reply"],
        NodeKind::RespondToWebhook,
    ),
    (
        &["postgres", "database", "insert", "db"],
        NodeKind::PostgresInsert,
    ),
];

/// "remove the Slack step", "drop the email", "don't answer the webhook".
fn remove(plan: &mut WorkflowPlan, clause: &Clause) -> Option<String> {
    let verb = clause
        .tokens
        .first()?
        .is_any(&["remove", "delete", "drop", "skip", "don't", "dont", "stop"])
        || clause.reads_at(0, &["no", "more"])
        || clause.reads_at(0, &["get", "rid", "of"]);
    if !verb {
        return None;
    }
    let kind = NOUNS
        .iter()
        .find(|(words, _)| clause.has_any(words))
        .map(|(_, kind)| *kind)?;
    let mut removed = Vec::new();
    retain(&mut plan.steps, &mut |step| {
        let gone = step_kind(step) == kind;
        if gone {
            removed.push(step_label(step));
        }
        !gone
    });
    if removed.is_empty() {
        return Some(format!(
            "There is no {} step to remove.",
            spec(kind).default_name
        ));
    }
    Some(format!("Removed {}.", removed.join(", ")))
}

fn retain(steps: &mut Vec<Step>, keep: &mut impl FnMut(&Step) -> bool) {
    steps.retain(|step| keep(step));
    for step in steps.iter_mut() {
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            retain(then, keep);
            retain(otherwise, keep);
        }
    }
}

/// "change the message to 'X'", "say 'X' instead".
fn change_text(plan: &mut WorkflowPlan, clause: &Clause) -> Option<String> {
    let text = clause.quoted()?;
    let asks = clause.find_phrase(&["change", "the", "message"]).is_some()
        || clause.find_phrase(&["change", "the", "text"]).is_some()
        || (clause.tokens.first()?.is("say") && clause.has("instead"));
    if !asks {
        return None;
    }
    let kind = NOUNS[..4]
        .iter()
        .find(|(words, _)| clause.has_any(words))
        .map(|(_, k)| *k);
    let index = plan.steps.iter().rposition(|s| match kind {
        Some(kind) => step_kind(s) == kind,
        None => matches!(
            s,
            Step::Slack { .. } | Step::Discord { .. } | Step::Telegram { .. } | Step::Email { .. }
        ),
    })?;
    let context = super::fields::Context::start(Some(&plan.trigger)).after(&plan.steps[..index]);
    let value = context.expressions(text);
    let target = &mut plan.steps[index];
    match target {
        Step::Slack { text, .. }
        | Step::Discord { text, .. }
        | Step::Telegram { text, .. }
        | Step::Email { text, .. } => {
            *text = value;
        }
        _ => return None,
    }
    Some(format!("Changed the text of {}.", step_label(target)))
}

/// "use the credential X", "use Sales bot for Slack": names one of the user's credentials.
fn use_credential(
    plan: &mut WorkflowPlan,
    clause: &Clause,
    credentials: &Credentials,
) -> Option<String> {
    if !clause
        .tokens
        .first()?
        .is_any(&["use", "pick", "choose", "take"])
    {
        return None;
    }
    let named = credential(clause).map(|(name, _)| name);
    let text = clause.from(1).text();
    let (credential_type, name) = credentials.all().find_map(|(credential_type, names)| {
        let pick = match &named {
            Some(named) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(named))
                .cloned(),
            None => holes::pick_credential(&text, names),
        };
        pick.map(|name| (credential_type.to_string(), name))
    })?;
    let mut changed = 0;
    fn each(steps: &mut [Step], f: &mut impl FnMut(&mut Step)) {
        for step in steps {
            f(step);
            if let Step::If {
                then, otherwise, ..
            } = step
            {
                each(then, f);
                each(otherwise, f);
            }
        }
    }
    each(&mut plan.steps, &mut |step| {
        if step_credential(step).is_some_and(|(t, _)| t == credential_type) {
            holes::set_credential(step, &name);
            changed += 1;
        }
    });
    (changed > 0).then(|| format!("Using the credential “{name}”."))
}

/// "use GET", "change the path to /incoming".
fn webhook_change(plan: &mut WorkflowPlan, clause: &Clause) -> Option<String> {
    let Trigger::Webhook { method, path } = &mut plan.trigger else {
        return None;
    };
    let verb = clause.has_any(&[
        "use", "make", "change", "switch", "method", "listen", "move",
    ]);
    if !verb || clause.has_any(&["every", "daily", "hourly", "weekdays", "cron"]) {
        return None;
    }
    let new_path = clause
        .tokens
        .iter()
        .find(|t| t.literal.is_none() && t.raw.starts_with('/') && t.raw.len() > 1)
        .map(|t| t.raw.trim_matches('/').to_string());
    if let Some(new_path) = new_path {
        *path = new_path;
        return Some(format!("The webhook now listens on /webhook/{path}."));
    }
    // "post" is also a verb ("post to Slack"): a lower-case method only counts next to
    // "method", "webhook" or "requests".
    let about_method = clause.has_any(&["method", "webhook", "request", "requests"]);
    let new_method = clause.tokens.iter().find_map(|t| {
        let upper = t.raw.chars().all(|c| c.is_ascii_uppercase());
        let counts = t.literal.is_none() && (upper || about_method);
        counts.then(|| super::triggers::method(&t.word)).flatten()
    })?;
    *method = new_method;
    Some(format!(
        "The webhook now answers {} requests.",
        method.as_str()
    ))
}

/// "post to #ops instead", "change the channel to #ops".
fn channel_change(plan: &mut WorkflowPlan, clause: &Clause) -> Option<String> {
    if clause.quoted().is_some()
        || !clause.has_any(&["instead", "channel", "change", "switch", "move", "use"])
    {
        return None;
    }
    let new = clause
        .tokens
        .iter()
        .find(|t| t.literal.is_none() && t.raw.starts_with('#') && t.raw.len() > 1)
        .map(|t| channel(&t.raw))?;
    let slack = plan
        .steps
        .iter_mut()
        .rev()
        .find(|s| matches!(s, Step::Slack { .. }))?;
    if let Step::Slack { channel, .. } = slack {
        *channel = new.clone();
    }
    Some(format!("Slack messages now go to {new}."))
}
