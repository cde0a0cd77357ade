//! `cargo xtask bench sync`: the sync engine's two speed goals, measured in one run as ratios.
//!
//! - Backfill of 10,000 executions from a fake n8n with a realistic per-request latency must
//!   take ≤ 1.2 × the time to page the same executions without writing (the writes overlap
//!   the fetches: page k is stored while page k+1 is fetched).
//! - An incremental run with nothing new, 10 workflows, must cost < 100 ms beyond its n8n
//!   round trips.
//!
//! Each figure is the median of several rounds, each on a fresh database.

use flowpulse_core::contract::SyncRequest;
use flowpulse_n8n::ExecutionQuery;
use flowpulse_tests::fake_n8n::FakeN8n;
use flowpulse_tests::spawn_stack;
use std::time::{Duration, Instant};

const WORKFLOWS: usize = 10;
const EXECUTIONS: usize = 10_000;
const LATENCY: Duration = Duration::from_millis(60);
const ROUNDS: usize = 3;

struct Round {
    page_only: Duration,
    backfill: Duration,
    incremental_n8n: Duration,
    incremental: Duration,
}

#[tokio::main]
async fn main() {
    println!(
        "sync benchmark: {WORKFLOWS} workflows, {EXECUTIONS} executions, {} ms per n8n request, {ROUNDS} rounds",
        LATENCY.as_millis()
    );
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        let r = one_round().await;
        println!(
            "  round {round}: paging {:.2?}, backfill {:.2?} (×{:.2}); incremental n8n {:.0?}, run {:.0?} (+{} ms)",
            r.page_only,
            r.backfill,
            ratio(r.backfill, r.page_only),
            r.incremental_n8n,
            r.incremental,
            overhead_ms(&r)
        );
        rounds.push(r);
    }
    let backfill_ratio = median(
        rounds
            .iter()
            .map(|r| ratio(r.backfill, r.page_only))
            .collect(),
    );
    let overhead = median(rounds.iter().map(|r| overhead_ms(r) as f64).collect());
    println!(
        "backfill / paging alone = {backfill_ratio:.2} (goal ≤ 1.20: {})",
        verdict(backfill_ratio <= 1.2)
    );
    println!(
        "incremental overhead beyond n8n round trips = {overhead:.0} ms (goal < 100 ms: {})",
        verdict(overhead < 100.0)
    );
}

async fn one_round() -> Round {
    let stack = spawn_stack().await;
    let user = stack.create_user("bench@example.com").await;
    let fake = FakeN8n::start().await;
    let ids: Vec<String> = (0..WORKFLOWS)
        .map(|i| fake.add_workflow(&format!("Workflow {i}")))
        .collect();
    for i in 0..EXECUTIONS {
        fake.add_execution(
            &ids[i % WORKFLOWS],
            if i % 7 == 0 { "error" } else { "success" },
        );
    }
    fake.set_latency(LATENCY);
    stack
        .add_provider(&user, "bench n8n", &fake.url, &fake.api_key)
        .await;
    let config = stack.worker_config(&[("SYNC_TIME_BUDGET_MS", "300000")]);
    let client = fake.client();

    let started = Instant::now();
    fake.page_everything().await;
    let page_only = started.elapsed();

    let request = || SyncRequest::SyncAllWorkflows { provider_id: None };
    let started = Instant::now();
    let reply = workflow_sync::run_action(&config, &user.token, request())
        .await
        .expect("backfill");
    let backfill = started.elapsed();
    assert!(
        reply.ok && reply.results[0].executions_synced as usize == EXECUTIONS,
        "{reply:?}"
    );

    // What an incremental run must ask n8n: every workflow page, the newest executions page.
    let started = Instant::now();
    client.all_workflows().await.expect("workflows");
    client
        .list_executions(&ExecutionQuery::default())
        .await
        .expect("first page");
    let incremental_n8n = started.elapsed();

    let started = Instant::now();
    let reply = workflow_sync::run_action(&config, &user.token, request())
        .await
        .expect("incremental");
    let incremental = started.elapsed();
    assert!(
        reply.ok && reply.results[0].executions_synced == 0,
        "{reply:?}"
    );
    Round {
        page_only,
        backfill,
        incremental_n8n,
        incremental,
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn overhead_ms(r: &Round) -> i64 {
    r.incremental.as_millis() as i64 - r.incremental_n8n.as_millis() as i64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}
