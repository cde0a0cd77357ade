//! Durations and the chart come from the database: the table shows p50 · p95 · max of the
//! period, the chart counts every execution (no row cap), a workflow's history page shows its
//! own figures, and the RPCs give another user nothing.

use super::Failed;
use crate::helpers::postgrest::{Auth, Rest};
use serde_json::{json, Value};

/// More executions than the old 20,000-row chart read, in the current hour.
const MANY: i64 = 25_000;

/// Gives the fixture's workflow `MANY` more successful executions of 1..=100 ms (so p50 and
/// p95 are known) and its two synced ones a duration of 10 s (the maximum).
async fn with_many_timed_executions(f: &Failed) {
    f.site
        .stack
        .db
        .execute(
            "update public.executions set duration_ms = 10000, started_at = now()
             where provider_id = $1",
            &[&f.provider],
        )
        .await
        .unwrap();
    f.site
        .stack
        .db
        .execute(
            "insert into public.executions (user_id, provider_id, workflow_id, n8n_workflow_id,
                n8n_execution_id, status, mode, started_at, stopped_at, duration_ms)
             select e.user_id, e.provider_id, e.workflow_id, e.n8n_workflow_id, 1000000 + n,
                'success', 'trigger', now() - interval '1 minute', now(), 1 + n % 100
             from generate_series(0, $2::bigint - 1) as n,
                  (select * from public.executions where provider_id = $1 limit 1) as e",
            &[&f.provider, &MANY],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_dashboard_shows_database_durations_and_charts_every_execution() {
    let f = Failed::new("durations@example.com").await;
    with_many_timed_executions(&f).await;
    let html = f.site.client.page("/", Some(&f.cookie)).await;
    let row = html
        .split("data-testid=\"workflow-durations\"")
        .nth(1)
        .unwrap_or_else(|| panic!("a durations cell: {html}"))
        .split("</td>")
        .next()
        .unwrap();
    // 25,002 runs: half take at most 50 ms, 95 % at most 95 ms, the longest 10 s.
    assert!(
        row.contains("51 ms") && row.contains("96 ms") && row.contains("10.0 s"),
        "{row}"
    );
    let total = MANY + 2;
    assert!(
        html.contains(&format!("Executions over time. {total} executions,")),
        "the chart counts all {total}: no row cap"
    );
    assert!(html.contains("data-testid=\"duration-chart\""), "{html}");
    assert!(
        !html.contains("Showing the most recent"),
        "nothing truncated"
    );

    let workflow: uuid::Uuid = f
        .site
        .stack
        .db
        .query_one(
            "select id from public.mvp_workflows where provider_id = $1",
            &[&f.provider],
        )
        .await
        .unwrap()
        .get(0);
    let history = f
        .site
        .client
        .page(
            &format!("/executions?workflow={workflow}&range=24h"),
            Some(&f.cookie),
        )
        .await;
    let stat = |testid: &str| {
        history
            .split(&format!("data-testid=\"{testid}\""))
            .nth(1)
            .and_then(|rest| rest.split('>').nth(1))
            .and_then(|rest| rest.split('<').next())
            .map(str::to_string)
    };
    assert_eq!(stat("duration-p50").as_deref(), Some("51 ms"), "{history}");
    assert_eq!(stat("duration-p95").as_deref(), Some("96 ms"));
    assert_eq!(stat("duration-max").as_deref(), Some("10.0 s"));
    let unfiltered = f.site.client.page("/executions", Some(&f.cookie)).await;
    assert!(
        !unfiltered.contains("workflow-duration-stats"),
        "figures only for a chosen workflow"
    );
}

#[tokio::test]
async fn chart_and_duration_rpcs_give_another_user_nothing() {
    let f = Failed::new("durations-owner@example.com").await;
    with_many_timed_executions(&f).await;
    let other = f
        .site
        .stack
        .create_user("durations-other@example.com")
        .await;
    let api = Rest::new(&f.site.stack.postgrest_url);
    let arguments = json!({"p_since": "2000-01-01T00:00:00Z", "p_bucket": "1 hour"});
    let call = |function: &'static str, token: String, arguments: Value| {
        let api = &api;
        async move {
            api.rpc(function, &Auth::Bearer(token), arguments)
                .await
                .rows()
        }
    };
    let mine = call("execution_chart", f.user.token.clone(), arguments.clone()).await;
    let counted: i64 = mine.iter().map(|b| b["succeeded"].as_i64().unwrap()).sum();
    assert_eq!(counted, MANY + 1, "the owner sees their buckets");
    assert!(
        call("execution_chart", other.token.clone(), arguments.clone())
            .await
            .is_empty()
    );
    let since = json!({"p_since": "2000-01-01T00:00:00Z"});
    assert_eq!(
        call("workflow_durations", f.user.token.clone(), since.clone())
            .await
            .len(),
        1
    );
    assert!(
        call("workflow_durations", other.token.clone(), since.clone())
            .await
            .is_empty()
    );
    // Nor can the anonymous role call them at all.
    let anonymous = api.rpc("execution_chart", &Auth::None, arguments).await;
    assert!(
        anonymous.code().is_some(),
        "refused: {:?}",
        anonymous.rows()
    );
}
