use serde_json::json;

use super::*;
use crate::insight::schedule::SCHEDULE_TRIGGER;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn schedule(rule: serde_json::Value) -> ExpectedSchedule {
    let definition = json!({
        "nodes": [{"name": "Schedule Trigger", "type": SCHEDULE_TRIGGER, "typeVersion": 1.2,
                   "parameters": {"rule": {"interval": [rule]}}}],
        "settings": {},
    });
    ExpectedSchedule::from_definition(&definition, None).unwrap()
}

fn every_15_minutes(last_run: Option<&str>, saved: &str) -> HealthInput {
    HealthInput {
        active: true,
        updated_at: Some(at(saved)),
        schedule: Some(schedule(json!({"field": "minutes", "minutesInterval": 15}))),
        last_scheduled_run: last_run.map(at),
        ..HealthInput::default()
    }
}

#[test]
fn a_schedule_two_hours_behind_counts_its_missed_runs() {
    let input = every_15_minutes(Some("2026-12-01T08:00:04Z"), "2026-11-20T00:00:00Z");
    let finding =
        missed_runs(&input, &HealthConfig::default(), at("2026-12-01T10:00:30Z")).unwrap();
    assert_eq!(
        finding.message,
        "Expected every 15 min, last run 2 h ago — 7 runs missed."
    );
    assert_eq!(finding.severity, HealthStatus::Critical);
    assert_eq!(finding.since, Some(at("2026-12-01T08:15:00Z")));
    let FindingDetails::MissedRuns {
        missed,
        grace_secs,
        expected_every_secs,
        ..
    } = finding.details
    else {
        panic!("{:?}", finding.details)
    };
    assert_eq!(
        (missed, grace_secs, expected_every_secs),
        (7, 300, Some(900))
    );
}

#[test]
fn a_run_is_missed_only_once_its_grace_has_passed() {
    let input = every_15_minutes(Some("2026-12-01T09:45:03Z"), "2026-11-20T00:00:00Z");
    let config = HealthConfig::default();
    assert_eq!(
        missed_runs(&input, &config, at("2026-12-01T10:04:59Z")),
        None
    );
    let late = missed_runs(&input, &config, at("2026-12-01T10:05:01Z")).unwrap();
    assert_eq!(late.severity, HealthStatus::Warning);
    assert!(
        late.message.ends_with("— 1 run missed."),
        "{}",
        late.message
    );
    let strict = HealthConfig {
        missed_run_grace: Some(TimeDelta::minutes(1)),
        ..HealthConfig::default()
    };
    assert!(missed_runs(&input, &strict, at("2026-12-01T10:01:01Z")).is_some());
}

#[test]
fn a_schedule_that_never_ran_is_flagged_once_its_first_run_and_grace_have_passed() {
    let daily = HealthInput {
        active: true,
        updated_at: Some(at("2026-12-01T08:00:00Z")),
        schedule: Some(schedule(json!({"field": "days", "triggerAtHour": 9}))),
        ..HealthInput::default()
    };
    let config = HealthConfig::default();
    // Grace for a daily schedule: an hour (a tenth of a day, capped).
    assert_eq!(
        missed_runs(&daily, &config, at("2026-12-01T09:59:00Z")),
        None
    );
    let finding = missed_runs(&daily, &config, at("2026-12-01T10:00:01Z")).unwrap();
    assert_eq!(
        finding.message,
        "Expected every day at 09:00 (UTC), it has not run since it was saved 2 h ago — 1 run missed."
    );
}

#[test]
fn missed_runs_count_from_a_save_after_the_last_run() {
    let input = every_15_minutes(Some("2026-11-01T00:00:00Z"), "2026-12-01T09:00:00Z");
    let finding =
        missed_runs(&input, &HealthConfig::default(), at("2026-12-01T10:00:00Z")).unwrap();
    assert_eq!(
        finding.message,
        "Expected every 15 min, no run since it was saved 1 h ago (last run 30 days 10 h ago) — 3 runs missed."
    );
}

#[test]
fn quiet_days_of_a_weekday_schedule_and_inactive_workflows_are_not_missed_runs() {
    let weekdays = HealthInput {
        active: true,
        updated_at: Some(at("2026-11-01T00:00:00Z")),
        schedule: Some(schedule(
            json!({"field": "cronExpression", "expression": "0 9 * * 1-5"}),
        )),
        // Friday 09:00; evaluated on Sunday evening.
        last_scheduled_run: Some(at("2026-12-04T09:00:02Z")),
        ..HealthInput::default()
    };
    let config = HealthConfig::default();
    assert_eq!(
        missed_runs(&weekdays, &config, at("2026-12-06T20:00:00Z")),
        None
    );
    assert!(missed_runs(&weekdays, &config, at("2026-12-07T11:00:00Z")).is_some());
    // Switched off more than a week after its last run: taken as meant.
    let inactive = HealthInput {
        active: false,
        ..weekdays
    };
    assert_eq!(
        missed_runs(&inactive, &config, at("2026-12-11T09:00:03Z")),
        None
    );
}

#[test]
fn a_schedule_deactivated_after_running_is_reported_as_stopped_from_its_last_run() {
    // Every minute, last run 10:00:00, deactivated (saved) at 10:00:30.
    let every_minute = HealthInput {
        active: false,
        updated_at: Some(at("2026-12-01T10:00:30Z")),
        schedule: Some(schedule(json!({"field": "minutes", "minutesInterval": 1}))),
        last_scheduled_run: Some(at("2026-12-01T10:00:00Z")),
        ..HealthInput::default()
    };
    let config = HealthConfig::default();
    // One interval of grace: the 10:01 run is missed from 10:02 on.
    assert_eq!(
        missed_runs(&every_minute, &config, at("2026-12-01T10:01:59Z")),
        None
    );
    let finding = missed_runs(&every_minute, &config, at("2026-12-01T10:02:01Z")).unwrap();
    assert_eq!(
        finding.message,
        "Deactivated in n8n: expected every 1 min, last run 2 min 1 s ago — 1 run missed."
    );
    let later = missed_runs(&every_minute, &config, at("2026-12-01T11:00:00Z")).unwrap();
    assert_eq!(
        later.severity,
        HealthStatus::Warning,
        "someone may have meant it"
    );
    let never_ran = HealthInput {
        last_scheduled_run: None,
        ..every_minute
    };
    assert_eq!(
        missed_runs(&never_ran, &config, at("2026-12-01T11:00:00Z")),
        None,
        "a schedule that never ran and is off has nothing to report"
    );
}

#[test]
fn an_unreadable_schedule_makes_the_health_unknown() {
    let input = HealthInput {
        active: true,
        updated_at: Some(at("2026-11-01T00:00:00Z")),
        schedule: Some(schedule(
            json!({"field": "hours", "hoursInterval": "={{ 2 }}"}),
        )),
        ..HealthInput::default()
    };
    let health = evaluate(&input, &HealthConfig::default(), at("2026-12-01T00:00:00Z"));
    assert_eq!(health.status, HealthStatus::Unknown);
    assert_eq!(health.findings[0].kind, FindingKind::ScheduleUnknown);
    assert!(health.findings[0].message.contains("n8n expression"));
}

fn unfinished(
    id: i64,
    status: ExecutionStatus,
    started: Option<&str>,
    wait: Option<&str>,
) -> UnfinishedExecution {
    UnfinishedExecution {
        n8n_execution_id: id,
        status,
        started_at: started.map(at),
        wait_till: wait.map(at),
    }
}

#[test]
fn executions_running_or_waiting_past_the_threshold_are_stuck_and_wait_nodes_are_not_early() {
    let now = at("2026-12-01T12:00:00Z");
    let threshold = TimeDelta::minutes(30);
    let executions = [
        unfinished(
            1,
            ExecutionStatus::Running,
            Some("2026-12-01T11:15:00Z"),
            None,
        ),
        unfinished(
            2,
            ExecutionStatus::Running,
            Some("2026-12-01T11:45:00Z"),
            None,
        ),
        // A Wait node resuming in the future, or only 10 minutes late: not stuck.
        unfinished(
            3,
            ExecutionStatus::Waiting,
            Some("2026-12-01T08:00:00Z"),
            Some("2026-12-01T13:00:00Z"),
        ),
        unfinished(
            4,
            ExecutionStatus::Waiting,
            Some("2026-12-01T08:00:00Z"),
            Some("2026-12-01T11:50:00Z"),
        ),
        // Waiting 40 minutes past its resume time: stuck.
        unfinished(
            5,
            ExecutionStatus::Waiting,
            Some("2026-12-01T08:00:00Z"),
            Some("2026-12-01T11:20:00Z"),
        ),
        // Waiting for a webhook call without a limit (n8n's year 3000): stuck once the call
        // has not come for the threshold, counted from the start.
        unfinished(
            6,
            ExecutionStatus::Waiting,
            Some("2026-12-01T11:40:00Z"),
            Some("3000-01-01T00:00:00Z"),
        ),
        unfinished(
            9,
            ExecutionStatus::Waiting,
            Some("2026-12-01T11:00:00Z"),
            Some("3000-01-01T00:00:00Z"),
        ),
        // Queued without a start time, and finished ones: not judged here.
        unfinished(7, ExecutionStatus::New, None, None),
        unfinished(
            8,
            ExecutionStatus::Success,
            Some("2026-12-01T01:00:00Z"),
            None,
        ),
    ];
    let finding = stuck_executions(&executions, threshold, now).unwrap();
    assert_eq!(
        finding.message,
        "3 executions look stuck: #9 waiting for a call for 1 h, #1 running for 45 min, #5 waiting 40 min past its resume time."
    );
    assert_eq!(finding.severity, HealthStatus::Warning);
    assert_eq!(finding.since, Some(at("2026-12-01T11:30:00Z")));
    let very_old = [unfinished(
        9,
        ExecutionStatus::Running,
        Some("2026-12-01T09:00:00Z"),
        None,
    )];
    let critical = stuck_executions(&very_old, threshold, now).unwrap();
    assert_eq!(critical.severity, HealthStatus::Critical);
    let not_stuck: Vec<UnfinishedExecution> = executions
        .iter()
        .filter(|e| ![1, 5, 9].contains(&e.n8n_execution_id))
        .cloned()
        .collect();
    assert_eq!(stuck_executions(&not_stuck, threshold, now), None);
}

fn counts(day: (u64, u64), week: (u64, u64)) -> RunCounts {
    RunCounts {
        last_day: WindowCounts {
            succeeded: day.0,
            failed: day.1,
        },
        previous_week: WindowCounts {
            succeeded: week.0,
            failed: week.1,
        },
    }
}

#[test]
fn a_failure_rate_far_above_the_workflow_s_own_baseline_is_an_anomaly() {
    let now = at("2026-12-01T12:00:00Z");
    let thresholds = RateThresholds::default();
    let check = |day, week| failure_rate_anomaly(&counts(day, week), &thresholds, now);
    let jump = check((4, 6), (98, 2)).unwrap();
    assert_eq!(
        jump.message,
        "60% of runs failed in the last 24 h (6 of 10), against 2% over the week before (2 of 100)."
    );
    assert_eq!(jump.severity, HealthStatus::Warning);
    assert_eq!(jump.since, Some(at("2026-11-30T12:00:00Z")));
    // Usually 40 % failing: 60 % is not far enough above its normal.
    assert_eq!(check((4, 6), (60, 40)), None);
    // Two runs, one failed, are not a sample.
    assert_eq!(check((1, 1), (100, 0)), None);
    assert_eq!(
        check((0, 5), (100, 0)).unwrap().severity,
        HealthStatus::Critical
    );
}

#[test]
fn without_a_baseline_only_a_majority_of_failures_is_an_anomaly() {
    let now = at("2026-12-01T12:00:00Z");
    let thresholds = RateThresholds::default();
    let check = |day, week| failure_rate_anomaly(&counts(day, week), &thresholds, now);
    let new_and_failing = check((1, 5), (3, 0)).unwrap();
    assert_eq!(
        new_and_failing.message,
        "83% of runs failed in the last 24 h (5 of 6), with no normal rate to compare to yet (3 runs the week before)."
    );
    assert_eq!(new_and_failing.severity, HealthStatus::Critical);
    assert_eq!(check((5, 3), (3, 0)), None);
}

#[test]
fn health_is_its_worst_finding_and_serializes_as_workflow_health_stores_it() {
    let now = at("2026-12-01T10:00:30Z");
    let mut input = every_15_minutes(Some("2026-12-01T09:45:02Z"), "2026-11-20T00:00:00Z");
    assert_eq!(
        evaluate(&input, &HealthConfig::default(), now),
        Health {
            status: HealthStatus::Ok,
            findings: vec![]
        }
    );
    input.unfinished = vec![unfinished(
        41,
        ExecutionStatus::Running,
        Some("2026-12-01T09:20:00Z"),
        None,
    )];
    input.runs = Some(counts((2, 8), (200, 4)));
    let health = evaluate(&input, &HealthConfig::default(), now);
    assert_eq!(health.status, HealthStatus::Critical);
    let kinds: Vec<FindingKind> = health.findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::FailureRateAnomaly,
            FindingKind::StuckExecutions
        ]
    );
    let stored = serde_json::to_value(&health).unwrap();
    assert_eq!(stored["status"], "critical");
    assert_eq!(stored["findings"][0]["kind"], "failure_rate_anomaly");
    assert_eq!(stored["findings"][0]["details"]["recent_failed"], 8);
    assert_eq!(
        stored["findings"][1]["details"]["executions"][0]["status"],
        "running"
    );
    let back: Health = serde_json::from_value(stored).unwrap();
    assert_eq!(back, health);
}
