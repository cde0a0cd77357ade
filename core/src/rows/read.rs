//! Rows as read back from PostgREST (the app's view of the tables).
//!
//! Columns the database fills itself (ids, timestamps, counters) are required or defaulted
//! here, unlike in the write payloads of the parent module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{SyncStatus, SyncType};
use crate::n8n::ExecutionStatus;

/// Reads `null` as the type's default, for array columns PostgREST may return as `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A row of `mvp_workflows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRow {
    /// Row id.
    pub id: Uuid,
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
    /// Archived in n8n, or by cleanup.
    pub archived: bool,
    /// Tag names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    /// Node types used.
    #[serde(default, deserialize_with = "null_as_default")]
    pub node_types: Vec<String>,
    /// Credential types the nodes need.
    #[serde(default, deserialize_with = "null_as_default")]
    pub required_credential_types: Vec<String>,
    /// `{nodes, connections, settings}`; absent when the app selects a subset of columns.
    #[serde(default)]
    pub definition: Option<Value>,
    /// When the workflow was last saved in n8n.
    pub n8n_updated_at: Option<DateTime<Utc>>,
    /// Stored executions in a final state (see `counters`).
    #[serde(default)]
    pub execution_count: i64,
    /// Stored successful executions.
    #[serde(default)]
    pub successful_executions: i64,
    /// Stored errored or crashed executions.
    #[serde(default)]
    pub failed_executions: i64,
    /// Start of the highest-id stored execution.
    pub last_execution_at: Option<DateTime<Utc>>,
    /// Status of the highest-id stored execution.
    pub last_execution_status: Option<ExecutionStatus>,
    /// Last sync that saw the workflow.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Set when cleanup archived it because n8n no longer lists it.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last row update.
    pub updated_at: DateTime<Utc>,
}

/// A row of `executions`; history outlives n8n's pruning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRow {
    /// `bigint` identity.
    pub id: i64,
    /// Owner.
    pub user_id: Uuid,
    /// The provider it ran on.
    pub provider_id: Uuid,
    /// `mvp_workflows.id`; `None` while the workflow is not (yet) known to FlowPulse.
    pub workflow_id: Option<Uuid>,
    /// n8n's id of the workflow that ran (kept even when `workflow_id` is unknown).
    pub n8n_workflow_id: String,
    /// Per-instance n8n execution id.
    pub n8n_execution_id: i64,
    /// Last known status.
    pub status: ExecutionStatus,
    /// How it was started.
    pub mode: String,
    /// Start time, if started.
    pub started_at: Option<DateTime<Utc>>,
    /// Stop time, if stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Run length in ms, when both ends are known.
    pub duration_ms: Option<i64>,
    /// The n8n execution this one retried.
    pub retry_of: Option<i64>,
    /// Error message, if recorded.
    pub error_message: Option<String>,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last row update.
    pub updated_at: DateTime<Utc>,
}

/// A row of `sync_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogRow {
    /// Row id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The provider synced; `None` for a run over all providers.
    pub provider_id: Option<Uuid>,
    /// What started the run.
    pub sync_type: SyncType,
    /// How it ended (or `running`).
    pub status: SyncStatus,
    /// Run start.
    pub started_at: DateTime<Utc>,
    /// Run end; `None` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// Run length in ms; `None` while running.
    pub duration_ms: Option<i64>,
    /// Workflows upserted.
    #[serde(default)]
    pub workflows_synced: i64,
    /// Executions ingested.
    #[serde(default)]
    pub executions_synced: i64,
    /// What went wrong, if anything.
    pub error_message: Option<String>,
    /// Free-form details.
    #[serde(default)]
    pub details: Value,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last row update.
    pub updated_at: DateTime<Utc>,
}
