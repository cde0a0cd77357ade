//! Is a workflow healthy right now: did its schedule stop, is an execution stuck, does it fail
//! far more than usual. A pure evaluation of facts the edge function reads from the database
//! after each sync, at the moment those facts are current to.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::{expected_runs, nominal_interval, ExpectedSchedule, RuleKind, SkippedRule};
use super::words::duration_words;
use crate::n8n::ExecutionStatus;

mod rate;
mod stuck;

pub use rate::{failure_rate_anomaly, RateThresholds, RunCounts, WindowCounts};
pub use stuck::{stuck_executions, StuckExecution, UnfinishedExecution};

/// Missed runs are counted up to this many; the message then says "1000+".
pub const MISSED_COUNT_CAP: usize = 1_000;

/// How a workflow is doing overall: its worst finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Nothing found.
    Ok,
    /// Something could not be judged (and nothing worse was found).
    Unknown,
    /// Worth a look.
    Warning,
    /// Broken or about to be.
    Critical,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An active schedule is behind.
    MissedRuns,
    /// Executions running or waiting far longer than they should.
    StuckExecutions,
    /// The last 24 hours failed far more often than the week before.
    FailureRateAnomaly,
    /// An active scheduled workflow whose schedule FlowPulse cannot read.
    ScheduleUnknown,
}

/// One thing found, in FlowPulse's words, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// How bad (never `Ok`).
    pub severity: HealthStatus,
    /// One or two sentences for people.
    pub message: String,
    /// When the condition began, as far as FlowPulse can tell.
    pub since: Option<DateTime<Utc>>,
    /// The numbers behind the message, for the app and for alerts.
    pub details: FindingDetails,
}

/// The numbers behind a finding, by kind (stored as JSON in `workflow_health.findings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FindingDetails {
    /// For [`FindingKind::MissedRuns`].
    MissedRuns {
        /// The schedule in words, with its time zone.
        schedule: String,
        /// How often it runs on average, in seconds.
        expected_every_secs: Option<i64>,
        /// Expected runs whose time (plus grace) has passed without one, at most
        /// [`MISSED_COUNT_CAP`].
        missed: usize,
        /// Whether `missed` stopped at the cap.
        capped: bool,
        /// The latest run of the schedule, if it ever ran.
        last_run_at: Option<DateTime<Utc>>,
        /// What the count started from: the last run, or the last save when later.
        counted_from: DateTime<Utc>,
        /// How late a run may be before it counts as missed, in seconds.
        grace_secs: i64,
    },
    /// For [`FindingKind::StuckExecutions`].
    Stuck {
        /// The stuck executions, oldest first (at most 20).
        executions: Vec<StuckExecution>,
        /// How many there are in all.
        count: usize,
        /// The threshold used, in seconds.
        threshold_secs: i64,
    },
    /// For [`FindingKind::FailureRateAnomaly`].
    FailureRate {
        /// Finished runs in the last 24 hours.
        recent_runs: u64,
        /// Of which failed.
        recent_failed: u64,
        /// Their share, 0–1.
        recent_rate: f64,
        /// Finished runs in the 7 days before.
        baseline_runs: u64,
        /// Of which failed.
        baseline_failed: u64,
        /// Their share, when there were enough runs to be a baseline.
        baseline_rate: Option<f64>,
    },
    /// For [`FindingKind::ScheduleUnknown`].
    ScheduleUnknown {
        /// The rules FlowPulse could not read, and why.
        skipped: Vec<SkippedRule>,
    },
}

/// A workflow's health: its worst severity and everything found, worst first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// The worst finding's severity, `Ok` when nothing was found.
    pub status: HealthStatus,
    /// What was found.
    pub findings: Vec<Finding>,
}

/// Thresholds of the evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// Running (or queued) this long, or waiting this long past the resume time, is stuck.
    pub stuck_after: TimeDelta,
    /// How late a scheduled run may be; `None` scales it with the schedule: a tenth of the
    /// nominal interval, between 5 minutes (n8n adds up to a minute of spread, executions
    /// still running are not listed by n8n's API) and an hour.
    pub missed_run_grace: Option<TimeDelta>,
    /// When a failure rate is an anomaly.
    pub rate: RateThresholds,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            stuck_after: TimeDelta::minutes(30),
            missed_run_grace: None,
            rate: RateThresholds::default(),
        }
    }
}

/// What the evaluation needs to know about one workflow. Each field is one cheap query away
/// (see the module's report in `insight`).
#[derive(Debug, Clone, Default)]
pub struct HealthInput {
    /// Active in n8n and not archived.
    pub active: bool,
    /// n8n's `updatedAt`: activating or saving a workflow restarts its schedule.
    pub updated_at: Option<DateTime<Utc>>,
    /// The schedule read from its definition, if it has schedule triggers.
    pub schedule: Option<ExpectedSchedule>,
    /// The latest `started_at` of its executions in mode `trigger` (the mode schedule, cron
    /// and interval triggers start executions in).
    pub last_scheduled_run: Option<DateTime<Utc>>,
    /// Its executions in status running, new or waiting.
    pub unfinished: Vec<UnfinishedExecution>,
    /// Finished runs in the last 24 hours and the 7 days before.
    pub runs: Option<RunCounts>,
}

/// Evaluates one workflow at `now` (the moment its execution data is current to: the end of
/// the sync that fetched it).
pub fn evaluate(input: &HealthInput, config: &HealthConfig, now: DateTime<Utc>) -> Health {
    let mut findings: Vec<Finding> = [
        missed_runs(input, config, now),
        schedule_unknown(input),
        stuck_executions(&input.unfinished, config.stuck_after, now),
        input
            .runs
            .as_ref()
            .and_then(|runs| failure_rate_anomaly(runs, &config.rate, now)),
    ]
    .into_iter()
    .flatten()
    .collect();
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.severity));
    Health {
        status: findings
            .first()
            .map_or(HealthStatus::Ok, |finding| finding.severity),
        findings,
    }
}

/// How long a deactivated schedule keeps being reported after its last run: a schedule that
/// stopped a week ago and stayed off is taken as switched off on purpose.
pub const DEACTIVATED_REPORTED_FOR: TimeDelta = TimeDelta::days(7);

/// A scheduled workflow whose runs stopped: expected runs whose time plus grace has passed
/// since its last run (or since it was last saved, when later: activation and edits restart a
/// schedule). A workflow that never ran is counted from its last save. Warning for one or two
/// missed runs, critical from three. A schedule deactivated in n8n after running in the last
/// [`DEACTIVATED_REPORTED_FOR`] is reported too (a warning: someone may have meant it),
/// counted from its last run.
pub fn missed_runs(
    input: &HealthInput,
    config: &HealthConfig,
    now: DateTime<Utc>,
) -> Option<Finding> {
    let schedule = input.schedule.as_ref()?;
    let deactivated = !input.active;
    let counted_from = match (input.last_scheduled_run, input.updated_at) {
        // Deactivating is a save: count from the last run instead.
        (Some(run), _) if deactivated => (now - run <= DEACTIVATED_REPORTED_FOR).then_some(run)?,
        (None, _) if deactivated => return None,
        (Some(run), Some(saved)) => run.max(saved),
        (run, saved) => run.or(saved)?,
    };
    let nominal = nominal_interval(schedule);
    // A tenth of the interval (5 min to 1 h), never more than one interval: a schedule every
    // minute is late after two minutes, not six.
    let grace = config.missed_run_grace.unwrap_or_else(|| {
        nominal.map_or(TimeDelta::minutes(5), |every| {
            (every / 10)
                .clamp(TimeDelta::minutes(5), TimeDelta::hours(1))
                .min(every)
        })
    });
    let mut overdue = expected_runs(schedule, counted_from, now - grace);
    let first_missed = overdue.next()?;
    let missed = 1 + overdue.by_ref().take(MISSED_COUNT_CAP - 1).count();
    let capped = missed == MISSED_COUNT_CAP && overdue.next().is_some();

    let expectation = expectation_words(schedule, nominal);
    let ago = |at: DateTime<Utc>| duration_words(now - at);
    let history = match input.last_scheduled_run {
        None => format!(
            "it has not run since it was saved {} ago",
            ago(counted_from)
        ),
        Some(run) if run < counted_from => format!(
            "no run since it was saved {} ago (last run {} ago)",
            ago(counted_from),
            ago(run)
        ),
        Some(run) => format!("last run {} ago", ago(run)),
    };
    let count = match (missed, capped) {
        (_, true) => format!("{MISSED_COUNT_CAP}+ runs missed"),
        (1, false) => "1 run missed".to_string(),
        (n, false) => format!("{n} runs missed"),
    };
    let (prefix, severity) = match (deactivated, missed) {
        (true, _) => ("Deactivated in n8n: ", HealthStatus::Warning),
        (false, 3..) => ("", HealthStatus::Critical),
        (false, _) => ("", HealthStatus::Warning),
    };
    let expectation = if deactivated {
        let mut words = expectation.chars();
        words.next().map_or_else(String::new, |first| {
            first.to_lowercase().chain(words).collect()
        })
    } else {
        expectation
    };
    Some(Finding {
        kind: FindingKind::MissedRuns,
        severity,
        message: format!("{prefix}{expectation}, {history} — {count}."),
        since: Some(first_missed),
        details: FindingDetails::MissedRuns {
            schedule: schedule.describe(),
            expected_every_secs: nominal.map(|every| every.num_seconds()),
            missed,
            capped,
            last_run_at: input.last_scheduled_run,
            counted_from,
            grace_secs: grace.num_seconds(),
        },
    })
}

/// "Expected every 15 min" for plain intervals, the rules in words otherwise.
fn expectation_words(schedule: &ExpectedSchedule, nominal: Option<TimeDelta>) -> String {
    let plain = matches!(
        schedule.rules(),
        [rule] if matches!(rule.kind(), RuleKind::Seconds { .. } | RuleKind::Minutes { .. }
            | RuleKind::Hours { .. } | RuleKind::Period { .. })
    );
    match nominal {
        Some(every) if plain => format!("Expected every {}", duration_words(every)),
        _ => format!("Expected {}", schedule.describe()),
    }
}

/// An active workflow with schedule triggers none of whose rules FlowPulse can read.
fn schedule_unknown(input: &HealthInput) -> Option<Finding> {
    let schedule = input.schedule.as_ref().filter(|_| input.active)?;
    if !schedule.rules().is_empty() || schedule.skipped().is_empty() {
        return None;
    }
    let reasons: Vec<String> = schedule
        .skipped()
        .iter()
        .map(|skip| format!("{}: {}", skip.node, skip.reason))
        .collect();
    Some(Finding {
        kind: FindingKind::ScheduleUnknown,
        severity: HealthStatus::Unknown,
        message: format!(
            "FlowPulse cannot tell when this workflow should run ({}), so missed runs are not checked.",
            reasons.join("; ")
        ),
        since: None,
        details: FindingDetails::ScheduleUnknown {
            skipped: schedule.skipped().to_vec(),
        },
    })
}

/// Whether an unfinished execution's status is one this module looks at.
fn is_unfinished(status: ExecutionStatus) -> bool {
    matches!(
        status,
        ExecutionStatus::Running | ExecutionStatus::New | ExecutionStatus::Waiting
    )
}

#[cfg(test)]
mod tests;
