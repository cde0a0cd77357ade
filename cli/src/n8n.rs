//! The n8n public-API calls the tool makes: list, read, create and update workflows.

use crate::config::Instance;
use crate::error::{Error, Result};
use serde_json::Value;
use std::time::Duration;

/// A client for one instance's public API (`/api/v1`, `X-N8N-API-KEY`).
pub struct N8nClient {
    url: String,
    api_key: String,
    http: reqwest::Client,
}

impl N8nClient {
    pub fn new(instance: &Instance) -> Result<N8nClient> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::N8n {
                url: instance.url.clone(),
                message: e.to_string(),
            })?;
        Ok(N8nClient {
            url: instance.url.clone(),
            api_key: instance.api_key.clone(),
            http,
        })
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::N8n {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    /// Sends a request; `Ok(None)` for 404, the JSON body for 2xx, an error naming the
    /// status and n8n's message otherwise.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Option<Value>> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.url))
            .header("X-N8N-API-KEY", &self.api_key)
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = request
            .send()
            .await
            .map_err(|e| self.fail(format!("{method} {path}: {e}")))?;
        let status = reply.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let text = reply
            .text()
            .await
            .map_err(|e| self.fail(format!("{method} {path}: {e}")))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(
                self.fail("the API key was refused (401): check the instance's api_key_env")
            );
        }
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or(text);
            return Err(self.fail(format!("{method} {path} answered {status}: {message}")));
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| self.fail(format!("{method} {path}: not JSON: {e}")))
    }

    /// Every workflow of the instance (all pages), archived ones included (`isArchived`).
    pub async fn list_workflows(&self) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "250")];
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let page = self
                .call(reqwest::Method::GET, "/workflows", &query, None)
                .await?
                .ok_or_else(|| self.fail("GET /workflows: 404 (is this an n8n URL?)"))?;
            all.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(all),
            }
        }
    }

    /// One workflow, or `None` when it does not exist.
    pub async fn get_workflow(&self, id: &str) -> Result<Option<Value>> {
        self.call(reqwest::Method::GET, &format!("/workflows/{id}"), &[], None)
            .await
    }

    /// Creates a workflow (inactive, as n8n creates them); returns n8n's copy.
    pub async fn create_workflow(&self, body: &Value) -> Result<Value> {
        self.call(reqwest::Method::POST, "/workflows", &[], Some(body))
            .await?
            .ok_or_else(|| self.fail("POST /workflows: 404"))
    }

    /// Replaces a workflow's definition in place (same id, so its executions stay).
    pub async fn update_workflow(&self, id: &str, body: &Value) -> Result<Value> {
        self.call(
            reqwest::Method::PUT,
            &format!("/workflows/{id}"),
            &[],
            Some(body),
        )
        .await?
        .ok_or_else(|| self.fail(format!("PUT /workflows/{id}: the workflow is gone")))
    }
}
