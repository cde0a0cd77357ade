//! Tests of the n8n reply types against fixtures shaped like real n8n 2.x replies.

use super::*;

const WORKFLOW_PAGE: &str = r#"{
  "data": [{
    "id": "OVO5xzEnnLFOmHt6",
    "name": "[USR-1a2b3c4d] Lead intake",
    "active": true,
    "isArchived": false,
    "versionId": "0f6c5c8e-6a43-4c56-9d0e-5a3c7a1c9b11",
    "triggerCount": 1,
    "createdAt": "2026-10-01T09:00:00.000Z",
    "updatedAt": "2026-10-02T10:30:00.123Z",
    "nodes": [{
      "parameters": {"path": "lead", "httpMethod": "POST"},
      "id": "5d7a2e8e-0000-4000-8000-000000000001",
      "name": "Webhook",
      "type": "n8n-nodes-base.webhook",
      "typeVersion": 2.1,
      "position": [0, 0],
      "webhookId": "abc-123"
    }, {
      "parameters": {},
      "name": "Slack",
      "type": "n8n-nodes-base.slack",
      "typeVersion": 2,
      "position": [220, 0],
      "disabled": true,
      "credentials": {"slackApi": {"id": "cred9", "name": "Team Slack"}}
    }],
    "connections": {"Webhook": {"main": [[{"node": "Slack", "type": "main", "index": 0}]]}},
    "settings": {"executionOrder": "v1"},
    "staticData": null,
    "meta": null,
    "pinData": {},
    "tags": [{"id": "t1", "name": "sales", "createdAt": "2026-10-01T09:00:00.000Z"}],
    "shared": []
  }],
  "nextCursor": null
}"#;

const EXECUTION_PAGE: &str = r#"{
  "data": [{
    "id": "1042",
    "finished": true,
    "mode": "webhook",
    "retryOf": null,
    "retrySuccessId": null,
    "status": "success",
    "createdAt": "2026-10-02T10:31:00.000Z",
    "startedAt": "2026-10-02T10:31:00.010Z",
    "stoppedAt": "2026-10-02T10:31:01.250Z",
    "deletedAt": null,
    "workflowId": "OVO5xzEnnLFOmHt6",
    "waitTill": null,
    "customData": {}
  }, {
    "id": "1041",
    "finished": false,
    "mode": "retry",
    "retryOf": "1040",
    "retrySuccessId": null,
    "status": "somethingNew",
    "startedAt": "2026-10-02T10:30:00.000Z",
    "stoppedAt": null,
    "workflowId": "OVO5xzEnnLFOmHt6",
    "waitTill": "2026-10-03T00:00:00.000Z"
  }],
  "nextCursor": "eyJsYXN0SWQiOiIxMDQxIiwibGltaXQiOjJ9"
}"#;

#[test]
fn a_workflow_listing_deserializes_with_unknown_fields_ignored() {
    let page: Page<Workflow> = serde_json::from_str(WORKFLOW_PAGE).unwrap();
    assert_eq!(page.next_cursor, None);
    let workflow = &page.data[0];
    assert_eq!(workflow.id, "OVO5xzEnnLFOmHt6");
    assert!(workflow.active && !workflow.is_archived);
    assert_eq!(workflow.nodes[0].node_type, "n8n-nodes-base.webhook");
    assert_eq!(workflow.nodes[1].id, None);
    let slack = &workflow.nodes[1].credentials.as_ref().unwrap()["slackApi"];
    assert_eq!(slack.id.as_deref(), Some("cred9"));
    assert_eq!(slack.name, "Team Slack");
    assert_eq!(workflow.tags[0].name, "sales");
    assert_eq!(workflow.settings["executionOrder"], "v1");
}

#[test]
fn a_node_round_trips_including_fields_it_does_not_model() {
    let original: Value = serde_json::from_str(WORKFLOW_PAGE).unwrap();
    for raw_node in original["data"][0]["nodes"].as_array().unwrap() {
        let node: Node = serde_json::from_value(raw_node.clone()).unwrap();
        assert_eq!(serde_json::to_value(&node).unwrap(), *raw_node);
    }
}

#[test]
fn an_execution_listing_accepts_string_ids_nulls_and_unknown_statuses() {
    let page: Page<Execution> = serde_json::from_str(EXECUTION_PAGE).unwrap();
    assert!(page.next_cursor.is_some());
    let done = &page.data[0];
    assert_eq!(done.id, ExecutionId(1042));
    assert_eq!(done.status, ExecutionStatus::Success);
    assert_eq!(done.retry_of, None);
    assert!(done.stopped_at.is_some());
    let odd = &page.data[1];
    assert_eq!(odd.status, ExecutionStatus::Unknown);
    assert_eq!(odd.retry_of, Some(ExecutionId(1040)));
    assert_eq!(odd.stopped_at, None);
    assert!(odd.wait_till.is_some());
}

#[test]
fn a_page_without_a_next_cursor_field_is_the_last_page() {
    let page: Page<Execution> = serde_json::from_str(r#"{"data": []}"#).unwrap();
    assert_eq!(page.next_cursor, None);
    assert!(page.data.is_empty());
}

#[test]
fn a_reply_without_data_is_rejected_rather_than_read_as_empty() {
    let reply = r#"{"message": "Unauthorized"}"#;
    assert!(serde_json::from_str::<Page<Execution>>(reply).is_err());
    let error: ApiErrorBody = serde_json::from_str(reply).unwrap();
    assert_eq!(error.message, "Unauthorized");
}

#[test]
fn execution_ids_accept_numbers_and_serialize_as_numbers() {
    let from_number: ExecutionId = serde_json::from_str("77").unwrap();
    let from_string: ExecutionId = serde_json::from_str("\"77\"").unwrap();
    assert_eq!(from_number, from_string);
    assert_eq!(serde_json::to_string(&from_string).unwrap(), "77");
    assert_eq!(from_number.to_string(), "77");
    assert!(serde_json::from_str::<ExecutionId>("-1").is_err());
    assert!(serde_json::from_str::<ExecutionId>("\"abc\"").is_err());
    assert!(ExecutionId(9) < ExecutionId(10));
}

#[test]
fn execution_statuses_round_trip_and_never_fail() {
    for status in ExecutionStatus::ALL {
        let wire = serde_json::to_string(&status).unwrap();
        assert_eq!(wire, format!("\"{}\"", status.as_str()));
        assert_eq!(
            serde_json::from_str::<ExecutionStatus>(&wire).unwrap(),
            status
        );
    }
    for odd in ["\"Success\"", "null", "3", "\"\""] {
        assert_eq!(
            serde_json::from_str::<ExecutionStatus>(odd).unwrap(),
            ExecutionStatus::Unknown
        );
    }
}

#[test]
fn only_success_error_crashed_and_canceled_are_final() {
    let finals: Vec<_> = ExecutionStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();
    assert_eq!(
        finals,
        [
            ExecutionStatus::Canceled,
            ExecutionStatus::Crashed,
            ExecutionStatus::Error,
            ExecutionStatus::Success
        ]
    );
}

#[test]
fn the_error_message_comes_from_included_run_data() {
    let mut execution: Execution = serde_json::from_str(
        r#"{"id": "5", "mode": "trigger", "status": "error", "workflowId": "w",
            "startedAt": null, "stoppedAt": null,
            "data": {"resultData": {"error": {"message": "Bad gateway", "name": "NodeApiError"}}}}"#,
    )
    .unwrap();
    assert_eq!(execution.error_message(), Some("Bad gateway"));
    execution.data = None;
    assert_eq!(execution.error_message(), None);
}
