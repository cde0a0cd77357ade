//! `/failures`, `/executions/<id>` and "Retry": a failure is listed with its node and error,
//! its detail page explains it and links to n8n, a retry against the fake n8n is stored and
//! linked both ways, and another user gets a 404 for the page and the retry.

use super::{Failed, ERROR, NODE, NODE_TYPE};
use crate::builder_app::{post, signed_up};
use serde_json::Value;

#[tokio::test]
async fn a_failed_execution_shows_on_failures_and_its_detail_page_with_error_and_node() {
    let f = Failed::new("failures@example.com").await;
    let html = f.site.client.page("/failures", Some(&f.cookie)).await;
    assert_eq!(
        html.matches("data-testid=\"failure-group\"").count(),
        1,
        "{html}"
    );
    assert!(html.contains("Order sync") && html.contains(NODE) && html.contains(NODE_TYPE));
    assert!(html.contains(ERROR), "the latest error is shown");
    assert!(
        html.contains(&format!("href=\"/executions/{}\"", f.execution)),
        "the group links to its latest failure"
    );
    assert!(html.contains("data-testid=\"nav-failures\""), "a nav link");
    let week = f
        .site
        .client
        .page("/failures?range=7d", Some(&f.cookie))
        .await;
    assert!(week.contains(ERROR));

    let detail = f
        .site
        .client
        .page(&format!("/executions/{}", f.execution), Some(&f.cookie))
        .await;
    assert!(detail.contains(ERROR) && detail.contains("The Code node threw an error."));
    assert!(detail.contains(NODE) && detail.contains(NODE_TYPE));
    assert!(
        detail.contains("data-testid=\"execution-retry\""),
        "a failed one can be retried"
    );
    let in_n8n = format!(
        "{}/workflow/{}/executions/{}",
        f.fake.url, f.n8n_workflow, f.n8n_execution
    );
    assert!(detail.contains(&in_n8n), "links to n8n's editor: {in_n8n}");
}

#[tokio::test]
async fn a_retry_through_the_app_records_the_new_execution_linked_both_ways() {
    let f = Failed::new("retry@example.com").await;
    let id = f.execution.to_string();
    let reply = post(&f.site, &f.cookie, "retry_execution", &[("id", &id)]).await;
    assert_eq!(reply.status(), 200);
    let outcome: Value = reply.json().await.unwrap();
    assert_eq!(outcome["status"], "success", "{outcome}");
    let new_n8n = outcome["n8n_execution_id"].as_i64().unwrap();
    let new_id = outcome["id"]
        .as_i64()
        .expect("the new execution is stored at once");
    assert!(
        f.fake
            .requests()
            .iter()
            .any(|r| r == &format!("POST /api/v1/executions/{}/retry", f.n8n_execution)),
        "n8n was asked to retry it"
    );

    let row = f
        .site
        .stack
        .db
        .query_one(
            "select r.id, r.mode, r.retry_of, r.status, o.retry_success_id
             from public.executions r join public.executions o on o.id = $1
             where r.provider_id = $2 and r.n8n_execution_id = $3",
            &[&f.execution, &f.provider, &new_n8n],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), new_id);
    assert_eq!(row.get::<_, String>(1), "retry");
    assert_eq!(
        row.get::<_, Option<i64>>(2),
        i64::try_from(f.n8n_execution).ok()
    );
    assert_eq!(row.get::<_, String>(3), "success");
    assert_eq!(
        row.get::<_, Option<i64>>(4),
        Some(new_n8n),
        "retried → succeeded"
    );

    let detail = f
        .site
        .client
        .page(&format!("/executions/{}", f.execution), Some(&f.cookie))
        .await;
    assert!(detail.contains("retried → succeeded"), "{detail}");
    assert!(detail.contains(&format!("href=\"/executions/{new_id}\"")));
    let retry = f
        .site
        .client
        .page(&format!("/executions/{new_id}"), Some(&f.cookie))
        .await;
    assert!(
        retry.contains("Retry of")
            && retry.contains(&format!("href=\"/executions/{}\"", f.execution))
    );
    assert!(
        !retry.contains("data-testid=\"execution-retry\""),
        "a success is not retried"
    );

    // A successful execution is refused by the function, in FlowPulse's words.
    let again = post(
        &f.site,
        &f.cookie,
        "retry_execution",
        &[("id", &new_id.to_string())],
    )
    .await;
    assert_eq!(again.status(), 400);
    let text = again.text().await.unwrap();
    assert!(text.contains("cannot be retried"), "{text}");
}

#[tokio::test]
async fn another_users_execution_detail_is_404_and_their_retry_is_refused() {
    let f = Failed::new("owner@example.com").await;
    let bob = signed_up(&f.site, "bob@example.com").await;
    let reply = f
        .site
        .client
        .get(&format!("/executions/{}", f.execution), Some(&bob))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let html = reply.text().await.unwrap();
    assert!(
        !html.contains(ERROR) && !html.contains(NODE),
        "nothing of it leaks"
    );
    assert!(html.contains("does not exist or is not yours"));
    let failures = f.site.client.page("/failures", Some(&bob)).await;
    assert!(!failures.contains(ERROR) && failures.contains("data-testid=\"failures-empty\""));

    let id = f.execution.to_string();
    let retry = post(&f.site, &bob, "retry_execution", &[("id", &id)]).await;
    assert_eq!(retry.status(), 404);
    assert!(
        !f.fake.requests().iter().any(|r| r.ends_with("/retry")),
        "n8n never heard of Bob's attempt"
    );
    let count: i64 = f
        .site
        .stack
        .db
        .query_one(
            "select count(*) from public.executions where mode = 'retry'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
    // The owner's own page still answers.
    assert!(f.user.email.starts_with("owner"));
}
