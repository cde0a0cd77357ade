use serde_json::{json, Value};

use super::workflow_plan_schema;
use crate::builder::fixtures::{every_step, journey};
use crate::builder::plan::{
    Condition, HttpAuth, HttpMethod, Operator, Schedule, Step, Trigger, WorkflowPlan,
};

/// Where `value` breaks `schema` (the subset the plan schema uses), if it does.
fn violation(root: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").expect("local $ref");
        return violation(root, &root["$defs"][name], value, at);
    }
    if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
        let failures: Vec<String> = variants
            .iter()
            .filter_map(|variant| violation(root, variant, value, at))
            .collect();
        return (failures.len() == variants.len())
            .then(|| format!("{at}: matches no variant ({})", failures.join(" | ")));
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => panic!("odd type at {at}"),
        };
        let fits = |name: &str| match name {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("type {other} at {at}"),
        };
        if !types.iter().any(|name| fits(name)) {
            return Some(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Some(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(number) = value.as_i64() {
        let below = schema["minimum"].as_i64().is_some_and(|min| number < min);
        let above = schema["maximum"].as_i64().is_some_and(|max| number > max);
        if below || above {
            return Some(format!("{at}: {number} is out of range"));
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        return values
            .iter()
            .enumerate()
            .find_map(|(i, item)| violation(root, items, item, &format!("{at}[{i}]")));
    }
    if let (Some(properties), Some(object)) = (schema.get("properties"), value.as_object()) {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Some(format!("{at}: `{name}` is missing"));
            }
        }
        for (name, item) in object {
            match properties.get(name) {
                Some(property) => {
                    if let Some(found) = violation(root, property, item, &format!("{at}.{name}")) {
                        return Some(found);
                    }
                }
                None => return Some(format!("{at}: `{name}` is not in the schema")),
            }
        }
    }
    None
}

fn check(plan: &WorkflowPlan) -> Option<String> {
    let schema = workflow_plan_schema();
    let value = serde_json::to_value(plan).unwrap();
    violation(&schema, &schema, &value, "plan")
}

fn plan(trigger: Trigger, steps: Vec<Step>) -> WorkflowPlan {
    WorkflowPlan {
        title: "Sample".into(),
        trigger,
        steps,
    }
}

/// One trigger of every kind; the match makes a new kind fail to compile until it has one.
fn every_trigger() -> Vec<Trigger> {
    let schedules = vec![
        Schedule::Minutes { n: 5 },
        Schedule::Hours { n: 2, minute: 15 },
        Schedule::Day { hour: 9, minute: 0 },
        Schedule::Weekday {
            hour: 17,
            minute: 30,
        },
        Schedule::Cron {
            expression: "0 9 * * 1".into(),
        },
    ];
    for schedule in &schedules {
        match schedule {
            Schedule::Minutes { .. }
            | Schedule::Hours { .. }
            | Schedule::Day { .. }
            | Schedule::Weekday { .. }
            | Schedule::Cron { .. } => {}
        }
    }
    let mut triggers = vec![
        Trigger::Webhook {
            method: HttpMethod::Get,
            path: "orders/new".into(),
        },
        Trigger::Manual,
        Trigger::WorkflowError,
    ];
    triggers.extend(
        schedules
            .into_iter()
            .map(|schedule| Trigger::Schedule { schedule }),
    );
    for trigger in &triggers {
        match trigger {
            Trigger::Webhook { .. }
            | Trigger::Schedule { .. }
            | Trigger::Manual
            | Trigger::WorkflowError => {}
        }
    }
    triggers
}

/// The step kinds `every_step` holds, by their serialized `kind`; the match makes a new step
/// kind fail to compile until the fixture (and so this test) has one.
fn step_kinds(plan: &WorkflowPlan) -> Vec<String> {
    let mut kinds = Vec::new();
    crate::builder::summary::for_each_step(&plan.steps, &mut |step| {
        match step {
            Step::HttpRequest { .. }
            | Step::Slack { .. }
            | Step::Email { .. }
            | Step::Discord { .. }
            | Step::Telegram { .. }
            | Step::SetFields { .. }
            | Step::If { .. }
            | Step::Filter { .. }
            | Step::Code { .. }
            | Step::Wait { .. }
            | Step::RespondToWebhook { .. }
            | Step::PostgresInsert { .. } => {}
        }
        let kind = serde_json::to_value(step).unwrap()["kind"].clone();
        let kind = kind.as_str().unwrap().to_string();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    });
    kinds
}

#[test]
fn every_fixture_plan_fits_the_schema() {
    for plan in [every_step(), journey(Some("main")), journey(None)] {
        assert_eq!(check(&plan), None, "{}", plan.title);
    }
}

#[test]
fn every_trigger_schedule_and_auth_fits_the_schema() {
    for trigger in every_trigger() {
        let call = Step::HttpRequest {
            method: HttpMethod::Delete,
            url: "https://api.example.com/old".into(),
            body: None,
            auth: HttpAuth::None,
        };
        let sample = plan(trigger, vec![Step::Wait { seconds: 1 }, call]);
        assert_eq!(check(&sample), None, "{:?}", sample.trigger);
    }
}

#[test]
fn the_schema_lists_exactly_the_step_kinds_the_plan_has() {
    let schema = workflow_plan_schema();
    let mut listed: Vec<String> = schema["$defs"]["step"]["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| {
            variant["properties"]["kind"]["enum"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut kinds = step_kinds(&every_step());
    listed.sort();
    kinds.sort();
    assert_eq!(listed, kinds);
}

#[test]
fn optional_fields_may_be_left_out_as_serde_allows() {
    let schema = workflow_plan_schema();
    let sparse = json!({
        "title": "Sparse",
        "trigger": { "kind": "schedule", "schedule": { "every": "hours", "n": 3 } },
        "steps": [
            { "kind": "http_request", "method": "GET", "url": "https://example.com" },
            { "kind": "if", "condition": { "field": "id", "operator": "exists" },
              "then": [{ "kind": "wait", "seconds": 3 }] },
            { "kind": "set_fields", "fields": [{ "name": "a", "value": "1" }] }
        ]
    });
    assert_eq!(violation(&schema, &schema, &sparse, "plan"), None);
    let parsed: WorkflowPlan = serde_json::from_value(sparse).unwrap();
    assert_eq!(parsed.steps.len(), 3);
}

#[test]
fn an_unknown_kind_or_a_stray_field_breaks_the_schema() {
    let schema = workflow_plan_schema();
    let mut unknown = serde_json::to_value(journey(Some("main"))).unwrap();
    unknown["steps"][1]["kind"] = json!("jira");
    assert!(violation(&schema, &schema, &unknown, "plan").is_some());
    let mut stray = serde_json::to_value(journey(Some("main"))).unwrap();
    stray["steps"][1]["api_key"] = json!("xoxb-secret");
    assert!(violation(&schema, &schema, &stray, "plan").is_some());
    let mut range = serde_json::to_value(plan(
        Trigger::Manual,
        vec![Step::Filter {
            condition: Condition {
                field: "total".into(),
                operator: Operator::Greater,
                value: Some(json!(1)),
            },
        }],
    ))
    .unwrap();
    range["steps"][0] = json!({ "kind": "wait", "seconds": 0 });
    assert!(violation(&schema, &schema, &range, "plan").is_some());
    let auth = HttpAuth::Basic { credential: None };
    let mut bad_auth = serde_json::to_value(plan(
        Trigger::Manual,
        vec![Step::HttpRequest {
            method: HttpMethod::Get,
            url: "https://example.com".into(),
            body: None,
            auth,
        }],
    ))
    .unwrap();
    bad_auth["steps"][0]["auth"]["kind"] = json!("oauth");
    assert!(violation(&schema, &schema, &bad_auth, "plan").is_some());
}
