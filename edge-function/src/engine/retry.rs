//! `retry_execution`: "Retry" on a failed execution. n8n runs it again with the workflow's
//! current version (so a fix made since is used); the new execution is stored at once, linked
//! to the one it retried, and a success marks the original as retried (see
//! `ingest_executions`).

use flowpulse_core::contract::RetryReport;
use flowpulse_core::n8n::{ExecutionId, ExecutionStatus};
use flowpulse_core::rows::ExecutionIngestRow;

use super::{Ctx, RunReport};
use crate::error::EdgeError;

/// `retry_execution`.
pub(super) async fn retry(ctx: &Ctx<'_>, execution_id: i64) -> Result<RunReport, EdgeError> {
    let execution = ctx.store.execution(execution_id).await?.ok_or_else(|| {
        EdgeError::NotFound(format!(
            "execution {execution_id} does not exist or is not yours"
        ))
    })?;
    let retryable = matches!(
        execution.status,
        ExecutionStatus::Error | ExecutionStatus::Crashed | ExecutionStatus::Canceled
    );
    if !retryable {
        return Err(EdgeError::Unprocessable(format!(
            "only failed executions can be retried; this one is {}",
            execution.status.as_str()
        )));
    }
    let provider = ctx
        .store
        .providers(Some(execution.provider_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| EdgeError::NotFound("its instance no longer exists".into()))?;
    let n8n = ctx.client(&provider).map_err(EdgeError::Unprocessable)?;
    let original = u64::try_from(execution.n8n_execution_id)
        .map(ExecutionId)
        .map_err(|_| EdgeError::Unprocessable("that execution has no n8n id".into()))?;
    let new = n8n
        .retry_execution(original, true)
        .await
        .map_err(|error| EdgeError::N8nRefused(error.to_string()))?;
    let mut row = ExecutionIngestRow::from_n8n(&new);
    // n8n's reply names the original; keep the link even if an older n8n leaves it out.
    row.retry_of.get_or_insert(execution.n8n_execution_id);
    ctx.store
        .ingest_executions(provider.id, &[row], None)
        .await?;
    Ok(ctx.retry_report(RetryReport {
        execution_id,
        retry_n8n_execution_id: i64::try_from(new.id.0).unwrap_or(i64::MAX),
        status: new.status,
    }))
}
