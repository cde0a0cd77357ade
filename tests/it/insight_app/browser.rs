//! The insight journey in headless Chromium, against the edge function on workerd, a fake n8n
//! and a local webhook receiver. Through the forms of /alerts a user adds a webhook channel,
//! presses "Send test" and sees the delivery recorded, and adds a rule for failed runs. A
//! workflow then fails in n8n: the next scheduled sync sends ONE alert naming the workflow,
//! the node and why, whose link opens the workflow in FlowPulse; the failure is on /failures
//! and on its execution's page, where "Retry" runs it again in n8n and shows that it
//! succeeded; the next sync resolves the alert and says so ONCE. A second tab left open on
//! /alerts shows the test delivery, the alert opening and resolving without a reload. /health
//! lists the workflow whose schedule stopped. Screenshots go to `test-artifacts/3*-*.png`.

use super::{ERROR, NODE, NODE_TYPE};
use crate::browser_e2e::controls::{mark_document, still_same_document};
use crate::browser_e2e::{add_instance, sign_in, sign_up, wait_for_path, wait_live};
use crate::builder_app::browser::goto;
use crate::helpers::browser::{self, Browser};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::spawn_stack;
use crate::insight::alerts::bodies;
use crate::insight::health::every_15_minutes;
use chrono::{TimeDelta, Utc};
use fantoccini::Locator;
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMAIL: &str = "insight-journey@example.com";
const DESCRIPTION: &str = "The Code node threw an error.";
/// The receiver's path: only its last characters may ever be shown again.
const HOOK: &str = "/hook/ops-team-7f3k";
/// Generous: the whole stack shares two cores with the browser.
const WAIT: Duration = Duration::from_secs(20);

/// The bodies `receiver` got for alert `event` ("opened", "resolved", "test").
async fn received(receiver: &MockServer, event: &str) -> Vec<Value> {
    bodies(receiver)
        .await
        .into_iter()
        .filter(|body| body["event"] == event)
        .collect()
}

/// Clicks the island's button `button` until the page shows the click was taken: the
/// button's busy label `busy` or an element `outcome`. Before the island is hydrated a click
/// does nothing, and nothing on these pages says when it is.
async fn press(browser: &Browser, button: &str, busy: &str, outcome: &str) {
    let taken = || async {
        let shown = browser
            .client
            .find(Locator::Css(&format!("[data-testid='{outcome}']")))
            .await
            .is_ok();
        let label = match browser
            .client
            .find(Locator::Css(&format!("[data-testid='{button}']")))
            .await
        {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        shown || label.trim() == busy
    };
    let started = Instant::now();
    loop {
        browser.click(button).await;
        let clicked = Instant::now();
        while clicked.elapsed() < Duration::from_secs(2) {
            if taken().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "{button} never reacted to a click"
        );
    }
}

/// Polls the first alert row of the page until its state is `state`; returns its text.
async fn wait_for_alert(browser: &Browser, state: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(row) = browser
            .client
            .find(Locator::Css("[data-testid='alert-row']"))
            .await
        {
            if row.attr("data-state").await.ok().flatten().as_deref() == Some(state) {
                return row.text().await.unwrap_or_default();
            }
        }
        assert!(
            started.elapsed() < WAIT,
            "no alert became {state} on {}",
            browser.client.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls the alert deliveries the page lists until they are one per event of `events`, in
/// that order, each delivered.
async fn wait_for_deliveries(browser: &Browser, events: &[&str]) {
    let started = Instant::now();
    loop {
        let mut texts = Vec::new();
        for delivery in browser
            .client
            .find_all(Locator::Css("[data-testid='alert-delivery']"))
            .await
            .unwrap()
        {
            texts.push(delivery.text().await.unwrap_or_default());
        }
        let delivered = texts.len() == events.len()
            && texts.iter().zip(events).all(|(text, event)| {
                text.starts_with(&format!("{event} Ops webhook: delivered at"))
            });
        if delivered {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "the deliveries read {texts:?}, expected {events:?} delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The path and query the browser is at.
async fn location(browser: &Browser) -> String {
    let url = browser.client.current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

#[tokio::test]
async fn a_failing_workflow_alerts_once_is_retried_from_its_page_and_resolves_while_another_tab_follows(
) {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    let fake = FakeN8n::start().await;
    let orders = fake.add_workflow("Order sync");
    fake.add_execution(&orders, "success");
    // A quarter-hourly schedule that ran until two hours ago, then stopped.
    let report = fake.add_workflow("Quarter-hourly report");
    let (nodes, connections) = every_15_minutes();
    let saved = Utc::now() - TimeDelta::hours(3);
    fake.redefine_workflow(&report, nodes, connections, saved);
    fake.add_execution_at(
        &report,
        "success",
        "trigger",
        saved + TimeDelta::minutes(60),
        None,
    );
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;

    // Sign up, add the instance, a first sync.
    let first = browser::launch().await;
    sign_up(&first, &app, EMAIL).await;
    add_instance(&first, "Production", &fake.url, &fake.api_key).await;
    goto(&first, &app.url, "/").await;
    wait_live(&first).await;
    first.click("sync-now").await;
    let synced = first.by_test_id("sync-result").await;
    assert_eq!(
        synced.attr("data-status").await.unwrap().as_deref(),
        Some("success")
    );

    // A webhook channel and a rule for failed runs, through the forms.
    goto(&first, &app.url, "/alerts").await;
    first.by_test_id("alerts-none-open").await;
    first.fill("channel-name", "Ops webhook").await;
    first
        .fill("channel-target", &format!("{}{HOOK}", receiver.uri()))
        .await;
    first.click("channel-save").await;
    let (channels, _) = first
        .wait_for_text("channel-list", WAIT, |t| t.contains("Ops webhook"))
        .await;
    assert!(
        channels.contains("…7f3k") && !channels.contains("ops-team"),
        "only the host and the last characters: {channels}"
    );
    first.fill("rule-name", "Production failures").await;
    // "A run fails" is the first kind; every instance and workflow; the one channel.
    first
        .client
        .find(Locator::Css(
            "[data-testid='rule-form'] input[type='checkbox']",
        ))
        .await
        .expect("the new channel is offered")
        .click()
        .await
        .unwrap();
    first.click("rule-save").await;
    let (rules, _) = first
        .wait_for_text("rule-list", WAIT, |t| t.contains("Production failures"))
        .await;
    assert!(
        rules.contains("A run fails") && rules.contains("notifies Ops webhook"),
        "{rules}"
    );

    // A second tab on /alerts, which nobody touches from here on.
    let second = browser::launch().await;
    sign_in(&second, &app, EMAIL).await;
    goto(&second, &app.url, "/alerts").await;
    second.by_test_id("alerts-none-open").await;
    mark_document(&second).await;

    // "Send test" reaches the receiver; the delivery is recorded, and the other tab shows it.
    press(&first, "channel-test", "Sending…", "channel-test-outcome").await;
    let (outcome, _) = first
        .wait_for_text("channel-test-outcome", WAIT, |t| !t.is_empty())
        .await;
    assert_eq!(outcome, "Test sent to “Ops webhook”: delivered.");
    let tests = received(&receiver, "test").await;
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert!(tests[0]["message"]
        .as_str()
        .unwrap()
        .contains("Ops webhook"));
    for tab in [&first, &second] {
        tab.wait_for_text("channel-last-test", WAIT, |t| {
            t.starts_with("Last test: delivered at")
        })
        .await;
    }

    // The workflow starts failing in n8n; the next scheduled sync alerts, once.
    let failed = fake.add_execution_at(&orders, "error", "webhook", Utc::now(), None);
    fake.fail_at_node(failed, NODE, NODE_TYPE, ERROR, DESCRIPTION);
    stack.cron_cycle(&worker).await;
    let opened = received(&receiver, "opened").await;
    assert_eq!(opened.len(), 1, "one notification: {opened:?}");
    let alert = &opened[0];
    assert_eq!(alert["title"], "Failed: Order sync");
    assert_eq!(alert["workflow"]["name"], "Order sync");
    assert_eq!(alert["instance"]["name"], "Production");
    assert_eq!(alert["node"]["name"], NODE);
    assert_eq!(alert["node"]["type"], NODE_TYPE);
    let message = alert["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!("Execution #{failed} failed at node “{NODE}”: {ERROR}")
    );
    assert_eq!(alert["alert"]["rule"]["name"], "Production failures");

    // The other tab shows it open, by itself.
    let row = wait_for_alert(&second, "open").await;
    assert!(row.contains("Order sync") && row.contains(message), "{row}");
    wait_for_deliveries(&second, &["opened"]).await;
    assert!(still_same_document(&second).await, "no reload");
    second.screenshot("33-alerts-open").await;

    // The alert's link opens the workflow in FlowPulse: its executions, the failure among them.
    let link = reqwest::Url::parse(alert["link"].as_str().unwrap()).unwrap();
    let page = match link.query() {
        Some(query) => format!("{}?{query}", link.path()),
        None => link.path().to_string(),
    };
    goto(&first, &app.url, &page).await;
    wait_for_path(&first, "/executions").await;
    let workflow = alert["workflow"]["id"].as_str().unwrap();
    assert_eq!(
        location(&first).await,
        format!("/executions?workflow={workflow}")
    );
    first
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid='execution-row'][data-status='error']",
        ))
        .await
        .expect("the failure is listed");

    // /failures groups it by workflow and node, with the error.
    goto(&first, &app.url, "/failures").await;
    let (group, _) = first
        .wait_for_text("failure-group", WAIT, |t| t.contains("Order sync"))
        .await;
    assert!(group.contains(ERROR), "{group}");
    assert_eq!(first.text_of("failure-node").await, NODE);
    assert_eq!(first.text_of("failure-count").await.trim(), "1");
    first.screenshot("30-failures").await;

    // Its detail page explains it.
    first.click("failure-latest").await;
    let id: i64 = stack
        .db
        .query_one(
            "select id from public.executions where n8n_execution_id = $1",
            &[&i64::try_from(failed).unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    wait_for_path(&first, &format!("/executions/{id}")).await;
    assert_eq!(first.text_of("execution-error").await, ERROR);
    assert_eq!(
        first.text_of("execution-error-description").await,
        DESCRIPTION
    );
    assert_eq!(
        first.text_of("execution-error-node").await,
        format!("{NODE} ({NODE_TYPE})")
    );
    first.screenshot("31-execution-detail").await;

    // "Retry": n8n runs it again, once; the page says how it went and links the new run.
    press(&first, "execution-retry", "Retrying…", "retry-outcome").await;
    let (outcome, _) = first
        .wait_for_text("retry-outcome", WAIT, |t| !t.is_empty())
        .await;
    let retries: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.ends_with("/retry"))
        .collect();
    assert_eq!(
        retries,
        [format!("POST /api/v1/executions/{failed}/retry")],
        "retried once"
    );
    let retry_n8n = failed + 1;
    assert!(
        outcome.starts_with(&format!(
            "Retried → succeeded: n8n ran it again as execution #{retry_n8n}."
        )),
        "{outcome}"
    );
    let (chain, _) = first
        .wait_for_text("retry-chain", WAIT, |t| t.contains("retried → succeeded"))
        .await;
    assert!(chain.contains(&format!("#{retry_n8n}")), "{chain}");
    assert!(
        first
            .text_of("retry-outcome")
            .await
            .starts_with("Retried → succeeded"),
        "the refresh keeps the outcome"
    );
    first.screenshot("31b-execution-retried").await;
    // Until the next sync the alert stays open.
    assert!(wait_for_alert(&second, "open").await.contains("Order sync"));

    // The next sync sees the success: resolved, told once; the other tab follows.
    stack.cron_cycle(&worker).await;
    let resolved = received(&receiver, "resolved").await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["alert"]["id"], alert["alert"]["id"]);
    assert_eq!(resolved[0]["workflow"]["name"], "Order sync");
    assert!(resolved[0]["alert"]["resolved_at"].is_string());
    let row = wait_for_alert(&second, "resolved").await;
    assert!(
        row.contains("Order sync") && row.contains("resolved"),
        "{row}"
    );
    second.by_test_id("alerts-none-open").await;
    // Both notifications, each delivered (the page catches up as the run records them).
    wait_for_deliveries(&second, &["resolved", "opened"]).await;
    assert!(still_same_document(&second).await, "no reload");
    second
        .client
        .execute(
            "document.querySelector(\"[data-testid='alert-row']\").scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    second.screenshot("33b-alerts-resolved").await;

    // A further sync changes nothing: one alert, opened once, resolved once.
    stack.cron_cycle(&worker).await;
    assert_eq!(received(&receiver, "opened").await.len(), 1);
    assert_eq!(received(&receiver, "resolved").await.len(), 1);
    let alerts: i64 = stack
        .db
        .query_one("select count(*) from public.alerts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(alerts, 1);

    // /health lists the workflow whose schedule stopped, with what was found.
    goto(&first, &app.url, "/health").await;
    let flagged = first
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid='health-workflow'][data-health='critical']",
        ))
        .await
        .expect("a critical workflow");
    let text = flagged.text().await.unwrap();
    assert!(
        text.contains("Quarter-hourly report") && text.contains("runs missed"),
        "{text}"
    );
    flagged
        .find(Locator::Css(
            "[data-testid='health-finding'][data-kind='missed_runs']",
        ))
        .await
        .expect("a missed-runs finding");
    first.screenshot("32-health").await;

    first.client.close().await.unwrap();
    second.client.close().await.unwrap();
}
