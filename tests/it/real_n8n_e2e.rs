//! End to end against a real n8n (npm): workflows with webhook triggers, some succeeding and
//! some throwing, called for real; then a sync through the edge function on workerd, exactly as
//! curl would send it. The counters must equal what n8n's own execution list says.

use crate::helpers::real_n8n::{self, Outcome};
use crate::helpers::spawn_stack;
use serde_json::Value;
use uuid::Uuid;

#[tokio::test]
async fn syncing_a_real_n8n_through_the_worker_fills_the_counters_exactly() {
    let n8n = real_n8n::shared().await;
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let user = stack.create_user("e2e@example.com").await;
    let provider = stack
        .add_provider(&user, "local n8n", &n8n.base_url, &n8n.api_key)
        .await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let (ok_id, ok_path) = n8n
        .create_webhook_workflow(&format!("FP succeeds {tag}"), Outcome::Succeeds)
        .await;
    let (bad_id, bad_path) = n8n
        .create_webhook_workflow(&format!("FP fails {tag}"), Outcome::Fails)
        .await;
    n8n.trigger(&ok_path, 3).await;
    n8n.trigger(&bad_path, 2).await;
    n8n.wait_for_executions(&ok_id, 3).await;
    n8n.wait_for_executions(&bad_id, 2).await;

    worker.sync_all(&user.token).await;
    for workflow in [&ok_id, &bad_id] {
        assert_eq!(
            stack.counters_of(provider, workflow).await,
            n8n.counters(workflow).await,
            "{workflow} after the first sync"
        );
    }
    assert_eq!(stack.counters_of(provider, &ok_id).await, (3, 3, 0, 3));
    assert_eq!(stack.counters_of(provider, &bad_id).await, (2, 0, 2, 2));

    // A second sync with nothing new changes nothing.
    let executions_before: i64 = stack
        .db
        // Only this test's workflows: others run on the shared n8n at the same time.
        .query_one(
            "select count(*) from public.executions where n8n_workflow_id in ($1, $2)",
            &[&ok_id, &bad_id],
        )
        .await
        .unwrap()
        .get(0);
    worker.sync_all(&user.token).await;
    let executions_after: i64 = stack
        .db
        // Only this test's workflows: others run on the shared n8n at the same time.
        .query_one(
            "select count(*) from public.executions where n8n_workflow_id in ($1, $2)",
            &[&ok_id, &bad_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        executions_before, executions_after,
        "no execution stored twice"
    );
    assert_eq!(stack.counters_of(provider, &ok_id).await, (3, 3, 0, 3));
    assert_eq!(stack.counters_of(provider, &bad_id).await, (2, 0, 2, 2));

    // New executions appear after the next sync.
    n8n.trigger(&ok_path, 2).await;
    n8n.trigger(&bad_path, 1).await;
    n8n.wait_for_executions(&ok_id, 5).await;
    n8n.wait_for_executions(&bad_id, 3).await;
    worker.sync_all(&user.token).await;
    for workflow in [&ok_id, &bad_id] {
        assert_eq!(
            stack.counters_of(provider, workflow).await,
            n8n.counters(workflow).await,
            "{workflow} after new runs"
        );
    }
    assert_eq!(stack.counters_of(provider, &ok_id).await, (5, 5, 0, 5));

    // Every run left a finished sync_logs row.
    let logs: Vec<String> = stack
        .db
        .query(
            "select status from public.sync_logs where provider_id = $1 order by started_at",
            &[&provider],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(logs, ["success", "success", "success"]);
}

/// The facts about n8n's public API that the engine and the fake n8n rely on, checked against
/// the real thing: string ids, newest first, statuses, cursor paging with `limit`.
#[tokio::test]
async fn the_real_n8n_api_behaves_as_the_engine_and_the_fake_assume() {
    let n8n = real_n8n::shared().await;
    let tag = &Uuid::new_v4().simple().to_string()[..8];
    let (ok_id, ok_path) = n8n
        .create_webhook_workflow(&format!("FP facts ok {tag}"), Outcome::Succeeds)
        .await;
    let (bad_id, bad_path) = n8n
        .create_webhook_workflow(&format!("FP facts fail {tag}"), Outcome::Fails)
        .await;
    n8n.trigger(&ok_path, 3).await;
    n8n.trigger(&bad_path, 1).await;
    n8n.wait_for_executions(&ok_id, 3).await;
    n8n.wait_for_executions(&bad_id, 1).await;
    // The raw replies, not the client's decoding of them: the shapes are what is checked.
    let http = reqwest::Client::new();
    let raw_list = |workflow: String| {
        let request = http
            .get(format!("{}/api/v1/executions", n8n.base_url))
            .header("X-N8N-API-KEY", &n8n.api_key)
            .query(&[("workflowId", workflow)]);
        async move {
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            page["data"].as_array().cloned().unwrap()
        }
    };
    let oks = raw_list(ok_id.clone()).await;
    let bads = raw_list(bad_id.clone()).await;
    assert!(
        oks.iter()
            .all(|e| e["status"] == "success" && e["workflowId"] == ok_id.as_str()),
        "{oks:?}"
    );
    assert_eq!(
        bads[0]["status"], "error",
        "a Stop-and-Error run is an error: {bads:?}"
    );
    let ids: Vec<u64> = oks
        .iter()
        .map(|e| {
            e["id"]
                .as_str()
                .expect("ids are strings")
                .parse()
                .expect("of integers")
        })
        .collect();
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "executions come newest first");
    for execution in &oks {
        assert!(
            execution["startedAt"].is_string() && execution["mode"] == "webhook",
            "{execution}"
        );
    }

    // Paging: limit 2 gives a cursor whose next page holds the rest, and then no cursor.
    let page = |cursor: Option<String>| {
        let mut request = http
            .get(format!("{}/api/v1/executions", n8n.base_url))
            .header("X-N8N-API-KEY", &n8n.api_key)
            .query(&[("workflowId", ok_id.as_str()), ("limit", "2")]);
        if let Some(c) = cursor {
            request = request.query(&[("cursor", c)]);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let first = page(None).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a cursor after a full page")
        .to_string();
    let second = page(Some(cursor)).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert!(
        second["nextCursor"].is_null(),
        "no cursor after the last page: {second}"
    );

    // A wrong API key is a 401 with n8n's message.
    let reply = http
        .get(format!("{}/api/v1/workflows", n8n.base_url))
        .header("X-N8N-API-KEY", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
}
