//! An in-process stand-in for n8n's public API, faithful to the shapes real n8n 2.x sends
//! (string ids, `nextCursor` as base64 JSON, running executions left out of the list), with
//! fault injection: error statuses, 429 + Retry-After, hangs, malformed JSON, an instance that
//! goes away mid-pagination, a per-request latency. Used IN ADDITION to the real-n8n tests.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

mod api;
mod writes;

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
    /// Numbers ids, so an id is never reused after a removal.
    workflows_added: usize,
    executions: BTreeMap<u64, Value>,
    next_execution_id: u64,
    /// Credentials created through the API, with their data.
    credentials: Vec<Value>,
    /// Numbers credential ids.
    credentials_added: usize,
    /// Faults by path prefix, consumed one per matching request.
    faults: Vec<(String, VecDeque<Fault>)>,
    /// Requests answered so far, as `METHOD path?query`.
    log: Vec<String>,
    /// After this many more requests the server shuts down (connections refused).
    die_after: Option<usize>,
    latency: Duration,
    /// Status of the executions a retry creates (`success` unless set).
    retry_status: Option<String>,
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
        let app = api::router(state);
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
        data.workflows_added += 1;
        let id = format!("wf{:014}", data.workflows_added);
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

    /// Removes a workflow (and, like n8n, its executions); returns it, for `restore_workflow`.
    pub fn remove_workflow(&self, id: &str) -> Value {
        let mut data = self.data.lock().unwrap();
        let position = data.workflows.iter().position(|w| w["id"] == id);
        let removed = position.map(|at| data.workflows.remove(at));
        data.executions.retain(|_, e| e["workflowId"] != id);
        removed.unwrap_or_else(|| panic!("no workflow {id} to remove"))
    }

    /// Lists a removed workflow again, under its old id (an archive undone in n8n).
    pub fn restore_workflow(&self, workflow: Value) {
        self.data.lock().unwrap().workflows.push(workflow);
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

    /// Records an execution with every field that matters to the health check chosen; an
    /// unfinished `status` leaves it without a stop time.
    pub fn add_execution_at(
        &self,
        workflow: &str,
        status: &str,
        mode: &str,
        started: chrono::DateTime<chrono::Utc>,
        wait_till: Option<chrono::DateTime<chrono::Utc>>,
    ) -> u64 {
        let id = self.add_execution(workflow, status);
        let mut data = self.data.lock().unwrap();
        let execution = data.executions.get_mut(&id).expect("just added");
        execution["mode"] = json!(mode);
        execution["startedAt"] = json!(started.to_rfc3339());
        execution["createdAt"] = json!(started.to_rfc3339());
        execution["waitTill"] = json!(wait_till.map(|t| t.to_rfc3339()));
        if !execution["stoppedAt"].is_null() {
            execution["stoppedAt"] =
                json!((started + chrono::Duration::milliseconds(350)).to_rfc3339());
        }
        id
    }

    /// Replaces a workflow's nodes and connections, and stamps it as saved at `updated`.
    pub fn redefine_workflow(
        &self,
        id: &str,
        nodes: Value,
        connections: Value,
        updated: chrono::DateTime<chrono::Utc>,
    ) {
        self.change_workflow(id, |workflow| {
            workflow["nodes"] = nodes;
            workflow["connections"] = connections;
            workflow["updatedAt"] = json!(updated.to_rfc3339());
            workflow["versionId"] = json!(uuid::Uuid::new_v4());
        });
    }

    /// Replaces a workflow's `settings` (e.g. its `timezone`).
    pub fn set_settings(&self, id: &str, settings: Value) {
        self.change_workflow(id, |workflow| workflow["settings"] = settings);
    }

    /// Applies `change` to the stored workflow `id`, which must exist.
    fn change_workflow(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut data = self.data.lock().unwrap();
        let workflow = data
            .workflows
            .iter_mut()
            .find(|w| w["id"] == id)
            .expect("workflow exists");
        change(workflow);
    }

    /// Makes execution `id` a failure at `node` (of `node_type`): status `error`, and run data
    /// as n8n keeps it (`resultData.error` with the message, description and node), which the
    /// fake gives only to a request with `includeData=true`, like n8n.
    pub fn fail_at_node(
        &self,
        id: u64,
        node: &str,
        node_type: &str,
        message: &str,
        description: &str,
    ) {
        let mut data = self.data.lock().unwrap();
        let execution = data.executions.get_mut(&id).expect("execution exists");
        execution["status"] = json!("error");
        execution["finished"] = json!(false);
        execution["data"] = json!({
            "resultData": {
                "error": {
                    "name": "NodeOperationError", "message": message, "description": description,
                    "node": {"name": node, "type": node_type, "typeVersion": 2, "parameters": {}}
                },
                "lastNodeExecuted": node,
                "runData": {}
            }
        });
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

    /// Retries from now on end with `status` (`success` until set).
    pub fn set_retry_status(&self, status: &str) {
        self.data.lock().unwrap().retry_status = Some(status.to_string());
    }

    /// The execution with n8n id `id`, as the fake holds it.
    pub fn execution(&self, id: u64) -> Option<Value> {
        self.data.lock().unwrap().executions.get(&id).cloned()
    }

    /// Credentials created through the API so far, with the data they were given.
    pub fn credentials(&self) -> Vec<Value> {
        self.data.lock().unwrap().credentials.clone()
    }

    /// The workflow with n8n id `id`, as the fake holds it.
    pub fn workflow(&self, id: &str) -> Option<Value> {
        let data = self.data.lock().unwrap();
        data.workflows.iter().find(|w| w["id"] == id).cloned()
    }

    /// Requests seen so far (`GET /api/v1/executions?...`).
    pub fn requests(&self) -> Vec<String> {
        self.data.lock().unwrap().log.clone()
    }

    /// FlowPulse's n8n client for this fake (loopback allowed, default settings).
    pub fn client(&self) -> flowpulse_n8n::N8nClient {
        use flowpulse_n8n::{BaseUrl, ClientSettings, N8nClient, OutboundPolicy, Transport};
        N8nClient::new(
            BaseUrl::parse(&self.url).expect("the fake's URL"),
            &self.api_key,
            Transport::new(OutboundPolicy::public_only().allowing_loopback()),
            ClientSettings::default(),
        )
    }

    /// Pages every workflow and every execution without storing anything, as a benchmark's
    /// baseline; returns the execution pages.
    pub async fn page_everything(&self) -> usize {
        let client = self.client();
        client.all_workflows().await.expect("workflows");
        let mut query = flowpulse_n8n::ExecutionQuery::default();
        let mut pages = 0;
        loop {
            let page = client.list_executions(&query).await.expect("page");
            pages += 1;
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return pages,
            }
        }
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
