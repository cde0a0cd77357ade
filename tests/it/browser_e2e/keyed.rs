//! Live patches pair rows by key: a workflow that sorts first arrives in another sync, and the
//! row already on the page keeps its element (and anything attached to it) while the new row is
//! inserted above it — not every row below rewritten in place. An updated row is read from the
//! server alone; when rows moved meanwhile, the whole page is read.

use super::{add_instance, sign_up, site, user_id, wait_live};
use crate::helpers::browser;
use crate::helpers::fake_n8n::FakeN8n;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Each workflow row's name and whether it carries the mark set on it earlier.
const ROWS: &str = "return [...document.querySelectorAll('[data-testid=workflow-row]')]
    .map(row => [row.querySelector('th').textContent.trim(), row.__flowpulseMark === 'kept']);";

#[tokio::test]
async fn a_row_inserted_above_leaves_the_rows_below_as_they_were() {
    let s = site().await;
    let fake = FakeN8n::start().await;
    let orders = fake.add_workflow("Orders");
    fake.add_execution(&orders, "success");
    let tab = browser::launch().await;
    sign_up(&tab, &s.app, "keyed@example.com").await;
    add_instance(&tab, "Keyed n8n", &fake.url, &fake.api_key).await;
    tab.client.goto(&s.app.url).await.unwrap();
    wait_live(&tab).await;
    tab.click("sync-now").await;
    tab.wait_for_text("workflow-executions", Duration::from_secs(10), |t| {
        t.trim() == "1"
    })
    .await;
    // Something only this element carries: gone if the row's element is reused for another.
    tab.client
        .execute(
            "document.querySelector('[data-testid=workflow-row]').__flowpulseMark = 'kept';",
            vec![],
        )
        .await
        .unwrap();

    // "Accounts" sorts before "Orders": it arrives at the top through a sync made elsewhere.
    let accounts = fake.add_workflow("Accounts");
    fake.add_execution(&accounts, "success");
    let id = user_id(&s.stack, "keyed@example.com").await;
    s.worker
        .sync_all(&s.stack.token_for(id, "keyed@example.com", 600))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows: Value = tab.client.execute(ROWS, vec![]).await.unwrap();
        if rows.as_array().is_some_and(|all| all.len() == 2) || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        rows,
        json!([["Accounts", false], ["Orders", true]]),
        "the new row went above, the old row kept its element"
    );
    tab.client.close().await.unwrap();
}

/// Records the `X-Live-Regions` header of each of the live bridge's fetches
/// (`window.__asked`; `null` for a fetch of the whole page).
const RECORD_ASKS: &str = "window.__asked = []; const fetch = window.fetch.bind(window);
  window.fetch = (url, init) => { const headers = (init && init.headers) || {};
    window.__asked.push(headers['x-live-regions'] || null); return fetch(url, init); };";

/// Each workflow row's name, its executions cell and whether it carries the mark set earlier.
const ROWS_AND_COUNTS: &str = "return [...document.querySelectorAll('[data-testid=workflow-row]')]
    .map(row => [row.querySelector('th').textContent.trim(),
                 row.querySelector('[data-testid=workflow-executions]').textContent.trim(),
                 row.__flowpulseMark === 'kept']);";

/// The headers [`RECORD_ASKS`] recorded so far.
async fn recorded_asks(tab: &browser::Browser) -> Vec<Option<String>> {
    let asked = tab.client.execute("return window.__asked;", vec![]).await;
    serde_json::from_value(asked.unwrap()).unwrap()
}

/// Polls `script` in the tab until it returns `expected` (10 s at most); what it returned last.
async fn eventually(tab: &browser::Browser, script: &str, expected: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value: Value = tab.client.execute(script, vec![]).await.unwrap();
        if &value == expected || Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_updated_row_is_read_alone_and_rows_that_moved_are_read_whole() {
    let s = site().await;
    let fake = FakeN8n::start().await;
    for name in ["Accounts", "Orders"] {
        let workflow = fake.add_workflow(name);
        fake.add_execution(&workflow, "success");
    }
    let tab = browser::launch().await;
    sign_up(&tab, &s.app, "rows@example.com").await;
    add_instance(&tab, "Rows n8n", &fake.url, &fake.api_key).await;
    tab.client.goto(&s.app.url).await.unwrap();
    wait_live(&tab).await;
    tab.click("sync-now").await;
    let synced = json!([["Accounts", "1", false], ["Orders", "1", false]]);
    assert_eq!(eventually(&tab, ROWS_AND_COUNTS, &synced).await, synced);
    // The sync's report is shown once "Sync now" returned (and asked for its whole-page read).
    tab.by_test_id("sync-result").await;
    let owner = user_id(&s.stack, "rows@example.com").await;
    let set_count = |name: &'static str, count: i64| {
        let db = &s.stack.db;
        async move {
            db.query_one(
                "update public.mvp_workflows set execution_count = $3
                 where user_id = $1 and name = $2 returning id::text",
                &[&owner, &name, &count],
            )
            .await
            .unwrap()
            .get::<_, String>(0)
        }
    };

    // Orders is updated: only its row is read, and both rows keep their elements.
    tab.client
        .execute(
            "document.querySelectorAll('[data-testid=workflow-row]').forEach(row => row.__flowpulseMark = 'kept');",
            vec![],
        )
        .await
        .unwrap();
    tab.client.execute(RECORD_ASKS, vec![]).await.unwrap();
    let orders = set_count("Orders", 7).await;
    let patched = json!([["Accounts", "1", true], ["Orders", "7", true]]);
    assert_eq!(eventually(&tab, ROWS_AND_COUNTS, &patched).await, patched);
    let asked = recorded_asks(&tab).await;
    assert!(
        asked
            .iter()
            .flatten()
            .any(|regions| regions.contains(&format!("dashboard-workflows={orders}"))),
        "the refresh asked for the one row: {asked:?}"
    );
    assert!(
        asked.iter().all(Option::is_some),
        "never the whole page: {asked:?}"
    );

    // Sorted by executions, Accounts overtakes Orders: the partial render's keys no longer
    // match the page's, so the bridge reads the whole page and the rows change places.
    tab.client
        .goto(&format!("{}/?sort=executions&dir=desc", s.app.url))
        .await
        .unwrap();
    wait_live(&tab).await;
    let sorted = json!([["Orders", "7", false], ["Accounts", "1", false]]);
    assert_eq!(eventually(&tab, ROWS_AND_COUNTS, &sorted).await, sorted);
    tab.client.execute(RECORD_ASKS, vec![]).await.unwrap();
    let accounts = set_count("Accounts", 100).await;
    let moved = json!([["Accounts", "100", false], ["Orders", "7", false]]);
    assert_eq!(eventually(&tab, ROWS_AND_COUNTS, &moved).await, moved);
    let asked = recorded_asks(&tab).await;
    let partial = asked.iter().position(|regions| {
        regions
            .as_deref()
            .is_some_and(|regions| regions.contains(&format!("dashboard-workflows={accounts}")))
    });
    assert!(
        partial.is_some_and(|at| asked[at + 1..].contains(&None)),
        "a partial read, then the whole page: {asked:?}"
    );
    tab.client.close().await.unwrap();
}
