//! Alerts: a user's rules, the condition each one watches, and the decision after each sync
//! to open an alert, keep it, or resolve it, so that people hear once when something breaks
//! and once when it recovers, never on every sync in between.
//!
//! The edge function, per enabled rule and per subject in its scope, builds the current
//! [`Condition`] (from [`super::health::Health`], the latest finished execution or the sync's
//! reachability), reads the open alert for `(rule, subject)` if any, and calls [`decide`].
//! `Open` inserts an `alerts` row and one `alert_deliveries` row per channel (event `opened`),
//! `Resolve` marks it resolved and queues `resolved` deliveries, `StillOpen` at most refreshes
//! its message. Deliveries are built by [`payload`] and retried per [`DeliveryBackoff`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::redact::clip;

mod backoff;
mod conditions;
pub mod payload;

pub use backoff::{DeliveryBackoff, DeliveryRetry};
pub use conditions::{
    failure_condition, failure_rate_condition, rate_resolve_below, unreachable_condition,
    LatestRun, Reachability, RATE_HYSTERESIS_POINTS, UNREACHABLE_AFTER,
};

/// Longest alert message kept, in characters (the `alerts.message` column allows 2000).
pub const MESSAGE_MAX_CHARS: usize = 2000;

/// What a rule watches (`alert_rules.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A workflow's latest run failed.
    Failure,
    /// A workflow's failure rate over the last 24 hours is above the rule's threshold (or,
    /// without one, far above its own normal).
    FailureRate,
    /// A scheduled workflow stopped running.
    MissedRuns,
    /// Executions are stuck.
    Stuck,
    /// An n8n instance cannot be reached.
    Unreachable,
}

/// Which subjects a rule covers (`alert_rules.provider_id` / `workflow_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "id")]
pub enum Scope {
    /// Everything of the user's.
    All,
    /// One n8n instance and its workflows.
    Instance(Uuid),
    /// One workflow.
    Workflow(Uuid),
}

impl Scope {
    /// The scope of a rule row: a workflow when one is named, else an instance when one is,
    /// else everything.
    pub fn from_columns(provider_id: Option<Uuid>, workflow_id: Option<Uuid>) -> Self {
        match (workflow_id, provider_id) {
            (Some(workflow), _) => Self::Workflow(workflow),
            (None, Some(provider)) => Self::Instance(provider),
            (None, None) => Self::All,
        }
    }

    /// Whether `subject` lies within the scope: an instance scope covers the instance and its
    /// workflows, a workflow scope only that workflow.
    pub fn applies_to(&self, subject: &Subject) -> bool {
        match (*self, *subject) {
            (Self::All, _) => true,
            (Self::Instance(scope), Subject::Workflow { provider_id, .. }) => scope == provider_id,
            (Self::Instance(scope), Subject::Instance { id }) => scope == id,
            (Self::Workflow(scope), Subject::Workflow { id, .. }) => scope == id,
            (Self::Workflow(_), Subject::Instance { .. }) => false,
        }
    }
}

/// One of a user's alert rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// `alert_rules.id`.
    pub id: Uuid,
    /// The user's name for it.
    pub name: String,
    /// What it watches.
    pub kind: AlertKind,
    /// What it covers.
    pub scope: Scope,
    /// For [`AlertKind::FailureRate`]: the failed share (0–100) of the last 24 hours' runs
    /// that opens an alert; `None` uses the health check's anomaly instead.
    pub threshold_percent: Option<f64>,
    /// The channels it notifies (`alert_rule_channels`).
    pub channels: Vec<Uuid>,
    /// When it was created: failures before it are not news to it.
    pub created_at: DateTime<Utc>,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Subject {
    /// A workflow (`mvp_workflows.id`) on an instance.
    Workflow {
        /// The workflow.
        id: Uuid,
        /// Its instance.
        provider_id: Uuid,
    },
    /// An n8n instance (`providers.id`).
    Instance {
        /// The instance.
        id: Uuid,
    },
}

impl Subject {
    /// The `alerts.subject` key: `workflow:<uuid>` or `provider:<uuid>`.
    pub fn key(&self) -> String {
        match self {
            Self::Workflow { id, .. } => format!("workflow:{id}"),
            Self::Instance { id } => format!("provider:{id}"),
        }
    }
}

impl AlertRule {
    /// Whether the rule watches `subject`: instance rules watch instances, the others
    /// workflows, within the rule's scope.
    pub fn applies_to(&self, subject: &Subject) -> bool {
        let right_kind = match self.kind {
            AlertKind::Unreachable => matches!(subject, Subject::Instance { .. }),
            _ => matches!(subject, Subject::Workflow { .. }),
        };
        right_kind && self.scope.applies_to(subject)
    }
}

/// A node named in an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRef {
    /// Its name in the workflow.
    pub name: String,
    /// Its type, e.g. `n8n-nodes-base.httpRequest`.
    #[serde(rename = "type")]
    pub node_type: Option<String>,
}

/// What FlowPulse says about a condition that holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Why, in FlowPulse's words (stored as `alerts.message`; [`decide`] cuts it to
    /// [`MESSAGE_MAX_CHARS`]).
    pub message: String,
    /// When it began, if known.
    pub since: Option<DateTime<Utc>>,
    /// The node involved, if any.
    pub node: Option<NodeRef>,
    /// The numbers behind it (`alerts.details`).
    pub details: Value,
}

/// A rule's condition for one subject now.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// It holds.
    Holds(Observation),
    /// It does not.
    Clear,
    /// FlowPulse cannot tell (no data, or between an alert's open and resolve thresholds):
    /// whatever is open stays open, nothing new opens.
    Unknown,
}

/// The state of the existing alert for `(rule, subject)` (`alerts.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Open: its subject still has the problem as far as FlowPulse last knew.
    Open,
    /// Resolved; a new episode opens a new alert.
    Resolved,
}

/// What to do with the alert for `(rule, subject)`.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertDecision {
    /// Open a new alert and notify the rule's channels.
    Open(Observation),
    /// The open alert stays open; refresh its message and details when given. No notification.
    StillOpen(Option<Observation>),
    /// Resolve the open alert and notify the rule's channels.
    Resolve,
    /// Nothing to do: no alert is open and none is needed, or the rule does not watch the
    /// subject.
    Nothing,
}

/// The state machine: opened once when the condition starts, resolved once when it clears.
/// A resolved alert is history: the next time the condition holds opens a new one.
///
/// A rule that does not watch `subject` decides nothing, not even for an alert still open for
/// it: resolving would tell people a problem is over that nobody checked.
pub fn decide(
    rule: &AlertRule,
    subject: &Subject,
    existing: Option<AlertState>,
    condition: Condition,
) -> AlertDecision {
    if !rule.applies_to(subject) {
        return AlertDecision::Nothing;
    }
    let open = existing == Some(AlertState::Open);
    // Cut here, where every observation passes on its way to the column, whatever built it.
    let fit = |observation: Observation| Observation {
        message: clip(&observation.message, MESSAGE_MAX_CHARS),
        ..observation
    };
    match (open, condition) {
        (false, Condition::Holds(observation)) => AlertDecision::Open(fit(observation)),
        (true, Condition::Holds(observation)) => AlertDecision::StillOpen(Some(fit(observation))),
        (true, Condition::Clear) => AlertDecision::Resolve,
        (true, Condition::Unknown) => AlertDecision::StillOpen(None),
        (false, Condition::Clear | Condition::Unknown) => AlertDecision::Nothing,
    }
}

#[cfg(test)]
mod tests;
