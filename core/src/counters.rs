//! Per-workflow execution counters: the ground-truth rules.
//!
//! The SQL function `ingest_executions` implements the same rules incrementally; tests in other
//! crates compare its results against [`WorkflowCounters::from_executions`], so any change here
//! must be mirrored there.
//!
//! Rules:
//! - `execution_count` counts stored executions in a final state (success, error, crashed,
//!   canceled); `successful_executions` counts success; `failed_executions` counts error and
//!   crashed. Running, waiting, new and unknown executions are not counted until they finish.
//! - `last_execution_*` describe the stored execution with the highest id, whatever its status.
//! - Executions are keyed by id, so ingesting the same execution twice counts it once.
//! - A final status is never replaced by a non-final one: a stale reply (e.g. a concurrent run
//!   that fetched the execution while it was still running) must not un-finish it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::n8n::{Execution, ExecutionId, ExecutionStatus};
use crate::rows::{ExecutionIngestRow, ExecutionRow};

/// The facts about one execution that the counters depend on.
pub trait ExecutionFacts {
    /// The per-instance n8n execution id.
    fn execution_id(&self) -> ExecutionId;
    /// The execution's status.
    fn status(&self) -> ExecutionStatus;
    /// When it started, if it has.
    fn started_at(&self) -> Option<DateTime<Utc>>;
}

impl ExecutionFacts for Execution {
    fn execution_id(&self) -> ExecutionId {
        self.id
    }
    fn status(&self) -> ExecutionStatus {
        self.status
    }
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }
}

/// Database ids are `bigint`; n8n ids are never negative, so a negative one maps to 0.
fn id_from_db(id: i64) -> ExecutionId {
    ExecutionId(u64::try_from(id).unwrap_or(0))
}

impl ExecutionFacts for ExecutionIngestRow {
    fn execution_id(&self) -> ExecutionId {
        id_from_db(self.n8n_execution_id)
    }
    fn status(&self) -> ExecutionStatus {
        self.status
    }
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }
}

impl ExecutionFacts for ExecutionRow {
    fn execution_id(&self) -> ExecutionId {
        id_from_db(self.n8n_execution_id)
    }
    fn status(&self) -> ExecutionStatus {
        self.status
    }
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }
}

/// The counter columns of one `mvp_workflows` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkflowCounters {
    /// Stored executions in a final state.
    pub execution_count: i64,
    /// Stored executions with status success.
    pub successful_executions: i64,
    /// Stored executions with status error or crashed.
    pub failed_executions: i64,
    /// `started_at` of the highest-id stored execution (`None` if it has not started).
    pub last_execution_at: Option<DateTime<Utc>>,
    /// Status of the highest-id stored execution.
    pub last_execution_status: Option<ExecutionStatus>,
}

impl WorkflowCounters {
    /// Computes the counters of one workflow from its executions, in ingestion order.
    ///
    /// Later occurrences of an id replace earlier ones (as an upsert does), except that a final
    /// status is never replaced by a non-final one.
    pub fn from_executions<'a, E, I>(executions: I) -> Self
    where
        E: ExecutionFacts + 'a,
        I: IntoIterator<Item = &'a E>,
    {
        let mut stored: BTreeMap<ExecutionId, (ExecutionStatus, Option<DateTime<Utc>>)> =
            BTreeMap::new();
        for execution in executions {
            let incoming = (execution.status(), execution.started_at());
            stored
                .entry(execution.execution_id())
                .and_modify(|current| {
                    if !current.0.is_final() || incoming.0.is_final() {
                        *current = incoming;
                    }
                })
                .or_insert(incoming);
        }

        let mut counters = WorkflowCounters::default();
        for (status, _) in stored.values() {
            counters.execution_count += i64::from(status.is_final());
            counters.successful_executions += i64::from(counts_as_success(*status));
            counters.failed_executions += i64::from(counts_as_failure(*status));
        }
        if let Some((status, started_at)) = stored.values().next_back() {
            counters.last_execution_at = *started_at;
            counters.last_execution_status = Some(*status);
        }
        counters
    }

    /// Success rate of these counters; see [`success_rate`].
    pub fn success_rate(&self) -> Option<f64> {
        success_rate(self.successful_executions, self.execution_count)
    }
}

/// True if an execution in this status adds to `successful_executions`.
pub fn counts_as_success(status: ExecutionStatus) -> bool {
    status == ExecutionStatus::Success
}

/// True if an execution in this status adds to `failed_executions`.
///
/// Canceled is final but neither a success nor a failure: a person or a timeout stopped it.
pub fn counts_as_failure(status: ExecutionStatus) -> bool {
    matches!(status, ExecutionStatus::Error | ExecutionStatus::Crashed)
}

/// `successful / total` as a fraction in `[0, 1]`, or `None` when there is nothing to rate
/// (a workflow that never ran has no rate, which is different from a rate of zero).
pub fn success_rate(successful: i64, total: i64) -> Option<f64> {
    if total <= 0 {
        return None;
    }
    // Clamp so inconsistent inputs (successful > total, negatives) still give a valid fraction.
    let successful = successful.clamp(0, total);
    Some(successful as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn execution(id: u64, status: ExecutionStatus, minute: u32) -> Execution {
        Execution {
            id: ExecutionId(id),
            finished: status.is_final(),
            mode: "webhook".into(),
            retry_of: None,
            retry_success_id: None,
            status,
            started_at: Some(Utc.with_ymd_and_hms(2026, 10, 1, 12, minute, 0).unwrap()),
            stopped_at: None,
            workflow_id: "wf".into(),
            wait_till: None,
            data: None,
        }
    }

    use ExecutionStatus::*;

    #[test]
    fn each_status_counts_according_to_the_rules() {
        let executions: Vec<_> = [
            Success, Success, Error, Crashed, Canceled, Running, Waiting, New, Unknown,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, status)| execution(i as u64 + 1, status, 0))
        .collect();
        let counters = WorkflowCounters::from_executions(&executions);
        assert_eq!(counters.execution_count, 5);
        assert_eq!(counters.successful_executions, 2);
        assert_eq!(counters.failed_executions, 2);
    }

    #[test]
    fn the_last_execution_is_the_highest_id_whatever_its_status() {
        let executions = [
            execution(10, Success, 5),
            execution(12, Running, 7),
            execution(11, Error, 9),
        ];
        let counters = WorkflowCounters::from_executions(&executions);
        assert_eq!(counters.last_execution_status, Some(Running));
        assert_eq!(counters.last_execution_at, executions[1].started_at);
    }

    #[test]
    fn ingesting_the_same_executions_twice_changes_nothing() {
        let page = [execution(1, Success, 0), execution(2, Error, 1)];
        let once = WorkflowCounters::from_executions(&page);
        let twice = WorkflowCounters::from_executions(page.iter().chain(page.iter()));
        assert_eq!(once, twice);
    }

    #[test]
    fn a_running_execution_counts_once_it_finishes() {
        let history = [execution(1, Running, 0), execution(1, Success, 0)];
        let counters = WorkflowCounters::from_executions(&history);
        assert_eq!(counters.execution_count, 1);
        assert_eq!(counters.successful_executions, 1);
    }

    #[test]
    fn a_stale_running_status_never_undoes_a_final_one() {
        let history = [execution(1, Error, 0), execution(1, Running, 0)];
        let counters = WorkflowCounters::from_executions(&history);
        assert_eq!(counters.failed_executions, 1);
        assert_eq!(counters.last_execution_status, Some(Error));
    }

    #[test]
    fn no_executions_means_zero_counts_and_no_last_execution() {
        let counters = WorkflowCounters::from_executions::<Execution, _>([]);
        assert_eq!(counters, WorkflowCounters::default());
        assert_eq!(counters.success_rate(), None);
    }

    #[test]
    fn the_success_rate_is_a_fraction_and_undefined_without_executions() {
        assert_eq!(success_rate(3, 4), Some(0.75));
        assert_eq!(success_rate(0, 0), None);
        assert_eq!(success_rate(5, 4), Some(1.0));
        assert_eq!(success_rate(-1, 4), Some(0.0));
    }
}
