//! The local stack's configuration, read once: environment variables win over `.env`, which
//! holds the secrets generated on the first run. Secrets are never printed or logged.

use anyhow::{Context, Result};
use base64::Engine;
use flowpulse_core::claims::role;
use rand_core::{OsRng, RngCore};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every setting of the local stack. Each field names the environment variable that sets it.
#[derive(Clone)]
pub struct StackConfig {
    /// Repository root (where `Cargo.toml` of the workspace lives).
    pub repo: PathBuf,
    /// `FLOWPULSE_DATA_DIR` (default `<repo>/.flowpulse`): Postgres data, logs, generated configs.
    pub data_dir: PathBuf,
    /// `FLOWPULSE_CACHE_DIR` (default `~/.cache/flowpulse`): installed tools and n8n, shared by
    /// every checkout so a fresh clone reuses them.
    pub cache_dir: PathBuf,
    /// `FLOWPULSE_PG_PORT` (default 54322): PostgreSQL on 127.0.0.1.
    pub pg_port: u16,
    /// `FLOWPULSE_POSTGREST_PORT` (default 54321): the PostgREST endpoint (postrust).
    pub postgrest_port: u16,
    /// `FLOWPULSE_WORKER_PORT` (default 8787): Miniflare serving the `workflow-sync` edge function.
    pub worker_port: u16,
    /// `FLOWPULSE_CRON_PORT` (default 8788): local cron hook, `GET /__scheduled?cron=...`.
    pub cron_port: u16,
    /// `FLOWPULSE_APP_PORT` (default 3000): the Leptos app.
    pub app_port: u16,
    /// `FLOWPULSE_N8N_PORT` (default 5678): the demo n8n (`cargo xtask dev --demo`).
    pub n8n_port: u16,
    /// `FLOWPULSE_DB_PASSWORD` (generated): password of `postgres` and `authenticator`.
    pub db_password: String,
    /// `FLOWPULSE_JWT_SECRET` (generated, ≥ 32 chars): HS256 secret shared by PostgREST, the
    /// edge function and the app (Supabase: Settings → API → JWT secret).
    pub jwt_secret: String,
    /// `FLOWPULSE_ANON_KEY` (derived from the JWT secret): a JWT with `role: anon`.
    pub anon_key: String,
    /// `FLOWPULSE_SERVICE_ROLE_KEY` (derived from the JWT secret): a JWT with
    /// `role: service_role`, used by the cron trigger and admin scripts. Bypasses RLS.
    pub service_role_key: String,
    /// `FLOWPULSE_ENCRYPTION_KEY` (generated, base64 of 32 bytes): encrypts n8n API keys.
    pub encryption_key: String,
    /// `FLOWPULSE_DEMO_EMAIL` (default `demo@flowpulse.local`): the demo account.
    pub demo_email: String,
    /// `FLOWPULSE_DEMO_PASSWORD` (generated): the demo account's password.
    pub demo_password: String,
    /// `FLOWPULSE_OUTBOUND_ALLOW` (default `loopback`): which non-public n8n addresses the app
    /// and the edge function may reach (`loopback`, `private`, `none`). The stack's own ports
    /// are always denied (see [`StackConfig::own_ports`]).
    pub outbound_allow: String,
    /// `FLOWPULSE_MAIL_RELAY_TOKEN`: what the edge function presents to the app's mail relay.
    pub mail_relay_token: String,
    /// `FLOWPULSE_SMTP_URL` and `FLOWPULSE_MAIL_FROM` (optional): the operator's mail server for
    /// alert e-mail, passed to the app as they are.
    pub mail: Option<(String, String)>,
}

/// Settings generated once into `.env` on the first run.
const GENERATED: &[&str] = &[
    "FLOWPULSE_DB_PASSWORD",
    "FLOWPULSE_JWT_SECRET",
    "FLOWPULSE_ENCRYPTION_KEY",
    "FLOWPULSE_DEMO_PASSWORD",
    "FLOWPULSE_MAIL_RELAY_TOKEN",
];

impl StackConfig {
    /// Loads the configuration for `repo`, creating `.env` with fresh secrets if needed.
    pub fn load(repo: &Path) -> Result<Self> {
        let env_file = repo.join(".env");
        let mut file_values = read_env_file(&env_file)?;
        let missing: Vec<&str> = GENERATED
            .iter()
            .copied()
            .filter(|k| std::env::var_os(k).is_none() && !file_values.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            for key in &missing {
                file_values.insert(key.to_string(), generate_secret(key));
            }
            write_env_file(&env_file, &file_values)?;
            println!("generated {} in {}", missing.join(", "), env_file.display());
        }
        let get = |key: &str| {
            std::env::var(key)
                .ok()
                .or_else(|| file_values.get(key).cloned())
        };
        let outbound_allow = get("FLOWPULSE_OUTBOUND_ALLOW").unwrap_or_else(|| "loopback".into());
        let port = |key: &str, default: u16| -> Result<u16> {
            match get(key) {
                Some(v) => v
                    .parse()
                    .with_context(|| format!("{key}={v} is not a port number")),
                None => Ok(default),
            }
        };
        let required = |key: &str| get(key).with_context(|| format!("{key} is not set"));
        let jwt_secret = required("FLOWPULSE_JWT_SECRET")?;
        anyhow::ensure!(
            jwt_secret.len() >= 32,
            "FLOWPULSE_JWT_SECRET must be at least 32 characters"
        );
        let anon_key = match get("FLOWPULSE_ANON_KEY") {
            Some(key) => key,
            None => crate::jwt::api_key(&jwt_secret, role::ANON)?,
        };
        let service_role_key = match get("FLOWPULSE_SERVICE_ROLE_KEY") {
            Some(key) => key,
            None => crate::jwt::api_key(&jwt_secret, role::SERVICE_ROLE)?,
        };
        Ok(StackConfig {
            repo: repo.to_path_buf(),
            data_dir: get("FLOWPULSE_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or(repo.join(".flowpulse")),
            cache_dir: cache_dir(),
            pg_port: port("FLOWPULSE_PG_PORT", 54322)?,
            postgrest_port: port("FLOWPULSE_POSTGREST_PORT", 54321)?,
            worker_port: port("FLOWPULSE_WORKER_PORT", 8787)?,
            cron_port: port("FLOWPULSE_CRON_PORT", 8788)?,
            app_port: port("FLOWPULSE_APP_PORT", 3000)?,
            n8n_port: port("FLOWPULSE_N8N_PORT", 5678)?,
            db_password: required("FLOWPULSE_DB_PASSWORD")?,
            jwt_secret,
            anon_key,
            service_role_key,
            encryption_key: required("FLOWPULSE_ENCRYPTION_KEY")?,
            demo_email: get("FLOWPULSE_DEMO_EMAIL")
                .unwrap_or_else(|| "demo@flowpulse.local".into()),
            demo_password: required("FLOWPULSE_DEMO_PASSWORD")?,
            outbound_allow,
            mail_relay_token: required("FLOWPULSE_MAIL_RELAY_TOKEN")?,
            mail: get("FLOWPULSE_SMTP_URL").zip(get("FLOWPULSE_MAIL_FROM")),
        })
    }

    /// The stack's own service ports: an n8n URL may never point at them (the cron hook and
    /// PostgREST are on loopback, which the local stack otherwise allows).
    pub fn own_ports(&self) -> String {
        own_ports(&[
            self.pg_port,
            self.postgrest_port,
            self.worker_port,
            self.cron_port,
            self.app_port,
        ])
    }

    /// PostgREST's base URL as the edge function and the app use it (`/rest/v1` on Supabase).
    pub fn postgrest_url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.postgrest_port)
    }
}

/// Ports as the `*_DENY_PORTS` settings take them.
pub fn own_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `FLOWPULSE_CACHE_DIR`, else `$XDG_CACHE_HOME/flowpulse`, else `~/.cache/flowpulse`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLOWPULSE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("flowpulse");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache").join("flowpulse")
}

/// The workspace root, found from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the stack crate lives in the workspace")
        .to_path_buf()
}

fn generate_secret(key: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    match key {
        // The encryption key is raw key material: exactly 32 bytes, base64 like Supabase's secrets.
        "FLOWPULSE_ENCRYPTION_KEY" => base64::engine::general_purpose::STANDARD.encode(bytes),
        // Passwords and the JWT secret go into URLs and env files: keep them URL-safe.
        _ => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    }
}

fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let mut values = BTreeMap::new();
    for item in dotenvy::from_path_iter(path).with_context(|| format!("read {}", path.display()))? {
        let (key, value) = item.with_context(|| format!("parse {}", path.display()))?;
        values.insert(key, value);
    }
    Ok(values)
}

fn write_env_file(path: &Path, values: &BTreeMap<String, String>) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::from(
        "# FlowPulse local secrets, generated on the first run. Never commit this file.\n\
         # Any FLOWPULSE_* setting from the README may be added here; the environment wins.\n",
    );
    for (key, value) in values {
        text.push_str(&format!("{key}={value}\n"));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
