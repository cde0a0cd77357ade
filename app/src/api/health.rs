//! The health page: per instance, the workflows whose latest verdict (`workflow_health`,
//! written by the sync) is not ok, with what was found.

use crate::error::AppError;
use crate::model::insight::HealthPage;
use leptos::prelude::*;

/// How bad a status word is, worst first when sorted.
pub fn severity_rank(status: &str) -> u8 {
    match status {
        "critical" => 0,
        "warning" => 1,
        "unknown" => 2,
        _ => 3,
    }
}

/// Every instance of the user with its workflows that are not ok, worst first.
#[server]
pub async fn load_health() -> Result<HealthPage, AppError> {
    crate::server::errors::with_status(
        async {
            use crate::model::insight::{FindingView, InstanceHealth, UnhealthyWorkflow};
            use crate::model::ProviderOption;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;

            #[derive(serde::Deserialize)]
            struct HealthRow {
                workflow_id: Uuid,
                provider_id: Uuid,
                status: String,
                #[serde(default)]
                findings: Vec<FindingView>,
                evaluated_at: DateTime<Utc>,
            }
            #[derive(serde::Deserialize)]
            struct Named {
                id: Uuid,
                name: String,
            }

            let db = crate::server::request::user_db()?;
            let providers_query = [
                ("select", "id,name,status".to_string()),
                ("order", "name".into()),
            ];
            let health_query = [(
                "select",
                "workflow_id,provider_id,status,findings,evaluated_at".to_string(),
            )];
            let workflows_query = [
                ("select", "id,name".to_string()),
                ("archived", "is.false".into()),
            ];
            let (providers, health, workflows) = tokio::join!(
                db.select::<ProviderOption>("providers", &providers_query),
                db.select::<HealthRow>("workflow_health", &health_query),
                db.select::<Named>("mvp_workflows", &workflows_query),
            );
            let (providers, health, workflows) = (providers?, health?, workflows?);
            let instances = providers
                .into_iter()
                .map(|provider| {
                    let mine: Vec<&HealthRow> = health
                        .iter()
                        .filter(|row| row.provider_id == provider.id)
                        .filter(|row| workflows.iter().any(|w| w.id == row.workflow_id))
                        .collect();
                    let ok_count = mine.iter().filter(|row| row.status == "ok").count();
                    let mut unhealthy: Vec<UnhealthyWorkflow> = mine
                        .into_iter()
                        .filter(|row| row.status != "ok")
                        .map(|row| UnhealthyWorkflow {
                            id: row.workflow_id,
                            name: workflows
                                .iter()
                                .find(|w| w.id == row.workflow_id)
                                .map_or_else(String::new, |w| w.name.clone()),
                            status: row.status.clone(),
                            findings: row.findings.clone(),
                            evaluated_at: row.evaluated_at,
                        })
                        .collect();
                    unhealthy.sort_by(|a, b| {
                        severity_rank(&a.status)
                            .cmp(&severity_rank(&b.status))
                            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                    });
                    InstanceHealth {
                        provider,
                        workflows: unhealthy,
                        ok_count,
                    }
                })
                .collect();
            Ok(HealthPage {
                instances,
                now: Utc::now(),
            })
        }
        .await,
    )
}
