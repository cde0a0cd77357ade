//! The builder's catalogue against the n8n the tests install: every pinned node type and
//! version, parameter and credential field exists in its descriptions; and against a real n8n,
//! rendered workflows using every node are accepted, activated where the catalogue says they can
//! be, and run as their plans say.

use crate::helpers::real_n8n;
use flowpulse_core::builder::catalogue::{
    spec, Activation, CredentialSetup, FieldKind, NodeKind, CREDENTIALS, NODES,
};
use flowpulse_core::builder::compose::{compose, ComposerReply, Credentials};
use flowpulse_core::builder::plan::{Schedule, Trigger, WorkflowPlan};
use flowpulse_core::builder::render::{render_workflow, CredentialIds};
use flowpulse_core::builder::validate::rendered::workflow_problems;
use flowpulse_core::builder::validate::validate;
use flowpulse_n8n::{
    BaseUrl, ClientSettings, N8nClient, N8nError, NewCredential, OutboundPolicy, Transport,
    WorkflowDefinition,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// `n8n-nodes-base/dist/types/<file>` of the installed n8n.
fn n8n_types(file: &str) -> Vec<Value> {
    let install = flowpulse_stack::n8n::N8nInstall::locate(&flowpulse_stack::config::cache_dir());
    let path: PathBuf = install
        .n8n_dir
        .join("node_modules/n8n-nodes-base/dist/types")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `cargo xtask setup --for-tests`",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("a JSON list")
}

fn versions(description: &Value) -> Vec<f64> {
    match &description["version"] {
        Value::Array(list) => list.iter().filter_map(Value::as_f64).collect(),
        one => one.as_f64().into_iter().collect(),
    }
}

#[test]
fn every_pinned_node_is_the_version_the_installed_editor_creates() {
    let nodes = n8n_types("nodes.json");
    for spec in NODES {
        let name = spec.node_type.strip_prefix("n8n-nodes-base.").unwrap();
        let description = nodes
            .iter()
            .find(|d| d["name"] == name && versions(d).contains(&spec.version))
            .unwrap_or_else(|| panic!("{} {} is not in n8n", spec.node_type, spec.version));
        // The editor creates defaultVersion, else the newest of the description.
        let newest = nodes
            .iter()
            .filter(|d| d["name"] == name)
            .flat_map(versions)
            .fold(0.0, f64::max);
        let editor = description["defaultVersion"].as_f64().unwrap_or(newest);
        assert_eq!(
            spec.version, editor,
            "{} is pinned to the editor's version",
            spec.node_type
        );
        let trigger = description["group"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x == "trigger"));
        assert_eq!(trigger, spec.is_trigger(), "{} trigger", spec.node_type);
        let properties: Vec<&str> = description["properties"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for parameter in spec.required_parameters {
            assert!(
                properties.contains(parameter),
                "{} has a parameter {parameter}",
                spec.node_type
            );
        }
        let credentials: Vec<&str> = description["credentials"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        // The HTTP Request node takes any credential type through "generic" authentication.
        let generic = properties.contains(&"genericAuthType");
        for credential_type in spec.credential_types {
            assert!(
                generic || credentials.contains(credential_type),
                "{} accepts {credential_type}",
                spec.node_type
            );
        }
    }
}

#[test]
fn every_catalogued_credential_type_and_field_exists_in_n8n() {
    let types = n8n_types("credentials.json");
    for credential in CREDENTIALS {
        let description = types
            .iter()
            .find(|d| d["name"] == credential.credential_type)
            .unwrap_or_else(|| panic!("{} is not in n8n", credential.credential_type));
        assert_eq!(description["displayName"], credential.display_name);
        let oauth = description["extends"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x == "oAuth2Api"));
        let CredentialSetup::Fields(fields) = credential.setup else {
            assert!(
                oauth,
                "{} is marked connect-in-n8n but is not OAuth2",
                credential.credential_type
            );
            continue;
        };
        assert!(!oauth, "{} is OAuth2", credential.credential_type);
        let properties = description["properties"].as_array().unwrap();
        for field in fields {
            let property = properties
                .iter()
                .find(|p| p["name"] == field.name)
                .unwrap_or_else(|| {
                    panic!(
                        "{}.{} is not a field",
                        credential.credential_type, field.name
                    )
                });
            let password = property["typeOptions"]["password"] == true;
            assert_eq!(
                field.secret, password,
                "{}.{} secret",
                credential.credential_type, field.name
            );
            let kind = match property["type"].as_str() {
                Some("number") => FieldKind::Number,
                Some("boolean") => FieldKind::Boolean,
                _ => FieldKind::Text,
            };
            assert_eq!(
                field.kind, kind,
                "{}.{} kind",
                credential.credential_type, field.name
            );
        }
        for required in properties.iter().filter(|p| p["required"] == true) {
            let name = required["name"].as_str().unwrap();
            assert!(
                fields.iter().any(|f| f.name == name && f.required),
                "{}.{name} is required by n8n",
                credential.credential_type
            );
        }
    }
}

/// The shared n8n, through the one n8n client.
async fn client() -> (N8nClient, String) {
    let n8n = real_n8n::shared().await;
    let url = BaseUrl::parse(&n8n.base_url).expect("n8n URL");
    let transport = Transport::new(OutboundPolicy::public_only().allowing_loopback());
    let client = N8nClient::new(url, &n8n.api_key, transport, ClientSettings::default());
    (client, n8n.base_url.trim_end_matches('/').to_string())
}

/// Dummy data that fills every field of a credential type.
fn dummy_data(credential_type: &str) -> Value {
    let spec = CREDENTIALS
        .iter()
        .find(|c| c.credential_type == credential_type)
        .unwrap();
    let CredentialSetup::Fields(fields) = spec.setup else {
        unreachable!("only fillable types are created")
    };
    let mut data = serde_json::Map::new();
    for field in fields {
        let value = match (field.kind, field.name) {
            (FieldKind::Number, _) => json!(field.default.parse::<u64>().unwrap_or(1)),
            (FieldKind::Boolean, _) => json!(field.default == "true"),
            (_, "webhookUri") => json!("https://discord.example/api/webhooks/1/dummy"),
            (_, "host") => json!("127.0.0.1"),
            (_, "ssl") => json!("disable"),
            (_, name) => json!(format!("dummy-{name}")),
        };
        data.insert(field.name.to_string(), value);
    }
    Value::Object(data)
}

/// Creates one credential of every type the nodes reference; returns their ids by (type, name).
async fn create_credentials(client: &N8nClient, tag: &str) -> CredentialIds {
    let mut ids = CredentialIds::new();
    for spec in NODES {
        for credential_type in spec.credential_types {
            let key = (credential_type.to_string(), "main".to_string());
            if ids.contains_key(&key) {
                continue;
            }
            let created = client
                .create_credential(&NewCredential {
                    name: format!("FP builder {tag} {credential_type}"),
                    credential_type: credential_type.to_string(),
                    data: dummy_data(credential_type),
                })
                .await
                .unwrap_or_else(|e| panic!("{credential_type} credential created: {e}"));
            ids.insert(key, created.id);
        }
    }
    ids
}

fn every_step_plan(path: &str) -> WorkflowPlan {
    serde_json::from_value(json!({
        "title": "Builder catalogue: every step",
        "trigger": { "kind": "webhook", "method": "POST", "path": path },
        "steps": [
            { "kind": "set_fields", "keep_only": true, "fields": [
                { "name": "id", "value": "{{ $json.body.id }}" },
                { "name": "total", "value": "{{ $json.body.total }}" } ] },
            { "kind": "http_request", "method": "POST", "url": "https://api.example.com/{{ $json.id }}",
              "body": { "id": "{{ $json.id }}" }, "auth": { "kind": "header", "credential": "main" } },
            { "kind": "http_request", "method": "GET", "url": "https://api.example.com/health",
              "auth": { "kind": "basic", "credential": "main" } },
            { "kind": "if", "condition": { "field": "total", "operator": "greater", "value": 100 },
              "then": [
                { "kind": "slack", "channel": "#sales", "text": "Big {{ $json.id }}", "credential": "main" },
                { "kind": "discord", "text": "Big order", "credential": "main" } ],
              "otherwise": [
                { "kind": "telegram", "chat_id": "-100123456", "text": "Small", "credential": "main" } ] },
            { "kind": "filter", "condition": { "field": "id", "operator": "exists" } },
            { "kind": "email", "to": "ops@example.com", "from": "fp@example.com", "subject": "Order",
              "text": "Order {{ $json.id }}", "credential": "main" },
            { "kind": "code", "javascript": "return $input.all();" },
            { "kind": "wait", "seconds": 2 },
            { "kind": "postgres_insert", "table": "public.orders",
              "columns": [ { "name": "id", "value": "{{ $json.id }}" } ], "credential": "main" },
            { "kind": "respond_to_webhook", "status": 201, "body": "{\"id\": \"{{ $json.id }}\"}" }
        ]
    }))
    .expect("the plan's JSON form")
}

fn with_trigger(trigger: Trigger) -> WorkflowPlan {
    serde_json::from_value(json!({
        "title": "Builder catalogue: trigger",
        "trigger": trigger,
        "steps": [ { "kind": "code", "javascript": "return $input.all();" } ]
    }))
    .unwrap()
}

/// Renders, checks and creates a plan; returns the created workflow's id and its trigger kind.
async fn create(client: &N8nClient, plan: &WorkflowPlan, ids: &CredentialIds) -> String {
    let valid = validate(plan).unwrap_or_else(|p| panic!("{}: {p:?}", plan.title));
    let mut next = Uuid::new_v4;
    let workflow = render_workflow(&valid, Uuid::new_v4(), ids, &mut next).expect("renders");
    let body = workflow.to_value();
    assert_eq!(workflow_problems(&body), [], "{}", plan.title);
    let definition: WorkflowDefinition = serde_json::from_value(body).unwrap();
    let created = client
        .create_workflow(&definition)
        .await
        .unwrap_or_else(|e| panic!("{} created: {e}", plan.title));
    // What n8n stored is what was sent: same types at the pinned versions.
    let sent: Vec<(String, f64)> = workflow
        .nodes
        .iter()
        .map(|n| (n.node_type.clone(), n.type_version))
        .collect();
    let stored: Vec<(String, f64)> = created
        .nodes
        .iter()
        .map(|n| {
            let version = n
                .type_version
                .as_ref()
                .and_then(Value::as_f64)
                .unwrap_or_default();
            (n.node_type.clone(), version)
        })
        .collect();
    assert_eq!(stored, sent, "{}", plan.title);
    created.id
}

/// Deactivates and deletes a workflow. Right after runs n8n may still be unpublishing it, and
/// answers 409 ("still being unpublished") for a moment: that is retried.
async fn deactivate_and_delete(client: &N8nClient, id: &str) {
    let workflow = client.deactivate_workflow(id).await.expect("deactivates");
    assert!(!workflow.active);
    for _ in 0..40 {
        match client.delete_workflow(id).await {
            Ok(()) => return,
            Err(N8nError::Rejected { status: 409, .. }) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("workflow {id} deleted: {error}"),
        }
    }
    panic!("workflow {id} was never deletable");
}

/// Activates where the catalogue says n8n allows it, and checks n8n agrees either way; then
/// deactivates and deletes.
async fn activate_and_remove(client: &N8nClient, id: &str, kind: NodeKind) {
    let spec = spec(kind);
    let activated = client.activate_workflow(id).await;
    match spec.activation {
        Activation::Required | Activation::Optional => {
            let workflow = activated.unwrap_or_else(|e| panic!("{kind:?} activates: {e}"));
            assert!(workflow.active, "{kind:?} is active");
            deactivate_and_delete(client, id).await;
        }
        Activation::Impossible => {
            assert!(
                activated.is_err(),
                "n8n refuses to activate a {kind:?} workflow"
            );
            client.delete_workflow(id).await.expect("deleted");
        }
        Activation::NotATrigger => unreachable!("triggers only"),
    }
}

#[tokio::test]
async fn every_catalogue_node_is_accepted_and_every_trigger_activates_as_catalogued() {
    let (client, _) = client().await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let ids = create_credentials(&client, tag).await;

    let plan = every_step_plan(&format!("fp-builder-{tag}"));
    let id = create(&client, &plan, &ids).await;
    let stored = client.get_workflow(&id).await.expect("read back");
    for spec in NODES
        .iter()
        .filter(|s| !s.is_trigger() || s.kind == NodeKind::Webhook)
    {
        assert!(
            stored.nodes.iter().any(|n| n.node_type == spec.node_type),
            "{} in the workflow",
            spec.node_type
        );
    }
    activate_and_remove(&client, &id, NodeKind::Webhook).await;

    let triggers = [
        (
            Trigger::Schedule {
                schedule: Schedule::Minutes { n: 15 },
            },
            NodeKind::Schedule,
        ),
        (
            Trigger::Schedule {
                schedule: Schedule::Hours { n: 2, minute: 30 },
            },
            NodeKind::Schedule,
        ),
        (
            Trigger::Schedule {
                schedule: Schedule::Day {
                    hour: 9,
                    minute: 30,
                },
            },
            NodeKind::Schedule,
        ),
        (
            Trigger::Schedule {
                schedule: Schedule::Weekday { hour: 8, minute: 0 },
            },
            NodeKind::Schedule,
        ),
        (
            Trigger::Schedule {
                schedule: Schedule::Cron {
                    expression: "0 9 * * 1-5".into(),
                },
            },
            NodeKind::Schedule,
        ),
        (Trigger::Manual, NodeKind::Manual),
        (Trigger::WorkflowError, NodeKind::WorkflowError),
    ];
    for (trigger, kind) in triggers {
        let id = create(&client, &with_trigger(trigger), &ids).await;
        activate_and_remove(&client, &id, kind).await;
    }
    for id in ids.values() {
        client
            .delete_credential(id)
            .await
            .expect("credential deleted");
    }
}

/// POSTs `body` to a production webhook until it is registered (n8n answers 404 for a moment
/// after activation); returns status and text.
async fn call(base: &str, path: &str, body: Value) -> (u16, String) {
    let url = format!("{base}/webhook/{path}");
    let http = reqwest::Client::new();
    for _ in 0..40 {
        let reply = http
            .post(&url)
            .json(&body)
            .send()
            .await
            .expect("n8n answers");
        let status = reply.status().as_u16();
        if status != 404 {
            return (status, reply.text().await.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("webhook {path} never registered");
}

/// Runs a plan's webhook for real: the rendered Edit Fields, IF, Filter, Code and Respond to
/// Webhook nodes behave as the plan says.
#[tokio::test]
async fn a_rendered_webhook_workflow_runs_as_its_plan_says() {
    let (client, base) = client().await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let path = format!("fp-builder-run-{tag}");
    let plan: WorkflowPlan = serde_json::from_value(json!({
        "title": "Builder catalogue: runs",
        "trigger": { "kind": "webhook", "method": "POST", "path": path },
        "steps": [
            { "kind": "set_fields", "keep_only": true, "fields": [
                { "name": "id", "value": "{{ $json.body.id }}" },
                { "name": "total", "value": "{{ $json.body.total }}" } ] },
            { "kind": "filter", "condition": { "field": "id", "operator": "exists" } },
            { "kind": "code", "javascript":
                "return $input.all().map(item => ({ json: { ...item.json, seen: true } }));" },
            { "kind": "if", "condition": { "field": "total", "operator": "greater", "value": 100 },
              "then": [ { "kind": "set_fields", "fields": [ { "name": "size", "value": "big" } ] } ],
              "otherwise": [ { "kind": "set_fields", "fields": [ { "name": "size", "value": "small" } ] } ] },
            { "kind": "respond_to_webhook", "status": 202,
              "body": "order {{ $json.id }} is {{ $json.size }} ({{ $json.total }}, {{ $json.seen }})" }
        ]
    }))
    .unwrap();
    let id = create(&client, &plan, &CredentialIds::new()).await;
    client.activate_workflow(&id).await.expect("activates");
    assert_eq!(
        call(&base, &path, json!({ "id": 7, "total": 150, "noise": "x" })).await,
        (202, "order 7 is big (150, true)".to_string())
    );
    assert_eq!(
        call(&base, &path, json!({ "id": 8, "total": "5" })).await,
        (202, "order 8 is small (5, true)".to_string())
    );
    deactivate_and_delete(&client, &id).await;
}

/// The chat's journey, composed from English, deploys and answers its webhook.
#[tokio::test]
async fn a_composed_plan_deploys_and_answers_its_webhook() {
    let (client, base) = client().await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let request = format!(
        "When a webhook is called at /fp-compose-{tag}, keep the fields id and total, if total > 100 \
         answer 'big {{{{id}}}}', otherwise answer 'small {{{{id}}}}'"
    );
    let ComposerReply::Plan { plan, .. } = compose(&request, &Credentials::new()) else {
        panic!("a plan");
    };
    let id = create(&client, &plan, &CredentialIds::new()).await;
    client.activate_workflow(&id).await.expect("activates");
    let path = format!("fp-compose-{tag}");
    assert_eq!(
        call(&base, &path, json!({ "id": 1, "total": 101 })).await,
        (200, "big 1".to_string())
    );
    assert_eq!(
        call(&base, &path, json!({ "id": 2, "total": 99 })).await,
        (200, "small 2".to_string())
    );
    deactivate_and_delete(&client, &id).await;
}
