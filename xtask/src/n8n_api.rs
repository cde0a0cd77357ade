//! The few n8n public-API calls the demo and the tests make to set an instance up: sample
//! workflows with webhook or schedule triggers, activation, webhook calls.

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// What a sample workflow does when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ends in a no-op node: `success`.
    Succeeds,
    /// Ends in a Stop-and-Error node: `error`.
    Fails,
}

/// What starts a sample workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `GET <n8n>/webhook/<path>`.
    Webhook { path: String },
    /// Every `minutes` minutes.
    Schedule { minutes: u32 },
}

/// A client for one instance's public API.
pub struct N8nApi {
    pub base_url: String,
    api_key: String,
    http: reqwest::Client,
}

impl N8nApi {
    pub fn new(base_url: &str, api_key: &str) -> Self {
        N8nApi {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
        }
    }

    /// The API key this client sends.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base_url))
            .header("X-N8N-API-KEY", &self.api_key)
    }

    /// The id of the workflow named `name`, if there is one.
    pub async fn find_workflow(&self, name: &str) -> Result<Option<String>> {
        let reply: Value = self
            .api(reqwest::Method::GET, "/workflows")
            .query(&[("name", name)])
            .send()
            .await?
            .json()
            .await?;
        Ok(reply["data"]
            .as_array()
            .and_then(|list| list.iter().find(|w| w["name"] == name))
            .and_then(|w| w["id"].as_str())
            .map(str::to_owned))
    }

    /// Creates and activates a two-node workflow; returns its id.
    pub async fn create_workflow(
        &self,
        name: &str,
        trigger: &Trigger,
        outcome: Outcome,
    ) -> Result<String> {
        let first = match trigger {
            Trigger::Webhook { path } => json!({
                "id": uuid::Uuid::new_v4(), "name": "Trigger", "type": "n8n-nodes-base.webhook",
                "typeVersion": 2, "position": [0, 0], "webhookId": uuid::Uuid::new_v4(),
                "parameters": {"path": path, "httpMethod": "GET", "responseMode": "onReceived"}
            }),
            Trigger::Schedule { minutes } => json!({
                "id": uuid::Uuid::new_v4(), "name": "Trigger", "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2, "position": [0, 0],
                "parameters": {"rule": {"interval": [{"field": "minutes", "minutesInterval": minutes}]}}
            }),
        };
        let second = match outcome {
            Outcome::Succeeds => {
                json!({"id": uuid::Uuid::new_v4(), "name": "Done", "type": "n8n-nodes-base.noOp",
                                        "typeVersion": 1, "position": [220, 0], "parameters": {}})
            }
            Outcome::Fails => {
                json!({"id": uuid::Uuid::new_v4(), "name": "Done", "type": "n8n-nodes-base.stopAndError",
                                     "typeVersion": 1, "position": [220, 0],
                                     "parameters": {"errorMessage": "FlowPulse sample failure"}})
            }
        };
        let body = json!({
            "name": name, "nodes": [first, second], "settings": {"executionOrder": "v1"},
            "connections": {"Trigger": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}}
        });
        let created: Value = self
            .api(reqwest::Method::POST, "/workflows")
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        let id = created["id"]
            .as_str()
            .with_context(|| format!("n8n did not create {name}: {created}"))?
            .to_string();
        let reply = self
            .api(reqwest::Method::POST, &format!("/workflows/{id}/activate"))
            .json(&json!({}))
            .send()
            .await?;
        anyhow::ensure!(
            reply.status().is_success(),
            "activate {name}: {}",
            reply.text().await?
        );
        Ok(id)
    }

    /// Calls a production webhook, retrying briefly while n8n registers a fresh activation.
    pub async fn call_webhook(&self, path: &str) -> Result<()> {
        let url = format!("{}/webhook/{path}", self.base_url);
        for _ in 0..40 {
            if self.http.get(&url).send().await?.status().is_success() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        anyhow::bail!("webhook {path} never answered")
    }

    /// n8n's own execution list for a workflow (every page).
    pub async fn executions_of(&self, workflow_id: &str) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self
                .api(reqwest::Method::GET, "/executions")
                .query(&[("workflowId", workflow_id), ("limit", "250")]);
            if let Some(c) = &cursor {
                request = request.query(&[("cursor", c)]);
            }
            let page: Value = request.send().await?.json().await?;
            all.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return Ok(all),
            }
        }
    }

    /// Waits until n8n lists at least `count` executions of a workflow: it writes them just
    /// after a webhook answers, so a caller that triggered runs must wait for them.
    pub async fn wait_for_executions(&self, workflow_id: &str, count: usize) -> Result<Vec<Value>> {
        for _ in 0..120 {
            let list = self.executions_of(workflow_id).await?;
            if list.len() >= count {
                return Ok(list);
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        anyhow::bail!("n8n did not record {count} executions of {workflow_id} within 30 s")
    }
}
