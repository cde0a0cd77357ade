//! The HTTP side of the fake: n8n's routes, the gate every request passes (key, log, latency,
//! faults) and n8n's cursor format.

use super::{Fault, Shared};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// n8n's public API routes the engine and the builder's deploy use.
pub(super) fn router(state: Shared) -> Router {
    use super::writes;
    use axum::routing::{delete, post};
    Router::new()
        .route(
            "/api/v1/workflows",
            get(list_workflows).post(writes::create_workflow),
        )
        .route(
            "/api/v1/workflows/{id}",
            get(get_workflow)
                .delete(delete_workflow)
                .put(writes::update_workflow),
        )
        .route(
            "/api/v1/workflows/{id}/activate",
            post(writes::activate_workflow),
        )
        .route(
            "/api/v1/workflows/{id}/deactivate",
            post(writes::deactivate_workflow),
        )
        .route("/api/v1/credentials", post(writes::create_credential))
        .route(
            "/api/v1/credentials/{id}",
            delete(writes::delete_credential),
        )
        .route("/api/v1/executions", get(list_executions))
        .route("/api/v1/executions/{id}", get(get_execution))
        .route(
            "/api/v1/executions/{id}/retry",
            post(writes::retry_execution),
        )
        .with_state(state)
}

/// Authenticates, logs, applies latency and faults. `Err` is the response to send instead.
pub(super) async fn gate(
    state: &Shared,
    headers: &HeaderMap,
    what: String,
) -> Result<(), Response> {
    let (data, shutdown, api_key) = state;
    let (fault, latency) = {
        let mut d = data.lock().unwrap();
        d.log.push(what.clone());
        if let Some(left) = d.die_after.as_mut() {
            if *left == 0 {
                if let Some(tx) = shutdown.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
            *left -= 1;
        }
        let path = what.split_once(' ').map(|(_, p)| p).unwrap_or("");
        let fault = d
            .faults
            .iter_mut()
            .find(|(prefix, q)| path.starts_with(prefix.as_str()) && !q.is_empty())
            .and_then(|(_, q)| q.pop_front());
        (fault, d.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if headers.get("x-n8n-api-key").and_then(|v| v.to_str().ok()) != Some(api_key.as_str()) {
        return Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Unauthorized"})),
        )
            .into_response());
    }
    match fault {
        None => Ok(()),
        Some(Fault::Status(code)) => Err((
            StatusCode::from_u16(code).unwrap(),
            Json(json!({"message": "Internal Server Error"})),
        )
            .into_response()),
        Some(Fault::TooManyRequests { retry_after_secs }) => Err((
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_secs.to_string())],
            Json(json!({"message": "Too Many Requests"})),
        )
            .into_response()),
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Err(StatusCode::GATEWAY_TIMEOUT.into_response())
        }
        Some(Fault::Malformed) => Err((
            StatusCode::OK,
            [("content-type", "application/json")],
            "<html>proxy error</html>",
        )
            .into_response()),
    }
}

fn describe(path: &str, query: &HashMap<String, String>) -> String {
    let mut keys: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    keys.sort();
    format!("GET {path}?{}", keys.join("&"))
}

fn page_limit(query: &HashMap<String, String>, cursor: &Option<Value>) -> usize {
    // Like n8n: the cursor's limit wins; values above 250 silently become 250.
    let from_cursor = cursor
        .as_ref()
        .and_then(|c| c["limit"].as_u64())
        .map(|l| l as usize);
    from_cursor
        .or_else(|| query.get("limit").and_then(|l| l.parse().ok()))
        .unwrap_or(100)
        .min(250)
}

/// n8n's answer to a cursor it cannot read.
struct BadCursor;

impl IntoResponse for BadCursor {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "An invalid cursor was provided"})),
        )
            .into_response()
    }
}

fn decode_cursor(query: &HashMap<String, String>) -> Result<Option<Value>, BadCursor> {
    let Some(raw) = query.get("cursor") else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| BadCursor)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| BadCursor)
}

fn encode_cursor(value: Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

async fn list_workflows(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&state, &headers, describe("/api/v1/workflows", &q)).await {
        return r;
    }
    let cursor = match decode_cursor(&q) {
        Ok(c) => c,
        Err(bad) => return bad.into_response(),
    };
    let limit = page_limit(&q, &cursor);
    let offset = cursor
        .as_ref()
        .and_then(|c| c["offset"].as_u64())
        .unwrap_or(0) as usize;
    let data = state.0.lock().unwrap();
    let page: Vec<Value> = data
        .workflows
        .iter()
        .skip(offset)
        .take(limit)
        .cloned()
        .collect();
    let next = (offset + limit < data.workflows.len())
        .then(|| encode_cursor(json!({"offset": offset + limit, "limit": limit})));
    Json(json!({"data": page, "nextCursor": next})).into_response()
}

async fn get_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = gate(&state, &headers, format!("GET /api/v1/workflows/{id}")).await {
        return r;
    }
    let data = state.0.lock().unwrap();
    match data.workflows.iter().find(|w| w["id"] == id.as_str()) {
        Some(w) => Json(w.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}

async fn delete_workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = gate(&state, &headers, format!("DELETE /api/v1/workflows/{id}")).await {
        return r;
    }
    let mut data = state.0.lock().unwrap();
    let Some(index) = data.workflows.iter().position(|w| w["id"] == id.as_str()) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    };
    let removed = data.workflows.remove(index);
    data.executions
        .retain(|_, e| e["workflowId"] != id.as_str());
    Json(removed).into_response()
}

async fn list_executions(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&state, &headers, describe("/api/v1/executions", &q)).await {
        return r;
    }
    let cursor = match decode_cursor(&q) {
        Ok(c) => c,
        Err(bad) => return bad.into_response(),
    };
    let limit = page_limit(&q, &cursor);
    let last_id: Option<u64> = cursor
        .as_ref()
        .and_then(|c| c["lastId"].as_str())
        .and_then(|s| s.parse().ok());
    let data = state.0.lock().unwrap();
    // Newest first; running executions are not listed by real n8n.
    // A range, not a filter over every execution: a million-execution backlog pages in
    // linear time, as n8n's indexed query does.
    let page: Vec<Value> = data
        .executions
        .range(..last_id.unwrap_or(u64::MAX))
        .rev()
        .filter(|(_, e)| e["status"] != "running")
        .filter(|(_, e)| {
            q.get("workflowId")
                .is_none_or(|w| e["workflowId"] == w.as_str())
        })
        .filter(|(_, e)| q.get("status").is_none_or(|s| e["status"] == s.as_str()))
        .take(limit + 1)
        .map(|(_, e)| with_data(e, &q))
        .collect();
    let more = page.len() > limit;
    let page: Vec<Value> = page.into_iter().take(limit).collect();
    let next = if more {
        page.last()
            .map(|e| encode_cursor(json!({"lastId": e["id"], "limit": limit})))
    } else {
        None
    };
    Json(json!({"data": page, "nextCursor": next})).into_response()
}

/// An execution as n8n sends it: its run data only when asked for with `includeData=true`.
fn with_data(execution: &Value, query: &HashMap<String, String>) -> Value {
    let mut execution = execution.clone();
    if query.get("includeData").map(String::as_str) != Some("true") {
        if let Some(fields) = execution.as_object_mut() {
            fields.remove("data");
        }
    }
    execution
}

async fn get_execution(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&state, &headers, format!("GET /api/v1/executions/{id}")).await {
        return r;
    }
    let data = state.0.lock().unwrap();
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| data.executions.get(&id))
    {
        Some(e) => Json(with_data(e, &q)).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}
