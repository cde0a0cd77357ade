//! The edge function as deployed: the worker-build output served by workerd, bound to a test
//! stack's PostgREST, reached over HTTP like curl.

use super::{built_artifact, log_path, TestStack, JWT_SECRET};
use flowpulse_stack::process::{self, Service};

/// A running workerd with the `workflow-sync` worker and the local cron hook.
pub struct TestWorker {
    /// `http://127.0.0.1:<port>/functions/v1/workflow-sync`
    pub url: String,
    /// `http://127.0.0.1:<port>/__scheduled`
    pub cron_url: String,
    /// The worker's port.
    pub port: u16,
    /// The cron hook's port.
    pub cron_port: u16,
    /// What the cron hook wants as `Authorization: Bearer`.
    pub cron_token: String,
    _workerd: Service,
}

impl TestStack {
    /// Serves the built edge function against this stack.
    pub async fn spawn_worker(&self) -> TestWorker {
        self.spawn_worker_with(&[]).await
    }

    /// Like [`spawn_worker`](Self::spawn_worker), with extra or overriding bindings.
    pub async fn spawn_worker_with(&self, extra: &[(&'static str, String)]) -> TestWorker {
        let build = built_artifact(flowpulse_stack::artifacts::ENV_WORKER_BUILD);
        let tools = flowpulse_stack::tools::Tools::locate(
            &super::repo(),
            &flowpulse_stack::config::cache_dir(),
        )
        .expect("tools");
        let port = process::free_port().unwrap();
        let cron_port = process::free_port().unwrap();
        let mut bindings: Vec<(&'static str, String)> = vec![
            ("POSTGREST_URL", self.postgrest_url.clone()),
            ("POSTGREST_API_KEY", self.anon_key.clone()),
            ("JWT_SECRET", JWT_SECRET.to_string()),
            ("SERVICE_ROLE_KEY", self.service_role_key.clone()),
            ("ENCRYPTION_KEY", self.encryption_key.clone()),
            ("ALLOWED_ORIGINS", "http://app.test".to_string()),
            // Like `cargo xtask dev`: n8n fakes run on loopback; the stack's own ports never.
            ("OUTBOUND_ALLOW", "loopback".to_string()),
            ("OUTBOUND_DENY_PORTS", self.own_ports(&[port, cron_port])),
        ];
        for (name, value) in extra {
            bindings.retain(|(n, _)| n != name);
            bindings.push((name, value.clone()));
        }
        let dir = super::run_dir().join(format!("workerd-{}", self.database));
        let config = flowpulse_stack::worker::write_config(
            &dir,
            &flowpulse_stack::worker::WorkerSettings {
                build_dir: &build,
                port,
                cron_port,
                cron_token: self.service_role_key.clone(),
                bindings,
            },
        )
        .expect("workerd config");
        let workerd = flowpulse_stack::worker::start(
            &tools,
            &config,
            port,
            cron_port,
            &log_path(&format!("workerd-{}", self.database)),
        )
        .await
        .expect("workerd starts");
        TestWorker {
            url: format!("http://127.0.0.1:{port}/functions/v1/workflow-sync"),
            cron_url: format!("http://127.0.0.1:{cron_port}/__scheduled"),
            port,
            cron_port,
            cron_token: self.service_role_key.clone(),
            _workerd: workerd,
        }
    }
}

impl TestWorker {
    /// Posts an action body as the holder of `token` (curl's way); the status and JSON reply.
    pub async fn act(&self, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let reply = reqwest::Client::new()
            .post(&self.url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("worker answers");
        let status = reply.status().as_u16();
        let body = reply.json().await.expect("JSON reply");
        (status, body)
    }

    /// `sync_all_workflows` as the holder of `token`; it must succeed.
    pub async fn sync_all(&self, token: &str) -> serde_json::Value {
        let (status, body) = self
            .act(token, serde_json::json!({"action": "sync_all_workflows"}))
            .await;
        assert_eq!(status, 200, "sync replied {status}: {body}");
        assert_eq!(body["ok"], true, "sync reported a failure: {body}");
        body
    }
}
