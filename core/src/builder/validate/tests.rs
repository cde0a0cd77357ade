use serde_json::json;

use super::rendered::{workflow_problems, WorkflowProblem};
use super::*;
use crate::builder::fixtures::{counter, every_step, field, journey, user};
use crate::builder::plan::{Field, HttpAuth};
use crate::builder::render::{render_workflow, CredentialIds};

/// The problems of the journey plan after `change`.
fn after(change: impl FnOnce(&mut WorkflowPlan)) -> Vec<PlanProblem> {
    let mut plan = journey(Some("Sales bot"));
    change(&mut plan);
    problems(&plan)
}

fn step(plan: &mut WorkflowPlan, index: usize) -> &mut Step {
    &mut plan.steps[index]
}

#[test]
fn the_journey_and_the_every_step_plan_are_valid() {
    assert_eq!(problems(&journey(Some("Sales bot"))), []);
    assert_eq!(problems(&every_step()), []);
    assert!(ValidPlan::new(every_step()).is_ok());
}

#[test]
fn an_unchosen_credential_blocks_deployment_with_a_readable_message() {
    let found = problems(&journey(None));
    assert_eq!(
        found,
        [PlanProblem::NoCredential {
            step: "Slack #sales".into(),
            credential_type: "slackApi".into(),
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "Slack #sales: choose a Slack credential."
    );
}

#[test]
fn titles_and_empty_plans_are_checked() {
    assert_eq!(after(|p| p.title = "  ".into()), [PlanProblem::EmptyTitle]);
    assert_eq!(
        after(|p| p.title = "x".repeat(101)),
        [PlanProblem::TitleTooLong { chars: 101 }]
    );
    let mut plan = journey(Some("a"));
    plan.trigger = Trigger::Manual;
    plan.steps.clear();
    assert_eq!(problems(&plan), [PlanProblem::NoSteps]);
}

#[test]
fn webhook_paths_must_be_servable() {
    for (path, reason) in [
        ("", "is empty"),
        ("/orders", "must not start with a slash"),
        ("new orders", "may only use letters, digits and - _ . / :"),
        ("orders//new", "has an empty segment"),
    ] {
        let found = after(|p| {
            p.trigger = Trigger::Webhook {
                method: HttpMethod::Post,
                path: path.into(),
            }
        });
        assert_eq!(
            found,
            [PlanProblem::WebhookPath {
                path: path.into(),
                reason
            }],
            "{path:?}"
        );
    }
    assert_eq!(webhook_path_problem("orders/:id"), None);
}

#[test]
fn schedules_keep_to_the_ranges_n8n_enforces() {
    let schedule_problems = |schedule: Schedule| {
        let mut plan = journey(Some("a"));
        plan.steps.pop();
        plan.trigger = Trigger::Schedule { schedule };
        problems(&plan)
    };
    assert_eq!(schedule_problems(Schedule::Minutes { n: 15 }), []);
    assert_eq!(
        schedule_problems(Schedule::Weekday {
            hour: 23,
            minute: 59
        }),
        []
    );
    for bad in [
        Schedule::Minutes { n: 0 },
        Schedule::Minutes { n: 60 },
        Schedule::Hours { n: 24, minute: 0 },
        Schedule::Hours { n: 2, minute: 60 },
        Schedule::Day {
            hour: 24,
            minute: 0,
        },
        Schedule::Weekday {
            hour: 8,
            minute: 60,
        },
    ] {
        let found = schedule_problems(bad.clone());
        assert!(
            matches!(found[..], [PlanProblem::Schedule { .. }]),
            "{bad:?}: {found:?}"
        );
    }
    let found = schedule_problems(Schedule::Cron {
        expression: "0 9 * *".into(),
    });
    assert_eq!(
        found[0].to_string(),
        "The cron expression “0 9 * *” has 4 fields; use five: minute hour day-of-month month \
         day-of-week."
    );
}

#[test]
fn messages_channels_and_addresses_are_checked() {
    let found = after(|p| {
        *step(p, 1) = Step::Slack {
            channel: "sales team".into(),
            text: " ".into(),
            credential: Some("a".into()),
        }
    });
    assert_eq!(
        found,
        [
            PlanProblem::EmptyText {
                step: "Slack sales team".into(),
                what: "message"
            },
            PlanProblem::BadChannel {
                step: "Slack sales team".into(),
                channel: "sales team".into()
            },
        ]
    );
    assert!(is_slack_channel("#sales") && is_slack_channel("C0123ABC"));
    assert!(!is_slack_channel("#Sales") && !is_slack_channel("sales"));
    let found = after(|p| {
        *step(p, 1) = Step::Email {
            to: "ops@example.com, nobody".into(),
            from: None,
            subject: "Hi".into(),
            text: "Body".into(),
            credential: Some("smtp".into()),
        }
    });
    let label = "Email to ops@example.com, nobody".to_string();
    assert_eq!(
        found,
        [
            PlanProblem::BadEmail {
                step: label.clone(),
                address: "nobody".into()
            },
            PlanProblem::NoSender { step: label },
        ]
    );
    let found = after(|p| {
        *step(p, 1) = Step::Telegram {
            chat_id: "my chat".into(),
            text: "hi".into(),
            credential: Some("t".into()),
        }
    });
    assert!(matches!(found[..], [PlanProblem::BadChatId { .. }]));
}

#[test]
fn urls_must_be_http_and_bodies_need_a_method_that_sends_one() {
    let found = after(|p| {
        *step(p, 1) = Step::HttpRequest {
            method: HttpMethod::Get,
            url: "ftp://example.com".into(),
            body: Some(json!({})),
            auth: HttpAuth::None,
        }
    });
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[0].to_string(),
        "HTTP GET ftp://example.com: “ftp://example.com” is not a valid http(s) URL."
    );
    assert_eq!(
        found[1].to_string(),
        "HTTP GET ftp://example.com: a GET request cannot send a body; use POST, PUT or PATCH."
    );
    assert!(is_http_url("https://api.example.com/x/{{ $json.id }}"));
    assert!(!is_http_url("{{ $json.url }}"));
    assert!(!is_http_url("https://"));
}

#[test]
fn fields_columns_and_tables_need_usable_names() {
    let found = after(|p| {
        *step(p, 0) = Step::SetFields {
            fields: vec![field("id", "1"), field("id", "2"), field("my field", "3")],
            keep_only: false,
        }
    });
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(matches!(&found[0], PlanProblem::Duplicate { name, .. } if name == "id"));
    assert!(matches!(&found[1], PlanProblem::BadName { name, .. } if name == "my field"));
    let found = after(|p| {
        *step(p, 0) = Step::PostgresInsert {
            table: "public.orders.x".into(),
            columns: Vec::<Field>::new(),
            credential: Some("pg".into()),
        }
    });
    assert!(matches!(
        &found[0],
        PlanProblem::BadName { what: "table", .. }
    ));
    assert!(matches!(
        &found[1],
        PlanProblem::NothingNamed { what: "column", .. }
    ));
}

#[test]
fn conditions_need_values_that_fit_their_operator() {
    let condition = |operator, value| Step::Filter {
        condition: Condition {
            field: "total".into(),
            operator,
            value,
        },
    };
    let check = |step: Step| after(|p| p.steps.insert(0, step));
    assert_eq!(check(condition(Operator::Greater, Some(json!("100")))), []);
    assert_eq!(check(condition(Operator::Exists, None)), []);
    assert_eq!(
        check(condition(Operator::Greater, Some(json!("lots"))))[0].to_string(),
        "Filter: total > “lots”: a comparison like > or < needs a number to compare with."
    );
    assert!(matches!(
        check(condition(Operator::Equals, None))[..],
        [PlanProblem::ConditionValue { .. }]
    ));
    let empty_if = Step::If {
        condition: Condition {
            field: "total".into(),
            operator: Operator::Exists,
            value: None,
        },
        then: vec![],
        otherwise: vec![],
    };
    assert!(matches!(
        check(empty_if)[..],
        [PlanProblem::EmptyBranches { .. }]
    ));
}

#[test]
fn respond_needs_a_webhook_a_real_status_and_only_one_answer_per_path() {
    let found = after(|p| p.trigger = Trigger::Manual);
    assert_eq!(
        found,
        [PlanProblem::RespondWithoutWebhook {
            step: "Respond to Webhook (200)".into()
        }]
    );
    let found = after(|p| {
        p.steps.push(Step::RespondToWebhook {
            status: 700,
            body: "again".into(),
        });
    });
    assert_eq!(found.len(), 2);
    assert!(matches!(
        found[0],
        PlanProblem::StatusRange { status: 700, .. }
    ));
    assert!(matches!(found[1], PlanProblem::RespondTwice { .. }));
    assert_eq!(
        after(|p| p.steps.insert(0, Step::Wait { seconds: 0 })),
        [PlanProblem::WaitRange {
            step: "Wait 0 seconds".into()
        }]
    );
}

fn journey_json() -> serde_json::Value {
    let plan = ValidPlan::new(journey(Some("Sales bot"))).unwrap();
    let mut ids = CredentialIds::new();
    ids.insert(("slackApi".into(), "Sales bot".into()), "1".into());
    render_workflow(&plan, user(), &ids, &mut counter())
        .unwrap()
        .to_value()
}

#[test]
fn rendered_json_problems_name_the_node_at_fault() {
    let check = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut workflow = journey_json();
        change(&mut workflow);
        workflow_problems(&workflow)
    };
    assert_eq!(check(&|_| {}), []);
    assert_eq!(
        check(&|w| w["nodes"][2]["typeVersion"] = json!(2.2)),
        [WorkflowProblem::Version {
            node: "Slack".into(),
            found: "2.2".into(),
            pinned: "2.7".into()
        }]
    );
    assert_eq!(
        check(&|w| {
            w["nodes"][1]["parameters"]
                .as_object_mut()
                .unwrap()
                .remove("assignments");
        }),
        [WorkflowProblem::MissingParameter {
            node: "Edit Fields".into(),
            parameter: "assignments"
        }]
    );
    assert_eq!(
        check(&|w| w["nodes"][2]["name"] = json!("Edit Fields")),
        [
            WorkflowProblem::DuplicateName("Edit Fields".into()),
            WorkflowProblem::Connection {
                from: "Edit Fields".into(),
                what: r#"bad target {"index":0,"node":"Slack","type":"main"}"#.into()
            },
            WorkflowProblem::Connection {
                from: "Slack".into(),
                what: "no such node".into()
            },
            WorkflowProblem::Unreachable("Respond to Webhook".into()),
        ]
    );
    assert_eq!(
        check(&|w| w["nodes"][0]["parameters"]["responseMode"] = json!("onReceived")),
        [WorkflowProblem::ResponseMode {
            expected: "responseNode",
            found: "onReceived".into()
        }]
    );
    assert_eq!(
        check(&|w| w["connections"].as_object_mut().unwrap().clear()),
        [
            WorkflowProblem::Unreachable("Edit Fields".into()),
            WorkflowProblem::Unreachable("Respond to Webhook".into()),
            WorkflowProblem::Unreachable("Slack".into()),
        ]
    );
    let two_triggers = check(&|w| w["nodes"][1]["type"] = json!("n8n-nodes-base.webhook"));
    assert!(
        two_triggers.contains(&WorkflowProblem::TriggerCount(2)),
        "{two_triggers:?}"
    );
    assert!(two_triggers.contains(&WorkflowProblem::NoWebhookId("Edit Fields".into())));
    assert_eq!(
        check(&|w| w["nodes"][2]["credentials"] = json!({ "smtp": { "id": "1", "name": "x" } })),
        [WorkflowProblem::Credential {
            node: "Slack".into(),
            what: "smtp is not a type this node uses".into()
        }]
    );
    assert_eq!(
        check(&|w| w["settings"] = json!({})),
        [WorkflowProblem::ExecutionOrder]
    );
}
