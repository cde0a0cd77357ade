//! Pure retry policy for calls to n8n.
//!
//! The caller owns the clock, the randomness and the sleeping; this module only decides
//! whether to retry and how long to wait.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Whether a failed request is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Transient: try again after a delay.
    Retry,
    /// Permanent: repeating the same request would fail the same way.
    DoNotRetry,
}

/// Classifies a failure by its HTTP status; `None` means no reply (timeout or network error).
///
/// Retries 5xx, 429 and replies that never came; never other 4xx (a bad key or a missing
/// workflow does not fix itself). Non-error statuses are not retried either.
pub fn should_retry(status: Option<u16>) -> RetryDecision {
    match status {
        None | Some(429) | Some(500..=599) => RetryDecision::Retry,
        Some(_) => RetryDecision::DoNotRetry,
    }
}

/// Exponential backoff with "equal jitter", capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first one.
    pub max_attempts: u32,
    /// Backoff before the first retry (before jitter).
    pub base_delay: Duration,
    /// Upper bound on any single wait, including one asked for by `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, 250 ms doubling, at most 8 s per wait: enough to ride out a restart
    /// without eating a run's time budget.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failed attempt (1 for the first failure).
    ///
    /// The backoff is `base * 2^(attempt-1)` capped at `max_delay`; the wait is then "equal
    /// jitter": half the backoff plus `jitter` (from the caller, in `[0, 1]`) times the other
    /// half. Equal rather than full jitter keeps a floor under each wait, so a struggling
    /// server always gets some breathing room, while still spreading concurrent clients apart.
    pub fn delay_for(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let backoff = self
            .base_delay
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = backoff / 2;
        half + (backoff - half).mul_f64(jitter)
    }

    /// Parses a `Retry-After` header value: delta-seconds (`"120"`) or an HTTP-date
    /// (`"Wed, 21 Oct 2015 07:28:00 GMT"`). Capped at `max_delay`, so one server cannot stall a
    /// whole run; a date in the past means "now" (zero). Obsolete RFC 850 / asctime dates are
    /// not supported and give `None`, as does anything unparsable.
    pub fn parse_retry_after(&self, header: &str, now: DateTime<Utc>) -> Option<Duration> {
        let value = header.trim();
        let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // All digits but too long for u64 is still "a very long time": cap it below.
            value
                .parse::<u64>()
                .map_or(self.max_delay, Duration::from_secs)
        } else {
            // HTTP-date (RFC 7231 IMF-fixdate) is a subset of RFC 2822, which chrono parses.
            let at = DateTime::parse_from_rfc2822(value)
                .ok()?
                .with_timezone(&Utc);
            (at - now).to_std().unwrap_or(Duration::ZERO)
        };
        Some(wait.min(self.max_delay))
    }

    /// The wait before the next attempt, or `None` to give up.
    ///
    /// `attempts_made` counts attempts so far (≥ 1). A `Retry-After` the caller parsed with
    /// [`Self::parse_retry_after`] takes precedence over the computed backoff.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        status: Option<u16>,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempts_made >= self.max_attempts || should_retry(status) == RetryDecision::DoNotRetry {
            return None;
        }
        Some(
            retry_after
                .map(|wait| wait.min(self.max_delay))
                .unwrap_or_else(|| self.delay_for(attempts_made, jitter)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }

    #[test]
    fn server_errors_rate_limits_and_timeouts_are_retried_other_client_errors_are_not() {
        for status in [None, Some(500), Some(502), Some(503), Some(599), Some(429)] {
            assert_eq!(should_retry(status), RetryDecision::Retry, "{status:?}");
        }
        for status in [
            Some(400),
            Some(401),
            Some(403),
            Some(404),
            Some(409),
            Some(200),
        ] {
            assert_eq!(
                should_retry(status),
                RetryDecision::DoNotRetry,
                "{status:?}"
            );
        }
    }

    #[test]
    fn the_backoff_doubles_and_is_capped() {
        let policy = policy();
        let full = |attempt| policy.delay_for(attempt, 1.0);
        assert_eq!(full(1), Duration::from_millis(100));
        assert_eq!(full(2), Duration::from_millis(200));
        assert_eq!(full(3), Duration::from_millis(400));
        assert_eq!(full(10), Duration::from_secs(2));
        assert_eq!(full(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn equal_jitter_keeps_at_least_half_the_backoff() {
        let policy = policy();
        assert_eq!(policy.delay_for(3, 0.0), Duration::from_millis(200));
        assert_eq!(policy.delay_for(3, 0.5), Duration::from_millis(300));
        // Out-of-range jitter is clamped rather than trusted.
        assert_eq!(policy.delay_for(3, 7.0), Duration::from_millis(400));
        assert_eq!(policy.delay_for(3, f64::NAN), Duration::from_millis(200));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates_and_is_capped() {
        let policy = policy();
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
        assert_eq!(
            policy.parse_retry_after(" 1 ", now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.parse_retry_after("120", now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.parse_retry_after("Wed, 21 Oct 2015 07:28:01 GMT", now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for junk in ["", "-5", "1.5", "soon", "Wednesday, 21-Oct-15 07:28:00 GMT"] {
            assert_eq!(policy.parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn next_delay_gives_up_after_the_last_attempt_or_on_a_permanent_error() {
        let policy = policy();
        assert_eq!(
            policy.next_delay(1, Some(503), None, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            policy.next_delay(2, Some(429), Some(Duration::from_secs(1)), 0.0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(policy.next_delay(5, None, None, 0.0), None);
        assert_eq!(policy.next_delay(1, Some(401), None, 0.0), None);
    }
}
