//! The workflow builder end to end on a real n8n: a chat-built webhook → Edit Fields → IF →
//! HTTP Request (through a header-auth credential FlowPulse creates in n8n) → Respond to Webhook
//! workflow is deployed through the edge function on workerd as curl would, activated, called
//! for real (both branches and a failing variant), synced — counters equal n8n's own list —
//! redeployed in place (same id, executions kept) and removed (row archived, history kept).
//! Plus what goes wrong: no plan, another user's conversation, a credential the user lacks, an
//! unreachable instance, two deploys at once.

use crate::helpers::postgrest::{Auth, Rest};
use crate::helpers::real_n8n;
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack, TestUser};
use flowpulse_core::builder::compose::{Conversation, Credentials};
use flowpulse_n8n::{BaseUrl, ClientSettings, N8nClient, OutboundPolicy, Transport};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEADER: &str = "X-Shop-Key";

/// The user's header-auth credential "Shop key", stored as the app stores it.
async fn add_credential(stack: &TestStack, user: &TestUser, secret: &str) -> Uuid {
    let id = Uuid::new_v4();
    let fields = json!({"name": HEADER, "value": secret});
    let row = json!({"id": id, "name": "Shop key", "credential_type": "httpHeaderAuth",
                     "secret_ciphertext": stack.encrypt_credential(id, "httpHeaderAuth", &fields),
                     "hint": &secret[secret.len() - 4..]});
    let reply = Rest::new(&stack.postgrest_url)
        .insert("credentials", &Auth::Bearer(user.token.clone()), row)
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{reply:?}");
    id
}

/// A conversation holding what the composer made of `messages`, as the chat stores it.
async fn converse(stack: &TestStack, user: &TestUser, messages: &[&str]) -> Uuid {
    let credentials = Credentials::new().with("httpHeaderAuth", "Shop key");
    let mut conversation = Conversation::default();
    for message in messages {
        conversation.reply(message, &credentials);
    }
    let id = Uuid::new_v4();
    let rest = Rest::new(&stack.postgrest_url);
    let auth = Auth::Bearer(user.token.clone());
    let state = serde_json::to_value(&conversation).unwrap();
    let reply = rest
        .insert("conversations", &auth, json!({"id": id, "state": state}))
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{reply:?}");
    let reply = rest
        .insert(
            "chat_messages",
            &auth,
            json!({"conversation_id": id, "role": "user", "content": messages[0]}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{reply:?}");
    id
}

/// Replaces the conversation's state with what `messages` make of it now.
async fn continue_with(stack: &TestStack, user: &TestUser, id: Uuid, messages: &[&str]) {
    let credentials = Credentials::new().with("httpHeaderAuth", "Shop key");
    let mut conversation = Conversation::default();
    for message in messages {
        conversation.reply(message, &credentials);
    }
    let state = serde_json::to_value(&conversation).unwrap();
    let reply = Rest::new(&stack.postgrest_url)
        .update(
            &format!("conversations?id=eq.{id}"),
            &Auth::Bearer(user.token.clone()),
            json!({"state": state}),
        )
        .await;
    assert!(reply.status.is_success(), "{reply:?}");
}

async fn deploy(
    worker: &TestWorker,
    user: &TestUser,
    conversation: Uuid,
    provider: Uuid,
) -> (u16, Value) {
    worker
        .act(
            &user.token,
            json!({"action": "deploy_workflow", "conversation_id": conversation,
                   "provider_id": provider, "activate": true}),
        )
        .await
}

/// Calls a production webhook, waiting out the moment after activation when n8n answers 404.
async fn call(base: &str, path: &str, body: Value) -> (u16, String) {
    let http = reqwest::Client::new();
    for _ in 0..40 {
        let reply = http
            .post(format!("{base}/webhook/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        if status != 404 {
            return (status, reply.text().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("webhook {path} never registered");
}

fn n8n_client(n8n: &real_n8n::RealN8n) -> N8nClient {
    N8nClient::new(
        BaseUrl::parse(&n8n.base_url).unwrap(),
        &n8n.api_key,
        Transport::new(OutboundPolicy::public_only().allowing_loopback()),
        ClientSettings::default(),
    )
}

#[tokio::test]
async fn a_chat_built_workflow_is_deployed_called_counted_redeployed_and_removed() {
    let n8n = real_n8n::shared().await;
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let user = stack.create_user("builder@example.com").await;
    let provider = stack
        .add_provider(&user, "Production n8n", &n8n.base_url, &n8n.api_key)
        .await;
    let secret = format!("shop-secret-{}", Uuid::new_v4().simple());
    add_credential(&stack, &user, &secret).await;
    // The shop n8n calls: the first call succeeds, later ones fail (the failing variant).
    let shop = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/orders"))
        .and(header(HEADER, secret.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"stored": true})))
        .up_to_n_times(1)
        .mount(&shop)
        .await;
    Mock::given(method("POST"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&shop)
        .await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let hook = format!("fp-build-{tag}");
    let request = format!(
        "When a webhook is called at /{hook}, keep the fields id and total, if total > 100 call \
         POST {}/orders with header auth, then answer ok",
        shop.uri()
    );
    let conversation = converse(&stack, &user, &[&request]).await;

    let (status, reply) = deploy(&worker, &user, conversation, provider).await;
    assert_eq!(status, 200, "{reply}");
    let deployment = &reply["deployment"];
    assert_eq!(deployment["outcome"], "created", "{reply}");
    assert_eq!(deployment["active"], true);
    assert_eq!(deployment["credentials_created"], json!(["Shop key"]));
    let n8n_id = deployment["n8n_workflow_id"].as_str().unwrap().to_string();
    let prefix = format!("[USR-{}] ", &user.id.simple().to_string()[..8]);
    assert!(
        deployment["name"].as_str().unwrap().starts_with(&prefix),
        "{reply}"
    );
    let client = n8n_client(n8n);
    let in_n8n = client.get_workflow(&n8n_id).await.unwrap();
    assert!(in_n8n.name.starts_with(&prefix), "{}", in_n8n.name);
    assert!(in_n8n.active);

    // Both branches, then the failing variant.
    assert_eq!(
        call(&n8n.base_url, &hook, json!({"id": 1, "total": 150}))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&n8n.base_url, &hook, json!({"id": 2, "total": 50}))
            .await
            .0,
        200
    );
    let (failed, _) = call(&n8n.base_url, &hook, json!({"id": 3, "total": 200})).await;
    assert_eq!(failed, 500, "the shop refused, so the workflow failed");
    let shop_calls = shop.received_requests().await.unwrap();
    assert_eq!(shop_calls.len(), 2, "only totals over 100 reach the shop");
    assert!(shop_calls.iter().all(|call| call
        .headers
        .get(HEADER)
        .is_some_and(|v| v == secret.as_str())));
    n8n.wait_for_executions(&n8n_id, 3).await;

    worker.sync_all(&user.token).await;
    assert_eq!(
        stack.counters_of(provider, &n8n_id).await,
        n8n.counters(&n8n_id).await
    );
    assert_eq!(stack.counters_of(provider, &n8n_id).await, (3, 2, 1, 3));
    let row: (Uuid, String, Option<String>) = {
        let row = stack
            .db
            .query_one(
                "select id, origin, prompt from public.mvp_workflows where n8n_workflow_id = $1",
                &[&n8n_id],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(row.1, "builder");
    assert_eq!(row.2.as_deref(), Some(request.as_str()));

    // A follow-up, redeployed: the same workflow, its executions kept.
    continue_with(
        &stack,
        &user,
        conversation,
        &[&request, "rename it to Big orders to the shop"],
    )
    .await;
    let (status, reply) = deploy(&worker, &user, conversation, provider).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["deployment"]["outcome"], "updated", "{reply}");
    assert_eq!(reply["deployment"]["n8n_workflow_id"], json!(n8n_id));
    assert_eq!(reply["deployment"]["credentials_created"], json!([]));
    let renamed = client.get_workflow(&n8n_id).await.unwrap();
    assert!(
        renamed.name.ends_with("Big orders to the shop"),
        "{}",
        renamed.name
    );
    assert!(
        n8n.executions_of(&n8n_id).await.len() >= 3,
        "executions kept"
    );
    let (status, again) = deploy(&worker, &user, conversation, provider).await;
    assert_eq!(
        (status, again["deployment"]["outcome"].clone()),
        (200, json!("unchanged"))
    );

    // Remove: gone from n8n, archived here with its history.
    let (status, reply) = worker
        .act(
            &user.token,
            json!({"action": "remove_workflow", "workflow_id": row.0}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["deployment"]["outcome"], "removed");
    assert!(client
        .get_workflow(&n8n_id)
        .await
        .unwrap_err()
        .is_not_found());
    let archived = stack
        .db
        .query_one(
            "select archived, deleted_at is not null,
                    (select count(*) from public.executions e where e.workflow_id = w.id)
             from public.mvp_workflows w where id = $1",
            &[&row.0],
        )
        .await
        .unwrap();
    assert!(archived.get::<_, bool>(0) && archived.get::<_, bool>(1));
    assert_eq!(archived.get::<_, i64>(2), 3, "history kept");
    let status: String = stack
        .db
        .query_one(
            "select status from public.workflow_deployments where conversation_id = $1",
            &[&conversation],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "removed");
}

#[tokio::test]
async fn a_deploy_that_cannot_happen_says_why_and_leaves_nothing_behind() {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let user = stack.create_user("careful@example.com").await;
    let other = stack.create_user("other@example.com").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let provider = stack
        .add_provider(&user, "Down n8n", &dead_url, "n8n_api_key_down")
        .await;

    // No plan yet.
    let empty = Uuid::new_v4();
    Rest::new(&stack.postgrest_url)
        .insert(
            "conversations",
            &Auth::Bearer(user.token.clone()),
            json!({"id": empty}),
        )
        .await;
    let (status, reply) = deploy(&worker, &user, empty, provider).await;
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (422, json!("unprocessable")),
        "{reply}"
    );

    // Another user's conversation is not found.
    let request = "When a webhook is called at /orders, call POST https://shop.example/orders \
                   with header auth, then answer ok";
    let theirs = converse(&stack, &other, &[request]).await;
    let (status, _) = deploy(&worker, &user, theirs, provider).await;
    assert_eq!(status, 404);

    // A credential the user does not have: named, nothing sent anywhere.
    let mine = converse(&stack, &user, &[request]).await;
    let (status, reply) = deploy(&worker, &user, mine, provider).await;
    assert_eq!(status, 422, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Shop key"),
        "{reply}"
    );

    // With the credential, the instance is down: a 502 naming it, the deployment marked failed.
    add_credential(&stack, &user, "secret-for-a-dead-n8n").await;
    let (status, reply) = deploy(&worker, &user, mine, provider).await;
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (502, json!("deploy_failed")),
        "{reply}"
    );
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&dead_url),
        "{reply}"
    );
    let (state, error, workflows): (String, Option<String>, i64) = {
        let row = stack
            .db
            .query_one(
                "select d.status, d.error, (select count(*) from public.mvp_workflows)
                 from public.workflow_deployments d where d.conversation_id = $1",
                &[&mine],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(state, "failed");
    assert!(error.unwrap().contains(&dead_url));
    assert_eq!(workflows, 0, "no workflow row without a workflow");
}

#[tokio::test]
async fn two_deploys_at_once_claim_the_deployment_once() {
    let stack = spawn_stack().await;
    let user = stack.create_user("twotabs@example.com").await;
    let provider = stack
        .add_provider(&user, "n8n", "http://127.0.0.1:9", "n8n_api_key_x")
        .await;
    let conversation = converse(
        &stack,
        &user,
        &["When a webhook is called at /x, answer ok"],
    )
    .await;
    let rest = Rest::new(&stack.postgrest_url);
    let auth = Auth::Bearer(user.token.clone());
    let claim = || {
        rest.send(
            reqwest::Method::POST,
            "rpc/claim_deployment",
            &auth,
            Some(json!({"p_conversation_id": conversation, "p_provider_id": provider})),
            "",
        )
    };
    let (first, second) = tokio::join!(claim(), claim());
    let claimed: Vec<bool> = [first, second]
        .iter()
        .map(|reply| {
            assert!(reply.status.is_success(), "{reply:?}");
            reply.body["claimed"].as_bool().unwrap()
        })
        .collect();
    assert_eq!(
        claimed.iter().filter(|c| **c).count(),
        1,
        "exactly one claim: {claimed:?}"
    );
    let rows: i64 = stack
        .db
        .query_one("select count(*) from public.workflow_deployments", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
    // Another user cannot claim (or even see) this conversation.
    let other = stack.create_user("intruder@example.com").await;
    let reply = rest
        .send(
            reqwest::Method::POST,
            "rpc/claim_deployment",
            &Auth::Bearer(other.token.clone()),
            Some(json!({"p_conversation_id": conversation, "p_provider_id": provider})),
            "",
        )
        .await;
    assert_eq!(reply.code(), Some("P0002"), "{reply:?}");
}
