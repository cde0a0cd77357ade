use serde_json::json;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const PROVIDER: u128 = 1;
const OTHER_PROVIDER: u128 = 2;
const WORKFLOW: u128 = 10;
const OTHER_WORKFLOW: u128 = 11;

fn workflow() -> Subject {
    Subject::Workflow {
        id: id(WORKFLOW),
        provider_id: id(PROVIDER),
    }
}

fn instance() -> Subject {
    Subject::Instance { id: id(PROVIDER) }
}

fn rule(kind: AlertKind, scope: Scope) -> AlertRule {
    AlertRule {
        id: id(100),
        name: "Production failures".into(),
        kind,
        scope,
        threshold_percent: None,
        channels: vec![id(200)],
        created_at: at("2026-11-01T00:00:00Z"),
    }
}

fn observation(message: &str) -> Observation {
    Observation {
        message: message.into(),
        since: None,
        node: None,
        details: json!({}),
    }
}

#[test]
fn a_subject_key_names_its_table_and_id() {
    assert_eq!(
        workflow().key(),
        "workflow:00000000-0000-0000-0000-00000000000a"
    );
    assert_eq!(
        instance().key(),
        "provider:00000000-0000-0000-0000-000000000001"
    );
}

#[test]
fn a_rule_row_names_a_workflow_before_an_instance_before_everything() {
    let (p, w) = (Some(id(PROVIDER)), Some(id(WORKFLOW)));
    assert_eq!(Scope::from_columns(p, w), Scope::Workflow(id(WORKFLOW)));
    assert_eq!(Scope::from_columns(None, w), Scope::Workflow(id(WORKFLOW)));
    assert_eq!(Scope::from_columns(p, None), Scope::Instance(id(PROVIDER)));
    assert_eq!(Scope::from_columns(None, None), Scope::All);
}

#[test]
fn an_instance_scope_covers_the_instance_and_its_workflows_only() {
    let scope = Scope::Instance(id(PROVIDER));
    assert!(scope.applies_to(&instance()));
    assert!(scope.applies_to(&workflow()));
    assert!(!scope.applies_to(&Subject::Instance {
        id: id(OTHER_PROVIDER)
    }));
    assert!(!scope.applies_to(&Subject::Workflow {
        id: id(WORKFLOW),
        provider_id: id(OTHER_PROVIDER),
    }));
}

#[test]
fn a_workflow_scope_covers_that_workflow_and_no_instance() {
    let scope = Scope::Workflow(id(WORKFLOW));
    assert!(scope.applies_to(&workflow()));
    assert!(!scope.applies_to(&Subject::Workflow {
        id: id(OTHER_WORKFLOW),
        provider_id: id(PROVIDER),
    }));
    assert!(!scope.applies_to(&instance()));
    assert!(Scope::All.applies_to(&workflow()) && Scope::All.applies_to(&instance()));
}

#[test]
fn unreachable_rules_watch_instances_and_every_other_kind_watches_workflows() {
    let unreachable = rule(AlertKind::Unreachable, Scope::All);
    assert!(unreachable.applies_to(&instance()));
    assert!(!unreachable.applies_to(&workflow()));
    for kind in [
        AlertKind::Failure,
        AlertKind::FailureRate,
        AlertKind::MissedRuns,
        AlertKind::Stuck,
    ] {
        let rule = rule(kind, Scope::Instance(id(PROVIDER)));
        assert!(rule.applies_to(&workflow()), "{kind:?}");
        assert!(!rule.applies_to(&instance()), "{kind:?}");
    }
}

#[test]
fn kinds_states_and_scopes_are_stored_under_the_database_s_names() {
    let kinds = [
        (AlertKind::Failure, "failure"),
        (AlertKind::FailureRate, "failure_rate"),
        (AlertKind::MissedRuns, "missed_runs"),
        (AlertKind::Stuck, "stuck"),
        (AlertKind::Unreachable, "unreachable"),
    ];
    for (kind, name) in kinds {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
    }
    assert_eq!(
        serde_json::to_value(AlertState::Open).unwrap(),
        json!("open")
    );
    assert_eq!(
        serde_json::to_value(Scope::Workflow(id(WORKFLOW))).unwrap(),
        json!({"scope": "workflow", "id": id(WORKFLOW)})
    );
}

#[test]
fn a_condition_that_starts_opens_an_alert() {
    let rule = rule(AlertKind::Failure, Scope::All);
    for existing in [None, Some(AlertState::Resolved)] {
        assert_eq!(
            decide(
                &rule,
                &workflow(),
                existing,
                Condition::Holds(observation("broke"))
            ),
            AlertDecision::Open(observation("broke")),
            "{existing:?}"
        );
    }
}

#[test]
fn an_open_alert_is_not_opened_again_while_the_condition_holds() {
    let rule = rule(AlertKind::Failure, Scope::All);
    let decision = decide(
        &rule,
        &workflow(),
        Some(AlertState::Open),
        Condition::Holds(observation("broke again")),
    );
    assert_eq!(
        decision,
        AlertDecision::StillOpen(Some(observation("broke again")))
    );
}

#[test]
fn an_open_alert_resolves_when_its_condition_clears_and_only_then() {
    let rule = rule(AlertKind::Failure, Scope::All);
    let open = Some(AlertState::Open);
    assert_eq!(
        decide(&rule, &workflow(), open, Condition::Clear),
        AlertDecision::Resolve
    );
    assert_eq!(
        decide(&rule, &workflow(), open, Condition::Unknown),
        AlertDecision::StillOpen(None)
    );
    for existing in [None, Some(AlertState::Resolved)] {
        for condition in [Condition::Clear, Condition::Unknown] {
            assert_eq!(
                decide(&rule, &workflow(), existing, condition),
                AlertDecision::Nothing
            );
        }
    }
}

/// Syncs in a row, as the edge function runs them: an episode notifies twice, whatever the
/// number of syncs it spans and however often FlowPulse could not tell in between.
#[test]
fn an_episode_opens_once_and_resolves_once_across_many_syncs() {
    let rule = rule(AlertKind::Failure, Scope::All);
    let syncs = [
        Condition::Clear,
        Condition::Holds(observation("1")),
        Condition::Holds(observation("2")),
        Condition::Unknown,
        Condition::Holds(observation("3")),
        Condition::Clear,
        Condition::Clear,
        Condition::Unknown,
        Condition::Holds(observation("4")),
    ];
    let mut state = None;
    let mut notified = Vec::new();
    for condition in syncs {
        match decide(&rule, &workflow(), state, condition) {
            AlertDecision::Open(observation) => {
                state = Some(AlertState::Open);
                notified.push(format!("opened {}", observation.message));
            }
            AlertDecision::Resolve => {
                state = Some(AlertState::Resolved);
                notified.push("resolved".into());
            }
            AlertDecision::StillOpen(_) | AlertDecision::Nothing => {}
        }
    }
    assert_eq!(notified, ["opened 1", "resolved", "opened 4"]);
}

#[test]
fn a_rule_decides_nothing_for_a_subject_it_does_not_watch() {
    let rule = rule(AlertKind::Failure, Scope::Workflow(id(OTHER_WORKFLOW)));
    assert_eq!(
        decide(&rule, &workflow(), None, Condition::Holds(observation("x"))),
        AlertDecision::Nothing
    );
    assert_eq!(
        decide(&rule, &workflow(), Some(AlertState::Open), Condition::Clear),
        AlertDecision::Nothing
    );
}

#[test]
fn a_message_is_cut_to_what_the_alerts_table_holds() {
    let rule = rule(AlertKind::Failure, Scope::All);
    let long = observation(&"x".repeat(5000));
    let AlertDecision::Open(opened) = decide(&rule, &workflow(), None, Condition::Holds(long))
    else {
        panic!("not opened")
    };
    assert_eq!(opened.message.chars().count(), MESSAGE_MAX_CHARS);
    assert!(opened.message.ends_with('…'));
}
