//! The app in real headless Chromium (Debian), hydrated, against a test stack, the edge
//! function on workerd and a fake n8n: sign up, add an instance, test it, sync, see counters;
//! a change made through the edge function appears in another tab by itself (the delay is
//! measured); an unreachable instance shows its message. Screenshots go to `test-artifacts/`.

use crate::helpers::app::TestApp;
use crate::helpers::browser::{self, Browser};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack};
use fantoccini::Locator;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub(crate) mod controls;
mod keyed;

const PASSWORD: &str = "correct horse 42 battery";

struct Site {
    stack: TestStack,
    worker: TestWorker,
    app: TestApp,
}

async fn site() -> Site {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app(&worker).await;
    Site { stack, worker, app }
}

pub(crate) async fn sign_up(browser: &Browser, app: &TestApp, email: &str) {
    browser
        .client
        .goto(&format!("{}/sign-up", app.url))
        .await
        .unwrap();
    browser.fill("sign-up-email", email).await;
    browser.fill("sign-up-password", PASSWORD).await;
    browser.fill("sign-up-password-again", PASSWORD).await;
    browser
        .screenshot(&format!(
            "00-sign-up-{}",
            email.split('@').next().unwrap_or("user")
        ))
        .await;
    browser.click("sign-up-submit").await;
    wait_for_path(browser, "/").await;
}

pub(crate) async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser
        .client
        .goto(&format!("{}/sign-in", app.url))
        .await
        .unwrap();
    browser.fill("sign-in-email", email).await;
    browser.fill("sign-in-password", PASSWORD).await;
    browser.click("sign-in-submit").await;
    wait_for_path(browser, "/").await;
}

pub(crate) async fn wait_for_path(browser: &Browser, path: &str) {
    let started = Instant::now();
    loop {
        let url = browser.client.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still at {url}, expected {path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fills and saves the instance form (the dashboard's first-instance form or /providers).
pub(crate) async fn add_instance(browser: &Browser, name: &str, url: &str, key: &str) {
    browser.fill("provider-name", name).await;
    browser.fill("provider-url", url).await;
    browser.fill("provider-api-key", key).await;
    browser.click("provider-save").await;
    // Saving stores the instance and tests its connection; leaving the page before it is done
    // would cancel the request, so wait until the first-instance form has been replaced.
    let started = Instant::now();
    while browser
        .client
        .find(Locator::Css("[data-testid='onboarding']"))
        .await
        .is_ok()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "saving the instance never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_live(browser: &Browser) {
    let started = Instant::now();
    loop {
        let dot = browser.by_test_id("live-indicator").await;
        if dot.attr("data-connected").await.unwrap().as_deref() == Some("true") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the live connection never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn user_id(stack: &TestStack, email: &str) -> Uuid {
    stack
        .db
        .query_one("select id from auth.users where email = $1", &[&email])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_new_user_signs_up_adds_an_instance_syncs_and_sees_the_counters() {
    let s = site().await;
    let fake = FakeN8n::start().await;
    let orders = fake.add_workflow("Orders");
    for status in ["success", "success", "error", "success"] {
        fake.add_execution(&orders, status);
    }
    let browser = browser::launch().await;

    sign_up(&browser, &s.app, "new@example.com").await;
    browser.by_test_id("onboarding").await;
    browser.screenshot("01-first-instance-form").await;
    add_instance(&browser, "Team n8n", &fake.url, &fake.api_key).await;
    browser.screenshot("02-instance-added").await;

    // The connection test ran and the key is shown only by its last characters.
    browser
        .client
        .goto(&format!("{}/providers", s.app.url))
        .await
        .unwrap();
    let hint = browser.text_of("provider-key-hint").await;
    assert!(
        hint.ends_with(&fake.api_key[fake.api_key.len() - 4..]) && !hint.contains(&fake.api_key),
        "{hint}"
    );
    browser.click("provider-test").await;
    let (checked, _) = browser
        .wait_for_text("provider-last-checked", Duration::from_secs(15), |t| {
            !t.is_empty()
        })
        .await;
    assert!(!checked.to_lowercase().contains("never"), "{checked}");
    let status: String = s
        .stack
        .db
        .query_one("select status from public.providers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "connected");
    browser.screenshot("03-providers").await;

    browser.client.goto(&s.app.url).await.unwrap();
    wait_live(&browser).await;
    browser.click("sync-now").await;
    let result = browser.by_test_id("sync-result").await;
    assert_eq!(
        result.attr("data-status").await.unwrap().as_deref(),
        Some("success")
    );
    let (executions, _) = browser
        .wait_for_text("workflow-executions", Duration::from_secs(10), |t| {
            t.trim() == "4"
        })
        .await;
    assert_eq!(executions.trim(), "4");
    assert_eq!(browser.text_of("workflow-successful").await.trim(), "3");
    assert_eq!(browser.text_of("workflow-failed").await.trim(), "1");
    browser.screenshot("04-dashboard-synced").await;

    browser
        .client
        .goto(&format!("{}/executions", s.app.url))
        .await
        .unwrap();
    let rows = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid='execution-row']"))
        .await;
    assert!(rows.is_ok(), "the executions page lists the synced history");
    assert_eq!(
        browser
            .client
            .find_all(Locator::Css("[data-testid='execution-row']"))
            .await
            .unwrap()
            .len(),
        4
    );
    browser.screenshot("05-executions").await;
    browser
        .client
        .goto(&format!("{}/sync-logs", s.app.url))
        .await
        .unwrap();
    browser.by_test_id("sync-run-row").await;
    // The services check runs from the browser once the page is up.
    for service in ["status-database", "status-edge", "status-realtime"] {
        browser
            .wait_for_text(service, Duration::from_secs(15), |t| t.ends_with("up"))
            .await;
    }
    browser.screenshot("06-sync-logs").await;
    // Phone width: the dashboard still shows the counters.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser.client.goto(&s.app.url).await.unwrap();
    browser
        .wait_for_text("workflow-executions", Duration::from_secs(10), |t| {
            t.trim() == "4"
        })
        .await;
    browser.screenshot("06b-dashboard-phone").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_sync_made_through_the_edge_function_appears_in_another_tab_by_itself() {
    let s = site().await;
    let fake = FakeN8n::start().await;
    let flow = fake.add_workflow("Signups");
    fake.add_execution(&flow, "success");
    let first = browser::launch().await;
    sign_up(&first, &s.app, "live@example.com").await;
    add_instance(&first, "Live n8n", &fake.url, &fake.api_key).await;
    first.client.goto(&s.app.url).await.unwrap();
    wait_live(&first).await;
    first.click("sync-now").await;
    first
        .wait_for_text("workflow-executions", Duration::from_secs(10), |t| {
            t.trim() == "1"
        })
        .await;

    // A second tab of the same user, which nobody touches from here on.
    let second = browser::launch().await;
    sign_in(&second, &s.app, "live@example.com").await;
    wait_live(&second).await;
    second
        .wait_for_text("workflow-executions", Duration::from_secs(10), |t| {
            t.trim() == "1"
        })
        .await;

    // The change comes from outside the app: curl-style, with the user's token.
    let id = user_id(&s.stack, "live@example.com").await;
    let token = s.stack.token_for(id, "live@example.com", 600);
    let mut delays = Vec::new();
    for round in 1..=3u32 {
        fake.add_execution(&flow, "success");
        let reply = reqwest::Client::new()
            .post(&s.worker.url)
            .bearer_auth(&token)
            .json(&serde_json::json!({"action": "sync_all_workflows"}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        // The rows are committed when the reply arrives: measure from here to the other tab's DOM.
        let want = (1 + round).to_string();
        let (_, delay) = second
            .wait_for_text("workflow-executions", Duration::from_secs(5), |t| {
                t.trim() == want
            })
            .await;
        delays.push(delay);
    }
    println!("realtime delay, edge-function commit → other tab's DOM: {delays:?}");
    assert!(
        delays.iter().all(|d| *d < Duration::from_secs(1)),
        "the other tab updated within a second: {delays:?}"
    );
    second.screenshot("07-second-tab-updated").await;
    first.client.close().await.unwrap();
    second.client.close().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_instance_shows_what_to_check() {
    let s = site().await;
    let browser = browser::launch().await;
    sign_up(&browser, &s.app, "down@example.com").await;
    let dead = format!(
        "http://127.0.0.1:{}",
        flowpulse_stack::process::free_port().unwrap()
    );
    add_instance(&browser, "Broken n8n", &dead, "n8n_api_whatever").await;
    browser
        .client
        .goto(&format!("{}/providers", s.app.url))
        .await
        .unwrap();
    let (problem, _) = browser
        .wait_for_text("provider-problem", Duration::from_secs(15), |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        problem.to_lowercase().contains("reach"),
        "says it could not reach the instance: {problem}"
    );
    browser.client.goto(&s.app.url).await.unwrap();
    browser.click("sync-now").await;
    // With every instance down the function answers 502 and the page shows its message as an
    // error notice; with some down, a per-instance problem. Either must name it and advise.
    let text = first_text_of(
        &browser,
        &["sync-problem", "error-notice"],
        Duration::from_secs(20),
    )
    .await;
    assert!(text.contains("Broken n8n"), "names the instance: {text}");
    assert!(
        text.to_lowercase().contains("check"),
        "says what to check: {text}"
    );
    browser.screenshot("08-unreachable-instance").await;
    browser.client.close().await.unwrap();
}

/// The text of whichever of `ids` first shows non-empty text.
async fn first_text_of(browser: &Browser, ids: &[&str], timeout: Duration) -> String {
    let started = Instant::now();
    loop {
        for id in ids {
            if let Ok(element) = browser
                .client
                .find(Locator::Css(&format!("[data-testid='{id}']")))
                .await
            {
                let text = element.text().await.unwrap_or_default();
                if !text.trim().is_empty() {
                    return text;
                }
            }
        }
        assert!(
            started.elapsed() < timeout,
            "none of {ids:?} showed any text"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
