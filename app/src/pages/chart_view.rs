//! The executions-over-time and duration charts, drawn as SVG (no chart library).

use crate::chart::{duration_layout, layout, x_label, Bucket, BOTTOM, HEIGHT, LEFT, TOP, WIDTH};
use crate::format;
use crate::model::ChartRange;
use leptos::prelude::*;

/// Stacked bars per hour or day: successful, failed, other.
#[component]
pub fn ExecutionsChart(buckets: Vec<Bucket>, range: ChartRange) -> impl IntoView {
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
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Per hour or day: the 95th percentile's bar with the median's inside it and a tick at the
/// longest run, so a workflow slowing down shows before it times out.
#[component]
pub fn DurationChart(buckets: Vec<Bucket>, range: ChartRange) -> impl IntoView {
    if buckets.iter().all(|bucket| bucket.durations.is_none()) {
        return view! {
            <p class="empty" data-testid="duration-chart-empty">"No finished executions to time in this period."</p>
        }
        .into_any();
    }
    let layout = duration_layout(&buckets);
    let baseline = HEIGHT - BOTTOM;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let bars = buckets
        .iter()
        .zip(layout.bars)
        .enumerate()
        .map(|(index, (bucket, bar))| {
            let label = x_label(range, index, bucket.start).map(|text| {
                let slot = (WIDTH - LEFT) / buckets.len().max(1) as f64;
                view! {
                    <text x=LEFT + slot * (index as f64 + 0.5) y=HEIGHT - 6.0 text-anchor="middle" class="axis-label">{text}</text>
                }
            });
            let drawn = bucket.durations.zip(bar).map(|(durations, bar)| {
                let title = format!(
                    "{}: median {}, 95th percentile {}, longest {} ({} runs)",
                    format::absolute_time(bucket.start),
                    format::duration_ms(durations.p50_ms),
                    format::duration_ms(durations.p95_ms),
                    format::duration_ms(durations.max_ms),
                    durations.runs
                );
                view! {
                    <title>{title}</title>
                    <rect class="bar-p95" x=bar.x y=bar.p95.0 width=bar.width height=bar.p95.1 />
                    <rect class="bar-p50" x=bar.x y=bar.p50.0 width=bar.width height=bar.p50.1 />
                    <line class="tick-max" x1=bar.x x2=bar.x + bar.width y1=bar.max_y y2=bar.max_y />
                }
            });
            view! { <g data-testid="duration-bar">{drawn}{label}</g> }
        })
        .collect_view();
    let gridlines = [0, layout.y_max_ms / 2, layout.y_max_ms]
        .into_iter()
        .map(|value| {
            let y = baseline - f64::from(value) / f64::from(layout.y_max_ms) * plot_height;
            view! {
                <line class="gridline" x1=LEFT x2=WIDTH y1=y y2=y />
                <text class="axis-label" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{format::duration_ms(i64::from(value))}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="duration-chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="Execution durations over time: median, 95th percentile and longest.">
                {gridlines}
                {bars}
            </svg>
            <figcaption class="legend">
                <span class="key p50">"Median"</span>
                <span class="key p95">"95th percentile"</span>
                <span class="key max">"Longest"</span>
                <span class="muted">"Times in UTC."</span>
            </figcaption>
        </figure>
    }
    .into_any()
}
