use super::*;
use crate::insight::health::{Finding, FindingDetails, HealthStatus, WindowCounts};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn finding(kind: FindingKind, message: &str) -> Finding {
    Finding {
        kind,
        severity: HealthStatus::Warning,
        message: message.into(),
        since: Some(at("2026-12-01T08:15:00Z")),
        details: FindingDetails::ScheduleUnknown { skipped: vec![] },
    }
}

fn health(findings: Vec<Finding>) -> Health {
    Health {
        status: HealthStatus::Warning,
        findings,
    }
}

#[test]
fn a_health_finding_of_the_rule_s_kind_holds_with_its_message_and_start() {
    let health = health(vec![
        finding(FindingKind::StuckExecutions, "2 executions stuck."),
        finding(FindingKind::MissedRuns, "3 runs missed."),
    ]);
    let Condition::Holds(missed) = Condition::from_health(AlertKind::MissedRuns, &health) else {
        panic!("missed runs do not hold")
    };
    assert_eq!(missed.message, "3 runs missed.");
    assert_eq!(missed.since, Some(at("2026-12-01T08:15:00Z")));
    assert_eq!(missed.details, json!({"skipped": []}));
    let Condition::Holds(stuck) = Condition::from_health(AlertKind::Stuck, &health) else {
        panic!("stuck does not hold")
    };
    assert_eq!(stuck.message, "2 executions stuck.");
    assert_eq!(
        Condition::from_health(AlertKind::FailureRate, &health),
        Condition::Clear
    );
}

#[test]
fn an_unreadable_schedule_leaves_missed_runs_unknown_but_not_the_other_kinds() {
    let health = health(vec![finding(FindingKind::ScheduleUnknown, "cannot tell")]);
    assert_eq!(
        Condition::from_health(AlertKind::MissedRuns, &health),
        Condition::Unknown
    );
    assert_eq!(
        Condition::from_health(AlertKind::Stuck, &health),
        Condition::Clear
    );
}

#[test]
fn health_says_nothing_about_failures_or_reachability() {
    let health = health(vec![]);
    for kind in [AlertKind::Failure, AlertKind::Unreachable] {
        assert_eq!(Condition::from_health(kind, &health), Condition::Unknown);
    }
}

fn run(status: ExecutionStatus, started_at: &str) -> LatestRun {
    LatestRun {
        n8n_execution_id: 812,
        status,
        started_at: at(started_at),
        failure: None,
        failures_in_a_row: 1,
    }
}

#[test]
fn a_failed_latest_run_holds_with_its_node_reason_and_streak() {
    let latest = LatestRun {
        failure: Some(FailureDetail {
            message: "Authorization failed - please check your credentials".into(),
            description: Some("invalid_api_key".into()),
            node_name: Some("Fetch orders".into()),
            node_type: Some("n8n-nodes-base.httpRequest".into()),
        }),
        failures_in_a_row: 3,
        ..run(ExecutionStatus::Error, "2026-12-01T09:00:00Z")
    };
    let Condition::Holds(failed) = failure_condition(Some(&latest), at("2026-11-01T00:00:00Z"))
    else {
        panic!("does not hold")
    };
    assert_eq!(
        failed.message,
        "Execution #812 failed at node “Fetch orders”: Authorization failed - please check your credentials (3 failed runs in a row)"
    );
    assert_eq!(failed.since, Some(at("2026-12-01T09:00:00Z")));
    assert_eq!(
        failed.node,
        Some(NodeRef {
            name: "Fetch orders".into(),
            node_type: Some("n8n-nodes-base.httpRequest".into()),
        })
    );
    assert_eq!(
        failed.details,
        json!({"n8n_execution_id": 812, "status": "error", "failures_in_a_row": 3,
               "description": "invalid_api_key"})
    );
}

#[test]
fn a_crash_without_details_says_how_it_ended() {
    let latest = run(ExecutionStatus::Crashed, "2026-12-01T09:00:00Z");
    let Condition::Holds(crashed) = failure_condition(Some(&latest), at("2026-11-01T00:00:00Z"))
    else {
        panic!("does not hold")
    };
    assert_eq!(
        crashed.message,
        "Execution #812 failed: it ended with status crashed"
    );
    assert_eq!(crashed.node, None);
}

#[test]
fn a_success_clears_the_failure_rule_and_a_canceled_or_missing_run_says_nothing() {
    let created = at("2026-11-01T00:00:00Z");
    let success = run(ExecutionStatus::Success, "2026-12-01T09:00:00Z");
    assert_eq!(failure_condition(Some(&success), created), Condition::Clear);
    let canceled = run(ExecutionStatus::Canceled, "2026-12-01T09:00:00Z");
    assert_eq!(
        failure_condition(Some(&canceled), created),
        Condition::Unknown
    );
    assert_eq!(failure_condition(None, created), Condition::Unknown);
}

#[test]
fn a_failure_from_before_the_rule_existed_is_not_news_to_it() {
    let old = run(ExecutionStatus::Error, "2026-10-31T23:59:59Z");
    assert_eq!(
        failure_condition(Some(&old), at("2026-11-01T00:00:00Z")),
        Condition::Unknown
    );
}

fn last_day(succeeded: u64, failed: u64) -> RunCounts {
    RunCounts {
        last_day: WindowCounts { succeeded, failed },
        previous_week: WindowCounts::default(),
    }
}

#[test]
fn a_failure_rate_opens_at_its_threshold_and_resolves_only_well_below_it() {
    let thresholds = RateThresholds::default();
    let rate =
        |succeeded, failed| failure_rate_condition(50.0, &last_day(succeeded, failed), &thresholds);
    let Condition::Holds(at_threshold) = rate(10, 10) else {
        panic!("50 % does not hold at a 50 % threshold")
    };
    assert_eq!(
        at_threshold.message,
        "50% of runs failed in the last 24 h (10 of 20), at or above the 50% threshold."
    );
    assert_eq!(
        at_threshold.details,
        json!({"recent_runs": 20, "recent_failed": 10, "threshold_percent": 50.0})
    );
    // Between the levels (48 %, exactly 45 %) an open alert stays open and none opens.
    assert_eq!(rate(52, 48), Condition::Unknown);
    assert_eq!(rate(55, 45), Condition::Unknown);
    assert_eq!(rate(56, 44), Condition::Clear);
}

#[test]
fn a_failure_rate_on_too_few_runs_is_unknown_unless_none_failed() {
    let thresholds = RateThresholds::default();
    let rate =
        |succeeded, failed| failure_rate_condition(50.0, &last_day(succeeded, failed), &thresholds);
    assert_eq!(rate(2, 2), Condition::Unknown);
    assert_eq!(rate(3, 0), Condition::Clear);
    assert_eq!(rate(0, 0), Condition::Clear);
}

#[test]
fn a_day_without_failures_never_holds_even_at_a_zero_threshold() {
    let thresholds = RateThresholds::default();
    assert_eq!(
        failure_rate_condition(0.0, &last_day(50, 0), &thresholds),
        Condition::Clear
    );
    assert!(matches!(
        failure_rate_condition(0.0, &last_day(49, 1), &thresholds),
        Condition::Holds(_)
    ));
}

#[test]
fn a_low_threshold_resolves_at_half_of_it_so_its_alert_can_resolve() {
    assert_eq!(rate_resolve_below(50.0), 50.0 - RATE_HYSTERESIS_POINTS);
    assert_eq!(rate_resolve_below(10.0), 5.0);
    assert_eq!(rate_resolve_below(4.0), 2.0);
    let thresholds = RateThresholds::default();
    let rate =
        |succeeded, failed| failure_rate_condition(4.0, &last_day(succeeded, failed), &thresholds);
    assert!(matches!(rate(96, 4), Condition::Holds(_)));
    assert_eq!(rate(97, 3), Condition::Unknown);
    assert_eq!(rate(99, 1), Condition::Clear);
}

#[test]
fn a_fractional_threshold_is_quoted_as_set() {
    let holds = failure_rate_condition(2.5, &last_day(90, 10), &RateThresholds::default());
    let Condition::Holds(observation) = holds else {
        panic!("10 % does not hold at 2.5 %")
    };
    assert!(
        observation
            .message
            .ends_with("at or above the 2.5% threshold."),
        "{}",
        observation.message
    );
}

fn reachability(failures: u32, error: Option<&str>) -> Reachability {
    Reachability {
        consecutive_failures: failures,
        failing_since: Some(at("2026-12-01T09:00:00Z")),
        last_error: error.map(str::to_string),
    }
}

#[test]
fn an_instance_is_unreachable_after_enough_failed_syncs_in_a_row() {
    assert_eq!(UNREACHABLE_AFTER, 2);
    assert_eq!(
        unreachable_condition(&reachability(0, None)),
        Condition::Clear
    );
    // One failure is a blip: an open alert stays open, none opens.
    assert_eq!(
        unreachable_condition(&reachability(1, Some("timeout"))),
        Condition::Unknown
    );
    let Condition::Holds(down) =
        unreachable_condition(&reachability(3, Some("timed out after 30 s")))
    else {
        panic!("does not hold")
    };
    assert_eq!(
        down.message,
        "The n8n instance could not be reached in the last 3 syncs: timed out after 30 s"
    );
    assert_eq!(down.since, Some(at("2026-12-01T09:00:00Z")));
    assert_eq!(
        down.details,
        json!({"consecutive_failures": 3, "last_error": "timed out after 30 s"})
    );
    let Condition::Holds(quiet) = unreachable_condition(&reachability(2, Some("  "))) else {
        panic!("does not hold")
    };
    assert_eq!(
        quiet.message,
        "The n8n instance could not be reached in the last 2 syncs."
    );
}

#[test]
fn an_unreachable_alert_never_repeats_a_credential_from_the_sync_error() {
    let error = "GET https://admin:hunter2@n8n.example.com/api/v1/workflows failed: Authorization: Bearer n8n_api_5f2b9c";
    let Condition::Holds(down) = unreachable_condition(&reachability(2, Some(error))) else {
        panic!("does not hold")
    };
    let stored = format!("{} {}", down.message, down.details);
    assert!(!stored.contains("hunter2"), "{stored}");
    assert!(!stored.contains("n8n_api_5f2b9c"), "{stored}");
    assert!(stored.contains("n8n.example.com"), "{stored}");
}
