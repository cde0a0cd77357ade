//! The fake's write routes, enough for the builder's deploy and remove: workflows created,
//! replaced, activated and deactivated, credentials created (kept, so a test can see what
//! arrived) and deleted, failed executions retried. Same gate as every other route: key, log, latency, faults.

use super::api::gate;
use super::Shared;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `POST /api/v1/workflows`: stored inactive, as n8n creates workflows.
pub(super) async fn create_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&state, &headers, "POST /api/v1/workflows".into()).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    data.workflows_added += 1;
    let id = format!("wf{:014}", data.workflows_added);
    let at = now();
    let workflow = json!({
        "id": id, "name": body["name"], "active": false, "isArchived": false,
        "versionId": uuid::Uuid::new_v4(), "createdAt": at, "updatedAt": at,
        "nodes": body["nodes"], "connections": body["connections"], "settings": body["settings"],
        "tags": [], "pinData": {}, "staticData": null, "meta": null, "triggerCount": 0
    });
    data.workflows.push(workflow.clone());
    Json(workflow).into_response()
}

/// `PUT /api/v1/workflows/{id}`: the definition replaced in place.
pub(super) async fn update_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&state, &headers, format!("PUT /api/v1/workflows/{id}")).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    let Some(workflow) = data.workflows.iter_mut().find(|w| w["id"] == id.as_str()) else {
        return not_found();
    };
    for key in ["name", "nodes", "connections", "settings"] {
        workflow[key] = body[key].clone();
    }
    workflow["updatedAt"] = json!(now());
    workflow["versionId"] = json!(uuid::Uuid::new_v4());
    Json(workflow.clone()).into_response()
}

async fn set_active(state: Shared, headers: HeaderMap, id: String, active: bool) -> Response {
    let verb = if active { "activate" } else { "deactivate" };
    let what = format!("POST /api/v1/workflows/{id}/{verb}");
    if let Err(r) = gate(&state, &headers, what).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    let Some(workflow) = data.workflows.iter_mut().find(|w| w["id"] == id.as_str()) else {
        return not_found();
    };
    workflow["active"] = json!(active);
    Json(workflow.clone()).into_response()
}

/// `POST /api/v1/workflows/{id}/activate`.
pub(super) async fn activate_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    set_active(state, headers, id, true).await
}

/// `POST /api/v1/workflows/{id}/deactivate`.
pub(super) async fn deactivate_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    set_active(state, headers, id, false).await
}

/// `POST /api/v1/credentials`: kept with its data; the reply, like n8n's, leaves the data out.
pub(super) async fn create_credential(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&state, &headers, "POST /api/v1/credentials".into()).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    data.credentials_added += 1;
    let id = format!("cred{:012}", data.credentials_added);
    let at = now();
    data.credentials.push(json!({
        "id": id, "name": body["name"], "type": body["type"], "data": body["data"]
    }));
    Json(json!({"id": id, "name": body["name"], "type": body["type"],
                "createdAt": at, "updatedAt": at}))
    .into_response()
}

/// `DELETE /api/v1/credentials/{id}`.
pub(super) async fn delete_credential(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = gate(&state, &headers, format!("DELETE /api/v1/credentials/{id}")).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    let Some(index) = data.credentials.iter().position(|c| c["id"] == id.as_str()) else {
        return not_found();
    };
    Json(data.credentials.remove(index)).into_response()
}

/// `POST /api/v1/executions/{id}/retry`: like n8n, only a failed execution is retried; the new
/// one (`mode: retry`, `retryOf` the original) ends with the fake's retry status, and a
/// successful retry marks the original's `retrySuccessId`.
pub(super) async fn retry_execution(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = gate(
        &state,
        &headers,
        format!("POST /api/v1/executions/{id}/retry"),
    )
    .await
    {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    let Some(original) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| data.executions.get(&id))
        .cloned()
    else {
        return not_found();
    };
    if !matches!(
        original["status"].as_str(),
        Some("error" | "crashed" | "canceled")
    ) {
        return (
            StatusCode::CONFLICT,
            Json(json!({"message": "The execution succeeded, so it cannot be retried."})),
        )
            .into_response();
    }
    let status = data
        .retry_status
        .clone()
        .unwrap_or_else(|| "success".to_string());
    let new_id = data.next_execution_id;
    data.next_execution_id += 1;
    let started = chrono::Utc::now();
    let execution = json!({
        "id": new_id.to_string(), "finished": status == "success", "mode": "retry",
        "retryOf": id, "retrySuccessId": null, "status": status,
        "startedAt": started.to_rfc3339(),
        "stoppedAt": (started + chrono::Duration::milliseconds(120)).to_rfc3339(),
        "workflowId": original["workflowId"], "waitTill": null, "createdAt": started.to_rfc3339()
    });
    data.executions.insert(new_id, execution.clone());
    if status == "success" {
        if let Some(original) = id
            .parse::<u64>()
            .ok()
            .and_then(|id| data.executions.get_mut(&id))
        {
            original["retrySuccessId"] = json!(new_id.to_string());
        }
    }
    Json(execution).into_response()
}
