//! The controls that re-render parts of a server-rendered page without a reload: sorting,
//! search and the instance filter on the dashboard; editing and deleting an instance.

use super::{add_instance, sign_up, site, wait_live, Site};
use crate::helpers::browser::{self, Browser};
use crate::helpers::fake_n8n::FakeN8n;
use fantoccini::Locator;
use std::time::{Duration, Instant};

/// Names of the workflow rows, top to bottom.
const WORKFLOW_NAMES: &str =
    "return [...document.querySelectorAll(\"[data-testid='workflow-row'] th a\")]
    .map(a => a.textContent.trim());";

/// Names of the instances listed, top to bottom.
const PROVIDER_NAMES: &str =
    "return [...document.querySelectorAll(\"[data-testid='provider-row']\")]
    .map(row => row.dataset.name);";

/// The list of strings `script` returns.
async fn strings(browser: &Browser, script: &str) -> Vec<String> {
    let list = browser.client.execute(script, vec![]).await.unwrap();
    serde_json::from_value(list).unwrap()
}

/// Polls `script` until it returns `want`.
async fn wait_for_list(browser: &Browser, script: &str, want: &[&str]) {
    let started = Instant::now();
    loop {
        let list = strings(browser, script).await;
        if list == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the page lists {list:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_rows(browser: &Browser, want: &[&str]) {
    wait_for_list(browser, WORKFLOW_NAMES, want).await;
}

async fn wait_for_providers(browser: &Browser, want: &[&str]) {
    wait_for_list(browser, PROVIDER_NAMES, want).await;
}

/// Marks the document, so a later check can tell that no page load happened since.
pub(crate) async fn mark_document(browser: &Browser) {
    browser
        .client
        .execute("window.__same_document = true;", vec![])
        .await
        .unwrap();
}

pub(crate) async fn still_same_document(browser: &Browser) -> bool {
    browser
        .client
        .execute("return window.__same_document === true;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

/// A new user in a fresh browser, with the instances "Team" and "Ops" added through the forms.
async fn signed_up_with_team_and_ops(
    s: &Site,
    email: &str,
    team: &FakeN8n,
    ops: &FakeN8n,
) -> Browser {
    let browser = browser::launch().await;
    sign_up(&browser, &s.app, email).await;
    add_instance(&browser, "Team", &team.url, &team.api_key).await;
    browser
        .client
        .goto(&format!("{}/providers", s.app.url))
        .await
        .unwrap();
    add_instance(&browser, "Ops", &ops.url, &ops.api_key).await;
    wait_for_providers(&browser, &["Ops", "Team"]).await;
    browser
}

#[tokio::test]
async fn sorting_search_and_the_instance_filter_rerender_the_table_without_a_reload() {
    let s = site().await;
    let (team, ops) = (FakeN8n::start().await, FakeN8n::start().await);
    for (fake, name, runs) in [(&team, "Alpha", 3), (&team, "Beta", 1), (&ops, "Gamma", 2)] {
        let workflow = fake.add_workflow(name);
        for _ in 0..runs {
            fake.add_execution(&workflow, "success");
        }
    }
    let browser = signed_up_with_team_and_ops(&s, "controls@example.com", &team, &ops).await;

    browser.client.goto(&s.app.url).await.unwrap();
    wait_live(&browser).await;
    browser.click("sync-now").await;
    wait_for_rows(&browser, &["Alpha", "Beta", "Gamma"]).await;
    mark_document(&browser).await;

    // Counts sort largest first, a second click reverses.
    browser.click("sort-executions").await;
    wait_for_rows(&browser, &["Alpha", "Gamma", "Beta"]).await;
    browser.click("sort-executions").await;
    wait_for_rows(&browser, &["Beta", "Gamma", "Alpha"]).await;

    browser.fill("workflow-search", "GAM").await;
    wait_for_rows(&browser, &["Gamma"]).await;
    browser.fill("workflow-search", "").await;
    wait_for_rows(&browser, &["Beta", "Gamma", "Alpha"]).await;

    let filter = browser.by_test_id("instance-filter").await;
    let team_option = filter
        .find(Locator::XPath("./option[normalize-space()='Team']"))
        .await
        .unwrap();
    team_option.click().await.unwrap();
    wait_for_rows(&browser, &["Beta", "Alpha"]).await;
    assert_eq!(browser.text_of("total-workflows").await.trim(), "2");
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.query().is_some_and(|q| q.contains("instance=")),
        "the filter is in the address, so the view can be linked: {url}"
    );
    assert!(
        still_same_document(&browser).await,
        "sorting, search and filtering never reloaded the page"
    );
    browser.screenshot("09-dashboard-filtered").await;

    // The filtered address renders the same view on its own.
    browser.client.goto(url.as_str()).await.unwrap();
    wait_for_rows(&browser, &["Beta", "Alpha"]).await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn an_instance_is_renamed_and_deleted_after_confirmation_then_the_user_signs_out() {
    let s = site().await;
    let (team, ops) = (FakeN8n::start().await, FakeN8n::start().await);
    let browser = signed_up_with_team_and_ops(&s, "manage@example.com", &team, &ops).await;

    // Edit "Team": the form comes filled in, the key may stay as it is.
    let team_row = browser
        .client
        .find(Locator::Css(
            "[data-testid='provider-row'][data-name='Team']",
        ))
        .await
        .unwrap();
    team_row
        .find(Locator::Css("[data-testid='provider-edit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    while !browser
        .client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("edit=")
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Edit did not open the form"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let name = browser.by_test_id("provider-name").await;
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("Team"));
    browser.fill("provider-name", "Team (renamed)").await;
    browser.click("provider-save").await;
    wait_for_providers(&browser, &["Ops", "Team (renamed)"]).await;

    // Deleting asks first; cancelling keeps the instance.
    let delete_ops =
        "[data-testid='provider-row'][data-name='Ops'] [data-testid='provider-delete']";
    let click = |css: &'static str| {
        let client = browser.client.clone();
        async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };
    click(delete_ops).await;
    browser.click("provider-delete-cancel").await;
    assert_eq!(
        strings(&browser, PROVIDER_NAMES).await,
        ["Ops", "Team (renamed)"]
    );
    click(delete_ops).await;
    // A change made elsewhere re-renders the list around the open confirmation, which stays.
    s.stack
        .db
        .execute(
            "update public.providers set status = 'warning', last_error = 'Slow answers'
             where name = 'Team (renamed)'",
            &[],
        )
        .await
        .unwrap();
    browser
        .wait_for_text("provider-problem", Duration::from_secs(10), |t| {
            t.contains("Slow answers")
        })
        .await;
    browser.by_test_id("provider-delete-confirm").await;
    browser.screenshot("10-provider-delete-confirm").await;
    browser.click("provider-delete-confirm").await;
    wait_for_providers(&browser, &["Team (renamed)"]).await;
    let left: i64 = s
        .stack
        .db
        .query_one("select count(*) from public.providers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1, "the deletion reached the database");

    browser.click("sign-out").await;
    super::wait_for_path(&browser, "/sign-in").await;
    browser.client.goto(&s.app.url).await.unwrap();
    super::wait_for_path(&browser, "/sign-in").await;
    browser.client.close().await.unwrap();
}
