use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::testing::{FakeReply, FakeServer};

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(3),
    }
}

fn client(server: &FakeServer) -> N8nClient {
    N8nClient::new(
        &format!("{}/", server.url),
        "secret-api-key",
        Duration::from_secs(2),
        fast_policy(),
    )
}

fn execution(id: u64) -> serde_json::Value {
    json!({
        "id": id.to_string(), "finished": true, "mode": "webhook", "status": "success",
        "startedAt": "2026-11-01T10:00:00.000Z", "stoppedAt": "2026-11-01T10:00:01.500Z",
        "workflowId": "wf1", "retryOf": null, "retrySuccessId": null, "waitTill": null
    })
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_later_success_returned() {
    let server = FakeServer::start(|_, index| {
        if index == 0 {
            FakeReply::json(500, json!({"message": "boom"}))
        } else {
            FakeReply::json(200, json!({"data": [execution(7)], "nextCursor": null}))
        }
    })
    .await;
    let page = client(&server)
        .list_executions(&ExecutionQuery::default())
        .await
        .unwrap();
    assert_eq!(page.data[0].id, ExecutionId(7));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn every_request_carries_the_api_key_and_the_page_limit() {
    let server =
        FakeServer::start(|_, _| FakeReply::json(200, json!({"data": [], "nextCursor": null})))
            .await;
    let query = ExecutionQuery {
        cursor: Some("abc=".into()),
        workflow_id: Some("wf 1".into()),
    };
    client(&server).list_executions(&query).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("x-n8n-api-key"), Some("secret-api-key"));
    assert!(
        request.target.starts_with("/api/v1/executions?"),
        "{}",
        request.target
    );
    assert!(request.target.contains("limit=250"), "{}", request.target);
    assert!(
        request.target.contains("cursor=abc%3D"),
        "{}",
        request.target
    );
    assert!(
        request.target.contains("workflowId=wf+1"),
        "{}",
        request.target
    );
}

#[tokio::test]
async fn a_429_waits_at_least_its_retry_after() {
    let server = FakeServer::start(|_, index| {
        if index == 0 {
            FakeReply::json(429, json!({"message": "slow down"})).with_header("Retry-After", "1")
        } else {
            FakeReply::json(200, json!({"data": [], "nextCursor": null}))
        }
    })
    .await;
    client(&server)
        .list_workflows(None)
        .await
        .expect("succeeds after waiting");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].received_at - requests[0].received_at;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
}

#[tokio::test]
async fn a_401_is_unauthorized_at_once_and_says_to_check_the_key() {
    let server =
        FakeServer::start(|_, _| FakeReply::json(401, json!({"message": "Unauthorized"}))).await;
    let error = client(&server).list_workflows(None).await.unwrap_err();
    assert!(
        matches!(error, N8nError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 1, "a bad key is never retried");
    let message = error.to_string();
    assert!(message.contains(&server.url), "{message}");
    assert!(message.contains("API key"), "{message}");
    assert!(!message.contains("secret-api-key"), "{message}");
}

#[tokio::test]
async fn a_404_is_not_found_and_not_retried() {
    let server =
        FakeServer::start(|_, _| FakeReply::json(404, json!({"message": "Not Found"}))).await;
    let error = client(&server)
        .get_execution(ExecutionId(42))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(error.to_string().contains("execution 42"), "{error}");
    assert_eq!(server.requests()[0].target, "/api/v1/executions/42");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_reply_that_is_not_the_expected_json_is_malformed() {
    let server = FakeServer::start(|_, index| {
        if index == 0 {
            FakeReply::raw(200, "<html>login</html>")
        } else {
            FakeReply::json(200, json!({"items": []}))
        }
    })
    .await;
    let client = client(&server);
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::Malformed { .. }), "{error:?}");
    // Valid JSON of the wrong shape (no `data`) must not pass for an empty listing.
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::Malformed { .. }), "{error:?}");
    assert_eq!(
        server.requests().len(),
        2,
        "malformed replies are not retried"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_budget() {
    let server = FakeServer::start(|_, _| FakeReply::Hang).await;
    let client = N8nClient::new(
        &server.url,
        "key",
        Duration::from_millis(200),
        fast_policy(),
    )
    .with_deadline(Deadline::after(Duration::from_millis(900)));
    let started = Instant::now();
    let error = client.list_workflows(None).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, N8nError::Timeout { .. }), "{error:?}");
    assert!(error.is_unreachable());
    assert!(took < Duration::from_millis(1_500), "took {took:?}");
    assert!(server.requests().len() >= 2, "timeouts are retried");
}

#[tokio::test]
async fn retries_stop_when_the_budget_cannot_cover_the_wait() {
    let server =
        FakeServer::start(|_, _| FakeReply::json(503, json!({})).with_header("Retry-After", "3"))
            .await;
    let client = client(&server).with_deadline(Deadline::after(Duration::from_secs(1)));
    let started = Instant::now();
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(
        matches!(error, N8nError::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_names_the_instance() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = N8nClient::new(&url, "key", Duration::from_secs(2), fast_policy());
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn all_workflows_follows_the_cursor_to_the_last_page() {
    let workflow = |id: &str| {
        json!({"id": id, "name": id, "active": false, "createdAt": "2026-11-01T10:00:00Z",
               "updatedAt": "2026-11-01T10:00:00Z", "nodes": [], "connections": {}})
    };
    let server = FakeServer::start(move |request, _| {
        if request.target.contains("cursor=next") {
            FakeReply::json(200, json!({"data": [workflow("b")], "nextCursor": null}))
        } else {
            FakeReply::json(200, json!({"data": [workflow("a")], "nextCursor": "next"}))
        }
    })
    .await;
    let all = client(&server).all_workflows().await.unwrap();
    let ids: Vec<_> = all.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[tokio::test]
async fn deleting_a_workflow_that_is_already_gone_succeeds() {
    let server =
        FakeServer::start(|_, _| FakeReply::json(404, json!({"message": "Not Found"}))).await;
    client(&server).delete_workflow("abc/1").await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.target, "/api/v1/workflows/abc%2F1");
}

#[test]
fn the_base_url_is_normalised_and_shown_without_credentials() {
    let client = N8nClient::new(
        "https://user:pw@n8n.example.com/api/v1/",
        "key",
        Duration::from_secs(1),
        RetryPolicy::default(),
    );
    assert_eq!(client.instance(), "https://n8n.example.com");
    assert_eq!(client.base_url, "https://user:pw@n8n.example.com");
}

#[test]
fn wasm_error_wrappers_are_tidied_into_one_line() {
    assert_eq!(
        tidy("error sending request: JsValue(Error: Network connection lost.\nError: Network connection lost.)"),
        "error sending request: Error: Network connection lost."
    );
    assert_eq!(
        tidy("tcp connect error: Connection refused (os error 111)"),
        "tcp connect error: Connection refused (os error 111)"
    );
}
