//! The cron's fan-out, natively: the cron queues one message per provider and syncs nothing
//! itself; the consumer syncs each provider once with a budget of its own, hands a claimed or
//! unreachable provider back to the queue with a growing delay, and acknowledges a message its
//! provider has outgrown. (Through Miniflare's real queue: `worker_http::actions`.)

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::{spawn_stack, TestStack};
use chrono::Utc;
use flowpulse_core::fan_out::{ProviderSyncMessage, LEAST_RETRY_DELAY};
use std::time::Duration;
use uuid::Uuid;
use workflow_sync::{QueueVerdict, WorkerConfig};

/// Three users' instances: two answering (20 executions each), the third hanging.
struct Fleet {
    stack: TestStack,
    fakes: Vec<FakeN8n>,
    providers: Vec<Uuid>,
    config: WorkerConfig,
}

impl Fleet {
    async fn new() -> Fleet {
        let stack = spawn_stack().await;
        let mut fakes = Vec::new();
        let mut providers = Vec::new();
        for index in 0..3 {
            let user = stack
                .create_user(&format!("fleet{index}@example.com"))
                .await;
            let fake = FakeN8n::start().await;
            let workflow = fake.add_workflow("Orders");
            for _ in 0..20 {
                fake.add_execution(&workflow, "success");
            }
            if index == 2 {
                fake.set_latency(Duration::from_secs(30));
            }
            providers.push(
                stack
                    .add_provider(&user, "n8n", &fake.url, &fake.api_key)
                    .await,
            );
            fakes.push(fake);
        }
        let config =
            stack.worker_config(&[("SYNC_TIME_BUDGET_MS", "4000"), ("N8N_TIMEOUT_MS", "1500")]);
        Fleet {
            stack,
            fakes,
            providers,
            config,
        }
    }

    async fn cycle(&self) -> Vec<ProviderSyncMessage> {
        let run = workflow_sync::run_scheduled(&self.config, "*/15 * * * *").await;
        assert!(
            run.jobs.is_empty(),
            "no cleanup on this cron: {:?}",
            run.jobs
        );
        run.messages.expect("the cron lists the providers")
    }

    async fn sync_logs(&self) -> i64 {
        self.stack
            .db
            .query_one("select count(*) from public.sync_logs", &[])
            .await
            .unwrap()
            .get(0)
    }

    fn stop(&self) {
        for fake in &self.fakes {
            fake.stop();
        }
    }
}

#[tokio::test]
async fn the_cron_queues_every_users_providers_and_syncs_none_itself() {
    let fleet = Fleet::new().await;
    let messages = fleet.cycle().await;
    let queued: Vec<Uuid> = messages.iter().map(|m| m.provider_id).collect();
    assert_eq!(queued, fleet.providers, "never synced: creation order");
    assert_eq!(fleet.sync_logs().await, 0, "the cron itself syncs nothing");
    fleet.stop();
}

#[tokio::test]
async fn each_provider_syncs_once_in_its_own_budget_and_a_repeated_message_is_only_acknowledged() {
    let fleet = Fleet::new().await;
    let messages = fleet.cycle().await;
    let verdicts = workflow_sync::run_queued(&fleet.config, &messages).await;
    for (index, verdict) in verdicts[..2].iter().enumerate() {
        match verdict {
            QueueVerdict::Ack {
                skipped: None,
                result: Some(result),
            } => assert!(
                result.error.is_none() && result.executions_synced == 20,
                "provider {index} synced fully beside a hanging one: {result:?}"
            ),
            other => panic!("provider {index}: {other:?}"),
        }
    }
    match &verdicts[2] {
        QueueVerdict::Retry { delay, reason } => {
            assert_eq!(delay.as_secs(), 30, "a new message waits the least");
            assert!(reason.contains("n8n"), "{reason}");
        }
        other => panic!("the hanging instance goes back to the queue: {other:?}"),
    }
    assert_eq!(fleet.sync_logs().await, 3, "one sync log per provider");

    // The same messages again (a queue delivers at least once): the two synced since are
    // acknowledged untouched; the failed one is the retry its message is for.
    let again = workflow_sync::run_queued(&fleet.config, &messages[..2]).await;
    assert!(
        again.iter().all(|v| matches!(
            v,
            QueueVerdict::Ack {
                skipped: Some(_),
                result: None
            }
        )),
        "{again:?}"
    );
    assert_eq!(fleet.sync_logs().await, 3);
    let claims: i64 = fleet
        .stack
        .db
        .query_one(
            "select count(*) from public.providers where sync_claimed_until is not null",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        claims, 0,
        "every consumer ended its claim, the failed one too"
    );
    fleet.stop();
}

#[tokio::test]
async fn a_provider_another_consumer_holds_waits_and_an_old_failing_message_waits_longer() {
    let fleet = Fleet::new().await;
    fleet
        .stack
        .db
        .execute(
            "update public.providers set sync_claimed_until = now() + interval '5 minutes'
             where id = $1",
            &[&fleet.providers[0]],
        )
        .await
        .unwrap();
    let held = ProviderSyncMessage {
        provider_id: fleet.providers[0],
        enqueued_at: Utc::now(),
    };
    // Queued four minutes ago and retried since: the wait has grown with its age.
    let old = ProviderSyncMessage {
        provider_id: fleet.providers[2],
        enqueued_at: Utc::now() - chrono::Duration::minutes(4),
    };
    let verdicts = workflow_sync::run_queued(&fleet.config, &[held, old]).await;
    match &verdicts[0] {
        QueueVerdict::Retry { delay, reason } => {
            assert_eq!(*delay, LEAST_RETRY_DELAY.to_std().unwrap());
            assert!(reason.contains("another sync"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    match &verdicts[1] {
        QueueVerdict::Retry { delay, .. } => assert!(
            (239..=245).contains(&delay.as_secs()),
            "about the message's age: {delay:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(fleet.sync_logs().await, 1, "only the unheld provider tried");
    fleet.stop();
}

#[tokio::test]
async fn a_message_for_a_deleted_instance_or_a_forged_id_is_acknowledged_without_a_trace() {
    let fleet = Fleet::new().await;
    let messages = fleet.cycle().await;
    fleet
        .stack
        .db
        .execute(
            "delete from public.providers where id = $1",
            &[&fleet.providers[0]],
        )
        .await
        .unwrap();
    let forged = ProviderSyncMessage {
        provider_id: Uuid::new_v4(),
        enqueued_at: Utc::now(),
    };
    let verdicts = workflow_sync::run_queued(&fleet.config, &[messages[0].clone(), forged]).await;
    assert!(
        verdicts.iter().all(|v| matches!(
            v,
            QueueVerdict::Ack {
                skipped: Some(_),
                result: None
            }
        )),
        "{verdicts:?}"
    );
    assert_eq!(fleet.sync_logs().await, 0);
    fleet.stop();
}
