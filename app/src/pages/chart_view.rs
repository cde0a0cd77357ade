//! The executions-over-time chart, drawn as SVG (no chart library).

use crate::chart::{layout, x_label, Bucket, BOTTOM, HEIGHT, LEFT, TOP, WIDTH};
use crate::format;
use crate::model::ChartRange;
use leptos::prelude::*;

/// Stacked bars per hour or day: successful, failed, other.
#[component]
pub fn ExecutionsChart(buckets: Vec<Bucket>, range: ChartRange, truncated: bool) -> impl IntoView {
    let total: u32 = buckets.iter().map(Bucket::total).sum();
    if total == 0 {
        return view! {
            <p class="empty" data-testid="chart-empty">
                "No executions in this period. Press " <strong>"Sync now"</strong>
                " to fetch the latest from n8n, or pick a longer period."
            </p>
        }
        .into_any();
    }
    let layout = layout(&buckets);
    let baseline = HEIGHT - BOTTOM;
    let grid = [0, layout.y_max / 2, layout.y_max];
    let plot_height = HEIGHT - TOP - BOTTOM;
    let summary = format!(
        "{} executions, {} successful, {} failed.",
        total,
        buckets.iter().map(|b| b.succeeded).sum::<u32>(),
        buckets.iter().map(|b| b.failed).sum::<u32>()
    );
    let bars = buckets
        .iter()
        .zip(layout.bars)
        .enumerate()
        .map(|(index, (bucket, bar))| {
            let title = format!(
                "{}: {} successful, {} failed, {} other",
                format::absolute_time(bucket.start),
                bucket.succeeded,
                bucket.failed,
                bucket.other
            );
            let label = x_label(range, index, bucket.start).map(|text| {
                view! {
                    <text x=bar.x + bar.width / 2.0 y=HEIGHT - 6.0 text-anchor="middle" class="axis-label">{text}</text>
                }
            });
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="bar-ok" x=bar.x y=bar.succeeded.0 width=bar.width height=bar.succeeded.1 />
                    <rect class="bar-bad" x=bar.x y=bar.failed.0 width=bar.width height=bar.failed.1 />
                    <rect class="bar-other" x=bar.x y=bar.other.0 width=bar.width height=bar.other.1 />
                    {label}
                </g>
            }
        })
        .collect_view();
    let gridlines = grid
        .into_iter()
        .map(|value| {
            let y = baseline - f64::from(value) / f64::from(layout.y_max) * plot_height;
            view! {
                <line class="gridline" x1=LEFT x2=WIDTH y1=y y2=y />
                <text class="axis-label" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{value}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="executions-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=format!("Executions over time. {summary}")>
                {gridlines}
                {bars}
            </svg>
            <figcaption class="legend">
                <span class="key ok">"Successful"</span>
                <span class="key bad">"Failed"</span>
                <span class="key other">"Other"</span>
                <span class="muted">"Times in UTC."</span>
                {truncated.then(|| view! { <span class="muted">" Showing the most recent 20,000 executions."</span> })}
            </figcaption>
        </figure>
    }
    .into_any()
}
