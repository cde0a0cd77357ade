//! The dashboard's data and "Sync now".

use crate::error::AppError;
use crate::model::{Dashboard, SyncOutcome, TableQuery};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{
    errors::with_status, metrics::SyncOutcome as SyncRunOutcome, postgrest::Db, request,
};

/// Rows per page of the dashboard's workflow table.
pub const WORKFLOWS_PER_PAGE: u32 = 100;

/// Totals, chart and one page of the workflow table, for every instance or only `instance`.
/// The table is narrowed (name search, node and credential types), sorted and paged by the
/// database; the chart and the durations cover `range`. Whatever the number of workflows or
/// executions, nothing here reads every row.
#[server]
pub async fn load_dashboard(
    instance: Option<Uuid>,
    range: String,
    table: TableQuery,
) -> Result<Dashboard, AppError> {
    with_status(
        async {
            use crate::chart::fill_buckets;
            use crate::model::{ChartRange, ProviderOption, Totals};
            use crate::server::durations::{self, ChartFigures, Narrowing};
            use crate::server::workflow_table::{
                filter_text, into_page, FilterChoices, InstanceArgument, TableArguments, TableRow,
                WorkflowTotals, WORKFLOWS_PER_PAGE,
            };
            use chrono::{DateTime, Duration, SecondsFormat, Utc};

            let db = request::user_db()?;
            let now = Utc::now();
            let range = ChartRange::parse(&range);
            let timestamp = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
            let since = range.first_bucket_start(now);
            let providers_query = [
                ("select", "id,name,status".to_string()),
                ("order", "name".to_string()),
            ];
            // A UI filter, not an isolation filter: RLS has already limited the rows.
            let mut failures_query = vec![
                ("select", "id".to_string()),
                ("status", "in.(error,crashed)".into()),
                (
                    "started_at",
                    format!("gte.{}", timestamp(now - Duration::hours(24))),
                ),
                ("limit", "1".into()),
            ];
            if let Some(id) = instance {
                failures_query.push(("provider_id", format!("eq.{id}")));
            }
            let chart_arguments = Narrowing {
                p_since: since,
                p_bucket: Some(durations::bucket_interval(range)),
                p_provider_id: instance,
                p_workflow_id: None,
            };
            let table_offset = table.page.saturating_mul(u64::from(WORKFLOWS_PER_PAGE));
            let table_arguments = TableArguments {
                p_since: since,
                p_provider_id: instance,
                p_search: filter_text(table.search),
                p_node: filter_text(table.node),
                p_credential: filter_text(table.credential),
                p_sort: table.sort,
                p_descending: table.descending,
                p_limit: WORKFLOWS_PER_PAGE,
                p_offset: table_offset,
            };
            let of_instance = InstanceArgument {
                p_provider_id: instance,
            };
            let (providers, failures, chart, rows, totals, choices) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select_counted::<serde_json::Value>("executions", &failures_query),
                db.rpc::<Vec<ChartFigures>>("execution_chart", &chart_arguments),
                db.rpc::<Vec<TableRow>>("workflow_table", &table_arguments),
                db.rpc::<Vec<WorkflowTotals>>("workflow_totals", &of_instance),
                db.rpc::<Vec<FilterChoices>>("workflow_filter_choices", &of_instance),
            );
            let (providers, (_, failures_24h), chart, rows, totals, choices) =
                (providers?, failures?, chart?, rows?, totals?, choices?);
            let (table, table_total) = into_page(rows);
            let (workflows, executions, successful) = totals
                .into_iter()
                .next()
                .map_or((0, 0, 0), |t| (t.workflows, t.executions, t.successful));
            let totals = Totals {
                workflows: usize::try_from(workflows).unwrap_or(0),
                executions,
                success_rate: flowpulse_core::counters::success_rate(successful, executions),
                failures_24h: i64::try_from(failures_24h).unwrap_or(i64::MAX),
            };
            let filters = table_filters(choices.into_iter().next().unwrap_or_default());
            let chart = fill_buckets(range, now, chart.into_iter().map(ChartFigures::into_bucket));
            Ok(Dashboard {
                providers,
                table,
                table_total,
                table_offset,
                filters,
                totals,
                chart,
                now,
            })
        }
        .await,
    )
}

/// The filter choices: every node type and credential type the workflows use, labelled.
#[cfg(feature = "ssr")]
fn table_filters(
    choices: crate::server::workflow_table::FilterChoices,
) -> crate::model::TableFilters {
    use flowpulse_core::builder::catalogue::spec_by_type;
    let (nodes, credentials) = (choices.node_types, choices.credential_types);
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
    fn filter_choices_are_labelled_and_node_types_sorted_by_label() {
        // As the database sends them: distinct, sorted by type.
        let choices = crate::server::workflow_table::FilterChoices {
            node_types: vec![
                "@acme/n8n-nodes-acme.thing".to_string(),
                "n8n-nodes-base.slack".to_string(),
                "n8n-nodes-base.webhook".to_string(),
            ],
            credential_types: vec!["acmeApi".to_string(), "slackApi".to_string()],
        };
        let filters = table_filters(choices);
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
