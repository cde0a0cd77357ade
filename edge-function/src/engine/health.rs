//! Step 4 of a provider sync: how each workflow is doing. With the executions just synced,
//! every current workflow of the instance is judged by `core::insight::health` (missed
//! scheduled runs, stuck executions, a failure rate far above its own normal) and the verdict
//! replaces the last one in `workflow_health`, where the dashboard reads it.

use flowpulse_core::insight::health::{evaluate, Health, HealthStatus};
use flowpulse_core::rows::Provider;
use serde_json::json;
use uuid::Uuid;

use super::{Ctx, Progress};
use crate::runtime;
use crate::store::HealthRow;

/// Judges every workflow of `provider`; returns the verdicts (for the alert rules), or `None`
/// when the inputs could not be read.
pub(super) async fn evaluate_all(
    ctx: &Ctx<'_>,
    provider: &Provider,
    progress: &Progress,
) -> Option<Vec<(Uuid, Health)>> {
    let now = runtime::now();
    let inputs = match ctx.store.health_inputs(provider.id, now).await {
        Ok(inputs) => inputs,
        Err(error) => {
            progress.store_error("read what the health check needs", &error);
            return None;
        }
    };
    let verdicts: Vec<(Uuid, Health)> = inputs
        .iter()
        .map(|row| {
            (
                row.workflow_id,
                evaluate(&row.to_input(), &ctx.config.health, now),
            )
        })
        .collect();
    let rows: Vec<HealthRow<'_>> = verdicts
        .iter()
        .map(|(workflow, health)| {
            HealthRow::new(*workflow, provider.id, provider.user_id, health, now)
        })
        .collect();
    if let Err(error) = ctx.store.save_health(&rows).await {
        progress.store_error("store the health of workflows", &error);
        return None;
    }
    let count = |status| verdicts.iter().filter(|(_, h)| h.status == status).count();
    if verdicts.iter().any(|(_, h)| h.status != HealthStatus::Ok) {
        progress.detail(
            "health",
            json!({
                "critical": count(HealthStatus::Critical),
                "warning": count(HealthStatus::Warning),
                "unknown": count(HealthStatus::Unknown),
            }),
        );
    }
    Some(verdicts)
}
