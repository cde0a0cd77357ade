//! Counters by delta: each ingested page moves its workflows' counters by the changes it
//! contains alone. Whatever the pages — repeats, statuses going back and forth as a stale
//! reader would send them, executions whose workflow row appears only later — the counters
//! after every page equal a recount from the stored history.

use crate::helpers::spawn_stack;
use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const STATUSES: [&str; 8] = [
    "success", "error", "crashed", "canceled", "running", "waiting", "new", "unknown",
];
/// n8n workflow ids; the last has no row until halfway through.
const WORKFLOWS: [&str; 4] = ["wf-a", "wf-b", "wf-c", "wf-late"];
const SEEDS: u64 = 6;
const PAGES: usize = 30;

/// A page of up to 25 executions drawn from a pool of 80 ids (so pages repeat and overlap);
/// an execution always belongs to the same workflow, its status and times are drawn anew.
fn random_page(rng: &mut StdRng) -> Value {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let rows: Vec<Value> = (0..rng.gen_range(1..=25))
        .map(|_| {
            let id: i64 = rng.gen_range(1..=80);
            let status = STATUSES[rng.gen_range(0..STATUSES.len())];
            let started = start + Duration::seconds(id * 60 + rng.gen_range(0..3));
            json!({
                "n8n_execution_id": id,
                "n8n_workflow_id": WORKFLOWS[usize::try_from(id).unwrap() % WORKFLOWS.len()],
                "status": status, "mode": "webhook", "started_at": started,
                "stopped_at": null, "duration_ms": null, "retry_of": null,
                "retry_success_id": null, "error_message": null, "wait_till": null
            })
        })
        .collect();
    Value::Array(rows)
}

#[tokio::test]
async fn counters_moved_by_each_page_always_equal_a_recount_from_history() {
    let stack = spawn_stack().await;
    let user = stack.create_user("deltas@example.com").await;
    for seed in 0..SEEDS {
        let provider = stack
            .add_provider(
                &user,
                &format!("n8n {seed}"),
                &format!("https://n8n-{seed}.example.com"),
                "key",
            )
            .await;
        let add_workflow = |n8n_id: &'static str| {
            let db = &stack.db;
            async move {
                db.execute(
                    "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name)
                     values ($1, $2, $3, $3)",
                    &[&user.id, &provider, &n8n_id],
                )
                .await
                .unwrap();
            }
        };
        for n8n_id in &WORKFLOWS[..3] {
            add_workflow(n8n_id).await;
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for page in 0..PAGES {
            if page == PAGES / 2 {
                add_workflow(WORKFLOWS[3]).await;
            }
            let rows = random_page(&mut rng);
            stack
                .db
                .execute(
                    "select public.ingest_executions($1, $2)",
                    &[&provider, &rows],
                )
                .await
                .unwrap_or_else(|e| panic!("seed {seed} page {page}: {e:?}"));
            // A recount rewrites only workflows whose counters differ from their history.
            let drifted: i32 = stack
                .db
                .query_one(
                    "select public.recompute_workflow_counters(array_agg(id))
                     from public.mvp_workflows where provider_id = $1",
                    &[&provider],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(
                drifted, 0,
                "seed {seed}, page {page}: counters by delta differ from a recount ({rows})"
            );
        }
        let counted: i64 = stack
            .db
            .query_one(
                "select sum(execution_count)::bigint from public.mvp_workflows where provider_id = $1",
                &[&provider],
            )
            .await
            .unwrap()
            .get(0);
        assert!(counted > 0, "seed {seed}: the pages counted something");
    }
}
