//! "Retry" on a failed execution: the edge function's `retry_execution`, called with the
//! user's JWT like every other action, so the function's own RLS-bound reads decide whether
//! the execution is the user's. Its messages for 404, 422 and 502 are written to be shown.

use super::edge::{call, interpret_action, ActionWords};
use super::session::Session;
use super::state::ServerState;
use crate::error::AppError;
use flowpulse_core::contract::{RetryReport, SyncRequest};
use std::time::Duration;

/// n8n runs the workflow again before it answers; a slow workflow takes a while.
const RETRY_TIMEOUT: Duration = Duration::from_secs(120);

/// Asks the edge function to retry `execution_id` (`executions.id`).
pub async fn retry(
    state: &ServerState,
    session: &Session,
    execution_id: i64,
) -> Result<RetryReport, AppError> {
    let request = SyncRequest::RetryExecution { execution_id };
    let (status, body) = call(state, session, &request, RETRY_TIMEOUT).await?;
    interpret(status, &body)
}

/// How the retry replies are worded.
const WORDS: ActionWords = ActionWords {
    unreadable_log: "retry: reply without a report",
    unreadable:
        "n8n retried it, but the report was unreadable. Reload the page to see the new execution.",
    not_found: "That execution does not exist or is not yours.",
    invalid: "It cannot be retried:",
    refused_log: "retry refused by n8n",
    refused: "n8n did not retry it:",
    noun: "retry",
};

/// The function's reply as a report, or the error the user reads.
pub fn interpret(status: u16, body: &[u8]) -> Result<RetryReport, AppError> {
    interpret_action(status, body, &WORDS, |reply| reply.retry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(code: &str, message: &str) -> Vec<u8> {
        json!({"error": {"code": code, "message": message}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_report_is_read_from_a_successful_reply() {
        let body = json!({"ok": true, "action": "retry_execution", "results": [],
                          "sync_log_ids": [],
                          "retry": {"execution_id": 4, "retry_n8n_execution_id": 90,
                                    "status": "success"}});
        let report = interpret(200, body.to_string().as_bytes()).unwrap();
        assert_eq!(report.retry_n8n_execution_id, 90);
    }

    #[test]
    fn refusals_are_told_in_flowpulses_words() {
        assert!(matches!(
            interpret(
                404,
                &error("not_found", "execution 4 does not exist or is not yours")
            ),
            Err(AppError::NotFound(_))
        ));
        assert_eq!(
            interpret(
                422,
                &error("unprocessable", "only failed executions can be retried")
            ),
            Err(AppError::Invalid(
                "It cannot be retried: only failed executions can be retried.".into()
            ))
        );
        assert_eq!(
            interpret(502, &error("n8n_refused", "n8n at http://x answered 409")),
            Err(AppError::Upstream(
                "n8n did not retry it: n8n at http://x answered 409.".into()
            ))
        );
        assert!(matches!(
            interpret(500, b"<html>"),
            Err(AppError::Upstream(_))
        ));
    }
}
