//! Alert e-mail through the operator's SMTP server (a real one on loopback): "Send test" on an
//! e-mail channel is sent by the app, an alert opened by a sync is sent by the edge function
//! through the app's mail relay, and the relay sends nothing for a caller without its token and
//! never lets a subject add a recipient.

use crate::builder_app::{post, signed_up};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::mail_sink::MailSink;
use crate::security::app_site::{site, site_with_mail, AppSite, MAIL_RELAY_TOKEN};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

async fn deliveries(s: &AppSite) -> Vec<(String, String, Option<String>)> {
    s.stack
        .db
        .query(
            "select event, status, last_error from public.alert_deliveries order by created_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

#[tokio::test]
async fn a_channel_test_and_a_failure_alert_arrive_at_the_operators_mail_server() {
    let sink = MailSink::start();
    let s = site_with_mail(&sink.url()).await;
    let cookie = signed_up(&s, "mail@example.com").await;
    let user = s.user("mail@example.com").await;
    let reply = post(
        &s,
        &cookie,
        "save_alert_channel",
        &[
            ("name", "Ops mail"),
            ("kind", "email"),
            ("target", "ops@example.com"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let channel: Uuid = s
        .stack
        .db
        .query_one("select id from public.alert_channels", &[])
        .await
        .unwrap()
        .get(0);

    let reply = post(
        &s,
        &cookie,
        "test_alert_channel",
        &[("id", &channel.to_string())],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1, "the test was sent");
    assert_eq!(mail[0].to, ["ops@example.com"]);
    assert_eq!(mail[0].from, "alerts@flowpulse.test");
    assert!(
        mail[0].data.contains("Subject: [FlowPulse]"),
        "{}",
        mail[0].data
    );
    assert!(
        mail[0].data.contains("This is a test of the channel"),
        "{}",
        mail[0].data
    );
    assert_eq!(
        deliveries(&s).await,
        [("test".to_string(), "delivered".to_string(), None)]
    );

    let field = format!("channels[ch-{channel}]");
    let reply = post(
        &s,
        &cookie,
        "save_alert_rule",
        &[
            ("name", "Failures"),
            ("kind", "failure"),
            ("instance", ""),
            ("workflow", ""),
            ("threshold", ""),
            (&field, "on"),
        ],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let fake = FakeN8n::start().await;
    s.stack
        .add_provider(&user, "Production", &fake.url, &fake.api_key)
        .await;
    let workflow = fake.add_workflow("Order sync");
    // After the rule existed: a failure from before it says nothing about the rule.
    fake.add_execution_at(&workflow, "error", "trigger", chrono::Utc::now(), None);
    s.worker.sync_all(&user.token).await;

    let mail = sink.wait_for(2, WAIT).await;
    assert_eq!(
        mail.len(),
        2,
        "one alert e-mail; deliveries: {:?}",
        deliveries(&s).await
    );
    assert_eq!(mail[1].to, ["ops@example.com"]);
    assert!(
        mail[1].data.contains("Failed: Order sync"),
        "the alert names the workflow: {}",
        mail[1].data
    );
    let recorded = deliveries(&s).await;
    assert_eq!(
        recorded[1],
        ("opened".to_string(), "delivered".to_string(), None),
        "{recorded:?}"
    );

    // A second sync with nothing new sends nothing more.
    s.worker.sync_all(&user.token).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.received().len(), 2, "opened once, not on every sync");
}

#[tokio::test]
async fn the_mail_relay_needs_its_token_and_a_subject_cannot_add_recipients() {
    let sink = MailSink::start();
    let s = site_with_mail(&sink.url()).await;
    let relay = format!("{}/internal/alert-mail", s.client.url);
    let http = reqwest::Client::new();
    let message = json!({"to": "ops@example.com", "subject": "Hi", "text": "Body"});
    let status = |reply: reqwest::Response| reply.status().as_u16();
    for token in [None, Some("wrong-token-0123456789abcdefghijklmn")] {
        let mut request = http.post(&relay).json(&message);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(status(request.send().await.unwrap()), 401, "{token:?}");
    }
    let with_token = |body: serde_json::Value| {
        http.post(&relay)
            .bearer_auth(MAIL_RELAY_TOKEN)
            .json(&body)
            .send()
    };
    let two = json!({"to": "ops@example.com, evil@example.com", "subject": "Hi", "text": "x"});
    assert_eq!(status(with_token(two).await.unwrap()), 422);
    let injected = json!({
        "to": "ops@example.com",
        "subject": "Hi\r\nBcc: evil@example.com",
        "text": "Body"
    });
    assert_eq!(status(with_token(injected).await.unwrap()), 204);
    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["ops@example.com"], "no second recipient");
    assert!(!mail[0].data.contains("\r\nBcc:"), "{}", mail[0].data);

    // An app without a mail server has no relay at all.
    let plain = site().await;
    let reply = http
        .post(format!("{}/internal/alert-mail", plain.client.url))
        .bearer_auth(MAIL_RELAY_TOKEN)
        .json(&message)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
}
