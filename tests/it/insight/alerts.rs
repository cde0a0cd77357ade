//! Alerts after each sync, through the real PostgREST: opened once when a rule's condition
//! starts, resolved once when it clears, each time one notification per channel; a receiver
//! that fails is retried later with backoff; a channel aimed at the cloud metadata address is
//! refused and never contacted, and its secret URL appears nowhere.

use super::Scenario;
use crate::helpers::postgrest::{Auth, Rest};
use chrono::{Duration, Utc};
use flowpulse_core::crypto::{KeyRing, SecretBinding, CURRENT_KEY_VERSION};
use serde_json::{json, Value};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

impl Scenario {
    /// A channel of `kind` to `target`, saved as the app saves it: through PostgREST with the
    /// user's token, the target encrypted bound to the channel's id and kind.
    async fn add_channel(&self, name: &str, kind: &str, target: &str) -> Uuid {
        let id = Uuid::new_v4();
        let keys = KeyRing::from_base64(CURRENT_KEY_VERSION, &self.stack.encryption_key).unwrap();
        let ciphertext = keys.encrypt(
            target,
            &SecretBinding::alert_channel(id, kind),
            &mut rand_core::OsRng,
        );
        let reply = self
            .rest()
            .insert(
                "alert_channels",
                &self.auth(),
                json!({"id": id, "name": name, "kind": kind, "target_ciphertext": ciphertext,
                       "hint": "…/hook"}),
            )
            .await;
        assert!(reply.status.is_success(), "{:?}", reply.body);
        id
    }

    /// An enabled rule of `kind` over everything of the user's, notifying `channels`.
    async fn add_rule(&self, kind: &str, channels: &[Uuid]) -> Uuid {
        let id = Uuid::new_v4();
        let reply = self
            .rest()
            .insert(
                "alert_rules",
                &self.auth(),
                json!({"id": id, "name": format!("{kind} anywhere"), "kind": kind}),
            )
            .await;
        assert!(reply.status.is_success(), "{:?}", reply.body);
        for channel in channels {
            let reply = self
                .rest()
                .insert(
                    "alert_rule_channels",
                    &self.auth(),
                    json!({"rule_id": id, "channel_id": channel}),
                )
                .await;
            assert!(reply.status.is_success(), "{:?}", reply.body);
        }
        id
    }

    fn rest(&self) -> Rest {
        Rest::new(&self.stack.postgrest_url)
    }

    fn auth(&self) -> Auth {
        Auth::Bearer(self.user.token.clone())
    }

    /// `(state, message)` of every alert, oldest first.
    async fn alerts(&self) -> Vec<(String, String)> {
        self.stack
            .db
            .query(
                "select state, message from public.alerts order by opened_at, id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    /// Every delivery of `channel`: (event, status, attempts, last_error, next attempt in the
    /// future).
    async fn deliveries(&self, channel: Uuid) -> Vec<(String, String, i32, Option<String>, bool)> {
        self.stack
            .db
            .query(
                "select event, status, attempts, last_error, next_attempt_at > now()
                 from public.alert_deliveries where channel_id = $1 order by created_at, id",
                &[&channel],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect()
    }

    /// A workflow with one execution that a Wait node should have resumed two hours ago.
    fn stuck_workflow(&self) -> (String, u64) {
        let id = self.fake.add_workflow("Order intake");
        let execution = self.fake.add_execution_at(
            &id,
            "waiting",
            "webhook",
            Utc::now() - Duration::hours(3),
            Some(Utc::now() - Duration::hours(2)),
        );
        (id, execution)
    }
}

pub(crate) async fn bodies(receiver: &MockServer) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_stuck_execution_opens_one_alert_notified_once_and_resolved_once() {
    let s = Scenario::new("alerts@example.com").await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let channel = s
        .add_channel("Ops hook", "webhook", &format!("{}/hook", receiver.uri()))
        .await;
    s.add_rule("stuck", &[channel]).await;
    let (_, execution) = s.stuck_workflow();

    s.sync().await;
    let alerts = s.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].0, "open");
    let sent = bodies(&receiver).await;
    assert_eq!(sent.len(), 1, "one notification: {sent:?}");
    assert_eq!(sent[0]["event"], "opened");
    assert_eq!(sent[0]["alert"]["kind"], "stuck");
    assert_eq!(sent[0]["workflow"]["name"], "Order intake");
    let deliveries = s.deliveries(channel).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].1.as_str(), deliveries[0].2),
        ("delivered", 1)
    );

    // Still stuck on the next two syncs: nothing new is opened or sent.
    s.sync().await;
    s.sync().await;
    assert_eq!(s.alerts().await.len(), 1);
    assert_eq!(bodies(&receiver).await.len(), 1);

    // It finishes: resolved once, told once.
    s.fake.set_status(execution, "success");
    s.sync().await;
    s.sync().await;
    let alerts = s.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].0, "resolved");
    let sent = bodies(&receiver).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["event"], "resolved");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_later_and_a_metadata_address_is_never_contacted() {
    let s = Scenario::new("alerts-faults@example.com").await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&receiver)
        .await;
    let failing = s
        .add_channel("Flaky hook", "slack", &format!("{}/hook", receiver.uri()))
        .await;
    let hostile_url = "http://169.254.169.254/latest/meta-data/iam?secret-token=abc123";
    let hostile = s.add_channel("Metadata", "webhook", hostile_url).await;
    s.add_rule("stuck", &[failing, hostile]).await;
    s.stuck_workflow();

    s.sync().await;
    assert_eq!(s.alerts().await.len(), 1);
    assert_eq!(bodies(&receiver).await.len(), 1, "tried once");
    let flaky = s.deliveries(failing).await;
    assert_eq!(flaky.len(), 1, "{flaky:?}");
    let (event, status, attempts, error, later) = &flaky[0];
    assert_eq!(
        (event.as_str(), status.as_str(), *attempts),
        ("opened", "pending", 1)
    );
    assert!(*later, "the retry waits (backoff)");
    assert!(
        error.as_deref().unwrap_or_default().contains("503"),
        "{error:?}"
    );

    let refused = s.deliveries(hostile).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].1, "failed", "refused for good: {refused:?}");
    let why = refused[0].3.clone().unwrap_or_default();
    assert!(!why.is_empty());
    assert!(!why.contains("169.254") && !why.contains("abc123"), "{why}");

    // The next sync comes before the retry is due: nothing is sent again.
    s.sync().await;
    assert_eq!(bodies(&receiver).await.len(), 1);
    // Nothing in the database holds the URL in the clear.
    let leaked: i64 = s
        .stack
        .db
        .query_one(
            "select count(*) from public.alert_deliveries
             where payload::text like '%abc123%' or coalesce(last_error, '') like '%abc123%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn another_user_cannot_attach_their_rule_to_my_channel() {
    let s = Scenario::new("alerts-owner@example.com").await;
    let channel = s
        .add_channel("Mine", "webhook", "https://hooks.example.com/x")
        .await;
    let other = s.stack.create_user("alerts-other@example.com").await;
    let theirs = Auth::Bearer(other.token.clone());
    let rule = Uuid::new_v4();
    let reply = s
        .rest()
        .insert(
            "alert_rules",
            &theirs,
            json!({"id": rule, "name": "theirs", "kind": "failure"}),
        )
        .await;
    assert!(reply.status.is_success(), "{:?}", reply.body);
    let attached = s
        .rest()
        .insert(
            "alert_rule_channels",
            &theirs,
            json!({"rule_id": rule, "channel_id": channel}),
        )
        .await;
    assert!(!attached.status.is_success(), "{:?}", attached.body);
    assert!(s
        .rest()
        .select("alert_channels?select=id", &theirs)
        .await
        .rows()
        .is_empty());
}
