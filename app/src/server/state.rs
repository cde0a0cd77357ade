//! Everything the request handlers share, built once at start-up.

use super::auth::postgres::PostgresAuth;
use super::auth::throttle::{self, SignInThrottle, SignUpThrottle};
use super::auth::AuthBackend;
use super::config::AppConfig;
use super::llm::LlmClient;
use super::metrics::Metrics;
use super::realtime::RealtimeHub;
use super::session::cookie::SessionCookie;
use super::session::manager::SessionManager;
use super::session::SessionKeys;
use anyhow::{Context, Result};
use flowpulse_core::crypto::{KeyRing, CURRENT_KEY_VERSION};
use std::sync::Arc;
use std::time::Duration;

/// Shared server state: in axum's state for middleware and `/events`, and in the Leptos
/// context for server functions.
#[derive(Clone)]
pub struct ServerState {
    /// Settings from the environment.
    pub config: Arc<AppConfig>,
    /// For PostgREST and the edge function.
    pub http: reqwest::Client,
    /// For n8n instances: the outbound rule on every address dialled, no redirects (the
    /// `X-N8N-API-KEY` header would travel along), replies read up to a cap.
    pub n8n: flowpulse_n8n::Transport,
    /// The builder's optional language model (`None` unless `FLOWPULSE_LLM_*` are set).
    pub llm: Option<LlmClient>,
    /// Alert e-mail through the operator's SMTP server (`None` unless `FLOWPULSE_SMTP_URL` and
    /// `FLOWPULSE_MAIL_FROM` are set).
    pub mailer: Option<super::mail::Mailer>,
    /// Encrypts n8n API keys before they are stored.
    pub keyring: Arc<KeyRing>,
    /// Starts, verifies, refreshes and ends sessions.
    pub sessions: Arc<SessionManager>,
    /// Where accounts live.
    pub auth: Arc<dyn AuthBackend>,
    /// Slows down password guessing.
    pub throttle: Arc<SignInThrottle>,
    /// Slows down sign-ups from one client.
    pub sign_up_throttle: Arc<SignUpThrottle>,
    /// Realtime fan-out to the browsers.
    pub hub: RealtimeHub,
    /// Live refreshes of one user's tabs for the same change, rendered once.
    pub live_renders: super::live_renders::LiveRenders,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
}

impl ServerState {
    /// Builds the state; fails on an unusable encryption key rather than at the first save.
    pub fn new(config: AppConfig) -> Result<Self> {
        let keyring = KeyRing::from_base64(CURRENT_KEY_VERSION, &config.encryption_key)
            .context("FLOWPULSE_ENCRYPTION_KEY")?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let n8n = flowpulse_n8n::Transport::new(config.outbound.clone());
        let llm = config.llm.clone().map(LlmClient::new).transpose()?;
        let mailer = config
            .mail
            .as_ref()
            .map(super::mail::Mailer::new)
            .transpose()?;
        let accounts = Arc::new(PostgresAuth::new(config.database_url.clone()));
        let sessions = SessionManager::new(
            SessionKeys::new(&config.jwt_secret),
            accounts.clone(),
            SessionCookie::new(config.security.cookie_secure),
            config.security.session_max_age,
        );
        let hub = RealtimeHub::default();
        let metrics = Arc::new(Metrics::new(hub.gauges()));
        Ok(Self {
            sessions: Arc::new(sessions),
            auth: accounts,
            config: Arc::new(config),
            http,
            n8n,
            llm,
            mailer,
            keyring: Arc::new(keyring),
            throttle: Arc::new(SignInThrottle::new(throttle::SIGN_IN)),
            sign_up_throttle: Arc::new(SignUpThrottle::new(throttle::SIGN_UP)),
            hub,
            live_renders: Default::default(),
            metrics,
        })
    }
}
