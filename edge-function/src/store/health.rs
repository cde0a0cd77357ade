//! What the insight steps of a sync read and write: failures to explain, and the inputs and
//! verdicts of the health check.

use chrono::{DateTime, Utc};
use flowpulse_core::insight::health::{
    Health, HealthInput, RunCounts, UnfinishedExecution, WindowCounts,
};
use flowpulse_core::insight::schedule::ExpectedSchedule;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{Store, StoreError};

/// One workflow's row of `workflow_health_inputs`.
#[derive(Debug, Clone, Deserialize)]
pub struct HealthInputRow {
    /// `mvp_workflows.id`.
    pub workflow_id: Uuid,
    active: bool,
    n8n_updated_at: Option<DateTime<Utc>>,
    definition: Option<Value>,
    last_scheduled_run: Option<DateTime<Utc>>,
    unfinished: Vec<UnfinishedExecution>,
    day_succeeded: i64,
    day_failed: i64,
    week_succeeded: i64,
    week_failed: i64,
}

impl HealthInputRow {
    /// The core's view of it. The instance's own time zone is not in n8n's public API, so a
    /// schedule without `settings.timezone` is read in UTC (said so in the finding).
    pub fn to_input(&self) -> HealthInput {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        HealthInput {
            active: self.active,
            updated_at: self.n8n_updated_at,
            schedule: self
                .definition
                .as_ref()
                .and_then(|definition| ExpectedSchedule::from_definition(definition, None)),
            last_scheduled_run: self.last_scheduled_run,
            unfinished: self.unfinished.clone(),
            runs: Some(RunCounts {
                last_day: WindowCounts {
                    succeeded: count(self.day_succeeded),
                    failed: count(self.day_failed),
                },
                previous_week: WindowCounts {
                    succeeded: count(self.week_succeeded),
                    failed: count(self.week_failed),
                },
            }),
        }
    }
}

/// A `workflow_health` row as the sync writes it.
#[derive(Debug, Clone, Serialize)]
pub struct HealthRow<'a> {
    /// The workflow.
    pub workflow_id: Uuid,
    /// Its instance.
    pub provider_id: Uuid,
    /// Its owner (explicit: a `service_role` run has no `auth.uid()`).
    pub user_id: Uuid,
    /// The worst finding's severity.
    pub status: flowpulse_core::insight::health::HealthStatus,
    /// Every finding.
    pub findings: &'a [flowpulse_core::insight::health::Finding],
    /// The moment the verdict is true of.
    pub evaluated_at: DateTime<Utc>,
}

impl<'a> HealthRow<'a> {
    /// The row for `health` of workflow `workflow_id`.
    pub fn new(
        workflow_id: Uuid,
        provider_id: Uuid,
        user_id: Uuid,
        health: &'a Health,
        evaluated_at: DateTime<Utc>,
    ) -> Self {
        Self {
            workflow_id,
            provider_id,
            user_id,
            status: health.status,
            findings: &health.findings,
            evaluated_at,
        }
    }
}

impl Store {
    /// The health check's inputs for every current workflow of `provider_id` at `now`.
    pub async fn health_inputs(
        &self,
        provider_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<HealthInputRow>, StoreError> {
        self.rpc(
            "workflow_health_inputs",
            json!({"p_provider_id": provider_id, "p_now": now}),
        )
        .await
    }

    /// Writes the verdicts, replacing each workflow's previous one.
    pub async fn save_health(&self, rows: &[HealthRow<'_>]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_string(rows).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let builder = self
            .client
            .from("workflow_health")
            .upsert(body)
            .on_conflict("workflow_id");
        self.send(builder, Some("resolution=merge-duplicates,return=minimal"))
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::n8n::ExecutionStatus;

    #[test]
    fn a_row_as_the_function_returns_it_becomes_the_checks_input() {
        let row: HealthInputRow = serde_json::from_value(json!({
            "workflow_id": Uuid::from_u128(1),
            "active": true,
            "n8n_updated_at": "2026-11-30T08:00:00Z",
            "definition": {"nodes": [
                {"name": "Every hour", "type": "n8n-nodes-base.scheduleTrigger",
                 "parameters": {"rule": {"interval": [{"field": "hours", "hoursInterval": 1}]}}}
            ], "connections": {}, "settings": {}},
            "last_scheduled_run": "2026-11-30T09:00:00Z",
            "unfinished": [{"n8n_execution_id": 7, "status": "waiting",
                            "started_at": "2026-11-30T09:30:00Z",
                            "wait_till": "2026-11-30T10:00:00Z"}],
            "day_succeeded": 20, "day_failed": 4, "week_succeeded": 140, "week_failed": -1
        }))
        .unwrap();
        let input = row.to_input();
        assert!(input.active);
        assert!(input.schedule.is_some(), "the hourly trigger is read");
        assert_eq!(input.unfinished.len(), 1);
        assert_eq!(input.unfinished[0].status, ExecutionStatus::Waiting);
        let runs = input.runs.unwrap();
        assert_eq!((runs.last_day.succeeded, runs.last_day.failed), (20, 4));
        assert_eq!(runs.previous_week.failed, 0, "a negative count is no count");
    }
}
