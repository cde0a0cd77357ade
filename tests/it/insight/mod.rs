//! Insight on top of the sync: why executions failed and retrying them (against a real n8n),
//! what stopped running, and alerts (the engine natively — the code the worker runs — against
//! the fake n8n, whose clock-dependent fields a test can set, with a real PostgREST + Postgres).

pub(crate) mod alerts;
mod e2e;
pub(crate) mod health;
mod real_health;

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::{spawn_stack, TestStack, TestUser};
use flowpulse_core::contract::SyncRequest;
use serde_json::Value;
use workflow_sync::WorkerConfig;

/// One user with one instance on a fake n8n, and the engine's configuration.
pub struct Scenario {
    pub stack: TestStack,
    pub user: TestUser,
    pub fake: FakeN8n,
    pub config: WorkerConfig,
}

impl Scenario {
    pub async fn new(email: &str) -> Scenario {
        let stack = spawn_stack().await;
        let user = stack.create_user(email).await;
        let fake = FakeN8n::start().await;
        stack
            .add_provider(&user, "fake n8n", &fake.url, &fake.api_key)
            .await;
        // The fake n8n and the alert receivers listen on loopback, as locally allowed.
        let config = stack.worker_config(&[]);
        Scenario {
            stack,
            user,
            fake,
            config,
        }
    }

    /// A "Sync now" of every instance with the user's token.
    pub async fn sync(&self) {
        workflow_sync::run_action(
            &self.config,
            &self.user.token,
            SyncRequest::SyncAllWorkflows { provider_id: None },
        )
        .await
        .expect("the sync runs");
    }

    /// `(status, findings)` of the workflow with n8n id `n8n_id`.
    pub async fn health(&self, n8n_id: &str) -> (String, Value) {
        verdict(&self.stack, n8n_id).await
    }
}

/// `(status, findings)` of the stored verdict on the workflow with n8n id `n8n_id`.
pub async fn verdict(stack: &TestStack, n8n_id: &str) -> (String, Value) {
    let row = stack
        .db
        .query_one(
            "select h.status, h.findings from public.workflow_health h
             join public.mvp_workflows w on w.id = h.workflow_id
             where w.n8n_workflow_id = $1",
            &[&n8n_id],
        )
        .await
        .expect("a verdict for the workflow");
    (row.get(0), row.get(1))
}
