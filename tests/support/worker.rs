//! The edge function as deployed: the worker-build output served by Miniflare (workerd with
//! Queues), bound to a test stack's PostgREST, reached over HTTP like curl.

use super::{built_artifact, log_path, TestStack, JWT_SECRET};
use flowpulse_stack::process::{self, Service};

/// A running worker host with the `workflow-sync` worker, its queue and the local cron hook.
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
    _host: Service,
}

impl TestStack {
    /// Waits (up to 60 s: the queue batches for a second, and the machine is shared) until
    /// `count` scheduled syncs have finished, then gives each one's provider and status, oldest
    /// first. More than `count` finished is a failure: every queued provider syncs once.
    pub async fn scheduled_syncs(&self, count: usize) -> Vec<(uuid::Uuid, String)> {
        let started = std::time::Instant::now();
        loop {
            let rows = self
                .db
                .query(
                    "select provider_id, status from public.sync_logs
                     where sync_type = 'scheduled' and status <> 'running'
                     order by started_at, id",
                    &[],
                )
                .await
                .expect("read sync logs");
            let finished: Vec<(uuid::Uuid, String)> =
                rows.iter().map(|row| (row.get(0), row.get(1))).collect();
            assert!(
                finished.len() <= count,
                "more scheduled syncs than expected: {finished:?}"
            );
            if finished.len() == count {
                return finished;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "only {} of {count} scheduled syncs finished: {finished:?}",
                finished.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// One whole `*/15` cron cycle through `worker`: fired, then waited for until every
    /// provider's queued sync has finished and its consumer is done (alerts delivered, claim
    /// ended); the new syncs' providers and statuses.
    pub async fn cron_cycle(&self, worker: &TestWorker) -> Vec<(uuid::Uuid, String)> {
        let count = |sql: &'static str| async move {
            let row = self.db.query_one(sql, &[]).await.expect("count");
            usize::try_from(row.get::<_, i64>(0)).expect("a count")
        };
        let providers = count("select count(*) from public.providers").await;
        let before = count(
            "select count(*) from public.sync_logs
             where sync_type = 'scheduled' and status <> 'running'",
        )
        .await;
        worker.fire_cron("*/15 * * * *").await;
        let mut finished = self.scheduled_syncs(before + providers).await;
        // The consumer is done with a provider when it ends its claim: after the sync log is
        // closed come the alerts and their deliveries.
        let started = std::time::Instant::now();
        while count("select count(*) from public.providers where sync_claimed_until is not null")
            .await
            > 0
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "a queue consumer never ended its claim"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        finished.split_off(before)
    }

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
        // Free ports are only free when asked for: another process may take one before the
        // host listens. The host then fails to start, and another pair is tried.
        let mut attempt = 0;
        let (port, cron_port, host) = loop {
            attempt += 1;
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
            let dir = super::run_dir().join(format!("worker-{}", self.database));
            let config = flowpulse_stack::worker::write_config(
                &dir,
                &flowpulse_stack::worker::WorkerSettings {
                    build_dir: &build,
                    port,
                    cron_port,
                    cron_token: self.service_role_key.clone(),
                    bindings,
                    node_modules: &tools.node_modules,
                },
            )
            .expect("worker host settings");
            match flowpulse_stack::worker::start(
                &tools,
                &config,
                port,
                cron_port,
                &log_path(&format!("worker-{}", self.database)),
            )
            .await
            {
                Ok(host) => break (port, cron_port, host),
                Err(error) if attempt < 3 => eprintln!("the worker host did not start: {error:#}"),
                Err(error) => panic!("the worker host starts: {error:#}"),
            }
        };
        TestWorker {
            url: format!("http://127.0.0.1:{port}/functions/v1/workflow-sync"),
            cron_url: format!("http://127.0.0.1:{cron_port}/__scheduled"),
            port,
            cron_port,
            cron_token: self.service_role_key.clone(),
            _host: host,
        }
    }
}

impl TestWorker {
    /// Fires `cron` through the cron hook, as Cloudflare's trigger would; it must answer 200.
    /// The providers' syncs follow through the queue (see [`TestStack::scheduled_syncs`]).
    pub async fn fire_cron(&self, cron: &str) {
        let reply = reqwest::Client::new()
            .get(&self.cron_url)
            .query(&[("cron", cron)])
            .bearer_auth(&self.cron_token)
            .send()
            .await
            .expect("the cron hook answers");
        let status = reply.status();
        assert_eq!(status, 200, "{}", reply.text().await.unwrap_or_default());
    }

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
