//! Sync logs (with 24-hour statistics) and the paged execution history.

use crate::error::AppError;
use crate::model::{ExecutionPage, SyncLogPage};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::model::ProviderOption;
#[cfg(feature = "ssr")]
use crate::server::{errors::with_status, request};

/// Rows per page of execution history.
pub const EXECUTIONS_PER_PAGE: u64 = 50;

/// The time windows the executions page offers: URL value and label.
pub const TIME_RANGES: [(&str, &str); 5] = [
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("all", "All time"),
];

/// Recent runs (newest first, up to 100) and the 24-hour statistics per instance and type.
#[server]
pub async fn load_sync_logs(
    instance: Option<Uuid>,
    sync_type: Option<String>,
) -> Result<SyncLogPage, AppError> {
    with_status(
        async {
            use crate::model::{SyncLogView, SyncStatsView};
            use chrono::{DateTime, Duration, Utc};
            use flowpulse_core::rows::{SyncLogRow, SyncType};

            #[derive(serde::Deserialize)]
            struct StatsRow {
                provider_id: Option<Uuid>,
                sync_type: SyncType,
                runs: i64,
                success_rate: Option<f64>,
                avg_duration_ms: Option<i64>,
            }

            let db = request::user_db()?;
            let now = Utc::now();
            let mut runs_query = vec![
                ("select", "*".to_string()),
                ("order", "started_at.desc".to_string()),
                ("limit", "100".to_string()),
            ];
            if let Some(id) = instance {
                runs_query.push(("provider_id", format!("eq.{id}")));
            }
            if let Some(kind) = sync_type.filter(|kind| {
                ["manual", "scheduled", "cleanup", "workflow"].contains(&kind.as_str())
            }) {
                runs_query.push(("sync_type", format!("eq.{kind}")));
            }
            let since: DateTime<Utc> = now - Duration::hours(24);
            let providers_query = [
                ("select", "id,name,status".into()),
                ("order", "name".into()),
            ];
            let stats_arguments = serde_json::json!({ "p_since": since });
            let (providers, runs, stats) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<SyncLogRow>("sync_logs", &runs_query),
                db.rpc::<Vec<StatsRow>>("sync_stats", &stats_arguments),
            );
            let (providers, runs, stats) = (providers?, runs?, stats?);
            let name_of = |id: Option<Uuid>| match id {
                None => "All instances".to_string(),
                Some(id) => providers
                    .iter()
                    .find(|provider| provider.id == id)
                    .map_or_else(
                        || "Deleted instance".into(),
                        |provider| provider.name.clone(),
                    ),
            };
            let stats = stats
                .into_iter()
                .filter(|row| instance.is_none() || row.provider_id == instance)
                .map(|row| SyncStatsView {
                    provider: name_of(row.provider_id),
                    sync_type: row.sync_type,
                    runs: row.runs,
                    success_rate: row.success_rate.map(|percent| percent / 100.0),
                    avg_duration_ms: row.avg_duration_ms,
                })
                .collect();
            let runs = runs
                .into_iter()
                .map(|row| SyncLogView {
                    id: row.id,
                    provider: name_of(row.provider_id),
                    sync_type: row.sync_type,
                    status: row.status,
                    started_at: row.started_at,
                    duration_ms: row.duration_ms,
                    workflows_synced: row.workflows_synced,
                    executions_synced: row.executions_synced,
                    error_message: row.error_message,
                })
                .collect();
            Ok(SyncLogPage {
                providers,
                stats,
                runs,
                now,
            })
        }
        .await,
    )
}

/// One page of executions, newest first, filtered by workflow, status, instance and time.
#[server]
pub async fn load_executions(
    workflow: Option<Uuid>,
    status: Option<String>,
    instance: Option<Uuid>,
    range: Option<String>,
    page: u64,
) -> Result<ExecutionPage, AppError> {
    with_status(
        async {
            use crate::model::{ExecutionView, WorkflowOption};
            use crate::server::durations::{by_workflow, Narrowing, WorkflowDurations};
            use chrono::{Duration, SecondsFormat, Utc};
            use flowpulse_core::n8n::ExecutionStatus;
            use flowpulse_core::rows::ExecutionRow;

            #[derive(serde::Deserialize)]
            struct WorkflowName {
                id: Uuid,
                provider_id: Uuid,
                name: String,
            }

            let db = request::user_db()?;
            let now = Utc::now();
            let offset = page * EXECUTIONS_PER_PAGE;
            let mut query = vec![
                ("select", "*".to_string()),
                ("order", "started_at.desc.nullslast,id.desc".to_string()),
                ("limit", EXECUTIONS_PER_PAGE.to_string()),
                ("offset", offset.to_string()),
            ];
            if let Some(id) = workflow {
                query.push(("workflow_id", format!("eq.{id}")));
            }
            if let Some(id) = instance {
                query.push(("provider_id", format!("eq.{id}")));
            }
            if let Some(status) = status.filter(|s| !s.is_empty()) {
                query.push((
                    "status",
                    format!("eq.{}", ExecutionStatus::from_wire(&status).as_str()),
                ));
            }
            let window = match range.as_deref().unwrap_or("all") {
                "1h" => Some(Duration::hours(1)),
                "24h" => Some(Duration::hours(24)),
                "7d" => Some(Duration::days(7)),
                "30d" => Some(Duration::days(30)),
                _ => None,
            };
            let since = window.map(|window| now - window);
            if let Some(since) = since {
                let since = since.to_rfc3339_opts(SecondsFormat::Secs, true);
                query.push(("started_at", format!("gte.{since}")));
            }
            // "All time" for the RPC: earlier than any execution n8n can have recorded.
            let durations_arguments = Narrowing {
                p_since: since.unwrap_or(chrono::DateTime::UNIX_EPOCH),
                p_bucket: None,
                p_provider_id: None,
                p_workflow_id: workflow,
            };
            let providers_query = [
                ("select", "id,name,status".into()),
                ("order", "name".into()),
            ];
            let workflows_query = [
                ("select", "id,provider_id,name".into()),
                ("order", "name".into()),
            ];
            let durations = async {
                match workflow {
                    Some(_) => db
                        .rpc::<Vec<WorkflowDurations>>("workflow_durations", &durations_arguments)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            };
            let (providers, workflows, rows, durations) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<WorkflowName>("mvp_workflows", &workflows_query),
                db.select_counted::<ExecutionRow>("executions", &query),
                durations,
            );
            let (providers, workflows, (rows, total), durations) =
                (providers?, workflows?, rows?, durations?);
            let durations = workflow
                .zip(durations)
                .and_then(|(id, rows)| by_workflow(rows).remove(&id));
            let rows = rows
                .into_iter()
                .map(|row| ExecutionView {
                    id: row.id,
                    n8n_execution_id: row.n8n_execution_id,
                    workflow: row
                        .workflow_id
                        .and_then(|id| workflows.iter().find(|w| w.id == id))
                        .map_or_else(
                            || format!("n8n workflow {}", row.n8n_workflow_id),
                            |w| w.name.clone(),
                        ),
                    provider: providers
                        .iter()
                        .find(|p| p.id == row.provider_id)
                        .map_or_else(String::new, |p| p.name.clone()),
                    status: row.status,
                    mode: row.mode,
                    started_at: row.started_at,
                    duration_ms: row.duration_ms,
                    error_message: row.error_message,
                })
                .collect();
            let workflows = workflows
                .into_iter()
                .filter(|w| instance.is_none_or(|id| w.provider_id == id))
                .map(|w| WorkflowOption {
                    id: w.id,
                    name: w.name,
                })
                .collect();
            Ok(ExecutionPage {
                providers,
                workflows,
                rows,
                total,
                offset,
                limit: EXECUTIONS_PER_PAGE,
                durations,
                now,
            })
        }
        .await,
    )
}
