//! The dashboard's data and "Sync now".

use crate::error::AppError;
use crate::model::{Dashboard, SyncOutcome};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{
    errors::with_status, metrics::SyncOutcome as SyncRunOutcome, postgrest::Db, request,
};

/// Totals, chart and workflow table, for every instance or only `instance`; the table also
/// only with workflows using node type `node` and credential type `credential`. The chart and
/// the durations cover `range` and are computed by the database, whatever the row count.
#[server]
pub async fn load_dashboard(
    instance: Option<Uuid>,
    range: String,
    node: Option<String>,
    credential: Option<String>,
) -> Result<Dashboard, AppError> {
    with_status(
        async {
            use crate::chart::fill_buckets;
            use crate::model::{ChartRange, ProviderOption, Totals, WorkflowSummary};
            use crate::server::durations::{self, ChartFigures, Narrowing, WorkflowDurations};
            use chrono::{DateTime, Duration, SecondsFormat, Utc};

            #[derive(serde::Deserialize)]
            struct WorkflowRow {
                #[serde(flatten)]
                summary: WorkflowSummary,
                #[serde(default)]
                node_types: Vec<String>,
                #[serde(default)]
                required_credential_types: Vec<String>,
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
                     failed_executions,last_execution_at,last_execution_status,last_sync_at,\
                     origin,node_types,required_credential_types"
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
            let since = range.first_bucket_start(now);
            let durations_arguments = Narrowing {
                p_since: since,
                p_bucket: None,
                p_provider_id: instance,
                p_workflow_id: None,
            };
            let chart_arguments = Narrowing {
                p_bucket: Some(durations::bucket_interval(range)),
                ..durations_arguments
            };
            let health_query =
                with_instance(vec![("select", "workflow_id,status,findings".to_string())]);
            let (providers, workflows, failures, chart, durations, health) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<WorkflowRow>("mvp_workflows", &workflows_query),
                db.select_counted::<serde_json::Value>("executions", &failures_query),
                db.rpc::<Vec<ChartFigures>>("execution_chart", &chart_arguments),
                db.rpc::<Vec<WorkflowDurations>>("workflow_durations", &durations_arguments),
                db.select::<HealthRow>("workflow_health", &health_query),
            );
            let (providers, mut rows, (_, failures_24h), chart, durations, health) = (
                providers?, workflows?, failures?, chart?, durations?, health?,
            );
            let (health, durations) = (health_badges(health), durations::by_workflow(durations));
            let attach = |row: &mut WorkflowSummary| {
                row.health = health.get(&row.id).cloned();
                row.durations = durations.get(&row.id).copied();
            };
            rows.iter_mut().for_each(|row| attach(&mut row.summary));
            let filters = table_filters(
                rows.iter()
                    .map(|row| (&row.node_types, &row.required_credential_types)),
            );
            let workflows: Vec<WorkflowSummary> = rows.into_iter().map(|row| row.summary).collect();
            // The table's own filters, on the GIN-indexed arrays; totals and chart stay whole.
            let mut narrowing: Vec<(&str, String)> = Vec::new();
            if let Some(node) = node.as_deref().filter(|n| !n.trim().is_empty()) {
                narrowing.push(("node_types", contains(node.trim())));
            }
            if let Some(credential) = credential.as_deref().filter(|c| !c.trim().is_empty()) {
                narrowing.push(("required_credential_types", contains(credential.trim())));
            }
            let table = if narrowing.is_empty() {
                workflows.clone()
            } else {
                let mut query = workflows_query.clone();
                query.extend(narrowing);
                let mut narrowed: Vec<WorkflowSummary> = db
                    .select::<WorkflowRow>("mvp_workflows", &query)
                    .await?
                    .into_iter()
                    .map(|row| row.summary)
                    .collect();
                narrowed.iter_mut().for_each(attach);
                narrowed
            };

            let executions: i64 = workflows.iter().map(|w| w.execution_count).sum();
            let successful: i64 = workflows.iter().map(|w| w.successful_executions).sum();
            let totals = Totals {
                workflows: workflows.len(),
                executions,
                success_rate: flowpulse_core::counters::success_rate(successful, executions),
                failures_24h: i64::try_from(failures_24h).unwrap_or(i64::MAX),
            };
            let chart = fill_buckets(range, now, chart.into_iter().map(ChartFigures::into_bucket));
            Ok(Dashboard {
                providers,
                workflows,
                table,
                filters,
                totals,
                chart,
                now,
            })
        }
        .await,
    )
}

/// A row of `workflow_health`, as the table's badge needs it.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct HealthRow {
    workflow_id: Uuid,
    status: String,
    #[serde(default)]
    findings: Vec<serde_json::Value>,
}

/// Each workflow's health badge (its verdict and first finding), by id: looked up once per
/// table row, so a map rather than a scan.
#[cfg(feature = "ssr")]
fn health_badges(
    rows: Vec<HealthRow>,
) -> std::collections::HashMap<Uuid, crate::model::insight::HealthBadgeView> {
    rows.into_iter()
        .map(|h| {
            let first_message = h
                .findings
                .first()
                .and_then(|f| f["message"].as_str())
                .map(str::to_string);
            let badge = crate::model::insight::HealthBadgeView {
                status: h.status,
                first_message,
            };
            (h.workflow_id, badge)
        })
        .collect()
}

/// A PostgREST `cs.{…}` filter: the array column contains `value` (quoted as an element, so
/// commas, braces and quotes in it stay part of it).
#[cfg(feature = "ssr")]
fn contains(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("cs.{{\"{escaped}\"}}")
}

/// The filter choices: every node type and credential type the workflows use, labelled.
#[cfg(feature = "ssr")]
fn table_filters<'a>(
    rows: impl Iterator<Item = (&'a Vec<String>, &'a Vec<String>)>,
) -> crate::model::TableFilters {
    use flowpulse_core::builder::catalogue::spec_by_type;
    use std::collections::BTreeSet;
    let (mut nodes, mut credentials) = (BTreeSet::new(), BTreeSet::new());
    for (node_types, credential_types) in rows {
        nodes.extend(node_types.iter().cloned());
        credentials.extend(credential_types.iter().cloned());
    }
    let node_label = |node_type: &str| {
        spec_by_type(node_type).map_or_else(
            || {
                node_type
                    .rsplit('.')
                    .next()
                    .unwrap_or(node_type)
                    .to_string()
            },
            |spec| spec.default_name.to_string(),
        )
    };
    let mut node_types: Vec<(String, String)> = nodes
        .into_iter()
        .map(|t| {
            let label = node_label(&t);
            (t, label)
        })
        .collect();
    node_types.sort_by_key(|(_, label)| label.to_lowercase());
    crate::model::TableFilters {
        node_types,
        credential_types: credentials
            .into_iter()
            .map(|t| {
                let label = crate::server::credential_usage::type_label(&t);
                (t, label)
            })
            .collect(),
    }
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn an_array_filter_quotes_its_element() {
        assert_eq!(
            contains("n8n-nodes-base.slack"),
            r#"cs.{"n8n-nodes-base.slack"}"#
        );
        assert_eq!(contains(r#"a,b"c\d}"#), r#"cs.{"a,b\"c\\d}"}"#);
    }

    #[test]
    fn filter_choices_are_every_type_used_once_with_a_label() {
        let (slack, webhook, odd) = (
            "n8n-nodes-base.slack".to_string(),
            "n8n-nodes-base.webhook".to_string(),
            "@acme/n8n-nodes-acme.thing".to_string(),
        );
        let a = (
            vec![webhook.clone(), slack.clone()],
            vec!["slackApi".to_string()],
        );
        let b = (
            vec![slack.clone(), odd.clone()],
            vec!["acmeApi".to_string()],
        );
        let filters = table_filters([(&a.0, &a.1), (&b.0, &b.1)].into_iter());
        let labels: Vec<&str> = filters.node_types.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["Slack", "thing", "Webhook"]);
        assert_eq!(
            filters.credential_types,
            [
                ("acmeApi".to_string(), "acmeApi".to_string()),
                ("slackApi".to_string(), "Slack API".to_string())
            ]
        );
    }
}
