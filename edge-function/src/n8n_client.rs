//! A client for the n8n public API (`/api/v1`), native and in workerd alike.
//!
//! Every request carries `X-N8N-API-KEY`, is raced against a timer (reqwest has no timeouts on
//! wasm), and is retried with backoff and jitter on 5xx, 429 and timeouts per
//! [`RetryPolicy`], honouring `Retry-After`. A run's [`Deadline`] caps both the per-request
//! timeout and the waits between attempts.

use std::time::Duration;

use flowpulse_core::n8n::{ApiErrorBody, Execution, ExecutionId, Page, Workflow};
use flowpulse_core::retry::RetryPolicy;
use reqwest::header::{HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use reqwest011 as reqwest;
use serde::de::DeserializeOwned;

use crate::runtime::{self, Deadline};

mod error;
pub use error::N8nError;

/// Largest page n8n serves; larger limits are silently lowered to it.
pub const PAGE_LIMIT: u32 = 250;

/// Filters for `GET /api/v1/executions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionQuery {
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this workflow's executions.
    pub workflow_id: Option<String>,
}

/// One n8n instance, with its API key.
#[derive(Clone)]
pub struct N8nClient {
    base_url: String,
    shown_url: String,
    api_key: String,
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    deadline: Option<Deadline>,
}

impl std::fmt::Debug for N8nClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("N8nClient")
            .field("instance", &self.shown_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A reply as far as the retry loop cares.
struct RawReply {
    status: StatusCode,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl N8nClient {
    /// A client for the instance at `base_url` (with or without a trailing `/` or `/api/v1`).
    pub fn new(base_url: &str, api_key: &str, timeout: Duration, retry: RetryPolicy) -> Self {
        let base_url = base_url.trim().trim_end_matches('/');
        let base_url = base_url
            .strip_suffix("/api/v1")
            .unwrap_or(base_url)
            .to_string();
        Self {
            shown_url: display_url(&base_url),
            base_url,
            api_key: api_key.trim().to_string(),
            http: reqwest::Client::new(),
            timeout,
            retry,
            deadline: None,
        }
    }

    /// Caps every request and retry wait by `deadline`.
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The instance URL as shown in messages (credentials in the URL removed).
    pub fn instance(&self) -> &str {
        &self.shown_url
    }

    /// One page of `GET /api/v1/workflows`.
    pub async fn list_workflows(&self, cursor: Option<&str>) -> Result<Page<Workflow>, N8nError> {
        let mut query = vec![("limit", PAGE_LIMIT.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        self.call(Method::GET, "/workflows", &query, "workflow listing")
            .await
    }

    /// Every workflow, paging until n8n sends no cursor.
    pub async fn all_workflows(&self) -> Result<Vec<Workflow>, N8nError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_workflows(cursor.as_deref()).await?;
            let empty = page.data.is_empty();
            all.extend(page.data);
            match page.next_cursor {
                // An empty page with a cursor would loop forever on a misbehaving server.
                Some(next) if !next.is_empty() && !empty => cursor = Some(next),
                _ => return Ok(all),
            }
        }
    }

    /// `GET /api/v1/workflows/{id}`.
    pub async fn get_workflow(&self, id: &str) -> Result<Workflow, N8nError> {
        let path = format!("/workflows/{}", path_segment(id));
        self.call(Method::GET, &path, &[], &format!("workflow {id}"))
            .await
    }

    /// `DELETE /api/v1/workflows/{id}`; a workflow already gone counts as deleted.
    pub async fn delete_workflow(&self, id: &str) -> Result<(), N8nError> {
        let path = format!("/workflows/{}", path_segment(id));
        match self
            .call::<serde_json::Value>(Method::DELETE, &path, &[], &format!("workflow {id}"))
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// One page of `GET /api/v1/executions`, newest first.
    pub async fn list_executions(
        &self,
        query: &ExecutionQuery,
    ) -> Result<Page<Execution>, N8nError> {
        let mut params = vec![("limit", PAGE_LIMIT.to_string())];
        if let Some(cursor) = &query.cursor {
            params.push(("cursor", cursor.clone()));
        }
        if let Some(workflow_id) = &query.workflow_id {
            params.push(("workflowId", workflow_id.clone()));
        }
        self.call(Method::GET, "/executions", &params, "execution listing")
            .await
    }

    /// `GET /api/v1/executions/{id}`; [`N8nError::NotFound`] when deleted or pruned.
    pub async fn get_execution(&self, id: ExecutionId) -> Result<Execution, N8nError> {
        let path = format!("/executions/{id}");
        self.call(Method::GET, &path, &[], &format!("execution {id}"))
            .await
    }

    /// Sends a request with retries and decodes a successful reply as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, N8nError> {
        let api_key =
            HeaderValue::from_str(&self.api_key).map_err(|_| N8nError::InvalidApiKey {
                instance: self.shown_url.clone(),
            })?;
        let url = format!("{}/api/v1{path}", self.base_url);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (error, status, retry_after) = match self
                .attempt(method.clone(), &url, query, &api_key)
                .await
            {
                Ok(reply) => match self.classify(reply, what) {
                    Classified::Done(result) => return result.and_then(|body| self.decode(&body)),
                    Classified::Transient(error, status, retry_after) => {
                        (error, Some(status), retry_after)
                    }
                },
                Err(error) => (error, None, None),
            };
            let retry_after =
                retry_after.and_then(|value| self.retry.parse_retry_after(&value, runtime::now()));
            let Some(wait) =
                self.retry
                    .next_delay(attempts, status, retry_after, runtime::jitter())
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

    /// One attempt: send and read the whole body, within the timeout.
    async fn attempt(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        api_key: &HeaderValue,
    ) -> Result<RawReply, N8nError> {
        let limit = self.deadline.map_or(self.timeout, |deadline| {
            self.timeout.min(deadline.remaining())
        });
        let timed_out = || N8nError::Timeout {
            instance: self.shown_url.clone(),
            after_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
        };
        if limit.is_zero() {
            return Err(timed_out());
        }
        let request = self
            .http
            .request(method, url)
            .header("X-N8N-API-KEY", api_key.clone())
            .header("Accept", "application/json")
            .query(query);
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(RawReply {
                status,
                retry_after,
                body,
            })
        };
        match runtime::timeout(limit, exchange).await {
            Err(runtime::Elapsed) => Err(timed_out()),
            Ok(Err(error)) if error.is_timeout() => Err(timed_out()),
            Ok(Err(error)) => Err(N8nError::Unreachable {
                instance: self.shown_url.clone(),
                detail: error_chain(&error.without_url()),
            }),
            Ok(Ok(reply)) => Ok(reply),
        }
    }

    fn classify(&self, reply: RawReply, what: &str) -> Classified {
        let instance = self.shown_url.clone();
        let status = reply.status.as_u16();
        match status {
            200..=299 => Classified::Done(Ok(reply.body)),
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
                    .map(|body| body.message)
                    .unwrap_or_default();
                Classified::Done(Err(N8nError::Rejected {
                    instance,
                    status,
                    message: shorten(&message),
                }))
            }
        }
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, N8nError> {
        serde_json::from_slice(body).map_err(|error| N8nError::Malformed {
            instance: self.shown_url.clone(),
            detail: shorten(&error.to_string()),
        })
    }
}

enum Classified {
    /// Final: a decoded-later body or a permanent error.
    Done(Result<Vec<u8>, N8nError>),
    /// Worth retrying: the error to report if not, the status and any `Retry-After`.
    Transient(N8nError, u16, Option<String>),
}

/// The URL without user:password, for messages.
fn display_url(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            // Both only fail for URLs that cannot have credentials in the first place.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.as_str().trim_end_matches('/').to_string()
        }
        _ => base_url.to_string(),
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

/// An error and its sources, joined, e.g. `error sending request: tcp connect error: refused`.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    shorten(&tidy(&text))
}

/// Makes wasm's `JsValue(Error: …\nError: …)` wrappers readable: one line, no repeats.
fn tidy(text: &str) -> String {
    let text = if text.contains("JsValue(") {
        let unwrapped = text.replacen("JsValue(", "", 1);
        unwrapped
            .strip_suffix(')')
            .map_or(unwrapped.clone(), str::to_string)
    } else {
        text.to_string()
    };
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if !line.is_empty() && !lines.iter().any(|seen| seen.contains(line)) {
            lines.push(line);
        }
    }
    lines.join("; ")
}

/// At most 200 characters, cut on a char boundary.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests;
