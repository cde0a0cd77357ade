//! Plans the builder's unit tests share.

use serde_json::json;
use uuid::Uuid;

use super::plan::{Condition, Field, HttpAuth, HttpMethod, Operator, Step, Trigger, WorkflowPlan};

/// A counter standing in for random ids: 1, 2, 3, ...
pub fn counter() -> impl FnMut() -> Uuid {
    let mut n = 0u128;
    move || {
        n += 1;
        Uuid::from_u128(n)
    }
}

/// The user every test renders for.
pub fn user() -> Uuid {
    Uuid::parse_str("1a2b3c4d-0000-4000-8000-000000000001").unwrap()
}

pub fn field(name: &str, value: &str) -> Field {
    Field {
        name: name.into(),
        value: value.into(),
    }
}

/// The chat's journey: webhook → keep id and total → Slack → answer ok.
pub fn journey(credential: Option<&str>) -> WorkflowPlan {
    WorkflowPlan {
        title: "Orders to Slack".into(),
        trigger: Trigger::Webhook {
            method: HttpMethod::Post,
            path: "orders".into(),
        },
        steps: vec![
            Step::SetFields {
                fields: vec![
                    field("id", "{{ $json.body.id }}"),
                    field("total", "{{ $json.body.total }}"),
                ],
                keep_only: true,
            },
            Step::Slack {
                channel: "#sales".into(),
                text: "New order {{ $json.id }}".into(),
                credential: credential.map(str::to_string),
            },
            Step::RespondToWebhook {
                status: 200,
                body: "ok".into(),
            },
        ],
    }
}

/// A webhook plan using every step kind (with credentials named "main").
pub fn every_step() -> WorkflowPlan {
    let main = || Some("main".to_string());
    WorkflowPlan {
        title: "Everything".into(),
        trigger: Trigger::Webhook {
            method: HttpMethod::Post,
            path: "everything".into(),
        },
        steps: vec![
            Step::SetFields {
                fields: vec![field("id", "{{ $json.body.id }}"), field("n", "3")],
                keep_only: true,
            },
            Step::HttpRequest {
                method: HttpMethod::Post,
                url: "https://api.example.com/items/{{ $json.id }}".into(),
                body: Some(json!({ "id": "{{ $json.id }}" })),
                auth: HttpAuth::Header { credential: main() },
            },
            Step::HttpRequest {
                method: HttpMethod::Get,
                url: "https://api.example.com/health".into(),
                body: None,
                auth: HttpAuth::Basic { credential: main() },
            },
            Step::If {
                condition: Condition {
                    field: "total".into(),
                    operator: Operator::Greater,
                    value: Some(json!(100)),
                },
                then: vec![
                    Step::Slack {
                        channel: "#sales".into(),
                        text: "Big order {{ $json.id }}".into(),
                        credential: main(),
                    },
                    Step::Discord {
                        text: "Big order".into(),
                        credential: main(),
                    },
                ],
                otherwise: vec![Step::Telegram {
                    chat_id: "-100123".into(),
                    text: "Small order".into(),
                    credential: main(),
                }],
            },
            Step::Filter {
                condition: Condition {
                    field: "id".into(),
                    operator: Operator::Exists,
                    value: None,
                },
            },
            Step::Email {
                to: "ops@example.com".into(),
                from: Some("flowpulse@example.com".into()),
                subject: "Order {{ $json.id }}".into(),
                text: "See {{ $json.id }}".into(),
                credential: main(),
            },
            Step::Code {
                javascript: "return $input.all();".into(),
            },
            Step::Wait { seconds: 5 },
            Step::PostgresInsert {
                table: "public.orders".into(),
                columns: vec![field("id", "{{ $json.id }}")],
                credential: main(),
            },
            Step::RespondToWebhook {
                status: 201,
                body: r#"{"id": "{{ $json.id }}"}"#.into(),
            },
        ],
    }
}
