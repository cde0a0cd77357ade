//! Sending the deliveries that are due: a few per provider sync, each one POST with a short
//! timeout through the same guarded transport as n8n calls, so a slow or hostile receiver
//! never holds a sync up and a channel URL pointing inside the network is never contacted.
//!
//! A delivery is claimed before it is sent (its attempt counted, its next attempt moved past
//! the send), so concurrent syncs of one user's instances send it once.

use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeDelta;
use flowpulse_core::crypto::SecretBinding;
use flowpulse_core::insight::alerts::payload::ChannelKind;
use flowpulse_core::insight::alerts::{DeliveryBackoff, DeliveryRetry};
use flowpulse_core::insight::redact::clip;
use flowpulse_core::outbound::OutboundPolicy;
use flowpulse_n8n::{undelivered_because, Transport, WebhookError, WebhookSender};
use uuid::Uuid;

use super::{log_failure, Ctx};
use crate::runtime::{self, Deadline};
use crate::store::{AlertChannelRow, DeliveryResult, DueDelivery};

/// Most deliveries sent per provider sync; the rest follow on the next.
pub const DELIVERIES_PER_RUN: usize = 10;
/// Timeout of one POST.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Time after which no further delivery is started in one sync.
const DELIVERY_BUDGET: Duration = Duration::from_secs(15);
/// How long a claimed delivery is held: past any POST, so a run that dies mid-send leaves it
/// due again soon after.
const LEASE: TimeDelta = TimeDelta::minutes(2);
/// Longest `last_error` kept (the column allows 500).
const ERROR_MAX_CHARS: usize = 500;

/// The stored reason for an e-mail delivery when the operator has not connected the function
/// to the app's mail relay; the user reads what to do instead.
pub const EMAIL_NOT_SET_UP: &str =
    "e-mail is not set up on this FlowPulse (no mail relay): ask the operator, or add a \
     webhook, Slack or Discord channel to this rule";

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
enum Attempt {
    Delivered,
    /// Failed: why, the HTTP status if there was an answer, and whether trying again is
    /// pointless whatever the status (a refused address, an undecryptable target).
    Failed {
        error: String,
        status: Option<u16>,
        final_: bool,
    },
}

impl Attempt {
    fn fatal(error: &str) -> Self {
        Self::Failed {
            error: error.to_string(),
            status: None,
            final_: true,
        }
    }
}

/// Sends up to [`DELIVERIES_PER_RUN`] of the user's due deliveries and records each result.
pub(super) async fn deliver_due(ctx: &Ctx<'_>, user_id: Uuid) {
    let store = &ctx.store;
    let due = match store
        .due_deliveries(user_id, runtime::now(), DELIVERIES_PER_RUN)
        .await
    {
        Ok(due) => due,
        Err(error) => return log_failure(user_id, "read due alert deliveries", &error),
    };
    if due.is_empty() {
        return;
    }
    let mut channel_ids: Vec<Uuid> = due.iter().map(|d| d.channel_id).collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    let channels: HashMap<Uuid, AlertChannelRow> = match store.alert_channels(&channel_ids).await {
        Ok(rows) => rows.into_iter().map(|row| (row.id, row)).collect(),
        Err(error) => return log_failure(user_id, "read alert channels", &error),
    };
    let sender = WebhookSender::new(
        Transport::new(ctx.config.outbound.clone()),
        DELIVERY_TIMEOUT,
    );
    let budget = Deadline::after(DELIVERY_BUDGET);
    let backoff = DeliveryBackoff::default();
    for delivery in due {
        if budget.is_past() {
            break;
        }
        match store
            .claim_delivery(&delivery, runtime::now() + LEASE)
            .await
        {
            Ok(true) => {}
            // Another run took it.
            Ok(false) => continue,
            Err(error) => return log_failure(user_id, "claim an alert delivery", &error),
        }
        let attempt = send(
            ctx,
            &sender,
            channels.get(&delivery.channel_id),
            &delivery,
            budget.remaining(),
        )
        .await;
        let attempts_made = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(1);
        let result = record(attempt, attempts_made, &backoff);
        if let Err(error) = store.finish_delivery(delivery.id, &result).await {
            log_failure(user_id, "record an alert delivery", &error);
        }
    }
}

/// The row to record for `attempt`, the `attempts_made`-th.
fn record(attempt: Attempt, attempts_made: u32, backoff: &DeliveryBackoff) -> DeliveryResult {
    let now = runtime::now();
    match attempt {
        Attempt::Delivered => DeliveryResult::Delivered { at: now },
        Attempt::Failed {
            error,
            status,
            final_,
        } => {
            let retry_at = match backoff.after_failure(attempts_made, status, now) {
                DeliveryRetry::At(at) if !final_ => Some(at),
                DeliveryRetry::At(_) | DeliveryRetry::GiveUp => None,
            };
            DeliveryResult::Failed {
                error: clip(&error, ERROR_MAX_CHARS),
                retry_at,
            }
        }
    }
}

/// One attempt at `delivery` to `channel` (`None`: the channel is gone).
async fn send(
    ctx: &Ctx<'_>,
    sender: &WebhookSender,
    channel: Option<&AlertChannelRow>,
    delivery: &DueDelivery,
    remaining: Duration,
) -> Attempt {
    let Some(channel) = channel else {
        return Attempt::fatal("the channel no longer exists");
    };
    let binding = SecretBinding::alert_channel(channel.id, channel.kind.as_str());
    let Ok(target) = ctx
        .config
        .key_ring
        .decrypt(&channel.target_ciphertext, &binding)
    else {
        return Attempt::fatal(
            "the channel's address cannot be decrypted; enter it again (or check the \
             function's ENCRYPTION_KEY)",
        );
    };
    if channel.kind == ChannelKind::Email {
        return send_email(ctx, &target, &delivery.payload, remaining).await;
    }
    let url = target;
    match sender
        .post_json_within(&url, &delivery.payload, remaining)
        .await
    {
        Ok(status) => match undelivered_because(status) {
            None => Attempt::Delivered,
            // A redirect fails for good: the same address will redirect again.
            Some(error) => Attempt::Failed {
                error,
                status: Some(status),
                final_: (300..=399).contains(&status),
            },
        },
        Err(error @ (WebhookError::InvalidUrl | WebhookError::Refused(_))) => {
            Attempt::fatal(&error.to_string())
        }
        // `WebhookError`'s words never include the URL.
        Err(error) => Attempt::Failed {
            error: error.to_string(),
            status: None,
            final_: false,
        },
    }
}

/// One alert e-mail to `to` through the app's mail relay (an operator's own address, so a
/// private or loopback one is fine; the user's address is only the recipient).
async fn send_email(
    ctx: &Ctx<'_>,
    to: &str,
    payload: &serde_json::Value,
    remaining: Duration,
) -> Attempt {
    let Some(relay) = &ctx.config.mail_relay else {
        return Attempt::fatal(EMAIL_NOT_SET_UP);
    };
    let sender = WebhookSender::new(
        Transport::new(
            OutboundPolicy::public_only()
                .allowing_loopback()
                .allowing_private(),
        ),
        DELIVERY_TIMEOUT,
    );
    let body = serde_json::json!({
        "to": to,
        "subject": payload["subject"],
        "text": payload["text"],
    });
    let reason = |words: &str, status: Option<u16>, final_: bool| Attempt::Failed {
        error: words.to_string(),
        status,
        final_,
    };
    match sender
        .post_json_authorized(&relay.url, &body, &relay.token, remaining)
        .await
    {
        Ok(200..=299) => Attempt::Delivered,
        Ok(502) => reason("the mail server refused the message", Some(502), true),
        Ok(503) => reason(
            "the mail server could not be reached or deferred the message",
            Some(503),
            false,
        ),
        Ok(401) => reason(
            "the app refused the function's MAIL_RELAY_TOKEN: the operator must set the same \
             token on both",
            Some(401),
            true,
        ),
        Ok(404) => reason(EMAIL_NOT_SET_UP, Some(404), true),
        Ok(422) => reason(
            "the app could not send this message (the address or the text is unusable)",
            Some(422),
            true,
        ),
        Ok(status) => reason(
            &format!("the mail relay answered HTTP {status}"),
            Some(status),
            false,
        ),
        Err(error) => reason(
            &format!("the mail relay: {error}"),
            None,
            matches!(error, WebhookError::InvalidUrl | WebhookError::Refused(_)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: Option<u16>, final_: bool) -> Attempt {
        Attempt::Failed {
            error: "x".repeat(800),
            status,
            final_,
        }
    }

    #[test]
    fn a_server_error_is_retried_later_and_a_client_error_is_not() {
        let backoff = DeliveryBackoff::default();
        match record(failed(Some(500), false), 1, &backoff) {
            DeliveryResult::Failed {
                error,
                retry_at: Some(at),
            } => {
                assert!(error.chars().count() <= ERROR_MAX_CHARS);
                assert!(at > runtime::now());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            record(failed(Some(404), false), 1, &backoff),
            DeliveryResult::Failed { retry_at: None, .. }
        ));
    }

    #[test]
    fn a_final_failure_or_the_last_attempt_gives_up() {
        let backoff = DeliveryBackoff::default();
        assert!(matches!(
            record(failed(None, true), 1, &backoff),
            DeliveryResult::Failed { retry_at: None, .. }
        ));
        assert!(matches!(
            record(failed(None, false), backoff.max_attempts, &backoff),
            DeliveryResult::Failed { retry_at: None, .. }
        ));
    }
}
