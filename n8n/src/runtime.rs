//! The few things that differ between workerd (wasm32) and a native build: sleeping, racing a
//! future against a timer, the clock and randomness for jitter.
//!
//! reqwest has no timeouts on wasm (its backend is the global `fetch`), so every deadline in
//! this crate is a race between the request and [`sleep`], on both targets alike.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::{select, Either};

/// Waits `duration`: `worker::Delay` (a JS `setTimeout`) in workerd, tokio's timer natively.
pub async fn sleep(duration: Duration) {
    #[cfg(target_arch = "wasm32")]
    worker::Delay::from(duration).await;
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(duration).await;
}

/// The deadline passed before the future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `future` for at most `limit`; the future is dropped (cancelled) when time runs out.
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let future = std::pin::pin!(future);
    let timer = std::pin::pin!(sleep(limit));
    match select(future, timer).await {
        Either::Left((output, _)) => Ok(output),
        Either::Right(((), _)) => Err(Elapsed),
    }
}

/// The current time (the JS clock in workerd: chrono's `wasmbind`).
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Milliseconds since the epoch, for measuring durations on both targets (`std::time::Instant`
/// panics on wasm32-unknown-unknown).
pub fn now_ms() -> i64 {
    now().timestamp_millis()
}

/// A uniformly random number in `[0, 1)` for retry jitter; 0.5 if randomness is unavailable
/// (jitter only spreads clients apart, it protects nothing).
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// A point in time after which a run must stop starting new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at_ms: i64,
}

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: Duration) -> Self {
        let budget = i64::try_from(budget.as_millis()).unwrap_or(i64::MAX);
        Self {
            at_ms: now_ms().saturating_add(budget),
        }
    }

    /// Time left, zero once passed.
    pub fn remaining(&self) -> Duration {
        let left = self.at_ms.saturating_sub(now_ms());
        Duration::from_millis(u64::try_from(left).unwrap_or(0))
    }

    /// True once the deadline has passed.
    pub fn is_past(&self) -> bool {
        self.remaining().is_zero()
    }

    /// A deadline `margin` earlier (never before now).
    pub fn minus(&self, margin: Duration) -> Self {
        let margin = i64::try_from(margin.as_millis()).unwrap_or(i64::MAX);
        Self {
            at_ms: self.at_ms.saturating_sub(margin).max(now_ms()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timeout_returns_the_output_of_a_fast_future() {
        assert_eq!(timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
    }

    #[tokio::test]
    async fn a_timeout_cancels_a_slow_future_at_the_limit() {
        let started = now_ms();
        let result = timeout(Duration::from_millis(50), sleep(Duration::from_secs(10))).await;
        assert_eq!(result, Err(Elapsed));
        assert!(now_ms() - started < 2_000);
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            let value = jitter();
            assert!((0.0..1.0).contains(&value), "{value}");
        }
    }

    #[test]
    fn a_deadline_counts_down_and_never_goes_negative() {
        let deadline = Deadline::after(Duration::from_secs(60));
        assert!(deadline.remaining() > Duration::from_secs(59));
        assert!(!deadline.is_past());
        assert!(Deadline::after(Duration::ZERO).is_past());
        assert!(deadline.minus(Duration::from_secs(3600)).is_past());
    }
}
