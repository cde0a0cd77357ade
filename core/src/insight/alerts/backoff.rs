//! When a failed delivery is tried again.

use chrono::{DateTime, TimeDelta, Utc};

use crate::retry::{should_retry, RetryDecision};

/// Retries of a failed delivery: 1 min, 2, 4, … doubling up to an hour between attempts, at
/// most 8 attempts (about 2 hours in all) by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryBackoff {
    /// The wait after the first failed attempt.
    pub first_delay: TimeDelta,
    /// The longest wait.
    pub max_delay: TimeDelta,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for DeliveryBackoff {
    fn default() -> Self {
        Self {
            first_delay: TimeDelta::minutes(1),
            max_delay: TimeDelta::hours(1),
            max_attempts: 8,
        }
    }
}

/// What happens to a delivery after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryRetry {
    /// Try again at this moment (`alert_deliveries.next_attempt_at`).
    At(DateTime<Utc>),
    /// Stop: out of attempts, or the receiver refused for good (status `failed`).
    GiveUp,
}

impl DeliveryBackoff {
    /// The wait after the `attempt`-th failed attempt (1 for the first).
    pub fn delay_after(&self, attempt: u32) -> TimeDelta {
        // 2^30 times any sensible first delay is past any sensible cap; stopping there keeps
        // the multiplier inside an i32.
        let doublings = attempt.saturating_sub(1).min(30);
        self.first_delay
            .checked_mul(1 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }

    /// After `attempts_made` failed attempts, the last answered with `status` (`None`: no
    /// answer, a timeout or a network error), at `now`: when to try again, if at all. Client
    /// errors other than 429 are final (a deleted Slack webhook stays deleted).
    pub fn after_failure(
        &self,
        attempts_made: u32,
        status: Option<u16>,
        now: DateTime<Utc>,
    ) -> DeliveryRetry {
        if attempts_made >= self.max_attempts || should_retry(status) == RetryDecision::DoNotRetry {
            return DeliveryRetry::GiveUp;
        }
        DeliveryRetry::At(now + self.delay_after(attempts_made))
    }
}

#[cfg(test)]
mod tests;
