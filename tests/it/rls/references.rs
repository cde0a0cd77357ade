//! "Reference another user's row by id", for every foreign key of every table in `public`:
//! foreign keys ignore row-level security, so each one must be built so that a row can only
//! point at rows of its own owner. User A tries, with her own JWT, to insert and to update rows
//! of hers that point at user B's rows; every attempt is refused and nothing points at B's rows
//! afterwards. A new foreign key without a case here fails the catalogue check.

use super::{refused, Fixture};
use crate::helpers::postgrest::Auth;
use serde_json::{json, Value};
use uuid::Uuid;

/// One foreign key and how A tries to abuse it.
struct Case {
    /// `table.constraint`, as the catalogue names it.
    key: &'static str,
    table: &'static str,
    /// A's new row, pointing at B's row.
    insert: Value,
    /// A patch of A's existing row that would point it at B's row.
    update: Value,
}

async fn cases(f: &Fixture) -> Vec<Case> {
    let (a, b) = (f.a.id, f.b.id);
    let b_workflow = f.ids_of("mvp_workflows", b).await[0].clone();
    let a_credential = f.ids_of("credentials", a).await[0].clone();
    let a_workflow = f.ids_of("mvp_workflows", a).await[0].clone();
    let b_alert = f.ids_of("alerts", b).await[0].clone();
    let b_credential = f.ids_of("credentials", b).await[0].clone();
    let unique = || Uuid::new_v4().simple().to_string();
    let execution_id = || i64::from(Uuid::new_v4().as_fields().0 >> 1);
    vec![
        Case {
            key: "providers.providers_user_id_fkey",
            table: "providers",
            insert: json!({"id": Uuid::new_v4(), "user_id": b, "name": unique(),
                           "base_url": "http://n8n.example.com", "api_key_ciphertext": "f2.1:x"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "mvp_workflows.mvp_workflows_user_id_fkey",
            table: "mvp_workflows",
            insert: json!({"user_id": b, "provider_id": f.provider_a,
                           "n8n_workflow_id": unique(), "name": "x"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "mvp_workflows.mvp_workflows_provider_id_user_id_fkey",
            table: "mvp_workflows",
            insert: json!({"user_id": a, "provider_id": f.provider_b,
                           "n8n_workflow_id": unique(), "name": "x"}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            key: "executions.executions_user_id_fkey",
            table: "executions",
            insert: json!({"user_id": b, "provider_id": f.provider_a, "n8n_workflow_id": "wf",
                           "n8n_execution_id": execution_id(), "status": "success"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "executions.executions_provider_id_user_id_fkey",
            table: "executions",
            insert: json!({"user_id": a, "provider_id": f.provider_b, "n8n_workflow_id": "wf",
                           "n8n_execution_id": execution_id(), "status": "success"}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            // The hole this file was written for: an execution on A's own provider that names
            // B's workflow would be counted into B's counters.
            key: "executions.executions_workflow_same_owner_fkey",
            table: "executions",
            insert: json!({"user_id": a, "provider_id": f.provider_a, "n8n_workflow_id": "wf",
                           "workflow_id": b_workflow, "n8n_execution_id": execution_id(),
                           "status": "error"}),
            update: json!({"workflow_id": b_workflow}),
        },
        Case {
            key: "sync_logs.sync_logs_user_id_fkey",
            table: "sync_logs",
            insert: json!({"user_id": b, "provider_id": f.provider_a, "sync_type": "manual"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "sync_logs.sync_logs_provider_id_user_id_fkey",
            table: "sync_logs",
            insert: json!({"user_id": a, "provider_id": f.provider_b, "sync_type": "manual"}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            key: "credentials.credentials_user_id_fkey",
            table: "credentials",
            insert: json!({"user_id": b, "name": unique(), "credential_type": "slackApi",
                           "secret_ciphertext": "f2.1:x"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "credential_deployments.credential_deployments_user_id_fkey",
            table: "credential_deployments",
            insert: json!({"user_id": b, "credential_id": a_credential, "provider_id": f.provider_a,
                           "n8n_credential_id": "x", "credential_version": "2026-01-01T00:00:00Z"}),
            update: json!({}),
        },
        Case {
            key: "credential_deployments.credential_deployments_credential_id_user_id_fkey",
            table: "credential_deployments",
            insert: json!({"user_id": a, "credential_id": b_credential, "provider_id": f.provider_a,
                           "n8n_credential_id": "x", "credential_version": "2026-01-01T00:00:00Z"}),
            update: json!({}),
        },
        Case {
            key: "credential_deployments.credential_deployments_provider_id_user_id_fkey",
            table: "credential_deployments",
            insert: json!({"user_id": a, "credential_id": a_credential, "provider_id": f.provider_b,
                           "n8n_credential_id": "x", "credential_version": "2026-01-01T00:00:00Z"}),
            update: json!({}),
        },
        Case {
            key: "conversations.conversations_user_id_fkey",
            table: "conversations",
            insert: json!({"user_id": b, "title": "Chat"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "chat_messages.chat_messages_user_id_fkey",
            table: "chat_messages",
            insert: json!({"user_id": b, "conversation_id": f.conversation(a, 0),
                           "role": "user", "content": "hi"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "chat_messages.chat_messages_conversation_id_user_id_fkey",
            table: "chat_messages",
            insert: json!({"user_id": a, "conversation_id": f.conversation(b, 0),
                           "role": "user", "content": "hi"}),
            update: json!({"conversation_id": f.conversation(b, 0)}),
        },
        Case {
            key: "workflow_deployments.workflow_deployments_user_id_fkey",
            table: "workflow_deployments",
            insert: json!({"user_id": b, "conversation_id": f.conversation(a, 1),
                           "provider_id": f.provider_a}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "workflow_deployments.workflow_deployments_conversation_id_user_id_fkey",
            table: "workflow_deployments",
            insert: json!({"user_id": a, "conversation_id": f.conversation(b, 1),
                           "provider_id": f.provider_a}),
            update: json!({"conversation_id": f.conversation(b, 1)}),
        },
        Case {
            key: "workflow_deployments.workflow_deployments_provider_id_user_id_fkey",
            table: "workflow_deployments",
            insert: json!({"user_id": a, "conversation_id": f.conversation(a, 1),
                           "provider_id": f.provider_b}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            key: "workflow_deployments.workflow_deployments_workflow_id_provider_id_user_id_fkey",
            table: "workflow_deployments",
            insert: json!({"user_id": a, "conversation_id": f.conversation(a, 1),
                           "provider_id": f.provider_a, "workflow_id": b_workflow}),
            update: json!({"workflow_id": b_workflow}),
        },
        Case {
            key: "workflow_health.workflow_health_user_id_fkey",
            table: "workflow_health",
            insert: json!({"user_id": b, "workflow_id": a_workflow, "provider_id": f.provider_a,
                           "status": "ok"}),
            update: json!({}),
        },
        Case {
            key: "workflow_health.workflow_health_workflow_id_provider_id_user_id_fkey",
            table: "workflow_health",
            insert: json!({"user_id": a, "workflow_id": b_workflow, "provider_id": f.provider_b,
                           "status": "critical"}),
            update: json!({}),
        },
        Case {
            key: "alert_channels.alert_channels_user_id_fkey",
            table: "alert_channels",
            insert: json!({"user_id": b, "name": unique(), "kind": "webhook",
                           "target_ciphertext": "f2.1:x"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "alert_rules.alert_rules_user_id_fkey",
            table: "alert_rules",
            insert: json!({"user_id": b, "name": unique(), "kind": "failure"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "alert_rules.alert_rules_provider_id_user_id_fkey",
            table: "alert_rules",
            insert: json!({"user_id": a, "name": unique(), "kind": "unreachable",
                           "provider_id": f.provider_b}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            key: "alert_rules.alert_rules_workflow_id_user_id_fkey",
            table: "alert_rules",
            insert: json!({"user_id": a, "name": unique(), "kind": "failure",
                           "workflow_id": b_workflow}),
            update: json!({"workflow_id": b_workflow}),
        },
        Case {
            key: "alert_rule_channels.alert_rule_channels_user_id_fkey",
            table: "alert_rule_channels",
            insert: json!({"user_id": b, "rule_id": f.alert_refs(a).0,
                           "channel_id": f.alert_refs(a).1}),
            update: json!({}),
        },
        Case {
            key: "alert_rule_channels.alert_rule_channels_rule_id_user_id_fkey",
            table: "alert_rule_channels",
            insert: json!({"user_id": a, "rule_id": f.alert_refs(b).0,
                           "channel_id": f.alert_refs(a).1}),
            update: json!({}),
        },
        Case {
            key: "alert_rule_channels.alert_rule_channels_channel_id_user_id_fkey",
            table: "alert_rule_channels",
            insert: json!({"user_id": a, "rule_id": f.alert_refs(a).0,
                           "channel_id": f.alert_refs(b).1}),
            update: json!({}),
        },
        Case {
            key: "alerts.alerts_user_id_fkey",
            table: "alerts",
            insert: json!({"user_id": b, "rule_id": f.alert_refs(a).0, "subject": unique(),
                           "message": "x"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "alerts.alerts_rule_id_user_id_fkey",
            table: "alerts",
            insert: json!({"user_id": a, "rule_id": f.alert_refs(b).0, "subject": unique(),
                           "message": "x"}),
            update: json!({"rule_id": f.alert_refs(b).0}),
        },
        Case {
            key: "alert_deliveries.alert_deliveries_user_id_fkey",
            table: "alert_deliveries",
            insert: json!({"user_id": b, "channel_id": f.alert_refs(a).1, "event": "test"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "alert_deliveries.alert_deliveries_alert_id_user_id_fkey",
            table: "alert_deliveries",
            insert: json!({"user_id": a, "channel_id": f.alert_refs(a).1, "event": "opened",
                           "alert_id": b_alert}),
            update: json!({"alert_id": b_alert}),
        },
        Case {
            key: "alert_deliveries.alert_deliveries_channel_id_user_id_fkey",
            table: "alert_deliveries",
            insert: json!({"user_id": a, "channel_id": f.alert_refs(b).1, "event": "test"}),
            update: json!({"channel_id": f.alert_refs(b).1}),
        },
        Case {
            key: "execution_periods.execution_periods_user_id_fkey",
            table: "execution_periods",
            insert: json!({"user_id": b, "provider_id": null, "width": "1 day",
                           "starts_at": "2026-01-02T00:00:00Z"}),
            update: json!({"user_id": b}),
        },
        Case {
            key: "execution_periods.execution_periods_provider_id_user_id_fkey",
            table: "execution_periods",
            insert: json!({"user_id": a, "provider_id": f.provider_b, "width": "1 hour",
                           "starts_at": "2026-01-03T05:00:00Z"}),
            update: json!({"provider_id": f.provider_b}),
        },
        Case {
            // Deployment bookkeeping has no owner: signed-in users reach neither table at all.
            key: "n8n_workflow_deployments.n8n_workflow_deployments_workflow_id_fkey",
            table: "n8n_workflow_deployments",
            insert: json!({"workflow_id": "some-workflow", "target_url": "http://n8n.example.com",
                           "target_workflow_id": "x", "deployed_hash": "h"}),
            update: json!({"workflow_id": "some-workflow"}),
        },
    ]
}

/// Rows anywhere in `public` that belong to A but point at one of B's rows (as superuser).
async fn a_rows_pointing_at_b(f: &Fixture) -> i64 {
    f.stack
        .db
        .query_one(
            "select
               (select count(*) from public.mvp_workflows w
                  join public.providers p on p.id = w.provider_id
                 where w.user_id = $1 and p.user_id = $2)
             + (select count(*) from public.executions e
                  join public.providers p on p.id = e.provider_id
                 where e.user_id = $1 and p.user_id = $2)
             + (select count(*) from public.executions e
                  join public.mvp_workflows w on w.id = e.workflow_id
                 where e.user_id = $1 and w.user_id = $2)
             + (select count(*) from public.sync_logs l
                  join public.providers p on p.id = l.provider_id
                 where l.user_id = $1 and p.user_id = $2)
             + (select count(*) from public.chat_messages m
                  join public.conversations c on c.id = m.conversation_id
                 where m.user_id = $1 and c.user_id = $2)
             + (select count(*) from public.workflow_deployments d
                  left join public.conversations c on c.id = d.conversation_id
                  left join public.providers p on p.id = d.provider_id
                  left join public.mvp_workflows w on w.id = d.workflow_id
                 where d.user_id = $1 and $2 in (c.user_id, p.user_id, w.user_id))
             + (select count(*) from public.credential_deployments d
                  join public.credentials c on c.id = d.credential_id
                  join public.providers p on p.id = d.provider_id
                 where d.user_id = $1 and $2 in (c.user_id, p.user_id))
             + (select count(*) from public.alerts l
                  join public.alert_rules r on r.id = l.rule_id
                 where l.user_id = $1 and r.user_id = $2)
             + (select count(*) from public.alert_deliveries d
                  join public.alert_channels c on c.id = d.channel_id
                 where d.user_id = $1 and c.user_id = $2)
             + (select count(*) from public.execution_periods k
                  join public.providers p on p.id = k.provider_id
                 where k.user_id = $1 and p.user_id = $2)
             + (select count(*) from public.alert_rules r
                  left join public.providers p on p.id = r.provider_id
                  left join public.mvp_workflows w on w.id = r.workflow_id
                 where r.user_id = $1 and $2 in (p.user_id, w.user_id))",
            &[&f.a.id, &f.b.id],
        )
        .await
        .expect("count")
        .get(0)
}

#[tokio::test]
async fn no_foreign_key_lets_a_user_point_her_rows_at_another_users_rows() {
    let f = Fixture::new().await;
    let a = Auth::Bearer(f.a.token.clone());
    let cases = cases(&f).await;
    for case in &cases {
        let reply = f.rest.insert(case.table, &a, case.insert.clone()).await;
        assert!(
            refused(&reply),
            "{}: insert pointing at B: {reply:?}",
            case.key
        );
        // Tables keyed by something other than `id`: their inserts are the attack.
        let own = match case.table {
            "n8n_workflow_deployments"
            | "credential_deployments"
            | "workflow_health"
            | "alert_rule_channels" => Vec::new(),
            table => f.ids_of(table, f.a.id).await,
        };
        if let Some(id) = own.first() {
            let reply = f
                .rest
                .update(
                    &format!("{}?id=eq.{id}", case.table),
                    &a,
                    case.update.clone(),
                )
                .await;
            assert!(
                refused(&reply),
                "{}: update pointing at B: {reply:?}",
                case.key
            );
        }
    }
    assert_eq!(a_rows_pointing_at_b(&f).await, 0);
    let b_rows = f.ids_of("providers", f.b.id).await.len();
    assert_eq!(b_rows, 1, "B's data is still only B's");

    // Every foreign key in `public` has a case above.
    let keys: Vec<String> = f
        .stack
        .db
        .query(
            "select conrelid::regclass::text || '.' || conname from pg_constraint
             where contype = 'f' and connamespace = 'public'::regnamespace
             order by 1",
            &[],
        )
        .await
        .expect("catalogue")
        .iter()
        .map(|row| {
            row.get::<_, String>(0)
                .trim_start_matches("public.")
                .to_string()
        })
        .collect();
    let mut covered: Vec<String> = cases.iter().map(|c| c.key.to_string()).collect();
    covered.sort();
    assert_eq!(keys, covered, "each foreign key needs its attack case");
}

#[tokio::test]
async fn an_execution_pointing_at_another_users_workflow_never_reaches_their_counters() {
    let f = Fixture::new().await;
    let b_workflow: Uuid = f.ids_of("mvp_workflows", f.b.id).await[0].parse().unwrap();
    let counters = || async {
        f.stack
            .db
            .query_one(
                "select to_jsonb(w) - 'updated_at' from public.mvp_workflows w where id = $1",
                &[&b_workflow],
            )
            .await
            .unwrap()
            .get::<_, Value>(0)
    };
    let before = counters().await;
    // Through the sync's own door: A ingests a page on her provider naming B's n8n workflow id.
    let b_n8n_id: String = f
        .stack
        .db
        .query_one(
            "select n8n_workflow_id from public.mvp_workflows where id = $1",
            &[&b_workflow],
        )
        .await
        .unwrap()
        .get(0);
    let page = json!([{"n8n_execution_id": 990001, "n8n_workflow_id": b_n8n_id,
                       "status": "error", "mode": "webhook",
                       "started_at": "2099-01-01T00:00:00Z"}]);
    let reply = f
        .rest
        .send(
            reqwest::Method::POST,
            "rpc/ingest_executions",
            &Auth::Bearer(f.a.token.clone()),
            Some(json!({"p_provider_id": f.provider_a, "p_rows": page})),
            "",
        )
        .await;
    assert!(
        reply.status.is_success(),
        "A may ingest on her own provider: {reply:?}"
    );
    // The service role (cron) recounts B's workflow: nothing of A's is in it.
    f.stack
        .db
        .execute(
            "select public.recompute_workflow_counters(array[$1::uuid])",
            &[&b_workflow],
        )
        .await
        .unwrap();
    assert_eq!(counters().await, before, "B's counters are untouched");
    let linked: i64 = f
        .stack
        .db
        .query_one(
            "select count(*) from public.executions where n8n_execution_id = 990001
               and workflow_id is not null",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        linked, 0,
        "A's execution is linked to no one else's workflow"
    );
}
