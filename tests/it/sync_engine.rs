//! The sync engine, natively (the same code the worker runs), against the fake n8n with faults
//! and a real PostgREST + Postgres. After every scenario: counters equal n8n's ground truth, no
//! execution is stored twice or lost, and a failed run leaves an error row in `sync_logs`.

use crate::helpers::fake_n8n::{FakeN8n, Fault};
use crate::helpers::{spawn_stack, TestStack, TestUser};
use flowpulse_core::contract::{SyncRequest, SyncResponse};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;
use workflow_sync::{EdgeError, WorkerConfig};

mod backfill;
mod fair_share;
mod queue;

struct Scenario {
    stack: TestStack,
    user: TestUser,
    fake: FakeN8n,
    provider: Uuid,
    config: WorkerConfig,
}

impl Scenario {
    async fn new() -> Scenario {
        Scenario::with_bindings(&[]).await
    }

    async fn with_bindings(extra: &[(&str, &str)]) -> Scenario {
        let stack = spawn_stack().await;
        let user = stack.create_user("engine@example.com").await;
        let fake = FakeN8n::start().await;
        let provider = stack
            .add_provider(&user, "fake n8n", &fake.url, &fake.api_key)
            .await;
        let mut bindings = vec![("N8N_TIMEOUT_MS", "1500")];
        bindings.extend_from_slice(extra);
        let config = stack.worker_config(&bindings);
        Scenario {
            stack,
            user,
            fake,
            provider,
            config,
        }
    }

    async fn sync(&self) -> Result<SyncResponse, EdgeError> {
        workflow_sync::run_action(
            &self.config,
            &self.user.token,
            SyncRequest::SyncAllWorkflows { provider_id: None },
        )
        .await
    }

    /// Counters per n8n workflow id as stored: (execution_count, successful, failed).
    async fn counters(&self) -> HashMap<String, (i64, i64, i64)> {
        self.stack
            .db
            .query(
                "select n8n_workflow_id, execution_count, successful_executions, failed_executions
                 from public.mvp_workflows where provider_id = $1",
                &[&self.provider],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
            .collect()
    }

    /// Counters equal n8n's view, and every n8n execution is stored exactly once.
    async fn assert_matches_n8n(&self, context: &str) {
        assert_eq!(
            self.counters().await,
            self.fake.ground_truth(),
            "{context}: counters equal n8n's"
        );
        self.assert_no_duplicates(context).await;
    }

    async fn assert_no_duplicates(&self, context: &str) {
        let duplicates: i64 = self
            .stack
            .db
            .query_one(
                "select count(*) from (select n8n_execution_id from public.executions
                 group by provider_id, n8n_execution_id having count(*) > 1) d",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(duplicates, 0, "{context}: no execution stored twice");
    }

    async fn stored_executions(&self) -> i64 {
        self.stack
            .db
            .query_one("select count(*) from public.executions", &[])
            .await
            .unwrap()
            .get(0)
    }

    async fn log_statuses(&self) -> Vec<(String, Option<String>)> {
        self.stack
            .db
            .query("select status, error_message from public.sync_logs where provider_id = $1 order by started_at", &[&self.provider])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    /// Two workflows with a mix of outcomes.
    fn seed(&self, per_workflow: usize) -> (String, String) {
        let a = self.fake.add_workflow("Orders");
        let b = self.fake.add_workflow("Invoices");
        for i in 0..per_workflow {
            self.fake
                .add_execution(&a, if i % 4 == 0 { "error" } else { "success" });
            self.fake
                .add_execution(&b, ["success", "crashed", "canceled"][i % 3]);
        }
        (a, b)
    }
}

#[tokio::test]
async fn a_clean_sync_fills_counters_history_and_a_success_log() {
    let s = Scenario::new().await;
    s.seed(300); // 600 executions: three pages at 250
    let reply = s.sync().await.expect("sync");
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.results[0].executions_synced, 600);
    s.assert_matches_n8n("first sync").await;
    assert_eq!(s.stored_executions().await, 600);
    assert_eq!(s.log_statuses().await, vec![("success".to_string(), None)]);
    // Definitions keep credential names and types, never credential ids.
    let definition: String = s
        .stack
        .db
        .query_one(
            "select definition::text from public.mvp_workflows limit 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        definition.contains("Team Slack") && !definition.contains("cred-secret-id"),
        "{definition}"
    );
    let types: Vec<String> = s
        .stack
        .db
        .query_one(
            "select required_credential_types from public.mvp_workflows limit 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(types, vec!["slackApi".to_string()]);
}

#[tokio::test]
async fn server_errors_are_retried_and_nothing_is_lost() {
    let s = Scenario::new().await;
    s.seed(20);
    s.fake.inject(
        "/api/v1/executions",
        [Fault::Status(500), Fault::Status(502)],
    );
    s.fake.inject("/api/v1/workflows", [Fault::Status(503)]);
    let reply = s.sync().await.expect("sync");
    assert!(reply.ok, "{reply:?}");
    s.assert_matches_n8n("after retried 5xx").await;
}

#[tokio::test]
async fn a_hanging_n8n_times_out_and_the_retry_succeeds() {
    let s = Scenario::new().await;
    s.seed(10);
    s.fake.inject("/api/v1/executions", [Fault::Hang]);
    let started = Instant::now();
    let reply = s.sync().await.expect("sync");
    assert!(reply.ok, "{reply:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the timeout fired: {:?}",
        started.elapsed()
    );
    s.assert_matches_n8n("after a timeout").await;
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let s = Scenario::new().await;
    s.seed(5);
    s.fake.inject(
        "/api/v1/executions",
        [Fault::TooManyRequests {
            retry_after_secs: 2,
        }],
    );
    let started = Instant::now();
    let reply = s.sync().await.expect("sync");
    assert!(reply.ok, "{reply:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "honoured Retry-After: {:?}",
        started.elapsed()
    );
    s.assert_matches_n8n("after 429").await;
}

#[tokio::test]
async fn a_wrong_api_key_fails_that_provider_with_a_clear_error_and_others_still_sync() {
    let s = Scenario::new().await;
    s.seed(5);
    let other = FakeN8n::start().await;
    let wf = other.add_workflow("Elsewhere");
    other.add_execution(&wf, "success");
    let other_provider = s
        .stack
        .add_provider(&s.user, "second", &other.url, &other.api_key)
        .await;
    // Break the first provider's key: n8n answers 401.
    let wrong = s
        .stack
        .encrypt_api_key(s.provider, &s.fake.url, "not-the-key");
    s.stack
        .db
        .execute(
            "update public.providers set api_key_ciphertext = $1 where id = $2",
            &[&wrong, &s.provider],
        )
        .await
        .unwrap();

    let reply = s.sync().await.expect("a partial failure is still a reply");
    assert!(!reply.ok);
    let failed = reply
        .results
        .iter()
        .find(|r| r.provider_id == s.provider)
        .expect("result for the broken provider");
    let message = failed.error.clone().unwrap_or_default();
    assert_eq!(failed.provider, "fake n8n", "the result names the instance");
    assert!(
        message.contains(&s.fake.url) && message.to_lowercase().contains("api key"),
        "says what to check: {message}"
    );
    let fine = reply
        .results
        .iter()
        .find(|r| r.provider_id == other_provider)
        .unwrap();
    assert_eq!(
        fine.executions_synced, 1,
        "the other provider synced: {reply:?}"
    );
    let logs = s.log_statuses().await;
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].0, "error");
    let status: String = s
        .stack
        .db
        .query_one(
            "select status from public.providers where id = $1",
            &[&s.provider],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "error");
    assert_eq!(
        s.stored_executions().await,
        1,
        "nothing stored for the broken provider"
    );
}

#[tokio::test]
async fn malformed_json_is_an_error_row_and_the_next_run_recovers() {
    let s = Scenario::new().await;
    s.seed(10);
    s.fake.inject(
        "/api/v1/executions",
        std::iter::repeat_n(Fault::Malformed, 10),
    );
    let reply = s.sync().await;
    let failed = match reply {
        Ok(r) => !r.ok,
        Err(e) => !e.to_string().is_empty(),
    };
    assert!(failed, "a malformed reply fails the run");
    assert!(s
        .log_statuses()
        .await
        .iter()
        .any(|(status, error)| status != "success" && error.is_some()));
    s.assert_no_duplicates("after malformed").await;
    s.fake.clear_faults();
    let reply = s.sync().await.expect("recovers");
    assert!(reply.ok, "{reply:?}");
    s.assert_matches_n8n("after recovery").await;
}

#[tokio::test]
async fn n8n_dying_mid_pagination_keeps_what_was_stored_and_the_next_run_completes() {
    let s = Scenario::new().await;
    s.seed(400); // 800 executions: four pages
    s.fake.die_after(3); // workflows page, executions pages 1 and 2, then gone
    let reply = s.sync().await;
    match &reply {
        Ok(r) => assert!(!r.ok, "the run is not a success: {r:?}"),
        Err(e) => assert!(
            e.to_string().contains("fake n8n") || e.to_string().contains("127.0.0.1"),
            "{e}"
        ),
    }
    s.assert_no_duplicates("after dying").await;
    let watermark: i64 = s
        .stack
        .db
        .query_one(
            "select exec_watermark from public.providers where id = $1",
            &[&s.provider],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        watermark, 0,
        "an incomplete listing never advances the watermark"
    );
    assert!(s
        .log_statuses()
        .await
        .iter()
        .any(|(status, _)| status == "error" || status == "partial"));
    s.fake.revive().await;
    let reply = s.sync().await.expect("sync after revival");
    assert!(reply.ok, "{reply:?}");
    s.assert_matches_n8n("after revival").await;
    assert_eq!(s.stored_executions().await, 800);
}

#[tokio::test]
async fn executions_pruned_by_n8n_stay_in_history_and_counters() {
    let s = Scenario::new().await;
    let (a, _) = s.seed(10);
    s.sync().await.expect("first sync");
    let before = s.counters().await;
    s.fake.prune(1..=10);
    s.fake.add_execution(&a, "success");
    let reply = s.sync().await.expect("second sync");
    assert!(reply.ok, "{reply:?}");
    let after = s.counters().await;
    assert_eq!(
        after[&a].0,
        before[&a].0 + 1,
        "history outlives n8n's pruning: one new execution counted"
    );
    assert_eq!(s.stored_executions().await, 21);
    s.assert_no_duplicates("after pruning").await;
}

#[tokio::test]
async fn a_running_execution_is_counted_once_when_it_finishes() {
    let s = Scenario::new().await;
    let wf = s.fake.add_workflow("Long job");
    s.fake.add_execution(&wf, "success");
    let running = s.fake.add_execution(&wf, "running");
    s.fake.add_execution(&wf, "success");
    s.sync().await.expect("first sync");
    assert_eq!(
        s.counters().await[&wf],
        (2, 2, 0),
        "running is not counted yet"
    );
    let status: String = s
        .stack
        .db
        .query_one(
            "select status from public.executions where n8n_execution_id = $1",
            &[&(running as i64)],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        status, "running",
        "the unlisted running execution was found by id"
    );
    s.fake.set_status(running, "error");
    s.sync().await.expect("second sync");
    assert_eq!(
        s.counters().await[&wf],
        (3, 2, 1),
        "counted once it finished"
    );
    s.sync().await.expect("third sync");
    s.assert_matches_n8n("after it finished").await;
    assert_eq!(s.stored_executions().await, 3);
}

#[tokio::test]
async fn ten_concurrent_syncs_of_one_user_count_everything_exactly_once() {
    let s = Scenario::new().await;
    s.seed(150);
    let runs = (0..10).map(|_| s.sync());
    let replies = futures::future::join_all(runs).await;
    for reply in replies {
        assert!(reply.expect("each concurrent run replies").ok);
    }
    s.assert_matches_n8n("after 10 concurrent runs").await;
    assert_eq!(s.stored_executions().await, 300);
}

#[tokio::test]
async fn an_unreachable_instance_is_a_502_naming_it() {
    let s = Scenario::new().await;
    s.fake.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let error = s.sync().await.expect_err("nothing reachable");
    assert_eq!(error.status(), 502, "{error:?}");
    assert!(
        error.to_string().contains("fake n8n"),
        "names the instance: {error}"
    );
    assert_eq!(
        s.log_statuses().await.first().map(|l| l.0.as_str()),
        Some("error")
    );
}
