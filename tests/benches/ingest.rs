//! `cargo xtask bench ingest`: what one page of executions costs the database as a workflow's
//! history grows. One 250-execution page of new executions is ingested into a workflow that
//! already holds 1,000,000 stored executions and into one holding 1,000; the goal is a ratio
//! ≤ 1.5 (counters move by the page's changes, not by recounting the history). For contrast,
//! the recount from history that every page used to run is timed on both.
//!
//! Each figure is the median of several pages, all in one run on one database.

use flowpulse_tests::spawn_stack;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_postgres::Client;
use uuid::Uuid;

const BIG: i64 = 1_000_000;
const SMALL: i64 = 1_000;
const PAGE: i64 = 250;
const PAGES: usize = 9;

/// Stores `count` finished executions of workflow `n8n_id` directly, ids from `first`, and
/// recounts it once so its counters are right before the measured pages.
async fn seed(db: &Client, provider: Uuid, n8n_id: &str, first: i64, count: i64) {
    db.execute(
        "insert into public.executions (user_id, provider_id, workflow_id, n8n_workflow_id,
           n8n_execution_id, status, mode, started_at, stopped_at, duration_ms)
         select w.user_id, w.provider_id, w.id, w.n8n_workflow_id, n,
           case when n % 10 = 0 then 'error' else 'success' end, 'webhook',
           timestamptz '2026-01-01' + n * interval '1 second',
           timestamptz '2026-01-01' + n * interval '1 second' + interval '300 milliseconds', 300
         from public.mvp_workflows w, generate_series($3::bigint, $3::bigint + $4::bigint - 1) n
         where w.provider_id = $1 and w.n8n_workflow_id = $2",
        &[&provider, &n8n_id, &first, &count],
    )
    .await
    .expect("seed executions");
    db.execute("analyze public.executions", &[]).await.unwrap();
}

fn page(n8n_id: &str, first: i64) -> Value {
    Value::Array(
        (first..first + PAGE)
            .map(|id| {
                json!({
                    "n8n_execution_id": id, "n8n_workflow_id": n8n_id,
                    "status": if id % 7 == 0 { "error" } else { "success" },
                    "mode": "webhook", "started_at": "2026-12-01T00:00:00Z",
                    "stopped_at": "2026-12-01T00:00:01Z", "duration_ms": 1000
                })
            })
            .collect(),
    )
}

/// Median time of `PAGES` pages of new executions into workflow `n8n_id`, ids from `first`.
async fn ingest_pages(db: &Client, provider: Uuid, n8n_id: &str, first: i64) -> Duration {
    let mut times = Vec::new();
    for k in 0..PAGES {
        let rows = page(n8n_id, first + i64::try_from(k).unwrap() * PAGE);
        let started = Instant::now();
        db.execute(
            "select public.ingest_executions($1, $2)",
            &[&provider, &rows],
        )
        .await
        .expect("ingest");
        times.push(started.elapsed());
    }
    median(times)
}

async fn recount(db: &Client, provider: Uuid, n8n_id: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        db.execute(
            "select public.recompute_workflow_counters(array_agg(id)) from public.mvp_workflows
             where provider_id = $1 and n8n_workflow_id = $2",
            &[&provider, &n8n_id],
        )
        .await
        .unwrap();
        times.push(started.elapsed());
    }
    median(times)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let stack = spawn_stack().await;
    let user = stack.create_user("bench@example.com").await;
    let provider = stack
        .add_provider(&user, "n8n", "https://n8n.example.com", "key")
        .await;
    for n8n_id in ["big", "small"] {
        stack
            .db
            .execute(
                "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name)
                 values ($1, $2, $3, $3)",
                &[&user.id, &provider, &n8n_id],
            )
            .await
            .unwrap();
    }
    println!("ingest benchmark: seeding {BIG} and {SMALL} stored executions…");
    let started = Instant::now();
    seed(&stack.db, provider, "big", 1, BIG).await;
    seed(&stack.db, provider, "small", BIG + 1, SMALL).await;
    println!("  seeded in {:.1?}", started.elapsed());
    let next = BIG + SMALL + 1;
    // Warm-up on each, then the measured pages.
    ingest_pages(&stack.db, provider, "small", next).await;
    let small = ingest_pages(&stack.db, provider, "small", next + 10 * PAGE).await;
    let big = ingest_pages(&stack.db, provider, "big", next + 20 * PAGE).await;
    let recount_big = recount(&stack.db, provider, "big").await;
    let recount_small = recount(&stack.db, provider, "small").await;
    let ratio = big.as_secs_f64() / small.as_secs_f64();
    println!(
        "  one {PAGE}-execution page: {big:.1?} with {BIG} stored vs {small:.1?} with {SMALL} \
         → ×{ratio:.2} (goal ≤ 1.5: {})",
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );
    println!(
        "  for contrast, a recount from history: {recount_big:.1?} with {BIG} stored vs \
         {recount_small:.1?} with {SMALL}"
    );
}
