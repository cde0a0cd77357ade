//! The app's operator endpoints over HTTP: `/healthz`, `/readyz` (which names the part that is
//! down), `/metrics` (requests by route and status, latency, live connections, "Sync now" runs by
//! outcome, realtime events), and the request id echoed on every reply.

use crate::helpers::app_client::{AppClient, Site};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::spawn_stack;
use serde_json::Value;
use std::time::Duration;

/// The value of the sample `name` (with its labels, as printed) in OpenMetrics `text`.
pub(crate) fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

pub(crate) async fn metrics(client: &AppClient) -> String {
    let reply = client.get("/metrics", None).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let kind = reply.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    reply.text().await.unwrap()
}

#[tokio::test]
async fn the_app_says_it_is_alive_and_ready_and_counts_what_it_serves() {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    let client = AppClient::new(&app);

    let alive = client.get("/healthz", None).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    let ready = client.get("/readyz", None).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    for part in ["database", "postgrest", "edge_function"] {
        assert_eq!(body[part], true, "{part}: {body}");
    }

    // Requests by route and status; each reply carries a request id (the client's, if sent).
    for _ in 0..2 {
        let page = client.get("/sign-in", None).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.headers().contains_key("x-request-id"));
    }
    let traced = client
        .get("/sign-in", None)
        .header("x-request-id", "probe-42")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "probe-42");
    let text = metrics(&client).await;
    let pages = sample(
        &text,
        r#"flowpulse_http_requests_total{route="/sign-in",method="GET",status="200"}"#,
    );
    assert_eq!(pages, Some(3.0), "{text}");
    assert!(
        sample(
            &text,
            r#"flowpulse_http_request_duration_seconds_count{route="/sign-in"}"#
        )
        .is_some_and(|count| count >= 3.0),
        "{text}"
    );

    // A live stream, a change delivered to it, and a "Sync now".
    let cookie = client
        .sign_up("ops@example.com", "correct horse 42 battery")
        .await;
    let mut stream = client.get("/events", Some(&cookie)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let id: uuid::Uuid = stack
        .db
        .query_one(
            "select id from auth.users where email = 'ops@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let owner = crate::helpers::TestUser {
        id,
        email: "ops@example.com".into(),
        token: stack.token_for(id, "ops@example.com", 3600),
    };
    let n8n = FakeN8n::start().await;
    n8n.add_workflow("Orders");
    stack
        .add_provider(&owner, "Ops n8n", &n8n.url, &n8n.api_key)
        .await;
    // The change reaches the stream (the first chunk after the stream opened).
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&chunk).contains("providers"),
        "{chunk:?}"
    );
    let sync = client
        .post_form(
            &format!("{}/api/sync_now", client.url),
            &[],
            Some(&cookie),
            Site::Same,
        )
        .await;
    assert_eq!(sync.status(), 200, "{}", sync.text().await.unwrap());

    let text = metrics(&client).await;
    assert_eq!(
        sample(&text, "flowpulse_live_connections"),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, "flowpulse_realtime_events_total").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"flowpulse_sync_runs_total{outcome="success"}"#),
        Some(1.0),
        "{text}"
    );
    drop(stream);
}

#[tokio::test]
async fn readiness_names_the_edge_function_when_it_cannot_be_reached() {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/functions/v1", closed.local_addr().unwrap());
    drop(closed);
    let app = stack
        .spawn_app_with(&worker, &[("FLOWPULSE_FUNCTIONS_URL", dead)])
        .await;
    let client = AppClient::new(&app);
    assert_eq!(
        client.get("/healthz", None).send().await.unwrap().status(),
        200
    );
    let reply = client.get("/readyz", None).send().await.unwrap();
    assert_eq!(reply.status(), 503);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["edge_function"], false, "{body}");
    assert_eq!(body["database"], true, "{body}");
    assert_eq!(body["ready"], false, "{body}");
}
