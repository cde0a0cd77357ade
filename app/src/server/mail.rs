//! Alert e-mail over the operator's SMTP server. The app sends it: for a channel's "Send
//! test" directly, and for the edge function (a worker cannot speak SMTP) through the relay
//! endpoint `POST /internal/alert-mail`, which only a caller holding the operator's relay token
//! may use. The edge function keeps the delivery's state, retries and backoff; the relay
//! answers with a status that says whether trying again can help.

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

use super::state::ServerState;

/// How long one message may take, connection and all.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest relay token accepted: it is the only thing between the endpoint and an open relay.
const MIN_RELAY_TOKEN_CHARS: usize = 32;
/// Longest subject relayed (the edge function's are at most 200).
const MAX_SUBJECT_CHARS: usize = 300;
/// Longest body relayed.
const MAX_TEXT_CHARS: usize = 20_000;

/// `FLOWPULSE_SMTP_URL`, `FLOWPULSE_MAIL_FROM` (both or neither) and
/// `FLOWPULSE_MAIL_RELAY_TOKEN` (optional: without it the relay endpoint answers 404).
#[derive(Clone)]
pub struct MailConfig {
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or,
    /// for a local test server only, plain `smtp://host:port`. Holds a password.
    smtp_url: String,
    /// The sender every alert comes from.
    from: Mailbox,
    /// What the edge function presents to the relay.
    relay_token: Option<String>,
}

impl MailConfig {
    /// Reads the environment: `None` when e-mail is not set up; an error naming what is wrong
    /// when it is set up halfway or badly.
    pub fn from_env() -> Result<Option<Self>> {
        let var = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        let relay_token = var("FLOWPULSE_MAIL_RELAY_TOKEN");
        let (smtp_url, from) = match (var("FLOWPULSE_SMTP_URL"), var("FLOWPULSE_MAIL_FROM")) {
            (None, None) => return Ok(None),
            (Some(url), Some(from)) => (url, from),
            (Some(_), None) => {
                anyhow::bail!("FLOWPULSE_SMTP_URL is set without FLOWPULSE_MAIL_FROM")
            }
            (None, Some(_)) => {
                anyhow::bail!("FLOWPULSE_MAIL_FROM is set without FLOWPULSE_SMTP_URL")
            }
        };
        let config = Self::new(&smtp_url, &from, relay_token)?;
        // Fail at start-up rather than at the first alert.
        Mailer::new(&config)?;
        Ok(Some(config))
    }

    fn new(smtp_url: &str, from: &str, relay_token: Option<String>) -> Result<Self> {
        anyhow::ensure!(
            encrypted_or_local(smtp_url),
            "FLOWPULSE_SMTP_URL must use TLS (smtps://host or smtp://host?tls=required); plain \
             smtp:// only reaches a server on this machine"
        );
        let from: Mailbox = from.parse().context(
            "FLOWPULSE_MAIL_FROM is not an e-mail address (e.g. FlowPulse <alerts@example.com>)",
        )?;
        if let Some(token) = &relay_token {
            anyhow::ensure!(
                token.chars().count() >= MIN_RELAY_TOKEN_CHARS,
                "FLOWPULSE_MAIL_RELAY_TOKEN must be at least {MIN_RELAY_TOKEN_CHARS} characters"
            );
        }
        Ok(Self {
            smtp_url: smtp_url.to_string(),
            from,
            relay_token,
        })
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("from", &self.from.to_string())
            .field("relay", &self.relay_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a message was not sent, in words for the user (never the server's password or reply).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The server refused it for good (a 5xx reply: unknown mailbox, policy).
    #[error("the mail server refused the message")]
    Refused,
    /// No answer, a broken connection or a 4xx reply: trying later may work.
    #[error("the mail server could not be reached or deferred the message")]
    Unavailable,
}

/// Sends plain-text alert e-mail through the operator's SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay_token: Option<String>,
}

impl Mailer {
    /// A mailer for `config`; fails on an SMTP URL lettre cannot use.
    pub fn new(config: &MailConfig) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            // The URL holds a password: never repeat it.
            .map_err(|_| {
                anyhow::anyhow!("FLOWPULSE_SMTP_URL is not a usable smtp:// or smtps:// URL")
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Self {
            transport,
            from: config.from.clone(),
            relay_token: config.relay_token.clone(),
        })
    }

    /// Sends one plain-text message to `to`.
    pub async fn send(&self, to: &Address, subject: &str, text: &str) -> Result<(), MailError> {
        // Header injection is impossible through lettre's builder, but a line break in the
        // subject would still read badly.
        let subject = subject.replace(['\r', '\n'], " ");
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.clone()))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string())
            .map_err(|_| MailError::Refused)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => {
                tracing::warn!(status = ?error.status(), "the mail server refused an alert");
                Err(MailError::Refused)
            }
            Err(error) => {
                tracing::warn!(status = ?error.status(), timeout = error.is_timeout(), "alert e-mail not sent");
                Err(MailError::Unavailable)
            }
        }
    }

    /// True when `authorization` is `Bearer <the relay token>` (compared in constant time).
    fn relay_allows(&self, authorization: Option<&str>) -> bool {
        let (Some(expected), Some(given)) = (
            self.relay_token.as_deref(),
            authorization.and_then(|value| value.strip_prefix("Bearer ")),
        ) else {
            return false;
        };
        constant_time_eq(expected.as_bytes(), given.as_bytes())
    }
}

/// True when the SMTP URL asks for TLS, or is plain SMTP to this machine (where the password,
/// if any, never crosses a network).
fn encrypted_or_local(smtp_url: &str) -> bool {
    let Ok(url) = Url::parse(smtp_url) else {
        // Mailer::new names the unusable URL.
        return true;
    };
    let tls = url
        .query_pairs()
        .any(|(key, value)| key == "tls" && value == "required");
    // An smtp:// URL's host is opaque to the URL parser: an IP address arrives as text.
    let local = url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    url.scheme() != "smtp" || tls || local
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An e-mail address as an alert channel stores it: one mailbox address, no display name.
pub fn parse_address(text: &str) -> Option<Address> {
    text.trim().parse().ok()
}

/// What the edge function asks the relay to send.
#[derive(Debug, Deserialize)]
pub struct RelayRequest {
    to: String,
    subject: String,
    text: String,
}

/// `POST /internal/alert-mail`: sends one alert e-mail for the edge function. 204 sent; 401
/// without the relay token; 404 when the relay is not set up; 422 for an unusable message;
/// 502 when the mail server refused it, 503 when it could not be reached (worth a retry).
pub async fn relay(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(mailer) = state.mailer.as_ref().filter(|m| m.relay_token.is_some()) else {
        return reply(StatusCode::NOT_FOUND, "e-mail is not set up on this server");
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !mailer.relay_allows(authorization) {
        return reply(
            StatusCode::UNAUTHORIZED,
            "the relay token is missing or wrong",
        );
    }
    let Ok(request) = serde_json::from_slice::<RelayRequest>(&body) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected {to, subject, text}",
        );
    };
    let Some(to) = parse_address(&request.to) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the recipient is not an e-mail address",
        );
    };
    if request.subject.chars().count() > MAX_SUBJECT_CHARS
        || request.text.chars().count() > MAX_TEXT_CHARS
    {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, "the message is too long");
    }
    match mailer.send(&to, &request.subject, &request.text).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error @ MailError::Refused) => reply(StatusCode::BAD_GATEWAY, &error.to_string()),
        Err(error @ MailError::Unavailable) => {
            reply(StatusCode::SERVICE_UNAVAILABLE, &error.to_string())
        }
    }
}

fn reply(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn mailer(relay_token: Option<&str>) -> Mailer {
        let config = MailConfig::new(
            "smtp://127.0.0.1:2525",
            "FlowPulse <alerts@example.com>",
            relay_token.map(str::to_string),
        )
        .unwrap();
        Mailer::new(&config).unwrap()
    }

    #[test]
    fn the_relay_needs_exactly_its_token() {
        let with = mailer(Some(TOKEN));
        assert!(with.relay_allows(Some(&format!("Bearer {TOKEN}"))));
        assert!(!with.relay_allows(Some(&format!("Bearer {TOKEN}x"))));
        assert!(!with.relay_allows(Some(TOKEN)));
        assert!(!with.relay_allows(None));
        assert!(!mailer(None).relay_allows(Some(&format!("Bearer {TOKEN}"))));
    }

    #[test]
    fn a_short_relay_token_or_a_bad_sender_is_refused_at_start_up() {
        let short = MailConfig::new(
            "smtp://127.0.0.1:2525",
            "alerts@example.com",
            Some("short".into()),
        );
        assert!(short.unwrap_err().to_string().contains("at least 32"));
        assert!(MailConfig::new("smtp://127.0.0.1:2525", "not an address", None).is_err());
        let bad_url =
            MailConfig::new("ftp://user:hunter2@mail", "alerts@example.com", None).unwrap();
        let error = Mailer::new(&bad_url).err().unwrap().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn plain_smtp_is_refused_unless_the_server_is_on_this_machine() {
        let config = |url: &str| MailConfig::new(url, "alerts@example.com", None);
        assert!(config("smtp://user:pw@mail.example.com:587").is_err());
        assert!(config("smtp://user:pw@mail.example.com:587?tls=opportunistic").is_err());
        assert!(config("smtp://user:pw@mail.example.com:587?tls=required").is_ok());
        assert!(config("smtps://user:pw@mail.example.com").is_ok());
        assert!(config("smtp://127.0.0.1:2525").is_ok());
        assert!(config("smtp://localhost:25").is_ok());
        assert!(config("smtp://[::1]:25").is_ok());
    }

    #[test]
    fn the_debug_form_holds_no_password_or_token() {
        let config = MailConfig::new(
            "smtps://user:hunter2@mail.example.com",
            "alerts@example.com",
            Some(TOKEN.into()),
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains(TOKEN),
            "{shown}"
        );
    }

    #[test]
    fn channel_addresses_parse_as_one_mailbox() {
        assert!(parse_address(" ops@example.com ").is_some());
        for bad in [
            "not an address",
            "a@b@c",
            "Ops <ops@example.com>",
            "ops@exa mple.com",
            "",
        ] {
            assert!(parse_address(bad).is_none(), "{bad}");
        }
    }
}
