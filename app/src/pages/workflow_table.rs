//! The dashboard's workflow table: sortable (header links set `?sort=` and `?dir=`),
//! searchable (`?q=`), with instance badges and a badge on workflows built in the chat. The
//! database sorts, searches and pages it (`workflow_table`); this renders the page it sends.

use crate::components::{ExecutionBadge, RelativeTime};
use crate::format;
use crate::model::insight::HealthBadgeView;
use crate::model::{DurationStats, ProviderOption, WorkflowOrigin, WorkflowSummary};
use crate::pages::query::PageQuery;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::collections::BTreeSet;

/// Columns the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Workflow name.
    Name,
    /// Final executions.
    Executions,
    /// Successful executions.
    Successful,
    /// Failed executions.
    Failed,
    /// Latest execution time.
    LastExecution,
    /// Last sync time.
    LastSync,
    /// 95th percentile of the duration in the period (the slow tail, where trouble shows).
    Duration,
}

impl SortKey {
    /// Every column, in table order.
    pub const ALL: [SortKey; 7] = [
        Self::Name,
        Self::Executions,
        Self::Successful,
        Self::Failed,
        Self::LastExecution,
        Self::LastSync,
        Self::Duration,
    ];

    /// URL value (`?sort=`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Executions => "executions",
            Self::Successful => "successful",
            Self::Failed => "failed",
            Self::LastExecution => "last-execution",
            Self::LastSync => "last-sync",
            Self::Duration => "duration",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|key| key.as_str() == value)
    }

    /// The direction a first click sorts in: numbers and times read best largest/newest first.
    pub fn descending_first(self) -> bool {
        self != Self::Name
    }
}

/// Search text and sort order of the table, from `?q=`, `?sort=` and `?dir=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableView {
    /// Shown rows' names contain this (case-insensitive).
    pub search: String,
    /// Sorted by this column.
    pub key: SortKey,
    /// Largest/newest first.
    pub descending: bool,
}

impl TableView {
    /// The view the URL asks for; name ascending when it asks for none.
    pub fn from_query(query: &PageQuery) -> Self {
        let key = query
            .value("sort")
            .and_then(|key| SortKey::parse(&key))
            .unwrap_or(SortKey::Name);
        let descending = match query.value("dir").as_deref() {
            Some("desc") => true,
            Some("asc") => false,
            _ => key.descending_first(),
        };
        Self {
            search: query.value("q").unwrap_or_default(),
            key,
            descending,
        }
    }

    /// The order a click on `key`'s header asks for: the other direction of the current
    /// column, or a new column in its first direction.
    pub fn next_order(&self, key: SortKey) -> (SortKey, bool) {
        if key == self.key {
            (key, !self.descending)
        } else {
            (key, key.descending_first())
        }
    }
}

/// One page of the table, in the order the database sent it.
#[component]
pub fn WorkflowTable(
    workflows: Vec<WorkflowSummary>,
    providers: Vec<ProviderOption>,
    now: DateTime<Utc>,
    shown: TableView,
    query: PageQuery,
    /// The node or credential filter is set (the server already left other rows out).
    #[prop(optional)]
    narrowed: bool,
    /// Render only these rows (a live refresh for updated rows), or all with `None`; every
    /// row's key is still listed, in order, so the page can tell whether rows moved.
    only: Option<BTreeSet<String>>,
) -> impl IntoView {
    let keys = workflows
        .iter()
        .map(|row| row.id.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let no_rows = workflows.is_empty();
    let partial = only.is_some();
    let rows: Vec<WorkflowSummary> = match only {
        Some(only) => workflows
            .into_iter()
            .filter(|row| only.contains(&row.id.to_string()))
            .collect(),
        None => workflows,
    };
    let header = |label: &'static str, key: SortKey, testid: &'static str| {
        let aria_sort = match (shown.key == key, shown.descending) {
            (true, false) => "ascending",
            (true, true) => "descending",
            (false, _) => "none",
        };
        let (next_key, next_descending) = shown.next_order(key);
        let href = query.href_with(&[
            ("sort", Some(next_key.as_str().to_string())),
            (
                "dir",
                Some(if next_descending { "desc" } else { "asc" }.to_string()),
            ),
        ]);
        view! {
            <th scope="col" aria-sort=aria_sort>
                <a class="sort" href=href data-live-link data-testid=testid>{label}</a>
            </th>
        }
    };
    let empty = no_rows.then(|| {
        let text = if !shown.search.is_empty() {
            "No workflow name contains that text. Clear the search to see all."
        } else if narrowed {
            "No workflow uses that node or credential. Choose “Any” to see all."
        } else {
            "No workflows yet. Press Sync now to fetch them from n8n."
        };
        view! { <p class="empty" data-testid="workflow-table-empty">{text}</p> }
    });
    view! {
        <div class="table-scroll">
            <table class="data" data-testid="workflow-table">
                <thead>
                    <tr>
                        {header("Workflow", SortKey::Name, "sort-name")}
                        <th scope="col">"Instance"</th>
                        <th scope="col">"Active"</th>
                        <th scope="col">"Health"</th>
                        {header("Executions", SortKey::Executions, "sort-executions")}
                        {header("Successful", SortKey::Successful, "sort-successful")}
                        {header("Failed", SortKey::Failed, "sort-failed")}
                        {header("Duration p50 · p95 · max", SortKey::Duration, "sort-duration")}
                        {header("Last execution", SortKey::LastExecution, "sort-last-execution")}
                        {header("Last sync", SortKey::LastSync, "sort-last-sync")}
                    </tr>
                </thead>
                <tbody data-live-keys=keys data-live-partial=partial.then_some("")>
                    {rows.into_iter().map(|row| view! {
                        <tr data-testid="workflow-row" data-key=row.id.to_string() data-workflow-id=row.id.to_string()>
                            <th scope="row">
                                <a href=format!("/executions?workflow={}", row.id) title="Execution history">{row.name.clone()}</a>
                                {(row.origin == WorkflowOrigin::Builder).then(|| view! {
                                    " " <span class="badge builder" data-testid="workflow-built-in-chat"
                                        title="Deployed from FlowPulse's chat">"built in chat"</span>
                                })}
                            </th>
                            <td>{providers.iter().find(|p| p.id == row.provider_id).map(|p| {
                                let tone = crate::components::provider_status_name(p.status);
                                view! { <span class=format!("badge instance {tone}") title=format!("Instance status: {tone}")>{p.name.clone()}</span> }
                            })}</td>
                            <td>{if row.active { "Yes" } else { "No" }}</td>
                            <td><HealthBadge health=row.health.clone() /></td>
                            <td class="num" data-testid="workflow-executions">{format::count(row.execution_count)}</td>
                            <td class="num" data-testid="workflow-successful">{format::count(row.successful_executions)}</td>
                            <td class="num" data-testid="workflow-failed">{format::count(row.failed_executions)}</td>
                            <td class="num" data-testid="workflow-durations"><Durations durations=row.durations /></td>
                            <td><ExecutionBadge status=row.last_execution_status />" " <RelativeTime at=row.last_execution_at now never="" /></td>
                            <td><RelativeTime at=row.last_sync_at now /></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {empty}
        </div>
    }
}

/// Median, 95th percentile and longest run of the period, or a dash when nothing finished.
#[component]
pub fn Durations(durations: Option<DurationStats>) -> impl IntoView {
    match durations {
        Some(d) => {
            let title = format!("{} finished runs in the period", d.runs);
            view! {
                <span title=title>
                    {format::duration_ms(d.p50_ms)}" · "{format::duration_ms(d.p95_ms)}" · "
                    {format::duration_ms(d.max_ms)}
                </span>
            }
            .into_any()
        }
        None => view! { <span class="muted" title="No finished run in the period">"–"</span> }
            .into_any(),
    }
}

/// A workflow's health verdict, with its first finding as the tooltip; a dash before the
/// first verdict.
#[component]
pub fn HealthBadge(health: Option<HealthBadgeView>) -> impl IntoView {
    match health {
        Some(health) => {
            let title = health
                .first_message
                .unwrap_or_else(|| "No problem found.".to_string());
            view! {
                <a href="/health" class=format!("badge health {}", health.status) title=title
                    data-testid="workflow-health" data-health=health.status.clone()>{health.status.clone()}</a>
            }
            .into_any()
        }
        None => view! {
            <span class="muted" data-testid="workflow-health" data-health="none" title="Not checked yet">"–"</span>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_round_trip_through_the_url() {
        for key in SortKey::ALL {
            assert_eq!(SortKey::parse(key.as_str()), Some(key));
        }
        assert_eq!(SortKey::parse("drop table"), None);
    }

    #[test]
    fn a_header_click_reverses_its_column_or_starts_a_new_one_in_its_first_direction() {
        let shown = TableView {
            search: String::new(),
            key: SortKey::Executions,
            descending: true,
        };
        assert_eq!(
            shown.next_order(SortKey::Executions),
            (SortKey::Executions, false)
        );
        assert_eq!(shown.next_order(SortKey::Name), (SortKey::Name, false));
        assert_eq!(shown.next_order(SortKey::Failed), (SortKey::Failed, true));
    }
}
