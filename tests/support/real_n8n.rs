//! One real n8n (npm, cached by `cargo xtask setup`) per test binary, shared by the tests that
//! need it; each test creates its own uniquely named workflows.

use super::{log_path, run_dir};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The shared instance's address and API key.
pub struct RealN8n {
    pub base_url: String,
    pub api_key: String,
    http: reqwest::Client,
}

/// What a test workflow does when its webhook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeds,
    Fails,
}

/// Starts n8n on first use (~45 s), then hands out the same instance.
pub async fn shared() -> &'static RealN8n {
    static N8N: OnceCell<RealN8n> = OnceCell::const_new();
    N8N.get_or_init(|| async {
        let install = xtask::n8n::N8nInstall::locate(&xtask::config::cache_dir());
        assert!(
            install.is_installed(),
            "n8n is not installed: run `cargo xtask setup --for-tests`"
        );
        let port = xtask::process::free_port().unwrap();
        let server = xtask::n8n::start(&install, &run_dir().join("n8n"), port, &log_path("n8n"))
            .await
            .expect("n8n starts");
        // The service lives as long as the test binary: leak the handle on purpose (it still
        // dies with the process through its parent-death signal).
        let xtask::n8n::N8nServer {
            base_url,
            api_key,
            service,
        } = server;
        std::mem::forget(service);
        RealN8n {
            base_url,
            api_key,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    })
    .await
}

impl RealN8n {
    fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base_url))
            .header("X-N8N-API-KEY", &self.api_key)
    }

    /// Creates and activates a webhook workflow; returns (id, webhook path).
    pub async fn create_webhook_workflow(&self, name: &str, outcome: Outcome) -> (String, String) {
        let path = format!("fp-{}", uuid::Uuid::new_v4().simple());
        let mut nodes = vec![json!({
            "id": uuid::Uuid::new_v4(), "name": "Webhook", "type": "n8n-nodes-base.webhook",
            "typeVersion": 2, "position": [0, 0], "webhookId": uuid::Uuid::new_v4(),
            "parameters": {"path": path, "httpMethod": "GET", "responseMode": "onReceived"}
        })];
        let second = match outcome {
            Outcome::Succeeds => {
                json!({"id": uuid::Uuid::new_v4(), "name": "Done", "type": "n8n-nodes-base.noOp",
                                        "typeVersion": 1, "position": [220, 0], "parameters": {}})
            }
            Outcome::Fails => {
                json!({"id": uuid::Uuid::new_v4(), "name": "Done", "type": "n8n-nodes-base.stopAndError",
                                     "typeVersion": 1, "position": [220, 0],
                                     "parameters": {"errorMessage": "FlowPulse test failure"}})
            }
        };
        nodes.push(second);
        let body = json!({
            "name": name, "nodes": nodes, "settings": {"executionOrder": "v1"},
            "connections": {"Webhook": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}}
        });
        let created: Value = self
            .api(reqwest::Method::POST, "/workflows")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"]
            .as_str()
            .unwrap_or_else(|| panic!("workflow created: {created}"))
            .to_string();
        let reply = self
            .api(reqwest::Method::POST, &format!("/workflows/{id}/activate"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(
            reply.status().is_success(),
            "activate: {}",
            reply.text().await.unwrap()
        );
        (id, path)
    }

    /// Calls a production webhook `times` times (retrying the first call while n8n registers it).
    pub async fn trigger(&self, path: &str, times: usize) {
        for i in 0..times {
            let url = format!("{}/webhook/{path}", self.base_url);
            let mut attempts = 0;
            loop {
                let reply = self.http.get(&url).send().await.unwrap();
                if reply.status().is_success() {
                    break;
                }
                attempts += 1;
                assert!(
                    i == 0 && attempts < 40,
                    "webhook {path} answered {}",
                    reply.status()
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }

    /// n8n's own execution list for a workflow (all pages).
    pub async fn executions_of(&self, workflow_id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self
                .api(reqwest::Method::GET, "/executions")
                .query(&[("workflowId", workflow_id), ("limit", "250")]);
            if let Some(c) = &cursor {
                request = request.query(&[("cursor", c)]);
            }
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            all.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return all,
            }
        }
    }

    /// Waits until n8n lists `count` finished executions of a workflow (they are written
    /// asynchronously after the webhook answers).
    pub async fn wait_for_executions(&self, workflow_id: &str, count: usize) -> Vec<Value> {
        for _ in 0..120 {
            let list = self.executions_of(workflow_id).await;
            if list.len() >= count {
                return list;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("n8n did not record {count} executions of {workflow_id}");
    }
}
