//! The alert tables: a user's rules and channels, the open alerts of those rules, their
//! deliveries, and the few facts alert conditions read (a provider's latest finished runs and
//! sync logs). Every write names `user_id`: a `service_role` caller has no `auth.uid()` for
//! the column's default.

use chrono::{DateTime, SecondsFormat, Utc};
use flowpulse_core::insight::alerts::payload::{ChannelKind, DeliveryEvent};
use flowpulse_core::insight::alerts::AlertKind;
use flowpulse_core::n8n::ExecutionStatus;
use flowpulse_core::postgrest::ErrorKind;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{Store, StoreError, WorkflowRef};

/// A timestamp as a PostgREST filter value: `Z` rather than `+00:00`, whose `+` a query string
/// would read as a space.
fn filter_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn body<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Malformed(error.to_string()))
}

/// PostgREST sends `numeric` as a JSON number; look-alikes may send it as text.
fn numeric<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(number)) => number.as_f64(),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// An enabled `alert_rules` row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertRuleRow {
    /// `alert_rules.id`.
    pub id: Uuid,
    /// The user's name for it.
    pub name: String,
    /// What it watches.
    pub kind: AlertKind,
    /// The instance it is limited to, if any.
    pub provider_id: Option<Uuid>,
    /// The workflow it is limited to, if any.
    pub workflow_id: Option<Uuid>,
    /// For `failure_rate`: the failed share (0–100) that opens an alert.
    #[serde(default, deserialize_with = "numeric")]
    pub threshold: Option<f64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An `alert_channels` row, target still encrypted.
#[derive(Clone, Deserialize)]
pub struct AlertChannelRow {
    /// `alert_channels.id`.
    pub id: Uuid,
    /// Where it sends.
    pub kind: ChannelKind,
    /// The webhook URL or email address, encrypted bound to the row and kind.
    pub target_ciphertext: String,
}

// Nothing about a channel's target needs logging, not even its ciphertext.
impl std::fmt::Debug for AlertChannelRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertChannelRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// An alert, as evaluation and notification read it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertRow {
    /// `alerts.id`.
    pub id: Uuid,
    /// Its rule.
    pub rule_id: Uuid,
    /// `workflow:<uuid>` or `provider:<uuid>`.
    pub subject: String,
    /// Why, in FlowPulse's words.
    pub message: String,
    /// The numbers behind it.
    #[serde(default)]
    pub details: Value,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
}

const ALERT_COLUMNS: &str = "id,rule_id,subject,message,details,opened_at,resolved_at";

/// A new open alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertInsert {
    /// The owner (the rule's).
    pub user_id: Uuid,
    /// Its rule.
    pub rule_id: Uuid,
    /// `workflow:<uuid>` or `provider:<uuid>`.
    pub subject: String,
    /// The workflow's or instance's name.
    pub subject_label: String,
    /// Why.
    pub message: String,
    /// The numbers behind it.
    pub details: Value,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
}

/// A new pending delivery.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryInsert {
    /// The owner (the alert's).
    pub user_id: Uuid,
    /// The alert notified.
    pub alert_id: Uuid,
    /// Where to.
    pub channel_id: Uuid,
    /// Why.
    pub event: DeliveryEvent,
    /// What to send, as `core::insight::alerts::payload` built it.
    pub payload: Value,
}

/// A delivery whose time has come.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DueDelivery {
    /// `alert_deliveries.id`.
    pub id: Uuid,
    /// Where to.
    pub channel_id: Uuid,
    /// Attempts made so far.
    pub attempts: i32,
    /// What to send.
    #[serde(default)]
    pub payload: Value,
}

/// How an attempt at a delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryResult {
    /// The receiver took it.
    Delivered {
        /// When.
        at: DateTime<Utc>,
    },
    /// Try again at `retry_at`, or never (`None`: the delivery has failed for good).
    Failed {
        /// Why, in FlowPulse's words (at most 500 characters, no URL).
        error: String,
        /// The next attempt, if any.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// A finished execution, as the failure and failure-rate rules read it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FinishedRunRow {
    /// Its workflow row (none for executions of workflows not stored).
    pub workflow_id: Option<Uuid>,
    /// n8n's id.
    pub n8n_execution_id: i64,
    /// `success`, `error` or `crashed`.
    pub status: ExecutionStatus,
    /// n8n's mode (`manual` runs are tests in the editor).
    #[serde(default)]
    pub mode: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// Why it failed, when fetched.
    pub error_message: Option<String>,
    /// n8n's longer explanation.
    #[serde(default)]
    pub error_description: Option<String>,
    /// The failing node.
    #[serde(default)]
    pub error_node: Option<String>,
    /// Its type.
    #[serde(default)]
    pub error_node_type: Option<String>,
}

/// A `sync_logs` row, as reachability reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SyncLogRow {
    /// `sync_logs.id`.
    pub id: Uuid,
    /// `running`, `success`, `partial` or `error`.
    pub status: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its error, if any.
    #[serde(default)]
    pub error_message: Option<String>,
}

impl Store {
    /// The user's enabled alert rules.
    pub async fn enabled_alert_rules(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<AlertRuleRow>, StoreError> {
        self.json(
            self.client
                .from("alert_rules")
                .select("id,name,kind,provider_id,workflow_id,threshold,created_at")
                .eq("user_id", user_id.to_string())
                .eq("enabled", "true")
                .order("created_at.asc,id.asc"),
        )
        .await
    }

    /// `(rule, channel)` pairs of the given rules.
    pub async fn alert_rule_channels(
        &self,
        rule_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            rule_id: Uuid,
            channel_id: Uuid,
        }
        if rule_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = self
            .json(
                self.client
                    .from("alert_rule_channels")
                    .select("rule_id,channel_id")
                    .in_("rule_id", rule_ids.iter().map(Uuid::to_string)),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.rule_id, r.channel_id))
            .collect())
    }

    /// The given channels.
    pub async fn alert_channels(&self, ids: &[Uuid]) -> Result<Vec<AlertChannelRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.json(
            self.client
                .from("alert_channels")
                .select("id,kind,target_ciphertext")
                .in_("id", ids.iter().map(Uuid::to_string)),
        )
        .await
    }

    /// The open alerts of the given rules.
    pub async fn open_alerts(&self, rule_ids: &[Uuid]) -> Result<Vec<AlertRow>, StoreError> {
        if rule_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.json(
            self.client
                .from("alerts")
                .select(ALERT_COLUMNS)
                .in_("rule_id", rule_ids.iter().map(Uuid::to_string))
                .eq("state", "open"),
        )
        .await
    }

    /// Opens an alert; `None` when one is already open for its rule and subject (a
    /// concurrent sync opened it first: one alert, not two).
    pub async fn insert_alert(&self, row: &AlertInsert) -> Result<Option<AlertRow>, StoreError> {
        let inserted: Result<Vec<AlertRow>, StoreError> = self
            .json(
                self.client
                    .from("alerts")
                    .insert(body(row)?)
                    .select(ALERT_COLUMNS),
            )
            .await;
        match inserted {
            Ok(rows) => Ok(rows.into_iter().next()),
            Err(error) if error.kind() == ErrorKind::Duplicate => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Resolves an alert if it is still open; the row when this call resolved it, `None` when
    /// it was already resolved (by a concurrent sync, which notifies instead).
    pub async fn resolve_alert(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<AlertRow>, StoreError> {
        let rows: Vec<AlertRow> = self
            .json(
                self.client
                    .from("alerts")
                    .eq("id", id.to_string())
                    .eq("state", "open")
                    .update(json!({"state": "resolved", "resolved_at": at}).to_string())
                    .select(ALERT_COLUMNS),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// Refreshes an open alert's message and details.
    pub async fn refresh_alert(
        &self,
        id: Uuid,
        message: &str,
        details: &Value,
    ) -> Result<(), StoreError> {
        let builder = self
            .client
            .from("alerts")
            .eq("id", id.to_string())
            .eq("state", "open")
            .update(json!({"message": message, "details": details}).to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Queues deliveries.
    pub async fn queue_deliveries(&self, rows: &[DeliveryInsert]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let builder = self.client.from("alert_deliveries").insert(body(&rows)?);
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Up to `limit` of the user's pending deliveries due at `now`, the longest waiting first.
    pub async fn due_deliveries(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.json(
            self.client
                .from("alert_deliveries")
                .select("id,channel_id,attempts,payload")
                .eq("user_id", user_id.to_string())
                .eq("status", "pending")
                .lte("next_attempt_at", filter_time(now))
                .order("next_attempt_at.asc,id.asc")
                .limit(limit.max(1)),
        )
        .await
    }

    /// Takes a delivery for one attempt: counts the attempt and moves its next attempt to
    /// `lease_until`, only if nobody else took it since it was read (same attempt count).
    /// True when this caller holds it; a run that dies mid-attempt leaves it due again then.
    pub async fn claim_delivery(
        &self,
        delivery: &DueDelivery,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Only whether a row came back matters.
        let rows: Vec<Value> = self
            .json(
                self.client
                    .from("alert_deliveries")
                    .eq("id", delivery.id.to_string())
                    .eq("status", "pending")
                    .eq("attempts", delivery.attempts.to_string())
                    .update(
                        json!({
                            "attempts": delivery.attempts.saturating_add(1),
                            "next_attempt_at": lease_until,
                        })
                        .to_string(),
                    )
                    .select("id"),
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Records how a claimed attempt ended.
    pub async fn finish_delivery(
        &self,
        id: Uuid,
        result: &DeliveryResult,
    ) -> Result<(), StoreError> {
        let update = match result {
            DeliveryResult::Delivered { at } => {
                json!({"status": "delivered", "delivered_at": at, "last_error": null})
            }
            DeliveryResult::Failed {
                error,
                retry_at: Some(at),
            } => json!({"status": "pending", "last_error": error, "next_attempt_at": at}),
            DeliveryResult::Failed {
                error,
                retry_at: None,
            } => json!({"status": "failed", "last_error": error}),
        };
        let builder = self
            .client
            .from("alert_deliveries")
            .eq("id", id.to_string())
            .update(update.to_string());
        self.send(builder, Some("return=minimal")).await.map(drop)
    }

    /// Up to `limit` finished executions (success, error, crashed) of a provider, newest
    /// first: each workflow's latest run and its recent runs.
    pub async fn latest_finished_runs(
        &self,
        provider_id: Uuid,
        limit: usize,
    ) -> Result<Vec<FinishedRunRow>, StoreError> {
        self.json(
            self.client
                .from("executions")
                .select(
                    "workflow_id,n8n_execution_id,status,mode,started_at,error_message,\
                     error_description,error_node,error_node_type",
                )
                .eq("provider_id", provider_id.to_string())
                .in_("status", ["success", "error", "crashed"])
                .order("started_at.desc.nullslast,n8n_execution_id.desc")
                .limit(limit.max(1)),
        )
        .await
    }

    /// The latest `limit` sync logs of a provider, newest first.
    pub async fn recent_sync_logs(
        &self,
        provider_id: Uuid,
        limit: usize,
    ) -> Result<Vec<SyncLogRow>, StoreError> {
        self.json(
            self.client
                .from("sync_logs")
                .select("id,status,started_at,error_message")
                .eq("provider_id", provider_id.to_string())
                .order("started_at.desc,id.desc")
                .limit(limit.max(1)),
        )
        .await
    }

    /// The workflow rows with the given ids (names for alerts).
    pub async fn workflows_by_id(&self, ids: &[Uuid]) -> Result<Vec<WorkflowRef>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.json(
            self.client
                .from("mvp_workflows")
                .select("id,provider_id,n8n_workflow_id,name")
                .in_("id", ids.iter().map(Uuid::to_string)),
        )
        .await
    }
}
