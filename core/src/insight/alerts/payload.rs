//! What is sent to each kind of channel when an alert opens or resolves.
//!
//! Every payload says which workflow (and instance), which node and why, with a link into
//! FlowPulse. Text that came from n8n or a service (messages, node names) is escaped for the
//! channel and cut to its limits, and can never mention `@everyone` or `<!channel>`. The
//! message and details pass through [`redact`] once more on the way out.
//!
//! The generic webhook receives this JSON body (`version` changes only with breaking changes):
//!
//! ```json
//! {
//!   "version": 1,
//!   "event": "opened",                       // "opened" | "resolved" | "test"
//!   "title": "Failed: Order sync",
//!   "message": "Execution #812 failed at node “Fetch orders”: Authorization failed …",
//!   "alert": {"id": "…uuid…", "kind": "failure", "subject": "workflow:…uuid…",
//!             "opened_at": "2026-12-01T09:00:00Z", "resolved_at": null,
//!             "rule": {"id": "…uuid…", "name": "Production failures"}},
//!   "workflow": {"id": "…uuid…", "n8n_id": "OVO5xzEnnLFOmHt6", "name": "Order sync"},
//!   "instance": {"id": "…uuid…", "name": "Production"},
//!   "node": {"name": "Fetch orders", "type": "n8n-nodes-base.httpRequest"},
//!   "details": {"n8n_execution_id": 812, "...": "..."},
//!   "link": "https://flowpulse.example.com/executions?workflow=…uuid…"
//! }
//! ```
//!
//! `workflow`, `instance`, `node`, `alert.id` and `alert.rule.id` are `null` when they do not
//! apply (an instance alert, a test).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;
use uuid::Uuid;

use super::{AlertKind, NodeRef, Subject};
use crate::insight::redact::{clip, redact};
use crate::insight::words::moment_words;

/// Where an alert can go (`alert_channels.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Any URL, receiving the documented JSON body.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook.
    Discord,
    /// An email address.
    Email,
}

impl ChannelKind {
    /// Every kind.
    pub const ALL: [ChannelKind; 4] = [Self::Webhook, Self::Slack, Self::Discord, Self::Email];

    /// `alert_channels.kind` as stored, which the target's encryption is bound to.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Email => "email",
        }
    }

    /// Reads [`Self::as_str`] (surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim())
    }
}

/// Why a delivery is sent (`alert_deliveries.event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryEvent {
    /// The alert opened.
    Opened,
    /// It resolved.
    Resolved,
    /// The user asked for a test of the channel.
    Test,
}

/// Everything a notification says, filled from the alert, its rule and the subject's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertNotice {
    /// Why it is sent.
    pub event: DeliveryEvent,
    /// `alerts.id` (none for a test).
    pub alert_id: Option<Uuid>,
    /// The rule's id (none for a test).
    pub rule_id: Option<Uuid>,
    /// The rule's name.
    pub rule_name: String,
    /// What the rule watches.
    pub kind: AlertKind,
    /// What the alert is about.
    pub subject: Subject,
    /// The workflow's name, for workflow alerts.
    pub workflow_name: Option<String>,
    /// n8n's id of the workflow.
    pub n8n_workflow_id: Option<String>,
    /// The instance's name.
    pub instance_name: Option<String>,
    /// The node involved, if any.
    pub node: Option<NodeRef>,
    /// Why (`alerts.message`).
    pub message: String,
    /// The numbers behind it (`alerts.details`).
    pub details: Value,
    /// When the alert opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A delivery's body: JSON to POST, or an email.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryPayload {
    /// POSTed as `application/json` (webhook, Slack, Discord).
    Json(Value),
    /// Sent as a plain-text email.
    Email {
        /// One line.
        subject: String,
        /// The body.
        text: String,
    },
}

impl DeliveryPayload {
    /// The payload as `alert_deliveries.payload` stores it; an email is `{subject, text}`.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Json(body) => body.clone(),
            Self::Email { subject, text } => json!({"subject": subject, "text": text}),
        }
    }
}

/// The page of FlowPulse an alert links to: the workflow's executions (its failures, with
/// their details and Retry, and its durations), or the instances page, under `app_base` (with
/// or without its trailing slash).
pub fn alert_link(app_base: &Url, subject: &Subject) -> String {
    let path = match subject {
        Subject::Workflow { id, .. } => format!("executions?workflow={id}"),
        Subject::Instance { .. } => "providers".to_string(),
    };
    // `join` replaces the last segment of a base without a trailing slash: the app served
    // under `https://host/app` would link to `https://host/executions…`.
    let mut base = app_base.clone();
    if !base.path().ends_with('/') {
        let directory = format!("{}/", base.path());
        base.set_path(&directory);
    }
    base.join(&path)
        .map_or_else(|_| app_base.to_string(), String::from)
}

/// The payload for a channel of `kind`.
pub fn delivery_payload(
    kind: ChannelKind,
    notice: &AlertNotice,
    app_base: &Url,
) -> DeliveryPayload {
    // The message and details quote n8n and the services it called. They were redacted when
    // the alert was built, but this is the last point before they leave for a third party,
    // and a stored row may have been written by older code.
    let notice = &AlertNotice {
        message: redact(&notice.message),
        details: redacted_strings(&notice.details),
        ..notice.clone()
    };
    let link = alert_link(app_base, &notice.subject);
    match kind {
        ChannelKind::Webhook => DeliveryPayload::Json(webhook(notice, &link)),
        ChannelKind::Slack => DeliveryPayload::Json(slack(notice, &link)),
        ChannelKind::Discord => DeliveryPayload::Json(discord(notice, &link)),
        ChannelKind::Email => DeliveryPayload::Email {
            subject: clip(&format!("[FlowPulse] {}", title(notice)), 200)
                .replace(['\r', '\n'], " "),
            text: lines(notice, &link).join("\n"),
        },
    }
}

/// `value` with every string in it redacted.
fn redacted_strings(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(redact(text)),
        Value::Array(items) => items.iter().map(redacted_strings).collect(),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| (name.clone(), redacted_strings(field)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What the subject is called: the workflow's name, else the instance's, else its key (a
/// blank name says nothing, so it does not count).
fn label(notice: &AlertNotice) -> String {
    [&notice.workflow_name, &notice.instance_name]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| notice.subject.key())
}

/// `Failed: Order sync`, `Resolved — missed runs: Nightly export`, `Test alert from FlowPulse`.
fn title(notice: &AlertNotice) -> String {
    let what = match notice.kind {
        AlertKind::Failure => "Failed",
        AlertKind::FailureRate => "Failing often",
        AlertKind::MissedRuns => "Missed runs",
        AlertKind::Stuck => "Stuck executions",
        AlertKind::Unreachable => "Unreachable",
    };
    match notice.event {
        DeliveryEvent::Opened => format!("{what}: {}", label(notice)),
        DeliveryEvent::Resolved => format!("Resolved — {}: {}", what.to_lowercase(), label(notice)),
        DeliveryEvent::Test => "Test alert from FlowPulse".to_string(),
    }
}

/// The facts as `(name, value)` pairs: workflow, instance, node, why, since, rule. Blank ones
/// are left out: Discord refuses a whole message over one empty field.
fn facts(notice: &AlertNotice) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(workflow) = &notice.workflow_name {
        facts.push(("Workflow", workflow.clone()));
    }
    if let Some(instance) = &notice.instance_name {
        facts.push(("Instance", instance.clone()));
    }
    if let Some(node) = &notice.node {
        let node_type = node
            .node_type
            .as_deref()
            .map_or(String::new(), |t| format!(" ({t})"));
        facts.push(("Node", format!("{}{node_type}", node.name)));
    }
    facts.push(("Why", notice.message.clone()));
    let when = match (notice.event, notice.resolved_at) {
        (DeliveryEvent::Resolved, Some(resolved)) => format!(
            "{} – {}",
            moment_words(notice.opened_at),
            moment_words(resolved)
        ),
        _ => moment_words(notice.opened_at),
    };
    facts.push(("Since", when));
    facts.push(("Rule", notice.rule_name.clone()));
    facts.retain(|(_, value)| !value.trim().is_empty());
    facts
}

/// The plain-text body: title, facts, link.
fn lines(notice: &AlertNotice, link: &str) -> Vec<String> {
    let mut lines = vec![title(notice), String::new()];
    lines.extend(
        facts(notice)
            .into_iter()
            .map(|(name, value)| format!("{name}: {value}")),
    );
    lines.push(String::new());
    lines.push(format!("Open in FlowPulse: {link}"));
    lines
}

fn webhook(notice: &AlertNotice, link: &str) -> Value {
    let workflow = match notice.subject {
        Subject::Workflow { id, .. } => json!({
            "id": id, "n8n_id": notice.n8n_workflow_id, "name": notice.workflow_name,
        }),
        Subject::Instance { .. } => Value::Null,
    };
    let instance_id = match notice.subject {
        Subject::Workflow { provider_id, .. } => provider_id,
        Subject::Instance { id } => id,
    };
    json!({
        "version": 1,
        "event": notice.event,
        "title": title(notice),
        "message": notice.message,
        "alert": {
            "id": notice.alert_id,
            "kind": notice.kind,
            "subject": notice.subject.key(),
            "opened_at": notice.opened_at,
            "resolved_at": notice.resolved_at,
            "rule": {"id": notice.rule_id, "name": notice.rule_name},
        },
        "workflow": workflow,
        "instance": {"id": instance_id, "name": notice.instance_name},
        "node": notice.node,
        "details": notice.details,
        "link": link,
    })
}

/// Slack's mrkdwn: `&`, `<` and `>` are the only characters with meaning (links, mentions).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// [`clip`] for escaped mrkdwn: a cut through an entity would show its pieces (`&am…`), so a
/// partial one goes with the cut. Every whole entity ends in `;`, so an `&` with none after
/// it can only be a cut one.
fn slack_clip(escaped: &str, max: usize) -> String {
    let cut = clip(escaped, max);
    let Some(kept) = cut.strip_suffix('…') else {
        return cut;
    };
    match kept.rfind('&') {
        Some(amp) if !kept[amp..].contains(';') => format!("{}…", &kept[..amp]),
        _ => cut,
    }
}

fn slack(notice: &AlertNotice, link: &str) -> Value {
    let title = slack_escape(&title(notice));
    let facts: Vec<String> = facts(notice)
        .into_iter()
        .map(|(name, value)| format!("*{name}:* {}", slack_escape(&value)))
        .collect();
    // A section's text holds at most 3000 characters.
    let body = slack_clip(&format!("*{title}*\n{}", facts.join("\n")), 3000);
    json!({
        "text": slack_clip(&format!("{title}: {}", slack_escape(&notice.message)), 3000),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": format!("<{link}|Open in FlowPulse>")}
            ]},
        ],
    })
}

/// Discord's limits: a message's content, an embed's title, description, field value, and all
/// of an embed's text together (title, description, field names and values); over any of
/// them, Discord refuses the message.
const DISCORD_CONTENT_MAX: usize = 2000;
const DISCORD_TITLE_MAX: usize = 256;
const DISCORD_DESCRIPTION_MAX: usize = 4096;
const DISCORD_FIELD_MAX: usize = 1024;
const DISCORD_EMBED_MAX: usize = 6000;

fn discord(notice: &AlertNotice, link: &str) -> Value {
    let color = match notice.event {
        DeliveryEvent::Opened => 0xD9_3F_0B,
        DeliveryEvent::Resolved => 0x2D_A4_4E,
        DeliveryEvent::Test => 0x6E_77_81,
    };
    let title = clip(&title(notice), DISCORD_TITLE_MAX);
    let fields: Vec<(&str, String)> = facts(notice)
        .into_iter()
        .filter(|(name, _)| *name != "Why")
        .map(|(name, value)| (name, clip(&value, DISCORD_FIELD_MAX)))
        .collect();
    // The message gets what the title and fields leave of the embed's total.
    let used = title.chars().count()
        + fields
            .iter()
            .map(|(name, value)| name.chars().count() + value.chars().count())
            .sum::<usize>();
    let description_max = DISCORD_DESCRIPTION_MAX.min(DISCORD_EMBED_MAX.saturating_sub(used));
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|(name, value)| json!({"name": name, "value": value, "inline": true}))
        .collect();
    json!({
        "content": clip(&title, DISCORD_CONTENT_MAX),
        "embeds": [{
            "title": title,
            "description": clip(&notice.message, description_max),
            "url": link,
            "color": color,
            "fields": fields,
            "timestamp": notice.resolved_at.unwrap_or(notice.opened_at),
        }],
        // Nothing in an alert may ping anyone, whatever a message contains.
        "allowed_mentions": {"parse": []},
    })
}

#[cfg(test)]
mod tests;
