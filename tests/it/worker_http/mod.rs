//! The edge function as deployed (worker-build output on workerd), over HTTP like curl: every
//! action, every error status, both token kinds, CORS, and the cron trigger.
//!
//! `protocol`: health, OpenAPI, every bad request, CORS; `actions`: the sync and cleanup
//! actions with both token kinds, n8n failures and the cron trigger.

mod actions;
mod protocol;

use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::Value;

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
