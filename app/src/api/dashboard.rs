//! The dashboard's data and "Sync now".

use crate::error::AppError;
use crate::model::{Dashboard, SyncOutcome};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{
    errors::with_status, metrics::SyncOutcome as SyncRunOutcome, postgrest::Db, request,
};

/// At most this many executions are read for the chart (newest first); beyond it the chart
/// says it is truncated. A database-side histogram RPC would lift the limit.
#[cfg(feature = "ssr")]
const CHART_ROW_CAP: usize = 20_000;

/// Totals, chart and workflow table, for every instance or only `instance`.
#[server]
pub async fn load_dashboard(instance: Option<Uuid>, range: String) -> Result<Dashboard, AppError> {
    with_status(
        async {
            use crate::chart::bucket_executions;
            use crate::model::{ChartRange, ProviderOption, Totals, WorkflowSummary};
            use chrono::{DateTime, Duration, SecondsFormat, Utc};
            use flowpulse_core::n8n::ExecutionStatus;

            #[derive(serde::Deserialize)]
            struct ChartPoint {
                started_at: Option<DateTime<Utc>>,
                status: ExecutionStatus,
            }

            let db = request::user_db()?;
            let now = Utc::now();
            let range = ChartRange::parse(&range);
            let timestamp = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
            // A UI filter, not an isolation filter: RLS has already limited the rows.
            let instance_filter: Vec<(&str, String)> = instance
                .map(|id| ("provider_id", format!("eq.{id}")))
                .into_iter()
                .collect();
            let with_instance = |mut query: Vec<(&'static str, String)>| {
                query.extend(instance_filter.iter().cloned());
                query
            };

            let providers_query = [
                ("select", "id,name,status".to_string()),
                ("order", "name".to_string()),
            ];
            let workflows_query = with_instance(vec![
                (
                    "select",
                    "id,provider_id,name,active,execution_count,successful_executions,\
                     failed_executions,last_execution_at,last_execution_status,last_sync_at"
                        .into(),
                ),
                ("archived", "is.false".into()),
                ("order", "name".into()),
            ]);
            let failures_query = with_instance(vec![
                ("select", "id".into()),
                ("status", "in.(error,crashed)".into()),
                (
                    "started_at",
                    format!("gte.{}", timestamp(now - Duration::hours(24))),
                ),
                ("limit", "1".into()),
            ]);
            let chart_query = with_instance(vec![
                ("select", "started_at,status".into()),
                (
                    "started_at",
                    format!("gte.{}", timestamp(range.first_bucket_start(now))),
                ),
                ("order", "started_at.desc".into()),
                ("limit", CHART_ROW_CAP.to_string()),
            ]);
            let (providers, workflows, failures, chart) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<WorkflowSummary>("mvp_workflows", &workflows_query),
                db.select_counted::<serde_json::Value>("executions", &failures_query),
                db.select::<ChartPoint>("executions", &chart_query),
            );
            let (providers, workflows, (_, failures_24h), chart) =
                (providers?, workflows?, failures?, chart?);

            let executions: i64 = workflows.iter().map(|w| w.execution_count).sum();
            let successful: i64 = workflows.iter().map(|w| w.successful_executions).sum();
            let totals = Totals {
                workflows: workflows.len(),
                executions,
                success_rate: flowpulse_core::counters::success_rate(successful, executions),
                failures_24h: i64::try_from(failures_24h).unwrap_or(i64::MAX),
            };
            let chart_truncated = chart.len() >= CHART_ROW_CAP;
            let chart = bucket_executions(
                range,
                now,
                chart
                    .into_iter()
                    .filter_map(|point| point.started_at.map(|at| (at, point.status))),
            );
            Ok(Dashboard {
                providers,
                workflows,
                totals,
                chart,
                chart_truncated,
                now,
            })
        }
        .await,
    )
}

/// Calls the `workflow-sync` edge function for every instance, or only `instance`, with the
/// user's JWT, and explains each instance's result.
///
/// At a stable address (`POST /api/sync_now`, form-encoded `instance=<uuid>` or nothing), so
/// scripts and probes can call it like the button does.
#[server(endpoint = "sync_now")]
pub async fn sync_now(instance: Option<Uuid>) -> Result<SyncOutcome, AppError> {
    with_status(
        async {
            use crate::server::edge;
            use std::collections::HashMap;

            #[derive(serde::Deserialize)]
            struct ProviderUrl {
                id: Uuid,
                base_url: String,
            }

            let (state, session) = request::signed_in()?;
            let response = edge::sync_all(&state, &session, instance).await;
            state.metrics.sync_run(match &response {
                Ok(reply) if reply.ok => SyncRunOutcome::Success,
                Ok(_) => SyncRunOutcome::Partial,
                Err(_) => SyncRunOutcome::Error,
            });
            let response = response?;
            // Only to name the URL to check in failure messages.
            let urls: HashMap<Uuid, String> = Db::new(&state, &session)
                .select::<ProviderUrl>("providers", &[("select", "id,base_url".into())])
                .await
                .map(|rows| {
                    rows.into_iter()
                        .map(|row| {
                            (
                                row.id,
                                flowpulse_core::base_url::redact_user_info(&row.base_url),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(SyncOutcome {
                results: response
                    .results
                    .iter()
                    .map(|result| {
                        edge::explain(result, urls.get(&result.provider_id).map(String::as_str))
                    })
                    .collect(),
            })
        }
        .await,
    )
}
