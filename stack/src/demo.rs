//! `cargo xtask dev --demo`: a real local n8n (npm, cached) seeded with sample workflows — a
//! webhook that succeeds, one that fails, a schedule every minute — the demo account with that
//! instance already added, and a little traffic plus a sync every 20 s, so a newcomer signs in
//! and watches the counters move within a minute.

use crate::config::StackConfig;
use crate::n8n::{self, N8nInstall};
use crate::n8n_api::{N8nApi, Outcome, Trigger};
use crate::process::{self, Service};
use anyhow::Result;
use std::time::Duration;
use uuid::Uuid;

/// The demo instance's name in the demo account.
pub const PROVIDER_NAME: &str = "Local n8n (demo)";
const OK_PATH: &str = "flowpulse-demo-ok";
const FAIL_PATH: &str = "flowpulse-demo-fail";

/// The running demo n8n.
pub struct Demo {
    pub base_url: String,
    pub service: Service,
    api: N8nApi,
}

/// Installs (first time) and starts n8n, seeds it, and adds it to the demo account.
pub async fn start(
    cfg: &StackConfig,
    db: &tokio_postgres::Client,
    demo_user: Uuid,
) -> Result<Demo> {
    process::ensure_port_free(cfg.n8n_port, "the demo n8n", "FLOWPULSE_N8N_PORT")?;
    let install = N8nInstall::ensure(&cfg.cache_dir)?;
    let logs = cfg.data_dir.join("logs");
    let server = n8n::start(
        &install,
        &cfg.data_dir.join("n8n"),
        cfg.n8n_port,
        &logs.join("n8n.log"),
    )
    .await?;
    let api = N8nApi::new(&server.base_url, &server.api_key);
    let samples = [
        (
            "Demo: order webhook (succeeds)",
            Trigger::Webhook {
                path: OK_PATH.into(),
            },
            Outcome::Succeeds,
        ),
        (
            "Demo: invoice webhook (fails)",
            Trigger::Webhook {
                path: FAIL_PATH.into(),
            },
            Outcome::Fails,
        ),
        (
            "Demo: heartbeat every minute",
            Trigger::Schedule { minutes: 1 },
            Outcome::Succeeds,
        ),
    ];
    for (name, trigger, outcome) in &samples {
        if api.find_workflow(name).await?.is_none() {
            api.create_workflow(name, trigger, *outcome).await?;
            println!("demo: created n8n workflow {name:?}");
        }
    }
    // The key changes on every start (n8n hands out a new one): store the current one.
    let keys = flowpulse_core::crypto::KeyRing::from_base64(
        flowpulse_core::crypto::CURRENT_KEY_VERSION,
        &cfg.encryption_key,
    )
    .map_err(|e| anyhow::anyhow!("FLOWPULSE_ENCRYPTION_KEY: {e}"))?;
    // The key is bound to the row's id and the URL's origin: reuse the row's id if it exists.
    let existing = db
        .query_opt(
            "select id from public.providers where user_id = $1 and name = $2",
            &[&demo_user, &PROVIDER_NAME],
        )
        .await?;
    let provider_id: uuid::Uuid = existing.map_or_else(uuid::Uuid::new_v4, |row| row.get(0));
    let origin = flowpulse_core::base_url::BaseUrl::parse(&server.base_url)
        .map_err(|e| anyhow::anyhow!("demo n8n URL: {e}"))?
        .origin();
    let binding = flowpulse_core::crypto::SecretBinding::provider_api_key(provider_id, &origin);
    let ciphertext = keys.encrypt(&server.api_key, &binding, &mut rand_core::OsRng);
    db.execute(
        "insert into public.providers (id, user_id, name, base_url, api_key_ciphertext)
         values ($1, $2, $3, $4, $5)
         on conflict (user_id, name) do update
           set base_url = excluded.base_url, api_key_ciphertext = excluded.api_key_ciphertext",
        &[
            &provider_id,
            &demo_user,
            &PROVIDER_NAME,
            &server.base_url,
            &ciphertext,
        ],
    )
    .await?;
    Ok(Demo {
        base_url: server.base_url,
        service: server.service,
        api,
    })
}

impl Demo {
    /// The background traffic for this instance, syncing through `sync_url` as service role.
    pub fn traffic(&self, sync_url: String, service_role_key: String) -> DemoTraffic {
        DemoTraffic {
            api: N8nApi::new(&self.base_url, self.api.api_key()),
            sync_url,
            service_role_key,
        }
    }
}

/// Sample traffic: webhook calls and a sync of every provider every 20 s.
pub struct DemoTraffic {
    api: N8nApi,
    sync_url: String,
    service_role_key: String,
}

impl DemoTraffic {
    /// Runs forever; spawn it as a task. Failures are ignored: the next round tries again.
    pub async fn run(self) {
        let http = reqwest::Client::new();
        for round in 1u64.. {
            let _ = self.api.call_webhook(OK_PATH).await;
            if round % 3 == 0 {
                let _ = self.api.call_webhook(FAIL_PATH).await;
            }
            // n8n stores an execution just after its webhook answers.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = http
                .post(&self.sync_url)
                .bearer_auth(&self.service_role_key)
                .json(&serde_json::json!({"action": "sync_all_workflows"}))
                .send()
                .await;
            tokio::time::sleep(Duration::from_secs(18)).await;
        }
    }
}
