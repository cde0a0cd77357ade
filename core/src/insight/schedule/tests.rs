use serde_json::json;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn definition(node_type: &str, parameters: Value, timezone: Option<&str>) -> Value {
    json!({
        "nodes": [
            {"id": "1", "name": "Trigger", "type": node_type, "typeVersion": 1.2,
             "position": [0, 0], "parameters": parameters},
            {"id": "2", "name": "Work", "type": "n8n-nodes-base.noOp", "typeVersion": 1,
             "position": [200, 0], "parameters": {}}
        ],
        "connections": {"Trigger": {"main": [[{"node": "Work", "type": "main", "index": 0}]]}},
        "settings": match timezone { Some(tz) => json!({"executionOrder": "v1", "timezone": tz}),
                                     None => json!({"executionOrder": "v1"}) },
    })
}

fn schedule(node_type: &str, parameters: Value, timezone: Option<&str>) -> ExpectedSchedule {
    ExpectedSchedule::from_definition(&definition(node_type, parameters, timezone), None).unwrap()
}

fn interval(item: Value) -> Value {
    json!({"rule": {"interval": [item]}})
}

/// A row of the table below: its name, the node type, the node's parameters, the workflow's
/// time zone, the last run, and the runs expected after it.
type ShapeRow = (
    &'static str,
    &'static str,
    Value,
    Option<&'static str>,
    &'static str,
    Vec<&'static str>,
);

/// Real parameter shapes (as n8n 2.41.1 stores them: defaults left out) and the first runs
/// expected after a moment taken as the last run, in UTC.
#[test]
fn real_parameter_shapes_give_the_runs_n8n_makes() {
    let st = SCHEDULE_TRIGGER;
    let rows: Vec<ShapeRow> = vec![
        (
            "seconds, default 30",
            st,
            interval(json!({"field": "seconds"})),
            None,
            "2026-03-02T10:00:10Z",
            vec![
                "2026-03-02T10:00:30Z",
                "2026-03-02T10:01:00Z",
                "2026-03-02T10:01:30Z",
            ],
        ),
        (
            "seconds not dividing a minute restart each minute",
            st,
            interval(json!({"field": "seconds", "secondsInterval": 7})),
            None,
            "2026-03-02T10:00:50Z",
            vec![
                "2026-03-02T10:00:56Z",
                "2026-03-02T10:01:00Z",
                "2026-03-02T10:01:07Z",
            ],
        ),
        (
            "minutes, default 5",
            st,
            interval(json!({"field": "minutes"})),
            None,
            "2026-03-02T10:02:00Z",
            vec![
                "2026-03-02T10:05:00Z",
                "2026-03-02T10:10:00Z",
                "2026-03-02T10:15:00Z",
            ],
        ),
        (
            "minutes 15",
            st,
            interval(json!({"field": "minutes", "minutesInterval": 15})),
            None,
            "2026-03-02T10:07:30Z",
            vec![
                "2026-03-02T10:15:00Z",
                "2026-03-02T10:30:00Z",
                "2026-03-02T10:45:00Z",
            ],
        ),
        (
            "minutes 50 count from the last fire",
            st,
            interval(json!({"field": "minutes", "minutesInterval": 50})),
            None,
            "2026-03-02T10:07:30Z",
            vec![
                "2026-03-02T10:57:00Z",
                "2026-03-02T11:47:00Z",
                "2026-03-02T12:37:00Z",
            ],
        ),
        (
            "hours, default every hour at :00",
            st,
            interval(json!({"field": "hours"})),
            None,
            "2026-03-02T10:07:00Z",
            vec![
                "2026-03-02T11:00:00Z",
                "2026-03-02T12:00:00Z",
                "2026-03-02T13:00:00Z",
            ],
        ),
        (
            "hours 6 at :30",
            st,
            interval(json!({"field": "hours", "hoursInterval": 6, "triggerAtMinute": 30})),
            None,
            "2026-03-02T06:30:04Z",
            vec![
                "2026-03-02T12:30:00Z",
                "2026-03-02T18:30:00Z",
                "2026-03-03T00:30:00Z",
            ],
        ),
        (
            "hours 5 wrap around midnight as n8n counts",
            st,
            interval(json!({"field": "hours", "hoursInterval": 5})),
            None,
            "2026-03-02T10:00:02Z",
            vec![
                "2026-03-02T15:00:00Z",
                "2026-03-02T20:00:00Z",
                "2026-03-03T01:00:00Z",
            ],
        ),
        (
            "an empty rule is n8n's default: daily at midnight",
            st,
            json!({"rule": {}}),
            None,
            "2026-03-02T12:00:00Z",
            vec!["2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"],
        ),
        (
            "days at 09:15 in Berlin (winter, UTC+1)",
            st,
            interval(json!({"field": "days", "triggerAtHour": 9, "triggerAtMinute": 15})),
            Some("Europe/Berlin"),
            "2026-03-02T00:00:00Z",
            vec!["2026-03-02T08:15:00Z", "2026-03-03T08:15:00Z"],
        ),
        (
            "days 2 at 09:00",
            st,
            interval(json!({"field": "days", "daysInterval": 2, "triggerAtHour": 9})),
            None,
            "2026-03-02T09:00:05Z",
            vec!["2026-03-04T09:00:00Z", "2026-03-06T09:00:00Z"],
        ),
        (
            "weeks, default Sunday midnight",
            st,
            interval(json!({"field": "weeks"})),
            None,
            "2026-03-02T00:00:00Z",
            vec!["2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z"],
        ),
        (
            "weeks on Mon, Wed, Fri at 08:30",
            st,
            interval(
                json!({"field": "weeks", "triggerAtDay": [1, 3, 5], "triggerAtHour": 8, "triggerAtMinute": 30}),
            ),
            None,
            "2026-03-02T09:00:00Z",
            vec![
                "2026-03-04T08:30:00Z",
                "2026-03-06T08:30:00Z",
                "2026-03-09T08:30:00Z",
            ],
        ),
        (
            "weeks 2 on Monday at 09:00",
            st,
            interval(
                json!({"field": "weeks", "weeksInterval": 2, "triggerAtDay": [1], "triggerAtHour": 9}),
            ),
            None,
            "2026-03-02T09:00:03Z",
            vec!["2026-03-16T09:00:00Z", "2026-03-30T09:00:00Z"],
        ),
        (
            "weeks with no weekday run every day",
            st,
            interval(json!({"field": "weeks", "triggerAtDay": [], "triggerAtHour": 7})),
            None,
            "2026-03-02T08:00:00Z",
            vec!["2026-03-03T07:00:00Z", "2026-03-04T07:00:00Z"],
        ),
        (
            "months, default day 1 at midnight",
            st,
            interval(json!({"field": "months"})),
            None,
            "2026-03-02T00:00:00Z",
            vec!["2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"],
        ),
        (
            "months 3 on the 15th at 06:45",
            st,
            interval(
                json!({"field": "months", "monthsInterval": 3, "triggerAtDayOfMonth": 15, "triggerAtHour": 6, "triggerAtMinute": 45}),
            ),
            None,
            "2026-01-15T06:45:02Z",
            vec!["2026-04-15T06:45:00Z", "2026-07-15T06:45:00Z"],
        ),
        (
            "months 5 on the 31st skip months without one",
            st,
            interval(json!({"field": "months", "monthsInterval": 5, "triggerAtDayOfMonth": 31})),
            None,
            "2026-01-31T00:00:01Z",
            vec!["2026-07-31T00:00:00Z", "2026-12-31T00:00:00Z"],
        ),
        (
            "cron with 5 fields across New York's DST start",
            st,
            interval(json!({"field": "cronExpression", "expression": "0 9 * * 1-5"})),
            Some("America/New_York"),
            "2026-03-06T15:00:00Z",
            vec!["2026-03-09T13:00:00Z", "2026-03-10T13:00:00Z"],
        ),
        (
            "cron with 6 fields (seconds first)",
            st,
            interval(json!({"field": "cronExpression", "expression": "*/20 * * * * *"})),
            None,
            "2026-03-02T10:00:05Z",
            vec![
                "2026-03-02T10:00:20Z",
                "2026-03-02T10:00:40Z",
                "2026-03-02T10:01:00Z",
            ],
        ),
        (
            "cron preset with names",
            st,
            interval(json!({"field": "cronExpression", "expression": " 30 8 * * SUN "})),
            None,
            "2026-03-02T00:00:00Z",
            vec!["2026-03-08T08:30:00Z"],
        ),
        (
            "two rules interleave",
            st,
            json!({"rule": {"interval": [{"field": "hours"}, {"field": "days", "triggerAtHour": 9, "triggerAtMinute": 30}]}}),
            None,
            "2026-03-02T08:10:00Z",
            vec![
                "2026-03-02T09:00:00Z",
                "2026-03-02T09:30:00Z",
                "2026-03-02T10:00:00Z",
            ],
        ),
        (
            "a time in Berlin's spring-forward gap runs when the clock jumps",
            st,
            interval(json!({"field": "days", "triggerAtHour": 2, "triggerAtMinute": 30})),
            Some("Europe/Berlin"),
            "2026-03-28T00:00:00Z",
            vec![
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z",
            ],
        ),
        (
            "intervals run through both passes of Berlin's fall-back hour",
            st,
            interval(json!({"field": "minutes", "minutesInterval": 30})),
            Some("Europe/Berlin"),
            "2026-10-25T00:00:00Z",
            vec![
                "2026-10-25T00:30:00Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T01:30:00Z",
                "2026-10-25T02:00:00Z",
            ],
        ),
        (
            "a fixed time in Berlin's fall-back hour runs once",
            st,
            interval(json!({"field": "days", "triggerAtHour": 2, "triggerAtMinute": 30})),
            Some("Europe/Berlin"),
            "2026-10-24T12:00:00Z",
            vec!["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"],
        ),
        (
            "half-hour zones shift the clock grid",
            st,
            interval(json!({"field": "hours"})),
            Some("Asia/Kathmandu"),
            "2026-03-02T10:00:00Z",
            vec!["2026-03-02T10:15:00Z", "2026-03-02T11:15:00Z"],
        ),
        (
            "Cron node every X minutes keeps n8n's uneven grid",
            CRON_NODE,
            json!({"triggerTimes": {"item": [{"mode": "everyX", "value": 50, "unit": "minutes"}]}}),
            None,
            "2026-03-02T10:05:00Z",
            vec![
                "2026-03-02T10:50:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:50:00Z",
            ],
        ),
        (
            "Cron node defaults: every day at 14:00",
            CRON_NODE,
            json!({"triggerTimes": {"item": [{}]}}),
            None,
            "2026-03-02T15:00:00Z",
            vec!["2026-03-03T14:00:00Z"],
        ),
        (
            "Cron node every week, weekday as a string",
            CRON_NODE,
            json!({"triggerTimes": {"item": [{"mode": "everyWeek", "weekday": "3", "hour": 7, "minute": 5}]}}),
            None,
            "2026-03-02T00:00:00Z",
            vec!["2026-03-04T07:05:00Z", "2026-03-11T07:05:00Z"],
        ),
        (
            "Cron node custom expression",
            CRON_NODE,
            json!({"triggerTimes": {"item": [{"mode": "custom", "cronExpression": "0 */10 * * * *"}]}}),
            None,
            "2026-03-02T10:01:00Z",
            vec!["2026-03-02T10:10:00Z", "2026-03-02T10:20:00Z"],
        ),
        (
            "Interval node counts from the last run",
            INTERVAL_NODE,
            json!({"interval": 90, "unit": "minutes"}),
            None,
            "2026-03-02T10:01:17Z",
            vec!["2026-03-02T11:31:17Z", "2026-03-02T13:01:17Z"],
        ),
    ];
    assert!(rows.len() >= 20);
    for (name, node_type, parameters, timezone, from, runs) in rows {
        let schedule = schedule(node_type, parameters, timezone);
        assert!(
            schedule.skipped().is_empty(),
            "{name}: {:?}",
            schedule.skipped()
        );
        let got: Vec<DateTime<Utc>> = expected_runs(&schedule, at(from), DateTime::<Utc>::MAX_UTC)
            .take(runs.len())
            .collect();
        let want: Vec<DateTime<Utc>> = runs.iter().map(|run| at(run)).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_workflow_time_zone_wins_then_the_instance_s_then_utc() {
    let daily_nine = interval(json!({"field": "days", "triggerAtHour": 9}));
    let at_nine = |timezone: Option<&str>, instance: Option<&str>| {
        let definition = definition(SCHEDULE_TRIGGER, daily_nine.clone(), timezone);
        let schedule = ExpectedSchedule::from_definition(&definition, instance).unwrap();
        (
            schedule.timezone().to_string(),
            next_expected_after(&schedule, at("2026-03-02T00:00:00Z")).unwrap(),
        )
    };
    let want = |timezone: &str, when: &str| (timezone.to_string(), at(when));
    assert_eq!(
        at_nine(Some("Asia/Kolkata"), Some("Europe/Berlin")),
        want("Asia/Kolkata", "2026-03-02T03:30:00Z")
    );
    assert_eq!(
        at_nine(Some("DEFAULT"), Some("Asia/Kolkata")),
        want("Asia/Kolkata", "2026-03-02T03:30:00Z")
    );
    assert_eq!(at_nine(None, None), want("UTC", "2026-03-02T09:00:00Z"));
    assert_eq!(
        at_nine(Some("Mars/Olympus"), None),
        want("UTC", "2026-03-02T09:00:00Z")
    );
}

#[test]
fn rules_n8n_would_refuse_or_only_n8n_can_evaluate_are_skipped_with_a_reason() {
    let rules = json!({"rule": {"interval": [
        {"field": "hours", "hoursInterval": "={{ $json.every }}"},
        {"field": "cronExpression", "expression": "0 0 9 * * 1 2026"},
        {"field": "cronExpression"},
        {"field": "cronExpression", "expression": "0 0 30 2 *"},
        {"field": "minutes", "minutesInterval": 90},
        {"field": "weeks", "weeksInterval": 60},
        {"field": "minutes", "minutesInterval": 10},
    ]}});
    let schedule = schedule(SCHEDULE_TRIGGER, rules, None);
    let reasons: Vec<&str> = schedule
        .skipped()
        .iter()
        .map(|skip| skip.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 6, "{reasons:?}");
    assert!(reasons[0].contains("n8n expression"));
    assert!(reasons[1].contains("5 or 6 fields"));
    assert!(reasons[2].contains("0 fields") || reasons[2].contains("has 0"));
    assert!(reasons[3].contains("never matches"));
    assert!(reasons[4].contains("1-59"));
    assert!(reasons[5].contains("first week"));
    assert_eq!(schedule.rules().len(), 1);
    assert_eq!(schedule.rules()[0].node(), "Trigger");
}

#[test]
fn workflows_without_an_enabled_schedule_trigger_have_no_schedule() {
    let mut disabled = definition(SCHEDULE_TRIGGER, json!({}), None);
    disabled["nodes"][0]["disabled"] = json!(true);
    assert!(ExpectedSchedule::from_definition(&disabled, None).is_none());
    let webhook = definition("n8n-nodes-base.webhook", json!({"path": "x"}), None);
    assert!(ExpectedSchedule::from_definition(&webhook, None).is_none());
    assert!(ExpectedSchedule::from_definition(&json!({}), None).is_none());
    // A Cron node without trigger times has a schedule that never fires.
    let empty = schedule(CRON_NODE, json!({}), None);
    assert!(empty.rules().is_empty());
    assert_eq!(
        next_expected_after(&empty, at("2026-03-02T00:00:00Z")),
        None
    );
    assert_eq!(nominal_interval(&empty), None);
}

#[test]
fn a_synced_workflow_reads_the_same_as_its_stored_definition() {
    let stored = definition(
        SCHEDULE_TRIGGER,
        interval(json!({"field": "minutes", "minutesInterval": 15})),
        Some("Europe/Berlin"),
    );
    let workflow: Workflow = serde_json::from_value(json!({
        "id": "wf1", "name": "Every 15", "active": true,
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "nodes": stored["nodes"], "connections": stored["connections"], "settings": stored["settings"],
    }))
    .unwrap();
    let from_workflow = ExpectedSchedule::from_workflow(&workflow, None).unwrap();
    assert_eq!(from_workflow.describe(), "every 15 minutes (Europe/Berlin)");
    assert_eq!(
        from_workflow.describe(),
        ExpectedSchedule::from_definition(&stored, None)
            .unwrap()
            .describe()
    );
}

#[test]
fn rules_are_described_in_flowpulse_s_words() {
    let rules = json!({"rule": {"interval": [
        {"field": "seconds", "secondsInterval": 1},
        {"field": "hours", "hoursInterval": 2, "triggerAtMinute": 30},
        {"field": "weeks", "triggerAtDay": [5, 1], "triggerAtHour": 9},
        {"field": "months", "monthsInterval": 3, "triggerAtDayOfMonth": 15},
        {"field": "cronExpression", "expression": "0 9 * * 1-5"},
    ]}});
    assert_eq!(
        schedule(SCHEDULE_TRIGGER, rules, None).describe(),
        "every second; every 2 hours at :30; every week on Mon, Fri at 09:00; \
         every 3 months on day 15 at 00:00; cron `0 9 * * 1-5` (UTC)"
    );
    let interval_node = schedule(INTERVAL_NODE, json!({"interval": 90}), None);
    assert_eq!(interval_node.describe(), "every 1 min 30 s (UTC)");
}

#[test]
fn the_nominal_interval_combines_rules_as_rates() {
    let nominal = |parameters| nominal_interval(&schedule(SCHEDULE_TRIGGER, parameters, None));
    assert_eq!(
        nominal(interval(json!({"field": "minutes", "minutesInterval": 15}))),
        Some(TimeDelta::minutes(15))
    );
    let twice_a_day = json!({"rule": {"interval": [
        {"field": "days", "triggerAtHour": 9}, {"field": "days", "triggerAtHour": 17}]}});
    assert_eq!(nominal(twice_a_day), Some(TimeDelta::hours(12)));
    let weekdays = interval(json!({"field": "cronExpression", "expression": "0 9 * * 1-5"}));
    let gap = nominal(weekdays).unwrap();
    assert!(
        gap > TimeDelta::days(1) && gap < TimeDelta::days(2),
        "{gap}"
    );
}

#[test]
fn expected_runs_stop_at_the_end_of_the_window_and_at_the_cap() {
    let every_second = schedule(
        SCHEDULE_TRIGGER,
        interval(json!({"field": "seconds", "secondsInterval": 1})),
        None,
    );
    let from = at("2026-03-02T00:00:00Z");
    assert_eq!(
        expected_runs(&every_second, from, at("2026-03-02T00:00:10Z")).count(),
        10
    );
    assert_eq!(
        expected_runs(&every_second, from, at("2026-03-03T00:00:00Z")).count(),
        MAX_EXPECTED_RUNS
    );
    assert_eq!(expected_runs(&every_second, from, from).count(), 0);
}
