//! Everyone who is not the row's owner: anon, expired and forged tokens, service_role, and
//! the tables and functions around the user data.

use super::{conflict_target, patch_for, refused, Fixture, USER_TABLES};
use crate::helpers::postgrest::Auth;
use crate::helpers::spawn_stack;
use serde_json::json;

#[tokio::test]
async fn anon_and_bad_tokens_get_nothing_from_any_table() {
    let f = Fixture::new().await;
    let expired = Auth::Bearer(f.stack.token_for(f.a.id, &f.a.email, -60));
    let forged = Auth::Bearer(
        flowpulse_stack::jwt::user_token(
            "another-secret-another-secret-0123456789",
            f.a.id,
            &f.a.email,
            3600,
        )
        .unwrap(),
    );
    let anon_key = Auth::Bearer(f.stack.anon_key.clone());
    let callers = [
        ("no token", Auth::None),
        ("anon key", anon_key),
        ("expired", expired),
        ("forged", forged),
    ];
    let tables = USER_TABLES.iter().copied().chain(["migration_metadata"]);
    for table in tables {
        let some_id = f.ids_of_any(table).await;
        let before = f
            .stack
            .db
            .query_one(&format!("select count(*) from public.{table}"), &[])
            .await
            .unwrap();
        let before: i64 = before.get(0);
        for (who, auth) in &callers {
            let reply = f.rest.select(&format!("{table}?select=*"), auth).await;
            assert!(refused(&reply), "{who} must not read {table}: {reply:?}");
            let row = f.new_row(table, f.a.id, f.provider_a);
            assert!(
                refused(&f.rest.insert(table, auth, row.clone()).await),
                "{who} must not insert into {table}"
            );
            assert!(
                refused(
                    &f.rest
                        .upsert(
                            &format!("{table}?on_conflict={}", conflict_target(table)),
                            auth,
                            row
                        )
                        .await
                ),
                "{who} must not upsert into {table}"
            );
            let filter = format!("{table}?{}=eq.{some_id}", key_column(table));
            assert!(
                refused(
                    &f.rest
                        .update(&filter, auth, json!({"created_at": "2020-01-01T00:00:00Z"}))
                        .await
                ),
                "{who} must not update {table}"
            );
            assert!(
                refused(&f.rest.delete(&filter, auth).await),
                "{who} must not delete from {table}"
            );
        }
        let after: i64 = f
            .stack
            .db
            .query_one(&format!("select count(*) from public.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(before, after, "{table}: nothing was created or removed");
    }
    // The tokens are refused by PostgREST itself, with the codes clients rely on.
    let expired = f
        .rest
        .select(
            "providers",
            &Auth::Bearer(f.stack.token_for(f.a.id, &f.a.email, -60)),
        )
        .await;
    assert_eq!(
        (expired.status.as_u16(), expired.code()),
        (401, Some("PGRST303"))
    );
    let forged_token = flowpulse_stack::jwt::user_token(
        "another-secret-another-secret-0123456789",
        f.a.id,
        &f.a.email,
        3600,
    )
    .unwrap();
    let forged = f
        .rest
        .select("providers", &Auth::Bearer(forged_token))
        .await;
    assert_eq!(
        (forged.status.as_u16(), forged.code()),
        (401, Some("PGRST301"))
    );
}

impl Fixture {
    async fn ids_of_any(&self, table: &str) -> String {
        if table == "migration_metadata" {
            self.superuser_insert(table, &self.new_row(table, self.a.id, self.provider_a))
                .await;
        }
        let column = key_column(table);
        self.stack
            .db
            .query_one(
                &format!("select {column}::text from public.{table} limit 1"),
                &[],
            )
            .await
            .expect("a row")
            .get(0)
    }
}

fn key_column(table: &str) -> &'static str {
    if table == "migration_metadata" {
        "migration_file"
    } else {
        "id"
    }
}

#[tokio::test]
async fn service_role_reads_and_writes_every_users_rows() {
    let f = Fixture::new().await;
    let service = Auth::Bearer(f.stack.service_role_key.clone());
    for table in USER_TABLES {
        let all = f.rest.select(&format!("{table}?select=id"), &service).await;
        let expected = f.ids_of(table, f.a.id).await.len() + f.ids_of(table, f.b.id).await.len();
        assert_eq!(
            all.rows().len(),
            expected,
            "{table}: service_role sees both users' rows"
        );
        let row = f.new_row(table, f.b.id, f.provider_b);
        assert_eq!(
            f.rest.insert(table, &service, row).await.status.as_u16(),
            201,
            "{table}: insert for B"
        );
        let b_id = f.ids_of(table, f.b.id).await[0].clone();
        let reply = f
            .rest
            .update(&format!("{table}?id=eq.{b_id}"), &service, patch_for(table))
            .await;
        assert_eq!(
            reply.rows().len(),
            1,
            "{table}: service_role updates B's row: {reply:?}"
        );
    }
    // Deleting B's provider cascades through her workflows, executions and logs.
    let reply = f
        .rest
        .delete(&format!("providers?id=eq.{}", f.provider_b), &service)
        .await;
    assert_eq!(reply.rows().len(), 1);
    for table in ["mvp_workflows", "executions", "sync_logs"] {
        let left: Vec<String> = f.ids_of(table, f.b.id).await;
        let on_provider: i64 = f
            .stack
            .db
            .query_one(
                &format!("select count(*) from public.{table} where provider_id = $1"),
                &[&f.provider_b],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            on_provider, 0,
            "{table}: rows of a deleted provider go with it ({left:?})"
        );
    }
    let meta = f.new_row("migration_metadata", f.a.id, f.provider_a);
    assert_eq!(
        f.rest
            .insert("migration_metadata", &service, meta)
            .await
            .status
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn signed_in_users_cannot_touch_migration_metadata() {
    let f = Fixture::new().await;
    let a = f.user(&f.a);
    let key = f.ids_of_any("migration_metadata").await;
    assert!(refused(&f.rest.select("migration_metadata", &a).await));
    let row = f.new_row("migration_metadata", f.a.id, f.provider_a);
    assert!(refused(&f.rest.insert("migration_metadata", &a, row).await));
    assert!(refused(
        &f.rest
            .update(
                &format!("migration_metadata?migration_file=eq.{key}"),
                &a,
                json!({"notes": "x"})
            )
            .await
    ));
    assert!(refused(
        &f.rest
            .delete(&format!("migration_metadata?migration_file=eq.{key}"), &a)
            .await
    ));
}

#[tokio::test]
async fn rpc_functions_only_act_on_the_callers_own_providers() {
    let f = Fixture::new().await;
    let a = f.user(&f.a);
    let page = json!({"p_provider_id": f.provider_b, "p_new_watermark": 10, "p_rows": [
        {"n8n_execution_id": 1, "n8n_workflow_id": "wf", "status": "success", "mode": "webhook"}]});
    let reply = f
        .rest
        .send(
            reqwest::Method::POST,
            "rpc/ingest_executions",
            &a,
            Some(page),
            "",
        )
        .await;
    assert!(
        refused(&reply),
        "A cannot ingest into B's provider: {reply:?}"
    );
    assert_eq!(reply.code(), Some("P0002"));
    let watermark: i64 = f
        .stack
        .db
        .query_one(
            "select exec_watermark from public.providers where id = $1",
            &[&f.provider_b],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(watermark, 0, "B's watermark did not move");
    let reply = f
        .rest
        .send(
            reqwest::Method::POST,
            "rpc/sync_stats",
            &Auth::None,
            Some(json!({})),
            "",
        )
        .await;
    assert!(refused(&reply), "anon cannot call RPCs: {reply:?}");
    let reply = f
        .rest
        .send(
            reqwest::Method::POST,
            "rpc/sync_stats",
            &a,
            Some(json!({})),
            "",
        )
        .await;
    assert!(
        reply.status.is_success(),
        "A reads her own stats: {reply:?}"
    );
    let providers: Vec<String> = reply
        .rows()
        .iter()
        .map(|r| r["provider_id"].to_string())
        .collect();
    assert!(
        providers
            .iter()
            .all(|p| p.contains(&f.provider_a.to_string())),
        "only A's providers: {providers:?}"
    );
}

#[tokio::test]
async fn every_public_table_has_row_level_security() {
    let stack = spawn_stack().await;
    let rows = stack
        .db
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity",
            &[],
        )
        .await
        .unwrap();
    let without: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        without,
        Vec::<String>::new(),
        "tables in public without RLS"
    );
    // Views must not bypass it either: each runs with the caller's rights.
    let views = stack
        .db
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind = 'v'
               and not coalesce('security_invoker=true' = any (c.reloptions), false)",
            &[],
        )
        .await
        .unwrap();
    let definer_views: Vec<String> = views.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        definer_views,
        Vec::<String>::new(),
        "views in public that bypass RLS"
    );
}
