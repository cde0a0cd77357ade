//! Step 1 of a provider sync: page n8n's workflows and upsert them, writing page k while
//! page k+1 is fetched.
//!
//! A `[USR-…]` workflow (core::naming: one FlowPulse created in n8n on a user's behalf) is only
//! refreshed, never imported: its `mvp_workflows` row is FlowPulse's record that it is still
//! wanted, so a sync must not re-create a row the user deleted. Without that, cleanup could
//! never find an orphan (see `cleanup`). Its executions are still stored, unlinked.

use std::collections::BTreeSet;

use flowpulse_core::n8n::Workflow;
use flowpulse_core::naming::is_user_created;
use flowpulse_core::rows::{Provider, WorkflowUpsert};
use futures::future::join;
use serde_json::json;

use super::{Ctx, Progress};
use crate::runtime;
use crate::store::WorkflowRef;
use flowpulse_n8n::N8nClient;

/// Upserts every workflow n8n lists. True if the listing completed and every write succeeded.
pub(super) async fn sync_all(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    progress: &Progress,
) -> bool {
    let known = match ctx.store.workflow_n8n_ids(provider.id).await {
        Ok(known) => known,
        Err(error) => {
            progress.store_error("read stored workflows", &error);
            return false;
        }
    };
    let mut not_imported: BTreeSet<String> = BTreeSet::new();
    let mut cursor: Option<Option<String>> = Some(None);
    let mut pending: Option<Vec<Workflow>> = None;
    let mut ok = true;
    let mut listed = 0usize;
    while cursor.is_some() || pending.is_some() {
        let fetch = async {
            match &cursor {
                Some(cursor) => Some(client.list_workflows(cursor.as_deref()).await),
                None => None,
            }
        };
        let write = upsert(ctx, provider, pending.take(), progress);
        let (fetched, written) = join(fetch, write).await;
        if !written {
            ok = false;
            cursor = None;
            continue;
        }
        cursor = match fetched {
            None => None,
            Some(Ok(page)) => {
                progress.reached_n8n();
                listed += page.data.len();
                let next = page
                    .next_cursor
                    .filter(|next| !next.is_empty() && !page.data.is_empty());
                let (import, skip): (Vec<Workflow>, Vec<Workflow>) = page
                    .data
                    .into_iter()
                    .partition(|w| !is_user_created(&w.name) || known.contains(&w.id));
                not_imported.extend(skip.into_iter().map(|w| w.id));
                if !import.is_empty() {
                    pending = Some(import);
                }
                next.map(Some)
            }
            Some(Err(error)) => {
                progress.n8n_error("list workflows", &error);
                ok = false;
                None
            }
        };
    }
    progress.detail("workflows_listed", json!(listed));
    if !not_imported.is_empty() {
        progress.detail("usr_workflows_without_row", json!(not_imported));
    }
    ok
}

/// Re-reads one workflow from n8n and upserts it (for `sync_workflow`).
pub(super) async fn refresh_one(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    workflow: &WorkflowRef,
    progress: &Progress,
) -> bool {
    progress.detail("workflow_id", json!(workflow.id));
    match client.get_workflow(&workflow.n8n_workflow_id).await {
        Ok(found) => upsert(ctx, provider, Some(vec![found]), progress).await,
        Err(error) if error.is_not_found() => {
            progress.reached_n8n();
            progress.error(format!(
                "workflow {:?} no longer exists in n8n; cleanup_workflows archives it",
                workflow.name
            ));
            false
        }
        Err(error) => {
            progress.n8n_error("fetch the workflow", &error);
            false
        }
    }
}

/// Writes one page of workflows; true on success (or when there was nothing to write).
async fn upsert(
    ctx: &Ctx<'_>,
    provider: &Provider,
    page: Option<Vec<Workflow>>,
    progress: &Progress,
) -> bool {
    let Some(page) = page else {
        return true;
    };
    let now = runtime::now();
    let rows: Vec<WorkflowUpsert> = page
        .iter()
        .map(|workflow| WorkflowUpsert::from_n8n(provider.user_id, provider.id, workflow, now))
        .collect();
    match ctx.store.upsert_workflows(&rows).await {
        Ok(()) => {
            progress.wrote(rows.len() as u64, 0);
            true
        }
        Err(error) => {
            progress.store_error("save workflows", &error);
            false
        }
    }
}
