//! Alert evaluation and delivery against an in-memory PostgREST that keeps the alert tables
//! (and honours the one-open-alert index and `state=eq.open` filters), with receivers played
//! by fake servers.

use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use flowpulse_core::contract::ProviderResult;
use flowpulse_core::crypto::SecretBinding;
use flowpulse_core::rows::{ProviderStatus, SyncStatus};
use serde_json::{json, Value};

use super::*;
use crate::config::tests::test_config;
use crate::config::WorkerConfig;
use crate::engine::Trigger;
use crate::store::Store;
use crate::testing::{FakeReply, FakeRequest, FakeServer};

const OWNER: Uuid = Uuid::from_u128(0x0123_4567_89ab_4000_8000_0000_0000_0001);
const PROVIDER: Uuid = Uuid::from_u128(0xA1);
const WORKFLOW: Uuid = Uuid::from_u128(0xB1);
const RULE: Uuid = Uuid::from_u128(0xC1);
const WEBHOOK: Uuid = Uuid::from_u128(0xD1);
const SLACK: Uuid = Uuid::from_u128(0xD2);

/// The rows the fake PostgREST holds.
#[derive(Default)]
struct Tables {
    rules: Vec<Value>,
    rule_channels: Vec<Value>,
    channels: Vec<Value>,
    executions: Vec<Value>,
    sync_logs: Vec<Value>,
    alerts: Vec<Value>,
    deliveries: Vec<Value>,
    /// Another sync opens (or resolves) the alert just before this one's write lands.
    concurrent_writer: bool,
    next_id: u128,
}

type Shared = Arc<Mutex<Tables>>;

/// A query parameter's value, percent-decoded.
fn param(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| decode(value))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn eq(target: &str, name: &str) -> Option<String> {
    param(target, name).and_then(|value| value.strip_prefix("eq.").map(str::to_string))
}

fn answer(tables: &mut Tables, request: &FakeRequest) -> FakeReply {
    let path = request.target.split('?').next().unwrap_or_default();
    let table = path.trim_start_matches("/api/");
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let now = runtime::now();
    let target = request.target.as_str();
    match (request.method.as_str(), table) {
        ("GET", "alert_rules") => FakeReply::json(200, json!(tables.rules)),
        ("GET", "alert_rule_channels") => FakeReply::json(200, json!(tables.rule_channels)),
        ("GET", "alert_channels") => FakeReply::json(200, json!(tables.channels)),
        ("GET", "executions") => FakeReply::json(200, json!(tables.executions)),
        ("GET", "sync_logs") => FakeReply::json(200, json!(tables.sync_logs)),
        ("GET", "mvp_workflows") => FakeReply::json(
            200,
            json!([{"id": WORKFLOW, "provider_id": PROVIDER, "n8n_workflow_id": "wf1",
                    "name": "Order sync"}]),
        ),
        ("GET", "alerts") => {
            let open: Vec<&Value> = tables
                .alerts
                .iter()
                .filter(|a| a["state"] == "open")
                .collect();
            FakeReply::json(200, json!(open))
        }
        ("POST", "alerts") => {
            let taken = tables.alerts.iter().any(|a| {
                a["state"] == "open"
                    && a["rule_id"] == body["rule_id"]
                    && a["subject"] == body["subject"]
            });
            if taken || tables.concurrent_writer {
                return FakeReply::json(
                    409,
                    json!({"code": "23505", "message": "duplicate key value violates unique constraint \"alerts_one_open_per_subject\""}),
                );
            }
            tables.next_id += 1;
            let mut row = body.clone();
            row["id"] = json!(Uuid::from_u128(0xE000 + tables.next_id));
            row["state"] = json!("open");
            row["resolved_at"] = Value::Null;
            tables.alerts.push(row.clone());
            FakeReply::json(201, json!([row]))
        }
        ("PATCH", "alerts") => {
            let id = eq(target, "id").unwrap();
            let concurrent = tables.concurrent_writer;
            let Some(row) = tables
                .alerts
                .iter_mut()
                .find(|a| a["id"] == id.as_str() && a["state"] == "open")
            else {
                return FakeReply::json(200, json!([]));
            };
            for (key, value) in body.as_object().unwrap() {
                row[key] = value.clone();
            }
            if concurrent {
                return FakeReply::json(200, json!([]));
            }
            FakeReply::json(200, json!([row]))
        }
        ("POST", "alert_deliveries") => {
            for mut row in body.as_array().unwrap().clone() {
                tables.next_id += 1;
                row["id"] = json!(Uuid::from_u128(0xF000 + tables.next_id));
                row["status"] = json!("pending");
                row["attempts"] = json!(0);
                row["next_attempt_at"] = json!(now - TimeDelta::seconds(1));
                tables.deliveries.push(row);
            }
            FakeReply::raw(201, "")
        }
        ("GET", "alert_deliveries") => {
            let due: Vec<&Value> = tables
                .deliveries
                .iter()
                .filter(|d| {
                    let at: chrono::DateTime<chrono::Utc> =
                        serde_json::from_value(d["next_attempt_at"].clone()).unwrap();
                    d["status"] == "pending" && at <= now
                })
                .collect();
            FakeReply::json(200, json!(due))
        }
        ("PATCH", "alert_deliveries") => {
            let id = eq(target, "id").unwrap();
            let attempts = eq(target, "attempts");
            let Some(row) = tables.deliveries.iter_mut().find(|d| {
                d["id"] == id.as_str()
                    && attempts.as_deref().is_none_or(|n| {
                        d["attempts"] == n.parse::<i64>().unwrap() && d["status"] == "pending"
                    })
            }) else {
                return FakeReply::json(200, json!([]));
            };
            for (key, value) in body.as_object().unwrap() {
                row[key] = value.clone();
            }
            FakeReply::json(200, json!([{"id": id}]))
        }
        _ => FakeReply::json(404, json!({"code": "PGRST205", "message": "no such table"})),
    }
}

async fn fake_postgrest(tables: &Shared) -> FakeServer {
    let tables = tables.clone();
    FakeServer::start(move |request, _| answer(&mut tables.lock().unwrap(), request)).await
}

/// A receiver answering every POST with `status`.
async fn receiver(status: u16) -> FakeServer {
    FakeServer::start(move |_, _| FakeReply::json(status, json!({"ok": status < 300}))).await
}

fn config() -> WorkerConfig {
    let mut config = test_config();
    config.outbound = config.outbound.allowing_loopback();
    config
}

fn channel(config: &WorkerConfig, id: Uuid, kind: &str, target: &str) -> Value {
    let binding = SecretBinding::alert_channel(id, kind);
    let ciphertext = config
        .key_ring
        .encrypt(target, &binding, &mut rand_core::OsRng);
    json!({"id": id, "kind": kind, "target_ciphertext": ciphertext})
}

fn rule(kind: &str) -> Value {
    json!({"id": RULE, "name": "Production failures", "kind": kind, "provider_id": null,
           "workflow_id": null, "threshold": null, "created_at": "2026-01-01T00:00:00Z"})
}

fn run(id: i64, status: &str) -> Value {
    json!({"workflow_id": WORKFLOW, "n8n_execution_id": id, "status": status,
           "mode": "trigger", "started_at": runtime::now() - TimeDelta::minutes(id),
           "error_message": (status == "error").then_some("Authorization failed"),
           "error_description": null, "error_node": (status == "error").then_some("Fetch orders"),
           "error_node_type": null})
}

/// One failure rule notifying the given channels.
fn failure_rule_with(tables: &Shared, channels: Vec<Value>) {
    let mut tables = tables.lock().unwrap();
    tables.rules = vec![rule("failure")];
    tables.rule_channels = channels
        .iter()
        .map(|c| json!({"rule_id": RULE, "channel_id": c["id"]}))
        .collect();
    tables.channels = channels;
}

fn provider() -> Provider {
    Provider {
        id: PROVIDER,
        user_id: OWNER,
        name: "Production".into(),
        base_url: "https://n8n.example.com".into(),
        api_key_ciphertext: String::new(),
        status: ProviderStatus::Connected,
        last_checked_at: None,
        last_error: None,
        exec_watermark: 0,
        backfill_cursor: None,
        backfill_low: None,
        backfill_top: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn outcome(unreachable: Option<&str>) -> ProviderOutcome {
    ProviderOutcome {
        result: ProviderResult {
            provider_id: PROVIDER,
            provider: "Production".into(),
            status: if unreachable.is_some() {
                SyncStatus::Error
            } else {
                SyncStatus::Success
            },
            workflows_synced: 0,
            executions_synced: 0,
            duration_ms: 1200,
            error: unreachable.map(str::to_string),
        },
        sync_log_id: Some(Uuid::from_u128(0x5)),
        unreachable: unreachable.map(str::to_string),
        silent: false,
    }
}

async fn sync_with(config: &WorkerConfig, postgrest: &FakeServer, unreachable: Option<&str>) {
    let store = Store::new(&format!("{}/api", postgrest.url), "anon-key", "token").unwrap();
    let ctx = Ctx::new(config, store, Trigger::Cron, "sync_all_workflows");
    after_sync(&ctx, &provider(), None, &outcome(unreachable)).await;
}

fn events(tables: &Shared) -> Vec<(String, String)> {
    tables
        .lock()
        .unwrap()
        .deliveries
        .iter()
        .map(|d| {
            (
                d["event"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_alert_opens_once_and_queues_one_delivery_per_channel() {
    let config = config();
    let hooks = receiver(200).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![
            channel(&config, WEBHOOK, "webhook", &format!("{}/hook", hooks.url)),
            channel(&config, SLACK, "slack", &format!("{}/slack", hooks.url)),
        ],
    );
    tables.lock().unwrap().executions = vec![run(2, "error"), run(3, "success")];
    let postgrest = fake_postgrest(&tables).await;

    sync_with(&config, &postgrest, None).await;
    {
        let tables = tables.lock().unwrap();
        assert_eq!(tables.alerts.len(), 1);
        let alert = &tables.alerts[0];
        assert_eq!(alert["user_id"], json!(OWNER));
        assert_eq!(alert["subject"], format!("workflow:{WORKFLOW}"));
        assert_eq!(alert["subject_label"], "Order sync");
        assert!(
            alert["message"].as_str().unwrap().contains("Fetch orders"),
            "{alert}"
        );
        assert_eq!(tables.deliveries.len(), 2);
        for delivery in &tables.deliveries {
            assert_eq!(delivery["user_id"], json!(OWNER));
            assert_eq!(delivery["alert_id"], alert["id"]);
            assert_eq!(delivery["attempts"], 1);
        }
        let webhook = tables
            .deliveries
            .iter()
            .find(|d| d["channel_id"] == json!(WEBHOOK));
        assert_eq!(webhook.unwrap()["payload"]["event"], "opened");
        let slack = tables
            .deliveries
            .iter()
            .find(|d| d["channel_id"] == json!(SLACK));
        assert!(slack.unwrap()["payload"]["blocks"].is_array());
    }
    assert_eq!(
        events(&tables),
        [
            ("opened".into(), "delivered".into()),
            ("opened".into(), "delivered".into())
        ]
    );
    let posts = hooks.requests();
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|p| p.header("x-n8n-api-key").is_none()));

    // The condition still holds on the next sync: nothing new opens or is sent.
    sync_with(&config, &postgrest, None).await;
    assert_eq!(tables.lock().unwrap().alerts.len(), 1);
    assert_eq!(events(&tables).len(), 2);
    assert_eq!(hooks.requests().len(), 2);

    // A newer failure refreshes the open alert's message, still without notifying.
    tables.lock().unwrap().executions.insert(0, run(1, "error"));
    sync_with(&config, &postgrest, None).await;
    let alerts = tables.lock().unwrap().alerts.clone();
    assert_eq!(alerts.len(), 1);
    let message = alerts[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Execution #1 failed") && message.contains("2 failed runs in a row"),
        "{message}"
    );
    assert_eq!(hooks.requests().len(), 2);
}

#[tokio::test]
async fn clearing_resolves_the_alert_once_and_notifies_once() {
    let config = config();
    let hooks = receiver(200).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(
            &config,
            WEBHOOK,
            "webhook",
            &format!("{}/hook", hooks.url),
        )],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, None).await;

    tables.lock().unwrap().executions = vec![run(1, "success"), run(2, "error")];
    sync_with(&config, &postgrest, None).await;
    sync_with(&config, &postgrest, None).await;
    let alerts = tables.lock().unwrap().alerts.clone();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["state"], "resolved");
    assert!(alerts[0]["resolved_at"].is_string());
    assert_eq!(
        events(&tables),
        [
            ("opened".into(), "delivered".into()),
            ("resolved".into(), "delivered".into())
        ]
    );
    let last: Value = serde_json::from_slice(&hooks.requests()[1].body).unwrap();
    assert_eq!(last["event"], "resolved");
}

#[tokio::test]
async fn a_sync_that_loses_the_race_to_open_or_resolve_notifies_nobody() {
    let config = config();
    let hooks = receiver(200).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(
            &config,
            WEBHOOK,
            "webhook",
            &format!("{}/hook", hooks.url),
        )],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    tables.lock().unwrap().concurrent_writer = true;
    let postgrest = fake_postgrest(&tables).await;
    // The insert meets the unique index: the other sync's alert stands, nothing is queued.
    sync_with(&config, &postgrest, None).await;
    assert!(events(&tables).is_empty());

    {
        let mut tables = tables.lock().unwrap();
        tables.concurrent_writer = false;
        tables.alerts.push(json!({
            "id": Uuid::from_u128(0xE9), "user_id": OWNER, "rule_id": RULE,
            "subject": format!("workflow:{WORKFLOW}"), "subject_label": "Order sync",
            "state": "open", "message": "Execution #2 failed", "details": {},
            "opened_at": "2026-12-01T09:00:00Z", "resolved_at": null}));
        tables.executions = vec![run(1, "success")];
        tables.concurrent_writer = true;
    }
    // The other sync resolved it first: the update returns no row, nothing is queued.
    sync_with(&config, &postgrest, None).await;
    assert!(events(&tables).is_empty());
    assert!(hooks.requests().is_empty());
}

#[tokio::test]
async fn a_delivery_to_a_receiver_answering_500_is_retried_later_with_backoff() {
    let config = config();
    let hooks = receiver(500).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(
            &config,
            WEBHOOK,
            "webhook",
            &format!("{}/hook", hooks.url),
        )],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, None).await;

    let delivery = tables.lock().unwrap().deliveries[0].clone();
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_error"], "the receiver answered HTTP 500");
    let next: chrono::DateTime<Utc> =
        serde_json::from_value(delivery["next_attempt_at"].clone()).unwrap();
    assert!(next > runtime::now() + TimeDelta::seconds(50), "{next}");
    assert_eq!(hooks.requests().len(), 1);

    // Not yet due on the next sync.
    sync_with(&config, &postgrest, None).await;
    assert_eq!(hooks.requests().len(), 1);
}

#[tokio::test]
async fn a_hostile_or_private_channel_url_is_refused_and_never_contacted() {
    let mut config = config();
    // Public addresses only: the receiver on loopback is as private as it gets.
    config.outbound = flowpulse_core::outbound::OutboundPolicy::public_only();
    let inside = receiver(200).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![
            channel(
                &config,
                WEBHOOK,
                "webhook",
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            ),
            channel(&config, SLACK, "slack", &format!("{}/slack", inside.url)),
        ],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, None).await;

    assert!(
        inside.requests().is_empty(),
        "the private receiver was contacted"
    );
    assert_eq!(tables.lock().unwrap().deliveries.len(), 2);
    for delivery in &tables.lock().unwrap().deliveries {
        assert_eq!(delivery["status"], "failed", "{delivery}");
        let error = delivery["last_error"].as_str().unwrap();
        assert!(error.contains("does not send to"), "{error}");
        assert!(
            !error.contains("169.254") && !error.contains("127.0.0.1") && !error.contains("/slack"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn an_email_channel_without_a_mail_relay_is_marked_failed_with_the_reason() {
    let config = config();
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(&config, WEBHOOK, "email", "ops@example.com")],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, None).await;
    let delivery = tables.lock().unwrap().deliveries[0].clone();
    assert_eq!(delivery["status"], "failed");
    assert_eq!(delivery["last_error"], deliver::EMAIL_NOT_SET_UP);
    assert_eq!(
        delivery["payload"]["subject"],
        "[FlowPulse] Failed: Order sync"
    );
}

/// A failure alert for an e-mail channel, synced with the mail relay at `relay`: the delivery.
async fn email_through_relay(relay: &FakeServer) -> Value {
    let mut config = config();
    config.mail_relay = Some(crate::config::MailRelay {
        url: format!("{}/internal/alert-mail", relay.url),
        token: "relay-token-0123456789".into(),
    });
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(&config, WEBHOOK, "email", "ops@example.com")],
    );
    tables.lock().unwrap().executions = vec![run(2, "error")];
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, None).await;
    let delivery = tables.lock().unwrap().deliveries[0].clone();
    delivery
}

#[tokio::test]
async fn an_email_goes_to_the_mail_relay_with_its_token_and_is_retried_when_the_server_is_away() {
    let relay = receiver(204).await;
    let delivery = email_through_relay(&relay).await;
    assert_eq!(delivery["status"], "delivered", "{delivery}");
    let requests = relay.requests();
    assert_eq!(requests.len(), 1);
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(sent["to"], "ops@example.com");
    assert_eq!(sent["subject"], "[FlowPulse] Failed: Order sync");
    assert!(
        sent["text"].as_str().unwrap().contains("Fetch orders"),
        "{sent}"
    );
    assert!(requests[0]
        .headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("authorization")
            && value == "Bearer relay-token-0123456789"));

    // The mail server is away: the relay says 503, and the delivery waits for another try.
    let delivery = email_through_relay(&receiver(503).await).await;
    assert_eq!(delivery["status"], "pending", "{delivery}");
    assert_eq!(
        delivery["last_error"],
        "the mail server could not be reached or deferred the message"
    );
    // It refused the message for good: no retry.
    let delivery = email_through_relay(&receiver(502).await).await;
    assert_eq!(delivery["status"], "failed", "{delivery}");
}

#[tokio::test]
async fn a_user_without_enabled_rules_costs_one_query() {
    let config = config();
    let tables = Shared::default();
    let postgrest = fake_postgrest(&tables).await;
    sync_with(&config, &postgrest, Some("down")).await;
    let requests = postgrest.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].target.starts_with("/api/alert_rules?"),
        "{}",
        requests[0].target
    );
    assert_eq!(eq(&requests[0].target, "user_id"), Some(OWNER.to_string()));
    assert_eq!(eq(&requests[0].target, "enabled"), Some("true".into()));
}

#[tokio::test]
async fn an_instance_unreachable_in_two_syncs_in_a_row_opens_an_instance_alert() {
    let config = config();
    let hooks = receiver(200).await;
    let tables = Shared::default();
    failure_rule_with(
        &tables,
        vec![channel(
            &config,
            WEBHOOK,
            "webhook",
            &format!("{}/hook", hooks.url),
        )],
    );
    {
        let mut tables = tables.lock().unwrap();
        tables.rules = vec![rule("unreachable")];
        // This run's own log, then the one before it.
        tables.sync_logs = vec![
            json!({"id": Uuid::from_u128(0x5), "status": "error", "started_at": runtime::now()}),
            json!({"id": Uuid::from_u128(0x4), "status": "success",
                   "started_at": runtime::now() - TimeDelta::minutes(10)}),
        ];
    }
    let postgrest = fake_postgrest(&tables).await;
    // One failure is a blip.
    sync_with(
        &config,
        &postgrest,
        Some("n8n at https://n8n.example.com is unreachable"),
    )
    .await;
    assert!(tables.lock().unwrap().alerts.is_empty());

    tables.lock().unwrap().sync_logs.insert(
        1,
        json!({"id": Uuid::from_u128(0x6), "status": "error",
               "started_at": runtime::now() - TimeDelta::minutes(5)}),
    );
    sync_with(
        &config,
        &postgrest,
        Some("n8n at https://n8n.example.com is unreachable"),
    )
    .await;
    let alerts = tables.lock().unwrap().alerts.clone();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["subject"], format!("provider:{PROVIDER}"));
    assert_eq!(alerts[0]["subject_label"], "Production");
    let sent: Value = serde_json::from_slice(&hooks.requests()[0].body).unwrap();
    assert_eq!(sent["title"], "Unreachable: Production");

    // A sync that reaches n8n resolves it.
    sync_with(&config, &postgrest, None).await;
    assert_eq!(tables.lock().unwrap().alerts[0]["state"], "resolved");
}
