//! `cleanup_workflows`: per provider, archive workflows n8n no longer lists and delete in n8n
//! the orphaned `[USR-…]` workflows; then prune history by retention. Each provider gets a
//! `sync_logs` row of type `cleanup` (dry runs too, with `details.dry_run = true`).
//!
//! What counts as an orphan, deliberately narrow because deleting in n8n cannot be undone:
//! - the name parses as `[USR-xxxxxxxx] …` (core::naming) AND its prefix is the provider
//!   owner's — on an n8n instance shared by several FlowPulse users, one user's cleanup never
//!   touches another's workflows; legacy bare `[USR-]` names belong to nobody and are only
//!   reported (`details.skipped_legacy`);
//! - no `mvp_workflows` row of that provider (archived ones included) has its n8n id — the
//!   sync never creates rows for `[USR-]` workflows (see `workflows`), so a missing row means
//!   the user deleted it in FlowPulse (or FlowPulse never recorded it);
//! - it was last saved in n8n more than [`ORPHAN_GRACE`] ago, so a workflow the app is
//!   creating right now (n8n first, row second) is not raced.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use flowpulse_core::contract::{CleanupReport, CleanupWorkflow};
use flowpulse_core::naming::parse_user_workflow_name;
use flowpulse_core::rows::{Provider, SyncType};
use serde_json::json;

use super::{Ctx, Progress, ProviderOutcome, RunReport};
use crate::error::EdgeError;
use crate::runtime;

/// How long a `[USR-]` workflow without a row is left alone after its last save in n8n.
pub const ORPHAN_GRACE: Duration = Duration::hours(1);

#[derive(Default)]
struct Found {
    archived: Vec<CleanupWorkflow>,
    deleted: Vec<CleanupWorkflow>,
}

pub(super) async fn run(ctx: &Ctx<'_>, dry_run: bool) -> Result<RunReport, EdgeError> {
    let now = runtime::now();
    let days = |n: u32| Duration::days(i64::from(n));
    let pruned = ctx
        .store
        .prune_history(
            now - days(ctx.config.sync_log_retention_days),
            now - days(ctx.config.execution_retention_days),
            dry_run,
        )
        .await?;
    let providers = ctx.store.providers(None).await?;
    let results = ctx
        .for_each_provider(&providers, |provider| {
            cleanup_provider(ctx, provider, dry_run, now)
        })
        .await;
    let mut report = CleanupReport {
        dry_run,
        archived_workflows: Vec::new(),
        deleted_n8n_workflows: Vec::new(),
        pruned_sync_logs: pruned.sync_logs,
        pruned_executions: pruned.executions,
    };
    let mut outcomes = Vec::with_capacity(results.len());
    for (outcome, found) in results {
        report.archived_workflows.extend(found.archived);
        report.deleted_n8n_workflows.extend(found.deleted);
        outcomes.push(outcome);
    }
    Ok(ctx.report(outcomes, Some(report)))
}

async fn cleanup_provider(
    ctx: &Ctx<'_>,
    provider: &Provider,
    dry_run: bool,
    now: DateTime<Utc>,
) -> (ProviderOutcome, Found) {
    let progress = Progress::new(provider.id);
    let found = Mutex::new(Found::default());
    progress.detail("dry_run", json!(dry_run));
    let work = async {
        let client = match ctx.client(provider) {
            Ok(client) => client,
            Err(message) => return progress.error(message),
        };
        let listed = match client.all_workflows().await {
            Ok(listed) => listed,
            Err(error) => return progress.n8n_error("list workflows", &error),
        };
        progress.reached_n8n();
        let named = |n8n_workflow_id: String, name: String| CleanupWorkflow {
            provider_id: provider.id,
            n8n_workflow_id,
            name,
        };

        let present: Vec<String> = listed.iter().map(|w| w.id.clone()).collect();
        match ctx
            .store
            .archive_missing_workflows(provider.id, &present, dry_run)
            .await
        {
            Ok(archived) => {
                if !dry_run {
                    progress.wrote(archived.len() as u64, 0);
                }
                let mut found = lock(&found);
                for workflow in archived {
                    found
                        .archived
                        .push(named(workflow.n8n_workflow_id, workflow.name));
                }
            }
            Err(error) => progress.store_error("archive vanished workflows", &error),
        }

        let referenced = match ctx.store.workflow_n8n_ids(provider.id).await {
            Ok(referenced) => referenced,
            Err(error) => return progress.store_error("read stored workflows", &error),
        };
        let (mut legacy, mut recent) = (Vec::new(), Vec::new());
        for workflow in listed.iter().filter(|w| !referenced.contains(&w.id)) {
            let Some(parsed) = parse_user_workflow_name(&workflow.name) else {
                continue;
            };
            if parsed.is_legacy() {
                legacy.push(json!({"n8n_workflow_id": workflow.id, "name": workflow.name}));
                continue;
            }
            if !parsed.belongs_to(provider.user_id) {
                continue;
            }
            if workflow.updated_at > now - ORPHAN_GRACE {
                recent.push(json!({"n8n_workflow_id": workflow.id, "name": workflow.name}));
                continue;
            }
            if !dry_run {
                if let Err(error) = client.delete_workflow(&workflow.id).await {
                    progress.n8n_error(&format!("delete workflow {:?}", workflow.name), &error);
                    continue;
                }
                progress.wrote(1, 0);
            }
            lock(&found)
                .deleted
                .push(named(workflow.id.clone(), workflow.name.clone()));
        }
        progress.detail("skipped_legacy", json!(legacy));
        progress.detail("skipped_recent", json!(recent));
        let found = lock(&found);
        let ids = |list: &[CleanupWorkflow]| -> Vec<String> {
            list.iter().map(|w| w.n8n_workflow_id.clone()).collect()
        };
        progress.detail("archived", json!(ids(&found.archived)));
        let key = if dry_run { "would_delete" } else { "deleted" };
        progress.detail(key, json!(ids(&found.deleted)));
    };
    let outcome = ctx
        .supervise(provider, SyncType::Cleanup, &progress, work)
        .await;
    let found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (outcome, found)
}

fn lock(found: &Mutex<Found>) -> std::sync::MutexGuard<'_, Found> {
    found
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
