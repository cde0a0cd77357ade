//! Resumable backfill: a backlog that does not fit in one run's budget completes over
//! successive runs, with exact totals, new executions first, and the watermark held below an
//! execution still running.

use super::Scenario;
use flowpulse_core::contract::SyncResponse;
use std::time::Duration;

/// A budget that lists about ten pages a run at the latency below.
const TIGHT_BUDGET: &[(&str, &str)] = &[("SYNC_TIME_BUDGET_MS", "4000")];
const LATENCY: Duration = Duration::from_millis(200);

/// The provider's (watermark, stored pass as (low, top)).
async fn pass_state(s: &Scenario) -> (i64, Option<(i64, i64)>) {
    let row = s
        .stack
        .db
        .query_one(
            "select exec_watermark, backfill_low, backfill_top, backfill_cursor is not null
             from public.providers where id = $1",
            &[&s.provider],
        )
        .await
        .unwrap();
    let pass = row
        .get::<_, bool>(3)
        .then(|| (row.get::<_, i64>(1), row.get::<_, i64>(2)));
    (row.get(0), pass)
}

/// A run either succeeded or only ran out of time (a loaded machine may cut the steps after
/// the listing short): nothing else may go wrong.
fn assert_ok_or_out_of_time(reply: &SyncResponse, context: &str) {
    let out_of_time = reply.results.iter().all(|result| {
        result
            .error
            .as_deref()
            .is_none_or(|error| error.contains("time budget"))
    });
    assert!(reply.ok || out_of_time, "{context}: {reply:?}");
}

/// Syncs until no pass is kept.
async fn sync_until_settled(s: &Scenario, most_runs: usize) {
    for run in 1..=most_runs {
        let reply = s.sync().await.expect("sync");
        assert_ok_or_out_of_time(&reply, &format!("run {run}"));
        if pass_state(s).await.1.is_none() {
            return;
        }
    }
    panic!("the backfill did not finish within {most_runs} runs");
}

async fn stored(s: &Scenario, id: u64) -> bool {
    s.stack
        .db
        .query_opt(
            "select 1 from public.executions where provider_id = $1 and n8n_execution_id = $2",
            &[&s.provider, &i64::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_backlog_bigger_than_one_run_completes_over_successive_runs_with_exact_totals() {
    let s = Scenario::with_bindings(TIGHT_BUDGET).await;
    let (orders, _) = s.seed(1200);
    // In the middle of the backlog: one execution still running (n8n does not list it) and
    // ids n8n pruned (gaps that are gone for good).
    let running = s.fake.add_execution(&orders, "running");
    for _ in 0..3600 {
        s.fake.add_execution(&orders, "success");
    }
    let pruned: Vec<u64> = (running + 10..running + 14).collect();
    s.fake.prune(pruned.clone());
    s.fake.set_latency(LATENCY);

    let first = s.sync().await.expect("first run");
    assert_ok_or_out_of_time(&first, "first run");
    let (watermark, pass) = pass_state(&s).await;
    let (low, top) = pass.expect("a pass too long for one run is kept");
    assert_eq!(watermark, 0, "the watermark waits for the pass");
    assert!(
        low > 1 && top > low,
        "the first slice listed the newest ids: {low}..{top}"
    );
    let details: serde_json::Value = s
        .stack
        .db
        .query_one(
            "select details from public.sync_logs where provider_id = $1",
            &[&s.provider],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        details["backfill"]["state"], "continues next run",
        "{details}"
    );

    // New executions arriving meanwhile are listed first by the next run.
    let arrived: Vec<u64> = (0..5)
        .map(|_| s.fake.add_execution(&orders, "error"))
        .collect();
    let second = s.sync().await.expect("second run");
    assert_ok_or_out_of_time(&second, "second run");
    for id in &arrived {
        assert!(
            stored(&s, *id).await,
            "new execution {id} stored by the next run"
        );
    }
    let (_, pass) = pass_state(&s).await;
    let (next_low, next_top) = pass.expect("still more than two runs of backlog");
    assert!(next_low < low, "the pass went on below {low}: {next_low}");
    assert_eq!(
        next_top,
        *arrived.last().unwrap() as i64,
        "the new ones joined the pass"
    );

    sync_until_settled(&s, 20).await;
    let (watermark, _) = pass_state(&s).await;
    assert_eq!(
        watermark,
        running as i64 - 1,
        "the watermark stops below the execution still running"
    );
    assert!(
        stored(&s, running).await,
        "the running execution was found by id"
    );
    for id in &pruned {
        assert!(!stored(&s, *id).await);
    }
    s.assert_matches_n8n("after the pass").await;

    // Once it finishes, the watermark passes it (over as many runs as listing down to it takes).
    s.fake.set_status(running, "success");
    let top_id = s.fake.add_execution(&orders, "success");
    for run in 1..=20 {
        let reply = s.sync().await.expect("sync");
        assert_ok_or_out_of_time(&reply, &format!("run {run} after it finished"));
        if pass_state(&s).await == (top_id as i64, None) {
            break;
        }
    }
    assert_eq!(pass_state(&s).await, (top_id as i64, None));
    s.assert_matches_n8n("after the running one finished").await;
    assert_eq!(
        s.stored_executions().await,
        i64::try_from(top_id).unwrap() - i64::try_from(pruned.len()).unwrap()
    );
}

#[tokio::test]
async fn a_cursor_n8n_no_longer_reads_restarts_the_pass_instead_of_sticking() {
    let s = Scenario::new().await;
    s.seed(100);
    s.stack
        .db
        .execute(
            "update public.providers set backfill_cursor = 'not-a-cursor', backfill_low = 50,
             backfill_top = 120 where id = $1",
            &[&s.provider],
        )
        .await
        .unwrap();
    let reply = s.sync().await.expect("sync");
    assert!(
        reply.results[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("HTTP 400")),
        "{reply:?}"
    );
    assert_eq!(pass_state(&s).await.1, None, "the stale pass was dropped");
    let reply = s.sync().await.expect("sync again");
    assert!(reply.ok, "{reply:?}");
    s.assert_matches_n8n("after the restart").await;
    assert_eq!(pass_state(&s).await, (200, None));
}
