//! The actions themselves: which providers each token syncs, one workflow, cleanup, n8n
//! down, internal errors, the cron trigger, and schedule health judged in the worker.

use super::{error_code, post, world};
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::{spawn_stack, TestStack};
use chrono::{Duration, Utc};
use serde_json::json;

#[tokio::test]
async fn a_user_token_syncs_only_that_users_providers_and_service_role_syncs_everyone() {
    let w = world().await;
    let other = w.stack.create_user("other@example.com").await;
    let other_fake = FakeN8n::start().await;
    let wf = other_fake.add_workflow("Other's flow");
    other_fake.add_execution(&wf, "success");
    w.stack
        .add_provider(&other, "other n8n", &other_fake.url, &other_fake.api_key)
        .await;

    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        1,
        "RLS scopes the run to the caller's providers: {:?}",
        reply.body
    );
    assert_eq!(results[0]["provider"], "team n8n");
    assert_eq!(results[0]["executions_synced"], 2);
    assert_eq!(reply.body["sync_log_ids"].as_array().unwrap().len(), 1);
    assert!(
        other_fake.requests().is_empty(),
        "the other user's n8n was never called"
    );

    let reply = post(
        &w.worker,
        Some(&w.stack.service_role_key),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.body["results"].as_array().unwrap().len(),
        2,
        "service_role covers all users"
    );
    let counts: Vec<(String, i64)> = w
        .stack
        .db
        .query(
            "select name, execution_count from public.mvp_workflows order by name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("Nightly export".to_string(), 2),
            ("Other's flow".to_string(), 1)
        ]
    );
}

#[tokio::test]
async fn sync_workflow_syncs_one_workflow_and_refuses_someone_elses() {
    let w = world().await;
    post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    let workflow: uuid::Uuid = w
        .stack
        .db
        .query_one("select id from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    let n8n_id: String = w
        .stack
        .db
        .query_one("select n8n_workflow_id from public.mvp_workflows", &[])
        .await
        .unwrap()
        .get(0);
    w.fake.add_execution(&n8n_id, "crashed");
    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_workflow", "workflow_id": workflow}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (count, failed): (i64, i64) = w
        .stack
        .db
        .query_one(
            "select execution_count, failed_executions from public.mvp_workflows where id = $1",
            &[&workflow],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((count, failed), (3, 2));
    let stranger = w.stack.create_user("stranger@example.com").await;
    let reply = post(
        &w.worker,
        Some(&stranger.token),
        json!({"action": "sync_workflow", "workflow_id": workflow}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (404, "not_found")
    );
}

/// Cleanup runs logged so far, for every user.
async fn cleanup_runs(stack: &TestStack) -> i64 {
    stack
        .db
        .query_one(
            "select count(*) from public.sync_logs where sync_type = 'cleanup'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn is_archived(stack: &TestStack, n8n_workflow_id: &str) -> bool {
    stack
        .db
        .query_one(
            "select archived from public.mvp_workflows where n8n_workflow_id = $1",
            &[&n8n_workflow_id],
        )
        .await
        .expect("the workflow has a row")
        .get(0)
}

#[tokio::test]
async fn cleanup_is_a_dry_run_for_users_and_real_for_service_role() {
    let w = world().await;
    let gone = w.fake.add_workflow("Removed later");
    let orphan_name = flowpulse_core::naming::user_workflow_name(w.user.id, "Chat draft");
    let orphan = w.fake.add_workflow(&orphan_name);
    post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    let removed = w.fake.remove_workflow(&gone);

    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "cleanup_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let report = &reply.body["cleanup"];
    assert_eq!(
        report["dry_run"], true,
        "users get a dry run by default: {report}"
    );
    assert!(
        report.to_string().contains("Removed later"),
        "lists what would be archived: {report}"
    );
    assert!(
        report.to_string().contains(&orphan),
        "lists the orphan it would delete: {report}"
    );
    let archived = is_archived(&w.stack, &gone).await;
    assert!(!archived, "a dry run changes nothing");

    let reply = post(
        &w.worker,
        Some(&w.stack.service_role_key),
        json!({"action": "cleanup_workflows", "dry_run": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let archived = is_archived(&w.stack, &gone).await;
    assert!(
        archived,
        "a workflow gone from n8n is archived, its row and history kept"
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r == &format!("DELETE /api/v1/workflows/{orphan}")),
        "the orphan was deleted in n8n"
    );
    let cleanup_logs = cleanup_runs(&w.stack).await;
    assert!(cleanup_logs >= 1);

    w.fake.restore_workflow(removed);
    post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    let deletion_mark: Option<chrono::DateTime<chrono::Utc>> = w
        .stack
        .db
        .query_one(
            "select deleted_at from public.mvp_workflows where n8n_workflow_id = $1",
            &[&gone],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !is_archived(&w.stack, &gone).await && deletion_mark.is_none(),
        "a workflow listed again is live again: {deletion_mark:?}"
    );
}

#[tokio::test]
async fn an_unreachable_instance_is_a_502_that_names_it() {
    let w = world().await;
    w.fake.stop();
    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (502, "n8n_unreachable")
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("team n8n"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn internal_errors_are_500_without_internals() {
    let stack = spawn_stack().await;
    // PostgREST address that nothing listens on: the function cannot reach its database.
    let dead = format!(
        "http://127.0.0.1:{}/api",
        flowpulse_stack::process::free_port().unwrap()
    );
    let worker = stack
        .spawn_worker_with(&[("POSTGREST_URL", dead.clone())])
        .await;
    let user = stack.create_user("oops@example.com").await;
    let reply = post(
        &worker,
        Some(&user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), error_code(&reply)),
        (500, "internal_error")
    );
    let text = reply.body.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(&dead),
        "no internals in the reply: {text}"
    );
}

#[tokio::test]
async fn the_cron_trigger_queues_a_scheduled_sync_that_the_queue_consumer_runs_and_the_cleanup() {
    let w = world().await;
    // Waits for the consumer to end its claim, too.
    let synced = w.stack.cron_cycle(&w.worker).await;
    assert_eq!(
        synced
            .iter()
            .map(|(_, status)| status.as_str())
            .collect::<Vec<_>>(),
        ["success"],
        "the queue consumer synced the one provider as service role"
    );
    let (trigger, counted): (String, i64) = {
        let row = w
            .stack
            .db
            .query_one(
                "select l.details->>'trigger', w.execution_count
                 from public.sync_logs l, public.mvp_workflows w
                 where l.sync_type = 'scheduled'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((trigger.as_str(), counted), ("queue", 2));
    w.worker.fire_cron("17 3 * * *").await;
    let cleanups = cleanup_runs(&w.stack).await;
    assert!(cleanups >= 1, "the daily cron also cleans up");
}

/// Two cron cycles fired back to back queue the provider twice: the consumer syncs it once
/// (the second message finds it claimed, then synced since), never twice at a time.
#[tokio::test]
async fn a_provider_queued_twice_at_once_is_synced_once() {
    let w = world().await;
    w.worker.fire_cron("*/15 * * * *").await;
    w.worker.fire_cron("*/15 * * * *").await;
    w.stack.scheduled_syncs(1).await;
    // Past the queue's batching and the retry's shortest wait would be another 30 s; the
    // second message, delivered with the first, is what a double sync would come from.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(w.stack.scheduled_syncs(1).await.len(), 1);
}

/// The worker judges schedules with its own copy of the time zone database (jiff's, bundled
/// into the wasm): a daily 09:00 schedule in Europe/Berlin that has not run for three days is
/// missed runs, described in Berlin time rather than UTC's fallback.
#[tokio::test]
async fn the_worker_reads_a_schedule_in_the_workflow_s_time_zone() {
    let w = world().await;
    let id = w.fake.add_workflow("Morning digest");
    w.fake.redefine_workflow(
        &id,
        json!([{"id": "d1", "name": "Every morning", "type": "n8n-nodes-base.scheduleTrigger",
                "typeVersion": 1.2, "position": [0, 0],
                "parameters": {"rule": {"interval": [{"field": "days", "triggerAtHour": 9}]}}}]),
        json!({}),
        Utc::now() - Duration::days(3),
    );
    w.fake.set_settings(
        &id,
        json!({"executionOrder": "v1", "timezone": "Europe/Berlin"}),
    );

    let reply = post(
        &w.worker,
        Some(&w.user.token),
        json!({"action": "sync_all_workflows"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (_, findings) = crate::insight::verdict(&w.stack, &id).await;
    assert_eq!(findings[0]["kind"], "missed_runs", "{findings}");
    assert_eq!(
        findings[0]["details"]["schedule"], "every day at 09:00 (Europe/Berlin)",
        "{findings}"
    );
    let missed = findings[0]["details"]["missed"].as_u64().unwrap();
    assert!((2..=3).contains(&missed), "{findings}");
}
