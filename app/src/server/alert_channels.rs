//! Alert channels' targets: checked, shown as a hint, encrypted bound to the row and kind (as
//! credentials are), and the "Send test" POST through the app's guarded transport.
//!
//! A target is a secret (Slack's and Discord's webhook URLs carry their token in the path), so
//! it never goes back to the browser, never into a log or an error: refusals are worded from
//! the address's class, never its host.

use super::state::ServerState;
use crate::error::AppError;
use chrono::Utc;
use flowpulse_core::base_url::BaseUrl;
use flowpulse_core::crypto::SecretBinding;
use flowpulse_core::insight::alerts::payload::{
    delivery_payload, AlertNotice, ChannelKind, DeliveryEvent, DeliveryPayload,
};
use flowpulse_core::insight::alerts::{AlertKind, Subject};
use flowpulse_core::insight::redact::clip;
use flowpulse_core::outbound::OutboundPolicy;
use flowpulse_n8n::{undelivered_because, WebhookError, WebhookSender};
use reqwest::Url;
use std::time::Duration;
use uuid::Uuid;

/// How long "Send test" waits for the receiver.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest stored `last_error` (the column allows 500).
const ERROR_MAX_CHARS: usize = 500;
/// Longest hint (the column allows 60).
const HINT_MAX_CHARS: usize = 60;

/// `kind` as core's channel kind.
pub fn kind(kind: &str) -> Result<ChannelKind, AppError> {
    ChannelKind::parse(kind)
        .ok_or_else(|| AppError::Invalid("Choose a kind of channel from the list.".into()))
}

/// The target as it will be stored, or why it is refused. Webhook URLs pass the outbound rule
/// (`policy`, the app's own) here already, so a refused address is said at once rather than
/// at the first alert; the transport checks every resolved address again when sending.
pub fn check_target(
    kind: ChannelKind,
    target: &str,
    policy: &OutboundPolicy,
) -> Result<String, AppError> {
    let target = target.trim();
    if kind == ChannelKind::Email {
        return check_email(target);
    }
    let invalid = || {
        AppError::Invalid(
            "Enter the full webhook address, starting with https:// (no user name or password in it)."
                .into(),
        )
    };
    if target.is_empty()
        || target.len() > flowpulse_n8n::webhook::MAX_URL_LEN
        || target.chars().any(char::is_control)
    {
        return Err(invalid());
    }
    let url = Url::parse(target).map_err(|_| invalid())?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| !host.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    if !usable {
        return Err(invalid());
    }
    if matches!(kind, ChannelKind::Slack | ChannelKind::Discord) && url.scheme() != "https" {
        return Err(AppError::Invalid(
            "Slack and Discord webhook addresses start with https://.".into(),
        ));
    }
    let origin = BaseUrl::parse(&url.origin().ascii_serialization()).map_err(|_| invalid())?;
    policy.check_url(&origin).map_err(|refusal| {
        AppError::Invalid(format!(
            "That address is refused: {}.",
            WebhookError::Refused(refusal)
        ))
    })?;
    Ok(url.to_string())
}

fn check_email(address: &str) -> Result<String, AppError> {
    super::mail::parse_address(address)
        .map(|address| address.to_string())
        .ok_or_else(|| AppError::Invalid("Enter one e-mail address, like ops@example.com.".into()))
}

/// What may be stored and shown of a target: a webhook's host and the last four characters of
/// its path (when the path is long enough that four give nothing away), an address's first
/// character and domain.
pub fn hint(kind: ChannelKind, target: &str) -> String {
    let hint = if kind == ChannelKind::Email {
        match target.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}…@{domain}")
            }
            None => String::new(),
        }
    } else {
        match Url::parse(target) {
            Ok(url) => {
                let host = url.host_str().unwrap_or_default().to_string();
                let path: Vec<char> = url.path().chars().collect();
                if path.len() >= 12 {
                    let tail: String = path[path.len() - 4..].iter().collect();
                    format!("{host}/…{tail}")
                } else {
                    host
                }
            }
            Err(_) => String::new(),
        }
    };
    clip(&hint, HINT_MAX_CHARS)
}

/// `target` encrypted for channel `id` of `kind`.
pub fn seal(state: &ServerState, id: Uuid, kind: ChannelKind, target: &str) -> String {
    state.keyring.encrypt(
        target,
        &SecretBinding::alert_channel(id, kind.as_str()),
        &mut rand_core::OsRng,
    )
}

/// The target of channel `id`, if it still decrypts for its id and kind.
pub fn open(state: &ServerState, id: Uuid, kind: ChannelKind, ciphertext: &str) -> Option<String> {
    state
        .keyring
        .decrypt(ciphertext, &SecretBinding::alert_channel(id, kind.as_str()))
        .ok()
}

/// How a test delivery went, as `alert_deliveries` records it.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// `delivered` or `failed`.
    pub status: &'static str,
    /// Why it failed, in FlowPulse's words (never the URL).
    pub error: Option<String>,
    /// The body sent (or that would have been).
    pub payload: serde_json::Value,
}

/// The sample alert a test sends.
fn sample(name: &str) -> AlertNotice {
    AlertNotice {
        event: DeliveryEvent::Test,
        alert_id: None,
        rule_id: None,
        rule_name: "Test".into(),
        kind: AlertKind::Failure,
        subject: Subject::Instance { id: Uuid::nil() },
        workflow_name: None,
        n8n_workflow_id: None,
        instance_name: None,
        node: None,
        message: format!(
            "This is a test of the channel “{name}” from FlowPulse. If you can read it, alerts \
             will arrive here."
        ),
        details: serde_json::json!({}),
        opened_at: Utc::now(),
        resolved_at: None,
    }
}

/// Why an e-mail test is not sent: the operator has not set up a mail server.
pub const NO_MAIL_HERE: &str =
    "this server has no mail server set up (FLOWPULSE_SMTP_URL): ask the operator, or use a \
     webhook, Slack or Discord channel";

/// Sends the sample alert to `target` once: e-mail through the operator's SMTP server, the
/// rest as a JSON POST through the guarded sender.
pub async fn send_test(
    state: &ServerState,
    kind: ChannelKind,
    name: &str,
    target: &str,
    app_base: &Url,
) -> TestResult {
    let failed = |error: String, payload: serde_json::Value| TestResult {
        status: "failed",
        error: Some(clip(&error, ERROR_MAX_CHARS)),
        payload,
    };
    let payload = delivery_payload(kind, &sample(name), app_base);
    // What is recorded is what is sent: the JSON body, or the e-mail's subject and text.
    let body = payload.to_json();
    if let DeliveryPayload::Email { subject, text } = &payload {
        let (Some(mailer), Some(to)) = (&state.mailer, super::mail::parse_address(target)) else {
            return failed(NO_MAIL_HERE.into(), body);
        };
        return match mailer.send(&to, subject, text).await {
            Ok(()) => TestResult {
                status: "delivered",
                error: None,
                payload: body,
            },
            Err(error) => failed(error.to_string(), body),
        };
    }
    let sender = WebhookSender::new(state.n8n.clone(), TEST_TIMEOUT);
    match sender.post_json(target, &body).await {
        Ok(status) => match undelivered_because(status) {
            None => TestResult {
                status: "delivered",
                error: None,
                payload: body,
            },
            Some(error) => failed(error, body),
        },
        // `WebhookError`'s words never include the URL.
        Err(error) => failed(error.to_string(), body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public() -> OutboundPolicy {
        OutboundPolicy::public_only()
    }

    #[test]
    fn metadata_loopback_and_private_addresses_are_refused_without_naming_them() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:8080/hook",
            "http://10.0.0.5/hook",
            "http://metadata.google.internal/x",
        ] {
            let Err(AppError::Invalid(text)) = check_target(ChannelKind::Webhook, url, &public())
            else {
                panic!("{url} accepted")
            };
            assert!(text.starts_with("That address is refused"), "{text}");
            assert!(
                !text.contains("169.254") && !text.contains("127.0.0.1"),
                "{text}"
            );
        }
        assert!(check_target(
            ChannelKind::Webhook,
            "http://127.0.0.1:8080/hook",
            &public().allowing_loopback()
        )
        .is_ok());
        assert!(check_target(
            ChannelKind::Webhook,
            "http://169.254.169.254/x",
            &public().allowing_loopback().allowing_private()
        )
        .is_err());
    }

    #[test]
    fn unusable_addresses_are_refused() {
        for url in [
            "",
            "hooks.slack.com/x",
            "ftp://example.com/x",
            "https://u:p@example.com/x",
        ] {
            assert!(
                check_target(ChannelKind::Webhook, url, &public()).is_err(),
                "{url}"
            );
        }
        assert!(check_target(
            ChannelKind::Slack,
            "http://hooks.slack.com/services/x",
            &public()
        )
        .is_err());
        assert!(check_target(ChannelKind::Email, "ops@example.com", &public()).is_ok());
        assert!(check_target(ChannelKind::Email, "not an address", &public()).is_err());
    }

    #[test]
    fn the_hint_shows_the_host_and_at_most_the_paths_last_four_characters() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXsecretabcd";
        assert_eq!(hint(ChannelKind::Slack, url), "hooks.slack.com/…abcd");
        assert_eq!(
            hint(ChannelKind::Webhook, "https://example.com/a"),
            "example.com"
        );
        assert_eq!(
            hint(ChannelKind::Email, "ops@example.com"),
            "o…@example.com"
        );
    }
}
