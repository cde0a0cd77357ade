//! Step 3 of a provider sync: why executions failed. The newest failed executions whose
//! details were never looked for are fetched by id with their run data, a few per run, and
//! only the error's message, description and failing node are kept (redacted and cut by
//! `core::insight::failure`); the run data itself is dropped at once.

use flowpulse_core::insight::failure::failure_detail;
use flowpulse_core::n8n::ExecutionId;
use flowpulse_core::rows::Provider;
use serde_json::json;

use super::{Ctx, Progress};
use flowpulse_n8n::N8nClient;

/// Most failures looked into per provider and run: bounded, so a backlog of failures never
/// crowds out the counting, and the rest follow in later runs.
pub const DETAILS_PER_RUN: usize = 10;

/// Looks into up to [`DETAILS_PER_RUN`] failures of `provider`.
pub(super) async fn fetch_details(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    progress: &Progress,
) {
    let pending = match ctx
        .store
        .failures_without_details(provider.id, DETAILS_PER_RUN)
        .await
    {
        Ok(pending) => pending,
        Err(error) => return progress.store_error("list failures to explain", &error),
    };
    let mut workflows: Vec<_> = pending.iter().filter_map(|f| f.workflow_id).collect();
    workflows.sort_unstable();
    workflows.dedup();
    // Without the definitions a failing node keeps its name but loses its type: not fatal.
    let nodes = ctx
        .store
        .workflow_nodes(&workflows)
        .await
        .unwrap_or_default();
    let nodes_of = |workflow: Option<uuid::Uuid>| {
        nodes
            .iter()
            .find(|(id, _)| Some(*id) == workflow)
            .map_or(&[][..], |(_, nodes)| nodes.as_slice())
    };
    let mut explained = 0u64;
    let stop = ctx.failures_deadline();
    for failure in pending {
        if stop.is_past() {
            break;
        }
        let Ok(n8n_id) = u64::try_from(failure.n8n_execution_id) else {
            continue;
        };
        let detail = match client.get_execution(ExecutionId(n8n_id), true).await {
            Ok(execution) => failure_detail(&execution, nodes_of(failure.workflow_id)),
            // Pruned in n8n since: there is nothing left to explain; don't ask again.
            Err(error) if error.is_not_found() => None,
            // The run's time ran out mid-request, not n8n's fault: the rest follow next run.
            Err(_) if stop.is_past() => break,
            Err(error) => return progress.n8n_error("explain failures", &error),
        };
        explained += u64::from(detail.is_some());
        if let Err(error) = ctx
            .store
            .record_failure_detail(failure.id, detail.as_ref())
            .await
        {
            return progress.store_error("store why executions failed", &error);
        }
    }
    if explained > 0 {
        progress.detail("failures_explained", json!(explained));
    }
}
