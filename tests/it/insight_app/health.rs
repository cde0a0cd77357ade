//! The health column of the dashboard and `/health`: a workflow with a critical verdict shows
//! a critical badge with its first finding as the tooltip, and is listed with its findings.

use crate::builder_app::signed_up;
use crate::security::app_site::site;
use serde_json::json;
use uuid::Uuid;

const FINDING: &str = "No scheduled run since 09:00 UTC: 4 runs missed.";

#[tokio::test]
async fn the_health_badge_shows_critical_for_a_workflow_with_a_critical_verdict() {
    let s = site().await;
    let cookie = signed_up(&s, "health@example.com").await;
    let user = s.user("health@example.com").await;
    let provider = s
        .stack
        .add_provider(
            &user,
            "Production",
            "http://127.0.0.1:9",
            "n8n_api_key_0123456789",
        )
        .await;
    let mut ids = Vec::new();
    for (n8n_id, name) in [("w1", "Nightly export"), ("w2", "Order sync")] {
        let id: Uuid = s
            .stack
            .db
            .query_one(
                "insert into public.mvp_workflows (user_id, provider_id, n8n_workflow_id, name)
                 values ($1, $2, $3, $4) returning id",
                &[&user.id, &provider, &n8n_id, &name],
            )
            .await
            .unwrap()
            .get(0);
        ids.push(id);
    }
    let findings = json!([{"kind": "missed_runs", "severity": "critical", "message": FINDING,
                           "since": "2026-12-01T09:00:00Z", "details": {"missed": 4}}]);
    for (id, status, findings) in [(ids[0], "critical", findings), (ids[1], "ok", json!([]))] {
        s.stack
            .db
            .execute(
                "insert into public.workflow_health (workflow_id, provider_id, user_id, status, findings)
                 values ($1, $2, $3, $4, $5)",
                &[&id, &provider, &user.id, &status, &findings],
            )
            .await
            .unwrap();
    }

    let dashboard = s.client.page("/", Some(&cookie)).await;
    let badge = dashboard
        .split("data-testid=\"workflow-health\"")
        .find(|part| part.contains("data-health=\"critical\""))
        .map(|part| part.split('>').next().unwrap_or_default().to_string());
    assert!(badge.is_some(), "a critical badge: {dashboard}");
    assert!(
        dashboard.contains(&format!("title=\"{FINDING}\"")),
        "the finding is its tooltip"
    );
    assert_eq!(dashboard.matches("data-health=\"ok\"").count(), 1);

    let page = s.client.page("/health", Some(&cookie)).await;
    assert_eq!(
        page.matches("data-testid=\"health-workflow\"").count(),
        1,
        "only what is not ok"
    );
    assert!(page.contains("Nightly export") && page.contains(FINDING));
    assert!(!page.contains("Order sync"));
    assert!(page.contains("data-kind=\"missed_runs\""));

    // Another user sees none of it.
    let bob = signed_up(&s, "bob-health@example.com").await;
    let theirs = s.client.page("/health", Some(&bob)).await;
    assert!(!theirs.contains(FINDING) && !theirs.contains("Nightly export"));
}

#[tokio::test]
async fn a_signed_out_visitor_of_an_insight_page_is_sent_to_sign_in_and_back() {
    let s = site().await;
    for page in ["/failures", "/health", "/alerts", "/executions/42"] {
        let reply = s.client.get(page, None).send().await.unwrap();
        assert!(
            reply.status().is_redirection(),
            "{page}: {}",
            reply.status()
        );
        let location = reply.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, format!("/sign-in?next={page}"));
    }
}
