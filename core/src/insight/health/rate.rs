//! A failure rate far above the workflow's own normal.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Finding, FindingDetails, FindingKind, HealthStatus};

/// Finished runs in one window: successes, and failures (status `error` or `crashed`).
/// Canceled runs are neither; manual test runs are best left out by the query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCounts {
    /// Runs that succeeded.
    pub succeeded: u64,
    /// Runs that failed.
    pub failed: u64,
}

impl WindowCounts {
    /// All finished runs.
    pub fn total(self) -> u64 {
        self.succeeded.saturating_add(self.failed)
    }

    /// The failed share, 0–1 (0 without runs).
    pub fn rate(self) -> f64 {
        match self.total() {
            0 => 0.0,
            total => self.failed as f64 / total as f64,
        }
    }
}

/// A workflow's finished runs in the last 24 hours and in the 7 days before them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// `[now - 24 h, now)`.
    pub last_day: WindowCounts,
    /// `[now - 8 days, now - 24 h)`.
    pub previous_week: WindowCounts,
}

/// When a failure rate is an anomaly. The defaults:
/// - a verdict needs at least 5 finished runs and 3 failures in the last 24 hours, so two
///   runs, one failed, are never "50 % failing";
/// - the week before is a baseline from 20 finished runs on;
/// - with a baseline, the last day is anomalous when its rate is at least 20 points above the
///   baseline AND at least twice it (5 % → 25 % is, 40 % → 60 % is not);
/// - without one (a new or rarely run workflow), when at least half the runs failed;
/// - critical from 80 % failing, warning below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateThresholds {
    /// Finished runs needed in the last 24 hours.
    pub min_recent_runs: u64,
    /// Failures needed in the last 24 hours.
    pub min_recent_failures: u64,
    /// Finished runs the week before needs to count as a baseline.
    pub min_baseline_runs: u64,
    /// Points (0–1) the rate must exceed the baseline by.
    pub min_increase: f64,
    /// Times the baseline the rate must reach.
    pub min_ratio: f64,
    /// The rate that is anomalous when there is no baseline.
    pub without_baseline: f64,
    /// The rate from which the finding is critical.
    pub critical: f64,
}

impl Default for RateThresholds {
    fn default() -> Self {
        Self {
            min_recent_runs: 5,
            min_recent_failures: 3,
            min_baseline_runs: 20,
            min_increase: 0.20,
            min_ratio: 2.0,
            without_baseline: 0.5,
            critical: 0.8,
        }
    }
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// The last 24 hours' failure rate against the week before (see [`RateThresholds`]).
pub fn failure_rate_anomaly(
    runs: &RunCounts,
    thresholds: &RateThresholds,
    now: DateTime<Utc>,
) -> Option<Finding> {
    let (recent, baseline) = (runs.last_day, runs.previous_week);
    if recent.total() < thresholds.min_recent_runs || recent.failed < thresholds.min_recent_failures
    {
        return None;
    }
    let rate = recent.rate();
    let baseline_rate = (baseline.total() >= thresholds.min_baseline_runs).then(|| baseline.rate());
    let anomalous = match baseline_rate {
        Some(normal) => {
            rate >= normal + thresholds.min_increase && rate >= normal * thresholds.min_ratio
        }
        None => rate >= thresholds.without_baseline,
    };
    if !anomalous {
        return None;
    }
    let against = match baseline_rate {
        Some(normal) => format!(
            "against {} over the week before ({} of {})",
            percent(normal),
            baseline.failed,
            baseline.total()
        ),
        None => format!(
            "with no normal rate to compare to yet ({} runs the week before)",
            baseline.total()
        ),
    };
    Some(Finding {
        kind: FindingKind::FailureRateAnomaly,
        severity: if rate >= thresholds.critical {
            HealthStatus::Critical
        } else {
            HealthStatus::Warning
        },
        message: format!(
            "{} of runs failed in the last 24 h ({} of {}), {against}.",
            percent(rate),
            recent.failed,
            recent.total()
        ),
        since: Some(now - TimeDelta::hours(24)),
        details: FindingDetails::FailureRate {
            recent_runs: recent.total(),
            recent_failed: recent.failed,
            recent_rate: rate,
            baseline_runs: baseline.total(),
            baseline_failed: baseline.failed,
            baseline_rate,
        },
    })
}
