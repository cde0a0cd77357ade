//! Step 2 of a provider sync: executions, planned by `core::plan::ListingScan`.
//!
//! 1. List newest first until the watermark (or the end), ingesting each page through
//!    `ingest_executions` while the next page is fetched.
//! 2. Fetch by id the gaps below the top listed id and the stored executions still
//!    unfinished; ingest what was found.
//! 3. One final `ingest_executions` call carrying those rows and the new watermark.
//!
//! A stored unfinished execution that n8n now answers 404 for (deleted or pruned while
//! running) is re-ingested with status `unknown`, its other fields unchanged, so it leaves
//! `unfinished_executions` and is not fetched again every run. The SQL never turns a final
//! status back into a non-final one, so this can only ever affect rows still unfinished;
//! `unknown` is not counted by any counter, exactly like the running state it replaces.
//!
//! The watermark only moves when the listing completed and every write of the run
//! succeeded: a failed page write must not be skipped over for good.

use std::collections::BTreeMap;

use flowpulse_core::n8n::{Execution, ExecutionId};
use flowpulse_core::plan::{ListingScan, ProbeResult, ScanStep};
use flowpulse_core::rows::{ExecutionIngestRow, Provider};
use futures::future::join;
use futures::stream::{self, StreamExt};
use serde_json::json;

use super::{Ctx, Progress};
use flowpulse_n8n::{ExecutionQuery, N8nClient, N8nError};

/// Most gap ids fetched by id in one run; the watermark walk resumes there next run.
pub const GAP_PROBE_CAP: usize = 200;
/// Fetches by id in flight at once.
const PROBE_CONCURRENCY: usize = 8;

/// Syncs a provider's executions, or only those of `workflow` (n8n id; the watermark is then
/// left alone, since a filtered listing says nothing about other workflows' ids).
pub(super) async fn sync(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    workflow: Option<&str>,
    progress: &Progress,
) {
    let watermark = u64::try_from(provider.exec_watermark).unwrap_or(0);
    let mut scan = ListingScan::new(watermark);
    let mut query = Some(ExecutionQuery {
        workflow_id: workflow.map(str::to_string),
        ..ExecutionQuery::default()
    });
    let mut pending: Option<Vec<ExecutionIngestRow>> = None;
    let (mut listing_ok, mut writes_ok, mut pages) = (true, true, 0u32);
    while query.is_some() || pending.is_some() {
        let fetch = async {
            match &query {
                Some(query) => Some(client.list_executions(query).await),
                None => None,
            }
        };
        let write = ingest(ctx, provider, pending.take(), None, progress);
        let (fetched, written) = join(fetch, write).await;
        if !written {
            writes_ok = false;
            query = None;
            continue;
        }
        query = match fetched {
            None => None,
            Some(Ok(page)) => {
                progress.reached_n8n();
                pages += 1;
                let has_next = page.next_cursor.as_deref().is_some_and(|c| !c.is_empty());
                let verdict = scan.accept_page(&page.data, has_next);
                let rows: Vec<ExecutionIngestRow> = verdict
                    .to_ingest
                    .iter()
                    .map(|execution| ExecutionIngestRow::from_n8n(execution))
                    .collect();
                if !rows.is_empty() {
                    pending = Some(rows);
                }
                match verdict.step {
                    ScanStep::Continue => Some(ExecutionQuery {
                        cursor: page.next_cursor,
                        workflow_id: workflow.map(str::to_string),
                        ..ExecutionQuery::default()
                    }),
                    ScanStep::Stop => None,
                }
            }
            Some(Err(error)) => {
                progress.n8n_error("list executions", &error);
                listing_ok = false;
                None
            }
        };
    }
    progress.detail("execution_pages", json!(pages));
    if !listing_ok || !writes_ok {
        progress.detail("watermark", json!({"from": watermark, "to": watermark}));
        return;
    }

    let stored_unfinished = match workflow {
        None => ctx.store.unfinished_executions(provider.id).await,
        Some(workflow) => {
            ctx.store
                .unfinished_for_workflow(provider.id, workflow)
                .await
        }
    };
    let stored_unfinished = stored_unfinished.unwrap_or_else(|error| {
        progress.store_error("read unfinished executions", &error);
        writes_ok = false;
        Vec::new()
    });
    let gap_cap = if workflow.is_some() { 0 } else { GAP_PROBE_CAP };
    let ids = scan.ids_to_fetch(&stored_unfinished, gap_cap);
    let fetched: Vec<(ExecutionId, Result<Execution, N8nError>)> = stream::iter(ids)
        .map(|id| async move { (id, client.get_execution(id, false).await) })
        .buffered(PROBE_CONCURRENCY)
        .collect()
        .await;

    let mut probes = BTreeMap::new();
    let mut rows = Vec::new();
    let mut gone = Vec::new();
    for (id, result) in fetched {
        match result {
            Ok(execution) => {
                progress.reached_n8n();
                probes.insert(id, ProbeResult::Found(execution.status));
                rows.push(ExecutionIngestRow::from_n8n(&execution));
            }
            Err(error) if error.is_not_found() => {
                progress.reached_n8n();
                probes.insert(id, ProbeResult::NotFound);
                if stored_unfinished.contains(&id) {
                    gone.push(id);
                }
            }
            Err(error) => progress.n8n_error(&format!("fetch execution {id}"), &error),
        }
    }
    match ctx.store.unknown_rows(provider.id, &gone).await {
        Ok(unknown) => rows.extend(unknown),
        Err(error) => {
            progress.store_error("read executions gone from n8n", &error);
            writes_ok = false;
        }
    }

    let new_watermark = (workflow.is_none() && writes_ok)
        .then(|| scan.new_watermark(&probes))
        .filter(|new| *new > watermark);
    progress.detail(
        "probes",
        json!({"fetched": probes.len(), "not_found": gone.len(), "unfinished_rechecked": stored_unfinished.len()}),
    );
    let written = if rows.is_empty() && new_watermark.is_none() {
        true
    } else {
        ingest(ctx, provider, Some(rows), new_watermark, progress).await
    };
    let to = if written {
        new_watermark.unwrap_or(watermark)
    } else {
        watermark
    };
    progress.detail("watermark", json!({"from": watermark, "to": to}));
}

/// One `ingest_executions` call; true on success (or with nothing to send).
async fn ingest(
    ctx: &Ctx<'_>,
    provider: &Provider,
    rows: Option<Vec<ExecutionIngestRow>>,
    new_watermark: Option<u64>,
    progress: &Progress,
) -> bool {
    let Some(rows) = rows else {
        return true;
    };
    match ctx
        .store
        .ingest_executions(provider.id, &rows, new_watermark)
        .await
    {
        Ok(outcome) => {
            progress.wrote(0, outcome.inserted + outcome.updated);
            true
        }
        Err(error) => {
            progress.store_error("save executions", &error);
            false
        }
    }
}
