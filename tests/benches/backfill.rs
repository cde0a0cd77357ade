//! `cargo xtask bench backfill`: a million executions of one workflow synced from the fake n8n
//! (60 ms per request) by successive runs under the default 25 s budget — the resumable
//! backfill, as the cron would run it — against paging the same executions alone.
//!
//! Goals: total backfill time / paging alone ≤ 1.2, exact totals at the end, and the database
//! time per page of the last runs within 1.5× of the first runs' (each side averaged over at
//! least 100 pages, from the `execution_ingest_ms` the engine records in every sync log).
//!
//! `FLOWPULSE_BENCH_EXECUTIONS` runs it on fewer executions (a quick look, not the figure).

use flowpulse_core::contract::SyncRequest;
use flowpulse_tests::fake_n8n::FakeN8n;
use flowpulse_tests::{spawn_stack, TestStack};
use std::time::{Duration, Instant};
use uuid::Uuid;

const EXECUTIONS: usize = 1_000_000;
const LATENCY: Duration = Duration::from_millis(60);
/// Pages each side of the database-time comparison covers at least.
const COMPARED_PAGES: i64 = 100;

#[tokio::main]
async fn main() {
    let executions = std::env::var("FLOWPULSE_BENCH_EXECUTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(EXECUTIONS);
    println!(
        "backfill benchmark: {executions} executions of one workflow, {} ms per n8n request, \
         runs under the default budget",
        LATENCY.as_millis()
    );
    let stack = spawn_stack().await;
    let user = stack.create_user("bench@example.com").await;
    let fake = FakeN8n::start().await;
    let workflow = fake.add_workflow("Orders");
    for i in 0..executions {
        fake.add_execution(&workflow, if i % 100 == 0 { "error" } else { "success" });
    }
    fake.set_latency(LATENCY);
    let provider = stack
        .add_provider(&user, "bench n8n", &fake.url, &fake.api_key)
        .await;
    let config = stack.worker_config(&[]);

    let started = Instant::now();
    let pages = fake.page_everything().await;
    let paging = started.elapsed();
    println!("  paging alone: {pages} pages in {paging:.1?}");

    let started = Instant::now();
    let mut runs = 0;
    loop {
        runs += 1;
        let reply = workflow_sync::run_action(
            &config,
            &user.token,
            SyncRequest::SyncAllWorkflows { provider_id: None },
        )
        .await
        .expect("run");
        assert!(reply.ok, "run {runs}: {reply:?}");
        if pass_finished(&stack, provider).await {
            break;
        }
        assert!(runs < 10_000, "the backfill never finished");
    }
    let backfill = started.elapsed();
    println!("  backfill: {runs} runs in {backfill:.1?}");

    let (stored, counted, watermark) = totals(&stack, provider).await;
    let exact = stored == executions as i64 && counted == executions as i64;
    println!(
        "  stored {stored}, counted {counted}, watermark {watermark} of {executions}: {}",
        if exact && watermark == executions as i64 {
            "exact"
        } else {
            "WRONG"
        }
    );

    let ratio = backfill.as_secs_f64() / paging.as_secs_f64();
    println!(
        "backfill / paging alone = {ratio:.2} (goal ≤ 1.20: {})",
        verdict(ratio <= 1.2)
    );
    let (first, last) = database_time_per_page(&stack, provider).await;
    let growth = last / first;
    println!(
        "database time per page: first runs {first:.1} ms, last runs {last:.1} ms, \
         last / first = {growth:.2} (goal ≤ 1.50: {})",
        verdict(growth <= 1.5)
    );
}

async fn pass_finished(stack: &TestStack, provider: Uuid) -> bool {
    stack
        .db
        .query_one(
            "select backfill_cursor is null and exec_watermark > 0 from public.providers
             where id = $1",
            &[&provider],
        )
        .await
        .unwrap()
        .get(0)
}

/// (executions stored, the workflow's counter, the watermark).
async fn totals(stack: &TestStack, provider: Uuid) -> (i64, i64, i64) {
    let row = stack
        .db
        .query_one(
            "select (select count(*) from public.executions where provider_id = $1),
                    (select sum(execution_count)::bigint from public.mvp_workflows
                     where provider_id = $1),
                    (select exec_watermark from public.providers where id = $1)",
            &[&provider],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// Mean database time per page (ms) over the first runs and over the last runs, each side
/// covering at least `COMPARED_PAGES` pages.
async fn database_time_per_page(stack: &TestStack, provider: Uuid) -> (f64, f64) {
    let runs: Vec<(i64, i64)> = stack
        .db
        .query(
            "select (details->>'execution_pages')::bigint, (details->>'execution_ingest_ms')::bigint
             from public.sync_logs where provider_id = $1 order by started_at",
            &[&provider],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mean = |runs: &mut dyn Iterator<Item = &(i64, i64)>| {
        let (mut pages, mut ms) = (0, 0);
        for (run_pages, run_ms) in runs {
            pages += run_pages;
            ms += run_ms;
            if pages >= COMPARED_PAGES {
                break;
            }
        }
        ms as f64 / pages.max(1) as f64
    };
    (mean(&mut runs.iter()), mean(&mut runs.iter().rev()))
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}
