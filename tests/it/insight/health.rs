//! What stopped running, judged after each sync: the engine (natively, the code the worker
//! runs) against the fake n8n, whose clock-dependent fields (when a workflow was saved, when
//! an execution started or resumes) a test can set, with a real PostgREST + Postgres. The
//! verdicts land in `workflow_health`, where another user cannot read them.

use super::Scenario;
use crate::helpers::postgrest::{Auth, Rest};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

pub(crate) fn every_15_minutes() -> (Value, Value) {
    (
        json!([
            {"id": "s1", "name": "Every 15 minutes", "type": "n8n-nodes-base.scheduleTrigger",
             "typeVersion": 1.2, "position": [0, 0],
             "parameters": {"rule": {"interval": [{"field": "minutes", "minutesInterval": 15}]}}},
            {"id": "s2", "name": "Report", "type": "n8n-nodes-base.noOp", "typeVersion": 1,
             "position": [200, 0], "parameters": {}}
        ]),
        json!({"Every 15 minutes": {"main": [[{"node": "Report", "type": "main", "index": 0}]]}}),
    )
}

fn kinds(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_schedule_that_stopped_running_is_critical_until_it_runs_again() {
    let s = Scenario::new("health@example.com").await;
    let id = s.fake.add_workflow("Quarter-hourly report");
    let (nodes, connections) = every_15_minutes();
    let saved = Utc::now() - Duration::hours(3);
    s.fake.redefine_workflow(&id, nodes, connections, saved);
    // It ran on schedule until two hours ago, then stopped.
    s.fake.add_execution_at(
        &id,
        "success",
        "trigger",
        saved + Duration::minutes(60),
        None,
    );

    s.sync().await;
    let (status, findings) = s.health(&id).await;
    assert_eq!(status, "critical", "{findings}");
    assert_eq!(kinds(&findings), ["missed_runs"]);
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Expected every 15 min, last run 2 h ago"),
        "{message}"
    );
    // Quarter hours on the clock in the two hours since, bar the last few minutes' grace: 7 or
    // 8 depending on where in a quarter hour the test runs.
    let missed = findings[0]["details"]["missed"].as_u64().unwrap();
    assert!((7..=8).contains(&missed), "{findings}");
    assert!(
        message.ends_with(&format!("{missed} runs missed.")),
        "{message}"
    );

    // n8n runs it again: the next sync clears the finding.
    s.fake.add_execution_at(
        &id,
        "success",
        "trigger",
        Utc::now() - Duration::minutes(1),
        None,
    );
    s.sync().await;
    let (status, findings) = s.health(&id).await;
    assert_eq!((status.as_str(), kinds(&findings)), ("ok", vec![]));
}

#[tokio::test]
async fn an_execution_waiting_hours_past_its_resume_time_is_stuck_until_it_finishes_and_a_fresh_wait_for_a_call_is_not(
) {
    let s = Scenario::new("health@example.com").await;
    let id = s.fake.add_workflow("Order intake");
    // A Wait node that should have resumed it two hours ago (n8n does not list running
    // executions, so a waiting one past its time is what a sync can see stuck).
    let stuck = s.fake.add_execution_at(
        &id,
        "waiting",
        "webhook",
        Utc::now() - Duration::hours(3),
        Some(Utc::now() - Duration::hours(2)),
    );
    // Waiting for a form or webhook call (parked by n8n until the year 3000) for ten minutes:
    // not yet past the threshold.
    let far = "3000-01-01T00:00:00Z".parse().unwrap();
    s.fake.add_execution_at(
        &id,
        "waiting",
        "webhook",
        Utc::now() - Duration::minutes(10),
        Some(far),
    );

    s.sync().await;
    let (status, findings) = s.health(&id).await;
    assert_eq!(kinds(&findings), ["stuck_executions"], "{findings}");
    assert_ne!(status, "ok");
    let listed = findings[0].to_string();
    assert!(listed.contains(&stuck.to_string()), "{listed}");
    assert_eq!(
        findings[0]["details"]["executions"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "only the one past its time is stuck: {findings}"
    );

    s.fake.set_status(stuck, "success");
    s.sync().await;
    let (status, findings) = s.health(&id).await;
    assert_eq!((status.as_str(), kinds(&findings)), ("ok", vec![]));
}

#[tokio::test]
async fn health_verdicts_and_their_inputs_are_the_owners_alone() {
    let s = Scenario::new("health@example.com").await;
    let id = s.fake.add_workflow("Private");
    s.fake.add_execution_at(
        &id,
        "waiting",
        "webhook",
        Utc::now() - Duration::hours(3),
        Some(Utc::now() - Duration::hours(2)),
    );
    s.sync().await;
    let provider: Uuid = s
        .stack
        .db
        .query_one("select id from public.providers", &[])
        .await
        .unwrap()
        .get(0);
    let other = s.stack.create_user("other@example.com").await;
    let api = Rest::new(&s.stack.postgrest_url);
    let theirs = Auth::Bearer(other.token.clone());
    let mine = Auth::Bearer(s.user.token.clone());

    assert_eq!(
        api.select("workflow_health?select=*", &mine)
            .await
            .rows()
            .len(),
        1
    );
    assert!(api
        .select("workflow_health?select=*", &theirs)
        .await
        .rows()
        .is_empty());
    // The inputs function runs with the caller's rights: nothing of another user's comes back.
    let inputs = api
        .send(
            reqwest::Method::POST,
            "rpc/workflow_health_inputs",
            &theirs,
            Some(json!({"p_provider_id": provider})),
            "",
        )
        .await;
    assert!(inputs.rows().is_empty(), "{:?}", inputs.rows());
    // And a verdict cannot be planted on another user's workflow.
    let workflow: Uuid = s
        .stack
        .db
        .query_one("select id from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    let planted = api
        .insert(
            "workflow_health",
            &theirs,
            json!({"workflow_id": workflow, "provider_id": provider, "status": "ok"}),
        )
        .await;
    assert!(planted.code().is_some(), "refused: {:?}", planted.rows());
}
