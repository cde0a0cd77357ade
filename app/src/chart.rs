//! The executions-over-time and duration charts: the fixed grid of time buckets the database's
//! figures are laid on (only the buckets travel to the browser) and the arithmetic that turns
//! them into SVG bars (in the view).

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ChartRange, DurationStats};

/// Executions that started within one hour or day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the bucket (UTC).
    pub start: DateTime<Utc>,
    /// Successful executions.
    pub succeeded: u32,
    /// Errored or crashed executions.
    pub failed: u32,
    /// Everything else (canceled, still running, unknown).
    pub other: u32,
    /// How long the finished ones took; `None` when none finished.
    #[serde(default)]
    pub durations: Option<DurationStats>,
}

impl Bucket {
    /// All executions in the bucket.
    pub fn total(&self) -> u32 {
        self.succeeded + self.failed + self.other
    }
}

impl ChartRange {
    /// Length of one bucket.
    pub fn bucket_width(self) -> Duration {
        match self {
            Self::Day => Duration::hours(1),
            Self::Week | Self::Month => Duration::days(1),
        }
    }

    /// Number of buckets.
    pub fn bucket_count(self) -> usize {
        match self {
            Self::Day => 24,
            Self::Week => 7,
            Self::Month => 30,
        }
    }

    /// Start of the first bucket when the chart ends at `now`: whole hours or UTC days, with
    /// the current (partial) one last.
    pub fn first_bucket_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let width = self.bucket_width();
        let current = now.duration_trunc(width).unwrap_or(now);
        current - width * (self.bucket_count() as i32 - 1)
    }
}

/// The range's buckets, oldest first, each with the figures the database computed for it
/// (`execution_chart`, bucketed from the first bucket's start); buckets without figures are
/// empty and figures outside the range are ignored.
pub fn fill_buckets(
    range: ChartRange,
    now: DateTime<Utc>,
    figures: impl IntoIterator<Item = Bucket>,
) -> Vec<Bucket> {
    let first = range.first_bucket_start(now);
    let width = range.bucket_width();
    let mut buckets: Vec<Bucket> = (0..range.bucket_count())
        .map(|index| Bucket {
            start: first + width * index as i32,
            succeeded: 0,
            failed: 0,
            other: 0,
            durations: None,
        })
        .collect();
    for figure in figures {
        if figure.start < first {
            continue;
        }
        let index = ((figure.start - first).num_seconds() / width.num_seconds()) as usize;
        if let Some(bucket) = buckets.get_mut(index) {
            *bucket = Bucket {
                start: bucket.start,
                ..figure
            };
        }
    }
    buckets
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1), so the axis reads cleanly.
pub fn nice_ceiling(value: u32) -> u32 {
    let mut magnitude: u64 = 1;
    loop {
        for step in [1, 2, 5] {
            let candidate = step * magnitude;
            if candidate >= u64::from(value) {
                return u32::try_from(candidate).unwrap_or(u32::MAX);
            }
        }
        magnitude *= 10;
    }
}

/// Where the chart draws: a fixed SVG coordinate space that the browser scales.
pub const WIDTH: f64 = 720.0;
/// Height of the SVG coordinate space.
pub const HEIGHT: f64 = 220.0;
/// Room for the y-axis labels.
pub const LEFT: f64 = 44.0;
/// Room for the x-axis labels.
pub const BOTTOM: f64 = 24.0;
/// Room above the tallest bar.
pub const TOP: f64 = 8.0;

/// One stacked bar, in SVG coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Width.
    pub width: f64,
    /// (y, height) of the successful part (bottom).
    pub succeeded: (f64, f64),
    /// (y, height) of the failed part (middle).
    pub failed: (f64, f64),
    /// (y, height) of the rest (top).
    pub other: (f64, f64),
}

/// The scaled chart: bars plus the y-axis maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Value at the top of the y axis.
    pub y_max: u32,
    /// One bar per bucket.
    pub bars: Vec<Bar>,
}

/// Scales buckets into bars: heights are proportional to counts against a nice y maximum.
pub fn layout(buckets: &[Bucket]) -> Layout {
    let y_max = nice_ceiling(buckets.iter().map(Bucket::total).max().unwrap_or(0));
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT) / buckets.len().max(1) as f64;
    let gap = (slot * 0.2).min(6.0);
    let scale = |count: u32| f64::from(count) / f64::from(y_max) * plot_height;
    let baseline = HEIGHT - BOTTOM;
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let succeeded = scale(bucket.succeeded);
            let failed = scale(bucket.failed);
            let other = scale(bucket.other);
            Bar {
                x: LEFT + slot * index as f64 + gap / 2.0,
                width: slot - gap,
                succeeded: (baseline - succeeded, succeeded),
                failed: (baseline - succeeded - failed, failed),
                other: (baseline - succeeded - failed - other, other),
            }
        })
        .collect();
    Layout { y_max, bars }
}

/// One bucket's durations, in SVG coordinates: the 95th percentile's bar with the median's
/// inside it, and a tick at the longest run (held at the top when it is off the scale).
#[derive(Debug, Clone, PartialEq)]
pub struct DurationBar {
    /// Left edge.
    pub x: f64,
    /// Width.
    pub width: f64,
    /// (y, height) of the 95th percentile's bar.
    pub p95: (f64, f64),
    /// (y, height) of the median's bar.
    pub p50: (f64, f64),
    /// Height of the longest run's tick.
    pub max_y: f64,
}

/// The scaled duration chart: the y-axis maximum in milliseconds and a bar per bucket that
/// has durations.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationLayout {
    /// Value at the top of the y axis, in milliseconds.
    pub y_max_ms: u32,
    /// One entry per bucket, `None` where nothing finished.
    pub bars: Vec<Option<DurationBar>>,
}

/// Scales buckets' durations into bars against the largest 95th percentile: a single
/// outlier's maximum would otherwise flatten every other bar.
pub fn duration_layout(buckets: &[Bucket]) -> DurationLayout {
    let clamp = |ms: i64| u32::try_from(ms.max(0)).unwrap_or(u32::MAX);
    let y_max_ms = nice_ceiling(
        buckets
            .iter()
            .filter_map(|b| b.durations.map(|d| clamp(d.p95_ms)))
            .max()
            .unwrap_or(0),
    );
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT) / buckets.len().max(1) as f64;
    let gap = (slot * 0.2).min(6.0);
    let baseline = HEIGHT - BOTTOM;
    let scale = |ms: i64| (f64::from(clamp(ms)) / f64::from(y_max_ms)).min(1.0) * plot_height;
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            bucket.durations.map(|d| {
                let (p95, p50) = (scale(d.p95_ms), scale(d.p50_ms));
                DurationBar {
                    x: LEFT + slot * index as f64 + gap / 2.0,
                    width: slot - gap,
                    p95: (baseline - p95, p95),
                    p50: (baseline - p50, p50),
                    max_y: baseline - scale(d.max_ms),
                }
            })
        })
        .collect();
    DurationLayout { y_max_ms, bars }
}

/// The x-axis label under bucket `index`, or `None` where labels would crowd.
pub fn x_label(range: ChartRange, index: usize, start: DateTime<Utc>) -> Option<String> {
    match range {
        ChartRange::Day => index
            .is_multiple_of(4)
            .then(|| start.format("%H:00").to_string()),
        ChartRange::Week => Some(start.format("%a %d").to_string()),
        ChartRange::Month => index
            .is_multiple_of(5)
            .then(|| start.format("%b %d").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, hour, minute, 0).unwrap()
    }

    fn figures(start: DateTime<Utc>, succeeded: u32, failed: u32) -> Bucket {
        Bucket {
            start,
            succeeded,
            failed,
            other: 0,
            durations: None,
        }
    }

    #[test]
    fn the_day_range_has_24_hourly_buckets_ending_with_the_current_hour() {
        let buckets = fill_buckets(ChartRange::Day, at(14, 30), []);
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[23].start, at(14, 0));
        assert_eq!(buckets[0].start, at(14, 0) - Duration::hours(23));
        assert!(buckets
            .iter()
            .all(|b| b.total() == 0 && b.durations.is_none()));
    }

    #[test]
    fn the_databases_figures_land_on_their_bucket() {
        let stats = DurationStats {
            runs: 2,
            p50_ms: 120,
            p95_ms: 900,
            max_ms: 1000,
        };
        let buckets = fill_buckets(
            ChartRange::Day,
            at(14, 30),
            [
                Bucket {
                    durations: Some(stats),
                    ..figures(at(13, 0), 1, 2)
                },
                figures(at(14, 0), 3, 0),
            ],
        );
        assert_eq!((buckets[22].succeeded, buckets[22].failed), (1, 2));
        assert_eq!(buckets[22].durations, Some(stats));
        assert_eq!(buckets[23].succeeded, 3);
        assert_eq!(buckets[21].total(), 0);
    }

    #[test]
    fn figures_outside_the_range_are_ignored() {
        let buckets = fill_buckets(
            ChartRange::Day,
            at(14, 30),
            [
                figures(at(14, 0) - Duration::hours(24), 5, 0),
                figures(at(15, 0), 7, 0),
            ],
        );
        assert_eq!(buckets.iter().map(Bucket::total).sum::<u32>(), 0);
    }

    #[test]
    fn week_and_month_ranges_bucket_by_utc_day() {
        let week = fill_buckets(ChartRange::Week, at(9, 0), [figures(at(0, 0), 1, 0)]);
        assert_eq!(week.len(), 7);
        assert_eq!(week[6].start, at(0, 0));
        assert_eq!(week[6].succeeded, 1);
        assert_eq!(ChartRange::Month.bucket_count(), 30);
    }

    #[test]
    fn duration_bars_scale_to_the_largest_95th_percentile_and_hold_outliers_at_the_top() {
        let with = |p50_ms, p95_ms, max_ms| Bucket {
            durations: Some(DurationStats {
                runs: 10,
                p50_ms,
                p95_ms,
                max_ms,
            }),
            ..figures(at(0, 0), 10, 0)
        };
        let layout = duration_layout(&[
            with(200, 800, 60_000),
            figures(at(1, 0), 0, 0),
            with(100, 400, 400),
        ]);
        let plot = HEIGHT - TOP - BOTTOM;
        assert_eq!(layout.y_max_ms, 1000);
        let first = layout.bars[0].as_ref().unwrap();
        assert!((first.p95.1 - plot * 0.8).abs() < 1e-9);
        assert!((first.p50.1 - plot * 0.2).abs() < 1e-9);
        assert!(
            (first.max_y - TOP).abs() < 1e-9,
            "the outlier stays inside the plot"
        );
        assert!(layout.bars[1].is_none(), "nothing finished, nothing drawn");
        let third = layout.bars[2].as_ref().unwrap();
        assert!((third.max_y - third.p95.0).abs() < 1e-9);
    }

    #[test]
    fn the_axis_maximum_is_a_round_number_at_or_above_the_largest_bar() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(10), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(450), 500);
    }

    #[test]
    fn bar_heights_are_proportional_and_stack_from_the_baseline() {
        let bucket = |succeeded, failed| figures(at(0, 0), succeeded, failed);
        let layout = layout(&[bucket(10, 0), bucket(3, 2), bucket(0, 0)]);
        let plot = HEIGHT - TOP - BOTTOM;
        assert_eq!(layout.y_max, 10);
        let full = &layout.bars[0];
        assert!((full.succeeded.1 - plot).abs() < 1e-9);
        assert!((full.succeeded.0 - TOP).abs() < 1e-9);
        let mixed = &layout.bars[1];
        assert!((mixed.succeeded.1 - plot * 0.3).abs() < 1e-9);
        assert!((mixed.failed.1 - plot * 0.2).abs() < 1e-9);
        // The failed part sits right on top of the successful part.
        assert!((mixed.failed.0 + mixed.failed.1 - mixed.succeeded.0).abs() < 1e-9);
        assert_eq!(layout.bars[2].succeeded.1, 0.0);
    }

    #[test]
    fn bars_fit_side_by_side_inside_the_plot() {
        let buckets = fill_buckets(ChartRange::Day, at(14, 30), []);
        let layout = layout(&buckets);
        let last = layout.bars.last().unwrap();
        assert!(layout.bars[0].x >= LEFT);
        assert!(last.x + last.width <= WIDTH + 1e-9);
        assert!(layout
            .bars
            .windows(2)
            .all(|pair| pair[0].x + pair[0].width < pair[1].x));
    }
}
