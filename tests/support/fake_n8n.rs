//! An in-process stand-in for n8n's public API, faithful to the shapes real n8n 2.x sends
//! (string ids, `nextCursor` as base64 JSON, running executions left out of the list), with
//! fault injection: error statuses, 429 + Retry-After, hangs, malformed JSON, an instance that
//! goes away mid-pagination, a per-request latency. Used IN ADDITION to the real-n8n tests.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// What the next matching request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This HTTP status with n8n's error body.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// Never answers (the client's timeout must fire).
    Hang,
    /// 200 with a body that is not JSON.
    Malformed,
}

#[derive(Default)]
struct Data {
    workflows: Vec<Value>,
    executions: BTreeMap<u64, Value>,
    next_execution_id: u64,
    /// Faults by path prefix, consumed one per matching request.
    faults: Vec<(String, VecDeque<Fault>)>,
    /// Requests answered so far, as `METHOD path?query`.
    log: Vec<String>,
    /// After this many more requests the server shuts down (connections refused).
    die_after: Option<usize>,
    latency: Duration,
}

/// A running fake n8n.
pub struct FakeN8n {
    pub url: String,
    pub api_key: String,
    addr: std::net::SocketAddr,
    data: Arc<Mutex<Data>>,
    shutdown: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

type Shared = (
    Arc<Mutex<Data>>,
    Arc<Mutex<Option<oneshot::Sender<()>>>>,
    String,
);

impl FakeN8n {
    /// Starts on a free loopback port.
    pub async fn start() -> FakeN8n {
        let data = Arc::new(Mutex::new(Data {
            next_execution_id: 1,
            ..Data::default()
        }));
        let shutdown = Arc::new(Mutex::new(None));
        let api_key = format!("n8n_api_{}", uuid::Uuid::new_v4().simple());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        let fake = FakeN8n {
            url: format!("http://{addr}"),
            api_key,
            addr,
            data,
            shutdown,
        };
        fake.serve(listener);
        fake
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (tx, rx) = oneshot::channel();
        *self.shutdown.lock().unwrap() = Some(tx);
        let state: Shared = (
            self.data.clone(),
            self.shutdown.clone(),
            self.api_key.clone(),
        );
        let app = Router::new()
            .route("/api/v1/workflows", get(list_workflows))
            .route(
                "/api/v1/workflows/{id}",
                get(get_workflow).delete(delete_workflow),
            )
            .route("/api/v1/executions", get(list_executions))
            .route("/api/v1/executions/{id}", get(get_execution))
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
    }

    /// Brings a stopped instance back on the same address with the same data.
    pub async fn revive(&self) {
        self.data.lock().unwrap().die_after = None;
        for _ in 0..50 {
            if let Ok(listener) = tokio::net::TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not rebind {}", self.addr);
    }

    /// Adds a workflow with a webhook trigger; returns its n8n id.
    pub fn add_workflow(&self, name: &str) -> String {
        let mut data = self.data.lock().unwrap();
        let id = format!("wf{:014}", data.workflows.len() + 1);
        data.workflows.push(json!({
            "id": id, "name": name, "active": true, "isArchived": false,
            "versionId": uuid::Uuid::new_v4(), "createdAt": "2026-11-01T10:00:00.000Z",
            "updatedAt": "2026-11-01T10:00:00.000Z",
            "nodes": [
                {"id": "n1", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
                 "position": [0, 0], "parameters": {"path": id, "httpMethod": "GET"}},
                {"id": "n2", "name": "Slack", "type": "n8n-nodes-base.slack", "typeVersion": 2,
                 "position": [200, 0], "parameters": {},
                 "credentials": {"slackApi": {"id": "cred-secret-id", "name": "Team Slack"}}}
            ],
            "connections": {"Webhook": {"main": [[{"node": "Slack", "type": "main", "index": 0}]]}},
            "settings": {"executionOrder": "v1"}, "tags": [{"id": "t1", "name": "fake"}],
            "pinData": {}, "staticData": null, "meta": null, "triggerCount": 1
        }));
        id
    }

    /// Removes a workflow (and, like n8n, its executions).
    pub fn remove_workflow(&self, id: &str) {
        let mut data = self.data.lock().unwrap();
        data.workflows.retain(|w| w["id"] != id);
        data.executions.retain(|_, e| e["workflowId"] != id);
    }

    /// Records an execution of `workflow` with `status`; returns its id.
    pub fn add_execution(&self, workflow: &str, status: &str) -> u64 {
        let mut data = self.data.lock().unwrap();
        let id = data.next_execution_id;
        data.next_execution_id += 1;
        // Recent, one second apart, so dashboards and charts have something to show.
        let started =
            chrono::Utc::now() - chrono::Duration::hours(3) + chrono::Duration::seconds(id as i64);
        let finished = !matches!(status, "running" | "waiting" | "new");
        data.executions.insert(id, json!({
            "id": id.to_string(), "finished": status == "success", "mode": "webhook",
            "retryOf": null, "retrySuccessId": null, "status": status,
            "startedAt": started.to_rfc3339(),
            "stoppedAt": if finished { json!((started + chrono::Duration::milliseconds(350)).to_rfc3339()) } else { Value::Null },
            "workflowId": workflow, "waitTill": null, "createdAt": started.to_rfc3339()
        }));
        id
    }

    /// Changes an execution's status (e.g. running → success).
    pub fn set_status(&self, id: u64, status: &str) {
        let mut data = self.data.lock().unwrap();
        let execution = data.executions.get_mut(&id).expect("execution exists");
        execution["status"] = json!(status);
        execution["finished"] = json!(status == "success");
        execution["stoppedAt"] = json!("2026-11-01T13:00:00.000Z");
    }

    /// Deletes executions, as n8n's pruning does.
    pub fn prune(&self, ids: impl IntoIterator<Item = u64>) {
        let mut data = self.data.lock().unwrap();
        for id in ids {
            data.executions.remove(&id);
        }
    }

    /// The next requests whose path starts with `path_prefix` get `faults`, one each.
    pub fn inject(&self, path_prefix: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut data = self.data.lock().unwrap();
        data.faults
            .push((path_prefix.to_string(), faults.into_iter().collect()));
    }

    /// Drops every fault not yet consumed.
    pub fn clear_faults(&self) {
        self.data.lock().unwrap().faults.clear();
    }

    /// After `requests` more answered requests the instance goes away.
    pub fn die_after(&self, requests: usize) {
        self.data.lock().unwrap().die_after = Some(requests);
    }

    /// Every answer is delayed by `latency` (a realistic round trip).
    pub fn set_latency(&self, latency: Duration) {
        self.data.lock().unwrap().latency = latency;
    }

    /// Requests seen so far (`GET /api/v1/executions?...`).
    pub fn requests(&self) -> Vec<String> {
        self.data.lock().unwrap().log.clone()
    }

    /// n8n's own view: (total final, success, error + crashed) per workflow.
    pub fn ground_truth(&self) -> HashMap<String, (i64, i64, i64)> {
        let data = self.data.lock().unwrap();
        let mut truth: HashMap<String, (i64, i64, i64)> = HashMap::new();
        for workflow in &data.workflows {
            truth.insert(workflow["id"].as_str().unwrap().to_string(), (0, 0, 0));
        }
        for execution in data.executions.values() {
            let entry = truth
                .entry(execution["workflowId"].as_str().unwrap().to_string())
                .or_default();
            match execution["status"].as_str().unwrap() {
                "success" => {
                    entry.0 += 1;
                    entry.1 += 1;
                }
                "error" | "crashed" => {
                    entry.0 += 1;
                    entry.2 += 1;
                }
                "canceled" => entry.0 += 1,
                _ => {}
            }
        }
        truth
    }

    /// Stops the server now.
    pub fn stop(&self) {
        if let Some(tx) = self.shutdown.lock().unwrap().take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for FakeN8n {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Authenticates, logs, applies latency and faults. `Err` is the response to send instead.
async fn gate(state: &Shared, headers: &HeaderMap, what: String) -> Result<(), Response> {
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
    let page: Vec<Value> = data
        .executions
        .iter()
        .rev()
        .filter(|(id, _)| last_id.is_none_or(|last| **id < last))
        .filter(|(_, e)| e["status"] != "running")
        .filter(|(_, e)| {
            q.get("workflowId")
                .is_none_or(|w| e["workflowId"] == w.as_str())
        })
        .filter(|(_, e)| q.get("status").is_none_or(|s| e["status"] == s.as_str()))
        .take(limit + 1)
        .map(|(_, e)| e.clone())
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

async fn get_execution(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
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
        Some(e) => Json(e.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
    }
}
