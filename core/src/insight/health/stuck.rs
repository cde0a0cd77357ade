//! Executions that should have finished by now.

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{is_unfinished, Finding, FindingDetails, FindingKind, HealthStatus};
use crate::insight::words::duration_words;
use crate::n8n::ExecutionStatus;

/// At most this many stuck executions are listed in a finding's details.
const LISTED: usize = 20;

/// An execution in status running, new or waiting, as the database has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfinishedExecution {
    /// n8n's execution id.
    pub n8n_execution_id: i64,
    /// Its status at the last sync.
    pub status: ExecutionStatus,
    /// When it started; `None` for one still queued.
    pub started_at: Option<DateTime<Utc>>,
    /// When a waiting execution resumes (a Wait node's time).
    pub wait_till: Option<DateTime<Utc>>,
}

/// One stuck execution, as a finding lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckExecution {
    /// n8n's execution id.
    pub n8n_execution_id: i64,
    /// Running, new or waiting.
    pub status: ExecutionStatus,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it should have resumed, for a waiting one.
    pub wait_till: Option<DateTime<Utc>>,
    /// When it became stuck: start (or resume time) plus the threshold.
    pub stuck_since: DateTime<Utc>,
}

/// n8n parks executions that wait for a webhook or form call without a time limit until
/// 3000-01-01.
fn waits_indefinitely(wait_till: DateTime<Utc>) -> bool {
    wait_till.year() >= 3000
}

/// When `execution` becomes stuck: `threshold` after it started (running, queued, or waiting
/// for a webhook or form call that has not come), or after the time its Wait node should have
/// resumed it. `None` when FlowPulse cannot tell (no start time).
fn stuck_since(execution: &UnfinishedExecution, threshold: TimeDelta) -> Option<DateTime<Utc>> {
    if !is_unfinished(execution.status) {
        return None;
    }
    let from = match (execution.status, execution.wait_till) {
        (ExecutionStatus::Waiting, Some(wait_till)) if !waits_indefinitely(wait_till) => wait_till,
        _ => execution.started_at?,
    };
    from.checked_add_signed(threshold)
}

/// Executions running, queued or waiting for a call longer than `threshold`, or waiting longer
/// than `threshold` past their Wait node's resume time (a resume time still ahead is not
/// stuck). Warning;
/// critical when one has been stuck for three times the threshold more (2 h by default).
pub fn stuck_executions(
    unfinished: &[UnfinishedExecution],
    threshold: TimeDelta,
    now: DateTime<Utc>,
) -> Option<Finding> {
    let mut stuck: Vec<StuckExecution> = unfinished
        .iter()
        .filter_map(|execution| {
            let since = stuck_since(execution, threshold).filter(|since| *since <= now)?;
            Some(StuckExecution {
                n8n_execution_id: execution.n8n_execution_id,
                status: execution.status,
                started_at: execution.started_at,
                wait_till: execution.wait_till,
                stuck_since: since,
            })
        })
        .collect();
    stuck.sort_by_key(|execution| (execution.stuck_since, execution.n8n_execution_id));
    let oldest = stuck.first()?.stuck_since;
    let count = stuck.len();

    let describe = |execution: &StuckExecution| match (execution.status, execution.wait_till) {
        (ExecutionStatus::Waiting, Some(wait_till)) if waits_indefinitely(wait_till) => format!(
            "#{} waiting for a call for {}",
            execution.n8n_execution_id,
            duration_words(now - (execution.stuck_since - threshold))
        ),
        (ExecutionStatus::Waiting, Some(wait_till)) => format!(
            "#{} waiting {} past its resume time",
            execution.n8n_execution_id,
            duration_words(now - wait_till)
        ),
        (status, _) => format!(
            "#{} {} for {}",
            execution.n8n_execution_id,
            if status == ExecutionStatus::New {
                "queued"
            } else {
                "running"
            },
            duration_words(now - (execution.stuck_since - threshold))
        ),
    };
    let mut listed: Vec<String> = stuck.iter().take(3).map(describe).collect();
    if count > 3 {
        listed.push(format!("and {} more", count - 3));
    }
    let noun = if count == 1 {
        "1 execution looks stuck".to_string()
    } else {
        format!("{count} executions look stuck")
    };
    stuck.truncate(LISTED);
    Some(Finding {
        kind: FindingKind::StuckExecutions,
        severity: if now - oldest >= threshold * 3 {
            HealthStatus::Critical
        } else {
            HealthStatus::Warning
        },
        message: format!("{noun}: {}.", listed.join(", ")),
        since: Some(oldest),
        details: FindingDetails::Stuck {
            executions: stuck,
            count,
            threshold_secs: threshold.num_seconds(),
        },
    })
}
