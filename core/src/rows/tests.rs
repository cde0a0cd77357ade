//! Tests of the PostgREST row types, kept apart to keep `rows.rs` about the types.

use super::*;
use crate::n8n::ExecutionId;
use chrono::TimeZone;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 2, 10, 0, second).unwrap()
}

fn workflow() -> Workflow {
    serde_json::from_value(json!({
        "id": "wf1",
        "name": "Lead intake",
        "active": true,
        "isArchived": false,
        "createdAt": "2026-10-01T09:00:00Z",
        "updatedAt": "2026-10-02T10:00:00Z",
        "nodes": [
            {"name": "Slack", "type": "n8n-nodes-base.slack", "typeVersion": 2,
             "parameters": {"channel": "#leads"}, "position": [200, 0],
             "credentials": {"slackApi": {"id": "cred9", "name": "Team Slack"}}},
            {"id": "n1", "name": "Webhook", "type": "n8n-nodes-base.webhook", "parameters": {}},
            {"name": "Slack 2", "type": "n8n-nodes-base.slack", "parameters": {},
             "credentials": {"slackApi": {"id": "cred9", "name": "Team Slack"},
                             "httpHeaderAuth": {"id": "cred2", "name": "Header"}}}
        ],
        "connections": {"Webhook": {"main": [[{"node": "Slack", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1"},
        "tags": [{"name": "sales"}, {"name": "crm"}, {"name": "sales"}]
    }))
    .unwrap()
}

#[test]
fn a_workflow_upsert_lists_sorted_unique_types_and_tags() {
    let (user, provider) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let row = WorkflowUpsert::from_n8n(user, provider, &workflow(), at(30));
    assert_eq!(row.n8n_workflow_id, "wf1");
    assert_eq!(row.tags, ["crm", "sales"]);
    assert_eq!(
        row.node_types,
        ["n8n-nodes-base.slack", "n8n-nodes-base.webhook"]
    );
    assert_eq!(
        row.required_credential_types,
        ["httpHeaderAuth", "slackApi"]
    );
    assert_eq!(row.n8n_updated_at, at(0));
    assert_eq!(row.last_sync_at, at(30));
    assert!(row.active && !row.archived);
}

#[test]
fn the_stored_definition_keeps_credential_names_but_never_their_ids() {
    let row = WorkflowUpsert::from_n8n(Uuid::nil(), Uuid::nil(), &workflow(), at(0));
    let text = row.definition.to_string();
    assert!(!text.contains("cred9") && !text.contains("cred2"), "{text}");
    let slack = &row.definition["nodes"][0];
    assert_eq!(
        slack["credentials"],
        json!({"slackApi": {"name": "Team Slack"}})
    );
    assert_eq!(slack["position"], json!([200, 0]));
    assert_eq!(slack["typeVersion"], json!(2));
    assert_eq!(row.definition["nodes"][1]["id"], "n1");
    assert_eq!(row.definition["settings"]["executionOrder"], "v1");
    assert_eq!(
        row.definition["connections"]["Webhook"]["main"][0][0]["node"],
        "Slack"
    );
}

fn execution(started: Option<u32>, stopped: Option<u32>) -> Execution {
    Execution {
        id: ExecutionId(41),
        finished: true,
        mode: "retry".into(),
        retry_of: Some(ExecutionId(40)),
        retry_success_id: None,
        status: ExecutionStatus::Error,
        started_at: started.map(at),
        stopped_at: stopped.map(at),
        workflow_id: "wf1".into(),
        wait_till: None,
        data: Some(json!({"resultData": {"error": {"message": "timeout"}}})),
    }
}

#[test]
fn an_ingest_row_carries_ids_duration_and_error() {
    let row = ExecutionIngestRow::from_n8n(&execution(Some(1), Some(4)));
    assert_eq!(row.n8n_execution_id, 41);
    assert_eq!(row.retry_of, Some(40));
    assert_eq!(row.duration_ms, Some(3000));
    assert_eq!(row.error_message.as_deref(), Some("timeout"));
    let wire = serde_json::to_value(&row).unwrap();
    assert_eq!(wire["status"], "error");
    assert_eq!(wire["n8n_workflow_id"], "wf1");
}

#[test]
fn a_duration_needs_both_ends_and_is_never_negative() {
    assert_eq!(
        ExecutionIngestRow::from_n8n(&execution(Some(1), None)).duration_ms,
        None
    );
    assert_eq!(
        ExecutionIngestRow::from_n8n(&execution(None, Some(1))).duration_ms,
        None
    );
    assert_eq!(
        ExecutionIngestRow::from_n8n(&execution(Some(5), Some(2))).duration_ms,
        Some(0)
    );
}

#[test]
fn enums_use_lowercase_wire_names() {
    assert_eq!(json!(ProviderStatus::Warning), "warning");
    assert_eq!(json!(SyncType::Scheduled), "scheduled");
    assert_eq!(json!(SyncStatus::Partial), "partial");
}

#[test]
fn a_sync_log_opens_running_and_closes_with_its_duration() {
    let open = SyncLogInsert::running(Uuid::nil(), None, SyncType::Manual, at(0));
    assert_eq!(open.status, SyncStatus::Running);
    let wire = serde_json::to_value(&open).unwrap();
    assert_eq!(wire["provider_id"], Value::Null);
    let close = SyncLogFinish::new(SyncStatus::Success, at(0), at(2), 3, 40, None);
    assert_eq!(close.duration_ms, 2000);
}

#[test]
fn a_workflow_row_from_postgrest_reads_null_arrays_as_empty() {
    let row: WorkflowRow = serde_json::from_value(json!({
        "id": Uuid::from_u128(1), "user_id": Uuid::from_u128(2), "provider_id": Uuid::from_u128(3),
        "n8n_workflow_id": "wf1", "name": "Lead intake", "active": true, "archived": false,
        "tags": null, "node_types": ["n8n-nodes-base.webhook"], "required_credential_types": [],
        "definition": null, "n8n_updated_at": "2026-10-02T10:00:00+00:00",
        "execution_count": 5, "successful_executions": 4, "failed_executions": 1,
        "last_execution_at": "2026-10-02T10:00:01.5+00:00", "last_execution_status": "success",
        "last_sync_at": null, "deleted_at": null,
        "created_at": "2026-10-01T09:00:00+00:00", "updated_at": "2026-10-02T10:00:00+00:00"
    }))
    .unwrap();
    assert!(row.tags.is_empty());
    assert_eq!(row.definition, None);
    assert_eq!(row.last_execution_status, Some(ExecutionStatus::Success));
    assert_eq!(row.execution_count, 5);
}

#[test]
fn execution_and_sync_log_rows_read_the_columns_postgrest_returns() {
    let execution: ExecutionRow = serde_json::from_value(json!({
        "id": 17, "user_id": Uuid::from_u128(2), "provider_id": Uuid::from_u128(3),
        "workflow_id": null, "n8n_workflow_id": "wf1", "n8n_execution_id": 41,
        "status": "running", "mode": "webhook", "started_at": "2026-10-02T10:00:00+00:00",
        "stopped_at": null, "duration_ms": null, "retry_of": null, "error_message": null,
        "created_at": "2026-10-02T10:00:00+00:00", "updated_at": "2026-10-02T10:00:00+00:00"
    }))
    .unwrap();
    assert_eq!(execution.status, ExecutionStatus::Running);
    assert_eq!(execution.workflow_id, None);
    let log: SyncLogRow = serde_json::from_value(json!({
        "id": Uuid::from_u128(9), "user_id": Uuid::from_u128(2), "provider_id": null,
        "sync_type": "cleanup", "status": "partial", "started_at": "2026-10-02T10:00:00+00:00",
        "finished_at": null, "duration_ms": null, "workflows_synced": 0, "executions_synced": 0,
        "error_message": null, "details": {},
        "created_at": "2026-10-02T10:00:00+00:00", "updated_at": "2026-10-02T10:00:00+00:00"
    }))
    .unwrap();
    assert_eq!(log.sync_type, SyncType::Cleanup);
    assert_eq!(log.status, SyncStatus::Partial);
}
