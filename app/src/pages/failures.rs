//! `/failures`: failed executions grouped by workflow and failing node, most failures first,
//! each linking to its latest failure's detail. `?range=` (the dashboard's periods) and
//! `?instance=` filter it.

use crate::api::insight::load_failures;
use crate::components::{ErrorNotice, RelativeTime};
use crate::format;
use crate::live::LiveRegion;
use crate::model::insight::{FailureGroupView, FailuresPage};
use crate::model::ChartRange;
use crate::pages::dashboard::InstancePicker;
use crate::pages::query::{PageQuery, QuerySelect};
use leptos::prelude::*;
use uuid::Uuid;

/// Executions arrive with workflow counter changes.
const FAILURE_TABLES: &str = "mvp_workflows providers";

/// The trend of the last 24 hours against the 24 before: a CSS tone and words.
pub fn trend(last_day: i64, day_before: i64) -> (&'static str, String) {
    let numbers = format!("{last_day} in the last 24 h, {day_before} the day before");
    match last_day.cmp(&day_before) {
        std::cmp::Ordering::Greater => ("bad", format!("↑ rising: {numbers}")),
        std::cmp::Ordering::Less => ("ok", format!("↓ falling: {numbers}")),
        std::cmp::Ordering::Equal => ("neutral", format!("→ steady: {numbers}")),
    }
}

/// `/failures`
#[component]
pub fn FailuresPage() -> impl IntoView {
    let query = PageQuery::current();
    let instance = query.uuid("instance");
    let range = ChartRange::parse(&query.value("range").unwrap_or_default());
    view! {
        <h1>"Failures"</h1>
        <p class="muted">"Failed executions grouped by workflow and the node that failed. Open one to see \
            its error and retry it."</p>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let result = load_failures(instance, range.as_str().to_string()).await;
                view! {
                    <LiveRegion id="failures" tables=FAILURE_TABLES>
                        {match result {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(data) => view! { <FailuresBody data instance range /> }.into_any(),
                        }}
                    </LiveRegion>
                }
            })}
        </Suspense>
    }
}

#[component]
fn FailuresBody(data: FailuresPage, instance: Option<Uuid>, range: ChartRange) -> impl IntoView {
    let now = data.now;
    let table = if data.groups.is_empty() {
        view! {
            <p class="empty card" data-testid="failures-empty">
                {format!("No failed executions in the {}. ", range.label().to_lowercase())}
                "New ones arrive with the next sync."
            </p>
        }
        .into_any()
    } else {
        view! {
            <div class="table-scroll card">
                <table class="data" data-testid="failures-table">
                    <thead><tr>
                        <th scope="col">"Workflow"</th><th scope="col">"Instance"</th>
                        <th scope="col">"Failing node"</th><th scope="col">"Failures"</th>
                        <th scope="col">"First seen"</th><th scope="col">"Last seen"</th>
                        <th scope="col">"Trend"</th><th scope="col">"Latest error"</th>
                    </tr></thead>
                    <tbody>
                        {data.groups.into_iter().map(|group| view! { <GroupRow group now /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <div class="filters">
            <InstancePicker providers=data.providers selected=instance />
            <QuerySelect id="failures-range" label="Period" param="range"
                options=ChartRange::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect()
                selected=Some(range.as_str().to_string()) />
        </div>
        {table}
    }
}

#[component]
fn GroupRow(group: FailureGroupView, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let (tone, words) = trend(group.last_day, group.day_before);
    let node = match (group.node, group.node_type) {
        (Some(node), node_type) => view! {
            <span data-testid="failure-node">{node}</span>
            {node_type.map(|t| view! { <br /><span class="muted small">{t}</span> })}
        }
        .into_any(),
        (None, _) => view! { <span class="muted">"not recorded"</span> }.into_any(),
    };
    let workflow = match group.latest_execution_id {
        Some(id) => view! {
            <a href=format!("/executions/{id}") data-testid="failure-latest" title="The latest failure">{group.workflow}</a>
        }
        .into_any(),
        None => view! { <span>{group.workflow}</span> }.into_any(),
    };
    view! {
        <tr data-testid="failure-group">
            <th scope="row">{workflow}</th>
            <td>{group.provider}</td>
            <td>{node}</td>
            <td class="num" data-testid="failure-count">{format::count(group.failures)}</td>
            <td><RelativeTime at=group.first_seen now /></td>
            <td><RelativeTime at=group.last_seen now /></td>
            <td><span class=format!("trend {tone}") data-testid="failure-trend">{words}</span></td>
            <td class="problem-cell" data-testid="failure-message">{group.last_message.unwrap_or_default()}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_compares_the_last_day_with_the_one_before() {
        assert_eq!(trend(5, 2).0, "bad");
        assert!(trend(5, 2).1.starts_with("↑ rising: 5 in the last 24 h, 2"));
        assert_eq!(trend(0, 3).0, "ok");
        assert_eq!(trend(1, 1).0, "neutral");
    }
}
