//! Reads and writes through PostgREST with the caller's JWT, so row-level security scopes
//! every statement exactly as it scopes the app (a `service_role` token sees all users).

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flowpulse_core::n8n::{ExecutionId, ExecutionStatus};
use flowpulse_core::rows::{
    ExecutionIngestRow, Provider, ProviderStatus, SyncLogFinish, SyncLogInsert, WorkflowUpsert,
};
use postgrest::{Builder, Postgrest};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest011 as reqwest;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::runtime;
use flowpulse_core::postgrest::ErrorBody;
use flowpulse_core::text::shorten;

mod alerts;
mod builder;
mod claims;
mod health;
mod listing;
mod periods;
mod types;
pub use alerts::{
    AlertChannelRow, AlertInsert, AlertRow, AlertRuleRow, DeliveryInsert, DeliveryResult,
    DueDelivery, FinishedRunRow, SyncLogRow,
};
pub use builder::{
    BuilderWorkflowRef, BuilderWorkflowRow, Claim, ConversationRow, CredentialDeploymentRow,
    CredentialRow, DeploymentUpdate, ExecutionRef,
};
pub use health::{HealthInputRow, HealthRow};
use types::api_error;
pub use types::{ArchivedWorkflow, IngestOutcome, PruneOutcome, StoreError, WorkflowRef};

/// Timeout of one PostgREST request.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(10);
/// Rows per request when reading lists that may exceed PostgREST's `max-rows` (Supabase: 1000).
const READ_PAGE: usize = 1000;

/// Columns of `providers` the engine reads.
const PROVIDER_COLUMNS: &str = "id,user_id,name,base_url,api_key_ciphertext,status,\
last_checked_at,last_error,exec_watermark,backfill_cursor,backfill_low,backfill_top,created_at,\
updated_at";

/// A stored execution, as re-sent when marking it `unknown`.
#[derive(Debug, Clone, Deserialize)]
struct StoredExecution {
    n8n_execution_id: i64,
    n8n_workflow_id: String,
    mode: String,
    started_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
    retry_of: Option<i64>,
    error_message: Option<String>,
}

/// PostgREST with one caller's token.
#[derive(Clone)]
pub struct Store {
    client: Postgrest,
    token: String,
    timeout: Duration,
}

impl Store {
    /// A store at `url` (e.g. `http://127.0.0.1:3000/api`) sending `apikey: <api_key>` and
    /// `Authorization: Bearer <token>`.
    pub fn new(url: &str, api_key: &str, token: &str) -> Result<Self, StoreError> {
        HeaderValue::from_str(api_key)
            .map_err(|_| StoreError::InvalidHeader("PostgREST API key"))?;
        HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| StoreError::InvalidHeader("bearer token"))?;
        Ok(Self {
            client: Postgrest::new(url.trim_end_matches('/')).insert_header("apikey", api_key),
            token: token.to_string(),
            timeout: STORE_TIMEOUT,
        })
    }

    /// Sends a request, returning the body of a 2xx reply.
    async fn send(
        &self,
        builder: Builder,
        prefer: Option<&'static str>,
    ) -> Result<Vec<u8>, StoreError> {
        self.send_paged(builder, prefer, None).await
    }

    /// [`Self::send`] with an optional `(limit, offset)` page.
    async fn send_paged(
        &self,
        builder: Builder,
        prefer: Option<&'static str>,
        page: Option<(usize, usize)>,
    ) -> Result<Vec<u8>, StoreError> {
        let mut request = builder.auth(&self.token).build();
        if let Some((limit, offset)) = page {
            request = request.query(&[("limit", limit), ("offset", offset)]);
        }
        if let Some(prefer) = prefer {
            let mut headers = HeaderMap::new();
            headers.insert("Prefer", HeaderValue::from_static(prefer));
            request = request.headers(headers);
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.bytes().await?.to_vec()))
        };
        let (status, body) = match runtime::timeout(self.timeout, exchange).await {
            Err(runtime::Elapsed) => {
                return Err(StoreError::Timeout(
                    u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                ))
            }
            Ok(Err(error)) => {
                return Err(StoreError::Unreachable(shorten(
                    &error.without_url().to_string(),
                )))
            }
            Ok(Ok(reply)) => reply,
        };
        if status.is_success() {
            return Ok(body);
        }
        let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
        Err(match parsed {
            Some(error) => api_error(error, status.as_u16()),
            None => StoreError::Api {
                status: status.as_u16(),
                code: String::new(),
                message: shorten(&String::from_utf8_lossy(&body)),
                details: None,
                hint: None,
            },
        })
    }

    async fn json<T: DeserializeOwned>(&self, builder: Builder) -> Result<T, StoreError> {
        self.json_paged(builder, None).await
    }

    async fn json_paged<T: DeserializeOwned>(
        &self,
        builder: Builder,
        page: Option<(usize, usize)>,
    ) -> Result<T, StoreError> {
        let body = self.send_paged(builder, None, page).await?;
        serde_json::from_slice(&body)
            .map_err(|error| StoreError::Malformed(shorten(&error.to_string())))
    }

    /// Calls an RPC and decodes its result, unwrapping the `[{"fn": value}]` form PostgREST
    /// look-alikes use outside compatibility mode.
    async fn rpc<T: DeserializeOwned>(
        &self,
        function: &str,
        params: Value,
    ) -> Result<T, StoreError> {
        let value: Value = self
            .json(self.client.rpc(function, params.to_string()))
            .await?;
        let value = match value {
            Value::Array(items)
                if !items.is_empty()
                    && items.iter().all(|item| {
                        item.as_object()
                            .is_some_and(|o| o.len() == 1 && o.contains_key(function))
                    }) =>
            {
                let mut unwrapped: Vec<Value> = items
                    .into_iter()
                    .map(|mut item| item[function].take())
                    .collect();
                if unwrapped.len() == 1 && !unwrapped[0].is_number() {
                    unwrapped.remove(0)
                } else {
                    Value::Array(unwrapped)
                }
            }
            other => other,
        };
        serde_json::from_value(value)
            .map_err(|error| StoreError::Malformed(shorten(&error.to_string())))
    }

    /// Reads every row of a select, `READ_PAGE` rows per request, ordered by `order`.
    async fn select_all<T: DeserializeOwned>(
        &self,
        build: impl Fn() -> Builder,
        order: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = Vec::new();
        loop {
            let page: Vec<T> = self
                .json_paged(build().order(order), Some((READ_PAGE, rows.len())))
                .await?;
            let last = page.len() < READ_PAGE;
            rows.extend(page);
            if last {
                return Ok(rows);
            }
        }
    }

    /// Every provider the token can see, or only `id`.
    pub async fn providers(&self, id: Option<Uuid>) -> Result<Vec<Provider>, StoreError> {
        self.select_all(
            || {
                let builder = self.client.from("providers").select(PROVIDER_COLUMNS);
                match id {
                    Some(id) => builder.eq("id", id.to_string()),
                    None => builder,
                }
            },
            "created_at.asc,id.asc",
        )
        .await
    }

    /// The workflow row `id`, if the token can see it.
    pub async fn workflow(&self, id: Uuid) -> Result<Option<WorkflowRef>, StoreError> {
        let rows: Vec<WorkflowRef> = self
            .json(
                self.client
                    .from("mvp_workflows")
                    .select("id,provider_id,n8n_workflow_id,name")
                    .eq("id", id.to_string()),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// n8n ids of every workflow row of a provider (archived ones included).
    pub async fn workflow_n8n_ids(
        &self,
        provider_id: Uuid,
    ) -> Result<BTreeSet<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n8n_workflow_id: String,
        }
        let rows: Vec<Row> = self
            .select_all(
                || {
                    self.client
                        .from("mvp_workflows")
                        .select("n8n_workflow_id")
                        .eq("provider_id", provider_id.to_string())
                },
                "id.asc",
            )
            .await?;
        Ok(rows.into_iter().map(|row| row.n8n_workflow_id).collect())
    }

    /// Upserts workflows on (provider_id, n8n_workflow_id); counters are never touched.
    pub async fn upsert_workflows(&self, rows: &[WorkflowUpsert]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_string(rows).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let builder = self
            .client
            .from("mvp_workflows")
            .upsert(body)
            .on_conflict("provider_id,n8n_workflow_id");
        self.send(builder, Some("resolution=merge-duplicates,return=minimal"))
            .await
            .map(drop)
    }

    /// One `ingest_executions` transaction: upsert rows, recount, maybe advance the watermark.
    pub async fn ingest_executions(
        &self,
        provider_id: Uuid,
        rows: &[ExecutionIngestRow],
        new_watermark: Option<u64>,
    ) -> Result<IngestOutcome, StoreError> {
        let mut params = json!({"p_provider_id": provider_id, "p_rows": rows});
        // Omitted rather than `null` when not advancing: postrust (the local PostgREST)
        // passes a JSON null argument as '' and bigint rejects it; the SQL default is null.
        if let Some(watermark) = new_watermark {
            params["p_new_watermark"] = json!(i64::try_from(watermark).unwrap_or(i64::MAX));
        }
        self.rpc("ingest_executions", params).await
    }

    /// Stored executions of a provider still `new`, `running` or `waiting`.
    pub async fn unfinished_executions(
        &self,
        provider_id: Uuid,
    ) -> Result<Vec<ExecutionId>, StoreError> {
        let ids: Vec<i64> = self
            .rpc(
                "unfinished_executions",
                json!({"p_provider_id": provider_id}),
            )
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| u64::try_from(id).ok().map(ExecutionId))
            .collect())
    }

    /// Stored executions of one workflow still `new`, `running` or `waiting`.
    pub async fn unfinished_for_workflow(
        &self,
        provider_id: Uuid,
        n8n_workflow_id: &str,
    ) -> Result<Vec<ExecutionId>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n8n_execution_id: i64,
        }
        let rows: Vec<Row> = self
            .select_all(
                || {
                    self.client
                        .from("executions")
                        .select("n8n_execution_id")
                        .eq("provider_id", provider_id.to_string())
                        .eq("n8n_workflow_id", n8n_workflow_id)
                        .in_("status", ["new", "running", "waiting"])
                },
                "n8n_execution_id.asc",
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| u64::try_from(row.n8n_execution_id).ok().map(ExecutionId))
            .collect())
    }

    /// Ingest rows that mark stored executions `unknown`, keeping every other stored field
    /// (`ingest_executions` overwrites them all, so they must be sent back unchanged).
    pub async fn unknown_rows(
        &self,
        provider_id: Uuid,
        ids: &[ExecutionId],
    ) -> Result<Vec<ExecutionIngestRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<StoredExecution> = self
            .json(
                self.client
                    .from("executions")
                    .select("n8n_execution_id,n8n_workflow_id,mode,started_at,stopped_at,duration_ms,retry_of,error_message")
                    .eq("provider_id", provider_id.to_string())
                    .in_("n8n_execution_id", list),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ExecutionIngestRow {
                n8n_execution_id: row.n8n_execution_id,
                n8n_workflow_id: row.n8n_workflow_id,
                status: ExecutionStatus::Unknown,
                mode: row.mode,
                started_at: row.started_at,
                stopped_at: row.stopped_at,
                duration_ms: row.duration_ms,
                retry_of: row.retry_of,
                retry_success_id: None,
                error_message: row.error_message,
                // An execution n8n no longer knows is waiting for nothing.
                wait_till: None,
            })
            .collect())
    }

    /// Opens a `sync_logs` row and returns its id.
    pub async fn open_sync_log(&self, row: &SyncLogInsert) -> Result<Uuid, StoreError> {
        #[derive(Deserialize)]
        struct Inserted {
            id: Uuid,
        }
        let body = serde_json::to_string(row).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let rows: Vec<Inserted> = self
            .json(self.client.from("sync_logs").insert(body).select("id"))
            .await?;
        rows.into_iter()
            .next()
            .map(|row| row.id)
            .ok_or_else(|| StoreError::Malformed("sync_logs insert returned no row".into()))
    }

    /// Closes a `sync_logs` row.
    pub async fn finish_sync_log(
        &self,
        id: Uuid,
        finish: &SyncLogFinish,
    ) -> Result<(), StoreError> {
        let body =
            serde_json::to_string(finish).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let builder = self
            .client
            .from("sync_logs")
            .eq("id", id.to_string())
            .update(body);
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Records how the last contact with a provider went.
    pub async fn set_provider_status(
        &self,
        id: Uuid,
        status: ProviderStatus,
        last_error: Option<&str>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let body =
            json!({"status": status, "last_error": last_error, "last_checked_at": checked_at});
        let builder = self
            .client
            .from("providers")
            .eq("id", id.to_string())
            .update(body.to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Archives (or in a dry run lists) workflows of a provider n8n no longer lists.
    pub async fn archive_missing_workflows(
        &self,
        provider_id: Uuid,
        present_n8n_ids: &[String],
        dry_run: bool,
    ) -> Result<Vec<ArchivedWorkflow>, StoreError> {
        self.rpc(
            "archive_missing_workflows",
            json!({"p_provider_id": provider_id, "p_present_n8n_ids": present_n8n_ids, "p_dry_run": dry_run}),
        )
        .await
    }

    /// Deletes (or in a dry run counts) history older than the cut-offs, within the token's reach.
    pub async fn prune_history(
        &self,
        sync_logs_before: DateTime<Utc>,
        executions_before: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PruneOutcome, StoreError> {
        self.rpc(
            "prune_history",
            json!({"p_sync_logs_before": sync_logs_before, "p_executions_before": executions_before, "p_dry_run": dry_run}),
        )
        .await
    }
}

#[cfg(test)]
mod tests;
