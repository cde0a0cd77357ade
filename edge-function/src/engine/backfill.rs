//! Resuming an unfinished listing pass (`flowpulse_core::plan::backfill`).
//!
//! A run with a pass to resume lists the new executions above the pass's top first, then
//! carries on from the stored cursor down to the watermark, in slices as long as the run's
//! budget allows. The slice that reaches the watermark settles the pass: the ids the database
//! does not hold in the pass's range are fetched by id with the stored unfinished executions,
//! and the watermark moves to just below the first id still open.

use std::collections::BTreeSet;

use flowpulse_core::n8n::ExecutionId;
use flowpulse_core::plan::{pass_start, recheck, watermark_after_pass, Backfill, ListingScan};
use flowpulse_core::rows::Provider;
use serde_json::json;

use super::executions::{self, list, Listing, GAP_PROBE_CAP};
use super::{Ctx, Progress};
use flowpulse_n8n::N8nClient;

/// One run's part of the pass `pass`.
pub(super) async fn resume(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    pass: Backfill,
    progress: &Progress,
) {
    let watermark = u64::try_from(provider.exec_watermark).unwrap_or(0);
    let stop_listing = Some(ctx.listing_deadline());
    let mut front = ListingScan::new(pass.top);
    let new_first = list(
        ctx,
        provider,
        client,
        &mut front,
        Listing::from_newest(None),
        stop_listing,
        progress,
    )
    .await;
    let mut slice = ListingScan::new(watermark);
    let older = if new_first.ok && new_first.stopped_at.is_none() {
        Some(
            list(
                ctx,
                provider,
                client,
                &mut slice,
                Listing {
                    cursor: Some(pass.cursor.clone()),
                    workflow: None,
                },
                stop_listing,
                progress,
            )
            .await,
        )
    } else {
        None
    };
    let pages = new_first.pages + older.as_ref().map_or(0, |listed| listed.pages);
    let ingest_ms = new_first.ingest_ms + older.as_ref().map_or(0, |listed| listed.ingest_ms);
    progress.detail("execution_pages", json!(pages));
    progress.detail("execution_ingest_ms", json!(ingest_ms));
    let unchanged = json!({"from": watermark, "to": watermark});
    let Some(older) = older else {
        // The new executions did not all fit in this run: the pass waits for the next one.
        progress.detail("backfill", describe(&pass, "continues next run"));
        progress.detail("watermark", unchanged);
        return;
    };
    if older.cursor_refused {
        // n8n no longer reads the cursor it gave (e.g. after an upgrade): without this the
        // pass would be stuck for good. The next run starts a new pass from the newest.
        progress.detail(
            "backfill",
            describe(&pass, "restarts: n8n refused its cursor"),
        );
        progress.detail("watermark", unchanged);
        if let Err(error) = ctx
            .store
            .save_listing_progress(provider.id, None, None)
            .await
        {
            progress.store_error("restart the backfill", &error);
        }
        return;
    }
    if !older.ok {
        progress.detail("backfill", describe(&pass, "continues next run"));
        progress.detail("watermark", unchanged);
        return;
    }
    if let Some(cursor) = older.stopped_at {
        progress.detail("watermark", unchanged);
        save(
            ctx,
            provider,
            &pass.advanced(cursor, &slice, &front),
            progress,
        )
        .await;
        return;
    }
    let top = front.top().map_or(pass.top, |id| id.0.max(pass.top));
    let start = pass_start(watermark, &slice, pass.low);
    settle_pass(ctx, provider, client, (watermark, start, top), progress).await;
}

/// Keeps where the pass stopped, for the next run.
pub(super) async fn save(ctx: &Ctx<'_>, provider: &Provider, pass: &Backfill, progress: &Progress) {
    progress.detail("backfill", describe(pass, "continues next run"));
    if let Err(error) = ctx
        .store
        .save_listing_progress(provider.id, Some(pass), None)
        .await
    {
        progress.store_error("save where the backfill stopped", &error);
    }
}

fn describe(pass: &Backfill, state: &str) -> serde_json::Value {
    json!({"listed_down_to": pass.low, "top": pass.top, "state": state})
}

/// Settles a pass that listed every id in `[start, top]` above `watermark`: fetches the ids
/// the database lacks and the unfinished ones by id, stores them, then moves the watermark and
/// clears the pass together.
async fn settle_pass(
    ctx: &Ctx<'_>,
    provider: &Provider,
    client: &N8nClient,
    (watermark, start, top): (u64, u64, u64),
    progress: &Progress,
) {
    let unchanged = json!({"from": watermark, "to": watermark});
    let Some(stored_unfinished) =
        executions::stored_unfinished(ctx, provider, None, progress).await
    else {
        progress.detail("watermark", unchanged);
        return;
    };
    let gaps = match ctx
        .store
        .execution_gaps(provider.id, start, top, GAP_PROBE_CAP + 1)
        .await
    {
        Ok(gaps) => gaps,
        Err(error) => {
            progress.store_error("read the ids the backfill did not list", &error);
            progress.detail("watermark", unchanged);
            return;
        }
    };
    let mut ids: BTreeSet<ExecutionId> = recheck(&stored_unfinished).into_iter().collect();
    ids.extend(gaps.iter().take(GAP_PROBE_CAP));
    let probed = executions::probe(
        ctx,
        provider,
        client,
        ids.into_iter().collect(),
        &stored_unfinished,
        progress,
    )
    .await;
    let rows = (!probed.rows.is_empty()).then_some(probed.rows);
    if !probed.ok || !executions::ingest(ctx, provider, rows, None, progress).await {
        progress.detail("watermark", unchanged);
        return;
    }
    let new = watermark_after_pass(
        watermark,
        top,
        &gaps,
        GAP_PROBE_CAP,
        &stored_unfinished,
        &probed.probes,
    );
    match ctx
        .store
        .save_listing_progress(provider.id, None, Some(new))
        .await
    {
        Ok(stored) => {
            progress.detail("backfill", json!({"state": "completed", "top": top}));
            progress.detail("watermark", json!({"from": watermark, "to": stored}));
        }
        Err(error) => {
            progress.store_error("finish the backfill", &error);
            progress.detail("watermark", unchanged);
        }
    }
}
