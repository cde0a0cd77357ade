//! The cron's fan-out onto a queue, decided without I/O: what a message carries, which
//! providers a cycle enqueues and in what order, and what a consumer does with a message.
//!
//! A queue delivers at least once, and a cycle may enqueue a provider whose previous message is
//! still waiting (a backlog, a retry). Both collapse here: a message is done once its provider
//! has synced successfully since the message was made, so a duplicate costs one database read.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rows::{Provider, ProviderStatus};

/// Cloudflare Queues take at most this many messages in one `sendBatch`.
pub const MAX_SEND_BATCH: usize = 100;

/// The shortest wait before a failed provider sync is tried again.
pub const LEAST_RETRY_DELAY: Duration = Duration::seconds(30);
/// The longest: a provider's next cron cycle comes at least this often.
pub const MOST_RETRY_DELAY: Duration = Duration::minutes(10);

/// One provider's turn in a cron cycle, as a queue message (sent as JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSyncMessage {
    /// The provider to sync.
    pub provider_id: Uuid,
    /// When the cron cycle made the message; its age drives the retry backoff.
    pub enqueued_at: DateTime<Utc>,
}

impl ProviderSyncMessage {
    /// The message as queued.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a message serialises")
    }

    /// A queued message back, or why it is not one of ours.
    pub fn from_text(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|error| format!("not a provider sync message: {error}"))
    }
}

/// A cycle's messages: every provider, least recently synced first (never synced before
/// anything, creation order breaking ties), so when consumers fall behind the ones waiting
/// longest go first.
pub fn cycle_messages(providers: &[Provider], now: DateTime<Utc>) -> Vec<ProviderSyncMessage> {
    let mut order: Vec<&Provider> = providers.iter().collect();
    order.sort_by_key(|provider| waiting_order(provider));
    order
        .into_iter()
        .map(|provider| ProviderSyncMessage {
            provider_id: provider.id,
            enqueued_at: now,
        })
        .collect()
}

/// The key that sorts providers least recently synced first: never synced before anything,
/// then by last sync, creation order breaking ties.
pub fn waiting_order(provider: &Provider) -> (Option<DateTime<Utc>>, DateTime<Utc>, Uuid) {
    (provider.last_checked_at, provider.created_at, provider.id)
}

/// Whether `message` still asks for work: the provider to sync, or why the message is done —
/// its provider is gone, or has synced successfully (fully or partly) since the message was
/// made. A failed sync since does not count: that is the retry this message is for.
pub fn admit<'p>(
    message: &ProviderSyncMessage,
    provider: Option<&'p Provider>,
) -> Result<&'p Provider, &'static str> {
    let Some(provider) = provider else {
        return Err("the instance no longer exists");
    };
    let synced_since = provider
        .last_checked_at
        .is_some_and(|checked| checked >= message.enqueued_at);
    let succeeded = matches!(
        provider.status,
        ProviderStatus::Connected | ProviderStatus::Warning
    );
    if synced_since && succeeded {
        Err("the instance synced since this message was queued")
    } else {
        Ok(provider)
    }
}

/// How long the queue waits before delivering a failed message again: as long as the message
/// is old, within [`LEAST_RETRY_DELAY`, `MOST_RETRY_DELAY`]. Each retry roughly doubles the
/// message's age, so the waits double too — an exponential backoff that needs no attempt
/// counter (the `worker` crate does not expose the queue's).
pub fn retry_delay(message: &ProviderSyncMessage, now: DateTime<Utc>) -> Duration {
    (now - message.enqueued_at).clamp(LEAST_RETRY_DELAY, MOST_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 10, minute, 0).unwrap()
    }

    fn provider(created: u32, checked: Option<u32>, status: ProviderStatus) -> Provider {
        let row = serde_json::json!({
            "id": Uuid::new_v4(), "user_id": Uuid::new_v4(), "name": format!("p{created}"),
            "base_url": "https://n8n.example.com", "api_key_ciphertext": "f2.1:x",
            "status": status, "last_checked_at": checked.map(at),
            "last_error": null, "created_at": at(created), "updated_at": at(created),
        });
        serde_json::from_value(row).unwrap()
    }

    #[test]
    fn a_cycle_queues_every_provider_never_synced_first_then_the_longest_waiting() {
        let providers = [
            provider(0, Some(40), ProviderStatus::Connected),
            provider(1, Some(5), ProviderStatus::Error),
            provider(3, None, ProviderStatus::Unknown),
            provider(2, None, ProviderStatus::Unknown),
            provider(4, Some(20), ProviderStatus::Warning),
        ];
        let messages = cycle_messages(&providers, at(45));
        let order: Vec<Uuid> = messages.iter().map(|m| m.provider_id).collect();
        let expected: Vec<Uuid> = [3, 2, 1, 4, 0].iter().map(|&i| providers[i].id).collect();
        assert_eq!(order, expected);
        assert!(messages.iter().all(|m| m.enqueued_at == at(45)));
    }

    #[test]
    fn a_message_is_done_once_its_provider_synced_successfully_after_it_was_made() {
        let message = ProviderSyncMessage {
            provider_id: Uuid::new_v4(),
            enqueued_at: at(30),
        };
        let sync = |checked, status| {
            let provider = provider(0, checked, status);
            admit(&message, Some(&provider)).map(|admitted| admitted.id == provider.id)
        };
        assert_eq!(sync(None, ProviderStatus::Unknown), Ok(true));
        assert_eq!(sync(Some(29), ProviderStatus::Connected), Ok(true));
        assert!(sync(Some(30), ProviderStatus::Connected).is_err());
        assert!(sync(Some(31), ProviderStatus::Warning).is_err());
        // A failed sync since is what a retried message is for.
        assert_eq!(sync(Some(31), ProviderStatus::Error), Ok(true));
        assert!(admit(&message, None).is_err());
    }

    #[test]
    fn retry_waits_double_with_the_message_age_within_bounds() {
        let message = ProviderSyncMessage {
            provider_id: Uuid::new_v4(),
            enqueued_at: at(0),
        };
        let delay = |seconds| retry_delay(&message, at(0) + Duration::seconds(seconds));
        assert_eq!(delay(2), LEAST_RETRY_DELAY);
        assert_eq!(delay(60), Duration::seconds(60));
        assert_eq!(delay(120), Duration::seconds(120));
        assert_eq!(delay(7_200), MOST_RETRY_DELAY);
        // A clock behind the message's (another machine's) still waits the least.
        assert_eq!(delay(-50), LEAST_RETRY_DELAY);
    }

    #[test]
    fn messages_travel_as_json_text_and_foreign_text_is_refused() {
        let message = ProviderSyncMessage {
            provider_id: Uuid::new_v4(),
            enqueued_at: at(7),
        };
        assert_eq!(
            ProviderSyncMessage::from_text(&message.to_text()),
            Ok(message)
        );
        let refused = ProviderSyncMessage::from_text("{\"provider_id\": 5}").unwrap_err();
        assert!(refused.contains("not a provider sync message"), "{refused}");
    }
}
