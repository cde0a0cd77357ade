//! The condition each kind of rule watches, built from what the sync just learned.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{AlertKind, Condition, NodeRef, Observation};
use crate::insight::failure::{FailureDetail, MESSAGE_MAX_CHARS as ERROR_MAX_CHARS};
use crate::insight::health::{FindingKind, Health, RateThresholds, RunCounts};
use crate::insight::redact::{bounded, clip, redact};
use crate::n8n::ExecutionStatus;

/// How much of a sync error is looked at before redaction (see [`bounded`]): enough that a
/// secret is never cut in half before the rules see it.
const ERROR_SCAN_MAX_CHARS: usize = 16 * 1024;

impl Condition {
    /// The condition of a missed-runs, stuck or (threshold-less) failure-rate rule, from the
    /// workflow's health. An unreadable schedule is `Unknown` for missed runs.
    pub fn from_health(kind: AlertKind, health: &Health) -> Self {
        let finding_kind = match kind {
            AlertKind::MissedRuns => FindingKind::MissedRuns,
            AlertKind::Stuck => FindingKind::StuckExecutions,
            AlertKind::FailureRate => FindingKind::FailureRateAnomaly,
            AlertKind::Failure | AlertKind::Unreachable => return Self::Unknown,
        };
        let found = |wanted| health.findings.iter().find(|f| f.kind == wanted);
        match found(finding_kind) {
            Some(finding) => Self::Holds(Observation {
                message: finding.message.clone(),
                since: finding.since,
                node: None,
                details: serde_json::to_value(&finding.details).unwrap_or(Value::Null),
            }),
            None if kind == AlertKind::MissedRuns
                && found(FindingKind::ScheduleUnknown).is_some() =>
            {
                Self::Unknown
            }
            None => Self::Clear,
        }
    }
}

/// A workflow's latest finished execution, as the failure rule needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestRun {
    /// n8n's execution id.
    pub n8n_execution_id: i64,
    /// Its final status.
    pub status: ExecutionStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Why it failed, when fetched.
    pub failure: Option<FailureDetail>,
    /// Failed runs since the last success (this one included).
    pub failures_in_a_row: u64,
}

/// The failure rule's condition: holds while the latest finished run failed (and started
/// after the rule existed), clears with a success. A canceled latest run says nothing.
pub fn failure_condition(latest: Option<&LatestRun>, rule_created_at: DateTime<Utc>) -> Condition {
    let Some(run) = latest else {
        return Condition::Unknown;
    };
    match run.status {
        ExecutionStatus::Success => Condition::Clear,
        ExecutionStatus::Error | ExecutionStatus::Crashed if run.started_at >= rule_created_at => {
            let failure = run.failure.as_ref();
            let node = failure.and_then(|f| {
                Some(NodeRef {
                    name: f.node_name.clone()?,
                    node_type: f.node_type.clone(),
                })
            });
            let at_node = node
                .as_ref()
                .map_or(String::new(), |node| format!(" at node “{}”", node.name));
            let why = failure.map_or_else(
                || format!("it ended with status {}", run.status),
                |f| f.message.clone(),
            );
            let streak = match run.failures_in_a_row {
                0 | 1 => String::new(),
                n => format!(" ({n} failed runs in a row)"),
            };
            Condition::Holds(Observation {
                message: format!(
                    "Execution #{} failed{at_node}: {why}{streak}",
                    run.n8n_execution_id
                ),
                since: Some(run.started_at),
                node,
                details: json!({
                    "n8n_execution_id": run.n8n_execution_id,
                    "status": run.status,
                    "failures_in_a_row": run.failures_in_a_row,
                    "description": failure.and_then(|f| f.description.clone()),
                }),
            })
        }
        _ => Condition::Unknown,
    }
}

/// Points below its threshold a failure rate must fall before its alert resolves, so a rate
/// hovering around the threshold does not open and resolve an alert on every sync.
pub const RATE_HYSTERESIS_POINTS: f64 = 5.0;

/// The failure rate (0–100) below which an alert opened at `threshold_percent` resolves:
/// [`RATE_HYSTERESIS_POINTS`] under it, or half of it for thresholds under 10 %, where the
/// fixed margin would put the level at or below zero and the alert could never resolve.
pub fn rate_resolve_below(threshold_percent: f64) -> f64 {
    (threshold_percent - RATE_HYSTERESIS_POINTS).max(threshold_percent / 2.0)
}

/// The failure-rate rule's condition with a threshold (0–100): holds at or above it, clears
/// below [`rate_resolve_below`], unknown in between. A day without failures clears whatever
/// the sample (and even at a threshold of 0); one with failures but fewer runs than the
/// minimum sample of `thresholds` is unknown, as two runs, one failed, are not "50 % failing".
pub fn failure_rate_condition(
    threshold_percent: f64,
    runs: &RunCounts,
    thresholds: &RateThresholds,
) -> Condition {
    let recent = runs.last_day;
    if recent.failed == 0 {
        return Condition::Clear;
    }
    if recent.total() < thresholds.min_recent_runs {
        return Condition::Unknown;
    }
    let percent = recent.rate() * 100.0;
    if percent >= threshold_percent {
        Condition::Holds(Observation {
            // `{threshold_percent}` rather than `{:.0}`: a 2.5 % threshold is not "2 %".
            message: format!(
                "{percent:.0}% of runs failed in the last 24 h ({} of {}), at or above the {threshold_percent}% threshold.",
                recent.failed,
                recent.total()
            ),
            since: None,
            node: None,
            details: json!({
                "recent_runs": recent.total(),
                "recent_failed": recent.failed,
                "threshold_percent": threshold_percent,
            }),
        })
    } else if percent < rate_resolve_below(threshold_percent) {
        Condition::Clear
    } else {
        Condition::Unknown
    }
}

/// Failed sync attempts in a row before an instance counts as unreachable: one failure can be
/// a blip (a restart, a deploy).
pub const UNREACHABLE_AFTER: u32 = 2;

/// How the latest syncs of an instance went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reachability {
    /// Sync attempts in a row that could not reach n8n (network errors, timeouts, 5xx); 0
    /// after one that did.
    pub consecutive_failures: u32,
    /// When the first of them started.
    pub failing_since: Option<DateTime<Utc>>,
    /// The latest error, in FlowPulse's words.
    pub last_error: Option<String>,
}

/// The unreachable rule's condition: holds from [`UNREACHABLE_AFTER`] failed syncs in a row,
/// clears with a sync that reached n8n, unknown after a single failure (an open alert stays
/// open, none opens on a blip).
pub fn unreachable_condition(reachability: &Reachability) -> Condition {
    match reachability.consecutive_failures {
        0 => Condition::Clear,
        n if n < UNREACHABLE_AFTER => Condition::Unknown,
        n => {
            // A connection error can quote the instance's URL with its user-info, or a proxy's
            // reply; the alert is stored and sent to chat channels.
            let error = reachability
                .last_error
                .as_deref()
                .map(|error| {
                    clip(
                        &redact(bounded(error, ERROR_SCAN_MAX_CHARS)),
                        ERROR_MAX_CHARS,
                    )
                })
                .filter(|error| !error.is_empty());
            Condition::Holds(Observation {
                message: format!(
                    "The n8n instance could not be reached in the last {n} syncs{}",
                    error
                        .as_deref()
                        .map_or(".".to_string(), |error| format!(": {error}"))
                ),
                since: reachability.failing_since,
                node: None,
                details: json!({
                    "consecutive_failures": n,
                    "last_error": error,
                }),
            })
        }
    }
}

#[cfg(test)]
mod tests;
