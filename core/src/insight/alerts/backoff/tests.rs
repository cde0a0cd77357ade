use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn delivery_delays_double_from_a_minute_and_stop_at_an_hour() {
    let backoff = DeliveryBackoff::default();
    let minutes: Vec<i64> = (1..=9)
        .map(|attempt| backoff.delay_after(attempt).num_minutes())
        .collect();
    assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(backoff.delay_after(0), TimeDelta::minutes(1));
    assert_eq!(backoff.delay_after(u32::MAX), TimeDelta::hours(1));
}

#[test]
fn a_delivery_is_retried_on_timeouts_rate_limits_and_server_errors() {
    let backoff = DeliveryBackoff::default();
    let now = at("2026-12-01T09:00:00Z");
    assert_eq!(
        backoff.after_failure(1, Some(503), now),
        DeliveryRetry::At(at("2026-12-01T09:01:00Z"))
    );
    assert_eq!(
        backoff.after_failure(3, Some(429), now),
        DeliveryRetry::At(at("2026-12-01T09:04:00Z"))
    );
    assert_eq!(
        backoff.after_failure(2, None, now),
        DeliveryRetry::At(at("2026-12-01T09:02:00Z"))
    );
}

#[test]
fn a_client_error_other_than_429_is_final() {
    let backoff = DeliveryBackoff::default();
    let now = at("2026-12-01T09:00:00Z");
    for status in [400, 401, 403, 404, 410, 413] {
        assert_eq!(
            backoff.after_failure(1, Some(status), now),
            DeliveryRetry::GiveUp,
            "{status}"
        );
    }
}

#[test]
fn a_delivery_gives_up_after_its_last_attempt_about_two_hours_in() {
    let backoff = DeliveryBackoff::default();
    let now = at("2026-12-01T09:00:00Z");
    assert!(matches!(
        backoff.after_failure(7, Some(503), now),
        DeliveryRetry::At(_)
    ));
    assert_eq!(
        backoff.after_failure(8, Some(503), now),
        DeliveryRetry::GiveUp
    );
    let waited: TimeDelta = (1..backoff.max_attempts)
        .map(|attempt| backoff.delay_after(attempt))
        .sum();
    assert_eq!(waited, TimeDelta::minutes(123));
}
