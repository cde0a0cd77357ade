//! What stopped running, against a real n8n through the edge function on workerd: a schedule
//! every minute that is deactivated is flagged as missed within two expected runs, and an
//! execution waiting at a Wait node (for a webhook call) is flagged stuck past the threshold
//! and cleared once it is resumed. Each test waits on n8n's own clock (a minute or two).

use crate::helpers::real_n8n::{self, RealN8n};
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack, TestUser};
use flowpulse_core::n8n::ExecutionStatus;
use flowpulse_n8n::{
    BaseUrl, ClientSettings, N8nClient, OutboundPolicy, Transport, WorkflowDefinition,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Setup {
    n8n: &'static RealN8n,
    client: N8nClient,
    stack: TestStack,
    worker: TestWorker,
    user: TestUser,
    tag: String,
}

impl Setup {
    async fn new(email: &str, bindings: &[(&'static str, String)]) -> Setup {
        let n8n = real_n8n::shared().await;
        let stack = spawn_stack().await;
        let worker = stack.spawn_worker_with(bindings).await;
        let user = stack.create_user(email).await;
        stack
            .add_provider(&user, "n8n", &n8n.base_url, &n8n.api_key)
            .await;
        let client = N8nClient::new(
            BaseUrl::parse(&n8n.base_url).unwrap(),
            &n8n.api_key,
            Transport::new(OutboundPolicy::public_only().allowing_loopback()),
            ClientSettings::default(),
        );
        Setup {
            n8n,
            client,
            stack,
            worker,
            user,
            tag: Uuid::new_v4().simple().to_string()[..8].to_string(),
        }
    }

    /// Syncs, then reads the workflow's verdict: status and findings.
    async fn synced_health(&self, n8n_id: &str) -> (String, Value) {
        self.worker.sync_all(&self.user.token).await;
        super::verdict(&self.stack, n8n_id).await
    }

    /// Waits (up to `limit`) until n8n lists an execution of `workflow` in `status`.
    async fn wait_for_status(&self, workflow: &str, status: ExecutionStatus, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let executions = self.n8n.executions_of(workflow).await;
            if executions.iter().any(|e| e.status == status) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {status:?} execution of {workflow} within {limit:?}: {executions:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn kinds(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|f| f["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn node(name: &str, node_type: &str, version: f64, parameters: Value) -> Value {
    json!({"id": Uuid::new_v4(), "name": name, "type": node_type, "typeVersion": version,
           "position": [0, 0], "parameters": parameters})
}

async fn sleep_until(at: Instant) {
    tokio::time::sleep(at.saturating_duration_since(Instant::now())).await;
}

#[tokio::test]
async fn a_schedule_every_minute_that_is_deactivated_is_flagged_missed_within_two_runs() {
    let s = Setup::new("schedule-stops@example.com", &[]).await;
    let definition = WorkflowDefinition {
        name: format!("FP every minute {}", s.tag),
        nodes: json!([
            node(
                "Schedule Trigger",
                "n8n-nodes-base.scheduleTrigger",
                1.2,
                json!({"rule": {"interval": [{"field": "minutes", "minutesInterval": 1}]}})
            ),
            node("Done", "n8n-nodes-base.noOp", 1.0, json!({})),
        ]),
        connections: json!({"Schedule Trigger": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}}),
        settings: json!({"executionOrder": "v1"}),
    };
    let created = s.client.create_workflow(&definition).await.unwrap();
    s.client.activate_workflow(&created.id).await.unwrap();
    s.wait_for_status(
        &created.id,
        ExecutionStatus::Success,
        Duration::from_secs(90),
    )
    .await;
    // It ran on its schedule; now it is switched off (by a colleague, or by n8n itself).
    s.client.deactivate_workflow(&created.id).await.unwrap();
    let last_run = Instant::now();

    let (_, findings) = s.synced_health(&created.id).await;
    assert!(
        !kinds(&findings).contains(&"missed_runs".to_string()),
        "nothing is missed yet: {findings}"
    );

    // Two expected runs later (the next run plus one interval of grace), it is flagged.
    sleep_until(last_run + Duration::from_secs(125)).await;
    let (status, findings) = s.synced_health(&created.id).await;
    assert_eq!(kinds(&findings), ["missed_runs"], "{findings}");
    assert_eq!(status, "warning");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Deactivated in n8n: expected every 1 min, last run"),
        "{message}"
    );
}

#[tokio::test]
async fn an_execution_waiting_at_a_wait_node_is_flagged_stuck_and_cleared_when_it_resumes() {
    // A one-minute threshold, so the test waits one minute rather than thirty.
    let s = Setup::new(
        "waiting@example.com",
        &[("STUCK_AFTER_MINUTES", "1".to_string())],
    )
    .await;
    let path = format!("fp-wait-{}", s.tag);
    let mut wait = node(
        "Wait for approval",
        "n8n-nodes-base.wait",
        1.1,
        json!({"resume": "webhook", "httpMethod": "POST", "options": {}}),
    );
    wait["webhookId"] = json!(Uuid::new_v4());
    let mut webhook = node(
        "Webhook",
        "n8n-nodes-base.webhook",
        2.0,
        json!({"path": path, "httpMethod": "POST", "responseMode": "responseNode"}),
    );
    webhook["webhookId"] = json!(Uuid::new_v4());
    let definition = WorkflowDefinition {
        name: format!("FP waits {}", s.tag),
        nodes: json!([
            webhook,
            // Answers the caller with the (signed) address that resumes this execution.
            node(
                "Respond",
                "n8n-nodes-base.respondToWebhook",
                1.1,
                json!({"respondWith": "text", "responseBody": "={{ $execution.resumeUrl }}", "options": {}})
            ),
            wait,
        ]),
        connections: json!({
            "Webhook": {"main": [[{"node": "Respond", "type": "main", "index": 0}]]},
            "Respond": {"main": [[{"node": "Wait for approval", "type": "main", "index": 0}]]}
        }),
        settings: json!({"executionOrder": "v1"}),
    };
    let created = s.client.create_workflow(&definition).await.unwrap();
    s.client.activate_workflow(&created.id).await.unwrap();
    let http = reqwest::Client::new();
    let mut resume_url = None;
    for _ in 0..40 {
        let reply = http
            .post(format!("{}/webhook/{path}", s.n8n.base_url))
            .json(&json!({"order": 7}))
            .send()
            .await
            .unwrap();
        if reply.status() != 404 {
            assert!(reply.status().is_success(), "{}", reply.status());
            resume_url = Some(reply.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let resume_url = resume_url.expect("the webhook registered");
    let started = Instant::now();
    s.wait_for_status(
        &created.id,
        ExecutionStatus::Waiting,
        Duration::from_secs(30),
    )
    .await;

    let (status, findings) = s.synced_health(&created.id).await;
    assert_eq!(
        (status.as_str(), kinds(&findings)),
        ("ok", vec![]),
        "not stuck yet"
    );

    sleep_until(started + Duration::from_secs(65)).await;
    let (status, findings) = s.synced_health(&created.id).await;
    assert_eq!(kinds(&findings), ["stuck_executions"], "{findings}");
    assert_eq!(status, "warning");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("waiting for a call"),
        "{findings}"
    );

    // Someone approves: the execution resumes and finishes, and the next sync clears it.
    let resume = reqwest::Url::parse(&resume_url).expect("a resume address");
    let local = format!(
        "{}{}?{}",
        s.n8n.base_url,
        resume.path(),
        resume.query().unwrap_or_default()
    );
    let reply = http
        .post(&local)
        .json(&json!({"approved": true}))
        .send()
        .await
        .unwrap();
    assert!(
        reply.status().is_success(),
        "resume answered {}",
        reply.status()
    );
    s.wait_for_status(
        &created.id,
        ExecutionStatus::Success,
        Duration::from_secs(30),
    )
    .await;
    let (status, findings) = s.synced_health(&created.id).await;
    assert_eq!(
        (status.as_str(), kinds(&findings)),
        ("ok", vec![]),
        "{findings}"
    );
    s.client.deactivate_workflow(&created.id).await.unwrap();
}
