use serde_json::{json, Value};

use super::*;
use crate::builder::catalogue::{spec, NodeKind, NODES};
use crate::builder::fixtures::{counter, every_step, journey, user};
use crate::builder::plan::{HttpMethod, Schedule, Trigger, WorkflowPlan};
use crate::builder::validate::rendered::workflow_problems;

fn ids_for_main() -> CredentialIds {
    let mut ids = CredentialIds::new();
    for node in NODES {
        for credential_type in node.credential_types {
            ids.insert(
                (credential_type.to_string(), "main".to_string()),
                format!("cred-{credential_type}"),
            );
        }
    }
    ids
}

fn rendered(plan: WorkflowPlan, ids: &CredentialIds) -> Value {
    let plan = ValidPlan::new(plan).expect("a valid plan");
    render_workflow(&plan, user(), ids, &mut counter())
        .expect("renders")
        .to_value()
}

fn node<'a>(workflow: &'a Value, name: &str) -> &'a Value {
    workflow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no node {name} in {workflow:#}"))
}

fn journey_workflow() -> Value {
    let mut ids = CredentialIds::new();
    ids.insert(("slackApi".into(), "Sales bot".into()), "17".into());
    rendered(journey(Some("Sales bot")), &ids)
}

#[test]
fn the_journey_renders_as_a_chain_named_for_the_user() {
    let workflow = journey_workflow();
    assert_eq!(workflow["name"], "[USR-1a2b3c4d] Orders to Slack");
    assert_eq!(workflow["settings"], json!({ "executionOrder": "v1" }));
    let names: Vec<&str> = workflow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Webhook", "Edit Fields", "Slack", "Respond to Webhook"]
    );
    let positions: Vec<&Value> = workflow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["position"])
        .collect();
    assert_eq!(
        positions,
        [
            &json!([0, 0]),
            &json!([240, 0]),
            &json!([480, 0]),
            &json!([720, 0])
        ]
    );
    assert_eq!(
        workflow["connections"]["Webhook"],
        json!({ "main": [[{ "node": "Edit Fields", "type": "main", "index": 0 }]] })
    );
    assert_eq!(
        workflow["connections"]["Slack"]["main"][0][0]["node"],
        "Respond to Webhook"
    );
    assert!(workflow["connections"].get("Respond to Webhook").is_none());
    assert_eq!(workflow_problems(&workflow), []);
}

#[test]
fn a_webhook_answered_by_a_step_waits_for_it() {
    let workflow = journey_workflow();
    let webhook = node(&workflow, "Webhook");
    assert_eq!(webhook["type"], "n8n-nodes-base.webhook");
    assert_eq!(webhook["typeVersion"], json!(2.1));
    assert_eq!(
        webhook["parameters"],
        json!({ "httpMethod": "POST", "path": "orders", "responseMode": "responseNode", "options": {} })
    );
    assert!(webhook["webhookId"].is_string());
    let respond = node(&workflow, "Respond to Webhook");
    assert_eq!(
        respond["parameters"],
        json!({ "respondWith": "text", "responseBody": "ok", "options": { "responseCode": 200 } })
    );
}

#[test]
fn a_webhook_without_a_respond_step_answers_on_receipt() {
    let mut plan = journey(Some("main"));
    plan.steps.pop();
    let workflow = rendered(plan, &ids_for_main());
    assert_eq!(
        node(&workflow, "Webhook")["parameters"]["responseMode"],
        "onReceived"
    );
}

#[test]
fn kept_fields_are_included_by_path_so_their_types_survive() {
    let workflow = journey_workflow();
    assert_eq!(
        node(&workflow, "Edit Fields")["parameters"],
        json!({
            "mode": "manual",
            "assignments": { "assignments": [] },
            "includeOtherFields": true,
            "include": "selected",
            "includeFields": "body.id, body.total",
            "options": {},
        })
    );
}

#[test]
fn slack_posts_to_the_channel_by_name_with_the_chosen_credential() {
    let workflow = journey_workflow();
    let slack = node(&workflow, "Slack");
    assert_eq!(
        slack["credentials"],
        json!({ "slackApi": { "id": "17", "name": "Sales bot" } })
    );
    assert_eq!(
        slack["parameters"]["channelId"],
        json!({ "__rl": true, "mode": "name", "value": "#sales" })
    );
    assert_eq!(slack["parameters"]["text"], "=New order {{ $json.id }}");
    assert_eq!(slack["parameters"]["authentication"], "accessToken");
}

#[test]
fn every_step_kind_renders_at_its_pinned_version_and_passes_the_json_checks() {
    let workflow = rendered(every_step(), &ids_for_main());
    assert_eq!(workflow_problems(&workflow), []);
    let kinds: Vec<&str> = workflow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    for spec in NODES
        .iter()
        .filter(|s| !s.is_trigger() || s.kind == NodeKind::Webhook)
    {
        assert!(
            kinds.contains(&spec.node_type),
            "{} is rendered",
            spec.node_type
        );
    }
    let ids: Vec<&Value> = workflow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
}

#[test]
fn if_outputs_are_true_then_false_and_both_ends_reach_the_next_step() {
    let workflow = rendered(every_step(), &ids_for_main());
    let main = &workflow["connections"]["If"]["main"];
    assert_eq!(main[0][0]["node"], "Slack");
    assert_eq!(main[1][0]["node"], "Telegram");
    assert_eq!(
        workflow["connections"]["Discord"]["main"][0][0]["node"],
        "Filter"
    );
    assert_eq!(
        workflow["connections"]["Telegram"]["main"][0][0]["node"],
        "Filter"
    );
    // The otherwise branch sits one row below the then branch.
    assert_eq!(node(&workflow, "Slack")["position"], json!([1200, 0]));
    assert_eq!(node(&workflow, "Telegram")["position"], json!([1200, 200]));
    let condition = &node(&workflow, "If")["parameters"]["conditions"];
    assert_eq!(
        condition["conditions"][0]["leftValue"],
        "={{ $json.total }}"
    );
    assert_eq!(condition["conditions"][0]["rightValue"], 100);
    assert_eq!(
        condition["conditions"][0]["operator"],
        json!({ "type": "number", "operation": "gt" })
    );
    assert_eq!(condition["options"]["typeValidation"], "loose");
    assert_eq!(condition["options"]["version"], 3);
}

#[test]
fn an_exists_condition_is_a_single_value_not_empty_check() {
    let workflow = rendered(every_step(), &ids_for_main());
    let condition = &node(&workflow, "Filter")["parameters"]["conditions"]["conditions"][0];
    assert_eq!(
        condition["operator"],
        json!({ "type": "string", "operation": "notEmpty", "singleValue": true })
    );
}

#[test]
fn http_requests_send_json_bodies_and_generic_credentials() {
    let workflow = rendered(every_step(), &ids_for_main());
    let post = &node(&workflow, "HTTP Request")["parameters"];
    assert_eq!(post["url"], "=https://api.example.com/items/{{ $json.id }}");
    assert_eq!(post["authentication"], "genericCredentialType");
    assert_eq!(post["genericAuthType"], "httpHeaderAuth");
    assert_eq!(post["sendBody"], true);
    assert_eq!(post["specifyBody"], "json");
    assert_eq!(post["jsonBody"], "={\n  \"id\": \"{{ $json.id }}\"\n}");
    let get = node(&workflow, "HTTP Request1");
    assert_eq!(get["parameters"]["url"], "https://api.example.com/health");
    assert!(get["parameters"].get("sendBody").is_none());
    assert_eq!(
        get["credentials"],
        json!({ "httpBasicAuth": { "id": "cred-httpBasicAuth", "name": "main" } })
    );
}

#[test]
fn other_steps_fill_the_parameters_their_versions_define() {
    let workflow = rendered(every_step(), &ids_for_main());
    let email = &node(&workflow, "Send Email")["parameters"];
    assert_eq!(email["fromEmail"], "flowpulse@example.com");
    assert_eq!(email["emailFormat"], "text");
    assert_eq!(email["subject"], "=Order {{ $json.id }}");
    assert_eq!(
        node(&workflow, "Discord")["parameters"]["operation"],
        "sendLegacy"
    );
    assert_eq!(
        node(&workflow, "Telegram")["parameters"]["chatId"],
        "-100123"
    );
    assert_eq!(
        node(&workflow, "Wait")["parameters"],
        json!({ "resume": "timeInterval", "amount": 5, "unit": "seconds" })
    );
    assert!(node(&workflow, "Wait")["webhookId"].is_string());
    let insert = &node(&workflow, "Postgres")["parameters"];
    assert_eq!(insert["schema"]["value"], "public");
    assert_eq!(insert["table"]["value"], "orders");
    assert_eq!(
        insert["columns"]["value"],
        json!({ "id": "={{ $json.id }}" })
    );
    let respond = &node(&workflow, "Respond to Webhook")["parameters"];
    assert_eq!(respond["respondWith"], "json");
    assert_eq!(respond["options"]["responseCode"], 201);
    let set = &node(&workflow, "Edit Fields")["parameters"];
    assert_eq!(set["includeFields"], "body.id");
    assert_eq!(set["assignments"]["assignments"][0]["type"], "number");
    assert_eq!(set["assignments"]["assignments"][0]["value"], 3);
}

#[test]
fn schedules_become_n8n_intervals_with_their_minute_pinned() {
    let cases = [
        (
            Schedule::Minutes { n: 15 },
            json!({ "field": "minutes", "minutesInterval": 15 }),
        ),
        (
            Schedule::Hours { n: 1, minute: 0 },
            json!({ "field": "hours", "hoursInterval": 1, "triggerAtMinute": 0 }),
        ),
        (
            Schedule::Day {
                hour: 9,
                minute: 30,
            },
            json!({ "field": "days", "daysInterval": 1, "triggerAtHour": 9, "triggerAtMinute": 30 }),
        ),
        (
            Schedule::Weekday { hour: 8, minute: 0 },
            json!({ "field": "weeks", "weeksInterval": 1, "triggerAtDay": [1, 2, 3, 4, 5],
                    "triggerAtHour": 8, "triggerAtMinute": 0 }),
        ),
        (
            Schedule::Cron {
                expression: " 0 9 * * 1 ".into(),
            },
            json!({ "field": "cronExpression", "expression": "0 9 * * 1" }),
        ),
    ];
    for (schedule, interval) in cases {
        let mut plan = journey(Some("main"));
        plan.steps.pop();
        plan.trigger = Trigger::Schedule { schedule };
        let workflow = rendered(plan, &ids_for_main());
        let trigger = node(&workflow, "Schedule Trigger");
        assert_eq!(
            trigger["parameters"],
            json!({ "rule": { "interval": [interval] } })
        );
        assert_eq!(
            trigger["typeVersion"],
            json!(spec(NodeKind::Schedule).version)
        );
        assert!(trigger.get("webhookId").is_none());
    }
}

#[test]
fn whole_versions_are_written_as_integers() {
    let mut plan = journey(Some("main"));
    plan.steps = vec![Step::Code {
        javascript: "return [];".into(),
    }];
    plan.trigger = Trigger::Manual;
    let text = serde_json::to_string(&rendered(plan, &ids_for_main())).unwrap();
    assert!(text.contains(r#""typeVersion":1}"#), "{text}");
    assert!(text.contains(r#""typeVersion":2}"#), "{text}");
}

#[test]
fn a_credential_missing_from_n8n_is_named() {
    let plan = ValidPlan::new(journey(Some("Sales bot"))).unwrap();
    let error = render_workflow(&plan, user(), &CredentialIds::new(), &mut counter()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Slack #sales: the slackApi credential “Sales bot” does not exist in n8n yet."
    );
}

#[test]
fn ids_come_from_the_caller_so_rendering_is_repeatable() {
    assert_eq!(journey_workflow(), journey_workflow());
    let workflow = journey_workflow();
    assert_eq!(
        workflow["nodes"][0]["id"],
        "00000000-0000-0000-0000-000000000001"
    );
    let mut get = journey(Some("main"));
    get.trigger = Trigger::Webhook {
        method: HttpMethod::Get,
        path: "orders".into(),
    };
    assert_eq!(
        node(&rendered(get, &ids_for_main()), "Webhook")["parameters"]["httpMethod"],
        "GET"
    );
}

#[test]
fn text_parameters_become_expressions_only_when_they_hold_one() {
    assert_eq!(params::text("plain"), json!("plain"));
    assert_eq!(
        params::text("Hi {{ $json.name }}"),
        json!("=Hi {{ $json.name }}")
    );
}

#[test]
fn render_checks_an_unchecked_plan_first() {
    let mut ids = CredentialIds::new();
    ids.insert(("slackApi".into(), "Sales bot".into()), "17".into());
    let body = render(&journey(Some("Sales bot")), user(), &ids, &mut counter()).unwrap();
    assert_eq!(body, journey_workflow());
    let error = render(&journey(None), user(), &ids, &mut counter()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Slack #sales: choose a Slack credential."
    );
}
