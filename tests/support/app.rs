//! The app server as `cargo xtask dev` runs it, bound to a test stack and its worker.

use super::worker::TestWorker;
use super::{built_artifact, log_path, TestStack, JWT_SECRET};
use flowpulse_stack::process::{self, Service};

/// A running app server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    _server: Service,
}

impl TestStack {
    /// Starts the built app against this stack's PostgREST and database and `worker`.
    pub async fn spawn_app(&self, worker: &TestWorker) -> TestApp {
        self.spawn_app_with(worker, &[]).await
    }

    /// Like [`spawn_app`](Self::spawn_app), with extra or overriding environment variables.
    pub async fn spawn_app_with(
        &self,
        worker: &TestWorker,
        extra: &[(&'static str, String)],
    ) -> TestApp {
        self.spawn_app_on(worker, process::free_port().unwrap(), extra)
            .await
    }

    /// Like [`spawn_app_with`](Self::spawn_app_with), on `port` (chosen beforehand, e.g. for a
    /// worker that calls the app back).
    pub async fn spawn_app_on(
        &self,
        worker: &TestWorker,
        port: u16,
        extra: &[(&'static str, String)],
    ) -> TestApp {
        let build = flowpulse_stack::app::AppBuild {
            server_binary: built_artifact(flowpulse_stack::artifacts::ENV_APP_BIN),
            site_root: built_artifact(flowpulse_stack::artifacts::ENV_SITE_ROOT),
        };
        let functions_url = worker.url.trim_end_matches("/workflow-sync").to_string();
        let mut env = vec![
            ("FLOWPULSE_POSTGREST_URL", self.postgrest_url.clone()),
            ("FLOWPULSE_ANON_KEY", self.anon_key.clone()),
            ("FLOWPULSE_JWT_SECRET", JWT_SECRET.to_string()),
            ("FLOWPULSE_ENCRYPTION_KEY", self.encryption_key.clone()),
            ("FLOWPULSE_FUNCTIONS_URL", functions_url),
            ("FLOWPULSE_DATABASE_URL", self.database_url()),
            // Plain HTTP on 127.0.0.1, like `cargo xtask dev`.
            ("FLOWPULSE_COOKIE_SECURE", "false".to_string()),
            // Like `cargo xtask dev`: n8n fakes run on loopback; the stack's own ports never.
            ("FLOWPULSE_OUTBOUND_ALLOW", "loopback".to_string()),
            (
                "FLOWPULSE_OUTBOUND_DENY_PORTS",
                self.own_ports(&[port, worker.port, worker.cron_port]),
            ),
        ];
        for (name, value) in extra {
            env.retain(|(n, _)| n != name);
            env.push((name, value.clone()));
        }
        let server = flowpulse_stack::app::start(
            &build,
            port,
            &env,
            &log_path(&format!("app-{}", self.database)),
        )
        .await
        .expect("app starts");
        TestApp {
            url: format!("http://127.0.0.1:{port}"),
            _server: server,
        }
    }
}
