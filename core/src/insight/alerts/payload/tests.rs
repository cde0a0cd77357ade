use serde_json::json;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn base() -> Url {
    Url::parse("https://flowpulse.example.com/").unwrap()
}

const LINK: &str =
    "https://flowpulse.example.com/executions?workflow=00000000-0000-0000-0000-00000000000a";

fn notice() -> AlertNotice {
    AlertNotice {
        event: DeliveryEvent::Opened,
        alert_id: Some(id(300)),
        rule_id: Some(id(100)),
        rule_name: "Production failures".into(),
        kind: AlertKind::Failure,
        subject: Subject::Workflow {
            id: id(10),
            provider_id: id(1),
        },
        workflow_name: Some("Order sync".into()),
        n8n_workflow_id: Some("OVO5xzEnnLFOmHt6".into()),
        instance_name: Some("Production".into()),
        node: Some(NodeRef {
            name: "Fetch orders".into(),
            node_type: Some("n8n-nodes-base.httpRequest".into()),
        }),
        message: "Execution #812 failed at node “Fetch orders”: Authorization failed".into(),
        details: json!({"n8n_execution_id": 812}),
        opened_at: at("2026-12-01T09:00:00Z"),
        resolved_at: None,
    }
}

fn body(kind: ChannelKind, notice: &AlertNotice) -> Value {
    match delivery_payload(kind, notice, &base()) {
        DeliveryPayload::Json(body) => body,
        email @ DeliveryPayload::Email { .. } => panic!("{email:?}"),
    }
}

fn email(notice: &AlertNotice) -> (String, String) {
    match delivery_payload(ChannelKind::Email, notice, &base()) {
        DeliveryPayload::Email { subject, text } => (subject, text),
        json @ DeliveryPayload::Json(_) => panic!("{json:?}"),
    }
}

fn text<'a>(body: &'a Value, pointer: &str) -> &'a str {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text at {pointer} in {body}"))
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

#[test]
fn a_link_goes_to_the_workflow_or_the_instances_page_under_the_app_s_path() {
    let workflow = notice().subject;
    assert_eq!(alert_link(&base(), &workflow), LINK);
    let instance = Subject::Instance { id: id(1) };
    assert_eq!(
        alert_link(&base(), &instance),
        "https://flowpulse.example.com/providers"
    );
    for app in ["https://example.com/app", "https://example.com/app/"] {
        assert_eq!(
            alert_link(&Url::parse(app).unwrap(), &instance),
            "https://example.com/app/providers"
        );
    }
}

#[test]
fn titles_say_what_happened_to_which_subject() {
    let cases = [
        (
            DeliveryEvent::Opened,
            AlertKind::Failure,
            "Failed: Order sync",
        ),
        (
            DeliveryEvent::Resolved,
            AlertKind::MissedRuns,
            "Resolved — missed runs: Order sync",
        ),
        (
            DeliveryEvent::Test,
            AlertKind::Stuck,
            "Test alert from FlowPulse",
        ),
    ];
    for (event, kind, title) in cases {
        let notice = AlertNotice {
            event,
            kind,
            ..notice()
        };
        assert_eq!(text(&body(ChannelKind::Webhook, &notice), "/title"), title);
    }
    let unnamed = AlertNotice {
        workflow_name: Some(" ".into()),
        instance_name: None,
        ..notice()
    };
    assert_eq!(
        text(&body(ChannelKind::Webhook, &unnamed), "/title"),
        "Failed: workflow:00000000-0000-0000-0000-00000000000a"
    );
}

#[test]
fn the_webhook_body_has_the_documented_shape() {
    let body = body(ChannelKind::Webhook, &notice());
    assert_eq!(
        body,
        json!({
            "version": 1,
            "event": "opened",
            "title": "Failed: Order sync",
            "message": "Execution #812 failed at node “Fetch orders”: Authorization failed",
            "alert": {"id": id(300), "kind": "failure",
                      "subject": "workflow:00000000-0000-0000-0000-00000000000a",
                      "opened_at": "2026-12-01T09:00:00Z", "resolved_at": null,
                      "rule": {"id": id(100), "name": "Production failures"}},
            "workflow": {"id": id(10), "n8n_id": "OVO5xzEnnLFOmHt6", "name": "Order sync"},
            "instance": {"id": id(1), "name": "Production"},
            "node": {"name": "Fetch orders", "type": "n8n-nodes-base.httpRequest"},
            "details": {"n8n_execution_id": 812},
            "link": LINK,
        })
    );
}

#[test]
fn an_instance_alert_has_no_workflow_in_the_webhook_body() {
    let notice = AlertNotice {
        kind: AlertKind::Unreachable,
        subject: Subject::Instance { id: id(1) },
        workflow_name: None,
        n8n_workflow_id: None,
        node: None,
        ..notice()
    };
    let body = body(ChannelKind::Webhook, &notice);
    assert_eq!(body["workflow"], Value::Null);
    assert_eq!(body["node"], Value::Null);
    assert_eq!(body["instance"], json!({"id": id(1), "name": "Production"}));
    assert_eq!(text(&body, "/title"), "Unreachable: Production");
}

#[test]
fn a_slack_message_carries_the_title_facts_and_link() {
    let body = body(ChannelKind::Slack, &notice());
    let section = text(&body, "/blocks/0/text/text");
    assert!(section.starts_with("*Failed: Order sync*\n"), "{section}");
    for fact in [
        "*Workflow:* Order sync",
        "*Instance:* Production",
        "*Node:* Fetch orders (n8n-nodes-base.httpRequest)",
        "*Since:* 2026-12-01 09:00 UTC",
        "*Rule:* Production failures",
    ] {
        assert!(section.contains(fact), "{fact} not in {section}");
    }
    assert_eq!(
        text(&body, "/blocks/1/elements/0/text"),
        format!("<{LINK}|Open in FlowPulse>")
    );
    assert!(text(&body, "/text").starts_with("Failed: Order sync: Execution #812"));
}

#[test]
fn nothing_from_n8n_can_mention_or_link_anyone_on_slack() {
    let notice = AlertNotice {
        workflow_name: Some("<!channel> & co".into()),
        message: "<!here> see <@U024BE7LH> and <https://evil.example|this>".into(),
        ..notice()
    };
    let body = body(ChannelKind::Slack, &notice);
    for pointer in ["/text", "/blocks/0/text/text"] {
        let text = text(&body, pointer);
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
    }
    assert!(text(&body, "/text").contains("&lt;!here&gt; see &lt;@U024BE7LH&gt;"));
}

#[test]
fn a_long_slack_message_is_cut_to_its_limits_without_half_an_escape() {
    let notice = AlertNotice {
        message: "<".repeat(2000),
        ..notice()
    };
    let body = body(ChannelKind::Slack, &notice);
    for pointer in ["/text", "/blocks/0/text/text"] {
        let text = text(&body, pointer);
        assert!(chars(text) <= 3000, "{pointer}: {}", chars(text));
        assert!(
            text.ends_with("&lt;…"),
            "{pointer}: {}",
            &text[text.len() - 12..]
        );
    }
}

#[test]
fn a_discord_message_carries_the_title_facts_and_link_and_pings_nobody() {
    let body = body(ChannelKind::Discord, &notice());
    assert_eq!(text(&body, "/content"), "Failed: Order sync");
    assert_eq!(text(&body, "/embeds/0/title"), "Failed: Order sync");
    assert_eq!(text(&body, "/embeds/0/url"), LINK);
    assert_eq!(
        text(&body, "/embeds/0/description"),
        "Execution #812 failed at node “Fetch orders”: Authorization failed"
    );
    assert_eq!(body["embeds"][0]["color"], json!(0xD9_3F_0B));
    let fields: Vec<&str> = body["embeds"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["Workflow", "Instance", "Node", "Since", "Rule"]);
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
}

#[test]
fn a_resolved_discord_message_is_green_and_dated_when_it_resolved() {
    let notice = AlertNotice {
        event: DeliveryEvent::Resolved,
        resolved_at: Some(at("2026-12-01T10:30:00Z")),
        ..notice()
    };
    let body = body(ChannelKind::Discord, &notice);
    assert_eq!(body["embeds"][0]["color"], json!(0x2D_A4_4E));
    assert_eq!(text(&body, "/embeds/0/timestamp"), "2026-12-01T10:30:00Z");
    let since = &body["embeds"][0]["fields"][3];
    assert_eq!(
        since,
        &json!({"name": "Since", "value": "2026-12-01 09:00 UTC – 2026-12-01 10:30 UTC",
                "inline": true})
    );
}

#[test]
fn long_discord_text_is_cut_to_each_limit_and_the_embed_total() {
    let notice = AlertNotice {
        workflow_name: Some("W".repeat(3000)),
        instance_name: Some("I".repeat(3000)),
        rule_name: "R".repeat(3000),
        node: Some(NodeRef {
            name: "N".repeat(3000),
            node_type: None,
        }),
        message: "M".repeat(9000),
        ..notice()
    };
    let body = body(ChannelKind::Discord, &notice);
    let embed = &body["embeds"][0];
    assert!(chars(text(&body, "/content")) <= 2000);
    let title = text(&body, "/embeds/0/title");
    assert_eq!(chars(title), 256);
    let description = text(&body, "/embeds/0/description");
    assert!(chars(description) <= 4096 && description.ends_with('…'));
    let mut total = chars(title) + chars(description);
    for field in embed["fields"].as_array().unwrap() {
        let value = field["value"].as_str().unwrap();
        assert!(chars(value) <= 1024, "{}", chars(value));
        total += chars(field["name"].as_str().unwrap()) + chars(value);
    }
    assert!(total <= 6000, "{total}");
}

#[test]
fn a_blank_name_is_left_out_rather_than_sent_as_an_empty_field() {
    let notice = AlertNotice {
        instance_name: Some("  ".into()),
        ..notice()
    };
    let body = body(ChannelKind::Discord, &notice);
    let fields = body["embeds"][0]["fields"].as_array().unwrap();
    assert!(fields.iter().all(|field| field["name"] != "Instance"));
    assert!(fields
        .iter()
        .all(|field| !field["value"].as_str().unwrap().trim().is_empty()));
}

#[test]
fn an_email_has_a_one_line_subject_and_the_facts_and_link_in_its_text() {
    let injected = AlertNotice {
        workflow_name: Some("Order\r\nBcc: victim@example.com".into()),
        ..notice()
    };
    let (subject, text) = email(&injected);
    let payload = delivery_payload(ChannelKind::Email, &injected, &base());
    assert_eq!(subject, "[FlowPulse] Failed: Order Bcc: victim@example.com");
    assert!(text.starts_with("Failed: Order"), "{text}");
    assert!(text.contains("\nWhy: Execution #812 failed"), "{text}");
    assert!(
        text.ends_with(&format!("\nOpen in FlowPulse: {LINK}")),
        "{text}"
    );
    let long = AlertNotice {
        workflow_name: Some("x".repeat(500)),
        ..notice()
    };
    assert_eq!(chars(&email(&long).0), 200);
    assert_eq!(payload.to_json(), json!({"subject": subject, "text": text}));
}

#[test]
fn no_channel_is_sent_a_credential_from_the_message_or_details() {
    let notice = AlertNotice {
        message: "Request failed: Authorization: Bearer sk_live_51H8xYzAbC123 to https://bot:hunter2@api.example.com".into(),
        details: json!({"description": "GET /v1?api_key=live_5f2b9c", "n8n_execution_id": 812,
                        "nested": [{"error": "token=tok_9aa8bb"}]}),
        ..notice()
    };
    for kind in [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Email,
    ] {
        let sent = delivery_payload(kind, &notice, &base())
            .to_json()
            .to_string();
        for secret in [
            "sk_live_51H8xYzAbC123",
            "hunter2",
            "live_5f2b9c",
            "tok_9aa8bb",
        ] {
            assert!(!sent.contains(secret), "{kind:?} sent {secret}: {sent}");
        }
        assert!(sent.contains("[redacted]"), "{kind:?}: {sent}");
    }
    let webhook = body(ChannelKind::Webhook, &notice);
    assert_eq!(webhook["details"]["n8n_execution_id"], json!(812));
}

#[test]
fn channel_kinds_and_events_are_stored_under_the_database_s_names() {
    let kinds = [
        (ChannelKind::Webhook, "webhook"),
        (ChannelKind::Slack, "slack"),
        (ChannelKind::Discord, "discord"),
        (ChannelKind::Email, "email"),
    ];
    for (kind, name) in kinds {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
    }
    let events = [
        (DeliveryEvent::Opened, "opened"),
        (DeliveryEvent::Resolved, "resolved"),
        (DeliveryEvent::Test, "test"),
    ];
    for (event, name) in events {
        assert_eq!(serde_json::to_value(event).unwrap(), json!(name));
    }
}

#[test]
fn channel_kinds_read_back_as_the_table_and_serde_name_them() {
    for kind in ChannelKind::ALL {
        assert_eq!(ChannelKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
    }
    assert_eq!(ChannelKind::parse(" slack "), Some(ChannelKind::Slack));
    assert_eq!(ChannelKind::parse("sms"), None);
}
