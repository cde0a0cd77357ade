//! Row and payload types exchanged with PostgREST.
//!
//! Field names are the snake_case column names of the public schema, so these
//! types serialize straight into PostgREST bodies and deserialize straight from its replies.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::n8n::{Execution, ExecutionStatus, Node, Workflow};

mod read;
pub use read::{ExecutionRow, SyncLogRow, WorkflowRow};

/// Health of a provider connection (`providers.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderStatus {
    /// The last check or sync reached n8n.
    Connected,
    /// Reachable, but the last sync was partial.
    Warning,
    /// The last check or sync failed.
    Error,
    /// Never checked.
    #[default]
    Unknown,
}

/// What started a sync (`sync_logs.sync_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncType {
    /// A user pressed "Sync now" or called the function.
    Manual,
    /// The cron trigger.
    Scheduled,
    /// A `cleanup_workflows` run.
    Cleanup,
    /// A `sync_workflow` run for one workflow.
    Workflow,
}

/// Outcome of a sync (`sync_logs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    /// Still in progress.
    Running,
    /// Everything synced.
    Success,
    /// Some of it synced (e.g. the time budget ran out).
    Partial,
    /// Nothing usable synced.
    Error,
}

/// A row of `providers`: one n8n instance of one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// Row id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Display name, unique per user.
    pub name: String,
    /// n8n base URL, e.g. `https://n8n.example.com`.
    pub base_url: String,
    /// The API key in the `crypto` module's format.
    pub api_key_ciphertext: String,
    /// Connection health.
    pub status: ProviderStatus,
    /// Last time FlowPulse talked to the instance.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Last failure, for display.
    pub last_error: Option<String>,
    /// Highest n8n execution id below which everything is stored final (see `plan`).
    #[serde(default)]
    pub exec_watermark: i64,
    /// n8n's cursor where an unfinished listing pass stopped (see `plan::backfill`).
    #[serde(default)]
    pub backfill_cursor: Option<String>,
    /// The lowest id that pass listed.
    #[serde(default)]
    pub backfill_low: Option<i64>,
    /// The highest id that pass listed.
    #[serde(default)]
    pub backfill_top: Option<i64>,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last row update.
    pub updated_at: DateTime<Utc>,
}

impl Provider {
    /// The unfinished listing pass this provider keeps, if any and if its columns are sane.
    pub fn backfill(&self) -> Option<crate::plan::Backfill> {
        let (Some(cursor), Some(low), Some(top)) =
            (&self.backfill_cursor, self.backfill_low, self.backfill_top)
        else {
            return None;
        };
        Some(crate::plan::Backfill {
            cursor: cursor.clone(),
            low: u64::try_from(low).ok()?,
            top: u64::try_from(top).ok()?,
        })
    }
}

/// The body of an upsert into `mvp_workflows` on (provider_id, n8n_workflow_id).
///
/// Counter columns are deliberately absent: they belong to `ingest_executions`, and an upsert
/// that carried them would reset them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowUpsert {
    /// Owner.
    pub user_id: Uuid,
    /// The provider the workflow lives on.
    pub provider_id: Uuid,
    /// n8n's workflow id.
    pub n8n_workflow_id: String,
    /// Name in n8n.
    pub name: String,
    /// Active in n8n.
    pub active: bool,
    /// Archived in n8n.
    pub archived: bool,
    /// Tag names, sorted and deduplicated so unchanged workflows produce identical rows.
    pub tags: Vec<String>,
    /// Node types, sorted and deduplicated.
    pub node_types: Vec<String>,
    /// Credential types the nodes need (e.g. `slackApi`), sorted and deduplicated.
    pub required_credential_types: Vec<String>,
    /// `{nodes, connections, settings}`, with credential refs reduced to `{name}`.
    pub definition: Value,
    /// When the workflow was last saved in n8n.
    pub n8n_updated_at: DateTime<Utc>,
    /// When this sync saw it.
    pub last_sync_at: DateTime<Utc>,
    /// Always `None`: n8n lists the workflow, so it is not deleted. Sent as `null` so a
    /// workflow that cleanup archived and that reappears loses its deletion mark too.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl WorkflowUpsert {
    /// Builds the upsert for a workflow listed by n8n, seen at `now`.
    pub fn from_n8n(
        user_id: Uuid,
        provider_id: Uuid,
        workflow: &Workflow,
        now: DateTime<Utc>,
    ) -> Self {
        let sorted = |items: BTreeSet<&str>| items.into_iter().map(str::to_string).collect();
        let nodes = &workflow.nodes;
        Self {
            user_id,
            provider_id,
            n8n_workflow_id: workflow.id.clone(),
            name: workflow.name.clone(),
            active: workflow.active,
            archived: workflow.is_archived,
            tags: sorted(workflow.tags.iter().map(|tag| tag.name.as_str()).collect()),
            node_types: sorted(nodes.iter().map(|node| node.node_type.as_str()).collect()),
            required_credential_types: sorted(
                nodes
                    .iter()
                    .flat_map(|node| node.credentials.iter().flat_map(|refs| refs.keys()))
                    .map(String::as_str)
                    .collect(),
            ),
            definition: json!({
                "nodes": nodes.iter().map(node_for_definition).collect::<Vec<_>>(),
                "connections": workflow.connections,
                "settings": workflow.settings,
            }),
            n8n_updated_at: workflow.updated_at,
            last_sync_at: now,
            deleted_at: None,
        }
    }
}

/// A node as stored in `definition`: n8n's JSON shape, minus credential ids.
///
/// Definitions are shown in the UI and exported for dev↔prod migrations; credential ids are
/// instance-specific (meaningless elsewhere) and reveal more than needed, so only each
/// credential's name is kept. Built by hand rather than through `Serialize` so it cannot fail.
fn node_for_definition(node: &Node) -> Value {
    let mut object = node.extra.clone();
    if let Some(id) = &node.id {
        object.insert("id".into(), json!(id));
    }
    object.insert("name".into(), json!(node.name));
    object.insert("type".into(), json!(node.node_type));
    if let Some(version) = &node.type_version {
        object.insert("typeVersion".into(), version.clone());
    }
    object.insert("parameters".into(), node.parameters.clone());
    if let Some(credentials) = &node.credentials {
        let names: Map<String, Value> = credentials
            .iter()
            .map(|(kind, credential)| (kind.clone(), json!({ "name": credential.name })))
            .collect();
        object.insert("credentials".into(), Value::Object(names));
    }
    Value::Object(object)
}

/// n8n ids fit easily in a bigint; saturate rather than wrap if one ever does not.
fn to_bigint(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// One element of the `rows` array given to the SQL function `ingest_executions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionIngestRow {
    /// Per-instance n8n execution id.
    pub n8n_execution_id: i64,
    /// n8n id of the workflow; the SQL function maps it to `mvp_workflows.id`.
    pub n8n_workflow_id: String,
    /// Status at fetch time.
    pub status: ExecutionStatus,
    /// How it was started.
    pub mode: String,
    /// Start time, if started.
    pub started_at: Option<DateTime<Utc>>,
    /// Stop time, if stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// `stopped_at - started_at` in ms when both are known, never negative.
    pub duration_ms: Option<i64>,
    /// The execution this one retried.
    pub retry_of: Option<i64>,
    /// This execution's successful retry, once n8n reports one.
    #[serde(default)]
    pub retry_success_id: Option<i64>,
    /// Error message, when fetched with run data.
    pub error_message: Option<String>,
    /// When a waiting execution resumes (a Wait node's time).
    #[serde(default)]
    pub wait_till: Option<DateTime<Utc>>,
}

impl ExecutionIngestRow {
    /// Converts an execution from the n8n API.
    pub fn from_n8n(execution: &Execution) -> Self {
        let duration_ms = match (execution.started_at, execution.stopped_at) {
            // Clocks on the n8n host can step backwards; a negative duration is never real.
            (Some(started), Some(stopped)) => Some((stopped - started).num_milliseconds().max(0)),
            _ => None,
        };
        Self {
            n8n_execution_id: to_bigint(execution.id.0),
            n8n_workflow_id: execution.workflow_id.clone(),
            status: execution.status,
            mode: execution.mode.clone(),
            started_at: execution.started_at,
            stopped_at: execution.stopped_at,
            duration_ms,
            retry_of: execution.retry_of.map(|id| to_bigint(id.0)),
            retry_success_id: execution.retry_success_id.map(|id| to_bigint(id.0)),
            wait_till: execution.wait_till,
            error_message: execution.error_message().map(str::to_string),
        }
    }
}

/// The insert that opens a `sync_logs` row when a run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogInsert {
    /// Owner.
    pub user_id: Uuid,
    /// The provider synced; `None` for a run over all providers.
    pub provider_id: Option<Uuid>,
    /// What started the run.
    pub sync_type: SyncType,
    /// `Running` when opened.
    pub status: SyncStatus,
    /// Run start.
    pub started_at: DateTime<Utc>,
    /// Free-form context (action, trigger, …).
    pub details: Value,
}

impl SyncLogInsert {
    /// A row for a run that starts now.
    pub fn running(
        user_id: Uuid,
        provider_id: Option<Uuid>,
        sync_type: SyncType,
        started_at: DateTime<Utc>,
    ) -> Self {
        Self {
            user_id,
            provider_id,
            sync_type,
            status: SyncStatus::Running,
            started_at,
            details: json!({}),
        }
    }
}

/// The update that closes a `sync_logs` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogFinish {
    /// Final status.
    pub status: SyncStatus,
    /// Run end.
    pub finished_at: DateTime<Utc>,
    /// Run length in ms, never negative.
    pub duration_ms: i64,
    /// Workflows upserted.
    pub workflows_synced: i64,
    /// Executions ingested.
    pub executions_synced: i64,
    /// What went wrong, if anything.
    pub error_message: Option<String>,
    /// Free-form details (per-step counts, watermark moves, …).
    pub details: Value,
}

impl SyncLogFinish {
    /// Closes a run that started at `started_at` and ended at `finished_at`.
    pub fn new(
        status: SyncStatus,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        workflows_synced: i64,
        executions_synced: i64,
        error_message: Option<String>,
    ) -> Self {
        Self {
            status,
            finished_at,
            duration_ms: (finished_at - started_at).num_milliseconds().max(0),
            workflows_synced,
            executions_synced,
            error_message,
            details: json!({}),
        }
    }
}

#[cfg(test)]
mod tests;
