//! `/executions`: the execution history, filtered and paged.

use crate::api::history::{load_executions, EXECUTIONS_PER_PAGE, TIME_RANGES};
use crate::components::{ErrorNotice, ExecutionBadge, RelativeTime};
use crate::format;
use crate::live::LiveRegion;
use crate::model::ExecutionPage;
use crate::pages::dashboard::InstancePicker;
use crate::pages::query::{PageLink, PageQuery, QuerySelect};
use flowpulse_core::n8n::ExecutionStatus;
use leptos::prelude::*;
use uuid::Uuid;

/// What the executions region shows, for the live bridge (executions arrive with workflow
/// counter changes).
const EXECUTION_TABLES: &str = "mvp_workflows providers";

/// The filters of the executions page, from its query string.
#[derive(Debug, Clone)]
struct Filters {
    workflow: Option<Uuid>,
    instance: Option<Uuid>,
    status: Option<String>,
    range: Option<String>,
    page: u64,
}

/// `/executions`; `?workflow=`, `?instance=`, `?status=`, `?range=` filter it, `?page=` pages.
#[component]
pub fn ExecutionsPage() -> impl IntoView {
    let query = PageQuery::current();
    let filters = Filters {
        workflow: query.uuid("workflow"),
        instance: query.uuid("instance"),
        status: query.value("status"),
        range: query.value("range"),
        page: query
            .value("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
    };
    view! {
        <h1>"Executions"</h1>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let f = filters.clone();
                let result = load_executions(f.workflow, f.status, f.instance, f.range, f.page).await;
                view! {
                    <LiveRegion id="executions" tables=EXECUTION_TABLES>
                        {match result {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(data) => view! { <ExecutionsBody data filters=filters.clone() query=query.clone() /> }.into_any(),
                        }}
                    </LiveRegion>
                }
            })}
        </Suspense>
    }
}

/// Filters, the table and the pager.
#[component]
fn ExecutionsBody(data: ExecutionPage, filters: Filters, query: PageQuery) -> impl IntoView {
    let now = data.now;
    let first = data.offset + 1;
    let last = data.offset + data.rows.len() as u64;
    let has_next = last < data.total;
    let page_link = |page: u64| query.href_with(&[("page", (page > 0).then(|| page.to_string()))]);
    let previous = (filters.page > 0).then(|| page_link(filters.page - 1));
    let next = has_next.then(|| page_link(filters.page + 1));
    view! {
        <div class="filters">
            <InstancePicker providers=data.providers selected=filters.instance resets="workflow page" />
            <QuerySelect id="workflow-filter" label="Workflow" param="workflow" resets="page"
                any="All workflows" selected=filters.workflow.map(|id| id.to_string())
                options=data.workflows.into_iter().map(|option| (option.id.to_string(), option.name)).collect() />
            <QuerySelect id="status-filter" label="Status" param="status" resets="page"
                any="Any status" selected=filters.status.clone()
                options=ExecutionStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())).collect() />
            <QuerySelect id="range-filter" label="Started" param="range" resets="page"
                selected=Some(filters.range.clone().unwrap_or_else(|| "all".into()))
                options=TIME_RANGES.iter().map(|(value, label)| (value.to_string(), label.to_string())).collect() />
        </div>
        {data.durations.map(|d| view! {
            <section class="totals" aria-label="Durations of this workflow" data-testid="workflow-duration-stats">
                <div class="stat"><span class="stat-label">"Median duration"</span><span class="stat-value" data-testid="duration-p50">{format::duration_ms(d.p50_ms)}</span></div>
                <div class="stat"><span class="stat-label">"95th percentile"</span><span class="stat-value" data-testid="duration-p95">{format::duration_ms(d.p95_ms)}</span></div>
                <div class="stat"><span class="stat-label">"Longest"</span><span class="stat-value" data-testid="duration-max">{format::duration_ms(d.max_ms)}</span></div>
                <div class="stat"><span class="stat-label">"Finished runs"</span><span class="stat-value">{format::count(d.runs)}</span></div>
            </section>
        })}
        {if data.rows.is_empty() {
            view! { <p class="empty card" data-testid="executions-empty">"No executions match these filters. Widen the time range or clear a filter; new executions arrive with the next sync."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll card"><table class="data" data-testid="executions-table">
                    <thead><tr><th scope="col">"Started"</th><th scope="col">"Workflow"</th><th scope="col">"Instance"</th><th scope="col">"Status"</th><th scope="col">"Mode"</th><th scope="col">"Duration"</th><th scope="col">"n8n id"</th><th scope="col">"Error"</th></tr></thead>
                    <tbody>
                        {data.rows.into_iter().map(|row| view! {
                            <tr data-testid="execution-row" data-key=row.id.to_string() data-status=row.status.as_str()>
                                <td><RelativeTime at=row.started_at now never="not started" /></td>
                                <td>{row.workflow}</td>
                                <td>{row.provider}</td>
                                <td><ExecutionBadge status=Some(row.status) /></td>
                                <td>{row.mode}</td>
                                <td class="num">{row.duration_ms.map_or_else(|| "–".to_string(), format::duration_ms)}</td>
                                <td class="num">{row.n8n_execution_id}</td>
                                <td class="problem-cell">{row.error_message.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            <PageLink href=previous label="Previous" testid="page-previous" />
            <span data-testid="page-info">{if data.total == 0 {
                "0 executions".to_string()
            } else {
                format!("{first}–{last} of {}", format::count(i64::try_from(data.total).unwrap_or(i64::MAX)))
            }}</span>
            <PageLink href=next label="Next" testid="page-next" />
        </nav>
        <p class="muted">{format!("{EXECUTIONS_PER_PAGE} per page, newest first. Times in your browser are relative; hover for UTC.")}</p>
    }
}
