use std::time::Duration;

use serde_json::json;

use super::*;
use crate::auth::tests::service_token;
use crate::config::tests::test_config;
use crate::testing::{FakeReply, FakeRequest, FakeServer};

fn assert_send<T: Send>(_: &T) {}

#[test]
fn a_run_can_be_spawned_on_a_multi_threaded_runtime() {
    let config = test_config();
    let run = run_action(
        &config,
        "token",
        SyncRequest::SyncAllWorkflows { provider_id: None },
    );
    assert_send(&run);
    let cleanup = run_action(
        &config,
        "token",
        SyncRequest::CleanupWorkflows { dry_run: None },
    );
    assert_send(&cleanup);
    assert_send(&run_scheduled(&config, CLEANUP_CRON));
    assert_send(&run_queued(&config, &[]));
}

#[test]
fn the_run_is_502_only_when_every_provider_was_unreachable() {
    let result = |name: &str| ProviderResult {
        provider_id: Uuid::nil(),
        provider: name.into(),
        status: SyncStatus::Error,
        workflows_synced: 0,
        executions_synced: 0,
        duration_ms: 1,
        error: Some("n8n at x is unreachable".into()),
    };
    let report = |results: Vec<ProviderResult>, unreachable: Vec<String>| RunReport {
        response: SyncResponse {
            ok: false,
            action: "sync_all_workflows".into(),
            results,
            sync_log_ids: Vec::new(),
            cleanup: None,
            deployment: None,
            retry: None,
        },
        unreachable,
    };
    let all = report(
        vec![result("a"), result("b")],
        vec!["a: down".into(), "b: down".into()],
    );
    let error = all.into_response().unwrap_err();
    assert_eq!(error.status(), 502);
    assert!(error.to_string().contains("a: down") && error.to_string().contains("b: down"));

    let some = report(vec![result("a"), result("b")], vec!["a: down".into()]);
    assert!(!some.into_response().unwrap().ok);

    let none = report(Vec::new(), Vec::new());
    assert!(none.into_response().unwrap().results.is_empty());
}

const PROVIDER: Uuid = Uuid::from_u128(0xA1);
const OWNER: Uuid = Uuid::from_u128(0x0123_4567_89ab_4000_8000_0000_0000_0001);
const PAGE_DELAY: Duration = Duration::from_millis(300);

fn execution(id: u64) -> Value {
    json!({"id": id.to_string(), "finished": true, "mode": "trigger", "status": "success",
           "startedAt": "2026-11-01T10:00:00Z", "stoppedAt": "2026-11-01T10:00:02Z",
           "workflowId": "wf1", "retryOf": null, "retrySuccessId": null, "waitTill": null})
}

/// n8n with one workflow and executions 1..=750 in three pages, each page slow to serve.
async fn fake_n8n() -> FakeServer {
    FakeServer::start(|request, _| {
        let path = request.target.split('?').next().unwrap_or_default();
        match path {
            "/api/v1/workflows" => FakeReply::json(
                200,
                json!({"data": [{
                "id": "wf1", "name": "Orders", "active": true, "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z", "nodes": [], "connections": {}}],
                "nextCursor": null}),
            ),
            "/api/v1/executions" => {
                let top: u64 = match request.target.split("cursor=").nth(1) {
                    Some(cursor) => cursor.split('&').next().unwrap().parse().unwrap(),
                    None => 750,
                };
                let page: Vec<Value> = (top.saturating_sub(249).max(1)..=top)
                    .rev()
                    .map(execution)
                    .collect();
                let next = (top > 250).then(|| (top - 250).to_string());
                FakeReply::json(200, json!({"data": page, "nextCursor": next})).after(PAGE_DELAY)
            }
            _ => FakeReply::json(404, json!({"message": "Not Found"})),
        }
    })
    .await
}

/// PostgREST with one provider; ingests are as slow as n8n's pages.
async fn fake_postgrest(n8n_url: String, config: &WorkerConfig) -> FakeServer {
    let origin = flowpulse_core::base_url::BaseUrl::parse(&n8n_url)
        .unwrap()
        .origin();
    let binding = flowpulse_core::crypto::SecretBinding::provider_api_key(PROVIDER, &origin);
    let ciphertext = config
        .key_ring
        .encrypt("n8n-key", &binding, &mut rand_core::OsRng);
    FakeServer::start(move |request, _| {
        let path = request.target.split('?').next().unwrap_or_default();
        match (request.method.as_str(), path) {
            ("GET", "/api/providers") => FakeReply::json(
                200,
                json!([{
                "id": PROVIDER, "user_id": OWNER, "name": "prod", "base_url": n8n_url,
                "api_key_ciphertext": ciphertext, "status": "unknown", "last_checked_at": null,
                "last_error": null, "exec_watermark": 0, "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z"}]),
            ),
            ("GET", "/api/mvp_workflows") => FakeReply::json(200, json!([])),
            ("POST", "/api/sync_logs") => FakeReply::json(201, json!([{"id": Uuid::from_u128(5)}])),
            ("POST", "/api/rpc/ingest_executions") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                let rows = body["p_rows"].as_array().map_or(0, Vec::len);
                let watermark = body.get("p_new_watermark").cloned().unwrap_or(json!(0));
                FakeReply::json(
                    200,
                    json!({"inserted": rows, "updated": 0, "watermark": watermark}),
                )
                .after(PAGE_DELAY)
            }
            ("POST", "/api/rpc/unfinished_executions") => FakeReply::json(200, json!([])),
            // No failures waiting to be explained.
            ("GET", "/api/executions") => FakeReply::json(200, json!([])),
            // Nothing to judge, and no alert rules.
            ("POST", "/api/rpc/workflow_health_inputs") => FakeReply::json(200, json!([])),
            ("GET", "/api/alert_rules") => FakeReply::json(200, json!([])),
            _ => FakeReply::raw(204, ""),
        }
    })
    .await
}

/// The test config, allowed to reach the fakes on loopback.
fn loopback_config() -> WorkerConfig {
    let mut config = test_config();
    config.outbound = config.outbound.allowing_loopback();
    config
}

fn calls<'a>(requests: &'a [FakeRequest], path: &str) -> Vec<&'a FakeRequest> {
    requests
        .iter()
        .filter(|r| r.target.starts_with(path))
        .collect()
}

#[tokio::test]
async fn pages_are_written_while_the_next_page_is_fetched() {
    let n8n = fake_n8n().await;
    let mut config = loopback_config();
    let postgrest = fake_postgrest(n8n.url.clone(), &config).await;
    config.postgrest_url = format!("{}/api", postgrest.url);

    let response = run_action(
        &config,
        &service_token(),
        SyncRequest::SyncAllWorkflows { provider_id: None },
    )
    .await
    .unwrap();
    let result = &response.results[0];
    assert_eq!(result.status, SyncStatus::Success, "{result:?}");
    assert_eq!(
        (result.workflows_synced, result.executions_synced),
        (1, 750)
    );
    assert_eq!(response.sync_log_ids, [Uuid::from_u128(5)]);

    let n8n_requests = n8n.requests();
    let pages = calls(&n8n_requests, "/api/v1/executions?");
    let store_requests = postgrest.requests();
    let ingests = calls(&store_requests, "/api/rpc/ingest_executions");
    assert_eq!(
        (pages.len(), ingests.len()),
        (3, 4),
        "3 pages + the final watermark call"
    );
    // Page 2 was requested while page 1's ingest (which takes PAGE_DELAY) was in flight.
    let overlap = pages[1].received_at.duration_since(ingests[0].received_at);
    assert!(
        overlap < PAGE_DELAY / 2,
        "page 2 came {overlap:?} after ingest 1 started"
    );
    let last: Value = serde_json::from_slice(&ingests[3].body).unwrap();
    assert_eq!(last["p_new_watermark"], 750);
    assert_eq!(last["p_rows"], json!([]));
}

#[tokio::test]
async fn an_unreachable_n8n_ends_the_provider_in_error_and_the_run_in_502() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut config = loopback_config();
    config.retry.max_attempts = 1;
    let postgrest = fake_postgrest(dead_url.clone(), &config).await;
    config.postgrest_url = format!("{}/api", postgrest.url);

    let error = run_action(
        &config,
        &service_token(),
        SyncRequest::SyncAllWorkflows { provider_id: None },
    )
    .await
    .unwrap_err();
    assert_eq!(error.status(), 502);
    assert!(error.to_string().contains(&dead_url), "{error}");
    let store_requests = postgrest.requests();
    let finish = calls(&store_requests, "/api/sync_logs?id=eq.");
    let body: Value = serde_json::from_slice(&finish[0].body).unwrap();
    assert_eq!(body["status"], "error");
    let status = calls(&store_requests, "/api/providers?id=eq.");
    let body: Value = serde_json::from_slice(&status[0].body).unwrap();
    assert_eq!(body["status"], "error");
}
