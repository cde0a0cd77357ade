use super::*;
use crate::builder::plan::HttpMethod;

fn journey() -> WorkflowPlan {
    WorkflowPlan {
        title: "Orders to Slack".into(),
        trigger: Trigger::Webhook {
            method: HttpMethod::Post,
            path: "orders".into(),
        },
        steps: vec![
            Step::SetFields {
                fields: vec![
                    Field {
                        name: "id".into(),
                        value: "{{ $json.body.id }}".into(),
                    },
                    Field {
                        name: "total".into(),
                        value: "{{ $json.body.total }}".into(),
                    },
                ],
                keep_only: true,
            },
            Step::Slack {
                channel: "#sales".into(),
                text: "New order {{ $json.id }}".into(),
                credential: None,
            },
            Step::RespondToWebhook {
                status: 200,
                body: "ok".into(),
            },
        ],
    }
}

#[test]
fn the_summary_reads_the_plan_step_by_step_and_names_what_is_missing() {
    assert_eq!(
        summary(&journey()),
        "“Orders to Slack”\n\
         - Starts when n8n receives a POST request at /webhook/orders (say “use GET” or \
         “use POST” to change the method).\n\
         - Keeps only the fields id and total.\n\
         - Posts “New order {{id}}” to Slack #sales — needs a Slack credential.\n\
         - Answers the webhook call with 200 and “ok”.\n\
         Still needed: a Slack credential for Slack #sales."
    );
}

#[test]
fn branches_are_indented_under_their_condition() {
    let plan = WorkflowPlan {
        title: "Big orders".into(),
        trigger: Trigger::Manual,
        steps: vec![Step::If {
            condition: Condition {
                field: "total".into(),
                operator: Operator::Greater,
                value: Some(100.into()),
            },
            then: vec![Step::Wait { seconds: 300 }],
            otherwise: vec![],
        }],
    };
    let text = summary(&plan);
    assert!(
        text.contains("- If total > 100:\n  - Waits 5 minutes.\n- Otherwise:\n  - (nothing)"),
        "{text}"
    );
}

#[test]
fn needed_credentials_list_every_credentialed_step_in_order() {
    let mut plan = journey();
    plan.steps.insert(
        0,
        Step::HttpRequest {
            method: HttpMethod::Get,
            url: "https://api.example.com".into(),
            body: None,
            auth: HttpAuth::Basic {
                credential: Some("api".into()),
            },
        },
    );
    let needed = needed_credentials(&plan);
    assert_eq!(
        needed,
        [
            NeededCredential {
                credential_type: "httpBasicAuth".into(),
                name: Some("api".into()),
                step: "HTTP GET https://api.example.com".into(),
            },
            NeededCredential {
                credential_type: "slackApi".into(),
                name: None,
                step: "Slack #sales".into(),
            },
        ]
    );
}

#[test]
fn node_types_list_each_type_once_trigger_first() {
    let mut plan = journey();
    plan.steps.push(Step::Wait { seconds: 1 });
    plan.steps.push(Step::Wait { seconds: 2 });
    assert_eq!(
        node_types(&plan),
        [
            "n8n-nodes-base.webhook",
            "n8n-nodes-base.set",
            "n8n-nodes-base.slack",
            "n8n-nodes-base.respondToWebhook",
            "n8n-nodes-base.wait"
        ]
    );
}

#[test]
fn expressions_are_shown_as_the_user_wrote_them() {
    assert_eq!(
        pretty("Order {{ $json.body.id }} by {{ $json.customer.name }}"),
        "Order {{id}} by {{customer.name}}"
    );
    assert_eq!(
        pretty("{{ $now }} and {{ unclosed"),
        "{{ $now }} and {{ unclosed"
    );
}

#[test]
fn durations_use_the_largest_whole_unit() {
    assert_eq!(duration_phrase(1), "1 second");
    assert_eq!(duration_phrase(90), "90 seconds");
    assert_eq!(duration_phrase(300), "5 minutes");
    assert_eq!(duration_phrase(7_200), "2 hours");
    assert_eq!(duration_phrase(86_400), "1 day");
}

#[test]
fn schedule_labels_name_the_timetable() {
    assert_eq!(
        schedule_label(&Schedule::Hours { n: 1, minute: 0 }),
        "Every hour"
    );
    assert_eq!(
        schedule_label(&Schedule::Hours { n: 2, minute: 5 }),
        "Every 2 hours at :05"
    );
    assert_eq!(
        schedule_label(&Schedule::Weekday { hour: 8, minute: 0 }),
        "Weekdays at 08:00"
    );
    assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
}
