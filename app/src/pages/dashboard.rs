//! `/`: totals, the executions chart, the workflow table and "Sync now".

use crate::api::dashboard::{load_dashboard, sync_now, WORKFLOWS_PER_PAGE};
use crate::components::{sync_status_name, Badge, ErrorNotice};
use crate::format;
use crate::live::{request_refresh, rows_wanted, LiveDot, LiveRegion};
use crate::model::{ChartRange, Dashboard, ProviderOption, SyncOutcome, TableQuery};
use crate::pages::chart_view::{DurationChart, ExecutionsChart};
use crate::pages::provider_form::ProviderForm;
use crate::pages::query::{PageLink, PageQuery, QuerySelect};
use crate::pages::workflow_table::{TableView, WorkflowTable};
use leptos::prelude::*;
use uuid::Uuid;

/// What the dashboard's regions show, for the live bridge.
const DASHBOARD_TABLES: &str = "providers mvp_workflows workflow_health";
/// The workflow table's live region, whose rows a refresh may ask for one by one.
const WORKFLOWS_REGION: &str = "dashboard-workflows";

/// `/`
#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = PageQuery::current();
    let instance = query.uuid("instance");
    let range = ChartRange::parse(&query.value("range").unwrap_or_default());
    let shown = TableView::from_query(&query);
    let table = TableQuery {
        search: Some(shown.search.clone()),
        node: query.value("node"),
        credential: query.value("credential"),
        sort: shown.key.as_str().to_string(),
        descending: shown.descending,
        page: query
            .value("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
    };
    view! {
        <SyncControls />
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match load_dashboard(instance, range.as_str().to_string(), table.clone()).await {
                    Err(error) => view! {
                        <LiveRegion id="dashboard-summary" tables=DASHBOARD_TABLES>
                            <ErrorNotice error />
                        </LiveRegion>
                    }.into_any(),
                    Ok(data) if data.providers.is_empty() => view! {
                        <LiveRegion id="dashboard-summary" tables=DASHBOARD_TABLES>
                            <FirstInstance />
                        </LiveRegion>
                    }.into_any(),
                    Ok(data) => view! { <DashboardBody data query instance range /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The instance the dashboard is filtered to, read from the address bar when it is used: the
/// filter changes the URL without reloading this island.
fn selected_instance() -> Option<Uuid> {
    #[cfg(feature = "hydrate")]
    {
        let search = window().location().search().ok()?;
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
        params.get("instance").and_then(|id| id.parse().ok())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The page heading, "Sync now" with the live-connection dot beside it, and the sync report.
#[island]
fn SyncControls() -> impl IntoView {
    let sync = Action::new(move |_: &()| sync_now(selected_instance()));
    Effect::new(move |_| {
        if sync.value().with(Option::is_some) {
            request_refresh();
        }
    });
    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <div class="sync-controls">
                <LiveDot />
                <button type="button" class="primary" data-testid="sync-now" aria-busy=move || sync.pending().get().to_string()
                    disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(()); }>
                    {move || if sync.pending().get() {
                        view! { <span class="spinner" aria-hidden="true"></span>"Syncing…" }.into_any()
                    } else {
                        view! { "Sync now" }.into_any()
                    }}
                </button>
            </div>
        </div>
        <SyncReport sync />
    }
}

/// The outcome of the last "Sync now", per instance.
#[component]
fn SyncReport(sync: Action<(), Result<SyncOutcome, crate::error::AppError>>) -> impl IntoView {
    view! {
        <div aria-live="polite" data-testid="sync-report">
            {move || sync.pending().get().then(|| view! {
                <p class="notice info" data-testid="sync-progress">"Syncing with n8n… the table updates as workflows arrive."</p>
            })}
            {move || (!sync.pending().get()).then(|| sync.value().get()).flatten().map(|result| match result {
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                Ok(outcome) if outcome.results.is_empty() => view! {
                    <p class="notice info">"Nothing to sync: add an n8n instance first."</p>
                }.into_any(),
                Ok(outcome) => view! {
                    <ul class="sync-results">
                        {outcome.results.into_iter().map(|result| {
                            let status = sync_status_name(result.status);
                            let notice_class = if result.problem.is_some() { "notice error" } else { "notice ok" };
                            view! {
                                <li class=notice_class
                                    data-testid="sync-result" data-status=status>
                                    <strong>{result.provider.clone()}</strong>" " <Badge status />
                                    " " {format!("{} workflows, {} executions in {}", result.workflows_synced,
                                        result.executions_synced, format::duration_ms(result.duration_ms as i64))}
                                    {result.problem.map(|problem| view! { <p data-testid="sync-problem">{problem}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </div>
    }
}

/// Guided first step for a user without instances.
#[component]
fn FirstInstance() -> impl IntoView {
    view! {
        <section class="card onboarding" data-testid="onboarding">
            <h2>"Welcome! Connect your first n8n instance"</h2>
            <ol class="steps">
                <li>"In n8n, open Settings → n8n API and create an API key."</li>
                <li>"Enter a name for the instance, its URL and the key below."</li>
                <li>"FlowPulse tests the connection; then press Sync now."</li>
            </ol>
            <ProviderForm existing=None done_path="/".to_string() />
        </section>
    }
}

/// Filters, totals, chart and table.
#[component]
fn DashboardBody(
    data: Dashboard,
    query: PageQuery,
    instance: Option<Uuid>,
    range: ChartRange,
) -> impl IntoView {
    let totals = data.totals;
    let failures_class = if totals.failures_24h > 0 {
        "stat-value bad"
    } else {
        "stat-value"
    };
    let table = TableView::from_query(&query);
    let search = table.search.clone();
    let filter_choices = data.providers.clone();
    let (node, credential) = (query.value("node"), query.value("credential"));
    let narrowed = node.is_some() || credential.is_some();
    let shown_rows = data.table.len() as u64;
    view! {
        <LiveRegion id="dashboard-summary" tables=DASHBOARD_TABLES>
            <div class="filters">
                <InstancePicker providers=filter_choices selected=instance resets="page node credential" />
                <QuerySelect id="chart-range" label="Period" param="range"
                    options=ChartRange::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect()
                    selected=Some(range.as_str().to_string()) />
            </div>
            <section class="totals" aria-label="Totals">
                <div class="stat"><span class="stat-label">"Workflows"</span><span class="stat-value" data-testid="total-workflows">{totals.workflows}</span></div>
                <div class="stat"><span class="stat-label">"Executions"</span><span class="stat-value" data-testid="total-executions">{format::count(totals.executions)}</span></div>
                <div class="stat"><span class="stat-label">"Success rate"</span><span class="stat-value" data-testid="total-success-rate">{format::percent(totals.success_rate)}</span></div>
                <div class="stat"><span class="stat-label">"Failures, last 24 h"</span><span class=failures_class data-testid="total-failures-24h">{format::count(totals.failures_24h)}</span></div>
            </section>
            <section class="card" aria-labelledby="chart-title">
                <h2 id="chart-title">"Executions over time"</h2>
                <ExecutionsChart buckets=data.chart.clone() range />
                <h3 id="duration-title">"Duration"</h3>
                <DurationChart buckets=data.chart range />
            </section>
        </LiveRegion>
        <section class="card" aria-labelledby="workflows-title">
            <h2 id="workflows-title">"Workflows"</h2>
            // Outside the live region: a refresh must never rewrite what is being typed.
            <div class="table-tools">
                <label for="workflow-search">"Search workflows"</label>
                <input id="workflow-search" type="search" placeholder="Name contains…" data-testid="workflow-search"
                    data-query-param="q" data-query-resets="page" value=search />
            </div>
            <LiveRegion id=WORKFLOWS_REGION tables=DASHBOARD_TABLES rows="mvp_workflows">
                <div class="filters">
                    <QuerySelect id="node-filter" label="Uses node" param="node" any="Any node"
                        resets="page" options=data.filters.node_types selected=node />
                    <QuerySelect id="credential-filter" label="Needs credential" param="credential"
                        any="Any credential" resets="page" options=data.filters.credential_types selected=credential />
                </div>
                <WorkflowTable workflows=data.table providers=data.providers now=data.now shown=table query=query.clone() narrowed
                    only=rows_wanted(WORKFLOWS_REGION) />
                <TablePager total=data.table_total offset=data.table_offset shown=shown_rows query />
            </LiveRegion>
        </section>
    }
}

/// "All instances" or one of them; picking one sets `?instance=` and clears `resets`.
#[component]
pub fn InstancePicker(
    providers: Vec<ProviderOption>,
    selected: Option<Uuid>,
    /// Query parameters that no longer apply once the instance changes, space separated.
    #[prop(optional)]
    resets: &'static str,
) -> impl IntoView {
    let options = providers
        .into_iter()
        .map(|provider| (provider.id.to_string(), provider.name))
        .collect();
    view! {
        <QuerySelect id="instance-filter" label="Instance" param="instance" resets
            any="All instances" options selected=selected.map(|id| id.to_string()) />
    }
}

/// The workflow table's pager: where this page sits among the matching workflows.
#[component]
fn TablePager(total: u64, offset: u64, shown: u64, query: PageQuery) -> impl IntoView {
    let page = offset / u64::from(WORKFLOWS_PER_PAGE);
    let page_link = |page: u64| query.href_with(&[("page", (page > 0).then(|| page.to_string()))]);
    let previous = (page > 0).then(|| page_link(page - 1));
    let next = (offset + shown < total).then(|| page_link(page + 1));
    // One page holds everything: no pager to show.
    (total > u64::from(WORKFLOWS_PER_PAGE) || page > 0).then(|| {
        let count = |n: u64| format::count(i64::try_from(n).unwrap_or(i64::MAX));
        let info = format!(
            "{}–{} of {}",
            count(offset + 1),
            count(offset + shown),
            count(total)
        );
        view! {
            <nav class="pager" aria-label="Workflow pages">
                <PageLink href=previous label="Previous" testid="workflow-page-previous" />
                <span data-testid="workflow-page-info">{info}</span>
                <PageLink href=next label="Next" testid="workflow-page-next" />
            </nav>
        }
    })
}
