//! Why executions failed: the failures page's groups, one execution's detail with its retry
//! chain, and "Retry" (the edge function's `retry_execution`, with the user's JWT).

use crate::error::AppError;
use crate::model::insight::{ExecutionDetail, FailuresPage, RetryOutcome};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::model::insight::{ChainLink, FailureGroupView};
#[cfg(feature = "ssr")]
use crate::model::ProviderOption;
#[cfg(feature = "ssr")]
use crate::server::{errors, errors::with_status, postgrest::Db, request};
#[cfg(feature = "ssr")]
use chrono::{DateTime, Utc};
#[cfg(feature = "ssr")]
use flowpulse_core::n8n::ExecutionStatus;

/// Failed executions read at once to find each group's latest (newest first); a group whose
/// latest is older is looked up on its own.
#[cfg(feature = "ssr")]
const LATEST_READ: usize = 1000;

/// A row of `failure_groups(p_since)`.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct GroupRow {
    workflow_id: Option<Uuid>,
    provider_id: Uuid,
    error_node: Option<String>,
    error_node_type: Option<String>,
    failures: i64,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    last_day: i64,
    day_before: i64,
    last_message: Option<String>,
}

/// A failed execution, as far as grouping needs it.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct FailedRow {
    id: i64,
    workflow_id: Option<Uuid>,
    provider_id: Uuid,
    error_node: Option<String>,
}

#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct Named {
    id: Uuid,
    name: String,
}

/// Failures grouped by workflow and failing node since `range` began (the dashboard's
/// ranges), for every instance or only `instance`.
#[server]
pub async fn load_failures(
    instance: Option<Uuid>,
    range: String,
) -> Result<FailuresPage, AppError> {
    with_status(
        async {
            use crate::model::ChartRange;
            use chrono::SecondsFormat;

            let db = request::user_db()?;
            let now = Utc::now();
            let since = ChartRange::parse(&range).first_bucket_start(now);
            let stamp = since.to_rfc3339_opts(SecondsFormat::Secs, true);
            let providers_query = [
                ("select", "id,name,status".to_string()),
                ("order", "name".into()),
            ];
            let workflows_query = [("select", "id,name".to_string())];
            // A UI filter, not an isolation filter: RLS has already limited the rows.
            let mut latest_query = vec![
                (
                    "select",
                    "id,workflow_id,provider_id,error_node".to_string(),
                ),
                ("status", "in.(error,crashed)".into()),
                ("started_at", format!("gte.{stamp}")),
                ("order", "started_at.desc.nullslast,id.desc".into()),
                ("limit", LATEST_READ.to_string()),
            ];
            if let Some(id) = instance {
                latest_query.push(("provider_id", format!("eq.{id}")));
            }
            let arguments = serde_json::json!({ "p_since": since });
            let (providers, workflows, groups, latest) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<Named>("mvp_workflows", &workflows_query),
                db.rpc::<Vec<GroupRow>>("failure_groups", &arguments),
                db.select::<FailedRow>("executions", &latest_query),
            );
            let (providers, workflows, mut groups, latest) =
                (providers?, workflows?, groups?, latest?);
            groups.retain(|group| instance.is_none_or(|id| group.provider_id == id));
            groups.sort_by(|a, b| {
                b.failures
                    .cmp(&a.failures)
                    .then(b.last_seen.cmp(&a.last_seen))
            });
            let mut views = Vec::with_capacity(groups.len());
            for group in groups {
                let found = latest
                    .iter()
                    .find(|row| {
                        row.provider_id == group.provider_id
                            && row.workflow_id == group.workflow_id
                            && row.error_node == group.error_node
                    })
                    .map(|row| row.id);
                let latest_execution_id = match found {
                    Some(id) => Some(id),
                    None => latest_of(&db, &group, &stamp).await?,
                };
                views.push(FailureGroupView {
                    workflow: group
                        .workflow_id
                        .and_then(|id| workflows.iter().find(|w| w.id == id))
                        .map_or_else(|| "Workflow not synced yet".into(), |w| w.name.clone()),
                    provider: providers
                        .iter()
                        .find(|p| p.id == group.provider_id)
                        .map_or_else(String::new, |p| p.name.clone()),
                    node: group.error_node,
                    node_type: group.error_node_type,
                    failures: group.failures,
                    first_seen: group.first_seen,
                    last_seen: group.last_seen,
                    last_day: group.last_day,
                    day_before: group.day_before,
                    last_message: group.last_message,
                    latest_execution_id,
                });
            }
            Ok(FailuresPage {
                providers,
                groups: views,
                now,
            })
        }
        .await,
    )
}

/// The latest failure of `group` since `stamp`, read on its own.
#[cfg(feature = "ssr")]
async fn latest_of(db: &Db, group: &GroupRow, stamp: &str) -> Result<Option<i64>, AppError> {
    let is = |value: &Option<String>| {
        value
            .as_ref()
            .map_or_else(|| "is.null".to_string(), |v| format!("eq.{v}"))
    };
    let query = [
        (
            "select",
            "id,workflow_id,provider_id,error_node".to_string(),
        ),
        ("status", "in.(error,crashed)".into()),
        ("started_at", format!("gte.{stamp}")),
        ("provider_id", format!("eq.{}", group.provider_id)),
        (
            "workflow_id",
            is(&group.workflow_id.map(|id| id.to_string())),
        ),
        ("error_node", is(&group.error_node)),
        ("order", "started_at.desc.nullslast,id.desc".into()),
        ("limit", "1".into()),
    ];
    let rows: Vec<FailedRow> = db.select("executions", &query).await?;
    Ok(rows.first().map(|row| row.id))
}

/// An execution with what its detail page needs.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct ExecutionFull {
    id: i64,
    provider_id: Uuid,
    workflow_id: Option<Uuid>,
    n8n_workflow_id: String,
    n8n_execution_id: i64,
    status: ExecutionStatus,
    mode: String,
    started_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
    retry_of: Option<i64>,
    retry_success_id: Option<i64>,
    error_message: Option<String>,
    error_description: Option<String>,
    error_node: Option<String>,
    error_node_type: Option<String>,
}

#[cfg(feature = "ssr")]
fn execution_not_found() -> AppError {
    AppError::NotFound("That execution does not exist or is not yours.".into())
}

/// One execution (`executions.id`): status, times, error and failing node, its retry chain
/// and where it is in n8n. Another user's is not found (RLS), and the page answers 404.
#[server]
pub async fn load_execution(id: i64) -> Result<ExecutionDetail, AppError> {
    with_status(errors::missing_page(
        async {
            #[derive(serde::Deserialize)]
            struct Provider {
                name: String,
                base_url: String,
            }
            #[derive(serde::Deserialize)]
            struct Linked {
                id: i64,
                n8n_execution_id: i64,
                status: ExecutionStatus,
                retry_of: Option<i64>,
            }

            let db = request::user_db()?;
            let rows: Vec<ExecutionFull> = db
                .select(
                    "executions",
                    &[
                        (
                            "select",
                            "id,provider_id,workflow_id,n8n_workflow_id,n8n_execution_id,status,\
                             mode,started_at,stopped_at,duration_ms,retry_of,retry_success_id,\
                             error_message,error_description,error_node,error_node_type"
                                .to_string(),
                        ),
                        ("id", format!("eq.{id}")),
                    ],
                )
                .await?;
            let row = rows.into_iter().next().ok_or_else(execution_not_found)?;
            let chain_ids: Vec<i64> = [row.retry_of, row.retry_success_id]
                .into_iter()
                .flatten()
                .collect();
            let mut neighbours = format!("(retry_of.eq.{}", row.n8n_execution_id);
            if !chain_ids.is_empty() {
                neighbours.push_str(&format!(
                    ",n8n_execution_id.{}",
                    crate::server::postgrest::in_list(&chain_ids)
                ));
            }
            neighbours.push(')');
            let provider_query = [
                ("select", "name,base_url".to_string()),
                ("id", format!("eq.{}", row.provider_id)),
            ];
            let workflow_query = [
                ("select", "id,name".to_string()),
                (
                    "id",
                    format!("eq.{}", row.workflow_id.unwrap_or_else(Uuid::nil)),
                ),
            ];
            // The chain's neighbours and every retry of this one, on the same instance.
            let linked_query = [
                ("select", "id,n8n_execution_id,status,retry_of".to_string()),
                ("provider_id", format!("eq.{}", row.provider_id)),
                ("or", neighbours),
                ("order", "n8n_execution_id.desc".into()),
                ("limit", "50".into()),
            ];
            let (provider, workflow, linked) = tokio::join!(
                db.select::<Provider>("providers", &provider_query),
                db.select::<Named>("mvp_workflows", &workflow_query),
                db.select::<Linked>("executions", &linked_query),
            );
            let (provider, workflow, linked) = (provider?, workflow?, linked?);
            let provider = provider.into_iter().next();
            let link = |n8n_id: i64| {
                let stored = linked.iter().find(|l| l.n8n_execution_id == n8n_id);
                ChainLink {
                    n8n_execution_id: n8n_id,
                    id: stored.map(|l| l.id),
                    status: stored.map(|l| l.status),
                }
            };
            let n8n_link = provider.as_ref().map(|p| {
                let base = flowpulse_core::base_url::redact_user_info(&p.base_url);
                format!(
                    "{}/workflow/{}/executions/{}",
                    base.trim_end_matches('/'),
                    row.n8n_workflow_id,
                    row.n8n_execution_id
                )
            });
            Ok(ExecutionDetail {
                id: row.id,
                n8n_execution_id: row.n8n_execution_id,
                workflow: workflow.into_iter().next().map_or_else(
                    || format!("n8n workflow {}", row.n8n_workflow_id),
                    |w| w.name,
                ),
                workflow_id: row.workflow_id,
                provider: provider.map(|p| p.name).unwrap_or_default(),
                status: row.status,
                mode: row.mode,
                started_at: row.started_at,
                stopped_at: row.stopped_at,
                duration_ms: row.duration_ms,
                error_message: row.error_message,
                error_description: row.error_description,
                error_node: row.error_node,
                error_node_type: row.error_node_type,
                retry_of: row.retry_of.map(link),
                retry_success: row.retry_success_id.map(link),
                retries: linked
                    .iter()
                    .filter(|l| l.retry_of == Some(row.n8n_execution_id))
                    .map(|l| link(l.n8n_execution_id))
                    .collect(),
                n8n_link,
                retryable: matches!(
                    row.status,
                    ExecutionStatus::Error | ExecutionStatus::Crashed | ExecutionStatus::Canceled
                ),
                now: Utc::now(),
            })
        }
        .await,
    ))
}

/// "Retry": n8n runs the failed execution `id` again with the workflow's current version;
/// the edge function stores the new execution at once, linked to this one. At a stable
/// address (`POST /api/retry_execution`, `id=<executions.id>`).
#[server(endpoint = "retry_execution")]
pub async fn retry_execution(id: i64) -> Result<RetryOutcome, AppError> {
    with_status(
        async {
            #[derive(serde::Deserialize)]
            struct Stored {
                id: i64,
                provider_id: Uuid,
            }
            let (state, session) = request::signed_in()?;
            let report = crate::server::retry::retry(&state, &session, id).await?;
            let db = Db::new(&state, &session);
            let original: Vec<Stored> = db
                .select(
                    "executions",
                    &[
                        ("select", "id,provider_id".to_string()),
                        ("id", format!("eq.{id}")),
                    ],
                )
                .await?;
            let new_id = match original.first() {
                Some(original) => db
                    .select::<Stored>(
                        "executions",
                        &[
                            ("select", "id,provider_id".to_string()),
                            ("provider_id", format!("eq.{}", original.provider_id)),
                            (
                                "n8n_execution_id",
                                format!("eq.{}", report.retry_n8n_execution_id),
                            ),
                        ],
                    )
                    .await?
                    .first()
                    .map(|row| row.id),
                None => None,
            };
            Ok(RetryOutcome {
                n8n_execution_id: report.retry_n8n_execution_id,
                id: new_id,
                status: report.status,
            })
        }
        .await,
    )
}
