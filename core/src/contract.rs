//! The JSON contract of the `workflow-sync` edge function.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::rows::SyncStatus;

/// Largest request body the function accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every valid `action` value, in the order error messages list them.
pub const ACTIONS: &[&str] = &[
    "sync_all_workflows",
    "sync_workflow",
    "cleanup_workflows",
    "deploy_workflow",
    "remove_workflow",
    "retry_execution",
];

/// A request body, selected by its `"action"` field.
///
/// Unknown fields are rejected: a misspelt `providerId` would otherwise silently widen a
/// one-provider sync to every provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum SyncRequest {
    /// Sync every provider the caller can see, or only `provider_id`.
    SyncAllWorkflows {
        /// Restrict the run to this provider.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_id: Option<Uuid>,
    },
    /// Sync one workflow's executions.
    SyncWorkflow {
        /// `mvp_workflows.id` of the workflow.
        workflow_id: Uuid,
    },
    /// Archive vanished workflows, delete orphaned `[USR-]` workflows in n8n, prune history.
    CleanupWorkflows {
        /// Report without changing anything; the function decides the default per caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dry_run: Option<bool>,
    },
    /// Deploy a builder conversation's current plan to one of the caller's instances as
    /// `[USR-<8 hex>] <title>`: created the first time, updated in place after.
    DeployWorkflow {
        /// `conversations.id`.
        conversation_id: Uuid,
        /// `providers.id` of the target instance.
        provider_id: Uuid,
        /// Activate it after deploying (default: leave activation as it is; new ones inactive).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activate: Option<bool>,
    },
    /// Remove a builder-made workflow: delete it in n8n, archive its row (history kept).
    RemoveWorkflow {
        /// `mvp_workflows.id` of the workflow.
        workflow_id: Uuid,
    },
    /// Retry a failed execution in n8n (with the workflow's current version) and store the
    /// new one, linked to the one it retried.
    RetryExecution {
        /// `executions.id` of the failed execution.
        execution_id: i64,
    },
}

impl SyncRequest {
    /// The action's wire name.
    pub fn action(&self) -> &'static str {
        match self {
            Self::SyncAllWorkflows { .. } => ACTIONS[0],
            Self::SyncWorkflow { .. } => ACTIONS[1],
            Self::CleanupWorkflows { .. } => ACTIONS[2],
            Self::DeployWorkflow { .. } => ACTIONS[3],
            Self::RemoveWorkflow { .. } => ACTIONS[4],
            Self::RetryExecution { .. } => ACTIONS[5],
        }
    }
}

/// Why a request body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Over [`MAX_BODY_BYTES`].
    #[error("request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Not JSON at all.
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// JSON, but not an object.
    #[error("request body must be a JSON object")]
    NotAnObject,
    /// No `action` field, or not a string.
    #[error("missing \"action\"; expected one of: {valid}", valid = ACTIONS.join(", "))]
    MissingAction,
    /// An `action` this function does not know.
    #[error("unknown action {name:?}; expected one of: {valid}", name = .0, valid = ACTIONS.join(", "))]
    UnknownAction(String),
    /// A known action with missing, mistyped or unexpected fields.
    #[error("invalid fields for {action}: {message}")]
    InvalidFields {
        /// The action named in the body.
        action: String,
        /// What was wrong, from the field decoder.
        message: String,
    },
}

impl RequestError {
    /// The `error.code` of the reply.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "payload_too_large",
            Self::MalformedJson(_) | Self::NotAnObject => "bad_json",
            Self::MissingAction => "missing_action",
            Self::UnknownAction(_) => "unknown_action",
            Self::InvalidFields { .. } => "invalid_fields",
        }
    }

    /// The HTTP status of the reply.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TooLarge => 413,
            _ => 400,
        }
    }

    /// The JSON error body of the reply.
    pub fn to_error_body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}

/// Parses a request body, telling apart each way it can be wrong.
pub fn parse_request(body: &[u8]) -> Result<SyncRequest, RequestError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(RequestError::TooLarge);
    }
    // Two steps (JSON, then fields) so the error says which layer was wrong.
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RequestError::MalformedJson(e.to_string()))?;
    let action = value
        .as_object()
        .ok_or(RequestError::NotAnObject)?
        .get("action")
        .and_then(Value::as_str)
        .ok_or(RequestError::MissingAction)?;
    if !ACTIONS.contains(&action) {
        return Err(RequestError::UnknownAction(action.to_string()));
    }
    let action = action.to_string();
    serde_json::from_value(value).map_err(|e| RequestError::InvalidFields {
        action,
        message: e.to_string(),
    })
}

/// The reply to a successful request (possibly with per-provider failures inside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// False if any provider failed.
    pub ok: bool,
    /// The action performed.
    pub action: String,
    /// One entry per provider touched.
    pub results: Vec<ProviderResult>,
    /// The `sync_logs` rows written.
    pub sync_log_ids: Vec<Uuid>,
    /// Present for `cleanup_workflows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<CleanupReport>,
    /// Present for `deploy_workflow` and `remove_workflow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentReport>,
    /// Present for `retry_execution`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryReport>,
}

/// What `retry_execution` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryReport {
    /// `executions.id` of the execution retried.
    pub execution_id: i64,
    /// n8n's id of the new execution (`mode: retry`, `retryOf` the original).
    pub retry_n8n_execution_id: i64,
    /// The new execution's status when n8n answered.
    pub status: crate::n8n::ExecutionStatus,
}

/// What `deploy_workflow` or `remove_workflow` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentReport {
    /// `workflow_deployments.id`.
    pub deployment_id: Option<Uuid>,
    /// `mvp_workflows.id` of the workflow.
    pub workflow_id: Option<Uuid>,
    /// n8n's id of the workflow.
    pub n8n_workflow_id: Option<String>,
    /// Its name in n8n (`[USR-<8 hex>] <title>`).
    pub name: String,
    /// What happened.
    pub outcome: DeployOutcome,
    /// Whether it is active in n8n now.
    pub active: bool,
    /// Credentials created in (or replaced in) the target n8n for it, by name.
    #[serde(default)]
    pub credentials_created: Vec<String>,
}

/// What a deploy or remove did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployOutcome {
    /// A new workflow in n8n.
    Created,
    /// The same workflow, changed in place.
    Updated,
    /// Nothing to change.
    Unchanged,
    /// Another request is deploying this conversation to this instance right now.
    InProgress,
    /// Deleted in n8n, archived in FlowPulse.
    Removed,
}

/// The outcome for one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderResult {
    /// `providers.id`.
    pub provider_id: Uuid,
    /// The provider's display name.
    pub provider: String,
    /// How the run ended.
    pub status: SyncStatus,
    /// Workflows upserted.
    pub workflows_synced: u64,
    /// Executions ingested.
    pub executions_synced: u64,
    /// Time spent on this provider.
    pub duration_ms: u64,
    /// What went wrong, safe to show (never internals or secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A workflow named in a cleanup report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupWorkflow {
    /// The provider it belongs to.
    pub provider_id: Uuid,
    /// n8n's id of the workflow.
    pub n8n_workflow_id: String,
    /// Its name.
    pub name: String,
}

/// What `cleanup_workflows` did, or would do in a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Workflows archived in FlowPulse because n8n no longer lists them.
    pub archived_workflows: Vec<CleanupWorkflow>,
    /// Orphaned `[USR-]` workflows deleted in n8n.
    pub deleted_n8n_workflows: Vec<CleanupWorkflow>,
    /// `sync_logs` rows pruned by retention.
    pub pruned_sync_logs: u64,
    /// `executions` rows pruned by retention.
    pub pruned_executions: u64,
}

/// The body of every error reply: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Machine-readable code plus a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, snake_case code such as `unknown_action`.
    pub code: String,
    /// Message for people.
    pub message: String,
}

impl ErrorBody {
    /// An error body with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: &str) -> Result<SyncRequest, RequestError> {
        parse_request(body.as_bytes())
    }

    #[test]
    fn each_action_parses_with_and_without_its_optional_fields() {
        let id = Uuid::from_u128(7);
        assert_eq!(
            parse(r#"{"action":"sync_all_workflows"}"#),
            Ok(SyncRequest::SyncAllWorkflows { provider_id: None })
        );
        assert_eq!(
            parse(&format!(
                r#"{{"action":"sync_all_workflows","provider_id":"{id}"}}"#
            )),
            Ok(SyncRequest::SyncAllWorkflows {
                provider_id: Some(id)
            })
        );
        assert_eq!(
            parse(&format!(
                r#"{{"action":"sync_workflow","workflow_id":"{id}"}}"#
            )),
            Ok(SyncRequest::SyncWorkflow { workflow_id: id })
        );
        assert_eq!(
            parse(r#"{"action":"cleanup_workflows","dry_run":false}"#),
            Ok(SyncRequest::CleanupWorkflows {
                dry_run: Some(false)
            })
        );
        assert_eq!(
            parse(r#"{"action":"sync_all_workflows","provider_id":null}"#),
            Ok(SyncRequest::SyncAllWorkflows { provider_id: None })
        );
    }

    #[test]
    fn a_request_serializes_back_to_the_same_body() {
        for action in ACTIONS {
            let deploy = json!({ "action": action, "conversation_id": Uuid::nil(),
                                 "provider_id": Uuid::nil(), "activate": true });
            let retry = json!({ "action": action, "execution_id": 42 });
            let request =
                parse(&json!({ "action": action, "workflow_id": Uuid::nil() }).to_string())
                    .or_else(|_| parse(&json!({ "action": action }).to_string()))
                    .or_else(|_| parse(&deploy.to_string()))
                    .or_else(|_| parse(&retry.to_string()))
                    .unwrap();
            assert_eq!(request.action(), *action);
            assert_eq!(
                parse(&serde_json::to_string(&request).unwrap()),
                Ok(request)
            );
        }
    }

    #[test]
    fn broken_json_is_malformed_and_non_objects_are_rejected() {
        assert!(matches!(
            parse("{\"action\":"),
            Err(RequestError::MalformedJson(_))
        ));
        assert!(matches!(parse(""), Err(RequestError::MalformedJson(_))));
        assert_eq!(parse("[1]"), Err(RequestError::NotAnObject));
        assert_eq!(parse("\"sync_workflow\""), Err(RequestError::NotAnObject));
    }

    #[test]
    fn a_missing_or_non_string_action_is_missing() {
        assert_eq!(parse("{}"), Err(RequestError::MissingAction));
        assert_eq!(parse(r#"{"action": 3}"#), Err(RequestError::MissingAction));
        assert_eq!(
            parse(r#"{"action": null}"#),
            Err(RequestError::MissingAction)
        );
    }

    #[test]
    fn an_unknown_action_lists_the_valid_ones() {
        let error = parse(r#"{"action":"sync_everything"}"#).unwrap_err();
        assert_eq!(error, RequestError::UnknownAction("sync_everything".into()));
        let message = error.to_string();
        assert!(
            ACTIONS.iter().all(|action| message.contains(action)),
            "{message}"
        );
        assert_eq!(error.code(), "unknown_action");
        assert_eq!(error.http_status(), 400);
    }

    #[test]
    fn bad_fields_for_a_known_action_name_the_action() {
        for body in [
            r#"{"action":"sync_workflow"}"#,
            r#"{"action":"sync_workflow","workflow_id":"not-a-uuid"}"#,
            r#"{"action":"cleanup_workflows","dry_run":"yes"}"#,
            r#"{"action":"sync_all_workflows","providerId":"00000000-0000-0000-0000-000000000001"}"#,
        ] {
            match parse(body) {
                Err(RequestError::InvalidFields { action, .. }) => {
                    assert!(body.contains(&action), "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_oversized_body_is_refused_before_parsing() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        let error = parse_request(&body).unwrap_err();
        assert_eq!(error, RequestError::TooLarge);
        assert_eq!(error.http_status(), 413);
    }

    #[test]
    fn error_bodies_and_responses_have_the_documented_shape() {
        let body = serde_json::to_value(RequestError::MissingAction.to_error_body()).unwrap();
        assert_eq!(body["error"]["code"], "missing_action");
        let response = SyncResponse {
            ok: true,
            action: "sync_all_workflows".into(),
            results: vec![ProviderResult {
                provider_id: Uuid::nil(),
                provider: "prod".into(),
                status: SyncStatus::Success,
                workflows_synced: 2,
                executions_synced: 10,
                duration_ms: 120,
                error: None,
            }],
            sync_log_ids: vec![Uuid::nil()],
            cleanup: None,
            deployment: None,
            retry: None,
        };
        let wire = serde_json::to_value(&response).unwrap();
        assert_eq!(wire["results"][0]["status"], "success");
        assert!(wire["results"][0].get("error").is_none());
        assert!(wire.get("cleanup").is_none());
    }
}
