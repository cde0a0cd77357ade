//! `/`: totals, the executions chart, the workflow table and "Sync now".

use crate::api::dashboard::{load_dashboard, sync_now};
use crate::components::{sync_status_name, Badge, ErrorNotice, Loading};
use crate::format;
use crate::live::use_live;
use crate::model::{ChartRange, Dashboard, ProviderOption, SyncOutcome};
use crate::pages::chart_view::ExecutionsChart;
use crate::pages::provider_form::ProviderForm;
use crate::pages::query::{use_query_value, use_set_query};
use crate::pages::workflow_table::WorkflowTable;
use leptos::prelude::*;
use uuid::Uuid;

/// `/`
#[component]
pub fn DashboardPage() -> impl IntoView {
    let live = use_live();
    let reload = RwSignal::new(0u64);
    let instance_param = use_query_value("instance");
    let instance = Memo::new(move |_| instance_param.get().and_then(|id| id.parse::<Uuid>().ok()));
    let range_param = use_query_value("range");
    let range = Memo::new(move |_| ChartRange::parse(&range_param.get().unwrap_or_default()));
    let dashboard = Resource::new(
        move || {
            (
                instance.get(),
                range.get(),
                live.workflows.get(),
                live.providers.get(),
                reload.get(),
            )
        },
        |(instance, range, ..)| load_dashboard(instance, range.as_str().to_string()),
    );
    let sync = Action::new(move |instance: &Option<Uuid>| sync_now(*instance));
    Effect::new(move |_| {
        if sync.value().with(Option::is_some) {
            reload.update(|value| *value += 1);
        }
    });
    view! {
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <SyncButton sync instance />
        </div>
        <SyncReport sync />
        <Transition fallback=|| view! { <Loading label="Loading your workflows…" /> }>
            {move || dashboard.get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                Ok(data) if data.providers.is_empty() => view! {
                    <FirstInstance on_saved=Callback::new(move |_| reload.update(|value| *value += 1)) />
                }.into_any(),
                Ok(data) => view! { <DashboardBody data instance range /> }.into_any(),
            })}
        </Transition>
    }
}

/// "Sync now", with the live-connection dot beside it.
#[component]
fn SyncButton(
    sync: Action<Option<Uuid>, Result<SyncOutcome, crate::error::AppError>>,
    instance: Memo<Option<Uuid>>,
) -> impl IntoView {
    let live = use_live();
    view! {
        <div class="sync-controls">
            <span class="live-dot" class:on=move || live.connected.get() data-testid="live-indicator"
                data-connected=move || live.connected.get().to_string()
                title=move || if live.connected.get() { "Live updates on" } else { "Live updates off: reconnecting…" }>
                <span class="visually-hidden">{move || if live.connected.get() { "Live updates on" } else { "Live updates off" }}</span>
            </span>
            <button type="button" class="primary" data-testid="sync-now" aria-busy=move || sync.pending().get().to_string()
                disabled=move || sync.pending().get()
                on:click=move |_| { sync.dispatch(instance.get_untracked()); }>
                {move || if sync.pending().get() {
                    view! { <span class="spinner" aria-hidden="true"></span>"Syncing…" }.into_any()
                } else {
                    view! { "Sync now" }.into_any()
                }}
            </button>
        </div>
    }
}

/// The outcome of the last "Sync now", per instance.
#[component]
fn SyncReport(
    sync: Action<Option<Uuid>, Result<SyncOutcome, crate::error::AppError>>,
) -> impl IntoView {
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
fn FirstInstance(on_saved: Callback<crate::model::ProviderView>) -> impl IntoView {
    view! {
        <section class="card onboarding" data-testid="onboarding">
            <h2>"Welcome! Connect your first n8n instance"</h2>
            <ol class="steps">
                <li>"In n8n, open Settings → n8n API and create an API key."</li>
                <li>"Enter a name for the instance, its URL and the key below."</li>
                <li>"FlowPulse tests the connection; then press Sync now."</li>
            </ol>
            <ProviderForm existing=None on_saved />
        </section>
    }
}

/// Filters, totals, chart and table.
#[component]
fn DashboardBody(
    data: Dashboard,
    instance: Memo<Option<Uuid>>,
    range: Memo<ChartRange>,
) -> impl IntoView {
    let set_query = use_set_query();
    let set_instance = set_query.clone();
    let totals = data.totals;
    let failures_class = if totals.failures_24h > 0 {
        "stat-value bad"
    } else {
        "stat-value"
    };
    view! {
        <div class="filters">
            <InstancePicker providers=data.providers.clone() selected=instance
                on_pick=Callback::new(move |id: Option<String>| set_instance(&[("instance", id)])) />
            <div class="field">
                <label for="chart-range">"Period"</label>
                <select id="chart-range" data-testid="chart-range"
                    on:change=move |event| set_query(&[("range", Some(event_target_value(&event)))])>
                    {ChartRange::ALL.into_iter().map(|option| view! {
                        <option value=option.as_str() selected=move || range.get() == option>{option.label()}</option>
                    }).collect_view()}
                </select>
            </div>
        </div>
        <section class="totals" aria-label="Totals">
            <div class="stat"><span class="stat-label">"Workflows"</span><span class="stat-value" data-testid="total-workflows">{totals.workflows}</span></div>
            <div class="stat"><span class="stat-label">"Executions"</span><span class="stat-value" data-testid="total-executions">{format::count(totals.executions)}</span></div>
            <div class="stat"><span class="stat-label">"Success rate"</span><span class="stat-value" data-testid="total-success-rate">{format::percent(totals.success_rate)}</span></div>
            <div class="stat"><span class="stat-label">"Failures, last 24 h"</span><span class=failures_class data-testid="total-failures-24h">{format::count(totals.failures_24h)}</span></div>
        </section>
        <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title">"Executions over time"</h2>
            <ExecutionsChart buckets=data.chart range=range.get_untracked() truncated=data.chart_truncated />
        </section>
        <section class="card" aria-labelledby="workflows-title">
            <h2 id="workflows-title">"Workflows"</h2>
            <WorkflowTable workflows=data.workflows providers=data.providers now=data.now />
        </section>
    }
}

/// "All instances" or one of them.
#[component]
pub fn InstancePicker(
    providers: Vec<ProviderOption>,
    selected: Memo<Option<Uuid>>,
    on_pick: Callback<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="instance-filter">"Instance"</label>
            <select id="instance-filter" data-testid="instance-filter"
                on:change=move |event| {
                    let value = event_target_value(&event);
                    on_pick.run((!value.is_empty()).then_some(value));
                }>
                <option value="" selected=move || selected.get().is_none()>"All instances"</option>
                {providers.into_iter().map(|provider| {
                    let id = provider.id;
                    view! { <option value=id.to_string() selected=move || selected.get() == Some(id)>{provider.name}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
