//! The n8n calls the tool makes, through the shared `flowpulse-n8n` client: list, read, create
//! and update workflows. Workflow bodies stay JSON here because the tool writes them into
//! migration files and compares them field by field.
//!
//! The instances are the operator's own (from `flowpulse.toml`), so loopback and private
//! addresses are allowed; cloud metadata addresses and redirects never are.

use crate::config::Instance;
use crate::error::{Error, Result};
use flowpulse_n8n::{
    ClientSettings, N8nClient as Client, N8nError, OutboundPolicy, Transport, WorkflowDefinition,
};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// A client for one instance's public API.
pub struct N8nClient {
    url: String,
    client: Client,
}

impl N8nClient {
    pub fn new(instance: &Instance) -> Result<N8nClient> {
        let policy = OutboundPolicy::public_only()
            .allowing_loopback()
            .allowing_private();
        let settings = ClientSettings {
            timeout: Duration::from_secs(30),
            ..ClientSettings::default()
        };
        Ok(N8nClient {
            url: instance.url.to_string(),
            client: Client::new(
                instance.url.clone(),
                &instance.api_key,
                Transport::new(policy),
                settings,
            ),
        })
    }

    /// The client's error, with n8n's own explanation when it gave one (the operator's own
    /// instance: its words are useful here).
    fn fail(&self, error: N8nError) -> Error {
        let message = match error.server_message() {
            Some(said) => format!("{error} — n8n said: {said}"),
            None => error.to_string(),
        };
        Error::N8n {
            url: self.url.clone(),
            message,
        }
    }

    /// Every workflow of the instance (all pages), archived ones included (`isArchived`).
    pub async fn list_workflows(&self) -> Result<Vec<Value>> {
        let workflows = self
            .client
            .all_workflows()
            .await
            .map_err(|e| self.fail(e))?;
        workflows.iter().map(to_json).collect()
    }

    /// One workflow, or `None` when it does not exist.
    pub async fn get_workflow(&self, id: &str) -> Result<Option<Value>> {
        match self.client.get_workflow(id).await {
            Ok(workflow) => to_json(&workflow).map(Some),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(self.fail(error)),
        }
    }

    /// Creates a workflow (inactive, as n8n creates them); returns n8n's copy.
    pub async fn create_workflow(&self, body: &Value) -> Result<Value> {
        let definition = self.definition(body)?;
        let created = self
            .client
            .create_workflow(&definition)
            .await
            .map_err(|e| self.fail(e))?;
        to_json(&created)
    }

    /// Replaces a workflow's definition in place (same id, so its executions stay).
    pub async fn update_workflow(&self, id: &str, body: &Value) -> Result<Value> {
        let definition = self.definition(body)?;
        let updated = self
            .client
            .update_workflow(id, &definition)
            .await
            .map_err(|e| self.fail(e))?;
        to_json(&updated)
    }

    fn definition(&self, body: &Value) -> Result<WorkflowDefinition> {
        serde_json::from_value(body.clone()).map_err(|e| Error::N8n {
            url: self.url.clone(),
            message: format!("not a workflow definition: {e}"),
        })
    }
}

fn to_json(value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::N8n {
        url: String::new(),
        message: format!("cannot re-encode n8n's reply: {e}"),
    })
}
