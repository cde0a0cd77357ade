//! The realtime hub: ONE `LISTEN flowpulse_changes` connection for the whole app server (see
//! `listener`), fanned out to the browsers' SSE streams (see `events`).
//!
//! Database triggers announce `{table, op, id, user_id}` — ids only, never row data. The hub
//! delivers an event only to the subscriptions of the user named in it; the browser then
//! re-reads the page it shows (rendered with the user's JWT), so row-level security still
//! decides what it sees.

pub mod listener;

use super::metrics::RealtimeGauges;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Events waiting for one slow browser before further ones are dropped for it.
const QUEUE_PER_SUBSCRIPTION: usize = 256;

/// What changed, as the browser receives it: no user id, no row data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// `providers`, `mvp_workflows` or `sync_logs`.
    pub table: String,
    /// `insert`, `update` or `delete`.
    pub op: String,
    /// The row's id.
    pub id: serde_json::Value,
    /// The hub's change number: the tabs a change refreshes ask for the page "as of" it, so
    /// the server renders it once for all of them (see `live_renders`).
    pub generation: u64,
}

/// A message for one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum HubMessage {
    /// A row of the subscriber's changed.
    Change(ChangeEvent),
    /// Events may have been missed (the database connection was re-established): refetch all.
    Resync,
}

/// The payload `notify_flowpulse_change()` sends.
#[derive(Deserialize)]
struct Notification {
    table: String,
    op: String,
    id: serde_json::Value,
    user_id: Uuid,
}

type Subscribers = HashMap<Uuid, Vec<(u64, mpsc::Sender<HubMessage>)>>;

#[derive(Default)]
struct HubInner {
    subscribers: Mutex<Subscribers>,
    next_id: AtomicU64,
    /// Change notifications received so far.
    generation: AtomicU64,
    listening: AtomicBool,
    /// Open streams and delivered events, read by `/metrics`.
    gauges: RealtimeGauges,
}

/// Routes database change notifications to the signed-in sessions of their owner.
#[derive(Clone, Default)]
pub struct RealtimeHub {
    inner: Arc<HubInner>,
}

/// A user already holds the most live connections allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many live connections for this account ({limit} are open). Close some FlowPulse tabs or windows, then reload this page.")]
pub struct TooManyStreams {
    /// The limit per user.
    pub limit: usize,
}

/// One browser's stream of events; unsubscribes when dropped (the SSE response ended).
pub struct Subscription {
    /// Where this subscriber's events arrive.
    pub receiver: mpsc::Receiver<HubMessage>,
    hub: RealtimeHub,
    user_id: Uuid,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.inner.gauges.live_connections.dec();
        let mut subscribers = self.hub.lock();
        if let Some(list) = subscribers.get_mut(&self.user_id) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                subscribers.remove(&self.user_id);
            }
        }
    }
}

impl RealtimeHub {
    fn lock(&self) -> MutexGuard<'_, Subscribers> {
        // Senders in a map: nothing a panicking holder could leave half-updated.
        self.inner
            .subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Subscribes to `user_id`'s events, unless the user already holds `limit` subscriptions
    /// (each one is an open connection and a queue). The caller must have verified the user's
    /// session.
    pub fn subscribe(&self, user_id: Uuid, limit: usize) -> Result<Subscription, TooManyStreams> {
        let (sender, receiver) = mpsc::channel(QUEUE_PER_SUBSCRIPTION);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut subscribers = self.lock();
        let list = subscribers.entry(user_id).or_default();
        if list.len() >= limit {
            return Err(TooManyStreams { limit });
        }
        list.push((id, sender));
        self.inner.gauges.live_connections.inc();
        Ok(Subscription {
            receiver,
            hub: self.clone(),
            user_id,
            id,
        })
    }

    /// Delivers one notification payload to its owner's subscriptions only; returns how many
    /// received it. Unparseable payloads are logged and dropped.
    pub fn publish(&self, payload: &str) -> usize {
        let notification: Notification = match serde_json::from_str(payload) {
            Ok(notification) => notification,
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed change notification");
                return 0;
            }
        };
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let event = ChangeEvent {
            table: notification.table,
            op: notification.op,
            id: notification.id,
            generation,
        };
        let subscribers = self.lock();
        let Some(list) = subscribers.get(&notification.user_id) else {
            return 0;
        };
        let delivered = list
            .iter()
            .filter(|(_, sender)| deliver(sender, HubMessage::Change(event.clone())))
            .count();
        self.inner
            .gauges
            .events_delivered
            .inc_by(u64::try_from(delivered).unwrap_or(u64::MAX));
        delivered
    }

    /// The number of the latest change notification (0 before the first).
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    /// The live values `/metrics` reports (the same atomics the hub updates).
    pub fn gauges(&self) -> &RealtimeGauges {
        &self.inner.gauges
    }

    /// Tells every subscription to refetch everything.
    pub fn broadcast_resync(&self) {
        for (_, sender) in self.lock().values().flatten() {
            deliver(sender, HubMessage::Resync);
        }
    }

    /// Number of open subscriptions, over all users.
    pub fn subscription_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// True while the `LISTEN` connection is up.
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Relaxed)
    }

    fn set_listening(&self, listening: bool) {
        self.inner.listening.store(listening, Ordering::Relaxed);
    }
}

/// Queues without waiting: one stalled browser must never hold up everyone else's events.
fn deliver(sender: &mpsc::Sender<HubMessage>, message: HubMessage) -> bool {
    match sender.try_send(message) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::debug!("a realtime subscriber is not keeping up; event dropped");
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALICE: Uuid = Uuid::from_u128(0xA);
    const BOB: Uuid = Uuid::from_u128(0xB);

    fn subscribe(hub: &RealtimeHub, user_id: Uuid) -> Subscription {
        hub.subscribe(user_id, 8).unwrap()
    }

    fn payload(user_id: Uuid, table: &str) -> String {
        json!({"table": table, "op": "update", "id": Uuid::from_u128(7), "user_id": user_id})
            .to_string()
    }

    #[test]
    fn an_event_reaches_only_its_owners_subscriptions() {
        let hub = RealtimeHub::default();
        let mut alice_tab1 = subscribe(&hub, ALICE);
        let mut alice_tab2 = subscribe(&hub, ALICE);
        let mut bob = subscribe(&hub, BOB);

        assert_eq!(hub.publish(&payload(ALICE, "mvp_workflows")), 2);

        let expected = HubMessage::Change(ChangeEvent {
            table: "mvp_workflows".into(),
            op: "update".into(),
            id: json!(Uuid::from_u128(7)),
            generation: 1,
        });
        assert_eq!(alice_tab1.receiver.try_recv().unwrap(), expected);
        assert_eq!(alice_tab2.receiver.try_recv().unwrap(), expected);
        assert!(
            bob.receiver.try_recv().is_err(),
            "user B must never receive user A's events"
        );
        hub.publish(&payload(BOB, "providers"));
        assert_eq!(hub.generation(), 2, "every change gets the next number");
    }

    #[test]
    fn the_event_the_browser_gets_carries_no_user_id() {
        let hub = RealtimeHub::default();
        let mut bob = subscribe(&hub, BOB);
        hub.publish(&payload(BOB, "providers"));
        let HubMessage::Change(event) = bob.receiver.try_recv().unwrap() else {
            panic!("expected a change");
        };
        let wire = serde_json::to_value(&event).unwrap();
        assert!(wire.get("user_id").is_none(), "{wire}");
    }

    #[test]
    fn events_for_users_without_subscriptions_go_nowhere() {
        let hub = RealtimeHub::default();
        let mut bob = subscribe(&hub, BOB);
        assert_eq!(hub.publish(&payload(Uuid::from_u128(0xC), "sync_logs")), 0);
        assert!(bob.receiver.try_recv().is_err());
    }

    #[test]
    fn malformed_payloads_are_dropped() {
        let hub = RealtimeHub::default();
        let mut alice = subscribe(&hub, ALICE);
        assert_eq!(hub.publish("not json"), 0);
        assert_eq!(
            hub.publish(r#"{"table":"providers","op":"insert","id":1}"#),
            0
        );
        assert!(alice.receiver.try_recv().is_err());
    }

    #[test]
    fn dropping_a_subscription_unsubscribes_it() {
        let hub = RealtimeHub::default();
        let alice = subscribe(&hub, ALICE);
        let _bob = subscribe(&hub, BOB);
        assert_eq!(hub.subscription_count(), 2);
        drop(alice);
        assert_eq!(hub.subscription_count(), 1);
        assert_eq!(hub.publish(&payload(ALICE, "providers")), 0);
    }

    #[test]
    fn a_user_at_the_limit_gets_no_further_subscription_until_one_ends() {
        let hub = RealtimeHub::default();
        let first = hub.subscribe(ALICE, 2).unwrap();
        let _second = hub.subscribe(ALICE, 2).unwrap();
        assert_eq!(
            hub.subscribe(ALICE, 2).err(),
            Some(TooManyStreams { limit: 2 })
        );
        assert!(
            hub.subscribe(BOB, 2).is_ok(),
            "other users are not affected"
        );
        drop(first);
        assert!(hub.subscribe(ALICE, 2).is_ok());
    }

    #[test]
    fn a_resync_reaches_every_subscription() {
        let hub = RealtimeHub::default();
        let mut alice = subscribe(&hub, ALICE);
        let mut bob = subscribe(&hub, BOB);
        hub.broadcast_resync();
        assert_eq!(alice.receiver.try_recv().unwrap(), HubMessage::Resync);
        assert_eq!(bob.receiver.try_recv().unwrap(), HubMessage::Resync);
    }

    #[test]
    fn a_stalled_subscriber_does_not_block_others() {
        let hub = RealtimeHub::default();
        let _stalled = subscribe(&hub, ALICE);
        let mut live = subscribe(&hub, ALICE);
        for _ in 0..QUEUE_PER_SUBSCRIPTION + 10 {
            hub.publish(&payload(ALICE, "mvp_workflows"));
            live.receiver.try_recv().unwrap();
        }
        assert!(hub.publish(&payload(ALICE, "mvp_workflows")) >= 1);
    }
}
