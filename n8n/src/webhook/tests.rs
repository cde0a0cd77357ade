use flowpulse_core::outbound::OutboundPolicy;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn sender(policy: OutboundPolicy) -> WebhookSender {
    WebhookSender::new(Transport::new(policy), Duration::from_secs(2))
}

fn loopback() -> OutboundPolicy {
    OutboundPolicy::public_only().allowing_loopback()
}

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/T000/secret-token"))
        .respond_with(ResponseTemplate::new(status).set_body_string("ok"))
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn a_delivered_post_carries_the_json_body_and_no_n8n_key() {
    let server = receiver(200).await;
    let url = format!("{}/hooks/T000/secret-token?thread=7", server.uri());
    let body = json!({"text": "Failed: Order sync"});
    let status = sender(loopback()).post_json(&url, &body).await.unwrap();
    assert_eq!(status, 200);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.query(), Some("thread=7"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        body
    );
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(request.headers.get("x-n8n-api-key").is_none());
    assert!(request.headers.get("authorization").is_none());
}

#[tokio::test]
async fn an_authorized_post_carries_its_bearer_token_and_is_not_redirected_with_it() {
    let server = receiver(202).await;
    let url = format!("{}/hooks/T000/secret-token", server.uri());
    let status = sender(loopback())
        .post_json_authorized(
            &url,
            &json!({"to": "ops@example.com"}),
            "relay-token",
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    assert_eq!(status, 202);
    let requests = received(&server).await;
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer relay-token"
    );

    let moved = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/hooks/T000/secret-token", server.uri()),
        ))
        .mount(&moved)
        .await;
    let status = sender(loopback())
        .post_json_authorized(
            &moved.uri(),
            &json!({}),
            "relay-token",
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    assert_eq!(status, 307);
    assert_eq!(
        received(&server).await.len(),
        1,
        "the token did not follow the redirect"
    );
}

#[tokio::test]
async fn a_server_error_is_returned_as_its_status() {
    let server = receiver(500).await;
    let url = format!("{}/hooks/T000/secret-token", server.uri());
    let status = sender(loopback())
        .post_json(&url, &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 500);
}

#[tokio::test]
async fn a_redirect_is_returned_as_itself_and_never_followed() {
    let elsewhere = receiver(200).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/hooks/T000/secret-token", elsewhere.uri()),
        ))
        .mount(&server)
        .await;
    let url = format!("{}/hooks/T000/secret-token", server.uri());
    let status = sender(loopback())
        .post_json(&url, &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 307);
    assert!(
        received(&elsewhere).await.is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn a_loopback_receiver_is_refused_unless_the_policy_allows_it() {
    let server = receiver(200).await;
    let url = format!("{}/hooks/T000/secret-token", server.uri());
    let error = sender(OutboundPolicy::public_only())
        .post_json(&url, &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(error, WebhookError::Refused(_)), "{error:?}");
    assert!(
        received(&server).await.is_empty(),
        "the receiver was contacted"
    );
    let shown = error.to_string();
    assert!(
        !shown.contains("127.0.0.1") && !shown.contains("secret"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_cloud_metadata_address_is_refused_even_with_every_allowance() {
    let policy = OutboundPolicy::public_only()
        .allowing_loopback()
        .allowing_private();
    let error = sender(policy)
        .post_json("http://169.254.169.254/latest/meta-data/", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            WebhookError::Refused(Refusal::Address {
                class: AddressClass::Metadata,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn only_absolute_http_urls_without_user_info_are_usable() {
    for bad in [
        "ftp://example.com/hook",
        "/relative/hook",
        "https://user:pass@example.com/hook",
        "https://example.com/\nhook",
        "not a url",
    ] {
        assert_eq!(checked_url(bad), Err(WebhookError::InvalidUrl), "{bad}");
    }
    assert!(checked_url(" https://hooks.slack.com/services/T/B/x ").is_ok());
}

#[tokio::test]
async fn a_closed_port_is_unreachable_in_words_without_the_address() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/secret-token", closed.local_addr().unwrap());
    drop(closed);
    let error = sender(loopback())
        .post_json(&url, &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(error, WebhookError::Unreachable(_)), "{error:?}");
    let shown = error.to_string();
    assert!(
        !shown.contains("127.0.0.1") && !shown.contains("secret") && !shown.contains("n8n"),
        "{shown}"
    );
}

#[test]
fn only_a_2xx_is_a_delivery_and_a_redirect_is_named_as_one() {
    assert_eq!(undelivered_because(204), None);
    assert!(undelivered_because(302)
        .unwrap()
        .contains("does not follow redirects"));
    assert_eq!(
        undelivered_because(500).as_deref(),
        Some("the receiver answered HTTP 500")
    );
}
