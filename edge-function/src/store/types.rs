//! Error and reply types of the store.

use flowpulse_core::postgrest::{classify, ErrorBody, ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A PostgREST call failed. `Display` is for logs (it may show SQL details), never for replies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// PostgREST answered with an error: its JSON `{code, message, details, hint}`.
    #[error("PostgREST answered HTTP {status} ({code}): {message}{}{}",
        details.as_deref().map(|d| format!("; details: {d}")).unwrap_or_default(),
        hint.as_deref().map(|h| format!("; hint: {h}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// PostgreSQL SQLSTATE or `PGRSTxxx`; empty if the body had none.
        code: String,
        /// The message.
        message: String,
        /// Extra detail, if any.
        details: Option<String>,
        /// A hint, if any.
        hint: Option<String>,
    },
    /// No HTTP reply.
    #[error("PostgREST is unreachable: {0}")]
    Unreachable(String),
    /// No reply in time.
    #[error("PostgREST did not answer within {0} ms")]
    Timeout(u64),
    /// A success reply that is not the expected JSON.
    #[error("PostgREST sent an unexpected reply: {0}")]
    Malformed(String),
    /// The token or API key cannot be sent as a header.
    #[error("the {0} is not a valid HTTP header value")]
    InvalidHeader(&'static str),
}

impl StoreError {
    /// What kind of failure PostgREST reported ([`ErrorKind::Other`] for no reply at all).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Api { status, code, .. } => classify(
                *status,
                Some(code).filter(|c| !c.is_empty()).map(String::as_str),
            ),
            _ => ErrorKind::Other,
        }
    }

    /// The PostgreSQL / PostgREST error code, if PostgREST sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }
}

/// PostgREST's error JSON.
/// A PostgREST error body as the store's error.
pub(super) fn api_error(body: ErrorBody, status: u16) -> StoreError {
    StoreError::Api {
        status,
        details: body.details_text(),
        hint: body.hint_text(),
        code: body.code.unwrap_or_default(),
        message: body.message.unwrap_or_default(),
    }
}

/// What one `ingest_executions` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct IngestOutcome {
    /// Executions inserted.
    #[serde(default)]
    pub inserted: u64,
    /// Executions changed.
    #[serde(default)]
    pub updated: u64,
    /// Workflows whose counters changed.
    #[serde(default)]
    pub workflows_changed: u64,
    /// The provider's watermark after the call.
    #[serde(default)]
    pub watermark: i64,
}

/// What `prune_history` removed (or would remove).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PruneOutcome {
    /// `sync_logs` rows.
    #[serde(default)]
    pub sync_logs: u64,
    /// `executions` rows.
    #[serde(default)]
    pub executions: u64,
}

/// A workflow row named by id, as `sync_workflow` needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowRef {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// n8n's id.
    pub n8n_workflow_id: String,
    /// Name.
    pub name: String,
}

/// A workflow `archive_missing_workflows` archived (or would archive).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ArchivedWorkflow {
    /// `mvp_workflows.id`.
    pub id: Uuid,
    /// n8n's id.
    pub n8n_workflow_id: String,
    /// Name.
    pub name: String,
}
