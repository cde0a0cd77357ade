//! `cargo xtask bench cron`: two cron cycles over 2,000 providers (100 users with 20 instances
//! each, every instance its own fake n8n answering in 60 ms, 100 new executions per cycle, one
//! in ten failed), through the path production takes: the cron hook fires the worker's
//! `scheduled` handler in Miniflare, which queues one message per provider on the local Queue;
//! the worker's queue consumer syncs them (release build, PostgREST under RLS as service role).
//!
//! Goals: every provider synced within the cycle (15 minutes, the cron's period); p95 of a
//! provider's sync < 2 s; no provider skipped twice in a row.

use chrono::{DateTime, Utc};
use flowpulse_tests::fake_n8n::FakeN8n;
use flowpulse_tests::spawn_stack;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};
use uuid::Uuid;

const USERS: usize = 100;
const INSTANCES_PER_USER: usize = 20;
const NEW_PER_CYCLE: usize = 100;
const LATENCY: Duration = Duration::from_millis(60);
/// The cron's period (`*/15 * * * *`): a cycle must be done before the next one fires.
const CYCLE: Duration = Duration::from_secs(15 * 60);

struct Cycle {
    wall: Duration,
    synced: BTreeSet<Uuid>,
    skipped: BTreeSet<Uuid>,
    durations_ms: Vec<i64>,
    failures: Vec<String>,
}

fn percentile(sorted: &[i64], p: usize) -> i64 {
    sorted
        .get((sorted.len() * p).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or(0)
}

fn add_executions(fake: &FakeN8n, workflow: &str) {
    for i in 0..NEW_PER_CYCLE {
        fake.add_execution(workflow, if i % 10 == 0 { "error" } else { "success" });
    }
}

#[tokio::main]
async fn main() {
    let providers_total = USERS * INSTANCES_PER_USER;
    println!(
        "cron benchmark: {providers_total} providers ({USERS} users × {INSTANCES_PER_USER}), \
         {NEW_PER_CYCLE} new executions each per cycle, {} ms per n8n request",
        LATENCY.as_millis()
    );
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let started = Instant::now();
    let mut fleet = Vec::new();
    let mut providers = BTreeSet::new();
    for user_index in 0..USERS {
        let user = stack
            .create_user(&format!("owner{user_index}@example.com"))
            .await;
        for instance in 0..INSTANCES_PER_USER {
            let fake = FakeN8n::start().await;
            let workflow = fake.add_workflow("Orders");
            add_executions(&fake, &workflow);
            fake.set_latency(LATENCY);
            let name = format!("n8n {instance}");
            providers.insert(
                stack
                    .add_provider(&user, &name, &fake.url, &fake.api_key)
                    .await,
            );
            fleet.push((fake, workflow));
        }
    }
    println!("  set up in {:.0?}", started.elapsed());

    let mut cycles: Vec<Cycle> = Vec::new();
    for round in 1..=2 {
        if round > 1 {
            for (fake, workflow) in &fleet {
                add_executions(fake, workflow);
            }
        }
        let fired: DateTime<Utc> = Utc::now();
        let clock = Instant::now();
        worker.fire_cron("*/15 * * * *").await;
        let rows = loop {
            let rows = stack
                .db
                .query(
                    "select provider_id, status, duration_ms, executions_synced,
                            (extract(epoch from started_at - $1) * 1000)::bigint, error_message
                     from public.sync_logs
                     where sync_type = 'scheduled' and status <> 'running' and started_at >= $1",
                    &[&fired],
                )
                .await
                .expect("read sync logs");
            if rows.len() >= providers_total || clock.elapsed() > CYCLE {
                break rows;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        let wall = clock.elapsed();
        let mut synced = BTreeSet::new();
        let mut durations_ms = Vec::new();
        let mut waits_ms = Vec::new();
        let mut failures = Vec::new();
        let mut per_provider: HashMap<Uuid, usize> = HashMap::new();
        for row in &rows {
            let provider: Uuid = row.get(0);
            let status: String = row.get(1);
            let executions: i32 = row.get(3);
            *per_provider.entry(provider).or_default() += 1;
            durations_ms.push(row.get::<_, Option<i64>>(2).unwrap_or(0));
            waits_ms.push(row.get::<_, i64>(4));
            if status == "success" && executions as usize == NEW_PER_CYCLE {
                synced.insert(provider);
            } else {
                failures.push(format!(
                    "{provider}: {status}, {executions} executions, {:?}",
                    row.get::<_, Option<String>>(5)
                ));
            }
        }
        let twice = per_provider.values().filter(|&&n| n > 1).count();
        if twice > 0 {
            failures.push(format!("{twice} providers synced more than once"));
        }
        durations_ms.sort_unstable();
        waits_ms.sort_unstable();
        let skipped: BTreeSet<Uuid> = providers.difference(&synced).copied().collect();
        println!(
            "  cycle {round}: {} of {providers_total} synced in {wall:.0?}; a provider's sync p50 \
             {} ms, p95 {} ms, max {} ms; its start after the cron p50 {:.0} s, max {:.0} s; {} \
             failures",
            synced.len(),
            percentile(&durations_ms, 50),
            percentile(&durations_ms, 95),
            percentile(&durations_ms, 100),
            percentile(&waits_ms, 50) as f64 / 1000.0,
            percentile(&waits_ms, 100) as f64 / 1000.0,
            failures.len()
        );
        for failure in failures.iter().take(3) {
            println!("    {failure}");
        }
        cycles.push(Cycle {
            wall,
            synced,
            skipped,
            durations_ms,
            failures,
        });
    }

    let within = cycles
        .iter()
        .all(|c| c.skipped.is_empty() && c.wall <= CYCLE && c.failures.is_empty());
    let p95 = cycles
        .iter()
        .map(|c| percentile(&c.durations_ms, 95))
        .max()
        .unwrap_or(0);
    let skipped_twice = cycles[0].skipped.intersection(&cycles[1].skipped).count();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "one cron cycle over {providers_total} providers: every provider synced within the cycle \
         ({} s and {} s of {} s: {}); p95 per provider {p95} ms (goal < 2000 ms: {}); skipped \
         twice in a row: {skipped_twice} (goal 0: {}); synced {} and {}",
        cycles[0].wall.as_secs(),
        cycles[1].wall.as_secs(),
        CYCLE.as_secs(),
        verdict(within),
        verdict(p95 < 2000),
        verdict(skipped_twice == 0),
        cycles[0].synced.len(),
        cycles[1].synced.len(),
    );
    for (fake, _) in &fleet {
        fake.stop();
    }
}
