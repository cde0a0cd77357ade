//! The dashboard's workflow table, headline numbers and filter choices, read from the
//! database's aggregates (`workflow_table`, `workflow_totals`, `workflow_filter_choices`) so
//! the app never reads every workflow row: one page of the table costs the same at 100
//! workflows as at 10,000.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::insight::HealthBadgeView;
use crate::model::WorkflowSummary;
use crate::server::durations::stats;

pub use crate::api::dashboard::WORKFLOWS_PER_PAGE;

/// What the table shows: the page's narrowing, order and position.
#[derive(Debug, Clone, Serialize)]
pub struct TableArguments {
    /// Durations cover executions started from here on.
    pub p_since: DateTime<Utc>,
    // Unset narrowings are left out, not sent as null: the local PostgREST (postrust) turns
    // a JSON null argument into '' (the SQL defaults are null).
    /// Only this instance's workflows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_provider_id: Option<Uuid>,
    /// Names containing this (case-insensitive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_search: Option<String>,
    /// Workflows using this node type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_node: Option<String>,
    /// Workflows needing this credential type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_credential: Option<String>,
    /// A `SortKey` name; the database refuses any other.
    pub p_sort: String,
    /// Largest/newest first.
    pub p_descending: bool,
    /// Page size.
    pub p_limit: u32,
    /// Rows before the page.
    pub p_offset: u64,
}

/// Only the non-blank, trimmed text of an optional filter.
pub fn filter_text(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// One row of `workflow_table`.
#[derive(Debug, Deserialize)]
pub struct TableRow {
    #[serde(flatten)]
    summary: WorkflowSummary,
    health_status: Option<String>,
    health_message: Option<String>,
    runs: Option<i64>,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<i64>,
    /// Rows matching the narrowing, on every page.
    total: i64,
}

/// The page's rows, and how many rows match in all.
pub fn into_page(rows: Vec<TableRow>) -> (Vec<WorkflowSummary>, u64) {
    let total = rows
        .first()
        .map_or(0, |row| u64::try_from(row.total).unwrap_or(0));
    let rows = rows
        .into_iter()
        .map(|row| {
            let mut summary = row.summary;
            summary.health = row.health_status.map(|status| HealthBadgeView {
                status,
                first_message: row.health_message,
            });
            summary.durations = row
                .runs
                .and_then(|runs| stats(runs, row.p50_ms, row.p95_ms, row.max_ms));
            summary
        })
        .collect();
    (rows, total)
}

/// `workflow_totals`.
#[derive(Debug, Deserialize)]
pub struct WorkflowTotals {
    pub workflows: i64,
    pub executions: i64,
    pub successful: i64,
}

/// `workflow_filter_choices`.
#[derive(Debug, Default, Deserialize)]
pub struct FilterChoices {
    #[serde(default)]
    pub node_types: Vec<String>,
    #[serde(default)]
    pub credential_types: Vec<String>,
}

/// The instance narrowing of `workflow_totals` and `workflow_filter_choices`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct InstanceArgument {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_provider_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_carries_its_health_and_durations_and_the_page_its_total() {
        let row = |id: &str, health: Option<&str>, runs: Option<i64>| {
            serde_json::from_value::<TableRow>(serde_json::json!({
                "id": id, "provider_id": Uuid::nil(), "name": "Orders", "active": true,
                "execution_count": 3, "successful_executions": 2, "failed_executions": 1,
                "last_execution_at": null, "last_execution_status": "error",
                "last_sync_at": null, "origin": "sync",
                "health_status": health, "health_message": health.map(|_| "Failing"),
                "runs": runs, "p50_ms": runs.map(|_| 120.4), "p95_ms": runs.map(|_| 900.6),
                "max_ms": runs.map(|_| 1000), "total": 240
            }))
            .unwrap()
        };
        let (rows, total) = into_page(vec![
            row(
                "00000000-0000-0000-0000-000000000001",
                Some("critical"),
                Some(3),
            ),
            row("00000000-0000-0000-0000-000000000002", None, None),
        ]);
        assert_eq!(total, 240);
        let health = rows[0].health.as_ref().unwrap();
        assert_eq!(
            (health.status.as_str(), health.first_message.as_deref()),
            ("critical", Some("Failing"))
        );
        let durations = rows[0].durations.unwrap();
        assert_eq!(
            (durations.p50_ms, durations.p95_ms, durations.max_ms),
            (120, 901, 1000)
        );
        assert!(rows[1].health.is_none() && rows[1].durations.is_none());
        assert_eq!(into_page(Vec::new()).1, 0);
    }

    #[test]
    fn blank_filters_are_left_out() {
        assert_eq!(filter_text(Some("  ".into())), None);
        assert_eq!(filter_text(Some(" Slack ".into())), Some("Slack".into()));
        let arguments = TableArguments {
            p_since: Utc::now(),
            p_provider_id: None,
            p_search: None,
            p_node: None,
            p_credential: None,
            p_sort: "name".into(),
            p_descending: false,
            p_limit: WORKFLOWS_PER_PAGE,
            p_offset: 0,
        };
        let sent = serde_json::to_value(&arguments).unwrap();
        assert!(sent.get("p_search").is_none() && sent.get("p_provider_id").is_none());
    }
}
