//! The one client for the operator's OpenAI-compatible endpoint: a timeout on every answer,
//! never a redirect (the key would travel along), replies read up to a cap, one short wait on
//! "429 Too Many Requests", and failures in FlowPulse's words — the provider's own error text
//! is neither shown nor logged (it can quote the key).

use super::config::LlmConfig;
use super::wire::{AssistantMessage, ChatRequest, ChatResponse};
use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};
use std::time::Duration;
use thiserror::Error;

/// The largest reply read; a plan is a few KiB.
pub const MAX_REPLY_BYTES: usize = 1 << 20;
/// The longest `Retry-After` waited for, once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Why no answer came. Each reads as the end of "The assistant could not build that: …".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LlmError {
    /// The answer took longer than the timeout.
    #[error("it did not answer in time ({0} s); try again")]
    Timeout(u64),
    /// 429 (a longer wait than FlowPulse makes, or again after waiting).
    #[error("it is busy right now; try again in a minute")]
    Busy,
    /// The operator's setup does not work (key refused, wrong address, a redirect, the
    /// endpoint unreachable); the log says which.
    #[error("the assistant is not available right now")]
    Unavailable,
    /// 5xx.
    #[error("its service had a problem; try again later")]
    Service,
    /// Over [`MAX_REPLY_BYTES`].
    #[error("its answer was too large")]
    TooLarge,
    /// Not the chat-completions format.
    #[error("its answer could not be read")]
    Unreadable,
}

/// The assistant's HTTP client, built once at start-up.
#[derive(Clone)]
pub struct LlmClient {
    pub(super) config: LlmConfig,
    http: reqwest::Client,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// A client for `config`.
    pub fn new(config: LlmConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { config, http })
    }

    /// Sends one chat request; waits once on a short `Retry-After`.
    pub(super) async fn complete(
        &self,
        request: &ChatRequest<'_>,
    ) -> Result<AssistantMessage, LlmError> {
        let mut waited = false;
        loop {
            let response = self.send(request).await?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                match retry_after(&response) {
                    Some(wait) if !waited && wait <= MAX_RETRY_AFTER => {
                        tracing::info!(
                            wait_ms = wait.as_millis(),
                            "language model busy (429); waiting once"
                        );
                        waited = true;
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    _ => {
                        tracing::warn!("language model busy (429)");
                        return Err(LlmError::Busy);
                    }
                }
            }
            if !status.is_success() {
                return Err(refused(status));
            }
            let body = self.read_capped(response).await?;
            let reply: ChatResponse = serde_json::from_slice(&body).map_err(|error| {
                tracing::warn!(%error, "language model reply is not a chat completion");
                LlmError::Unreadable
            })?;
            return reply
                .choices
                .into_iter()
                .next()
                .map(|choice| choice.message)
                .ok_or_else(|| {
                    tracing::warn!("language model reply has no choices");
                    LlmError::Unreadable
                });
        }
    }

    async fn send(&self, request: &ChatRequest<'_>) -> Result<Response, LlmError> {
        self.http
            .post(self.config.endpoint.clone())
            .bearer_auth(self.config.api_key.expose())
            .json(request)
            .send()
            .await
            .map_err(|error| self.transport_error(&error))
    }

    async fn read_capped(&self, mut response: Response) -> Result<Vec<u8>, LlmError> {
        if response
            .content_length()
            .is_some_and(|length| length > MAX_REPLY_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(&error))?
        {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, error: &reqwest::Error) -> LlmError {
        if error.is_timeout() {
            tracing::warn!(
                timeout_secs = self.config.timeout.as_secs(),
                "language model did not answer in time"
            );
            return LlmError::Timeout(self.config.timeout.as_secs().max(1));
        }
        // reqwest's text names the URL (the operator's, no secret in it) and the cause.
        tracing::error!(%error, "language model unreachable: check FLOWPULSE_LLM_BASE_URL");
        LlmError::Unavailable
    }
}

fn too_large() -> LlmError {
    tracing::warn!(
        max_bytes = MAX_REPLY_BYTES,
        "language model reply over the cap"
    );
    LlmError::TooLarge
}

/// A refusal by status, logged for the operator (the body is not read: it may quote the key).
fn refused(status: StatusCode) -> LlmError {
    let code = status.as_u16();
    if status.is_server_error() {
        tracing::warn!(status = code, "language model service error");
        return LlmError::Service;
    }
    let hint = match code {
        401 | 403 => "the provider refused FLOWPULSE_LLM_API_KEY",
        404 => "no chat-completions endpoint there: check FLOWPULSE_LLM_BASE_URL",
        300..=399 => "the endpoint redirects, which FlowPulse never follows: set FLOWPULSE_LLM_BASE_URL to the final address",
        _ => "the provider refused the request: check FLOWPULSE_LLM_MODEL and that the endpoint supports tool calling",
    };
    tracing::error!(status = code, "language model unavailable: {hint}");
    LlmError::Unavailable
}

/// `Retry-After` in seconds (an HTTP date counts as a long wait).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
