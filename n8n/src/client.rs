//! A client for one n8n instance's public API (`/api/v1`), native and in workerd alike.
//!
//! Before every request the outbound rule judges the URL (and, natively, each resolved
//! address). Every request carries `X-N8N-API-KEY`, is raced against a timer (reqwest has no
//! timeouts on wasm), and reads are retried with backoff and jitter on 5xx, 429 and timeouts
//! per [`RetryPolicy`], honouring `Retry-After`; writes (POST) only on 429, so nothing is created
//! twice. A run's [`Deadline`] caps both the per-request timeout and the waits between attempts.

use std::time::Duration;

use flowpulse_core::base_url::BaseUrl;
use flowpulse_core::n8n::{ApiErrorBody, Execution, ExecutionId, Page, Tag, Workflow};
use flowpulse_core::retry::RetryPolicy;
use flowpulse_core::text::shorten;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::N8nError;
use crate::runtime::{self, Deadline};
use crate::transport::{Method, Outgoing, RawReply, Transport, TransportError};
use crate::types::{CreatedCredential, NewCredential, WorkflowDefinition};

/// Largest page n8n serves; larger limits are silently lowered to it.
pub const PAGE_LIMIT: u32 = 250;

/// Default cap on one reply: a page of 250 large workflows fits, a runaway body does not.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// How a client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// Timeout of one request (capped by the deadline, if any).
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Replies longer than this fail with [`N8nError::TooLarge`].
    pub max_reply_bytes: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
        }
    }
}

/// Filters for `GET /api/v1/executions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionQuery {
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this workflow's executions.
    pub workflow_id: Option<String>,
    /// Only executions in this status (`error`, `success`, `waiting`, ...).
    pub status: Option<String>,
    /// Ask for run data too (large: use with a small `limit`).
    pub include_data: bool,
    /// Page size; [`PAGE_LIMIT`] when `None`.
    pub limit: Option<u32>,
}

/// One n8n instance, with its API key.
#[derive(Clone)]
pub struct N8nClient {
    base_url: BaseUrl,
    api_key: String,
    transport: Transport,
    settings: ClientSettings,
    deadline: Option<Deadline>,
}

impl std::fmt::Debug for N8nClient {
    // Hand-written so the key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("N8nClient")
            .field("instance", &self.base_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl N8nClient {
    /// A client for the instance at `base_url`, sending through `transport` (which carries the
    /// outbound rule).
    pub fn new(
        base_url: BaseUrl,
        api_key: &str,
        transport: Transport,
        settings: ClientSettings,
    ) -> Self {
        Self {
            base_url,
            api_key: api_key.trim().to_string(),
            transport,
            settings,
            deadline: None,
        }
    }

    /// Caps every request and retry wait by `deadline`.
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The instance URL, as shown in messages.
    pub fn instance(&self) -> &str {
        self.base_url.as_str()
    }

    /// One page of `GET /api/v1/workflows`.
    pub async fn list_workflows(&self, cursor: Option<&str>) -> Result<Page<Workflow>, N8nError> {
        let mut query = vec![("limit", PAGE_LIMIT.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        self.read("/workflows", &query, "workflow listing").await
    }

    /// One cheap authenticated call (`GET /workflows?limit=1`): proves that the URL reaches
    /// n8n's public API and that the key is accepted.
    pub async fn ping(&self) -> Result<(), N8nError> {
        let query = [("limit", "1".to_string())];
        self.read::<Page<serde_json::Value>>("/workflows", &query, "workflow listing")
            .await
            .map(drop)
    }

    /// Every workflow (archived ones included, flagged `is_archived`).
    pub async fn all_workflows(&self) -> Result<Vec<Workflow>, N8nError> {
        all_pages(|cursor| async move { self.list_workflows(cursor.as_deref()).await }).await
    }

    /// `GET /api/v1/workflows/{id}`.
    pub async fn get_workflow(&self, id: &str) -> Result<Workflow, N8nError> {
        let path = format!("/workflows/{}", path_segment(id));
        self.read(&path, &[], &format!("workflow {id}")).await
    }

    /// `POST /api/v1/workflows`: creates it (inactive, as n8n creates workflows).
    pub async fn create_workflow(
        &self,
        definition: &WorkflowDefinition,
    ) -> Result<Workflow, N8nError> {
        self.write(Method::Post, "/workflows", definition, "workflow creation")
            .await
    }

    /// `PUT /api/v1/workflows/{id}`: replaces the definition in place (same id, so its
    /// executions stay).
    pub async fn update_workflow(
        &self,
        id: &str,
        definition: &WorkflowDefinition,
    ) -> Result<Workflow, N8nError> {
        let path = format!("/workflows/{}", path_segment(id));
        self.write(Method::Put, &path, definition, &format!("workflow {id}"))
            .await
    }

    /// `POST /api/v1/workflows/{id}/activate`.
    pub async fn activate_workflow(&self, id: &str) -> Result<Workflow, N8nError> {
        let path = format!("/workflows/{}/activate", path_segment(id));
        self.write(
            Method::Post,
            &path,
            &serde_json::json!({}),
            &format!("workflow {id}"),
        )
        .await
    }

    /// `POST /api/v1/workflows/{id}/deactivate`.
    pub async fn deactivate_workflow(&self, id: &str) -> Result<Workflow, N8nError> {
        let path = format!("/workflows/{}/deactivate", path_segment(id));
        self.write(
            Method::Post,
            &path,
            &serde_json::json!({}),
            &format!("workflow {id}"),
        )
        .await
    }

    /// `DELETE /api/v1/workflows/{id}`; a workflow already gone counts as deleted.
    pub async fn delete_workflow(&self, id: &str) -> Result<(), N8nError> {
        let path = format!("/workflows/{}", path_segment(id));
        self.delete(&path, &format!("workflow {id}")).await
    }

    /// One page of `GET /api/v1/executions`, newest first.
    pub async fn list_executions(
        &self,
        query: &ExecutionQuery,
    ) -> Result<Page<Execution>, N8nError> {
        let limit = query.limit.unwrap_or(PAGE_LIMIT).min(PAGE_LIMIT);
        let mut params = vec![("limit", limit.to_string())];
        if let Some(cursor) = &query.cursor {
            params.push(("cursor", cursor.clone()));
        }
        if let Some(workflow_id) = &query.workflow_id {
            params.push(("workflowId", workflow_id.clone()));
        }
        if let Some(status) = &query.status {
            params.push(("status", status.clone()));
        }
        if query.include_data {
            params.push(("includeData", "true".into()));
        }
        self.read("/executions", &params, "execution listing").await
    }

    /// `GET /api/v1/executions/{id}`; [`N8nError::NotFound`] when deleted or pruned.
    pub async fn get_execution(
        &self,
        id: ExecutionId,
        include_data: bool,
    ) -> Result<Execution, N8nError> {
        let query = if include_data {
            vec![("includeData", "true".to_string())]
        } else {
            Vec::new()
        };
        self.read(
            &format!("/executions/{id}"),
            &query,
            &format!("execution {id}"),
        )
        .await
    }

    /// `POST /api/v1/executions/{id}/retry`: a new execution (`mode: retry`, `retryOf: id`);
    /// with `load_workflow`, of the workflow's current version.
    pub async fn retry_execution(
        &self,
        id: ExecutionId,
        load_workflow: bool,
    ) -> Result<Execution, N8nError> {
        let body = serde_json::json!({ "loadWorkflow": load_workflow });
        let path = format!("/executions/{id}/retry");
        self.write(
            Method::Post,
            &path,
            &body,
            &format!("retry of execution {id}"),
        )
        .await
    }

    /// `POST /api/v1/credentials`. The secret `data` is write-only in n8n: never returned.
    pub async fn create_credential(
        &self,
        credential: &NewCredential,
    ) -> Result<CreatedCredential, N8nError> {
        self.write(
            Method::Post,
            "/credentials",
            credential,
            "credential creation",
        )
        .await
    }

    /// `DELETE /api/v1/credentials/{id}`; one already gone counts as deleted.
    pub async fn delete_credential(&self, id: &str) -> Result<(), N8nError> {
        let path = format!("/credentials/{}", path_segment(id));
        self.delete(&path, &format!("credential {id}")).await
    }

    /// `GET /api/v1/credentials/schema/{type}`: the JSON Schema of a credential type's data.
    pub async fn credential_schema(
        &self,
        credential_type: &str,
    ) -> Result<serde_json::Value, N8nError> {
        let path = format!("/credentials/schema/{}", path_segment(credential_type));
        self.read(&path, &[], &format!("credential type {credential_type}"))
            .await
    }

    /// Every tag (`GET /api/v1/tags`, all pages).
    pub async fn all_tags(&self) -> Result<Vec<Tag>, N8nError> {
        all_pages(|cursor| async move {
            let mut query = vec![("limit", PAGE_LIMIT.to_string())];
            if let Some(cursor) = cursor {
                query.push(("cursor", cursor));
            }
            self.read("/tags", &query, "tag listing").await
        })
        .await
    }

    async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, N8nError> {
        let body = self.call(Method::Get, path, query, None, what).await?;
        self.decode(&body, what)
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
        what: &str,
    ) -> Result<T, N8nError> {
        let json = serde_json::to_vec(body).map_err(|_| N8nError::Malformed {
            instance: self.instance().to_string(),
            what: what.to_string(),
        })?;
        let reply = self.call(method, path, &[], Some(&json), what).await?;
        self.decode(&reply, what)
    }

    async fn delete(&self, path: &str, what: &str) -> Result<(), N8nError> {
        match self.call(Method::Delete, path, &[], None, what).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Sends a request with retries; the body of a successful reply.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        what: &str,
    ) -> Result<Vec<u8>, N8nError> {
        let instance = || self.instance().to_string();
        self.transport
            .policy()
            .check_url(&self.base_url)
            .map_err(|reason| N8nError::Refused {
                instance: instance(),
                reason,
            })?;
        if !self.api_key.bytes().all(|b| b.is_ascii_graphic()) || self.api_key.is_empty() {
            return Err(N8nError::InvalidApiKey {
                instance: instance(),
            });
        }
        let url = self.url(path, query);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outgoing = Outgoing {
                method,
                url: &url,
                api_key: Some(&self.api_key),
                bearer: None,
                body,
                max_reply_bytes: self.settings.max_reply_bytes,
            };
            let (error, status, retry_after) = match self.attempt(outgoing, what).await {
                Ok(reply) => match self.classify(reply, what) {
                    Classified::Done(result) => return result,
                    Classified::Transient(error, status, retry_after) => {
                        (error, Some(status), retry_after)
                    }
                },
                Err(error) if error.is_unreachable() => (error, None, None),
                Err(error) => return Err(error),
            };
            // A POST that may have reached n8n is not repeated: it could create twice.
            if method == Method::Post && status != Some(429) {
                return Err(error);
            }
            let retry = self.settings.retry;
            let retry_after =
                retry_after.and_then(|value| retry.parse_retry_after(&value, runtime::now()));
            let Some(wait) = retry.next_delay(attempts, status, retry_after, runtime::jitter())
            else {
                return Err(error);
            };
            if self
                .deadline
                .is_some_and(|deadline| wait >= deadline.remaining())
            {
                return Err(error);
            }
            runtime::sleep(wait).await;
        }
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = self.base_url.api(path);
        if !query.is_empty() {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query.iter().map(|(key, value)| (*key, value.as_str())))
                .finish();
            url.push('?');
            url.push_str(&encoded);
        }
        url
    }

    /// One attempt: send and read the whole body, within the timeout.
    async fn attempt(&self, outgoing: Outgoing<'_>, what: &str) -> Result<RawReply, N8nError> {
        let limit = self.deadline.map_or(self.settings.timeout, |deadline| {
            self.settings.timeout.min(deadline.remaining())
        });
        let instance = || self.instance().to_string();
        let timed_out = || N8nError::Timeout {
            instance: instance(),
            after_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
        };
        if limit.is_zero() {
            return Err(timed_out());
        }
        match runtime::timeout(limit, self.transport.send(outgoing)).await {
            Err(runtime::Elapsed) => Err(timed_out()),
            Ok(Ok(reply)) => Ok(reply),
            #[cfg(not(target_arch = "wasm32"))]
            Ok(Err(TransportError::Refused(reason))) => Err(N8nError::Refused {
                instance: instance(),
                reason,
            }),
            Ok(Err(TransportError::Connect(detail))) => Err(N8nError::Unreachable {
                instance: instance(),
                detail,
            }),
            Ok(Err(TransportError::TooLarge)) => Err(N8nError::TooLarge {
                instance: instance(),
                what: what.to_string(),
                limit_bytes: self.settings.max_reply_bytes,
            }),
        }
    }

    fn classify(&self, reply: RawReply, what: &str) -> Classified {
        let instance = self.instance().to_string();
        let status = reply.status;
        match status {
            200..=299 => Classified::Done(Ok(reply.body)),
            300..=399 => Classified::Done(Err(N8nError::Redirected { instance, status })),
            401 | 403 => Classified::Done(Err(N8nError::Unauthorized { instance, status })),
            404 => Classified::Done(Err(N8nError::NotFound {
                instance,
                what: what.to_string(),
            })),
            429 | 500..=599 => Classified::Transient(
                N8nError::Server { instance, status },
                status,
                reply.retry_after,
            ),
            _ => {
                let message = serde_json::from_slice::<ApiErrorBody>(&reply.body)
                    .ok()
                    .map(|body| shorten(&body.message))
                    .filter(|message| !message.is_empty());
                Classified::Done(Err(N8nError::Rejected {
                    instance,
                    what: what.to_string(),
                    status,
                    message,
                }))
            }
        }
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8], what: &str) -> Result<T, N8nError> {
        serde_json::from_slice(body).map_err(|_| N8nError::Malformed {
            instance: self.instance().to_string(),
            what: what.to_string(),
        })
    }
}

enum Classified {
    /// Final: a body to decode or a permanent error.
    Done(Result<Vec<u8>, N8nError>),
    /// Worth retrying: the error to report if not, the status and any `Retry-After`.
    Transient(N8nError, u16, Option<String>),
}

/// Every item of a cursor-paged listing: `fetch` gets the cursor of the next page (`None` for
/// the first) and the loop ends when n8n sends no cursor — or an empty page with one, which a
/// misbehaving server could otherwise send forever.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, N8nError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, N8nError>>,
{
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = fetch(cursor.take()).await?;
        let empty = page.data.is_empty();
        all.extend(page.data);
        match page.next_cursor {
            Some(next) if !next.is_empty() && !empty => cursor = Some(next),
            _ => return Ok(all),
        }
    }
}

/// Percent-encodes an id for use as one path segment.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
