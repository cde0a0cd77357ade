//! `/executions`: the execution history, filtered and paged.

use crate::api::history::{load_executions, EXECUTIONS_PER_PAGE, TIME_RANGES};
use crate::components::{ErrorNotice, ExecutionBadge, Loading, RelativeTime};
use crate::format;
use crate::live::use_live;
use crate::pages::dashboard::InstancePicker;
use crate::pages::query::{use_query_value, use_set_query};
use flowpulse_core::n8n::ExecutionStatus;
use leptos::prelude::*;
use uuid::Uuid;

/// `/executions`
#[component]
pub fn ExecutionsPage() -> impl IntoView {
    let live = use_live();
    let uuid_param = |key| {
        let raw = use_query_value(key);
        Memo::new(move |_| raw.get().and_then(|id| id.parse::<Uuid>().ok()))
    };
    let workflow = uuid_param("workflow");
    let instance = uuid_param("instance");
    let status = use_query_value("status");
    let range = use_query_value("range");
    let page_param = use_query_value("page");
    let page = Memo::new(move |_| {
        page_param
            .get()
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    });
    let executions = Resource::new(
        move || {
            (
                workflow.get(),
                status.get(),
                instance.get(),
                range.get(),
                page.get(),
                live.workflows.get(),
            )
        },
        |(workflow, status, instance, range, page, _)| {
            load_executions(workflow, status, instance, range, page)
        },
    );
    let set_query = use_set_query();
    view! {
        <h1>"Executions"</h1>
        <Transition fallback=|| view! { <Loading label="Loading executions…" /> }>
            {move || executions.get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                Ok(data) => {
                    let now = data.now;
                    let (set_instance, set_workflow, set_status, set_range, set_page) =
                        (set_query.clone(), set_query.clone(), set_query.clone(), set_query.clone(), set_query.clone());
                    let set_page_back = set_page.clone();
                    let first = data.offset + 1;
                    let last = data.offset + data.rows.len() as u64;
                    let has_next = last < data.total;
                    view! {
                        <div class="filters">
                            <InstancePicker providers=data.providers selected=instance
                                on_pick=Callback::new(move |id: Option<String>| set_instance(&[("instance", id), ("workflow", None), ("page", None)])) />
                            <div class="field">
                                <label for="workflow-filter">"Workflow"</label>
                                <select id="workflow-filter" data-testid="workflow-filter"
                                    on:change=move |event| set_workflow(&[("workflow", Some(event_target_value(&event))), ("page", None)])>
                                    <option value="" selected=move || workflow.get().is_none()>"All workflows"</option>
                                    {data.workflows.into_iter().map(|option| {
                                        let id = option.id;
                                        view! { <option value=id.to_string() selected=move || workflow.get() == Some(id)>{option.name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="status-filter">"Status"</label>
                                <select id="status-filter" data-testid="status-filter"
                                    on:change=move |event| set_status(&[("status", Some(event_target_value(&event))), ("page", None)])>
                                    <option value="" selected=move || status.get().is_none()>"Any status"</option>
                                    {ExecutionStatus::ALL.into_iter().map(|option| view! {
                                        <option value=option.as_str() selected=move || status.get().as_deref() == Some(option.as_str())>{option.as_str()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="range-filter">"Started"</label>
                                <select id="range-filter" data-testid="range-filter"
                                    on:change=move |event| set_range(&[("range", Some(event_target_value(&event))), ("page", None)])>
                                    {TIME_RANGES.into_iter().map(|(value, label)| view! {
                                        <option value=value selected=move || range.get().as_deref().unwrap_or("all") == value>{label}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                        </div>
                        {if data.rows.is_empty() {
                            view! { <p class="empty card" data-testid="executions-empty">"No executions match these filters. Widen the time range or clear a filter; new executions arrive with the next sync."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-scroll card"><table class="data" data-testid="executions-table">
                                    <thead><tr><th scope="col">"Started"</th><th scope="col">"Workflow"</th><th scope="col">"Instance"</th><th scope="col">"Status"</th><th scope="col">"Mode"</th><th scope="col">"Duration"</th><th scope="col">"n8n id"</th><th scope="col">"Error"</th></tr></thead>
                                    <tbody>
                                        {data.rows.into_iter().map(|row| view! {
                                            <tr data-testid="execution-row" data-status=row.status.as_str()>
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
                            <button type="button" data-testid="page-previous" disabled=data.offset == 0
                                on:click=move |_| set_page_back(&[("page", page.get_untracked().checked_sub(1).filter(|p| *p > 0).map(|p| p.to_string()))])>
                                "Previous"
                            </button>
                            <span data-testid="page-info">{if data.total == 0 {
                                "0 executions".to_string()
                            } else {
                                format!("{first}–{last} of {}", format::count(i64::try_from(data.total).unwrap_or(i64::MAX)))
                            }}</span>
                            <button type="button" data-testid="page-next" disabled=!has_next
                                on:click=move |_| set_page(&[("page", Some((page.get_untracked() + 1).to_string()))])>
                                "Next"
                            </button>
                        </nav>
                        <p class="muted">{format!("{EXECUTIONS_PER_PAGE} per page, newest first. Times in your browser are relative; hover for UTC.")}</p>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
