//! The builder's journey in headless Chromium, against the fake n8n (the real-n8n deploy is
//! `builder_deploy`): sign up, add an instance, describe a workflow in the chat, see its plan
//! and picture and that a Slack credential is still needed, add one, come back to a chat that
//! took it up, deploy — while a second tab of the same user follows the new messages and the
//! deployment's state without a reload. Screenshots go to `test-artifacts/`.

use super::JOURNEY;
use crate::browser_e2e::{add_instance, sign_in, sign_up, wait_for_path, wait_live};
use crate::helpers::browser::{self, Browser};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::spawn_stack;
use fantoccini::Locator;
use std::time::Duration;

const TOKEN: &str = "xoxb-4242-journey-token-7q2z";
const LIVE: Duration = Duration::from_secs(10);

/// The path and query the browser is at.
async fn location(browser: &Browser) -> String {
    let url = browser.client.current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

pub(crate) async fn goto(browser: &Browser, app_url: &str, path: &str) {
    browser
        .client
        .goto(&format!("{app_url}{path}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_workflow_is_described_given_its_credential_and_deployed_while_a_second_tab_follows() {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    let fake = FakeN8n::start().await;
    let first = browser::launch().await;
    sign_up(&first, &app, "journey@example.com").await;
    add_instance(&first, "Team n8n", &fake.url, &fake.api_key).await;

    // Describe the workflow; the first message starts the chat.
    goto(&first, &app.url, "/chat").await;
    wait_live(&first).await;
    first.fill("chat-input", JOURNEY).await;
    first.click("chat-send").await;
    first.by_test_id("plan-graph").await;
    let chat = location(&first).await;
    assert!(chat.starts_with("/chat?c="), "{chat}");
    let need = first.text_of("plan-need").await;
    assert!(need.contains("Still needed: Slack credential"), "{need}");
    assert!(first.text_of("deploy-blocked").await.contains("Slack"));
    first.screenshot("20-chat-plan-needs-slack").await;

    // A second tab of the same user on the same chat, which nobody touches from here on.
    let second = browser::launch().await;
    sign_in(&second, &app, "journey@example.com").await;
    goto(&second, &app.url, &chat).await;
    wait_live(&second).await;
    second.by_test_id("plan-graph").await;

    // Add the Slack credential from the chat's link; saving returns to the chat.
    first.click("plan-need-add").await;
    wait_for_path(&first, "/credentials").await;
    first.fill("credential-name", "Team Slack").await;
    first.fill("credential-field-accessToken", TOKEN).await;
    first.screenshot("21-credential-form").await;
    first.click("credential-save").await;
    wait_for_path(&first, "/chat").await;
    assert_eq!(location(&first).await, chat, "back in the same chat");

    // The chat took the credential up, and said so; the other tab shows it too.
    for tab in [&first, &second] {
        tab.wait_for_text("chat-messages", LIVE, |t| {
            t.contains("You added credentials")
        })
        .await;
        tab.wait_for_text("plan-needs", LIVE, |t| t.contains("uses “Team Slack”"))
            .await;
    }
    let picked: i64 = stack
        .db
        .query_one(
            "select count(*) from public.chat_messages where content like 'You added credentials%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(picked, 1, "two tabs picked the credential up once");

    // Deploy to the instance, activated.
    first.click("deploy-activate").await;
    first.click("deploy").await;
    let (result, _) = first
        .wait_for_text("deploy-result", Duration::from_secs(60), |t| !t.is_empty())
        .await;
    assert!(result.contains("Deployed to “Team n8n”"), "{result}");
    assert!(
        result.contains("Team Slack"),
        "names the credential it created: {result}"
    );
    for tab in [&first, &second] {
        tab.wait_for_text("deployment-status", Duration::from_secs(60), |t| {
            t.trim() == "deployed"
        })
        .await;
        tab.wait_for_text("deployment-active", LIVE, |t| t.contains("active"))
            .await;
    }
    let result = first.text_of("deploy-result").await;
    assert!(result.contains("Deployed to “Team n8n”"), "{result}");
    assert!(
        result.contains("Team Slack"),
        "names the credential it created: {result}"
    );
    let link = first.by_test_id("deployment-link").await;
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.starts_with(&format!("{}/workflow/wf", fake.url)),
        "{href}"
    );
    first.screenshot("22-chat-deployed").await;
    second.screenshot("23-second-tab-followed").await;

    // What reached n8n: the credential with its token, the workflow using it, active.
    let credentials = fake.credentials();
    assert_eq!(credentials.len(), 1, "{credentials:?}");
    assert_eq!(credentials[0]["type"], "slackApi");
    assert_eq!(credentials[0]["data"]["accessToken"], TOKEN);
    let n8n_id = href.rsplit('/').next().unwrap().to_string();
    let workflow = fake.workflow(&n8n_id).expect("the workflow is in n8n");
    assert_eq!(workflow["active"], true);
    assert!(workflow["name"].as_str().unwrap().starts_with("[USR-"));

    // An edit: the other tab sees the new messages; Redeploy updates the same workflow.
    first.fill("chat-input", "rename it to Order alerts").await;
    first.click("chat-send").await;
    for tab in [&first, &second] {
        tab.wait_for_text("chat-messages", LIVE, |t| {
            t.contains("Renamed it to “Order alerts”")
        })
        .await;
        tab.by_test_id("deployment-outdated").await;
    }
    first.click("deployment-redeploy").await;
    let (result, _) = first
        .wait_for_text("redeploy-result", Duration::from_secs(60), |t| {
            !t.is_empty()
        })
        .await;
    assert!(result.contains("in place"), "{result}");
    second
        .wait_for_text("deploy-panel", LIVE, |t| {
            !t.contains("The plan changed since")
        })
        .await;
    let renamed = fake
        .workflow(&n8n_id)
        .expect("the same workflow, updated in place");
    assert!(
        renamed["name"]
            .as_str()
            .unwrap()
            .ends_with("] Order alerts"),
        "{renamed}"
    );
    assert_eq!(
        renamed["active"], true,
        "a redeploy leaves activation as it was"
    );
    first.screenshot("22b-chat-redeployed").await;

    // The credentials page says where it went; the dashboard badges the workflow.
    goto(&first, &app.url, "/credentials").await;
    first
        .wait_for_text("credential-created-in", LIVE, |t| t.contains("Team n8n"))
        .await;
    assert_eq!(first.text_of("credential-hint").await, "••••7q2z");
    first.screenshot("24-credentials").await;
    goto(&first, &app.url, "/").await;
    first.by_test_id("workflow-built-in-chat").await;

    // It runs in n8n (twice fine, once failing); Sync now counts it like any other workflow.
    for status in ["success", "success", "error"] {
        fake.add_execution(&n8n_id, status);
    }
    wait_live(&first).await;
    first.click("sync-now").await;
    first
        .wait_for_text("workflow-executions", LIVE, |t| t.trim() == "3")
        .await;
    assert_eq!(first.text_of("workflow-successful").await.trim(), "2");
    assert_eq!(first.text_of("workflow-failed").await.trim(), "1");
    first.screenshot("25-dashboard-built-in-chat").await;
    assert!(first
        .client
        .find(Locator::Css("[data-testid='workflow-built-in-chat']"))
        .await
        .is_ok());
    first.client.close().await.unwrap();
    second.client.close().await.unwrap();
}
