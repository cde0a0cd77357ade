use serde_json::json;

use super::*;
use crate::testing::{FakeReply, FakeServer};

fn store(server: &FakeServer) -> Store {
    Store::new(
        &format!("{}/api/", server.url),
        "anon-key",
        "user.jwt.token",
    )
    .unwrap()
}

#[tokio::test]
async fn every_request_forwards_the_callers_jwt_and_the_api_key() {
    let server = FakeServer::start(|_, _| FakeReply::json(200, json!([]))).await;
    store(&server).providers(None).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer user.jwt.token")
    );
    assert_eq!(request.header("apikey"), Some("anon-key"));
    assert!(
        request.target.starts_with("/api/providers?select="),
        "{}",
        request.target
    );
}

#[tokio::test]
async fn a_postgrest_error_body_becomes_a_typed_error() {
    let server = FakeServer::start(|_, _| {
        FakeReply::json(
            400,
            json!({"code": "P0002", "message": "provider x not found", "details": null,
                   "hint": "It does not exist or belongs to another user."}),
        )
    })
    .await;
    let error = store(&server)
        .ingest_executions(Uuid::nil(), &[], None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("P0002"));
    match &error {
        StoreError::Api { status, hint, .. } => {
            assert_eq!(*status, 400);
            assert!(hint.as_deref().unwrap().contains("another user"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_upsert_merges_duplicates_on_the_natural_key_without_echoing_rows() {
    let server = FakeServer::start(|_, _| FakeReply::raw(201, "")).await;
    let row = WorkflowUpsert {
        user_id: Uuid::nil(),
        provider_id: Uuid::nil(),
        n8n_workflow_id: "wf1".into(),
        name: "A".into(),
        active: true,
        archived: false,
        tags: vec![],
        node_types: vec![],
        required_credential_types: vec![],
        definition: json!({}),
        n8n_updated_at: Utc::now(),
        last_sync_at: Utc::now(),
        deleted_at: None,
    };
    store(&server).upsert_workflows(&[row]).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert!(
        request
            .target
            .contains("on_conflict=provider_id%2Cn8n_workflow_id"),
        "{}",
        request.target
    );
    assert_eq!(
        request.header("prefer"),
        Some("resolution=merge-duplicates,return=minimal")
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body[0]["n8n_workflow_id"], "wf1");
    assert!(
        body[0]["deleted_at"].is_null() && body[0].get("deleted_at").is_some(),
        "a listed workflow clears any deletion mark: {body}"
    );
}

#[tokio::test]
async fn rpc_results_are_read_plain_or_wrapped() {
    let server = FakeServer::start(|request, _| {
        if request.target.contains("unfinished") {
            FakeReply::json(
                200,
                json!([{"unfinished_executions": 3}, {"unfinished_executions": 9}]),
            )
        } else if !String::from_utf8_lossy(&request.body).contains("p_new_watermark") {
            FakeReply::json(
                200,
                json!({"inserted": 2, "updated": 0, "workflows_changed": 1, "watermark": 5}),
            )
        } else {
            FakeReply::json(
                200,
                json!([{"ingest_executions": {"inserted": 1, "watermark": 9}}]),
            )
        }
    })
    .await;
    let store = store(&server);
    let ids = store.unfinished_executions(Uuid::nil()).await.unwrap();
    assert_eq!(ids, [ExecutionId(3), ExecutionId(9)]);
    let plain = store
        .ingest_executions(Uuid::nil(), &[], None)
        .await
        .unwrap();
    assert_eq!((plain.inserted, plain.watermark), (2, 5));
    let wrapped = store
        .ingest_executions(Uuid::nil(), &[], Some(9))
        .await
        .unwrap();
    assert_eq!((wrapped.inserted, wrapped.watermark), (1, 9));
    let body: Value = serde_json::from_slice(&server.requests()[2].body).unwrap();
    assert_eq!(body["p_new_watermark"], 9);
}

#[tokio::test]
async fn opening_a_sync_log_returns_the_new_rows_id() {
    let id = Uuid::from_u128(42);
    let server = FakeServer::start(move |_, _| FakeReply::json(201, json!([{"id": id}]))).await;
    let row = SyncLogInsert::running(
        Uuid::nil(),
        Some(Uuid::nil()),
        flowpulse_core::rows::SyncType::Manual,
        Utc::now(),
    );
    assert_eq!(store(&server).open_sync_log(&row).await.unwrap(), id);
    let request = &server.requests()[0];
    assert!(
        request.target.starts_with("/api/sync_logs?select=id"),
        "{}",
        request.target
    );
}

#[test]
fn a_token_that_cannot_be_a_header_is_refused_up_front() {
    assert!(matches!(
        Store::new("http://x/api", "key", "bad\ntoken"),
        Err(StoreError::InvalidHeader(_))
    ));
}
