//! The edge function as deployed (worker-build output on workerd), over HTTP like curl: every
//! action, every error status, both token kinds, CORS, and the cron trigger.

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(
    worker: &TestWorker,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", worker.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let reply = request.send().await.expect("worker answers");
    let status = reply.status();
    let headers = reply.headers().clone();
    let text = reply.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

async fn post(worker: &TestWorker, token: Option<&str>, body: Value) -> Reply {
    call(worker, Method::POST, "", token, Some(body.to_string())).await
}

fn error_code(reply: &Reply) -> &str {
    reply.body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error body: {:?}", reply.body))
}

struct World {
    stack: TestStack,
    worker: TestWorker,
    user: TestUser,
    fake: FakeN8n,
}

async fn world() -> World {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let user = stack.create_user("curl@example.com").await;
    let fake = FakeN8n::start().await;
    let wf = fake.add_workflow("Nightly export");
    fake.add_execution(&wf, "success");
    fake.add_execution(&wf, "error");
    stack
        .add_provider(&user, "team n8n", &fake.url, &fake.api_key)
        .await;
    World {
        stack,
        worker,
        user,
        fake,
    }
}

#[tokio::test]
async fn health_and_openapi_answer_without_a_token() {
    let w = world().await;
    let health = call(&w.worker, Method::GET, "/health", None, None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let spec = call(&w.worker, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(spec.status, 200);
    assert!(
        spec.body["openapi"]
            .as_str()
            .unwrap_or("")
            .starts_with("3."),
        "{:?}",
        spec.body
    );
    let actions = spec.body.to_string();
    for action in flowpulse_core::contract::ACTIONS {
        assert!(actions.contains(action), "the spec documents {action}");
    }
}

#[tokio::test]
async fn every_bad_request_gets_its_status_and_a_json_error() {
    let w = world().await;
    let token = Some(w.user.token.as_str());
    let reply = call(&w.worker, Method::GET, "", token, None).await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (405, "method_not_allowed")
    );
    assert!(
        reply.headers.get("allow").is_some(),
        "405 says what is allowed"
    );
    let reply = call(&w.worker, Method::PUT, "", token, Some("{}".into())).await;
    assert_eq!(reply.status, 405);

    let reply = post(&w.worker, None, json!({"action": "sync_all_workflows"})).await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (401, "missing_token")
    );
    let expired = w.stack.token_for(w.user.id, &w.user.email, -120);
    let reply = post(
        &w.worker,
        Some(&expired),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (401, "expired_token")
    );
    let forged = xtask::jwt::user_token(
        "not-the-secret-not-the-secret-0123456789",
        w.user.id,
        &w.user.email,
        600,
    )
    .unwrap();
    let reply = post(
        &w.worker,
        Some(&forged),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (401, "invalid_token")
    );
    let reply = post(
        &w.worker,
        Some("garbage"),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 401);

    let reply = call(
        &w.worker,
        Method::POST,
        "",
        token,
        Some("{\"action\": ".into()),
    )
    .await;
    assert_eq!(reply.status, 400, "malformed JSON: {:?}", reply.body);
    let reply = post(&w.worker, token, json!({"action": "sync_everything"})).await;
    assert_eq!(reply.status, 400);
    let message = reply.body["error"]["message"].as_str().unwrap();
    for action in flowpulse_core::contract::ACTIONS {
        assert!(
            message.contains(action),
            "the message lists {action}: {message}"
        );
    }
    let reply = post(&w.worker, token, json!({"action": "sync_workflow"})).await;
    assert_eq!(
        reply.status, 400,
        "a known action with a missing field: {:?}",
        reply.body
    );
    let huge =
        json!({"action": "sync_all_workflows", "padding": "x".repeat(70 * 1024)}).to_string();
    let reply = call(&w.worker, Method::POST, "", token, Some(huge)).await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (413, "payload_too_large")
    );

    // Nothing of the refused requests reached the database.
    let logs: i64 = w
        .stack
        .db
        .query_one("select count(*) from public.sync_logs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(logs, 0);
}

#[tokio::test]
async fn cors_preflight_allows_the_apps_origin_only() {
    let w = world().await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(Method::OPTIONS, &w.worker.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("http://app.test").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://app.test"
    );
    let other = preflight("http://evil.test").await.unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "no CORS grant for another origin"
    );
}

#[tokio::test]
async fn a_user_token_syncs_only_that_users_providers_and_service_role_syncs_everyone() {
    let w = world().await;
    let other = w.stack.create_user("other@example.com").await;
    let other_fake = FakeN8n::start().await;
    let wf = other_fake.add_workflow("Other's flow");
    other_fake.add_execution(&wf, "success");
    w.stack
        .add_provider(&other, "other n8n", &other_fake.url, &other_fake.api_key)
        .await;

    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        1,
        "RLS scopes the run to the caller's providers: {:?}",
        reply.body
    );
    assert_eq!(results[0]["provider"], "team n8n");
    assert_eq!(results[0]["executions_synced"], 2);
    assert_eq!(reply.body["sync_log_ids"].as_array().unwrap().len(), 1);
    assert!(
        other_fake.requests().is_empty(),
        "the other user's n8n was never called"
    );

    let reply = post(
        &w.worker,
        Some(&w.stack.service_role_key),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.body["results"].as_array().unwrap().len(),
        2,
        "service_role covers all users"
    );
    let counts: Vec<(String, i64)> = w
        .stack
        .db
        .query(
            "select name, execution_count from public.mvp_workflows order by name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("Nightly export".to_string(), 2),
            ("Other's flow".to_string(), 1)
        ]
    );
}

#[tokio::test]
async fn sync_workflow_syncs_one_workflow_and_refuses_someone_elses() {
    let w = world().await;
    post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    let workflow: uuid::Uuid = w
        .stack
        .db
        .query_one("select id from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    let n8n_id: String = w
        .stack
        .db
        .query_one("select n8n_workflow_id from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    w.fake.add_execution(&n8n_id, "crashed");
    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_workflow", "workflow_id": workflow}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (count, failed): (i64, i64) = w
        .stack
        .db
        .query_one(
            "select execution_count, failed_executions from public.mvp_workflows where id = $1",
            &[&workflow],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((count, failed), (3, 2));
    let stranger = w.stack.create_user("stranger@example.com").await;
    let reply = post(
        &w.worker,
        Some(&stranger.token),
        json!({"action": "sync_workflow", "workflow_id": workflow}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (404, "not_found")
    );
}

async fn is_archived(stack: &TestStack, n8n_workflow_id: &str) -> bool {
    stack
        .db
        .query_one(
            "select archived from public.mvp_workflows where n8n_workflow_id = $1",
            &[&n8n_workflow_id],
        )
        .await
        .expect("the workflow has a row")
        .get(0)
}

#[tokio::test]
async fn cleanup_is_a_dry_run_for_users_and_real_for_service_role() {
    let w = world().await;
    let gone = w.fake.add_workflow("Removed later");
    let orphan_name = flowpulse_core::naming::user_workflow_name(w.user.id, "Chat draft");
    let orphan = w.fake.add_workflow(&orphan_name);
    post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    w.fake.remove_workflow(&gone);

    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "cleanup_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let report = &reply.body["cleanup"];
    assert_eq!(
        report["dry_run"], true,
        "users get a dry run by default: {report}"
    );
    assert!(
        report.to_string().contains("Removed later"),
        "lists what would be archived: {report}"
    );
    assert!(
        report.to_string().contains(&orphan),
        "lists the orphan it would delete: {report}"
    );
    let archived = is_archived(&w.stack, &gone).await;
    assert!(!archived, "a dry run changes nothing");

    let reply = post(
        &w.worker,
        Some(&w.stack.service_role_key),
        json!({"action": "cleanup_workflows", "dry_run": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let archived = is_archived(&w.stack, &gone).await;
    assert!(
        archived,
        "a workflow gone from n8n is archived, its row and history kept"
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r == &format!("DELETE /api/v1/workflows/{orphan}")),
        "the orphan was deleted in n8n"
    );
    let cleanup_logs: i64 = w
        .stack
        .db
        .query_one(
            "select count(*) from public.sync_logs where sync_type = 'cleanup'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cleanup_logs >= 1);
}

#[tokio::test]
async fn an_unreachable_instance_is_a_502_that_names_it() {
    let w = world().await;
    w.fake.stop();
    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (502, "n8n_unreachable")
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("team n8n"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn internal_errors_are_500_without_internals() {
    let stack = spawn_stack().await;
    // PostgREST address that nothing listens on: the function cannot reach its database.
    let dead = format!(
        "http://127.0.0.1:{}/api",
        xtask::process::free_port().unwrap()
    );
    let worker = stack
        .spawn_worker_with(&[("POSTGREST_URL", dead.clone())])
        .await;
    let user = stack.create_user("oops@example.com").await;
    let reply = post(
        &worker,
        Some(&user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (500, "internal_error")
    );
    let text = reply.body.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(&dead),
        "no internals in the reply: {text}"
    );
}

#[tokio::test]
async fn the_cron_trigger_runs_a_scheduled_sync_and_the_cleanup() {
    let w = world().await;
    let client = reqwest::Client::new();
    let fire = |cron: &'static str| {
        client
            .get(&w.worker.cron_url)
            .query(&[("cron", cron)])
            .send()
    };
    let reply = fire("*/15 * * * *").await.unwrap();
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let scheduled: i64 = w.stack.db.query_one("select count(*) from public.sync_logs where sync_type = 'scheduled' and status = 'success'", &[]).await.unwrap().get(0);
    assert_eq!(
        scheduled, 1,
        "a scheduled sync ran as service role over every provider"
    );
    let counted: i64 = w
        .stack
        .db
        .query_one("select execution_count from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(counted, 2);
    let reply = fire("17 3 * * *").await.unwrap();
    assert_eq!(reply.status(), 200);
    let cleanups: i64 = w
        .stack
        .db
        .query_one(
            "select count(*) from public.sync_logs where sync_type = 'cleanup'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cleanups >= 1, "the daily cron also cleans up");
}
