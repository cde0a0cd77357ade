//! Fair share in a run over many instances (an operator's `sync_all_workflows` as service role;
//! the cron's queue gives each instance a run of its own, see `queue`): instances that hang
//! cannot hold every slot of a run while another user's instance waits, and an instance a run
//! had no time for goes first in the next one.

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::{spawn_stack, TestStack};
use flowpulse_core::contract::{ProviderResult, SyncRequest, SyncResponse};
use std::time::Duration;
use uuid::Uuid;
use workflow_sync::WorkerConfig;

/// Four hanging instances (as many as a run syncs at once), created first so they come first,
/// then an ordinary one of another user with 20 executions.
struct Crowd {
    stack: TestStack,
    fakes: Vec<FakeN8n>,
    providers: Vec<Uuid>,
}

impl Crowd {
    async fn new() -> Crowd {
        let stack = spawn_stack().await;
        let mut fakes = Vec::new();
        let mut providers = Vec::new();
        for index in 0..5 {
            let user = stack.create_user(&format!("user{index}@example.com")).await;
            let fake = FakeN8n::start().await;
            let workflow = fake.add_workflow("Orders");
            for _ in 0..20 {
                fake.add_execution(&workflow, "success");
            }
            if index < 4 {
                fake.set_latency(Duration::from_secs(30));
            }
            let provider = stack
                .add_provider(&user, "n8n", &fake.url, &fake.api_key)
                .await;
            fakes.push(fake);
            providers.push(provider);
        }
        Crowd {
            stack,
            fakes,
            providers,
        }
    }

    fn config(&self, run_ms: u64, provider_ms: u64) -> WorkerConfig {
        self.stack.worker_config(&[
            ("SYNC_TIME_BUDGET_MS", &run_ms.to_string()),
            ("PROVIDER_TIME_BUDGET_MS", &provider_ms.to_string()),
        ])
    }

    /// A sync of every provider as service role.
    async fn run(&self, config: &WorkerConfig) -> SyncResponse {
        workflow_sync::run_action(
            config,
            &self.stack.service_role_key,
            SyncRequest::SyncAllWorkflows { provider_id: None },
        )
        .await
        .expect("the run answers")
    }

    fn ordinary<'r>(&self, reply: &'r SyncResponse) -> &'r ProviderResult {
        reply
            .results
            .iter()
            .find(|result| result.provider_id == self.providers[4])
            .expect("the ordinary instance is in the run")
    }

    fn stop(&self) {
        for fake in &self.fakes {
            fake.stop();
        }
    }
}

#[tokio::test]
async fn hanging_instances_use_their_own_budget_and_another_users_instance_still_syncs() {
    let crowd = Crowd::new().await;
    let reply = crowd.run(&crowd.config(12_000, 2_500)).await;
    let ordinary = crowd.ordinary(&reply);
    assert!(
        ordinary.error.is_none() && ordinary.executions_synced == 20,
        "another user's instance synced fully: {reply:?}"
    );
    for hanging in &crowd.providers[..4] {
        let result = reply
            .results
            .iter()
            .find(|result| result.provider_id == *hanging)
            .expect("each hanging instance is in the run");
        assert!(result.error.is_some(), "{result:?}");
        assert!(
            result.duration_ms < 5_000,
            "a hanging instance is cut at its own budget, not the run's: {result:?}"
        );
    }
    crowd.stop();
}

#[tokio::test]
async fn an_instance_a_run_had_no_time_for_is_untouched_and_first_in_the_next_run() {
    let crowd = Crowd::new().await;
    // Budgets as long as the run: the hanging ones take every slot until the end.
    let config = crowd.config(6_000, 60_000);
    let first = crowd.run(&config).await;
    let skipped = crowd.ordinary(&first);
    assert!(
        skipped
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not reached")),
        "{first:?}"
    );
    let untouched: (i64, Option<chrono::DateTime<chrono::Utc>>) = {
        let row = crowd
            .stack
            .db
            .query_one(
                "select (select count(*) from public.sync_logs where provider_id = $1),
                        (select last_checked_at from public.providers where id = $1)",
                &[&crowd.providers[4]],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(untouched, (0, None), "no sync log, never marked as checked");

    let second = crowd.run(&config).await;
    let ordinary = crowd.ordinary(&second);
    assert!(
        ordinary.error.is_none() && ordinary.executions_synced == 20,
        "first in line the next run: {second:?}"
    );
    crowd.stop();
}
