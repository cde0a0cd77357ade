//! `/executions/<id>`: one execution — status, times, its error and the node that failed, its
//! retry chain (what it retried → it → its successful retry), a link to it in n8n's editor,
//! and "Retry" for a failed one.

use crate::api::insight::{load_execution, retry_execution};
use crate::components::{ErrorNotice, ExecutionBadge, RelativeTime};
use crate::format;
use crate::live::{request_refresh, LiveRegion};
use crate::model::insight::{ChainLink, ExecutionDetail};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Executions arrive with workflow counter changes.
const DETAIL_TABLES: &str = "mvp_workflows providers";

/// `/executions/<id>`
#[component]
pub fn ExecutionDetailPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok());
    view! {
        <p><a href="/executions">"← Executions"</a>" · "<a href="/failures">"Failures"</a></p>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let result = match id {
                    Some(id) => load_execution(id).await,
                    None => Err(crate::error::AppError::NotFound("That is not an execution's address.".into())),
                };
                view! {
                    <LiveRegion id="execution-detail" tables=DETAIL_TABLES>
                        {match result {
                            Err(error) => view! { <h1>"Execution"</h1><ErrorNotice error /> }.into_any(),
                            Ok(detail) => view! { <Detail detail /> }.into_any(),
                        }}
                    </LiveRegion>
                }
            })}
        </Suspense>
    }
}

/// A link to another execution of the chain: its page when stored, else n8n's id only.
#[component]
fn Link(link: ChainLink, testid: &'static str) -> impl IntoView {
    let text = format!("#{}", link.n8n_execution_id);
    let badge = view! { " " <ExecutionBadge status=link.status /> };
    match link.id {
        Some(id) => {
            view! { <a href=format!("/executions/{id}") data-testid=testid>{text}</a>{badge} }
                .into_any()
        }
        None => view! { <span data-testid=testid>{text}" (not synced yet)"</span> }.into_any(),
    }
}

#[component]
fn Detail(detail: ExecutionDetail) -> impl IntoView {
    let now = detail.now;
    let node = detail.error_node.clone().map(|node| {
        let node_type = detail
            .error_node_type
            .clone()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        view! { <dt>"Failing node"</dt><dd data-testid="execution-error-node">{node}{node_type}</dd> }
    });
    let error = detail.error_message.clone().map(|message| {
        view! {
            <section class="card" aria-labelledby="error-title">
                <h2 id="error-title">"Error"</h2>
                <p class="problem" data-testid="execution-error">{message}</p>
                {detail.error_description.clone().map(|text| view! {
                    <p class="muted" data-testid="execution-error-description">{text}</p>
                })}
            </section>
        }
    });
    let chain = (detail.retry_of.is_some() || detail.retry_success.is_some() || !detail.retries.is_empty())
        .then(|| view! {
            <section class="card" aria-labelledby="chain-title" data-testid="retry-chain">
                <h2 id="chain-title">"Retries"</h2>
                <p class="chain">
                    {detail.retry_of.clone().map(|link| view! { "Retry of " <Link link testid="chain-retry-of" /> " → " })}
                    <strong>{format!("this execution (#{})", detail.n8n_execution_id)}</strong>
                    {detail.retry_success.clone().map(|link| view! {
                        " → retried → succeeded: " <Link link testid="chain-retry-success" />
                    })}
                </p>
                {(!detail.retries.is_empty()).then(|| view! {
                    <p>"Retries of it: "
                        {detail.retries.clone().into_iter().map(|link| view! { <Link link testid="chain-retry" />" " }).collect_view()}
                    </p>
                })}
            </section>
        });
    let retry = detail
        .retryable
        .then(|| view! { <RetryButton id=detail.id /> });
    view! {
        <div class="page-head">
            <h1>{format!("Execution #{} of “{}”", detail.n8n_execution_id, detail.workflow)}</h1>
        </div>
        <section class="card">
            <dl class="facts" data-testid="execution-facts">
                <dt>"Status"</dt><dd data-testid="execution-status"><ExecutionBadge status=Some(detail.status) /></dd>
                <dt>"Workflow"</dt><dd>{match detail.workflow_id {
                    Some(id) => view! { <a href=format!("/executions?workflow={id}")>{detail.workflow.clone()}</a> }.into_any(),
                    None => view! { <span>{detail.workflow.clone()}</span> }.into_any(),
                }}</dd>
                <dt>"Instance"</dt><dd>{detail.provider.clone()}</dd>
                <dt>"Mode"</dt><dd data-testid="execution-mode">{detail.mode.clone()}</dd>
                <dt>"Started"</dt><dd><RelativeTime at=detail.started_at now never="not started" /></dd>
                <dt>"Stopped"</dt><dd><RelativeTime at=detail.stopped_at now never="not yet" /></dd>
                <dt>"Duration"</dt><dd>{detail.duration_ms.map_or_else(|| "–".to_string(), format::duration_ms)}</dd>
                {node}
            </dl>
            {detail.n8n_link.clone().map(|href| view! {
                <p><a href=href rel="noopener noreferrer" target="_blank" data-testid="execution-n8n-link">"Open in n8n"</a></p>
            })}
            {retry}
        </section>
        {error}
        {chain}
    }
}

/// Asks n8n to run the failed execution again with the workflow's current version, then
/// refreshes the page so the chain shows the new execution.
#[island]
fn RetryButton(id: i64) -> impl IntoView {
    let retry = Action::new(move |id: &i64| retry_execution(*id));
    Effect::new(move |_| {
        if matches!(retry.value().get(), Some(Ok(_))) {
            request_refresh();
        }
    });
    let outcome = move || {
        retry.value().get().map(|result| match result {
            Err(error) => view! { <ErrorNotice error /> }.into_any(),
            Ok(outcome) => {
                let status = outcome.status;
                let words = match status.as_str() {
                    "success" => "succeeded",
                    "error" | "crashed" => "failed again",
                    "canceled" => "was canceled",
                    _ => "is still running",
                };
                let text = format!("Retried → {words}: n8n ran it again as execution #{}.", outcome.n8n_execution_id);
                view! {
                    <p class="notice info" role="status" data-testid="retry-outcome" data-status=status.as_str()>
                        {text}" "
                        {outcome.id.map(|new| view! { <a href=format!("/executions/{new}")>"Open it"</a> })}
                    </p>
                }
                .into_any()
            }
        })
    };
    view! {
        <div class="actions">
            <button type="button" class="primary" data-testid="execution-retry"
                disabled=move || retry.pending().get()
                title="n8n runs it again with the workflow's current version"
                on:click=move |_| { retry.dispatch(id); }>
                {move || if retry.pending().get() { "Retrying…" } else { "Retry" }}
            </button>
        </div>
        <div aria-live="polite">{outcome}</div>
    }
}
