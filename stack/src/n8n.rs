//! A real n8n (npm) for the end-to-end tests and the demo: installed once into the cache,
//! started offline on loopback, and given an owner and a public-API key without a browser.
//! The facts behind every step are in the project notes on n8n.

use crate::process::{self, Service};
use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// n8n version (2.41.3, npm's latest, does not install: a dependency is missing upstream).
pub const N8N_VERSION: &str = "2.41.1";

/// Where the cached n8n and its Node live.
#[derive(Debug, Clone)]
pub struct N8nInstall {
    pub node_dir: PathBuf,
    pub n8n_dir: PathBuf,
}

impl N8nInstall {
    pub fn locate(cache: &Path) -> N8nInstall {
        N8nInstall {
            node_dir: crate::node::home(cache),
            n8n_dir: cache.join(format!("n8n-{N8N_VERSION}")),
        }
    }

    fn node_bin(&self) -> PathBuf {
        self.node_dir.join("bin")
    }

    fn ready_stamp(&self) -> PathBuf {
        self.n8n_dir.join(".flowpulse-ready")
    }

    /// Whether both Node 24 and a working n8n are in the cache.
    pub fn is_installed(&self) -> bool {
        self.node_bin().join("node").exists() && self.ready_stamp().exists()
    }

    /// Installs what is missing (first time ~15 minutes; ~3 GB).
    pub fn ensure(cache: &Path) -> Result<N8nInstall> {
        let install = N8nInstall::locate(cache);
        crate::node::ensure(cache)?;
        if !install.ready_stamp().exists() {
            let started = Instant::now();
            std::fs::create_dir_all(&install.n8n_dir)?;
            std::fs::write(
                install.n8n_dir.join("package.json"),
                format!(
                    r#"{{"name":"flowpulse-n8n","private":true,"dependencies":{{"n8n":"{N8N_VERSION}"}}}}"#
                ),
            )?;
            println!("setup: installing n8n {N8N_VERSION} (a one-time ~15 minute install) ...");
            // A plain install runs a script that downloads zlib from the internet and then rolls
            // everything back; skip scripts and build the one native module n8n needs.
            process::run_visible(
                "npm install n8n",
                Command::new("npm")
                    .args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
                    .current_dir(&install.n8n_dir),
            )?;
            process::run_visible(
                "npm rebuild sqlite3",
                Command::new("npm")
                    .args(["rebuild", "sqlite3"])
                    .current_dir(&install.n8n_dir)
                    .env("PATH", install.path_env())
                    // The machine's npmrc points node-gyp at Node 20's headers.
                    .env("npm_config_nodedir", &install.node_dir),
            )?;
            std::fs::write(install.ready_stamp(), N8N_VERSION)?;
            println!("setup: installed n8n in {:.0?}", started.elapsed());
        }
        Ok(install)
    }

    fn path_env(&self) -> std::ffi::OsString {
        let mut paths = vec![self.node_bin()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(paths).expect("PATH")
    }
}

/// A running n8n with an owner account and a public-API key.
pub struct N8nServer {
    pub base_url: String,
    pub api_key: String,
    pub service: Service,
}

/// Owner credentials of the n8n instances FlowPulse starts.
pub const OWNER_EMAIL: &str = "owner@flowpulse.local";
/// Meets n8n's rules: 8-64 characters, a digit and an upper-case letter.
pub const OWNER_PASSWORD: &str = "FlowPulse-Owner-1";

/// Starts n8n with its data in `user_folder` (kept between runs by the demo), waits until it
/// is ready, creates the owner on first run and returns a fresh API key.
pub async fn start(
    install: &N8nInstall,
    user_folder: &Path,
    port: u16,
    log: &Path,
) -> Result<N8nServer> {
    std::fs::create_dir_all(user_folder)?;
    let base_url = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(install.node_bin().join("node"));
    cmd.arg(install.n8n_dir.join("node_modules/n8n/bin/n8n"))
        .arg("start");
    cmd.current_dir(&install.n8n_dir)
        .env("PATH", install.path_env());
    for (key, value) in [
        ("DB_TYPE", "sqlite"),
        ("N8N_LISTEN_ADDRESS", "127.0.0.1"),
        ("N8N_RUNNERS_BROKER_LISTEN_ADDRESS", "127.0.0.1"),
        ("N8N_SECURE_COOKIE", "false"),
        ("EXECUTIONS_DATA_PRUNE", "false"),
        // No outbound calls: this machine (and many CI runners) has no internet.
        ("N8N_DIAGNOSTICS_ENABLED", "false"),
        ("N8N_VERSION_NOTIFICATIONS_ENABLED", "false"),
        ("N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED", "false"),
        ("N8N_TEMPLATES_ENABLED", "false"),
        ("N8N_PERSONALIZATION_ENABLED", "false"),
        ("N8N_DYNAMIC_BANNERS_ENABLED", "false"),
        ("N8N_HIRING_BANNER_ENABLED", "false"),
        ("N8N_AI_ENABLED", "false"),
        ("N8N_LICENSE_AUTO_RENEW_ENABLED", "false"),
        ("N8N_COMMUNITY_PACKAGES_ENABLED", "false"),
        ("N8N_MCP_ACCESS_ENABLED", "false"),
        ("N8N_DISABLED_MODULES", "mcp-registry"),
    ] {
        cmd.env(key, value);
    }
    cmd.env("N8N_USER_FOLDER", user_folder)
        .env("N8N_PORT", port.to_string())
        .env("N8N_RUNNERS_BROKER_PORT", process::free_port()?.to_string())
        .env("N8N_WEBHOOK_URL", format!("{base_url}/"));
    let mut service = process::spawn("n8n", cmd, Some(log), None)?;
    wait_ready(&mut service, &base_url).await?;
    let api_key = owner_api_key(&base_url).await?;
    Ok(N8nServer {
        base_url,
        api_key,
        service,
    })
}

async fn wait_ready(service: &mut Service, base_url: &str) -> Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        service.ensure_running()?;
        if let Ok(reply) = http
            .get(format!("{base_url}/healthz/readiness"))
            .send()
            .await
        {
            if reply.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(anyhow!(
                "n8n was not ready within 180 s{}",
                service.log_tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Creates the owner if there is none, signs in and creates an API key with every scope.
async fn owner_api_key(base_url: &str) -> Result<String> {
    // The session cookie embeds a hash of this header: send the same one on every call.
    const BROWSER_ID: &str = "flowpulse-setup";
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let settings: Value = http
        .get(format!("{base_url}/rest/settings"))
        .send()
        .await?
        .json()
        .await?;
    if settings["data"]["userManagement"]["showSetupOnFirstLoad"].as_bool() == Some(true) {
        let reply = http
            .post(format!("{base_url}/rest/owner/setup"))
            .json(&json!({"email": OWNER_EMAIL, "firstName": "Flow", "lastName": "Pulse", "password": OWNER_PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(
            reply.status().is_success(),
            "n8n owner setup failed: {}",
            reply.text().await?
        );
    }
    let login = http
        .post(format!("{base_url}/rest/login"))
        .header("browser-id", BROWSER_ID)
        .json(&json!({"emailOrLdapLoginId": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        login.status().is_success(),
        "n8n login failed: {}",
        login.status()
    );
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("n8n-auth="))
        .and_then(|v| v.split(';').next())
        .context("n8n login set no n8n-auth cookie")?
        .to_string();
    let authed = |request: reqwest::RequestBuilder| {
        request
            .header("cookie", &cookie)
            .header("browser-id", BROWSER_ID)
    };
    let scopes: Value = authed(http.get(format!("{base_url}/rest/api-keys/scopes")))
        .send()
        .await?
        .json()
        .await?;
    let label = format!("flowpulse-{}", uuid::Uuid::new_v4().simple());
    let created: Value = authed(http.post(format!("{base_url}/rest/api-keys")))
        .json(&json!({"label": &label[..40], "scopes": scopes["data"], "expiresAt": null}))
        .send()
        .await?
        .json()
        .await?;
    created["data"]["rawApiKey"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("n8n returned no API key: {created}"))
}
