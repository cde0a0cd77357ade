//! `/sync-logs`: recent sync runs and their 24-hour statistics.

use crate::api::history::load_sync_logs;
use crate::api::status::check_services;
use crate::components::{
    sync_status_name, sync_type_name, Badge, ErrorNotice, Loading, RelativeTime,
};
use crate::format;
use crate::live::LiveRegion;
use crate::model::SyncLogPage;
use crate::pages::dashboard::InstancePicker;
use crate::pages::query::{PageQuery, QuerySelect};
use leptos::prelude::*;
use uuid::Uuid;

/// What the sync-logs region shows, for the live bridge.
const SYNC_LOG_TABLES: &str = "sync_logs providers";

/// `/sync-logs`; `?instance=` and `?type=` filter it.
#[component]
pub fn SyncLogsPage() -> impl IntoView {
    let query = PageQuery::current();
    let instance = query.uuid("instance");
    let sync_type = query.value("type");
    view! {
        <h1>"Sync logs"</h1>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let logs = load_sync_logs(instance, sync_type.clone()).await;
                view! {
                    <LiveRegion id="sync-logs" tables=SYNC_LOG_TABLES>
                        {match logs {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(page) => view! { <SyncLogsBody page instance sync_type /> }.into_any(),
                        }}
                    </LiveRegion>
                }
            })}
        </Suspense>
        <ServiceStatus />
    }
}

/// Filters, the 24-hour statistics and the recent runs.
#[component]
fn SyncLogsBody(
    page: SyncLogPage,
    instance: Option<Uuid>,
    sync_type: Option<String>,
) -> impl IntoView {
    let now = page.now;
    view! {
        <div class="filters">
            <InstancePicker providers=page.providers selected=instance />
            <QuerySelect id="sync-type-filter" label="Type" param="type" any="All types"
                options=["manual", "scheduled", "cleanup", "workflow"].iter().map(|kind| (kind.to_string(), kind.to_string())).collect()
                selected=sync_type />
        </div>
        <section class="card" aria-labelledby="stats-title">
            <h2 id="stats-title">"Last 24 hours"</h2>
            {if page.stats.is_empty() {
                view! { <p class="empty" data-testid="sync-stats-empty">"No sync ran in the last 24 hours. Press Sync now on the dashboard, or wait for the scheduled sync."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll"><table class="data" data-testid="sync-stats">
                        <thead><tr><th scope="col">"Instance"</th><th scope="col">"Type"</th><th scope="col">"Runs"</th><th scope="col">"Success rate"</th><th scope="col">"Average duration"</th></tr></thead>
                        <tbody>
                            {page.stats.into_iter().map(|row| view! {
                                <tr data-testid="sync-stats-row">
                                    <th scope="row">{row.provider}</th>
                                    <td>{sync_type_name(row.sync_type)}</td>
                                    <td class="num">{row.runs}</td>
                                    <td class="num">{format::percent(row.success_rate)}</td>
                                    <td class="num">{row.avg_duration_ms.map_or_else(|| "–".to_string(), format::duration_ms)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="runs-title">
            <h2 id="runs-title">"Recent runs"</h2>
            {if page.runs.is_empty() {
                view! { <p class="empty" data-testid="sync-runs-empty">"No sync runs yet. Press Sync now on the dashboard to run the first one."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll"><table class="data" data-testid="sync-runs">
                        <thead><tr><th scope="col">"Started"</th><th scope="col">"Instance"</th><th scope="col">"Type"</th><th scope="col">"Status"</th><th scope="col">"Duration"</th><th scope="col">"Workflows"</th><th scope="col">"Executions"</th><th scope="col">"Problem"</th></tr></thead>
                        <tbody>
                            {page.runs.into_iter().map(|run| view! {
                                <tr data-testid="sync-run-row" data-key=run.id.to_string() data-status=sync_status_name(run.status)>
                                    <td><RelativeTime at=Some(run.started_at) now /></td>
                                    <td>{run.provider}</td>
                                    <td>{sync_type_name(run.sync_type)}</td>
                                    <td><Badge status=sync_status_name(run.status) /></td>
                                    <td class="num">{run.duration_ms.map_or_else(|| "–".to_string(), format::duration_ms)}</td>
                                    <td class="num">{run.workflows_synced}</td>
                                    <td class="num">{run.executions_synced}</td>
                                    <td class="problem-cell">{run.error_message.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

/// Whether the services behind syncing answer: the first thing to look at when runs fail.
/// Checked from the browser, so a slow service never holds up the page itself.
#[island]
fn ServiceStatus() -> impl IntoView {
    let status = LocalResource::new(check_services);
    view! {
        <section class="card" aria-labelledby="services-title">
            <h2 id="services-title">"Services"</h2>
            <Transition fallback=|| view! { <Loading label="Checking services…" /> }>
                {move || status.get().map(|result| match result {
                    Ok(s) => view! {
                        <ul class="status-list">
                            <li data-testid="status-database" class:ok=s.database class:down=!s.database>
                                "Database API: " {if s.database { "up" } else { "down" }}
                            </li>
                            <li data-testid="status-edge" class:ok=s.edge_function class:down=!s.edge_function>
                                "Sync function: " {if s.edge_function { "up" } else { "down" }}
                            </li>
                            <li data-testid="status-realtime" class:ok=s.realtime class:down=!s.realtime>
                                "Live updates: " {if s.realtime { "up" } else { "down" }}
                            </li>
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                })}
            </Transition>
            <button type="button" data-testid="recheck" on:click=move |_| status.refetch()>"Check again"</button>
        </section>
    }
}
