//! Alert channels through the app: the target is stored encrypted bound to its row and kind
//! and never echoed, addresses inside the network are refused in words that name no host,
//! another user can neither see nor delete nor test one, and "Send test" reaches a receiver
//! and is recorded as a `test` delivery.

use crate::builder_app::{post, signed_up};
use crate::helpers::postgrest::{Auth, Rest};
use crate::security::app_site::{site, site_with, AppSite};
use flowpulse_core::crypto::{KeyRing, SecretBinding, CURRENT_KEY_VERSION};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET_PATH: &str = "/services/T0001/B0002/s3cret-t0ken-abcd";

async fn save(s: &AppSite, cookie: &str, name: &str, kind: &str, target: &str) -> (u16, String) {
    let reply = post(
        s,
        cookie,
        "save_alert_channel",
        &[("name", name), ("kind", kind), ("target", target)],
    )
    .await;
    (reply.status().as_u16(), reply.text().await.unwrap())
}

/// (id, kind, ciphertext, hint) of the channel named `name`.
async fn stored(s: &AppSite, name: &str) -> (Uuid, String, String, String) {
    let row = s
        .stack
        .db
        .query_one(
            "select id, kind, target_ciphertext, hint from public.alert_channels where name = $1",
            &[&name],
        )
        .await
        .expect("the channel is stored");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

async fn channels(s: &AppSite) -> i64 {
    s.stack
        .db
        .query_one("select count(*) from public.alert_channels", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_channel_saved_through_the_app_is_stored_encrypted_never_echoed_and_not_another_users() {
    let s = site().await;
    let alice = signed_up(&s, "alice-alerts@example.com").await;
    let target = format!("https://hooks.example.com{SECRET_PATH}");
    let (status, body) = save(&s, &alice, "Ops hook", "webhook", &target).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("s3cret"), "the reply echoes nothing");

    let (id, kind, ciphertext, hint) = stored(&s, "Ops hook").await;
    assert_eq!(kind, "webhook");
    assert!(ciphertext.starts_with("f2.") && !ciphertext.contains("s3cret"));
    let keys = KeyRing::from_base64(CURRENT_KEY_VERSION, &s.stack.encryption_key).unwrap();
    assert_eq!(
        keys.decrypt(&ciphertext, &SecretBinding::alert_channel(id, "webhook"))
            .unwrap(),
        target
    );
    for wrong in [
        SecretBinding::alert_channel(Uuid::new_v4(), "webhook"),
        SecretBinding::alert_channel(id, "slack"),
    ] {
        assert!(
            keys.decrypt(&ciphertext, &wrong).is_err(),
            "bound to row and kind"
        );
    }
    assert_eq!(hint, "hooks.example.com/…abcd");
    let page = s.client.page("/alerts", Some(&alice)).await;
    assert!(page.contains("hooks.example.com/…abcd") && page.contains("Ops hook"));
    assert!(
        !page.contains("s3cret") && !page.contains(&ciphertext),
        "never shown"
    );
    assert!(page.contains("data-testid=\"nav-alerts\""));

    // Bob: not at PostgREST with his own token, not through the app.
    let bob = signed_up(&s, "bob-alerts@example.com").await;
    let bob_user = s.user("bob-alerts@example.com").await;
    let rest = Rest::new(&s.stack.postgrest_url);
    let as_bob = Auth::Bearer(bob_user.token.clone());
    assert!(rest
        .select(&format!("alert_channels?id=eq.{id}"), &as_bob)
        .await
        .rows()
        .is_empty());
    let theirs = s.client.page("/alerts", Some(&bob)).await;
    assert!(!theirs.contains("Ops hook") && !theirs.contains("hooks.example.com"));
    let id_text = id.to_string();
    for endpoint in ["delete_alert_channel", "test_alert_channel"] {
        let reply = post(&s, &bob, endpoint, &[("id", &id_text)]).await;
        assert_eq!(reply.status(), 404, "{endpoint}");
    }
    assert_eq!(channels(&s).await, 1);
    let deliveries: i64 = s
        .stack
        .db
        .query_one("select count(*) from public.alert_deliveries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(deliveries, 0, "Bob's test sent nothing");

    // Cloud metadata is refused even where the operator allows loopback.
    let (status, body) = save(
        &s,
        &alice,
        "Metadata",
        "webhook",
        "http://169.254.169.254/latest/meta-data",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("That address is refused") && body.contains("metadata"),
        "{body}"
    );
    assert!(
        !body.contains("169.254"),
        "the address is not repeated: {body}"
    );

    // Alice deletes her own.
    let reply = post(&s, &alice, "delete_alert_channel", &[("id", &id_text)]).await;
    assert_eq!(reply.status(), 200);
    assert_eq!(channels(&s).await, 0);
}

#[tokio::test]
async fn a_channel_to_loopback_or_metadata_is_refused_when_the_operator_allows_neither() {
    let s = site_with(&[("FLOWPULSE_OUTBOUND_ALLOW", "none".to_string())]).await;
    let cookie = signed_up(&s, "refused@example.com").await;
    for (target, words) in [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://localhost/hook", "loopback"),
    ] {
        let (status, body) = save(&s, &cookie, "Inside", "webhook", target).await;
        assert_eq!(status, 400, "{target}");
        assert!(
            body.contains("That address is refused") && body.contains(words),
            "{body}"
        );
    }
    let (status, body) = save(&s, &cookie, "Bad", "slack", "not a url").await;
    assert_eq!(status, 400);
    assert!(body.contains("full webhook address"), "{body}");
    assert_eq!(channels(&s).await, 0);
}

#[tokio::test]
async fn send_test_reaches_a_receiver_and_is_recorded_as_a_test_delivery() {
    let s = site().await;
    let cookie = signed_up(&s, "tester@example.com").await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook/team-abcdefgh"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let target = format!("{}/hook/team-abcdefgh", receiver.uri());
    let (status, body) = save(&s, &cookie, "Receiver", "webhook", &target).await;
    assert_eq!(status, 200, "{body}");
    let (id, ..) = stored(&s, "Receiver").await;

    let reply = post(
        &s,
        &cookie,
        "test_alert_channel",
        &[("id", &id.to_string())],
    )
    .await;
    assert_eq!(reply.status(), 200);
    assert!(reply.text().await.unwrap().contains("delivered"));
    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent["event"], "test");
    assert_eq!(sent["version"], 1);
    assert!(sent["message"].as_str().unwrap().contains("Receiver"));

    let row = s
        .stack
        .db
        .query_one(
            "select event, status, attempts, delivered_at is not null, alert_id is null
             from public.alert_deliveries where channel_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "test");
    assert_eq!(row.get::<_, String>(1), "delivered");
    assert_eq!(row.get::<_, i32>(2), 1);
    assert!(row.get::<_, bool>(3) && row.get::<_, bool>(4));
    let page = s.client.page("/alerts", Some(&cookie)).await;
    assert!(
        page.contains("Last test: ") && page.contains("delivered at"),
        "{page}"
    );

    // A receiver that fails is recorded as failed, with the reason and without the URL.
    receiver.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&receiver)
        .await;
    let reply = post(
        &s,
        &cookie,
        "test_alert_channel",
        &[("id", &id.to_string())],
    )
    .await;
    assert_eq!(reply.status(), 502);
    let text = reply.text().await.unwrap();
    assert!(
        text.contains("HTTP 500") && !text.contains("team-abcdefgh"),
        "{text}"
    );
}

#[tokio::test]
async fn a_rule_is_added_with_its_channels_switched_off_and_deleted() {
    let s = site().await;
    let cookie = signed_up(&s, "rules@example.com").await;
    let (status, _) = save(&s, &cookie, "Ops", "email", "ops@example.com").await;
    assert_eq!(status, 200);
    let (channel, ..) = stored(&s, "Ops").await;
    // Whether the id starts with a digit or a letter, the form field decodes.
    let field = format!("channels[ch-{channel}]");
    let reply = post(
        &s,
        &cookie,
        "save_alert_rule",
        &[
            ("name", "Failing often"),
            ("kind", "failure_rate"),
            ("instance", ""),
            ("workflow", ""),
            ("threshold", "25"),
            (&field, "on"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let row = s
        .stack
        .db
        .query_one(
            "select r.id, r.threshold::float8, r.enabled, c.channel_id from public.alert_rules r
             join public.alert_rule_channels c on c.rule_id = r.id",
            &[],
        )
        .await
        .unwrap();
    let rule: Uuid = row.get(0);
    assert_eq!(row.get::<_, f64>(1), 25.0);
    assert!(row.get::<_, bool>(2));
    assert_eq!(row.get::<_, Uuid>(3), channel);
    let page = s.client.page("/alerts", Some(&cookie)).await;
    assert!(
        page.contains("Failing often") && page.contains("notifies Ops"),
        "{page}"
    );

    let rule_text = rule.to_string();
    let reply = post(
        &s,
        &cookie,
        "set_alert_rule_enabled",
        &[("id", &rule_text), ("enabled", "false")],
    )
    .await;
    assert_eq!(reply.status(), 200);
    let bob = signed_up(&s, "bob-rules@example.com").await;
    assert_eq!(
        post(&s, &bob, "delete_alert_rule", &[("id", &rule_text)])
            .await
            .status(),
        404
    );
    let reply = post(&s, &cookie, "delete_alert_rule", &[("id", &rule_text)]).await;
    assert_eq!(reply.status(), 200);
    let left: i64 = s
        .stack
        .db
        .query_one("select count(*) from public.alert_rules", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn send_test_is_limited_to_five_a_minute_per_user_so_flowpulse_cannot_be_made_to_flood_an_address(
) {
    let s = site().await;
    let cookie = signed_up(&s, "flooder@example.com").await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let (status, _) = save(
        &s,
        &cookie,
        "Victim",
        "webhook",
        &format!("{}/in", receiver.uri()),
    )
    .await;
    assert_eq!(status, 200);
    let (id, ..) = stored(&s, "Victim").await;
    let id = id.to_string();
    for attempt in 1..=5 {
        let reply = post(&s, &cookie, "test_alert_channel", &[("id", &id)]).await;
        assert_eq!(reply.status(), 200, "test {attempt}");
    }
    let reply = post(&s, &cookie, "test_alert_channel", &[("id", &id)]).await;
    assert_eq!(reply.status(), 429);
    let text = reply.text().await.unwrap();
    assert!(text.contains("TooManyAttempts"), "{text}");
    assert_eq!(
        receiver.received_requests().await.unwrap().len(),
        5,
        "the sixth was not sent"
    );
    // Another user is not held up by it.
    let other = signed_up(&s, "other-tester@example.com").await;
    let (status, _) = save(
        &s,
        &other,
        "Mine",
        "webhook",
        &format!("{}/mine", receiver.uri()),
    )
    .await;
    assert_eq!(status, 200);
    let (mine, ..) = stored(&s, "Mine").await;
    let reply = post(
        &s,
        &other,
        "test_alert_channel",
        &[("id", &mine.to_string())],
    )
    .await;
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn a_channel_and_a_rule_are_changed_in_place_and_another_users_are_out_of_reach() {
    let s = site().await;
    let alice = signed_up(&s, "editor@example.com").await;
    let first = format!("https://hooks.example.com{SECRET_PATH}");
    assert_eq!(save(&s, &alice, "Ops", "webhook", &first).await.0, 200);
    let (id, _, ciphertext, _) = stored(&s, "Ops").await;
    let id_text = id.to_string();
    let edit = |name: &'static str, kind: &'static str, target: String| {
        let (s, alice, id_text) = (&s, &alice, &id_text);
        async move {
            let reply = post(
                s,
                alice,
                "save_alert_channel",
                &[
                    ("id", id_text),
                    ("name", name),
                    ("kind", kind),
                    ("target", &target),
                ],
            )
            .await;
            (reply.status().as_u16(), reply.text().await.unwrap())
        }
    };

    // Renamed, the address kept as it was.
    assert_eq!(edit("Ops renamed", "webhook", String::new()).await.0, 200);
    let (same_id, _, same_ciphertext, _) = stored(&s, "Ops renamed").await;
    assert_eq!((same_id, &same_ciphertext), (id, &ciphertext));
    // Another kind needs the address again: the old one is bound to the old kind.
    let (status, body) = edit("Ops renamed", "slack", String::new()).await;
    assert_eq!(status, 400, "{body}");
    let slack = "https://hooks.slack.com/services/T1/B2/new-secret-wxyz".to_string();
    assert_eq!(edit("Ops renamed", "slack", slack.clone()).await.0, 200);
    let (_, kind, new_ciphertext, hint) = stored(&s, "Ops renamed").await;
    let keys = KeyRing::from_base64(CURRENT_KEY_VERSION, &s.stack.encryption_key).unwrap();
    assert_eq!(kind, "slack");
    assert_eq!(
        keys.decrypt(&new_ciphertext, &SecretBinding::alert_channel(id, "slack"))
            .unwrap(),
        slack
    );
    assert!(!hint.contains("new-secret"), "{hint}");

    // A rule with that channel and an open alert; changing what it watches closes the alert.
    let field = format!("channels[ch-{id}]");
    let reply = post(
        &s,
        &alice,
        "save_alert_rule",
        &[("name", "Failures"), ("kind", "failure"), (&field, "on")],
    )
    .await;
    assert_eq!(reply.status(), 200);
    let user = s.user("editor@example.com").await;
    let rule: Uuid = s
        .stack
        .db
        .query_one("select id from public.alert_rules", &[])
        .await
        .unwrap()
        .get(0);
    s.stack
        .db
        .execute(
            "insert into public.alerts (user_id, rule_id, subject, message)
             values ($1, $2, 'provider:x', 'Down')",
            &[&user.id, &rule],
        )
        .await
        .unwrap();
    let page = s
        .client
        .page(&format!("/alerts?edit={rule}"), Some(&alice))
        .await;
    assert!(page.contains("Change the rule “Failures”"), "{page}");
    let rule_text = rule.to_string();
    let reply = post(
        &s,
        &alice,
        "save_alert_rule",
        &[
            ("id", &rule_text),
            ("name", "Stuck runs"),
            ("kind", "stuck"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let row = s
        .stack
        .db
        .query_one(
            "select r.name, r.kind,
                    (select count(*) from public.alert_rule_channels c where c.rule_id = r.id),
                    (select state from public.alerts a where a.rule_id = r.id)
             from public.alert_rules r where r.id = $1",
            &[&rule],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "Stuck runs");
    assert_eq!(row.get::<_, String>(1), "stuck");
    assert_eq!(row.get::<_, i64>(2), 0, "channels replaced");
    assert_eq!(row.get::<_, String>(3), "resolved");

    // Bob can change neither, and cannot slip his channel into Alice's rule.
    let bob = signed_up(&s, "bob-editor@example.com").await;
    let reply = post(
        &s,
        &bob,
        "save_alert_channel",
        &[
            ("id", &id_text),
            ("name", "Mine now"),
            ("kind", "slack"),
            ("target", ""),
        ],
    )
    .await;
    assert_eq!(reply.status(), 404);
    let reply = post(
        &s,
        &bob,
        "save_alert_rule",
        &[
            ("id", &rule_text),
            ("name", "Mine now"),
            ("kind", "failure"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 404);
    assert_eq!(save(&s, &bob, "Bob hook", "webhook", &first).await.0, 200);
    let (bobs, ..) = stored(&s, "Bob hook").await;
    let bobs_field = format!("channels[ch-{bobs}]");
    let reply = post(
        &s,
        &alice,
        "save_alert_rule",
        &[
            ("id", &rule_text),
            ("name", "Sneaky"),
            ("kind", "failure"),
            (&bobs_field, "on"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 400, "{}", reply.text().await.unwrap());
    let name: String = s
        .stack
        .db
        .query_one(
            "select name from public.alert_rules where id = $1",
            &[&rule],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Stuck runs", "the refused edit changed nothing");
}
