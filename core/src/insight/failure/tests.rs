use serde_json::json;

use super::*;

fn execution(data: Value) -> Execution {
    serde_json::from_value(json!({
        "id": "812",
        "finished": false,
        "mode": "trigger",
        "status": "error",
        "startedAt": "2026-12-01T09:00:00.000Z",
        "stoppedAt": "2026-12-01T09:00:02.000Z",
        "workflowId": "OVO5xzEnnLFOmHt6",
        "data": data,
    }))
    .unwrap()
}

fn nodes(value: Value) -> Vec<Node> {
    serde_json::from_value(value).unwrap()
}

/// A Code node's failure as n8n 2.x records it after the task runner reports it: the message
/// carries the line, the description the JavaScript error type, the stack server paths.
#[test]
fn a_code_node_reference_error_gives_its_message_type_and_node_but_no_stack() {
    let data = json!({
        "startData": {},
        "resultData": {
            "runData": {"Schedule Trigger": [{"data": {"main": [[{"json": {"customer": "ann@example.com"}}]]}}]},
            "lastNodeExecuted": "Transform",
            "error": {
                "message": "foo is not defined [line 2]",
                "description": "ReferenceError",
                "name": "WrappedExecutionError",
                "lineNumber": 2,
                "level": "info",
                "tags": {},
                "context": {"itemIndex": 0},
                "stack": "ReferenceError: foo is not defined\n    at VmCodeWrapper (evalmachine.<anonymous>:2:1)\n    at /usr/local/lib/node_modules/n8n/node_modules/@n8n/task-runner/dist/js-task-runner/js-task-runner.js:190:20",
            }
        }
    });
    let workflow = nodes(json!([
        {"name": "Schedule Trigger", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2, "parameters": {}},
        {"name": "Transform", "type": "n8n-nodes-base.code", "typeVersion": 2, "parameters": {"jsCode": "return foo;"}}
    ]));
    let detail = failure_detail(&execution(data), &workflow).unwrap();
    assert_eq!(
        detail,
        FailureDetail {
            message: "foo is not defined [line 2]".into(),
            description: Some("ReferenceError".into()),
            node_name: Some("Transform".into()),
            node_type: Some("n8n-nodes-base.code".into()),
        }
    );
    let stored = serde_json::to_string(&detail).unwrap();
    assert!(!stored.contains("/usr/local") && !stored.contains("ann@example.com"));
}

/// An HTTP Request node's 401 (a `NodeApiError`): the node comes inside the error with its
/// parameters (and the header it sent), the description echoes the request's headers.
#[test]
fn an_http_request_401_keeps_the_explanation_and_loses_every_echoed_credential() {
    let data = json!({
        "resultData": {
            "lastNodeExecuted": "Fetch orders",
            "error": {
                "message": "Authorization failed - please check your credentials",
                "description": "{\"error\":\"invalid_api_key\",\"request\":{\"url\":\"https://api.example.com/v1/orders?api_key=live_5f2b9c&page=2\",\"headers\":{\"authorization\":\"Bearer sk_live_51H8xYzAbC123\",\"x-api-key\":\"4c1f9a7e2b\",\"accept\":\"application/json\"}}}",
                "name": "NodeApiError",
                "httpCode": "401",
                "messages": ["401 - \"{\\\"error\\\":\\\"invalid_api_key\\\"}\""],
                "level": "warning",
                "timestamp": 1764579600000u64,
                "context": {},
                "node": {
                    "id": "6f1c0c3e-8a2b-4f27-9d1e-0c8b7a6d5e4f",
                    "name": "Fetch orders",
                    "type": "n8n-nodes-base.httpRequest",
                    "typeVersion": 4.2,
                    "position": [460, 300],
                    "parameters": {
                        "url": "https://api.example.com/v1/orders",
                        "sendHeaders": true,
                        "headerParameters": {"parameters": [{"name": "Authorization", "value": "Bearer sk_live_51H8xYzAbC123"}]}
                    }
                },
                "stack": "NodeApiError: Authorization failed - please check your credentials\n    at ExecuteContext.execute (/usr/local/lib/node_modules/n8n/node_modules/n8n-nodes-base/dist/nodes/HttpRequest/V3/HttpRequestV3.node.js:780:19)"
            }
        }
    });
    let detail = failure_detail(&execution(data), &[]).unwrap();
    assert_eq!(
        detail.message,
        "Authorization failed - please check your credentials"
    );
    assert_eq!(
        detail.description.as_deref(),
        Some("{\"error\":\"invalid_api_key\",\"request\":{\"url\":\"https://api.example.com/v1/orders?api_key=[redacted]&page=2\",\"headers\":{\"authorization\":\"[redacted]\",\"x-api-key\":\"[redacted]\",\"accept\":\"application/json\"}}}")
    );
    assert_eq!(detail.node_name.as_deref(), Some("Fetch orders"));
    assert_eq!(
        detail.node_type.as_deref(),
        Some("n8n-nodes-base.httpRequest")
    );
    let stored = serde_json::to_string(&detail).unwrap();
    for secret in ["sk_live", "live_5f2b9c", "4c1f9a7e2b", "HttpRequestV3"] {
        assert!(!stored.contains(secret), "{secret} leaked: {stored}");
    }
}

/// A Postgres node's constraint violation (a `NodeOperationError`) without the node inside the
/// error: the name comes from `lastNodeExecuted`, the type from the stored definition.
#[test]
fn a_postgres_error_takes_its_node_type_from_the_definition() {
    let data = json!({
        "resultData": {
            "lastNodeExecuted": "Insert order",
            "error": {
                "message": "duplicate key value violates unique constraint \"orders_pkey\"",
                "description": "Key (id)=(42) already exists.",
                "name": "NodeOperationError",
                "context": {"itemIndex": 0},
                "stack": "error: duplicate key value violates unique constraint\n    at /home/node/.n8n/nodes/node_modules/pg/lib/client.js:545:17"
            }
        }
    });
    let workflow = nodes(json!([
        {"name": "Insert order", "type": "n8n-nodes-base.postgres", "typeVersion": 2.5,
         "parameters": {"operation": "insert"}, "credentials": {"postgres": {"id": "7", "name": "Orders DB"}}}
    ]));
    let detail = failure_detail(&execution(data), &workflow).unwrap();
    assert_eq!(
        detail,
        FailureDetail {
            message: "duplicate key value violates unique constraint \"orders_pkey\"".into(),
            description: Some("Key (id)=(42) already exists.".into()),
            node_name: Some("Insert order".into()),
            node_type: Some("n8n-nodes-base.postgres".into()),
        }
    );
}

#[test]
fn a_connection_failure_loses_the_password_in_the_connection_url() {
    let data = json!({
        "resultData": {
            "lastNodeExecuted": "Query",
            "error": {
                "message": "connect ECONNREFUSED postgres://n8n:hunter2@10.0.0.5:5432/orders",
                "name": "NodeOperationError"
            }
        },
        "workflowData": {"nodes": [{"name": "Query", "type": "n8n-nodes-base.postgres"}]}
    });
    let detail = failure_detail(&execution(data), &[]).unwrap();
    assert_eq!(
        detail.message,
        "connect ECONNREFUSED postgres://[redacted]@10.0.0.5:5432/orders"
    );
    assert_eq!(detail.description, None);
    // No node in the error nor the definition: the execution's own copy of the workflow.
    assert_eq!(detail.node_type.as_deref(), Some("n8n-nodes-base.postgres"));
}

#[test]
fn long_texts_are_redacted_before_they_are_cut() {
    let token = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    let message = format!("{} token={token}", "x ".repeat(240));
    let description = format!("{}{token}", "y ".repeat(600));
    let data = json!({"resultData": {"error": {"message": message, "description": description}}});
    let detail = failure_detail_from_data(&data, &[]).unwrap();
    assert!(detail.message.chars().count() <= MESSAGE_MAX_CHARS);
    assert!(
        detail.message.ends_with("token=[redacted]"),
        "{}",
        detail.message
    );
    let description = detail.description.unwrap();
    assert_eq!(description.chars().count(), DESCRIPTION_MAX_CHARS);
    assert!(description.ends_with('…'));
    assert!(!description.contains("ghp_"));
}

#[test]
fn an_execution_without_an_error_has_no_failure_detail() {
    assert_eq!(failure_detail(&execution(Value::Null), &[]), None);
    let succeeded = json!({"resultData": {"runData": {}, "lastNodeExecuted": "Done"}});
    assert_eq!(failure_detail_from_data(&succeeded, &[]), None);
    let mut listed = execution(Value::Null);
    listed.data = None;
    assert_eq!(failure_detail(&listed, &[]), None);
}

#[test]
fn an_error_without_a_message_falls_back_to_its_name_and_a_repeated_description_is_dropped() {
    let data = json!({"resultData": {"error": {"name": "WorkflowOperationError", "description": "WorkflowOperationError"}}});
    let detail = failure_detail_from_data(&data, &[]).unwrap();
    assert_eq!(detail.message, "WorkflowOperationError");
    assert_eq!(detail.description, None);
    assert_eq!(detail.node_name, None);
    let bare = json!({"resultData": {"error": {}}});
    assert_eq!(
        failure_detail_from_data(&bare, &[]).unwrap().message,
        "n8n recorded no error message"
    );
}
