//! Step 2 of a provider sync: executions, planned by `core::plan::ListingScan`.
//!
//! 1. List newest first until the watermark (or the end), ingesting each page through
//!    `ingest_executions` while the next page is fetched.
//! 2. Fetch by id the gaps below the top listed id and the stored executions still
//!    unfinished; ingest what was found.
//! 3. One final `ingest_executions` call carrying those rows and the new watermark.
//!
//! A run that runs short of time stops listing before the watermark, keeps where it stopped and
//! finishes over later runs (`backfill`).
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
use flowpulse_core::plan::{Backfill, ListingScan, ProbeResult, ScanStep};
use flowpulse_core::rows::{ExecutionIngestRow, Provider};
use futures::future::join;
use futures::stream::{self, StreamExt};
use serde_json::json;

use super::{backfill, Ctx, Progress};
use crate::runtime::{self, Deadline};
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
    if workflow.is_none() {
        if let Some(pass) = provider
            .backfill()
            .and_then(|pass| pass.resumable(watermark))
        {
            return backfill::resume(ctx, provider, client, pass, progress).await;
        }
    }
    let mut scan = ListingScan::new(watermark);
    // A filtered listing cannot be resumed (its cursor skips other workflows' ids).
    let stop_listing = workflow.is_none().then(|| ctx.listing_deadline());
    let listed = list(
        ctx,
        provider,
        client,
        &mut scan,
        Listing::from_newest(workflow),
        stop_listing,
        progress,
    )
    .await;
    progress.detail("execution_pages", json!(listed.pages));
    progress.detail("execution_ingest_ms", json!(listed.ingest_ms));
    if !listed.ok {
        progress.detail("watermark", json!({"from": watermark, "to": watermark}));
        return;
    }
    if let Some(cursor) = listed.stopped_at {
        progress.detail("watermark", json!({"from": watermark, "to": watermark}));
        if let Some(pass) = Backfill::first_slice(cursor, &scan) {
            backfill::save(ctx, provider, &pass, progress).await;
        }
        return;
    }
    settle(ctx, provider, client, &scan, workflow, progress).await;
}

/// After a complete listing: fetch gaps and unfinished executions by id, then store them and
/// the new watermark in one call.
async fn settle(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    scan: &ListingScan,
    workflow: Option<&str>,
    progress: &Progress,
) {
    let watermark = scan.watermark();
    let Some(stored_unfinished) = stored_unfinished(ctx, provider, workflow, progress).await else {
        progress.detail("watermark", json!({"from": watermark, "to": watermark}));
        return;
    };
    let gap_cap = if workflow.is_some() { 0 } else { GAP_PROBE_CAP };
    let ids = scan.ids_to_fetch(&stored_unfinished, gap_cap);
    let probed = probe(ctx, provider, client, ids, &stored_unfinished, progress).await;

    let new_watermark = (workflow.is_none() && probed.ok)
        .then(|| scan.new_watermark(&probed.probes))
        .filter(|new| *new > watermark);
    let written = if probed.rows.is_empty() && new_watermark.is_none() {
        true
    } else {
        ingest(ctx, provider, Some(probed.rows), new_watermark, progress).await
    };
    let to = if written {
        new_watermark.unwrap_or(watermark)
    } else {
        watermark
    };
    progress.detail("watermark", json!({"from": watermark, "to": to}));
}

/// Where a listing starts.
pub(super) struct Listing<'w> {
    /// n8n's cursor to start from; `None` lists from the newest execution.
    pub cursor: Option<String>,
    /// Only this workflow's executions (n8n id).
    pub workflow: Option<&'w str>,
}

impl<'w> Listing<'w> {
    pub fn from_newest(workflow: Option<&'w str>) -> Self {
        Self {
            cursor: None,
            workflow,
        }
    }

    fn query(&self, cursor: Option<String>) -> ExecutionQuery {
        ExecutionQuery {
            cursor,
            workflow_id: self.workflow.map(str::to_string),
            ..ExecutionQuery::default()
        }
    }
}

/// How a listing ended.
pub(super) struct Listed {
    /// Every page fetched was written and n8n answered every request.
    pub ok: bool,
    /// Time ran short before the scan completed: the cursor of the next page to list.
    pub stopped_at: Option<String>,
    /// n8n refused the cursor the listing started from.
    pub cursor_refused: bool,
    pub pages: u32,
    /// Time spent in the page writes (they overlap the fetches), for the sync log.
    pub ingest_ms: i64,
}

/// Lists pages into `scan` until it completes, n8n or the database fails, or `stop_listing`
/// passes; each page is ingested while the next is fetched.
pub(super) async fn list(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    scan: &mut ListingScan,
    start: Listing<'_>,
    stop_listing: Option<Deadline>,
    progress: &Progress,
) -> Listed {
    let resuming = start.cursor.is_some();
    let mut query = Some(start.query(start.cursor.clone()));
    let mut pending: Option<Vec<ExecutionIngestRow>> = None;
    let mut listed = Listed {
        ok: true,
        stopped_at: None,
        cursor_refused: false,
        pages: 0,
        ingest_ms: 0,
    };
    while query.is_some() || pending.is_some() {
        let fetch = async {
            match &query {
                Some(query) => Some(client.list_executions(query).await),
                None => None,
            }
        };
        let write = async {
            let started = runtime::now_ms();
            let written = ingest(ctx, provider, pending.take(), None, progress).await;
            (written, runtime::now_ms() - started)
        };
        let (fetched, (written, write_ms)) = join(fetch, write).await;
        listed.ingest_ms += write_ms;
        if !written {
            listed.ok = false;
            query = None;
            continue;
        }
        query = match fetched {
            None => None,
            Some(Ok(page)) => {
                progress.reached_n8n();
                listed.pages += 1;
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
                    ScanStep::Continue if stop_listing.is_some_and(|d| d.is_past()) => {
                        listed.stopped_at = page.next_cursor;
                        None
                    }
                    ScanStep::Continue => Some(start.query(page.next_cursor)),
                    ScanStep::Stop => None,
                }
            }
            Some(Err(error)) => {
                listed.cursor_refused =
                    resuming && listed.pages == 0 && matches!(error, N8nError::Rejected { .. });
                progress.n8n_error("list executions", &error);
                listed.ok = false;
                None
            }
        };
    }
    if !listed.ok {
        listed.stopped_at = None;
    }
    listed
}

/// The stored executions still unfinished (of `workflow` only, when given); `None` after
/// recording why they could not be read.
pub(super) async fn stored_unfinished(
    ctx: &Ctx<'_>,
    provider: &Provider,
    workflow: Option<&str>,
    progress: &Progress,
) -> Option<Vec<ExecutionId>> {
    let read = match workflow {
        None => ctx.store.unfinished_executions(provider.id).await,
        Some(workflow) => {
            ctx.store
                .unfinished_for_workflow(provider.id, workflow)
                .await
        }
    };
    read.map_err(|error| progress.store_error("read unfinished executions", &error))
        .ok()
}

/// What fetching executions by id showed.
pub(super) struct Probed {
    pub probes: BTreeMap<ExecutionId, ProbeResult>,
    /// The executions found, and the stored unfinished ones gone from n8n as `unknown`.
    pub rows: Vec<ExecutionIngestRow>,
    /// False if the gone ones could not be read back from the database.
    pub ok: bool,
}

/// Fetches `ids` by id, a few at a time.
pub(super) async fn probe(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    ids: Vec<ExecutionId>,
    stored_unfinished: &[ExecutionId],
    progress: &Progress,
) -> Probed {
    let fetched: Vec<(ExecutionId, Result<Execution, N8nError>)> = stream::iter(ids)
        .map(|id| async move { (id, client.get_execution(id, false).await) })
        .buffered(PROBE_CONCURRENCY)
        .collect()
        .await;

    let mut probed = Probed {
        probes: BTreeMap::new(),
        rows: Vec::new(),
        ok: true,
    };
    let mut gone = Vec::new();
    for (id, result) in fetched {
        match result {
            Ok(execution) => {
                progress.reached_n8n();
                probed
                    .probes
                    .insert(id, ProbeResult::Found(execution.status));
                probed.rows.push(ExecutionIngestRow::from_n8n(&execution));
            }
            Err(error) if error.is_not_found() => {
                progress.reached_n8n();
                probed.probes.insert(id, ProbeResult::NotFound);
                if stored_unfinished.contains(&id) {
                    gone.push(id);
                }
            }
            Err(error) => progress.n8n_error(&format!("fetch execution {id}"), &error),
        }
    }
    match ctx.store.unknown_rows(provider.id, &gone).await {
        Ok(unknown) => probed.rows.extend(unknown),
        Err(error) => {
            progress.store_error("read executions gone from n8n", &error);
            probed.ok = false;
        }
    }
    progress.detail(
        "probes",
        json!({"fetched": probed.probes.len(), "not_found": gone.len(), "unfinished_rechecked": stored_unfinished.len()}),
    );
    probed
}

/// One `ingest_executions` call; true on success (or with nothing to send).
pub(super) async fn ingest(
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
