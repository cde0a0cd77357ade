//! What the failures, execution-detail, health and alerts pages show. Display data only: an
//! alert channel's target never appears here, only its hint.

use chrono::{DateTime, Utc};
use flowpulse_core::n8n::ExecutionStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ProviderOption, WorkflowOption};

/// Failures of one workflow at one node, since the page's range began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureGroupView {
    /// Workflow name, or n8n's id when FlowPulse does not know the workflow.
    pub workflow: String,
    /// Instance name.
    pub provider: String,
    /// The failing node's name, when n8n named one.
    pub node: Option<String>,
    /// Its type, e.g. `n8n-nodes-base.httpRequest`.
    pub node_type: Option<String>,
    /// Failed executions in the range.
    pub failures: i64,
    /// The first of them.
    pub first_seen: Option<DateTime<Utc>>,
    /// The latest of them.
    pub last_seen: Option<DateTime<Utc>>,
    /// Failures in the last 24 hours.
    pub last_day: i64,
    /// Failures in the 24 hours before those.
    pub day_before: i64,
    /// The latest error message recorded.
    pub last_message: Option<String>,
    /// `executions.id` of the latest failure, for its detail page.
    pub latest_execution_id: Option<i64>,
}

/// The failures page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailuresPage {
    /// The instance filter's options.
    pub providers: Vec<ProviderOption>,
    /// Most failures first.
    pub groups: Vec<FailureGroupView>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// Another execution in a retry chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    /// n8n's id of it.
    pub n8n_execution_id: i64,
    /// `executions.id`, when FlowPulse has stored it.
    pub id: Option<i64>,
    /// Its status, when stored.
    pub status: Option<ExecutionStatus>,
}

/// Everything the execution detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionDetail {
    /// `executions.id`.
    pub id: i64,
    /// n8n's id (per instance).
    pub n8n_execution_id: i64,
    /// Workflow name, or n8n's id when FlowPulse does not know the workflow.
    pub workflow: String,
    /// `mvp_workflows.id`, when known.
    pub workflow_id: Option<Uuid>,
    /// Instance name.
    pub provider: String,
    /// Status.
    pub status: ExecutionStatus,
    /// How it was started.
    pub mode: String,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Stop.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Length.
    pub duration_ms: Option<i64>,
    /// The error, redacted when it was stored.
    pub error_message: Option<String>,
    /// n8n's longer description of it.
    pub error_description: Option<String>,
    /// The node that failed.
    pub error_node: Option<String>,
    /// Its type.
    pub error_node_type: Option<String>,
    /// The execution this one retried.
    pub retry_of: Option<ChainLink>,
    /// The successful retry of this one.
    pub retry_success: Option<ChainLink>,
    /// Every stored retry of this one, newest first.
    pub retries: Vec<ChainLink>,
    /// The execution in n8n's editor.
    pub n8n_link: Option<String>,
    /// Failed, so "Retry" is offered.
    pub retryable: bool,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// What "Retry" did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryOutcome {
    /// n8n's id of the new execution.
    pub n8n_execution_id: i64,
    /// `executions.id` of it, once stored.
    pub id: Option<i64>,
    /// Its status when n8n answered.
    pub status: ExecutionStatus,
}

/// A workflow's latest health verdict, as its table cell shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthBadgeView {
    /// `ok`, `warning`, `critical` or `unknown`.
    pub status: String,
    /// The first finding's message, for the tooltip.
    pub first_message: Option<String>,
}

/// One finding of the health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingView {
    /// `missed_runs`, `stuck_executions`, …
    pub kind: String,
    /// `warning`, `critical` or `unknown`.
    pub severity: String,
    /// In FlowPulse's words.
    pub message: String,
    /// When it began, if known.
    pub since: Option<DateTime<Utc>>,
}

/// A workflow that is not ok.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnhealthyWorkflow {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its worst finding's severity.
    pub status: String,
    /// What was found.
    pub findings: Vec<FindingView>,
    /// When it was judged.
    pub evaluated_at: DateTime<Utc>,
}

/// One instance on the health page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceHealth {
    /// The instance.
    pub provider: ProviderOption,
    /// Its workflows that are not ok, worst first.
    pub workflows: Vec<UnhealthyWorkflow>,
    /// Workflows with a verdict of ok.
    pub ok_count: usize,
}

/// The health page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthPage {
    /// Per instance, by name.
    pub instances: Vec<InstanceHealth>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// An alert channel, without its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    /// `alert_channels.id`.
    pub id: Uuid,
    /// The user's name for it.
    pub name: String,
    /// `webhook`, `slack`, `discord` or `email`.
    pub kind: String,
    /// Enough of the target to recognise it (host and the path's last characters).
    pub hint: String,
    /// The latest test's delivery, in words.
    pub last_test: Option<String>,
}

/// An alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    /// `alert_rules.id`.
    pub id: Uuid,
    /// The user's name for it.
    pub name: String,
    /// What it watches, in words.
    pub kind_label: String,
    /// What it covers, in words.
    pub scope: String,
    /// For failure-rate rules.
    pub threshold: Option<f64>,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// The names of the channels it notifies.
    pub channels: Vec<String>,
    /// What the edit form starts from: the kind as stored, the instance and workflow it is
    /// limited to, and the ids of the channels it notifies.
    #[serde(default)]
    pub form: RuleFormValues,
}

/// A rule's stored values, as its edit form is filled in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFormValues {
    /// `alert_rules.kind`.
    pub kind: String,
    /// The instance it is limited to.
    pub instance: Option<Uuid>,
    /// The workflow it is limited to.
    pub workflow: Option<Uuid>,
    /// The channels it notifies.
    pub channel_ids: Vec<Uuid>,
}

/// One notification of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The channel's name.
    pub channel: String,
    /// `opened`, `resolved` or `test`.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// "delivered", "retrying at …", "failed: …".
    pub text: String,
}

/// An alert, open or past.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    /// `alerts.id`.
    pub id: Uuid,
    /// Its rule's name.
    pub rule: String,
    /// What it is about.
    pub subject: String,
    /// `open` or `resolved`.
    pub state: String,
    /// Why.
    pub message: String,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Its notifications.
    pub deliveries: Vec<DeliveryView>,
}

/// The alerts page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsPage {
    /// Where alerts go.
    pub channels: Vec<ChannelView>,
    /// What to be told about.
    pub rules: Vec<RuleView>,
    /// Open alerts, newest first.
    pub open: Vec<AlertView>,
    /// Resolved alerts, newest first.
    pub past: Vec<AlertView>,
    /// The rule form's instance choices.
    pub providers: Vec<ProviderOption>,
    /// The rule form's workflow choices.
    pub workflows: Vec<WorkflowOption>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}
