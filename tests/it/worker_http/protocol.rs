//! What any caller meets before an action runs: health, OpenAPI, errors, CORS.

use super::{call, error_code, post, world};
use reqwest::Method;
use serde_json::json;

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
    let forged = flowpulse_stack::jwt::user_token(
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
