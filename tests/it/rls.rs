//! The row-level-security matrix, through PostgREST over HTTP with real JWTs: every table ×
//! select/insert/update/delete/upsert × {user A, user B, anon, service_role, expired, forged}.

use crate::helpers::postgrest::{Auth, Reply, Rest};
use crate::helpers::{spawn_stack, TestStack, TestUser};
use serde_json::{json, Value};
use uuid::Uuid;

/// The tables that hold one user's data (each has `user_id`).
const USER_TABLES: [&str; 4] = ["providers", "mvp_workflows", "executions", "sync_logs"];

struct Fixture {
    stack: TestStack,
    rest: Rest,
    a: TestUser,
    b: TestUser,
    provider_a: Uuid,
    provider_b: Uuid,
}

impl Fixture {
    async fn new() -> Fixture {
        let stack = spawn_stack().await;
        let rest = Rest::new(&stack.postgrest_url);
        let a = stack.create_user("a@example.com").await;
        let b = stack.create_user("b@example.com").await;
        let provider_a = seed_provider(&stack, a.id).await;
        let provider_b = seed_provider(&stack, b.id).await;
        let fixture = Fixture {
            stack,
            rest,
            a,
            b,
            provider_a,
            provider_b,
        };
        for user in [&fixture.a, &fixture.b] {
            let provider = fixture.provider_of(user);
            for table in ["mvp_workflows", "executions", "sync_logs"] {
                let body = fixture.new_row(table, user.id, provider);
                fixture.superuser_insert(table, &body).await;
            }
        }
        fixture
    }

    fn provider_of(&self, user: &TestUser) -> Uuid {
        if user.id == self.a.id {
            self.provider_a
        } else {
            self.provider_b
        }
    }

    /// A valid new row of `table` for `owner` on `provider`.
    fn new_row(&self, table: &str, owner: Uuid, provider: Uuid) -> Value {
        let unique = Uuid::new_v4().simple().to_string();
        match table {
            "providers" => json!({"user_id": owner, "name": format!("n8n {unique}"),
                                  "base_url": "http://n8n.example.com", "api_key_ciphertext": "v1:x"}),
            "mvp_workflows" => json!({"user_id": owner, "provider_id": provider,
                                      "n8n_workflow_id": unique, "name": "Workflow"}),
            "executions" => {
                json!({"user_id": owner, "provider_id": provider, "n8n_workflow_id": "wf",
                                   "n8n_execution_id": rand_id(), "status": "success"})
            }
            "sync_logs" => {
                json!({"user_id": owner, "provider_id": provider, "sync_type": "manual"})
            }
            "migration_metadata" => {
                json!({"migration_file": format!("{unique}.sql"), "source": "dev"})
            }
            other => panic!("no row shape for {other}"),
        }
    }

    async fn superuser_insert(&self, table: &str, row: &Value) {
        // Only the given columns, so the others take their defaults (ids, timestamps).
        let columns: Vec<&String> = row.as_object().expect("row object").keys().collect();
        let list = columns
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        self.stack
            .db
            .execute(
                &format!(
                    "insert into public.{table} ({list}) select {list}
                     from json_populate_record(null::public.{table}, $1::text::json)"
                ),
                &[&row.to_string()],
            )
            .await
            .unwrap_or_else(|e| panic!("seed {table}: {e:?}"));
    }

    /// Ids of `owner`'s rows in `table`, read as superuser (the ground truth).
    async fn ids_of(&self, table: &str, owner: Uuid) -> Vec<String> {
        self.stack
            .db
            .query(
                &format!("select id::text from public.{table} where user_id = $1 order by id"),
                &[&owner],
            )
            .await
            .expect("superuser select")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// A row of `table` as superuser, to compare before/after an attempted change.
    async fn snapshot(&self, table: &str, id: &str) -> Option<String> {
        self.stack
            .db
            .query_opt(
                &format!("select to_jsonb(t)::text from public.{table} t where id::text = $1"),
                &[&id],
            )
            .await
            .expect("snapshot")
            .map(|r| r.get(0))
    }

    fn user(&self, user: &TestUser) -> Auth {
        Auth::Bearer(user.token.clone())
    }
}

async fn seed_provider(stack: &TestStack, owner: Uuid) -> Uuid {
    stack
        .db
        .query_one(
            "insert into public.providers (user_id, name, base_url, api_key_ciphertext)
             values ($1, 'main', 'http://n8n.example.com', 'v1:x') returning id",
            &[&owner],
        )
        .await
        .expect("seed provider")
        .get(0)
}

fn rand_id() -> i64 {
    i64::from(Uuid::new_v4().as_fields().0 >> 1)
}

fn refused(reply: &Reply) -> bool {
    // postrust answers an RLS/privilege refusal with 401 where PostgREST answers 403; the
    // PostgreSQL code is what both agree on.
    !reply.status.is_success()
}

fn conflict_target(table: &str) -> &'static str {
    match table {
        "mvp_workflows" => "provider_id,n8n_workflow_id",
        "executions" => "provider_id,n8n_execution_id",
        _ => "id",
    }
}

async fn user_a_never_reaches_user_b_rows_in(table: &str) {
    let f = Fixture::new().await;
    let a = f.user(&f.a);
    let b_ids = f.ids_of(table, f.b.id).await;
    let a_ids = f.ids_of(table, f.a.id).await;
    assert!(
        !b_ids.is_empty() && !a_ids.is_empty(),
        "{table}: both users have rows"
    );

    // select: only A's own rows, and B's row by id is simply not there.
    let reply = f
        .rest
        .select(&format!("{table}?select=id,user_id"), &a)
        .await;
    assert!(reply.status.is_success(), "{table}: A may read: {reply:?}");
    let seen: Vec<String> = reply
        .rows()
        .iter()
        .map(|r| r["id"].to_string().trim_matches('"').to_string())
        .collect();
    assert_eq!(sorted(seen), a_ids, "{table}: A sees exactly her rows");
    let reply = f
        .rest
        .select(&format!("{table}?id=eq.{}", b_ids[0]), &a)
        .await;
    assert_eq!(
        reply.rows(),
        Vec::<Value>::new(),
        "{table}: B's row is invisible to A"
    );

    // insert: her own row works; a row for B, or on B's provider, is refused and not created.
    let own = f.new_row(table, f.a.id, f.provider_a);
    let reply = f.rest.insert(table, &a, own).await;
    assert_eq!(
        reply.status.as_u16(),
        201,
        "{table}: A inserts her own row: {reply:?}"
    );
    let for_b = f.new_row(table, f.b.id, f.provider_b);
    let reply = f.rest.insert(table, &a, for_b).await;
    assert!(
        refused(&reply),
        "{table}: A cannot create B's row: {reply:?}"
    );
    assert_eq!(
        reply.code(),
        Some("42501"),
        "{table}: refused by RLS: {reply:?}"
    );
    if table != "providers" {
        let on_b_provider = f.new_row(table, f.a.id, f.provider_b);
        let reply = f.rest.insert(table, &a, on_b_provider).await;
        assert!(
            refused(&reply),
            "{table}: A cannot attach a row to B's provider: {reply:?}"
        );
    }
    assert_eq!(
        f.ids_of(table, f.b.id).await,
        b_ids,
        "{table}: B's rows unchanged after inserts"
    );

    // update: B's row is out of reach; her own row cannot be handed over to B.
    let before = f.snapshot(table, &b_ids[0]).await;
    let patch = patch_for(table);
    let reply = f
        .rest
        .update(&format!("{table}?id=eq.{}", b_ids[0]), &a, patch.clone())
        .await;
    assert_eq!(
        reply.rows(),
        Vec::<Value>::new(),
        "{table}: A updates none of B's rows: {reply:?}"
    );
    assert_eq!(
        f.snapshot(table, &b_ids[0]).await,
        before,
        "{table}: B's row unchanged"
    );
    let reply = f
        .rest
        .update(
            &format!("{table}?id=eq.{}", a_ids[0]),
            &a,
            json!({"user_id": f.b.id}),
        )
        .await;
    assert!(
        refused(&reply),
        "{table}: A cannot give her row to B: {reply:?}"
    );

    // upsert onto B's row (same conflict key) must neither read nor change it.
    let mut clash = f.snapshot_json(table, &b_ids[0]).await;
    clash["user_id"] = json!(f.a.id);
    strip_generated(&mut clash);
    let reply = f
        .rest
        .upsert(
            &format!("{table}?on_conflict={}", conflict_target(table)),
            &a,
            clash,
        )
        .await;
    assert!(
        refused(&reply),
        "{table}: an upsert colliding with B's row is refused: {reply:?}"
    );
    assert_eq!(
        f.snapshot(table, &b_ids[0]).await,
        before,
        "{table}: B's row unchanged after upsert"
    );

    // delete: B's rows stay.
    let reply = f
        .rest
        .delete(&format!("{table}?id=eq.{}", b_ids[0]), &a)
        .await;
    assert_eq!(
        reply.rows(),
        Vec::<Value>::new(),
        "{table}: A deletes none of B's rows"
    );
    let reply = f
        .rest
        .delete(&format!("{table}?user_id=eq.{}", f.b.id), &a)
        .await;
    assert_eq!(
        reply.rows(),
        Vec::<Value>::new(),
        "{table}: not even by filtering on B's id"
    );
    assert_eq!(
        f.ids_of(table, f.b.id).await,
        b_ids,
        "{table}: B's rows all still there"
    );

    // And B, symmetrically, sees none of A's rows.
    let reply = f
        .rest
        .select(
            &format!("{table}?select=id&user_id=eq.{}", f.a.id),
            &f.user(&f.b),
        )
        .await;
    assert_eq!(
        reply.rows(),
        Vec::<Value>::new(),
        "{table}: B sees none of A's rows"
    );
}

impl Fixture {
    async fn snapshot_json(&self, table: &str, id: &str) -> Value {
        serde_json::from_str(&self.snapshot(table, id).await.expect("row exists")).expect("json")
    }
}

fn strip_generated(row: &mut Value) {
    let object = row.as_object_mut().expect("row object");
    for column in ["created_at", "updated_at"] {
        object.remove(column);
    }
    // executions.id is GENERATED ALWAYS; the conflict is on (provider_id, n8n_execution_id).
    if object.contains_key("n8n_execution_id") {
        object.remove("id");
    }
}

fn patch_for(table: &str) -> Value {
    match table {
        "providers" => json!({"name": "hijacked"}),
        "mvp_workflows" => json!({"name": "hijacked", "execution_count": 999}),
        "executions" => json!({"status": "error"}),
        "sync_logs" => json!({"status": "error", "error_message": "hijacked"}),
        other => panic!("no patch for {other}"),
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn user_a_never_reaches_user_b_providers() {
    user_a_never_reaches_user_b_rows_in("providers").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_workflows() {
    user_a_never_reaches_user_b_rows_in("mvp_workflows").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_executions() {
    user_a_never_reaches_user_b_rows_in("executions").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_sync_logs() {
    user_a_never_reaches_user_b_rows_in("sync_logs").await;
}

#[tokio::test]
async fn anon_and_bad_tokens_get_nothing_from_any_table() {
    let f = Fixture::new().await;
    let expired = Auth::Bearer(f.stack.token_for(f.a.id, &f.a.email, -60));
    let forged = Auth::Bearer(
        xtask::jwt::user_token(
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
    let forged_token = xtask::jwt::user_token(
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
