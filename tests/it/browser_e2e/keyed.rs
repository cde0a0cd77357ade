//! Live patches pair rows by key: a workflow that sorts first arrives in another sync, and the
//! row already on the page keeps its element (and anything attached to it) while the new row is
//! inserted above it — not every row below rewritten in place.

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
