//! The executions-over-time chart: grouping executions into time buckets (on the server, so
//! only the buckets travel) and the arithmetic that turns them into SVG bars (in the view).

use chrono::{DateTime, Duration, DurationRound, Utc};
use flowpulse_core::counters::{counts_as_failure, counts_as_success};
use flowpulse_core::n8n::ExecutionStatus;
use serde::{Deserialize, Serialize};

use crate::model::ChartRange;

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

/// Groups executions by start time; executions outside the range are ignored.
pub fn bucket_executions(
    range: ChartRange,
    now: DateTime<Utc>,
    executions: impl IntoIterator<Item = (DateTime<Utc>, ExecutionStatus)>,
) -> Vec<Bucket> {
    let first = range.first_bucket_start(now);
    let width = range.bucket_width();
    let mut buckets: Vec<Bucket> = (0..range.bucket_count())
        .map(|index| Bucket {
            start: first + width * index as i32,
            succeeded: 0,
            failed: 0,
            other: 0,
        })
        .collect();
    for (started_at, status) in executions {
        if started_at < first {
            continue;
        }
        let index = ((started_at - first).num_seconds() / width.num_seconds()) as usize;
        let Some(bucket) = buckets.get_mut(index) else {
            continue;
        };
        if counts_as_success(status) {
            bucket.succeeded += 1;
        } else if counts_as_failure(status) {
            bucket.failed += 1;
        } else {
            bucket.other += 1;
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

    #[test]
    fn the_day_range_has_24_hourly_buckets_ending_with_the_current_hour() {
        let buckets = bucket_executions(ChartRange::Day, at(14, 30), []);
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[23].start, at(14, 0));
        assert_eq!(buckets[0].start, at(14, 0) - Duration::hours(23));
    }

    #[test]
    fn executions_land_in_their_hour_and_are_split_by_outcome() {
        let buckets = bucket_executions(
            ChartRange::Day,
            at(14, 30),
            [
                (at(14, 5), ExecutionStatus::Success),
                (at(14, 59), ExecutionStatus::Error),
                (at(13, 0), ExecutionStatus::Crashed),
                (at(13, 10), ExecutionStatus::Canceled),
                (at(13, 20), ExecutionStatus::Running),
            ],
        );
        assert_eq!((buckets[23].succeeded, buckets[23].failed), (1, 1));
        assert_eq!(
            (buckets[22].succeeded, buckets[22].failed, buckets[22].other),
            (0, 1, 2)
        );
    }

    #[test]
    fn executions_outside_the_range_are_ignored() {
        let buckets = bucket_executions(
            ChartRange::Day,
            at(14, 30),
            [
                (at(14, 0) - Duration::hours(24), ExecutionStatus::Success),
                (at(15, 0), ExecutionStatus::Success),
            ],
        );
        assert_eq!(buckets.iter().map(Bucket::total).sum::<u32>(), 0);
    }

    #[test]
    fn week_and_month_ranges_bucket_by_utc_day() {
        let week = bucket_executions(
            ChartRange::Week,
            at(9, 0),
            [(at(0, 1), ExecutionStatus::Success)],
        );
        assert_eq!(week.len(), 7);
        assert_eq!(week[6].start, at(0, 0));
        assert_eq!(week[6].succeeded, 1);
        assert_eq!(ChartRange::Month.bucket_count(), 30);
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
        let bucket = |succeeded, failed| Bucket {
            start: at(0, 0),
            succeeded,
            failed,
            other: 0,
        };
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
        let buckets = bucket_executions(ChartRange::Day, at(14, 30), []);
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
