//! The builder's deploy and remove: `deploy_workflow` and `remove_workflow` of the edge
//! function, called with the user's JWT, and their replies in words for the chat page.

use super::edge::{call, interpret_action, ActionWords};
use super::session::Session;
use super::state::ServerState;
use crate::error::AppError;
use flowpulse_core::contract::{DeployOutcome, DeploymentReport, SyncRequest};
use std::time::Duration;
use uuid::Uuid;

/// Creating credentials and a workflow is a handful of n8n calls; the function's own n8n
/// timeouts end a stuck one well before this.
const DEPLOY_TIMEOUT: Duration = Duration::from_secs(90);

/// Deploys the conversation's current plan to one of the user's instances.
pub async fn deploy(
    state: &ServerState,
    session: &Session,
    conversation_id: Uuid,
    provider_id: Uuid,
    activate: Option<bool>,
) -> Result<DeploymentReport, AppError> {
    let request = SyncRequest::DeployWorkflow {
        conversation_id,
        provider_id,
        activate,
    };
    let (status, body) = call(state, session, &request, DEPLOY_TIMEOUT).await?;
    interpret(status, &body)
}

/// Deletes a builder-made workflow in n8n (its row is archived, its history kept).
pub async fn remove(
    state: &ServerState,
    session: &Session,
    workflow_id: Uuid,
) -> Result<DeploymentReport, AppError> {
    let request = SyncRequest::RemoveWorkflow { workflow_id };
    let (status, body) = call(state, session, &request, DEPLOY_TIMEOUT).await?;
    interpret(status, &body)
}

/// How the deploy and remove replies are worded.
const WORDS: ActionWords = ActionWords {
    unreadable_log: "deploy: reply without a deployment",
    unreadable:
        "The deploy finished but its report was unreadable. Reload the page to see its state.",
    not_found:
        "That chat, instance or workflow no longer exists, or is not yours. Reload the page.",
    invalid: "Not ready to deploy:",
    refused_log: "deploy refused by n8n",
    refused: "n8n did not take it:",
    noun: "deploy",
};

/// The function's reply as a report, or the error the user reads.
pub fn interpret(status: u16, body: &[u8]) -> Result<DeploymentReport, AppError> {
    interpret_action(status, body, &WORDS, |reply| reply.deployment)
}

/// What a deploy or remove did, for the notice under the buttons.
pub fn describe(report: &DeploymentReport, instance: &str) -> String {
    let state = if report.active { "active" } else { "inactive" };
    let mut text = match report.outcome {
        DeployOutcome::Created => {
            format!("Deployed to “{instance}” as “{}” ({state}).", report.name)
        }
        DeployOutcome::Updated => {
            format!("Updated “{}” on “{instance}” in place ({state}).", report.name)
        }
        DeployOutcome::Unchanged => {
            format!("“{}” on “{instance}” was already up to date ({state}).", report.name)
        }
        DeployOutcome::InProgress => format!(
            "A deploy to “{instance}” is already under way (another tab?); its state shows here when it is done."
        ),
        DeployOutcome::Removed => format!(
            "Removed “{}” from “{instance}”. Its history stays in FlowPulse.",
            report.name
        ),
    };
    if !report.credentials_created.is_empty() {
        text.push_str(&format!(
            " Credentials created in n8n: {}.",
            report.credentials_created.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(outcome: DeployOutcome) -> DeploymentReport {
        DeploymentReport {
            deployment_id: Some(Uuid::nil()),
            workflow_id: Some(Uuid::nil()),
            n8n_workflow_id: Some("abc".into()),
            name: "[USR-1234abcd] Orders".into(),
            outcome,
            active: true,
            credentials_created: vec!["Team Slack".into()],
        }
    }

    #[test]
    fn a_deployment_report_is_read_from_the_reply() {
        let body = json!({"ok": true, "action": "deploy_workflow", "results": [],
                          "sync_log_ids": [], "deployment": report(DeployOutcome::Created)});
        let read = interpret(200, body.to_string().as_bytes()).unwrap();
        assert_eq!(read, report(DeployOutcome::Created));
        assert!(matches!(
            interpret(200, br#"{"ok":true}"#),
            Err(AppError::Upstream(_))
        ));
    }

    #[test]
    fn refusals_become_the_users_errors_in_sentences() {
        let body = |code: &str, message: &str| {
            json!({"error": {"code": code, "message": message}}).to_string()
        };
        assert_eq!(
            interpret(
                422,
                body("unprocessable", "the conversation has no workflow yet").as_bytes()
            ),
            Err(AppError::Invalid(
                "Not ready to deploy: the conversation has no workflow yet.".into()
            ))
        );
        assert_eq!(
            interpret(
                502,
                body("deploy_failed", "n8n at x refused the API key").as_bytes()
            ),
            Err(AppError::Upstream(
                "n8n did not take it: n8n at x refused the API key.".into()
            ))
        );
        assert!(matches!(
            interpret(404, body("not_found", "x").as_bytes()),
            Err(AppError::NotFound(_))
        ));
        assert_eq!(interpret(401, b""), Err(AppError::Unauthorized));
        assert!(matches!(
            interpret(500, b"<html>"),
            Err(AppError::Upstream(_))
        ));
    }

    #[test]
    fn each_outcome_is_told_with_the_instance_and_the_credentials_made() {
        let text = describe(&report(DeployOutcome::Created), "Production");
        assert_eq!(
            text,
            "Deployed to “Production” as “[USR-1234abcd] Orders” (active). Credentials created in n8n: Team Slack."
        );
        let busy = describe(&report(DeployOutcome::InProgress), "Production");
        assert!(busy.contains("already under way"), "{busy}");
    }
}
