//! `/health`: per instance, the workflows that are not ok — a schedule that stopped, stuck
//! executions, failures far above normal — with what the health check found.

use crate::api::health::load_health;
use crate::components::{Badge, ErrorNotice, ProviderBadge, RelativeTime};
use crate::live::LiveRegion;
use crate::model::insight::{InstanceHealth, UnhealthyWorkflow};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Verdicts change with each sync.
const HEALTH_TABLES: &str = "workflow_health mvp_workflows providers";

/// A status word as a `'static` badge status (the badge's tone comes from it).
fn status_word(status: &str) -> &'static str {
    match status {
        "critical" => "critical",
        "warning" => "warning",
        "ok" => "ok",
        _ => "unknown",
    }
}

/// `/health`
#[component]
pub fn HealthPage() -> impl IntoView {
    view! {
        <h1>"Health"</h1>
        <p class="muted">"After each sync FlowPulse checks every workflow: is its schedule running, is an \
            execution stuck, does it fail far more than usual. Only workflows with a finding are listed."</p>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let result = load_health().await;
                view! {
                    <LiveRegion id="health" tables=HEALTH_TABLES>
                        {match result {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(page) if page.instances.is_empty() => view! {
                                <p class="empty card">"No instances yet. " <a href="/providers">"Add one"</a></p>
                            }.into_any(),
                            Ok(page) => {
                                let now = page.now;
                                page.instances.into_iter().map(|instance| view! { <Instance instance now /> }).collect_view().into_any()
                            }
                        }}
                    </LiveRegion>
                }
            })}
        </Suspense>
    }
}

#[component]
fn Instance(instance: InstanceHealth, now: DateTime<Utc>) -> impl IntoView {
    let summary = if instance.workflows.is_empty() {
        format!("All {} checked workflows are ok.", instance.ok_count)
    } else {
        let count = instance.workflows.len();
        let verb = if count == 1 { "needs" } else { "need" };
        format!("{count} {verb} a look; {} ok.", instance.ok_count)
    };
    view! {
        <section class="card" data-testid="health-instance" data-instance=instance.provider.name.clone()>
            <div class="provider-head">
                <h2>{instance.provider.name.clone()}</h2>
                <ProviderBadge status=instance.provider.status />
            </div>
            <p class="muted">{summary}</p>
            <ul class="health-list">
                {instance.workflows.into_iter().map(|workflow| view! { <Workflow workflow now /> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Workflow(workflow: UnhealthyWorkflow, now: DateTime<Utc>) -> impl IntoView {
    view! {
        <li data-testid="health-workflow" data-health=workflow.status.clone()>
            <strong><a href=format!("/executions?workflow={}", workflow.id)>{workflow.name.clone()}</a></strong>
            " " <Badge status=status_word(&workflow.status) />
            " " <span class="muted small">"checked " <RelativeTime at=Some(workflow.evaluated_at) now /></span>
            <ul>
                {workflow.findings.into_iter().map(|finding| view! {
                    <li data-testid="health-finding" data-kind=finding.kind.clone()>
                        <Badge status=status_word(&finding.severity) />" "
                        {finding.message}
                        {finding.since.map(|since| view! { " " <span class="muted small">"since " <RelativeTime at=Some(since) now /></span> })}
                    </li>
                }).collect_view()}
            </ul>
        </li>
    }
}
