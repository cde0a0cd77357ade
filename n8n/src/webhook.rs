//! POSTs a JSON body to a URL a user gave FlowPulse (an alert channel's webhook) through the
//! same guarded [`Transport`] as n8n calls: the outbound rule judges the URL (natively every
//! resolved address too), redirects are never followed, the reply is read up to a small cap
//! and dropped. One attempt, raced against a timeout: retries are the caller's (deliveries are
//! retried later with backoff, never within a sync).
//!
//! Nothing here ever puts the URL in an error: a webhook URL is a secret (Slack's and
//! Discord's carry their token in the path), and errors end up in stored rows and logs.

use std::time::Duration;

use flowpulse_core::base_url::BaseUrl;
use flowpulse_core::outbound::{AddressClass, Refusal};
use url::Url;

use crate::error::ConnectFailure;
use crate::runtime;
use crate::transport::{Method, Outgoing, Transport, TransportError};

/// Longest webhook URL accepted, in bytes (as for instance URLs).
pub const MAX_URL_LEN: usize = 2000;

/// Most of a receiver's reply read before giving up on it; it is never used.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why a webhook got no HTTP answer. `Display` never names the URL or its host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not an absolute `http(s)` URL with a host, without user-info, of a sane length.
    #[error("the webhook address is not a usable http(s) URL")]
    InvalidUrl,
    /// The outbound rule refused the destination: nothing was sent.
    #[error("FlowPulse does not send to {}", refused_words(.0))]
    Refused(Refusal),
    /// No connection, or it broke.
    #[error("the receiver is unreachable ({})", connect_words(*.0))]
    Unreachable(ConnectFailure),
    /// No answer within the timeout.
    #[error("the receiver did not answer within {0} ms")]
    Timeout(u64),
    /// An answer longer than FlowPulse reads.
    #[error("the receiver's reply was longer than FlowPulse reads")]
    TooLarge,
}

/// A refusal in words without the host (which is part of the secret URL).
fn refused_words(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Address { class, .. } => match class {
            AddressClass::Loopback => "loopback addresses (this server itself)",
            AddressClass::Private => "private-network addresses",
            AddressClass::LinkLocal | AddressClass::Metadata => {
                "link-local or cloud metadata addresses"
            }
            AddressClass::Public
            | AddressClass::Multicast
            | AddressClass::Unspecified
            | AddressClass::Reserved => "that kind of address",
        },
        Refusal::Port { .. } => "ports reserved for this server's own services",
        Refusal::NoAddress { .. } => "a host name without any address it may use",
    }
}

/// A connection failure in words about a receiver ([`ConnectFailure`]'s own name n8n).
fn connect_words(failure: ConnectFailure) -> &'static str {
    match failure {
        ConnectFailure::UnknownHost => "its host name could not be resolved",
        ConnectFailure::Refused => "the connection was refused",
        ConnectFailure::Tls => "the TLS handshake failed",
        ConnectFailure::Reset => "the connection was closed before it answered",
        ConnectFailure::NotAllowed => {
            "this server's network does not allow connecting to that address"
        }
        ConnectFailure::Other => "the connection failed",
    }
}

/// Why an answer with HTTP `status` is not a delivery, in FlowPulse's words (never the URL);
/// `None` for a 2xx. A redirect is named as one: it is never followed.
pub fn undelivered_because(status: u16) -> Option<String> {
    match status {
        200..=299 => None,
        300..=399 => Some(format!(
            "the receiver answered with a redirect (HTTP {status}); FlowPulse does not follow \
             redirects: enter the final address"
        )),
        _ => Some(format!("the receiver answered HTTP {status}")),
    }
}

/// Sends JSON to webhooks under the transport's outbound rule.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    transport: Transport,
    timeout: Duration,
}

impl WebhookSender {
    /// A sender giving each POST at most `timeout`.
    pub fn new(transport: Transport, timeout: Duration) -> Self {
        Self { transport, timeout }
    }

    /// POSTs `body` as `application/json` to `url` once and returns the HTTP status of the
    /// answer, whatever it is (a 3xx is returned as itself, never followed).
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<u16, WebhookError> {
        self.post_json_within(url, body, self.timeout).await
    }

    /// [`Self::post_json`] with a timeout of at most `limit` (a caller's remaining budget).
    pub async fn post_json_within(
        &self,
        url: &str,
        body: &serde_json::Value,
        limit: Duration,
    ) -> Result<u16, WebhookError> {
        self.post(url, body, None, limit).await
    }

    /// [`Self::post_json_within`] with `Authorization: Bearer <token>`, for an operator's own
    /// service (the app's mail relay). Never redirected, so the token goes nowhere else.
    pub async fn post_json_authorized(
        &self,
        url: &str,
        body: &serde_json::Value,
        token: &str,
        limit: Duration,
    ) -> Result<u16, WebhookError> {
        self.post(url, body, Some(token), limit).await
    }

    async fn post(
        &self,
        url: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
        limit: Duration,
    ) -> Result<u16, WebhookError> {
        let url = checked_url(url)?;
        // The rule judges host and port only: the origin carries both, and unlike the full
        // URL it always parses as a `BaseUrl` (which refuses a query, common in webhooks).
        let origin = BaseUrl::parse(&url.origin().ascii_serialization())
            .map_err(|_| WebhookError::InvalidUrl)?;
        self.transport
            .policy()
            .check_url(&origin)
            .map_err(WebhookError::Refused)?;
        let body = serde_json::to_vec(body).unwrap_or_default();
        let outgoing = Outgoing {
            method: Method::Post,
            url: url.as_str(),
            api_key: None,
            bearer,
            body: Some(&body),
            max_reply_bytes: MAX_REPLY_BYTES,
        };
        let limit = limit.min(self.timeout);
        match runtime::timeout(limit, self.transport.send(outgoing)).await {
            Err(runtime::Elapsed) => Err(WebhookError::Timeout(
                u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            )),
            Ok(Ok(reply)) => Ok(reply.status),
            #[cfg(not(target_arch = "wasm32"))]
            Ok(Err(TransportError::Refused(refusal))) => Err(WebhookError::Refused(refusal)),
            Ok(Err(TransportError::Connect(failure))) => Err(WebhookError::Unreachable(failure)),
            Ok(Err(TransportError::TooLarge)) => Err(WebhookError::TooLarge),
        }
    }
}

/// `text` as an absolute http(s) URL with a host and no user-info (which reqwest would send
/// as credentials, and which logs would show).
fn checked_url(text: &str) -> Result<Url, WebhookError> {
    let text = text.trim();
    if text.len() > MAX_URL_LEN || text.chars().any(char::is_control) {
        return Err(WebhookError::InvalidUrl);
    }
    let url = Url::parse(text).map_err(|_| WebhookError::InvalidUrl)?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| !host.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    if usable {
        Ok(url)
    } else {
        Err(WebhookError::InvalidUrl)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
