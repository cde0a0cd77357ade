//! The app server's configuration, read once at start-up from the environment.

use super::llm::LlmConfig;
use super::mail::MailConfig;
use super::security::settings::SecuritySettings;
use anyhow::{Context, Result};

/// Every setting of the app server. Secrets are never logged (see the manual `Debug`).
#[derive(Clone)]
pub struct AppConfig {
    /// `FLOWPULSE_POSTGREST_URL`: PostgREST base URL (`.../rest/v1` on Supabase).
    pub postgrest_url: String,
    /// `FLOWPULSE_ANON_KEY`: the `anon` API key (Supabase's gateway wants it as `apikey`).
    pub anon_key: String,
    /// `FLOWPULSE_JWT_SECRET`: HS256 secret the app signs session JWTs with.
    pub jwt_secret: String,
    /// `FLOWPULSE_ENCRYPTION_KEY`: base64 of 32 bytes; encrypts n8n API keys at rest.
    pub encryption_key: String,
    /// `FLOWPULSE_FUNCTIONS_URL`: base URL of the edge functions (`.../functions/v1`).
    pub functions_url: String,
    /// `FLOWPULSE_DATABASE_URL`: a direct Postgres URL (contains a password). Used ONLY by the
    /// built-in accounts (`auth.users`) and the realtime hub's `LISTEN`; every data read or
    /// write goes through PostgREST with the user's JWT so row-level security applies.
    /// Parsed at start-up, so a bad `sslmode`/`sslrootcert` stops the server with a message.
    pub database_url: flowpulse_pg::DatabaseUrl,
    /// Cookies, session lifetime, live connections per user, public origin (see
    /// `security::settings`).
    pub security: SecuritySettings,
    /// `FLOWPULSE_OUTBOUND_ALLOW` (`loopback`, `private`, comma-separated; default none) and
    /// `FLOWPULSE_OUTBOUND_DENY_PORTS`: which n8n addresses the connection test may reach.
    /// Public addresses only by default.
    pub outbound: flowpulse_core::outbound::OutboundPolicy,
    /// `FLOWPULSE_LLM_BASE_URL`, `FLOWPULSE_LLM_API_KEY`, `FLOWPULSE_LLM_MODEL` (all or none)
    /// and `FLOWPULSE_LLM_TIMEOUT_SECS`: the builder's optional language model.
    pub llm: Option<LlmConfig>,
    /// `FLOWPULSE_SMTP_URL`, `FLOWPULSE_MAIL_FROM` and `FLOWPULSE_MAIL_RELAY_TOKEN`: alert
    /// e-mail (`None` unless set up; see `mail`).
    pub mail: Option<MailConfig>,
}

impl AppConfig {
    /// Reads the environment; fails naming the first missing variable.
    pub fn from_env() -> Result<Self> {
        let var = |key: &str| std::env::var(key).with_context(|| format!("{key} is not set"));
        Ok(AppConfig {
            postgrest_url: var("FLOWPULSE_POSTGREST_URL")?
                .trim_end_matches('/')
                .to_string(),
            anon_key: var("FLOWPULSE_ANON_KEY")?,
            jwt_secret: var("FLOWPULSE_JWT_SECRET")?,
            encryption_key: var("FLOWPULSE_ENCRYPTION_KEY")?,
            functions_url: var("FLOWPULSE_FUNCTIONS_URL")?
                .trim_end_matches('/')
                .to_string(),
            database_url: var("FLOWPULSE_DATABASE_URL")?
                .parse()
                .context("FLOWPULSE_DATABASE_URL")?,
            security: SecuritySettings::from_env()?,
            outbound: flowpulse_core::outbound::OutboundPolicy::parse(
                std::env::var("FLOWPULSE_OUTBOUND_ALLOW").ok().as_deref(),
                std::env::var("FLOWPULSE_OUTBOUND_DENY_PORTS")
                    .ok()
                    .as_deref(),
            )
            .context("FLOWPULSE_OUTBOUND_ALLOW / FLOWPULSE_OUTBOUND_DENY_PORTS")?,
            llm: LlmConfig::from_env()?,
            mail: MailConfig::from_env()?,
        })
    }
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("postgrest_url", &self.postgrest_url)
            .field("functions_url", &self.functions_url)
            .field("security", &self.security)
            .field("outbound", &self.outbound)
            .field("llm", &self.llm)
            .field("mail", &self.mail)
            .finish_non_exhaustive()
    }
}
