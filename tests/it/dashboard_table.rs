//! The dashboard's workflow table is paged, sorted and searched by the database
//! (`workflow_table`): the app renders one page of 100 with a pager, whatever the number of
//! workflows, and the RPCs behind it give another user nothing.

use crate::builder_app::signed_up;
use crate::helpers::postgrest::{Auth, Rest};
use crate::helpers::TestUser;
use crate::security::app_site::{site, AppSite};
use serde_json::{json, Value};
use uuid::Uuid;

const WORKFLOWS: i64 = 250;
const SLACK: &str = "n8n-nodes-base.slack";

/// `WORKFLOWS` workflows for `user`: "Invoice sync NNN" every tenth, "Workflow NNN" otherwise,
/// NNN executions each, Slack in every other one, the first five never run.
async fn seed(site: &AppSite, user: &TestUser) -> Uuid {
    let provider = site
        .stack
        .add_provider(user, "Main", "http://127.0.0.1:9", "n8n_api_key_0123456789")
        .await;
    site.stack
        .db
        .execute(
            "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name,
               execution_count, successful_executions, node_types, last_execution_at)
             select $1, $2, 'wf' || n,
               case when n % 10 = 0 then 'Invoice sync ' else 'Workflow ' end || lpad(n::text, 3, '0'),
               n, n,
               case when n % 2 = 0 then array[$3] else array['n8n-nodes-base.webhook'] end,
               case when n < 5 then null else now() - n * interval '1 minute' end
             from generate_series(0, $4::bigint - 1) n",
            &[&user.id, &provider, &SLACK, &WORKFLOWS],
        )
        .await
        .unwrap();
    provider
}

/// Gives `workflow` (by name) finished executions of `ms` milliseconds.
async fn timed(site: &AppSite, provider: Uuid, name: &str, ms: i64, first_id: i64) {
    site.stack
        .db
        .execute(
            "insert into public.executions (user_id, provider_id, workflow_id, n8n_workflow_id,
               n8n_execution_id, status, mode, started_at, stopped_at, duration_ms)
             select w.user_id, w.provider_id, w.id, w.n8n_workflow_id, $3::bigint + n, 'success',
               'trigger', now() - interval '1 minute', now(), $4::bigint
             from public.mvp_workflows w, generate_series(0, 9) n
             where w.provider_id = $1 and w.name = $2",
            &[&provider, &name, &first_id, &ms],
        )
        .await
        .unwrap();
}

fn rows(html: &str) -> usize {
    html.matches("data-testid=\"workflow-row\"").count()
}

/// The names of the table's rows, in order.
fn names(html: &str) -> Vec<String> {
    html.split("data-testid=\"workflow-row\"")
        .skip(1)
        .filter_map(|row| {
            let after = row.split_once("title=\"Execution history\">")?.1;
            Some(after.split('<').next()?.to_string())
        })
        .collect()
}

fn page_info(html: &str) -> String {
    html.split("data-testid=\"workflow-page-info\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_table_shows_one_page_sorted_and_searched_by_the_database() {
    let s = site().await;
    let cookie = signed_up(&s, "pages@example.com").await;
    let user = s.user("pages@example.com").await;
    let provider = seed(&s, &user).await;
    timed(&s, provider, "Workflow 001", 9_000, 1).await;
    timed(&s, provider, "Workflow 003", 20, 100).await;

    let first = s.client.page("/", Some(&cookie)).await;
    assert_eq!(rows(&first), 100, "one page of the table");
    assert_eq!(page_info(&first), "1–100 of 250");
    assert_eq!(
        names(&first)[0],
        "Invoice sync 000",
        "name ascending by default"
    );
    let total = first
        .split("data-testid=\"total-workflows\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .map(|(_, text)| {
            text.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        });
    assert_eq!(total.as_deref(), Some("250"), "totals cover every workflow");

    let last = s.client.page("/?page=2", Some(&cookie)).await;
    assert_eq!(rows(&last), 50);
    assert_eq!(page_info(&last), "201–250 of 250");
    let next = last
        .find("data-testid=\"workflow-page-next\"")
        .expect("a pager");
    let tag = &last[last[..next].rfind('<').unwrap()..next];
    assert!(tag.starts_with("<span"), "no page after the last: {tag}");

    let search = s.client.page("/?q=INVOICE", Some(&cookie)).await;
    assert_eq!(rows(&search), 25, "case-insensitive, on every page's rows");
    assert!(names(&search)
        .iter()
        .all(|name| name.starts_with("Invoice sync")));

    let busiest = s
        .client
        .page("/?sort=executions&dir=desc", Some(&cookie))
        .await;
    assert_eq!(&names(&busiest)[..2], ["Workflow 249", "Workflow 248"]);
    let never_ran_first = s
        .client
        .page("/?sort=last-execution&dir=asc", Some(&cookie))
        .await;
    assert_eq!(
        &names(&never_ran_first)[..5],
        [
            "Invoice sync 000",
            "Workflow 001",
            "Workflow 002",
            "Workflow 003",
            "Workflow 004"
        ],
        "never run counts as earliest"
    );
    let slowest = s
        .client
        .page("/?sort=duration&dir=desc", Some(&cookie))
        .await;
    assert_eq!(
        &names(&slowest)[..2],
        ["Workflow 001", "Workflow 003"],
        "by p95"
    );

    let slack = s
        .client
        .page(&format!("/?node={SLACK}"), Some(&cookie))
        .await;
    assert_eq!(page_info(&slack), "1–100 of 125");
}

#[tokio::test]
async fn another_users_table_totals_and_choices_stay_out_of_reach() {
    let s = site().await;
    signed_up(&s, "owner@example.com").await;
    signed_up(&s, "other@example.com").await;
    let owner = s.user("owner@example.com").await;
    let other = s.user("other@example.com").await;
    let provider = seed(&s, &owner).await;
    let rest = Rest::new(&s.stack.postgrest_url);
    let call = |function: &'static str, body: Value, user: &TestUser| {
        let rest = &rest;
        let auth = Auth::Bearer(user.token.clone());
        async move { rest.rpc(function, &auth, body).await }
    };
    let since = json!("2000-01-01T00:00:00Z");

    let theirs = call("workflow_table", json!({"p_since": since}), &other).await;
    assert!(theirs.status.is_success(), "{theirs:?}");
    assert!(
        theirs.rows().is_empty(),
        "none of the owner's rows: {theirs:?}"
    );
    let aimed = call(
        "workflow_table",
        json!({"p_since": since, "p_provider_id": provider}),
        &other,
    )
    .await;
    assert!(
        aimed.rows().is_empty(),
        "naming the instance does not help: {aimed:?}"
    );
    let totals = call("workflow_totals", json!({}), &other).await;
    assert_eq!(totals.rows()[0]["workflows"], 0, "{totals:?}");
    let choices = call("workflow_filter_choices", json!({}), &other).await;
    assert_eq!(choices.rows()[0]["node_types"], json!([]), "{choices:?}");

    let mine = call(
        "workflow_table",
        json!({"p_since": since, "p_limit": 5}),
        &owner,
    )
    .await;
    assert_eq!(mine.rows().len(), 5);
    assert_eq!(mine.rows()[0]["total"], WORKFLOWS);
    let anon = rest
        .rpc("workflow_table", &Auth::None, json!({"p_since": since}))
        .await;
    assert!(!anon.status.is_success(), "anon cannot call it: {anon:?}");
    let injected = call(
        "workflow_table",
        json!({"p_since": since, "p_sort": "name; drop table public.providers"}),
        &owner,
    )
    .await;
    assert!(!injected.status.is_success(), "{injected:?}");
    assert_eq!(injected.code(), Some("22023"));
}
