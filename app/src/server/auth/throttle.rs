//! Slows down password guessing: after a few failed sign-ins for one email from one client,
//! each further attempt must wait twice as long as the previous one.
//!
//! In memory and per process: good enough for one app server; several replicas would each
//! keep their own counts (a shared store would be the next step).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before any delay applies (typos happen).
const FREE_FAILURES: u32 = 3;
/// Delay after the first failure beyond the free ones; doubles with each further failure.
const BASE_DELAY: Duration = Duration::from_secs(2);
/// The delay never exceeds this.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures are forgotten after this long without a new one.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed sign-ins per (normalized email, client address).
#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
}

impl SignInThrottle {
    /// `Err(wait)` when the next attempt must wait `wait` longer; `Ok` when it may proceed.
    pub fn check(&self, email: &str, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let failures = self.lock();
        let Some(entry) = failures.get(&(email.to_string(), client)) else {
            return Ok(());
        };
        let allowed_at = entry.last + delay_after(entry.count);
        match allowed_at.checked_duration_since(now) {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn record_failure(&self, email: &str, client: IpAddr, now: Instant) {
        let mut failures = self.lock();
        // Forgetting happens here, on the write path, so the map cannot grow without bound.
        failures.retain(|_, entry| now.duration_since(entry.last) < FORGET_AFTER);
        let entry = failures
            .entry((email.to_string(), client))
            .or_insert(Failures {
                count: 0,
                last: now,
            });
        entry.count += 1;
        entry.last = now;
    }

    /// A successful sign-in clears the slate for that email and client.
    pub fn record_success(&self, email: &str, client: IpAddr) {
        self.lock().remove(&(email.to_string(), client));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, IpAddr), Failures>> {
        // The map holds no invariants a panicking holder could break: keep using it.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long to wait after `count` consecutive failures.
fn delay_after(count: u32) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_FAILURES).min(16);
    (BASE_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn fail(throttle: &SignInThrottle, times: u32, now: Instant) {
        for _ in 0..times {
            throttle.record_failure("ada@example.com", CLIENT, now);
        }
    }

    #[test]
    fn the_first_few_failures_cost_nothing() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 2, now);
        assert_eq!(throttle.check("ada@example.com", CLIENT, now), Ok(()));
    }

    #[test]
    fn each_failure_beyond_the_free_ones_doubles_the_wait() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 3, now);
        assert_eq!(
            throttle.check("ada@example.com", CLIENT, now),
            Err(Duration::from_secs(2))
        );
        fail(&throttle, 1, now);
        assert_eq!(
            throttle.check("ada@example.com", CLIENT, now),
            Err(Duration::from_secs(4))
        );
        fail(&throttle, 1, now);
        assert_eq!(
            throttle.check("ada@example.com", CLIENT, now),
            Err(Duration::from_secs(8))
        );
    }

    #[test]
    fn the_wait_elapses_and_is_capped() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 3, now);
        assert_eq!(
            throttle.check("ada@example.com", CLIENT, now + Duration::from_secs(2)),
            Ok(())
        );
        fail(&throttle, 40, now);
        assert_eq!(
            throttle.check("ada@example.com", CLIENT, now),
            Err(MAX_DELAY)
        );
    }

    #[test]
    fn other_emails_and_other_clients_are_not_slowed_down() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 6, now);
        assert_eq!(throttle.check("bob@example.com", CLIENT, now), Ok(()));
        assert_eq!(throttle.check("ada@example.com", OTHER_CLIENT, now), Ok(()));
    }

    #[test]
    fn a_success_clears_the_failures() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 6, now);
        throttle.record_success("ada@example.com", CLIENT);
        assert_eq!(throttle.check("ada@example.com", CLIENT, now), Ok(()));
    }

    #[test]
    fn old_failures_are_forgotten() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        fail(&throttle, 6, now);
        let later = now + FORGET_AFTER + Duration::from_secs(1);
        throttle.record_failure("bob@example.com", CLIENT, later);
        assert_eq!(throttle.lock().len(), 1);
    }
}
