//! The `workflow-sync` edge function, called with the user's JWT exactly as curl would: "Sync now"
//! here, the builder's deploy and remove in `deploy`, "Retry" in `retry`; the replies of the
//! single-report actions are read by [`interpret_action`].

use super::errors;
use super::session::Session;
use super::state::ServerState;
use crate::error::AppError;
use crate::model::InstanceSyncResult;
use flowpulse_core::contract::{ErrorBody, ProviderResult, SyncRequest, SyncResponse};
use flowpulse_core::rows::SyncStatus;
use std::time::Duration;
use uuid::Uuid;

/// A sync of many instances can take a while; the function has its own time budget below this.
const SYNC_TIMEOUT: Duration = Duration::from_secs(180);

/// Asks the edge function to sync every instance of the user, or only `provider_id`.
pub async fn sync_all(
    state: &ServerState,
    session: &Session,
    provider_id: Option<Uuid>,
) -> Result<SyncResponse, AppError> {
    let request = SyncRequest::SyncAllWorkflows { provider_id };
    let (status, body) = call(state, session, &request, SYNC_TIMEOUT).await?;
    interpret_reply(status, &body)
}

/// POSTs `request` to `workflow-sync` with the user's JWT, exactly as curl would; the reply's
/// status and body, whatever the status.
pub async fn call(
    state: &ServerState,
    session: &Session,
    request: &SyncRequest,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), AppError> {
    let url = format!("{}/workflow-sync", state.config.functions_url);
    let response = state
        .http
        .post(&url)
        .bearer_auth(&session.token)
        .header("apikey", &state.config.anon_key)
        .timeout(timeout)
        .json(request)
        .send()
        .await
        .map_err(|error| {
            errors::upstream(
                "sync function unreachable",
                error,
                "The sync function is not answering. Try again in a minute.",
            )
        })?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|error| {
        errors::upstream(
            "sync function reply cut off",
            error,
            "The sync function's reply was cut off. Try again.",
        )
    })?;
    Ok((status, body.to_vec()))
}

/// The function's reply as a result. A 502 may still carry per-instance results (one instance
/// unreachable while others synced), so the body's shape decides, not only the status.
pub fn interpret_reply(status: u16, body: &[u8]) -> Result<SyncResponse, AppError> {
    if let Ok(response) = serde_json::from_slice::<SyncResponse>(body) {
        return Ok(response);
    }
    if status == 401 {
        return Err(AppError::Unauthorized);
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        // The function's messages are written to be shown (its 500s never carry internals).
        Ok(error) => Err(errors::upstream(
            "sync function error",
            format_args!("{status} {}", error.error.code),
            format!("Sync failed: {}", error.error.message),
        )),
        Err(_) => Err(errors::upstream(
            "sync function: unexpected reply",
            format_args!("{status}: {}", String::from_utf8_lossy(body)),
            format!("The sync function answered unexpectedly (HTTP {status}). Try again later."),
        )),
    }
}

/// How one action's outcomes are worded. The function's messages for 404, 422 and 502 are
/// written to be shown (n8n's own words never reach them); these frame them for the page.
pub struct ActionWords {
    /// Log label of a 2xx reply without the action's report.
    pub unreadable_log: &'static str,
    /// What the user reads then.
    pub unreadable: &'static str,
    /// What the user reads for a 404.
    pub not_found: &'static str,
    /// Before the function's reason for a 422.
    pub invalid: &'static str,
    /// Log label of a 502.
    pub refused_log: &'static str,
    /// Before the function's reason for a 502.
    pub refused: &'static str,
    /// The action as a noun, for "The … failed (HTTP …)" and its log label.
    pub noun: &'static str,
}

/// The reply of an action that answers with one report (`pick` takes it from the reply), or
/// the error the user reads.
pub fn interpret_action<T>(
    status: u16,
    body: &[u8],
    words: &ActionWords,
    pick: impl FnOnce(SyncResponse) -> Option<T>,
) -> Result<T, AppError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice::<SyncResponse>(body)
            .ok()
            .and_then(pick)
            .ok_or_else(|| {
                errors::upstream(
                    words.unreadable_log,
                    String::from_utf8_lossy(body),
                    words.unreadable,
                )
            });
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|error| error.error.message)
        .ok();
    match (status, message) {
        (401, _) => Err(AppError::Unauthorized),
        (404, _) => Err(AppError::NotFound(words.not_found.into())),
        (422, Some(message)) => Err(AppError::Invalid(format!(
            "{} {}",
            words.invalid,
            sentence(&message)
        ))),
        (502, Some(message)) => Err(errors::upstream(
            words.refused_log,
            &message,
            format!("{} {}", words.refused, sentence(&message)),
        )),
        (status, message) => Err(errors::upstream(
            &format!("{}: unexpected reply", words.noun),
            format_args!("{status}: {message:?}"),
            format!(
                "The {} failed (HTTP {status}). Try again in a moment.",
                words.noun
            ),
        )),
    }
}

/// `text` ending in a full stop, as the notices show sentences.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// One instance's result in words, naming what to check when it failed.
pub fn explain(result: &ProviderResult, base_url: Option<&str>) -> InstanceSyncResult {
    let problem = match result.status {
        SyncStatus::Success | SyncStatus::Running => None,
        SyncStatus::Partial => Some(format!(
            "Only part of \"{}\" synced{}. The next sync continues where this one stopped.",
            result.provider,
            reason(result.error.as_deref()),
        )),
        SyncStatus::Error => {
            let error = result.error.as_deref();
            // The function's messages often say what to check already; don't say it twice.
            let advice = if error.is_some_and(|e| e.to_lowercase().contains("check")) {
                String::new()
            } else {
                format!(
                    " Check that {} is reachable and that its API key is still valid (Instances page).",
                    base_url.unwrap_or("its URL")
                )
            };
            Some(format!(
                "\"{}\" failed to sync{}.{advice}",
                result.provider,
                reason(error),
            ))
        }
    };
    InstanceSyncResult {
        provider: result.provider.clone(),
        status: result.status,
        workflows_synced: result.workflows_synced,
        executions_synced: result.executions_synced,
        duration_ms: result.duration_ms,
        problem,
    }
}

fn reason(error: Option<&str>) -> String {
    error.map_or_else(String::new, |error| format!(": {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(status: SyncStatus, error: Option<&str>) -> ProviderResult {
        ProviderResult {
            provider_id: Uuid::nil(),
            provider: "Production".into(),
            status,
            workflows_synced: 3,
            executions_synced: 40,
            duration_ms: 1200,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn a_failed_instance_is_named_with_what_to_check() {
        let explained = explain(
            &result(SyncStatus::Error, Some("n8n returned 401")),
            Some("https://n8n.example.com"),
        );
        let problem = explained.problem.unwrap();
        assert!(problem.contains("\"Production\""), "{problem}");
        assert!(problem.contains("n8n returned 401"), "{problem}");
        assert!(
            problem.contains("https://n8n.example.com is reachable"),
            "{problem}"
        );
        assert!(problem.contains("API key"), "{problem}");
    }

    #[test]
    fn a_successful_instance_has_no_problem() {
        let explained = explain(&result(SyncStatus::Success, None), None);
        assert_eq!(explained.problem, None);
        assert_eq!(explained.executions_synced, 40);
    }

    #[test]
    fn a_502_with_results_is_still_a_report() {
        let body = json!({
            "ok": false, "action": "sync_all_workflows", "sync_log_ids": [],
            "results": [{"provider_id": Uuid::nil(), "provider": "Production", "status": "error",
                         "workflows_synced": 0, "executions_synced": 0, "duration_ms": 5,
                         "error": "unreachable"}]
        });
        let response = interpret_reply(502, body.to_string().as_bytes()).unwrap();
        assert!(!response.ok);
        assert_eq!(response.results.len(), 1);
    }

    #[test]
    fn error_bodies_and_garbage_become_errors() {
        assert_eq!(
            interpret_reply(
                401,
                br#"{"error":{"code":"unauthorized","message":"expired"}}"#
            ),
            Err(AppError::Unauthorized)
        );
        let error =
            interpret_reply(400, br#"{"error":{"code":"bad_json","message":"nope"}}"#).unwrap_err();
        assert_eq!(error, AppError::Upstream("Sync failed: nope".into()));
        assert!(matches!(
            interpret_reply(500, b"<html>"),
            Err(AppError::Upstream(_))
        ));
    }
}
