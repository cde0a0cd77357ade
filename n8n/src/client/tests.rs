use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowpulse_core::n8n::ExecutionId;
use flowpulse_core::outbound::{AddressClass, OutboundPolicy, Refusal};
use futures::future::BoxFuture;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::error::ConnectFailure as ConnectFailureKind;
use crate::transport::Lookup;

const KEY: &str = "secret-api-key";

fn settings() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(3),
        },
        max_reply_bytes: 64 * 1024,
    }
}

fn loopback() -> OutboundPolicy {
    OutboundPolicy::public_only().allowing_loopback()
}

fn client_with(url: &str, policy: OutboundPolicy, settings: ClientSettings) -> N8nClient {
    N8nClient::new(
        BaseUrl::parse(url).unwrap(),
        KEY,
        Transport::new(policy),
        settings,
    )
}

fn client(server: &MockServer) -> N8nClient {
    client_with(&format!("{}/", server.uri()), loopback(), settings())
}

fn execution(id: u64) -> serde_json::Value {
    json!({
        "id": id.to_string(), "finished": true, "mode": "webhook", "status": "success",
        "startedAt": "2026-11-01T10:00:00.000Z", "stoppedAt": "2026-11-01T10:00:01.500Z",
        "workflowId": "wf1", "retryOf": null, "retrySuccessId": null, "waitTill": null
    })
}

fn workflow(id: &str) -> serde_json::Value {
    json!({"id": id, "name": id, "active": false, "createdAt": "2026-11-01T10:00:00Z",
           "updatedAt": "2026-11-01T10:00:00Z", "nodes": [], "connections": {}})
}

fn empty_page() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": [], "nextCursor": null}))
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_later_success_returned() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/executions"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "boom"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/executions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [execution(7)], "nextCursor": null})),
        )
        .mount(&server)
        .await;
    let page = client(&server)
        .list_executions(&ExecutionQuery::default())
        .await
        .unwrap();
    assert_eq!(page.data[0].id, ExecutionId(7));
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn every_request_carries_the_api_key_and_the_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/executions"))
        .and(query_param("limit", "250"))
        .and(query_param("cursor", "abc="))
        .and(query_param("workflowId", "wf 1"))
        .and(query_param("status", "error"))
        .and(query_param("includeData", "true"))
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    let query = ExecutionQuery {
        cursor: Some("abc=".into()),
        workflow_id: Some("wf 1".into()),
        status: Some("error".into()),
        include_data: true,
        limit: None,
    };
    client(&server).list_executions(&query).await.unwrap();
    let request = &requests(&server).await[0];
    assert_eq!(
        request
            .headers
            .get("x-n8n-api-key")
            .unwrap()
            .to_str()
            .unwrap(),
        KEY
    );
}

#[tokio::test]
async fn a_429_waits_at_least_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server)
        .list_workflows(None)
        .await
        .expect("succeeds after waiting");
    assert_eq!(requests(&server).await.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_401_is_unauthorized_at_once_and_says_to_check_the_key() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthorized"})))
        .mount(&server)
        .await;
    let error = client(&server).list_workflows(None).await.unwrap_err();
    assert!(
        matches!(error, N8nError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(
        requests(&server).await.len(),
        1,
        "a bad key is never retried"
    );
    let message = error.to_string();
    assert!(message.contains(&server.uri()), "{message}");
    assert!(message.contains("API key"), "{message}");
    assert!(!message.contains(KEY), "{message}");
}

#[tokio::test]
async fn a_404_is_not_found_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/executions/42"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .get_execution(ExecutionId(42), false)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(error.to_string().contains("execution 42"), "{error}");
}

#[tokio::test]
async fn a_reply_that_is_not_the_expected_json_is_malformed_and_not_reflected() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("<html>Welcome to Evil Corp</html>"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::Malformed { .. }), "{error:?}");
    assert!(!error.to_string().contains("Evil Corp"), "{error}");
    // Valid JSON of the wrong shape (no `data`) must not pass for an empty listing.
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::Malformed { .. }), "{error:?}");
    assert_eq!(
        requests(&server).await.len(),
        2,
        "malformed replies are not retried"
    );
}

#[tokio::test]
async fn a_refused_request_keeps_n8ns_message_out_of_the_display() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"message": "request/body must NOT have additional properties"}),
            ),
        )
        .mount(&server)
        .await;
    let definition = WorkflowDefinition {
        name: "x".into(),
        nodes: json!([]),
        connections: json!({}),
        settings: json!({}),
    };
    let error = client(&server)
        .create_workflow(&definition)
        .await
        .unwrap_err();
    assert!(
        matches!(error, N8nError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("additional"), "{error}");
    assert!(error
        .server_message()
        .unwrap()
        .contains("additional properties"));
}

#[tokio::test]
async fn a_post_is_not_repeated_after_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let error = client(&server)
        .retry_execution(ExecutionId(5), true)
        .await
        .unwrap_err();
    assert!(
        matches!(error, N8nError::Server { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(
        requests(&server).await.len(),
        1,
        "it could have created twice"
    );
    let body: serde_json::Value = requests(&server).await[0].body_json().unwrap();
    assert_eq!(body, json!({"loadWorkflow": true}));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_budget() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(empty_page().set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let mut quick = settings();
    quick.timeout = Duration::from_millis(200);
    let client = client_with(&server.uri(), loopback(), quick)
        .with_deadline(Deadline::after(Duration::from_millis(900)));
    let started = Instant::now();
    let error = client.list_workflows(None).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, N8nError::Timeout { .. }), "{error:?}");
    assert!(error.is_unreachable());
    assert!(took < Duration::from_millis(1_500), "took {took:?}");
    assert!(requests(&server).await.len() >= 2, "timeouts are retried");
}

#[tokio::test]
async fn retries_stop_when_the_budget_cannot_cover_the_wait() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3"))
        .mount(&server)
        .await;
    let client = client(&server).with_deadline(Deadline::after(Duration::from_secs(1)));
    let started = Instant::now();
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(
        matches!(error, N8nError::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_names_the_instance() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = client_with(&url, loopback(), settings())
        .list_workflows(None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            N8nError::Unreachable {
                detail: ConnectFailureKind::Refused,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn all_workflows_follows_the_cursor_to_the_last_page() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .and(query_param("cursor", "next"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [workflow("b")], "nextCursor": null})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [workflow("a")], "nextCursor": "next"})),
        )
        .mount(&server)
        .await;
    let all = client(&server).all_workflows().await.unwrap();
    let ids: Vec<_> = all.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[tokio::test]
async fn an_empty_page_with_a_cursor_ends_the_listing() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/tags"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "nextCursor": "again"})),
        )
        .mount(&server)
        .await;
    assert!(client(&server).all_tags().await.unwrap().is_empty());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_workflow_that_is_already_gone_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/workflows/abc%2F1"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).delete_workflow("abc/1").await.unwrap();
}

#[tokio::test]
async fn a_redirect_is_never_followed_and_the_key_never_reaches_its_target() {
    let elsewhere = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(empty_page())
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/api/v1/workflows", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let error = client(&server).list_workflows(None).await.unwrap_err();
    assert!(
        matches!(error, N8nError::Redirected { status: 307, .. }),
        "{error:?}"
    );
    assert!(
        requests(&elsewhere).await.is_empty(),
        "the redirect target was contacted"
    );
}

#[tokio::test]
async fn a_reply_over_the_cap_is_refused_naming_the_instance() {
    let server = MockServer::start().await;
    let huge = "x".repeat(200 * 1024);
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .mount(&server)
        .await;
    let error = client(&server).list_workflows(None).await.unwrap_err();
    assert!(
        matches!(
            error,
            N8nError::TooLarge {
                limit_bytes: 65536,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(&server.uri()), "{error}");
}

#[tokio::test]
async fn a_destination_the_policy_refuses_is_never_contacted() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    let port = server.address().port();
    let public_only = client_with(&server.uri(), OutboundPolicy::public_only(), settings());
    let error = public_only.list_workflows(None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            N8nError::Refused {
                reason: Refusal::Address {
                    class: AddressClass::Loopback,
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
    let denied = client_with(&server.uri(), loopback().denying_ports([port]), settings());
    let error = denied.list_workflows(None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            N8nError::Refused {
                reason: Refusal::Port { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        requests(&server).await.is_empty(),
        "a refused destination was contacted"
    );
}

/// Plays DNS: every name resolves to the given addresses.
struct FixedLookup(Vec<IpAddr>);

impl Lookup for FixedLookup {
    fn lookup(&self, _host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        let addresses = self.0.clone();
        Box::pin(async move { Ok(addresses) })
    }
}

fn named_client(port: u16, policy: OutboundPolicy, addresses: &[&str]) -> N8nClient {
    let lookup = Arc::new(FixedLookup(
        addresses.iter().map(|a| a.parse().unwrap()).collect(),
    ));
    N8nClient::new(
        BaseUrl::parse(&format!("http://n8n.rebind.test:{port}")).unwrap(),
        KEY,
        Transport::with_lookup(policy, lookup),
        settings(),
    )
}

#[tokio::test]
async fn a_name_is_judged_by_the_addresses_it_resolves_to_and_only_those_are_dialled() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(empty_page())
        .mount(&server)
        .await;
    let port = server.address().port();

    // A public-looking name that resolves to this machine: refused before connecting.
    let error = named_client(port, OutboundPolicy::public_only(), &["127.0.0.1"])
        .list_workflows(None)
        .await
        .unwrap_err();
    assert!(matches!(error, N8nError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("n8n.rebind.test"), "{error}");
    assert!(requests(&server).await.is_empty());

    // Of several addresses, the refused one (0.0.0.0 reaches this host on Linux) is dropped
    // and the allowed one is the one dialled.
    named_client(port, loopback(), &["0.0.0.0", "127.0.0.1"])
        .list_workflows(None)
        .await
        .expect("connects to the allowed address");
    assert_eq!(requests(&server).await.len(), 1);

    let error = named_client(port, loopback(), &["0.0.0.0"])
        .list_workflows(None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            N8nError::Refused {
                reason: Refusal::Address {
                    class: AddressClass::Unspecified,
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_key_that_is_not_a_header_value_is_refused_before_sending() {
    let server = MockServer::start().await;
    let client = N8nClient::new(
        BaseUrl::parse(&server.uri()).unwrap(),
        "bad\nkey",
        Transport::new(loopback()),
        settings(),
    );
    let error = client.list_workflows(None).await.unwrap_err();
    assert!(matches!(error, N8nError::InvalidApiKey { .. }), "{error:?}");
    assert!(requests(&server).await.is_empty());
}
