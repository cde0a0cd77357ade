//! Why it failed, and retry it — against a real n8n through the edge function on workerd: a
//! Code node that throws is synced with its error message and node stored (redacted, never the
//! run data); after the workflow is fixed in n8n, "Retry" makes n8n run it again with the
//! current version, n8n records `retryOf`, and FlowPulse links the two both ways.

use crate::helpers::real_n8n::{self, RealN8n};
use crate::helpers::spawn_stack;
use flowpulse_n8n::{
    BaseUrl, ClientSettings, N8nClient, OutboundPolicy, Transport, WorkflowDefinition,
};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

fn client(n8n: &RealN8n) -> N8nClient {
    N8nClient::new(
        BaseUrl::parse(&n8n.base_url).unwrap(),
        &n8n.api_key,
        Transport::new(OutboundPolicy::public_only().allowing_loopback()),
        ClientSettings::default(),
    )
}

/// A webhook (answering at once) followed by a Code node running `code`.
fn definition(name: &str, path: &str, code: &str) -> WorkflowDefinition {
    WorkflowDefinition {
        name: name.to_string(),
        nodes: json!([
            {"id": Uuid::new_v4(), "name": "Webhook", "type": "n8n-nodes-base.webhook",
             "typeVersion": 2, "position": [0, 0], "webhookId": Uuid::new_v4(),
             "parameters": {"path": path, "httpMethod": "POST", "responseMode": "onReceived"}},
            {"id": Uuid::new_v4(), "name": "Check order", "type": "n8n-nodes-base.code",
             "typeVersion": 2, "position": [240, 0],
             "parameters": {"mode": "runOnceForAllItems", "jsCode": code}}
        ]),
        connections: json!({"Webhook": {"main": [[{"node": "Check order", "type": "main", "index": 0}]]}}),
        settings: json!({"executionOrder": "v1"}),
    }
}

async fn call(base: &str, path: &str, body: Value) {
    let http = reqwest::Client::new();
    for _ in 0..40 {
        let reply = http
            .post(format!("{base}/webhook/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        if reply.status() != 404 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("webhook {path} never registered");
}

#[tokio::test]
async fn a_failure_is_explained_and_a_retry_after_the_fix_is_linked_both_ways() {
    let n8n = real_n8n::shared().await;
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let user = stack.create_user("insight@example.com").await;
    let provider = stack
        .add_provider(&user, "n8n", &n8n.base_url, &n8n.api_key)
        .await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let path = format!("fp-insight-{tag}");
    let n8n_client = client(n8n);
    let broken = "throw new Error('Order ' + $input.first().json.body.id + \
                  ' has no customer; token=sk_live_0123456789abcdef0123456789abcdef');";
    let created = n8n_client
        .create_workflow(&definition(&format!("FP insight {tag}"), &path, broken))
        .await
        .unwrap();
    n8n_client.activate_workflow(&created.id).await.unwrap();
    call(&n8n.base_url, &path, json!({"id": 7})).await;
    n8n.wait_for_executions(&created.id, 1).await;

    worker.sync_all(&user.token).await;
    let row = stack
        .db
        .query_one(
            "select id, n8n_execution_id, status, error_message, error_node, error_node_type,
                    error_fetched_at is not null
             from public.executions where provider_id = $1 and n8n_workflow_id = $2",
            &[&provider, &created.id],
        )
        .await
        .unwrap();
    let (execution_id, original): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(row.get::<_, String>(2), "error");
    let message: String = row.get(3);
    assert!(message.contains("Order 7 has no customer"), "{message}");
    assert!(
        !message.contains("sk_live_0123456789abcdef"),
        "a secret was kept: {message}"
    );
    assert_eq!(
        row.get::<_, Option<String>>(4).as_deref(),
        Some("Check order")
    );
    assert_eq!(
        row.get::<_, Option<String>>(5).as_deref(),
        Some("n8n-nodes-base.code")
    );
    assert!(row.get::<_, bool>(6));

    // Another user's execution is not found.
    let other = stack.create_user("not-yours@example.com").await;
    let (status, _) = worker
        .act(
            &other.token,
            json!({"action": "retry_execution", "execution_id": execution_id}),
        )
        .await;
    assert_eq!(status, 404);

    // Fixed in n8n, then retried from FlowPulse: n8n runs the current version.
    let fixed = "return $input.all();";
    n8n_client
        .update_workflow(
            &created.id,
            &definition(&format!("FP insight {tag}"), &path, fixed),
        )
        .await
        .unwrap();
    let (status, reply) = worker
        .act(
            &user.token,
            json!({"action": "retry_execution", "execution_id": execution_id}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["retry"]["status"], "success", "{reply}");
    let retry_id = reply["retry"]["retry_n8n_execution_id"].as_i64().unwrap();
    let in_n8n = n8n_client
        .get_execution(
            flowpulse_core::n8n::ExecutionId(u64::try_from(retry_id).unwrap()),
            false,
        )
        .await
        .unwrap();
    assert_eq!(in_n8n.mode, "retry");
    assert_eq!(in_n8n.retry_of.map(|id| id.0), u64::try_from(original).ok());
    let links = stack
        .db
        .query_one(
            "select r.retry_of, r.status, r.mode, o.retry_success_id
             from public.executions r
             join public.executions o on o.provider_id = r.provider_id
                                     and o.n8n_execution_id = r.retry_of
             where r.provider_id = $1 and r.n8n_execution_id = $2",
            &[&provider, &retry_id],
        )
        .await
        .unwrap();
    assert_eq!(links.get::<_, Option<i64>>(0), Some(original));
    assert_eq!(links.get::<_, String>(1), "success");
    assert_eq!(links.get::<_, String>(2), "retry");
    assert_eq!(
        links.get::<_, Option<i64>>(3),
        Some(retry_id),
        "retried → succeeded"
    );
    // A successful execution cannot be retried.
    let success: i64 = stack
        .db
        .query_one(
            "select id from public.executions where provider_id = $1 and n8n_execution_id = $2",
            &[&provider, &retry_id],
        )
        .await
        .unwrap()
        .get(0);
    let (status, reply) = worker
        .act(
            &user.token,
            json!({"action": "retry_execution", "execution_id": success}),
        )
        .await;
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (422, json!("unprocessable"))
    );

    n8n_client.deactivate_workflow(&created.id).await.unwrap();
}
