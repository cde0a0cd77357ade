//! One user against another user's rows, per table: reads, writes, upserts and deletes.

use super::{conflict_target, patch_for, refused, Fixture};
use serde_json::{json, Value};

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
    // (Rows that hang on no instance are tried against other owners' rows in `references`.)
    let on_an_instance = [
        "mvp_workflows",
        "executions",
        "sync_logs",
        "workflow_deployments",
    ];
    if on_an_instance.contains(&table) {
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
async fn user_a_never_reaches_user_b_credentials() {
    user_a_never_reaches_user_b_rows_in("credentials").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_conversations() {
    user_a_never_reaches_user_b_rows_in("conversations").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_chat_messages() {
    user_a_never_reaches_user_b_rows_in("chat_messages").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_workflow_deployments() {
    user_a_never_reaches_user_b_rows_in("workflow_deployments").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_alert_channels() {
    user_a_never_reaches_user_b_rows_in("alert_channels").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_alert_rules() {
    user_a_never_reaches_user_b_rows_in("alert_rules").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_alerts() {
    user_a_never_reaches_user_b_rows_in("alerts").await;
}

#[tokio::test]
async fn user_a_never_reaches_user_b_alert_deliveries() {
    user_a_never_reaches_user_b_rows_in("alert_deliveries").await;
}
