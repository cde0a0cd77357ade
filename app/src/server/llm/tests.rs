//! The assistant against a scripted OpenAI-compatible server (never a real provider).

use super::check::DRAFTED;
use super::*;
use flowpulse_core::builder::plan::schema::workflow_plan_schema;
use flowpulse_core::builder::plan::{Step, WorkflowPlan};
use flowpulse_core::builder::validate::validate;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-9f8e7d6c5b4a";
const MODEL: &str = "flowpulse-test-model";
const ENDPOINT: &str = "/v1/chat/completions";

fn config(server: &MockServer, timeout: Duration) -> LlmConfig {
    LlmConfig {
        endpoint: chat_completions_url(&format!("{}/v1", server.uri())).unwrap(),
        api_key: ApiKey::new(KEY),
        model: MODEL.into(),
        timeout,
    }
}

fn client(server: &MockServer) -> LlmClient {
    LlmClient::new(config(server, Duration::from_secs(10))).unwrap()
}

/// Answers the next request with each response in turn, once each.
async fn script(server: &MockServer, responses: Vec<ResponseTemplate>) {
    for response in responses {
        Mock::given(method("POST"))
            .and(path(ENDPOINT))
            .respond_with(response)
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
}

fn tool_call(name: &str, arguments: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_1",
                    "type": "function",
                    "function": { "name": name, "arguments": arguments }
                }]
            }
        }]
    }))
}

fn propose(plan: &Value) -> ResponseTemplate {
    tool_call("propose_workflow", &plan.to_string())
}

fn text(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content } }]
    }))
}

/// Orders from a webhook to Slack, with the user's credential.
fn slack_plan() -> Value {
    json!({
        "title": "Orders to Slack",
        "trigger": { "kind": "webhook", "method": "POST", "path": "orders" },
        "steps": [
            { "kind": "slack", "channel": "#sales", "text": "New order {{ $json.body.id }}",
              "credential": "Team Slack" }
        ]
    })
}

fn credentials() -> Credentials {
    Credentials::new()
        .with("slackApi", "Team Slack")
        .with("slackApi", "Ops Slack")
        .with("smtp", "Mailer")
}

async fn ask(client: &LlmClient, message: &str) -> ComposerReply {
    client
        .compose(message, &Conversation::new(), &credentials())
        .await
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

fn unsupported(reply: ComposerReply) -> String {
    match reply {
        ComposerReply::Unsupported(text) => text,
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

fn plan(reply: ComposerReply) -> (WorkflowPlan, String) {
    match reply {
        ComposerReply::Plan { plan, summary } => (plan, summary),
        other => panic!("expected a plan, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tool_call_reply_becomes_a_valid_plan() {
    let server = MockServer::start().await;
    script(&server, vec![propose(&slack_plan())]).await;
    let (plan, summary) = plan(ask(&client(&server), "tell sales about every order").await);
    assert!(validate(&plan).is_ok(), "{plan:?}");
    assert_eq!(plan.title, "Orders to Slack");
    assert!(
        matches!(&plan.steps[0], Step::Slack { credential: Some(name), .. } if name == "Team Slack")
    );
    assert!(summary.starts_with(DRAFTED), "{summary}");
    assert!(summary.contains("#sales"), "{summary}");
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn an_invalid_plan_is_sent_back_with_its_problems_and_the_corrected_one_is_used() {
    let server = MockServer::start().await;
    let mut invalid = slack_plan();
    invalid["trigger"]["path"] = json!("/orders");
    script(&server, vec![propose(&invalid), propose(&slack_plan())]).await;
    let (plan, _) = plan(ask(&client(&server), "tell sales about every order").await);
    assert!(validate(&plan).is_ok());
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let messages = bodies[1]["messages"].as_array().unwrap();
    let echoed = &messages[messages.len() - 2];
    assert_eq!(echoed["role"], "assistant");
    assert_eq!(echoed["tool_calls"][0]["id"], "call_1");
    assert_eq!(
        echoed["tool_calls"][0]["function"]["name"],
        "propose_workflow"
    );
    assert_eq!(
        serde_json::from_str::<Value>(
            echoed["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .unwrap()
        )
        .unwrap(),
        invalid
    );
    let result = &messages[messages.len() - 1];
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], "call_1");
    let feedback = result["content"].as_str().unwrap();
    assert!(
        feedback.contains("The webhook path “/orders” must not start with a slash."),
        "{feedback}"
    );
}

#[tokio::test]
async fn malformed_arguments_twice_end_in_an_honest_failure() {
    let server = MockServer::start().await;
    let broken = r#"{"title": "Orders", "trigger": {"kind": "webhook""#;
    script(
        &server,
        vec![
            tool_call("propose_workflow", broken),
            tool_call("propose_workflow", broken),
        ],
    )
    .await;
    let text = unsupported(ask(&client(&server), "tell sales about every order").await);
    assert!(
        text.starts_with("The assistant could not build that: "),
        "{text}"
    );
    assert!(text.contains(CAPABILITIES), "{text}");
    assert!(!text.contains("EOF") && !text.contains(broken), "{text}");
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2, "one retry, no more");
    let feedback = bodies[1]["messages"].as_array().unwrap().last().unwrap()["content"].clone();
    assert!(
        feedback
            .as_str()
            .unwrap()
            .contains("could not read these arguments as a plan"),
        "{feedback}"
    );
}

#[tokio::test]
async fn an_unknown_step_kind_is_refused_with_the_reason_then_reported() {
    let server = MockServer::start().await;
    let mut jira = slack_plan();
    jira["steps"][0] = json!({ "kind": "jira_issue", "project": "OPS" });
    script(&server, vec![propose(&jira), propose(&jira)]).await;
    let text = unsupported(ask(&client(&server), "open a jira issue per order").await);
    assert!(
        text.contains("did not describe a workflow FlowPulse can build"),
        "{text}"
    );
    assert!(!text.contains("jira_issue"), "{text}");
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let feedback = bodies[1]["messages"].as_array().unwrap().last().unwrap()["content"].clone();
    assert!(
        feedback
            .as_str()
            .unwrap()
            .contains("unknown variant `jira_issue`"),
        "{feedback}"
    );
}

#[tokio::test]
async fn a_plan_invalid_twice_is_reported_with_its_problems() {
    let server = MockServer::start().await;
    let mut invalid = slack_plan();
    invalid["steps"][0]["channel"] = json!("sales team");
    script(&server, vec![propose(&invalid), propose(&invalid)]).await;
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert!(
        text.starts_with(
            "The assistant could not build that: its plan still had problems after a second \
             try: "
        ),
        "{text}"
    );
    assert!(
        text.contains("“sales team” is not a Slack channel"),
        "{text}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_in_flowpulses_words() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![propose(&slack_plan()).set_delay(Duration::from_secs(5))],
    )
    .await;
    let client = LlmClient::new(config(&server, Duration::from_millis(400))).unwrap();
    let started = Instant::now();
    let text = unsupported(ask(&client, "tell sales").await);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        text,
        "The assistant could not build that: it did not answer in time (1 s); try again."
    );
}

#[tokio::test]
async fn a_429_with_a_short_retry_after_is_waited_for_once() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "1"),
            propose(&slack_plan()),
        ],
    )
    .await;
    let started = Instant::now();
    let (plan, _) = plan(ask(&client(&server), "tell sales").await);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(plan.title, "Orders to Slack");
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_a_long_wait_says_busy_at_once() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "60"),
            propose(&slack_plan()),
        ],
    )
    .await;
    let started = Instant::now();
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        text,
        "The assistant could not build that: it is busy right now; try again in a minute."
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_refused_key_tells_the_user_only_that_the_assistant_is_not_available() {
    let server = MockServer::start().await;
    let provider_words = format!("Incorrect API key provided: {KEY}. You can find your key at…");
    script(
        &server,
        vec![ResponseTemplate::new(401)
            .set_body_json(json!({ "error": { "message": provider_words } }))],
    )
    .await;
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert!(
        text.starts_with("The assistant is not available right now, so it could not build that."),
        "{text}"
    );
    assert!(!text.contains("Incorrect") && !text.contains(KEY), "{text}");
    assert_eq!(
        bodies(&server).await.len(),
        1,
        "a refused key is not retried"
    );
}

#[tokio::test]
async fn a_server_error_is_reported_without_the_providers_words() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![ResponseTemplate::new(503).set_body_string("upstream pool exhausted at node-7")],
    )
    .await;
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert_eq!(
        text,
        "The assistant could not build that: its service had a problem; try again later."
    );
}

#[tokio::test]
async fn a_redirect_is_never_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    script(&elsewhere, vec![propose(&slack_plan())]).await;
    script(
        &server,
        vec![ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}{ENDPOINT}", elsewhere.uri()).as_str(),
        )],
    )
    .await;
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert!(text.contains("not available"), "{text}");
    assert!(
        bodies(&elsewhere).await.is_empty(),
        "the key went elsewhere"
    );
}

#[tokio::test]
async fn a_reply_over_the_cap_is_refused() {
    let server = MockServer::start().await;
    let huge = format!(
        r#"{{"choices":[{{"message":{{"content":"{}"}}}}]}}"#,
        "x".repeat(MAX_REPLY_BYTES)
    );
    script(
        &server,
        vec![ResponseTemplate::new(200).set_body_string(huge)],
    )
    .await;
    let text = unsupported(ask(&client(&server), "tell sales").await);
    assert_eq!(
        text,
        "The assistant could not build that: its answer was too large."
    );
}

#[tokio::test]
async fn a_plain_text_answer_becomes_a_short_question_without_markup() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![text("**Which** Slack channel should get the orders?")],
    )
    .await;
    assert_eq!(
        ask(&client(&server), "tell sales").await,
        ComposerReply::Question("Which Slack channel should get the orders?".into())
    );
}

#[tokio::test]
async fn a_plain_text_refusal_stays_a_refusal() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![text("I can't create Jira issues with these steps.")],
    )
    .await;
    assert_eq!(
        ask(&client(&server), "open a jira issue").await,
        ComposerReply::Unsupported("I can't create Jira issues with these steps.".into())
    );
}

#[tokio::test]
async fn ask_question_becomes_one_question() {
    let server = MockServer::start().await;
    script(
        &server,
        vec![tool_call(
            "ask_question",
            r#"{"question": "Which of your Slack credentials, Team Slack or Ops Slack?"}"#,
        )],
    )
    .await;
    assert_eq!(
        ask(&client(&server), "tell sales").await,
        ComposerReply::Question("Which of your Slack credentials, Team Slack or Ops Slack?".into())
    );
}

#[tokio::test]
async fn the_request_carries_model_tools_message_credential_names_and_current_plan() {
    let server = MockServer::start().await;
    script(&server, vec![propose(&slack_plan())]).await;
    let mut conversation = Conversation::new();
    let first = conversation.reply(
        "hourly post 'ping' to #general",
        &Credentials::new().with("slackApi", "Team Slack"),
    );
    assert!(matches!(first, ComposerReply::Plan { .. }), "{first:?}");
    client(&server)
        .compose("and also open a jira ticket", &conversation, &credentials())
        .await;
    let requests: Vec<Request> = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {KEY}")
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "propose_workflow");
    assert_eq!(
        body["tools"][0]["function"]["parameters"],
        workflow_plan_schema()
    );
    assert_eq!(body["tools"][1]["function"]["name"], "ask_question");
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let system = messages[0]["content"].as_str().unwrap();
    assert!(
        system.contains(r#"slackApi (Slack): ["Team Slack","Ops Slack"]"#),
        "{system}"
    );
    assert!(
        system.contains(r#"smtp (SMTP (email)): ["Mailer"]"#),
        "{system}"
    );
    assert!(system.contains(r##""channel":"#general""##), "{system}");
    assert_eq!(
        messages.last().unwrap(),
        &json!({ "role": "user", "content": "and also open a jira ticket" })
    );
    let raw = String::from_utf8_lossy(&request.body);
    assert!(!raw.contains(KEY), "the key is only in the header");
}

#[tokio::test]
async fn no_configured_model_means_no_reply_and_a_configured_one_gets_no_server_secret() {
    let server = MockServer::start().await;
    script(&server, vec![propose(&slack_plan())]).await;
    let secrets = [
        "jwt-secret-f00dfeedf00dfeedf00dfeedf00dfeed",
        "db-password-c0ffee",
        "anon-key-eyJhbGciOi",
        KEY,
    ];
    let encryption_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let app_config = |llm: Option<LlmConfig>| super::super::config::AppConfig {
        postgrest_url: "http://127.0.0.1:9/rest/v1".into(),
        anon_key: secrets[2].into(),
        jwt_secret: secrets[0].into(),
        encryption_key: encryption_key.into(),
        functions_url: "http://127.0.0.1:9/functions/v1".into(),
        database_url: format!("postgres://app:{}@127.0.0.1:9/postgres", secrets[1])
            .parse()
            .unwrap(),
        security: super::super::security::settings::SecuritySettings::from_lookup(|_| None)
            .unwrap(),
        outbound: flowpulse_core::outbound::OutboundPolicy::parse(None, None).unwrap(),
        llm,
        mail: None,
    };
    let without = ServerState::new(app_config(None)).unwrap();
    let reply =
        compose_with_llm(&without, "tell sales", &Conversation::new(), &credentials()).await;
    assert_eq!(reply, None);
    assert!(bodies(&server).await.is_empty());

    let with =
        ServerState::new(app_config(Some(config(&server, Duration::from_secs(10))))).unwrap();
    let reply = compose_with_llm(&with, "tell sales", &Conversation::new(), &credentials()).await;
    assert!(
        matches!(reply, Some(ComposerReply::Plan { .. })),
        "{reply:?}"
    );
    let requests = server.received_requests().await.unwrap();
    let raw = String::from_utf8_lossy(&requests[0].body);
    for secret in secrets.iter().chain([&encryption_key]) {
        assert!(!raw.contains(secret), "{secret} was sent");
    }
    let debug = format!("{:?} {:?}", with.config, with.llm);
    for secret in secrets.iter().chain([&encryption_key]) {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn the_api_key_never_appears_in_any_reply_or_debug_output() {
    let echoing = |status: u16| {
        ResponseTemplate::new(status)
            .insert_header("Retry-After", "600")
            .set_body_string(format!(r#"{{"error":{{"message":"bad key {KEY}"}}}}"#))
    };
    let cases = vec![
        echoing(200),
        echoing(400),
        echoing(401),
        echoing(403),
        echoing(404),
        echoing(429),
        echoing(500),
        text(&format!("Your key is {KEY}")).set_delay(Duration::from_secs(5)),
        tool_call("propose_workflow", &format!("{{\"title\": \"{KEY}\"")),
    ];
    for case in cases {
        let server = MockServer::start().await;
        script(&server, vec![case.clone(), case]).await;
        let client = LlmClient::new(config(&server, Duration::from_millis(500))).unwrap();
        let reply = ask(&client, "tell sales").await;
        let shown = format!("{reply:?}");
        assert!(!shown.contains(KEY), "{shown}");
        let debug = format!("{client:?} {:?}", client.config);
        assert!(!debug.contains(KEY), "{debug}");
    }
}
