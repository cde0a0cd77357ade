//! Sample workflows for the demo and the tests — webhook or schedule triggers that succeed or
//! fail — set up through the shared n8n client, plus calls of their production webhooks.

use anyhow::Result;
use flowpulse_core::n8n::Execution;
use flowpulse_n8n::{
    all_pages, BaseUrl, ClientSettings, ExecutionQuery, N8nClient, OutboundPolicy, Transport,
    WorkflowDefinition,
};
use serde_json::json;

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

/// One local n8n instance (the demo's or the tests').
pub struct N8nApi {
    pub base_url: String,
    api_key: String,
    client: N8nClient,
    http: reqwest::Client,
}

impl N8nApi {
    pub fn new(base_url: &str, api_key: &str) -> Self {
        let url = BaseUrl::parse(base_url).expect("a local n8n URL");
        // The demo and test instances run on this machine.
        let transport = Transport::new(OutboundPolicy::public_only().allowing_loopback());
        N8nApi {
            base_url: url.to_string(),
            api_key: api_key.to_string(),
            client: N8nClient::new(url, api_key, transport, ClientSettings::default()),
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

    /// The id of the workflow named `name`, if there is one.
    pub async fn find_workflow(&self, name: &str) -> Result<Option<String>> {
        let all = self.client.all_workflows().await?;
        Ok(all.into_iter().find(|w| w.name == name).map(|w| w.id))
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
        let definition = WorkflowDefinition {
            name: name.to_string(),
            nodes: json!([first, second]),
            connections: json!({"Trigger": {"main": [[{"node": "Done", "type": "main", "index": 0}]]}}),
            settings: json!({"executionOrder": "v1"}),
        };
        let created = self.client.create_workflow(&definition).await?;
        self.client.activate_workflow(&created.id).await?;
        Ok(created.id)
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
    pub async fn executions_of(&self, workflow_id: &str) -> Result<Vec<Execution>> {
        let executions = all_pages(|cursor| {
            let query = ExecutionQuery {
                cursor,
                workflow_id: Some(workflow_id.to_string()),
                ..ExecutionQuery::default()
            };
            async move { self.client.list_executions(&query).await }
        })
        .await?;
        Ok(executions)
    }

    /// Waits until n8n lists at least `count` executions of a workflow: it writes them just
    /// after a webhook answers, so a caller that triggered runs must wait for them.
    pub async fn wait_for_executions(
        &self,
        workflow_id: &str,
        count: usize,
    ) -> Result<Vec<Execution>> {
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
