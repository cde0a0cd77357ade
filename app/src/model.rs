//! What the server functions send to the browser. Only display data: never ciphertexts,
//! tokens or anything the page does not show.

use chrono::{DateTime, Utc};
use flowpulse_core::n8n::ExecutionStatus;
use flowpulse_core::rows::{ProviderStatus, SyncStatus, SyncType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chart::Bucket;

pub mod builder;
pub mod insight;

/// The signed-in user, as the top bar shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// Their email address.
    pub email: String,
}

/// One n8n instance, without its API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    /// `providers.id`.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// n8n base URL.
    pub base_url: String,
    /// `••••abcd`, or a hint that the stored key can no longer be read.
    pub key_hint: String,
    /// Connection health.
    pub status: ProviderStatus,
    /// Last connection test or sync.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Last failure, readable.
    pub last_error: Option<String>,
}

/// The instances page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderList {
    /// The user's instances, by name.
    pub providers: Vec<ProviderView>,
    /// Server time of the read, the reference for relative times.
    pub now: DateTime<Utc>,
}

/// An instance as a filter option or badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderOption {
    /// `providers.id`.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Connection health, coloured on badges.
    pub status: ProviderStatus,
}

/// One dashboard table row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// Its instance.
    pub provider_id: Uuid,
    /// Name in n8n.
    pub name: String,
    /// Active in n8n.
    pub active: bool,
    /// Final executions stored.
    pub execution_count: i64,
    /// Successful ones.
    pub successful_executions: i64,
    /// Errored or crashed ones.
    pub failed_executions: i64,
    /// Start of the latest execution.
    pub last_execution_at: Option<DateTime<Utc>>,
    /// Status of the latest execution.
    pub last_execution_status: Option<ExecutionStatus>,
    /// Last sync that saw it.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Synced from n8n, or made in FlowPulse's chat.
    #[serde(default)]
    pub origin: WorkflowOrigin,
    /// The latest health verdict (`workflow_health`), when there is one.
    #[serde(default)]
    pub health: Option<insight::HealthBadgeView>,
    /// How long its finished runs in the selected period took; `None` when none finished.
    #[serde(default)]
    pub durations: Option<DurationStats>,
}

/// How long finished executions took: median, 95th percentile and longest, computed by the
/// database (`workflow_durations`, `execution_chart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Finished executions measured.
    pub runs: i64,
    /// Median, in milliseconds.
    pub p50_ms: i64,
    /// 95th percentile, in milliseconds.
    pub p95_ms: i64,
    /// Longest, in milliseconds.
    pub max_ms: i64,
}

/// Where a workflow came from (`mvp_workflows.origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowOrigin {
    /// Found in n8n by a sync.
    #[default]
    Sync,
    /// Deployed from FlowPulse's chat.
    Builder,
}

/// The choices of the workflow table's node and credential filters: what the user's own
/// workflows use, as `(value, label)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFilters {
    /// n8n node types.
    pub node_types: Vec<(String, String)>,
    /// n8n credential types.
    pub credential_types: Vec<(String, String)>,
}

/// The headline numbers of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Workflows (not archived).
    pub workflows: usize,
    /// Final executions stored.
    pub executions: i64,
    /// Successful share of them, `None` when there are none.
    pub success_rate: Option<f64>,
    /// Errored or crashed executions that started in the last 24 hours.
    pub failures_24h: i64,
}

/// The span the executions chart covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ChartRange {
    /// Last 24 hours by hour.
    #[default]
    Day,
    /// Last 7 days by day.
    Week,
    /// Last 30 days by day.
    Month,
}

impl ChartRange {
    /// Every range, in the order the picker lists them.
    pub const ALL: [ChartRange; 3] = [Self::Day, Self::Week, Self::Month];

    /// URL and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    /// Parses [`Self::as_str`]; anything else is the default range.
    pub fn parse(value: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|range| range.as_str() == value)
            .unwrap_or_default()
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "Last 24 hours",
            Self::Week => "Last 7 days",
            Self::Month => "Last 30 days",
        }
    }
}

/// What the workflow table shows, from the page's query string: the database narrows, sorts
/// and pages it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableQuery {
    /// Names containing this (case-insensitive).
    pub search: Option<String>,
    /// Only workflows using this node type.
    pub node: Option<String>,
    /// Only workflows needing this credential type.
    pub credential: Option<String>,
    /// The column (`SortKey::as_str`).
    pub sort: String,
    /// Largest/newest first.
    pub descending: bool,
    /// Page number, from 0.
    pub page: u64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// All the user's instances (for the filter and the badges).
    pub providers: Vec<ProviderOption>,
    /// One page of the workflow table, narrowed, sorted and paged by the database.
    pub table: Vec<WorkflowSummary>,
    /// Workflows matching the table's narrowing, on every page.
    pub table_total: u64,
    /// Rows before this page.
    pub table_offset: u64,
    /// The node and credential filters' choices.
    pub filters: TableFilters,
    /// Headline numbers of the selected instance(s).
    pub totals: Totals,
    /// Executions and their durations over time.
    pub chart: Vec<Bucket>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// What "Sync now" reports, per instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// One line per instance synced.
    pub results: Vec<InstanceSyncResult>,
}

/// The result of syncing one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSyncResult {
    /// Instance name.
    pub provider: String,
    /// How it ended.
    pub status: SyncStatus,
    /// Workflows upserted.
    pub workflows_synced: u64,
    /// Executions ingested.
    pub executions_synced: u64,
    /// Time spent.
    pub duration_ms: u64,
    /// What went wrong and what to check, when it did not succeed.
    pub problem: Option<String>,
}

/// One row of the sync-log page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogView {
    /// `sync_logs.id`.
    pub id: Uuid,
    /// Instance name, or "All instances" for runs over every one.
    pub provider: String,
    /// What started it.
    pub sync_type: SyncType,
    /// How it ended.
    pub status: SyncStatus,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// Length, when finished.
    pub duration_ms: Option<i64>,
    /// Workflows upserted.
    pub workflows_synced: i64,
    /// Executions ingested.
    pub executions_synced: i64,
    /// What went wrong.
    pub error_message: Option<String>,
}

/// Success rate and duration of one instance and sync type over 24 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncStatsView {
    /// Instance name, or "All instances".
    pub provider: String,
    /// Sync type.
    pub sync_type: SyncType,
    /// Runs started.
    pub runs: i64,
    /// Percent of finished runs that succeeded.
    pub success_rate: Option<f64>,
    /// Mean duration.
    pub avg_duration_ms: Option<i64>,
}

/// The sync-log page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogPage {
    /// Filter options.
    pub providers: Vec<ProviderOption>,
    /// 24-hour statistics.
    pub stats: Vec<SyncStatsView>,
    /// Most recent runs first.
    pub runs: Vec<SyncLogView>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// One row of the executions page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionView {
    /// `executions.id`.
    pub id: i64,
    /// n8n's execution id (per instance).
    pub n8n_execution_id: i64,
    /// Workflow name, or n8n's id when FlowPulse does not know the workflow.
    pub workflow: String,
    /// Instance name.
    pub provider: String,
    /// Status.
    pub status: ExecutionStatus,
    /// How it was started.
    pub mode: String,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Length.
    pub duration_ms: Option<i64>,
    /// Error, when recorded.
    pub error_message: Option<String>,
}

/// A workflow as a filter option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowOption {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// Name.
    pub name: String,
}

/// One page of execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionPage {
    /// Filter options.
    pub providers: Vec<ProviderOption>,
    /// Filter options.
    pub workflows: Vec<WorkflowOption>,
    /// The rows of this page.
    pub rows: Vec<ExecutionView>,
    /// Rows matching the filters, over all pages.
    pub total: u64,
    /// Offset of the first row.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// The chosen workflow's durations over the chosen period (finished runs of any status);
    /// `None` without a chosen workflow or when none of its runs finished.
    #[serde(default)]
    pub durations: Option<DurationStats>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}
