//! One real n8n (npm, cached by `cargo xtask setup --for-tests`) per test binary, shared by the
//! tests that need it; each test creates its own uniquely named workflows.

use super::{log_path, run_dir};
use flowpulse_core::n8n::Execution;
pub use flowpulse_stack::n8n_api::Outcome;
use flowpulse_stack::n8n_api::{N8nApi, Trigger};
use tokio::sync::OnceCell;

/// The shared instance's address and API key.
pub struct RealN8n {
    pub base_url: String,
    pub api_key: String,
}

/// Starts n8n on first use (~30 s), then hands out the same instance.
pub async fn shared() -> &'static RealN8n {
    static N8N: OnceCell<RealN8n> = OnceCell::const_new();
    N8N.get_or_init(|| async {
        let install =
            flowpulse_stack::n8n::N8nInstall::locate(&flowpulse_stack::config::cache_dir());
        assert!(
            install.is_installed(),
            "n8n is not installed: run `cargo xtask setup --for-tests`"
        );
        let port = flowpulse_stack::process::free_port().unwrap();
        let server =
            flowpulse_stack::n8n::start(&install, &run_dir().join("n8n"), port, &log_path("n8n"))
                .await
                .expect("n8n starts");
        // The service lives as long as the test binary: leak the handle on purpose (it still
        // dies with the process through its parent-death signal).
        let flowpulse_stack::n8n::N8nServer {
            base_url,
            api_key,
            service,
        } = server;
        std::mem::forget(service);
        RealN8n { base_url, api_key }
    })
    .await
}

impl RealN8n {
    /// A client for this test's runtime. Each test has its own tokio runtime, and a pooled
    /// connection made on a finished test's runtime is dead: never share one across tests.
    fn api(&self) -> N8nApi {
        N8nApi::new(&self.base_url, &self.api_key)
    }

    /// Creates and activates a webhook workflow; returns (id, webhook path).
    pub async fn create_webhook_workflow(&self, name: &str, outcome: Outcome) -> (String, String) {
        let path = format!("fp-{}", uuid::Uuid::new_v4().simple());
        let id = self
            .api()
            .create_workflow(name, &Trigger::Webhook { path: path.clone() }, outcome)
            .await
            .expect("workflow created");
        (id, path)
    }

    /// Calls a production webhook `times` times.
    pub async fn trigger(&self, path: &str, times: usize) {
        for _ in 0..times {
            self.api()
                .call_webhook(path)
                .await
                .expect("webhook answers");
        }
    }

    /// n8n's own execution list for a workflow (all pages).
    pub async fn executions_of(&self, workflow_id: &str) -> Vec<Execution> {
        self.api()
            .executions_of(workflow_id)
            .await
            .expect("execution list")
    }

    /// (final executions, successful, failed, listed) of a workflow by n8n's own list: what
    /// FlowPulse's counters must equal.
    pub async fn counters(&self, workflow_id: &str) -> (i64, i64, i64, i64) {
        let list = self.executions_of(workflow_id).await;
        let count = |pred: &dyn Fn(&str) -> bool| {
            i64::try_from(list.iter().filter(|e| pred(e.status.as_str())).count()).unwrap()
        };
        (
            count(&|s| matches!(s, "success" | "error" | "crashed" | "canceled")),
            count(&|s| s == "success"),
            count(&|s| matches!(s, "error" | "crashed")),
            i64::try_from(list.len()).unwrap(),
        )
    }

    /// Waits until n8n lists `count` executions of a workflow.
    pub async fn wait_for_executions(&self, workflow_id: &str, count: usize) -> Vec<Execution> {
        self.api()
            .wait_for_executions(workflow_id, count)
            .await
            .expect("executions recorded")
    }
}
