//! Slows down guessing and account spam: after a few attempts for one key, each further
//! attempt must wait twice as long as the previous one.
//!
//! - sign-in: failed attempts per (normalized email, client address);
//! - sign-up: every attempt per client address (each one costs a password hash and may create
//!   an account or confirm that an email has one).
//!
//! The client address is the TCP peer: behind a reverse proxy every visitor shares the
//! proxy's. In memory and per process: good enough for one app server; several replicas would
//! each keep their own counts (a shared store would be the next step).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many attempts are free and how the delay grows after them.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts allowed before any delay applies (typos happen).
    pub free: u32,
    /// Delay after the first attempt beyond the free ones; doubles with each further one.
    pub base_delay: Duration,
    /// The delay never exceeds this.
    pub max_delay: Duration,
    /// Attempts are forgotten after this long without a new one.
    pub forget_after: Duration,
}

/// Failed sign-ins for one email from one client.
pub const SIGN_IN: Policy = Policy {
    free: 3,
    base_delay: Duration::from_secs(2),
    max_delay: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(60 * 60),
};

/// Sign-ups from one client: a household or an office signs up a few people, a script many.
pub const SIGN_UP: Policy = Policy {
    free: 5,
    base_delay: Duration::from_secs(30),
    max_delay: Duration::from_secs(60 * 60),
    forget_after: Duration::from_secs(60 * 60),
};

#[derive(Debug, Clone, Copy)]
struct Attempts {
    count: u32,
    last: Instant,
}

/// Counted attempts per key.
pub struct Throttle<K> {
    policy: Policy,
    attempts: Mutex<HashMap<K, Attempts>>,
}

/// Failed sign-ins per (normalized email, client address).
pub type SignInThrottle = Throttle<(String, IpAddr)>;
/// Sign-up attempts per client address.
pub type SignUpThrottle = Throttle<IpAddr>;

impl<K: Eq + Hash + Clone> Throttle<K> {
    /// An empty throttle applying `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when the next attempt must wait `wait` longer; `Ok` when it may proceed.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let attempts = self.lock();
        let Some(entry) = attempts.get(key) else {
            return Ok(());
        };
        let allowed_at = entry.last + self.delay_after(entry.count);
        match allowed_at.checked_duration_since(now) {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    /// Counts an attempt (a failed sign-in, any sign-up).
    pub fn record(&self, key: &K, now: Instant) {
        let mut attempts = self.lock();
        // Forgetting happens here, on the write path, so the map cannot grow without bound.
        let forget_after = self.policy.forget_after;
        attempts.retain(|_, entry| now.duration_since(entry.last) < forget_after);
        let entry = attempts.entry(key.clone()).or_insert(Attempts {
            count: 0,
            last: now,
        });
        entry.count += 1;
        entry.last = now;
    }

    /// Clears the slate for `key` (a successful sign-in).
    pub fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    /// How long to wait after `count` counted attempts.
    fn delay_after(&self, count: u32) -> Duration {
        if count < self.policy.free {
            return Duration::ZERO;
        }
        let doublings = (count - self.policy.free).min(16);
        (self.policy.base_delay * 2u32.pow(doublings)).min(self.policy.max_delay)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Attempts>> {
        // The map holds no invariants a panicking holder could break: keep using it.
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn ada(client: IpAddr) -> (String, IpAddr) {
        ("ada@example.com".to_string(), client)
    }

    fn fail(throttle: &SignInThrottle, times: u32, now: Instant) {
        for _ in 0..times {
            throttle.record(&ada(CLIENT), now);
        }
    }

    #[test]
    fn the_first_few_failures_cost_nothing() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 2, now);
        assert_eq!(throttle.check(&ada(CLIENT), now), Ok(()));
    }

    #[test]
    fn each_failure_beyond_the_free_ones_doubles_the_wait() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 3, now);
        assert_eq!(
            throttle.check(&ada(CLIENT), now),
            Err(Duration::from_secs(2))
        );
        fail(&throttle, 1, now);
        assert_eq!(
            throttle.check(&ada(CLIENT), now),
            Err(Duration::from_secs(4))
        );
        fail(&throttle, 1, now);
        assert_eq!(
            throttle.check(&ada(CLIENT), now),
            Err(Duration::from_secs(8))
        );
    }

    #[test]
    fn the_wait_elapses_and_is_capped() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 3, now);
        assert_eq!(
            throttle.check(&ada(CLIENT), now + Duration::from_secs(2)),
            Ok(())
        );
        fail(&throttle, 40, now);
        assert_eq!(throttle.check(&ada(CLIENT), now), Err(SIGN_IN.max_delay));
    }

    #[test]
    fn other_emails_and_other_clients_are_not_slowed_down() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 6, now);
        assert_eq!(
            throttle.check(&("bob@example.com".to_string(), CLIENT), now),
            Ok(())
        );
        assert_eq!(throttle.check(&ada(OTHER_CLIENT), now), Ok(()));
    }

    #[test]
    fn a_success_clears_the_failures() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 6, now);
        throttle.clear(&ada(CLIENT));
        assert_eq!(throttle.check(&ada(CLIENT), now), Ok(()));
    }

    #[test]
    fn old_failures_are_forgotten() {
        let throttle = SignInThrottle::new(SIGN_IN);
        let now = Instant::now();
        fail(&throttle, 6, now);
        let later = now + SIGN_IN.forget_after + Duration::from_secs(1);
        throttle.record(&("bob@example.com".to_string(), CLIENT), later);
        assert_eq!(throttle.lock().len(), 1);
    }

    #[test]
    fn sign_ups_from_one_client_are_slowed_after_the_free_ones() {
        let throttle = SignUpThrottle::new(SIGN_UP);
        let now = Instant::now();
        for _ in 0..SIGN_UP.free {
            assert_eq!(throttle.check(&CLIENT, now), Ok(()));
            throttle.record(&CLIENT, now);
        }
        assert_eq!(throttle.check(&CLIENT, now), Err(SIGN_UP.base_delay));
        assert_eq!(throttle.check(&OTHER_CLIENT, now), Ok(()));
    }
}
