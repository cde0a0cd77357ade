//! The facts alert conditions are built from, taken from rows read once per provider sync:
//! each workflow's latest finished run and its runs of the last 24 hours (from one read of
//! the provider's newest finished executions), and how the provider's latest syncs went.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use flowpulse_core::insight::alerts::{LatestRun, Reachability};
use flowpulse_core::insight::failure::FailureDetail;
use flowpulse_core::insight::health::WindowCounts;
use flowpulse_core::n8n::ExecutionStatus;
use uuid::Uuid;

use crate::store::{FinishedRunRow, SyncLogRow};

/// Each workflow's latest finished run and its finished runs of the last 24 hours.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RecentRuns {
    pub latest: HashMap<Uuid, LatestRun>,
    pub last_day: HashMap<Uuid, WindowCounts>,
}

impl RecentRuns {
    /// The workflows any run was seen for.
    pub fn workflows(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.latest.keys().chain(self.last_day.keys()).copied()
    }
}

fn failed(status: ExecutionStatus) -> bool {
    matches!(status, ExecutionStatus::Error | ExecutionStatus::Crashed)
}

/// Folds `rows` (newest first) into each workflow's latest run, with the failures in a row
/// that led to it, and its counts since `now - 24 h`. Manual runs are tests in the editor,
/// not the workflow failing in production: they are left out, as rows without a workflow or
/// a start time.
///
/// The rows are a bounded read: on an instance running more than that many times a day the
/// counts cover its most recent runs, still the share failing now.
pub(super) fn recent_runs(rows: &[FinishedRunRow], now: DateTime<Utc>) -> RecentRuns {
    let day_ago = now - TimeDelta::hours(24);
    let mut runs = RecentRuns::default();
    // Workflows whose streak of failures (counted back from the latest run) is still going.
    let mut streak_open: HashMap<Uuid, bool> = HashMap::new();
    for row in rows {
        let (Some(workflow), Some(started_at)) = (row.workflow_id, row.started_at) else {
            continue;
        };
        if row.mode.as_deref() == Some("manual") {
            continue;
        }
        let run_failed = failed(row.status);
        match runs.latest.get_mut(&workflow) {
            None => {
                runs.latest.insert(workflow, latest_run(row, started_at));
                streak_open.insert(workflow, run_failed);
            }
            Some(latest) => {
                let open = streak_open.entry(workflow).or_insert(false);
                if *open && run_failed {
                    latest.failures_in_a_row += 1;
                } else {
                    *open = false;
                }
            }
        }
        if started_at >= day_ago {
            let counts = runs.last_day.entry(workflow).or_default();
            if run_failed {
                counts.failed += 1;
            } else if row.status == ExecutionStatus::Success {
                counts.succeeded += 1;
            }
        }
    }
    runs
}

fn latest_run(row: &FinishedRunRow, started_at: DateTime<Utc>) -> LatestRun {
    let has_detail = row.error_message.is_some() || row.error_node.is_some();
    let failure = (failed(row.status) && has_detail).then(|| FailureDetail {
        message: row
            .error_message
            .clone()
            .unwrap_or_else(|| format!("it ended with status {}", row.status)),
        description: row.error_description.clone(),
        node_name: row.error_node.clone(),
        node_type: row.error_node_type.clone(),
    });
    LatestRun {
        n8n_execution_id: row.n8n_execution_id,
        status: row.status,
        started_at,
        failure,
        failures_in_a_row: u64::from(failed(row.status)),
    }
}

/// How the provider's latest syncs went: this run (`unreachable`: why n8n could not be
/// reached, if it could not; it started at `started`), then the sync logs before it, newest
/// first. Leading `error` logs count as failures too; the first other status ends the count.
/// This run's own log (`this_log`) and logs still running (a concurrent run) are skipped.
pub(super) fn reachability(
    unreachable: Option<&str>,
    started: DateTime<Utc>,
    this_log: Option<Uuid>,
    logs: &[SyncLogRow],
) -> Reachability {
    let Some(error) = unreachable else {
        return Reachability {
            consecutive_failures: 0,
            failing_since: None,
            last_error: None,
        };
    };
    let mut reachability = Reachability {
        consecutive_failures: 1,
        failing_since: Some(started),
        last_error: Some(error.to_string()),
    };
    let earlier = logs
        .iter()
        .filter(|log| Some(log.id) != this_log && log.status != "running");
    for log in earlier {
        if log.status != "error" {
            break;
        }
        reachability.consecutive_failures += 1;
        reachability.failing_since = Some(log.started_at);
    }
    reachability
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours_ago: i64) -> DateTime<Utc> {
        now() - TimeDelta::hours(hours_ago)
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    fn run(workflow: u128, id: i64, status: ExecutionStatus, hours_ago: i64) -> FinishedRunRow {
        FinishedRunRow {
            workflow_id: Some(Uuid::from_u128(workflow)),
            n8n_execution_id: id,
            status,
            mode: Some("trigger".into()),
            started_at: Some(at(hours_ago)),
            error_message: None,
            error_description: None,
            error_node: None,
            error_node_type: None,
        }
    }

    #[test]
    fn the_latest_run_per_workflow_counts_the_failures_that_led_to_it() {
        use ExecutionStatus::{Crashed, Error, Success};
        let mut failing = run(1, 9, Error, 1);
        failing.error_message = Some("Authorization failed".into());
        failing.error_node = Some("Fetch orders".into());
        let rows = [
            failing,
            run(2, 8, Success, 1),
            run(1, 7, Crashed, 2),
            run(2, 6, Error, 3),
            run(1, 5, Success, 4),
            run(1, 4, Error, 30),
        ];
        let runs = recent_runs(&rows, now());
        let first = &runs.latest[&Uuid::from_u128(1)];
        assert_eq!((first.n8n_execution_id, first.failures_in_a_row), (9, 2));
        let detail = first.failure.as_ref().unwrap();
        assert_eq!(detail.message, "Authorization failed");
        assert_eq!(detail.node_name.as_deref(), Some("Fetch orders"));
        let second = &runs.latest[&Uuid::from_u128(2)];
        assert_eq!((second.status, second.failures_in_a_row), (Success, 0));
        // The run 30 hours ago is outside the day.
        assert_eq!(
            runs.last_day[&Uuid::from_u128(1)],
            WindowCounts {
                succeeded: 1,
                failed: 2
            }
        );
    }

    #[test]
    fn manual_runs_and_runs_without_a_workflow_are_left_out() {
        let mut manual = run(1, 3, ExecutionStatus::Error, 1);
        manual.mode = Some("manual".into());
        let mut orphan = run(1, 2, ExecutionStatus::Error, 1);
        orphan.workflow_id = None;
        let rows = [manual, orphan, run(1, 1, ExecutionStatus::Success, 2)];
        let runs = recent_runs(&rows, now());
        assert_eq!(runs.latest[&Uuid::from_u128(1)].n8n_execution_id, 1);
        assert_eq!(runs.last_day[&Uuid::from_u128(1)].failed, 0);
    }

    fn log(id: u128, status: &str, hours_ago: i64) -> SyncLogRow {
        SyncLogRow {
            id: Uuid::from_u128(id),
            status: status.into(),
            started_at: at(hours_ago),
            error_message: None,
        }
    }

    #[test]
    fn a_run_that_reached_n8n_clears_whatever_the_logs_say() {
        let logs = [log(1, "error", 1), log(2, "error", 2)];
        let reachability = reachability(None, now(), None, &logs);
        assert_eq!(reachability.consecutive_failures, 0);
    }

    #[test]
    fn leading_error_logs_before_this_run_count_and_this_runs_own_log_does_not() {
        let logs = [
            log(9, "error", 0),
            log(8, "running", 0),
            log(7, "error", 1),
            log(6, "error", 2),
            log(5, "success", 3),
            log(4, "error", 4),
        ];
        let reachability = reachability(Some("down"), now(), Some(Uuid::from_u128(9)), &logs);
        assert_eq!(reachability.consecutive_failures, 3);
        assert_eq!(reachability.failing_since, Some(at(2)));
        assert_eq!(reachability.last_error.as_deref(), Some("down"));
    }

    #[test]
    fn a_first_failure_after_a_good_sync_counts_once() {
        let logs = [log(5, "success", 1)];
        let reachability = reachability(Some("down"), now(), None, &logs);
        assert_eq!(reachability.consecutive_failures, 1);
        assert_eq!(reachability.failing_since, Some(now()));
    }
}
