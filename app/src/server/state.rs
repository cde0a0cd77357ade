//! Everything the request handlers share, built once at start-up.

use super::auth::postgres::PostgresAuth;
use super::auth::throttle::SignInThrottle;
use super::auth::AuthBackend;
use super::config::AppConfig;
use super::realtime::RealtimeHub;
use super::session::SessionKeys;
use anyhow::{Context, Result};
use flowpulse_core::crypto::KeyRing;
use std::sync::Arc;
use std::time::Duration;

/// The key version new API keys are encrypted under (see `core::crypto`).
const ENCRYPTION_KEY_VERSION: u8 = 1;
/// n8n connection tests give up after this long.
pub const N8N_TIMEOUT: Duration = Duration::from_secs(10);

/// Shared server state: in axum's state for middleware and `/events`, and in the Leptos
/// context for server functions.
#[derive(Clone)]
pub struct ServerState {
    /// Settings from the environment.
    pub config: Arc<AppConfig>,
    /// For PostgREST and the edge function.
    pub http: reqwest::Client,
    /// For n8n instances: short timeout, and no redirects, because reqwest would carry the
    /// `X-N8N-API-KEY` header along to whatever host a redirect names.
    pub n8n_http: reqwest::Client,
    /// Encrypts n8n API keys before they are stored.
    pub keyring: Arc<KeyRing>,
    /// Signs and verifies session tokens.
    pub sessions: Arc<SessionKeys>,
    /// Where accounts live.
    pub auth: Arc<dyn AuthBackend>,
    /// Slows down password guessing.
    pub throttle: Arc<SignInThrottle>,
    /// Realtime fan-out to the browsers.
    pub hub: RealtimeHub,
}

impl ServerState {
    /// Builds the state; fails on an unusable encryption key rather than at the first save.
    pub fn new(config: AppConfig) -> Result<Self> {
        let keyring = KeyRing::from_base64(ENCRYPTION_KEY_VERSION, &config.encryption_key)
            .context("FLOWPULSE_ENCRYPTION_KEY")?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let n8n_http = reqwest::Client::builder()
            .timeout(N8N_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            sessions: Arc::new(SessionKeys::new(&config.jwt_secret)),
            auth: Arc::new(PostgresAuth::new(config.database_url.clone())),
            config: Arc::new(config),
            http,
            n8n_http,
            keyring: Arc::new(keyring),
            throttle: Arc::new(SignInThrottle::default()),
            hub: RealtimeHub::default(),
        })
    }
}
