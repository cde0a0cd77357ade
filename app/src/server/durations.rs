//! The rows of the database's chart and duration RPCs (`execution_chart`,
//! `workflow_durations`), and how they become the page's figures.

use crate::chart::Bucket;
use crate::model::{ChartRange, DurationStats};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// The arguments of `execution_chart` and `workflow_durations`. A narrowing that is not asked
/// for is left out rather than sent as null: the local PostgREST server passes a null uuid
/// argument on as an empty string, which Postgres rejects; left out, the default applies.
#[derive(Debug, serde::Serialize)]
pub struct Narrowing {
    /// From this moment on.
    pub p_since: DateTime<Utc>,
    /// Bucket width (only `execution_chart` takes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_bucket: Option<String>,
    /// Only this instance's executions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_provider_id: Option<Uuid>,
    /// Only this workflow's executions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_workflow_id: Option<Uuid>,
}

/// One bucket of `execution_chart`.
#[derive(Debug, serde::Deserialize)]
pub struct ChartFigures {
    bucket: DateTime<Utc>,
    succeeded: i64,
    failed: i64,
    other: i64,
    timed: i64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<i64>,
}

impl ChartFigures {
    /// The bucket the chart draws.
    pub fn into_bucket(self) -> Bucket {
        let count = |value: i64| u32::try_from(value.max(0)).unwrap_or(u32::MAX);
        Bucket {
            start: self.bucket,
            succeeded: count(self.succeeded),
            failed: count(self.failed),
            other: count(self.other),
            durations: stats(self.timed, self.p50_ms, self.p95_ms, self.max_ms),
        }
    }
}

/// One workflow's row of `workflow_durations`.
#[derive(Debug, serde::Deserialize)]
pub struct WorkflowDurations {
    workflow_id: Uuid,
    runs: i64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<i64>,
}

/// Each workflow's durations, by id (looked up once per table row: a map, not a scan).
pub fn by_workflow(rows: Vec<WorkflowDurations>) -> HashMap<Uuid, DurationStats> {
    rows.into_iter()
        .filter_map(|row| {
            let stats = stats(row.runs, row.p50_ms, row.p95_ms, row.max_ms)?;
            Some((row.workflow_id, stats))
        })
        .collect()
}

/// The RPC's bucket width for `range`, as a Postgres interval.
pub fn bucket_interval(range: ChartRange) -> String {
    format!("{} seconds", range.bucket_width().num_seconds())
}

/// Percentiles rounded to whole milliseconds; nothing when nothing was measured.
pub(crate) fn stats(
    runs: i64,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<i64>,
) -> Option<DurationStats> {
    let round = |ms: f64| ms.round() as i64;
    Some(DurationStats {
        runs,
        p50_ms: round(p50_ms?),
        p95_ms: round(p95_ms?),
        max_ms: max_ms?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_without_finished_runs_has_no_durations() {
        let row: ChartFigures = serde_json::from_value(serde_json::json!({
            "bucket": "2026-12-01T10:00:00+00:00", "succeeded": 0, "failed": 0, "other": 2,
            "timed": 0, "p50_ms": null, "p95_ms": null, "max_ms": null
        }))
        .unwrap();
        let bucket = row.into_bucket();
        assert_eq!((bucket.other, bucket.durations), (2, None));
    }

    #[test]
    fn percentiles_are_rounded_to_milliseconds() {
        let row: ChartFigures = serde_json::from_value(serde_json::json!({
            "bucket": "2026-12-01T10:00:00+00:00", "succeeded": 3, "failed": 1, "other": 0,
            "timed": 4, "p50_ms": 149.5, "p95_ms": 980.2, "max_ms": 1000
        }))
        .unwrap();
        let durations = row.into_bucket().durations.unwrap();
        assert_eq!(
            (
                durations.runs,
                durations.p50_ms,
                durations.p95_ms,
                durations.max_ms
            ),
            (4, 150, 980, 1000)
        );
        assert_eq!(bucket_interval(ChartRange::Day), "3600 seconds");
    }
}
