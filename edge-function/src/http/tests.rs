use serde_json::Value;

use super::*;
use crate::auth::tests::{service_token, sign, user_token};
use crate::config::tests::test_config;
use flowpulse_core::contract::ACTIONS;
use uuid::Uuid;

fn request(method: &str, path: &str, token: Option<&str>, body: &str) -> HttpRequest {
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    if let Some(token) = token {
        headers.push(("Authorization".into(), format!("Bearer {token}")));
    }
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn body(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

async fn send(request: &HttpRequest) -> HttpResponse {
    let config = test_config();
    handle(Ok(&config), request).await
}

#[tokio::test]
async fn health_answers_ok_with_json() {
    let response = send(&request("GET", HEALTH_PATH, None, "")).await;
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["status"], "ok");
    assert_eq!(body(&response)["configured"], true);
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn health_works_without_a_valid_configuration() {
    let broken = ConfigError::Missing("JWT_SECRET");
    let response = handle(Err(&broken), &request("GET", HEALTH_PATH, None, "")).await;
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["configured"], false);
    let response = handle(Err(&broken), &request("POST", FUNCTION_PATH, None, "{}")).await;
    assert_eq!(response.status, 500);
    assert!(!response.body.contains("JWT_SECRET"), "{}", response.body);
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let response = send(&request("GET", OPENAPI_PATH, None, "")).await;
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["openapi"], "3.0.3");
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let response = send(&request("GET", FUNCTION_PATH, None, "")).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(body(&response)["error"]["code"], "method_not_allowed");
    let response = send(&request("DELETE", HEALTH_PATH, None, "")).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("GET, OPTIONS"));
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let response = send(&request("POST", "/functions/v1/other", None, "{}")).await;
    assert_eq!(response.status, 404);
    assert_eq!(body(&response)["error"]["code"], "not_found");
}

#[tokio::test]
async fn missing_expired_and_forged_tokens_are_401_with_their_codes() {
    let body_text = r#"{"action":"sync_all_workflows"}"#;
    let response = send(&request("POST", FUNCTION_PATH, None, body_text)).await;
    assert_eq!(
        (response.status, body(&response)["error"]["code"].as_str()),
        (401, Some("missing_token"))
    );

    let expired = sign(
        serde_json::json!({"sub": Uuid::nil(), "role": "authenticated",
        "exp": chrono::Utc::now().timestamp() - 3600}),
    );
    let response = send(&request("POST", FUNCTION_PATH, Some(&expired), body_text)).await;
    assert_eq!(
        (response.status, body(&response)["error"]["code"].as_str()),
        (401, Some("expired_token"))
    );

    let mut forged = service_token();
    forged.push('x');
    let response = send(&request("POST", FUNCTION_PATH, Some(&forged), body_text)).await;
    assert_eq!(
        (response.status, body(&response)["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let big = format!(
        r#"{{"action":"sync_all_workflows","pad":"{}"}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    let response = send(&request(
        "POST",
        FUNCTION_PATH,
        Some(&service_token()),
        &big,
    ))
    .await;
    assert_eq!(response.status, 413);
    assert_eq!(body(&response)["error"]["code"], "payload_too_large");
}

/// A request as the runtime sees it before reading the body: headers only.
fn announced(token: Option<&str>, content_length: u64) -> HttpRequest {
    let mut request = request("POST", FUNCTION_PATH, token, "");
    request
        .headers
        .push(("Content-Length".into(), content_length.to_string()));
    request
}

#[test]
fn the_token_is_checked_before_a_declared_body_size_and_both_before_reading() {
    let config = test_config();
    let anonymous = precheck(Ok(&config), &announced(None, 50 * 1024 * 1024)).unwrap();
    assert_eq!(anonymous.status, 401);
    let token = service_token();
    let too_big = precheck(Ok(&config), &announced(Some(&token), 50 * 1024 * 1024)).unwrap();
    assert_eq!(too_big.status, 413);
    assert!(precheck(Ok(&config), &announced(Some(&token), 100)).is_none());
    let wrong_path = request("POST", "/functions/v1/other", Some(&token), "");
    assert_eq!(precheck(Ok(&config), &wrong_path).unwrap().status, 404);
    let health = request("GET", HEALTH_PATH, None, "");
    assert!(precheck(Ok(&config), &health).is_none());
}

#[tokio::test]
async fn malformed_json_and_unknown_actions_are_400_listing_the_valid_actions() {
    let token = user_token(Uuid::from_u128(1));
    let response = send(&request("POST", FUNCTION_PATH, Some(&token), "{nope")).await;
    assert_eq!(
        (response.status, body(&response)["error"]["code"].as_str()),
        (400, Some("bad_json"))
    );

    let response = send(&request(
        "POST",
        FUNCTION_PATH,
        Some(&token),
        r#"{"action":"sync_everything"}"#,
    ))
    .await;
    assert_eq!(response.status, 400);
    let message = body(&response)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    for action in ACTIONS {
        assert!(message.contains(action), "{message}");
    }
}

#[tokio::test]
async fn postgrest_being_down_is_a_500_that_leaks_nothing() {
    // test_config points PostgREST at 127.0.0.1:1, where nothing listens.
    let response = send(&request(
        "POST",
        FUNCTION_PATH,
        Some(&service_token()),
        r#"{"action":"sync_all_workflows"}"#,
    ))
    .await;
    assert_eq!(response.status, 500);
    assert_eq!(body(&response)["error"]["code"], "internal_error");
    for leak in ["127.0.0.1", "PostgREST", "providers", "connect"] {
        assert!(!response.body.contains(leak), "{}", response.body);
    }
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_gets_cors_headers_and_others_do_not() {
    let mut preflight = request("OPTIONS", FUNCTION_PATH, None, "");
    preflight
        .headers
        .push(("Origin".into(), "https://app.example.com".into()));
    let response = send(&preflight).await;
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(response
        .header("access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    assert!(response
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));

    let mut evil = request("OPTIONS", FUNCTION_PATH, None, "");
    evil.headers
        .push(("Origin".into(), "https://evil.example.com".into()));
    let response = send(&evil).await;
    assert_eq!(response.header("access-control-allow-origin"), None);

    // Error replies to an allowed origin carry CORS too, so the browser can read them.
    let mut unauthorized = request("POST", FUNCTION_PATH, None, "{}");
    unauthorized
        .headers
        .push(("Origin".into(), "https://app.example.com".into()));
    let response = send(&unauthorized).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
}

#[test]
fn the_gate_returns_the_caller_and_the_parsed_request() {
    let config = test_config();
    let id = Uuid::from_u128(9);
    let token = user_token(id);
    let (auth, request) = gate(
        &config,
        Some(&format!("Bearer {token}")),
        br#"{"action":"cleanup_workflows"}"#,
    )
    .unwrap();
    assert_eq!(auth.caller, crate::auth::Caller::User { id });
    assert_eq!(request, SyncRequest::CleanupWorkflows { dry_run: None });
}
