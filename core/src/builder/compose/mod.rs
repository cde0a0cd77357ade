//! English → workflow plans, by deterministic rules (no model, no network).
//!
//! A [`Conversation`] holds the current plan, an undo history and at most one pending
//! question. Each message is, in turn: "undo"/"start over"; the answer to the pending question;
//! a follow-up on the current plan (see `edits`); or a new request (see `request`). The reply
//! is a [`ComposerReply`]: the plan with its summary, one question, or an honest "can't".
//!
//! Decisions the composer makes for the user (each visible in the summary):
//! - a webhook answers POST unless a method is named (callers send data);
//! - "daily"/"on weekdays" without a time run at 09:00;
//! - an email without a subject takes the workflow's title, without a text the first message
//!   another step sends (else the item as JSON);
//! - a credential is chosen when the user has exactly one of its type; with several it asks;
//!   with none the plan is shown with the credential marked as still needed;
//! - Respond to Webhook steps are dropped when the trigger stops being a webhook.

mod conditions;
mod edits;
mod fields;
mod holes;
mod request;
mod schedule;
mod steps;
mod text;
mod triggers;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalogue::{credential_noun, step_credential};
use super::plan::{Step, Trigger, WorkflowPlan};
use super::summary::{for_each_step, schedule_label, summary};
use super::validate::{self, PlanProblem};
use edits::Edit;
use holes::{Draft, Hole};
use request::Request;

/// What the composer can build, for replies that say what it cannot.
pub const CAPABILITIES: &str = "I can build workflows started by a webhook, a schedule (every \
    N minutes or hours, daily or on weekdays at a time, or a cron expression), by hand, or when \
    another workflow fails; that call URLs, post to Slack, Discord or Telegram, send email, \
    keep or set fields, branch with if/otherwise, filter items, run JavaScript, wait, answer \
    the webhook, and insert rows into Postgres.";

/// The composer's answer to one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComposerReply {
    /// A complete plan, and what it does in words (notes about the last change first).
    Plan {
        /// The plan.
        plan: WorkflowPlan,
        /// Notes and the summary.
        summary: String,
    },
    /// One clear question about a value the plan needs.
    Question(String),
    /// What was asked cannot be built; says why and what can.
    Unsupported(String),
}

/// The user's credentials in n8n: names by credential type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials(BTreeMap<String, Vec<String>>);

impl Credentials {
    /// None.
    pub fn new() -> Self {
        Self::default()
    }

    /// With one more credential.
    pub fn with(mut self, credential_type: &str, name: &str) -> Self {
        self.add(credential_type, name);
        self
    }

    /// Adds a credential.
    pub fn add(&mut self, credential_type: &str, name: &str) {
        let names = self.0.entry(credential_type.to_string()).or_default();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }

    /// The names of the user's credentials of a type.
    pub fn names(&self, credential_type: &str) -> &[String] {
        self.0.get(credential_type).map_or(&[], Vec::as_slice)
    }

    /// Every type with its names.
    pub fn all(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0
            .iter()
            .map(|(t, names)| (t.as_str(), names.as_slice()))
    }
}

/// A question waiting for its answer, with the draft it completes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    draft: Draft,
    hole: Hole,
    question: String,
    notes: Vec<String>,
}

/// One chat about one workflow. Serializable, so the chat can keep it between messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    plan: Option<WorkflowPlan>,
    history: Vec<Option<WorkflowPlan>>,
    pending: Option<Pending>,
}

/// Composes a plan from one message, as a fresh conversation would.
pub fn compose(message: &str, credentials: &Credentials) -> ComposerReply {
    Conversation::new().reply(message, credentials)
}

impl Conversation {
    /// An empty conversation.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current plan, if one is complete.
    pub fn plan(&self) -> Option<&WorkflowPlan> {
        self.plan.as_ref()
    }

    /// The question waiting for an answer, if any.
    pub fn question(&self) -> Option<&str> {
        self.pending.as_ref().map(|p| p.question.as_str())
    }

    /// Handles one message from the user.
    pub fn reply(&mut self, message: &str, credentials: &Credentials) -> ComposerReply {
        let text = message.trim();
        let words: String = text
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace())
            .collect();
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return ComposerReply::Question(
                self.question()
                    .unwrap_or("What should the workflow do?")
                    .to_string(),
            );
        }
        if matches!(
            words.as_str(),
            "undo" | "undo that" | "go back" | "revert" | "undo it"
        ) {
            return self.undo();
        }
        if matches!(
            words.as_str(),
            "start over" | "reset" | "new workflow" | "start again"
        ) {
            self.pending = None;
            self.history.push(self.plan.take());
            return ComposerReply::Question(
                "Starting over: what should the new workflow do?".into(),
            );
        }
        if let Some(pending) = self.pending.take() {
            let mut draft = pending.draft.clone();
            if holes::answer(&mut draft, &pending.hole, text, credentials) {
                return self.settle(draft, pending.notes, credentials);
            }
            match self.fresh(text, credentials) {
                ComposerReply::Unsupported(_) => {
                    let question = format!("Sorry, I didn't get that. {}", pending.question);
                    self.pending = Some(pending);
                    return ComposerReply::Question(question);
                }
                reply => return reply,
            }
        }
        self.fresh(text, credentials)
    }

    /// Picks up credentials the user added since: a plan waiting for one of a type they now
    /// have exactly one of uses it. `None` when nothing changed.
    pub fn credentials_changed(&mut self, credentials: &Credentials) -> Option<ComposerReply> {
        let plan = self.plan.as_ref()?;
        let mut filled = plan.clone();
        holes::autofill_credentials(&mut filled.steps, credentials);
        let draft = Draft {
            trigger_missing: false,
            plan: filled,
        };
        let asks = holes::next(&draft, credentials).is_some();
        (draft.plan != *plan || asks).then(|| self.settle(draft, Vec::new(), credentials))
    }

    /// Makes `plan`, composed elsewhere (the app's optional language model), the current plan:
    /// any pending question is dropped, and "undo" goes back to the plan before it, as after
    /// any other change. The plan is not checked here; deploying validates it.
    pub fn adopt(&mut self, plan: WorkflowPlan) {
        self.pending = None;
        self.history.push(self.plan.replace(plan));
    }

    fn undo(&mut self) -> ComposerReply {
        if self.pending.take().is_some() {
            return match &self.plan {
                Some(plan) => reply_plan(plan, &["Dropped that change.".into()]),
                None => {
                    ComposerReply::Question("Dropped that. What should the workflow do?".into())
                }
            };
        }
        match self.history.pop() {
            None => ComposerReply::Unsupported("There is nothing to undo.".into()),
            Some(previous) => {
                self.plan = previous;
                match &self.plan {
                    Some(plan) => reply_plan(plan, &["Undone.".into()]),
                    None => ComposerReply::Question(
                        "Undone: there is no workflow yet. What should it do?".into(),
                    ),
                }
            }
        }
    }

    /// A follow-up on the current plan, else a new request.
    fn fresh(&mut self, text: &str, credentials: &Credentials) -> ComposerReply {
        if let Some(plan) = &self.plan {
            match edits::apply(plan, text, credentials) {
                Edit::Changed {
                    plan: mut changed,
                    notes,
                } => {
                    // An automatic title follows the plan; one the user gave stays.
                    if changed.title == plan.title && plan.title == title_for(plan) {
                        changed.title = title_for(&changed);
                    }
                    let draft = Draft {
                        plan: changed,
                        trigger_missing: false,
                    };
                    return self.settle(draft, notes, credentials);
                }
                Edit::Replaced(request) => {
                    let mut notes = vec!["That is a new workflow; say “undo” to go back.".into()];
                    let (draft, more) = new_draft(request);
                    notes.extend(more);
                    return self.settle(draft, notes, credentials);
                }
                Edit::Refused(reason) => return ComposerReply::Unsupported(reason),
            }
        }
        match request::parse(text, None, &[]) {
            Err(reason) => ComposerReply::Unsupported(reason),
            Ok(request) if request.trigger.is_none() && request.steps.is_empty() => {
                ComposerReply::Unsupported(format!(
                    "I didn't find a workflow in that. {CAPABILITIES}"
                ))
            }
            Ok(request) => {
                let (draft, notes) = new_draft(request);
                self.settle(draft, notes, credentials)
            }
        }
    }

    /// Completes what can be completed, then asks the next question or shows the plan.
    fn settle(
        &mut self,
        mut draft: Draft,
        mut notes: Vec<String>,
        credentials: &Credentials,
    ) -> ComposerReply {
        let plan = &mut draft.plan;
        // Said now, with a question if one follows (notes carried from earlier wait for the plan).
        let mut news = Vec::new();
        if !draft.trigger_missing && !matches!(plan.trigger, Trigger::Webhook { .. }) {
            let before = plan.steps.len();
            plan.steps
                .retain(|s| !matches!(s, Step::RespondToWebhook { .. }));
            if plan.steps.len() < before {
                news.push("Only a workflow started by a webhook can answer a call, so I left the answer out.".to_string());
            }
        }
        if plan.title.trim().is_empty() && !draft.trigger_missing {
            plan.title = title_for(plan);
        }
        fill_email_defaults(plan);
        holes::autofill_credentials(&mut plan.steps, credentials);
        if let Some(hole) = holes::next(&draft, credentials) {
            let question = holes::question(&draft, &hole, credentials);
            let said = news
                .iter()
                .chain([&question])
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            self.pending = Some(Pending {
                draft,
                hole,
                question,
                notes,
            });
            return ComposerReply::Question(said);
        }
        notes.extend(news);
        let plan = draft.plan;
        for credential_type in missing_types(&plan, credentials) {
            notes.push(format!(
                "You have no {noun} credential in n8n yet: add one below, then say “use <its name>”.",
                noun = credential_noun(&credential_type)
            ));
        }
        // The rules cannot promise every value they copied is valid (a mistyped address, a
        // URL without a host): say so now rather than when deploying.
        for problem in validate::problems(&plan) {
            if !matches!(problem, PlanProblem::NoCredential { .. }) {
                notes.push(format!("To fix before deploying: {problem}"));
            }
        }
        let reply = reply_plan(&plan, &notes);
        self.history.push(self.plan.replace(plan));
        reply
    }
}

fn reply_plan(plan: &WorkflowPlan, notes: &[String]) -> ComposerReply {
    let mut text = notes.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&summary(plan));
    ComposerReply::Plan {
        plan: plan.clone(),
        summary: text,
    }
}

/// A draft from a parsed request, and the notes about its defaults.
fn new_draft(request: Request) -> (Draft, Vec<String>) {
    let mut notes = Vec::new();
    let trigger_missing = request.trigger.is_none();
    let trigger = match request.trigger {
        Some(found) => {
            if found.method_defaulted {
                notes.push("The webhook takes POST requests, the usual way to send data; say “use GET” to change that.".into());
            }
            found.trigger
        }
        None => Trigger::Manual,
    };
    let plan = WorkflowPlan {
        title: String::new(),
        trigger,
        steps: request.steps,
    };
    (
        Draft {
            plan,
            trigger_missing,
        },
        notes,
    )
}

/// Credential types the plan still needs and the user has none of.
fn missing_types(plan: &WorkflowPlan, credentials: &Credentials) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for_each_step(&plan.steps, &mut |step| {
        if let Some((credential_type, None)) = step_credential(step) {
            if credentials.names(credential_type).is_empty()
                && !out.iter().any(|t| t == credential_type)
            {
                out.push(credential_type.to_string());
            }
        }
    });
    out
}

/// Empty email subjects take the title; empty texts the first message another step sends.
fn fill_email_defaults(plan: &mut WorkflowPlan) {
    let mut message = None;
    for_each_step(&plan.steps, &mut |step| {
        if let Step::Slack { text, .. } | Step::Discord { text, .. } | Step::Telegram { text, .. } =
            step
        {
            if message.is_none() && !text.trim().is_empty() {
                message = Some(text.clone());
            }
        }
    });
    let title = plan.title.clone();
    let text = message.unwrap_or_else(|| "{{ JSON.stringify($json, null, 2) }}".to_string());
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
        if let Step::Email {
            subject,
            text: body,
            ..
        } = step
        {
            if subject.trim().is_empty() {
                subject.clone_from(&title);
            }
            if body.trim().is_empty() {
                body.clone_from(&text);
            }
        }
    });
}

/// A title from the plan: its trigger, then where it sends things ("POST webhook /orders →
/// Slack #sales").
pub fn title_for(plan: &WorkflowPlan) -> String {
    let start = match &plan.trigger {
        Trigger::Webhook { path, .. } => format!("Webhook /{path}"),
        Trigger::Schedule { schedule } => schedule_label(schedule),
        Trigger::Manual => "Manual".to_string(),
        Trigger::WorkflowError => "Workflow errors".to_string(),
    };
    let mut targets: Vec<String> = Vec::new();
    for_each_step(&plan.steps, &mut |step| {
        let target = match step {
            Step::Slack { channel, .. } => Some(format!("Slack {channel}")),
            Step::Email { to, .. } => Some(format!("Email {to}")),
            Step::Discord { .. } => Some("Discord".to_string()),
            Step::Telegram { .. } => Some("Telegram".to_string()),
            Step::HttpRequest { url, .. } => Some(format!("HTTP {}", host(url))),
            Step::PostgresInsert { table, .. } => Some(format!("Postgres {table}")),
            _ => None,
        };
        if let Some(target) = target.filter(|t| !targets.contains(t)) {
            targets.push(target);
        }
    });
    let title = if targets.is_empty() {
        start
    } else {
        format!("{start} → {}", targets.join(", "))
    };
    title
        .chars()
        .take(crate::builder::validate::MAX_TITLE_CHARS)
        .collect()
}

fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}
