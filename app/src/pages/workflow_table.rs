//! The dashboard's workflow table: sortable, searchable, with instance badges.

use crate::components::{ExecutionBadge, RelativeTime};
use crate::format;
use crate::model::{ProviderOption, WorkflowSummary};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::cmp::Ordering;

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
}

/// Orders two rows by `key`, ascending.
pub fn compare(a: &WorkflowSummary, b: &WorkflowSummary, key: SortKey) -> Ordering {
    match key {
        SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        SortKey::Executions => a.execution_count.cmp(&b.execution_count),
        SortKey::Successful => a.successful_executions.cmp(&b.successful_executions),
        SortKey::Failed => a.failed_executions.cmp(&b.failed_executions),
        SortKey::LastExecution => a.last_execution_at.cmp(&b.last_execution_at),
        SortKey::LastSync => a.last_sync_at.cmp(&b.last_sync_at),
    }
}

/// The rows matching `search` (case-insensitive, on the name), sorted.
pub fn visible_rows(
    rows: &[WorkflowSummary],
    search: &str,
    key: SortKey,
    descending: bool,
) -> Vec<WorkflowSummary> {
    let needle = search.trim().to_lowercase();
    let mut rows: Vec<WorkflowSummary> = rows
        .iter()
        .filter(|row| needle.is_empty() || row.name.to_lowercase().contains(&needle))
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        let order = compare(a, b, key);
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    rows
}

/// The table.
#[component]
pub fn WorkflowTable(
    workflows: Vec<WorkflowSummary>,
    providers: Vec<ProviderOption>,
    now: DateTime<Utc>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new((SortKey::Name, false));
    let workflows = StoredValue::new(workflows);
    let providers = StoredValue::new(providers);
    let rows = Memo::new(move |_| {
        let (key, descending) = sort.get();
        workflows.with_value(|all| visible_rows(all, &search.get(), key, descending))
    });
    let header = move |label: &'static str, key: SortKey, testid: &'static str| {
        let aria_sort = move || match sort.get() {
            (current, false) if current == key => "ascending",
            (current, true) if current == key => "descending",
            _ => "none",
        };
        view! {
            <th scope="col" aria-sort=aria_sort>
                <button type="button" class="sort" data-testid=testid on:click=move |_| {
                    sort.update(|(current, descending)| {
                        if *current == key {
                            *descending = !*descending;
                        } else {
                            *current = key;
                            // Numbers and times read best largest/newest first.
                            *descending = key != SortKey::Name;
                        }
                    })
                }>{label}</button>
            </th>
        }
    };
    view! {
        <div class="table-tools">
            <label for="workflow-search">"Search workflows"</label>
            <input id="workflow-search" type="search" placeholder="Name contains…" data-testid="workflow-search"
                prop:value=move || search.get() on:input=move |event| search.set(event_target_value(&event)) />
        </div>
        <div class="table-scroll">
            <table class="data" data-testid="workflow-table">
                <thead>
                    <tr>
                        {header("Workflow", SortKey::Name, "sort-name")}
                        <th scope="col">"Instance"</th>
                        <th scope="col">"Active"</th>
                        {header("Executions", SortKey::Executions, "sort-executions")}
                        {header("Successful", SortKey::Successful, "sort-successful")}
                        {header("Failed", SortKey::Failed, "sort-failed")}
                        {header("Last execution", SortKey::LastExecution, "sort-last-execution")}
                        {header("Last sync", SortKey::LastSync, "sort-last-sync")}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|row| (row.id, row.execution_count, row.last_sync_at, row.last_execution_status) let:row>
                        <tr data-testid="workflow-row" data-workflow-id=row.id.to_string()>
                            <th scope="row">
                                <a href=format!("/executions?workflow={}", row.id) title="Execution history">{row.name.clone()}</a>
                            </th>
                            <td>{providers.with_value(|list| list.iter().find(|p| p.id == row.provider_id).map(|p| {
                                let tone = crate::components::provider_status_name(p.status);
                                view! { <span class=format!("badge instance {tone}") title=format!("Instance status: {tone}")>{p.name.clone()}</span> }
                            }))}</td>
                            <td>{if row.active { "Yes" } else { "No" }}</td>
                            <td class="num" data-testid="workflow-executions">{format::count(row.execution_count)}</td>
                            <td class="num" data-testid="workflow-successful">{format::count(row.successful_executions)}</td>
                            <td class="num" data-testid="workflow-failed">{format::count(row.failed_executions)}</td>
                            <td><ExecutionBadge status=row.last_execution_status />" " <RelativeTime at=row.last_execution_at now never="" /></td>
                            <td><RelativeTime at=row.last_sync_at now /></td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="empty" data-testid="workflow-table-empty">
                    {move || if search.with(String::is_empty) {
                        "No workflows yet. Press Sync now to fetch them from n8n."
                    } else {
                        "No workflow name contains that text. Clear the search to see all."
                    }}
                </p>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn row(name: &str, executions: i64) -> WorkflowSummary {
        WorkflowSummary {
            id: Uuid::new_v4(),
            provider_id: Uuid::nil(),
            name: name.into(),
            active: true,
            execution_count: executions,
            successful_executions: executions,
            failed_executions: 0,
            last_execution_at: None,
            last_execution_status: None,
            last_sync_at: None,
        }
    }

    #[test]
    fn search_is_case_insensitive_on_the_name() {
        let rows = [row("Invoice sync", 1), row("Slack alerts", 2)];
        let names: Vec<_> = visible_rows(&rows, " INVOICE ", SortKey::Name, false)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["Invoice sync"]);
    }

    #[test]
    fn rows_sort_by_the_chosen_column_in_either_direction() {
        let rows = [row("b", 5), row("A", 9), row("c", 1)];
        let by = |key, descending| -> Vec<String> {
            visible_rows(&rows, "", key, descending)
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(by(SortKey::Name, false), ["A", "b", "c"]);
        assert_eq!(by(SortKey::Executions, true), ["A", "b", "c"]);
        assert_eq!(by(SortKey::Executions, false), ["c", "b", "A"]);
    }
}
