//! The resumable backfill's two RPCs: a user can neither move another user's watermark or
//! stored pass, nor learn which execution ids another user's instance holds.

use super::{call, refused, Fixture};
use crate::helpers::postgrest::Auth;
use serde_json::{json, Value};

#[tokio::test]
async fn another_users_pass_and_watermark_cannot_be_saved_or_its_gaps_read() {
    let f = Fixture::new().await;
    let a = f.user(&f.a);
    let state = |provider| {
        let db = &f.stack.db;
        async move {
            let row = db
                .query_one(
                    "select exec_watermark, backfill_cursor from public.providers where id = $1",
                    &[&provider],
                )
                .await
                .unwrap();
            (row.get::<_, i64>(0), row.get::<_, Option<String>>(1))
        }
    };
    let save = json!({"p_provider_id": f.provider_b, "p_cursor": "hijack", "p_low": 1,
                      "p_top": 5, "p_watermark": 999});
    let reply = call(&f, "save_listing_progress", &a, save).await;
    assert!(refused(&reply), "A cannot save B's pass: {reply:?}");
    assert_eq!(reply.code(), Some("P0002"));
    assert_eq!(
        state(f.provider_b).await,
        (0, None),
        "B's provider unchanged"
    );

    let gaps = json!({"p_provider_id": f.provider_b, "p_from": 1, "p_to": 100, "p_limit": 10});
    let reply = call(&f, "execution_gaps", &a, gaps.clone()).await;
    assert!(refused(&reply), "A cannot read B's gaps: {reply:?}");
    assert_eq!(reply.code(), Some("P0002"));
    let reply = call(&f, "execution_gaps", &Auth::None, gaps).await;
    assert!(refused(&reply), "anon cannot call it: {reply:?}");

    // Her own: saved, and the watermark only ever rises.
    let own = json!({"p_provider_id": f.provider_a, "p_cursor": "c", "p_low": 3, "p_top": 9,
                     "p_watermark": 2});
    let reply = call(&f, "save_listing_progress", &a, own).await;
    assert!(reply.status.is_success(), "{reply:?}");
    assert_eq!(state(f.provider_a).await, (2, Some("c".into())));
    let lower = json!({"p_provider_id": f.provider_a, "p_watermark": 1});
    let reply = call(&f, "save_listing_progress", &a, lower).await;
    assert!(reply.status.is_success(), "{reply:?}");
    assert_eq!(
        state(f.provider_a).await,
        (2, None),
        "cleared, never lowered"
    );

    // A malformed pass is refused by the table's checks, not stored.
    let inverted = json!({"p_provider_id": f.provider_a, "p_cursor": "c", "p_low": 9, "p_top": 3});
    let reply = call(&f, "save_listing_progress", &a, inverted).await;
    assert!(!reply.status.is_success(), "{reply:?}");
    assert_eq!(state(f.provider_a).await, (2, None));
}

#[tokio::test]
async fn the_gaps_are_the_ids_the_database_does_not_hold() {
    let f = Fixture::new().await;
    for id in [3_i64, 4, 7, 10] {
        f.stack
            .db
            .execute(
                "insert into public.executions (user_id, provider_id, n8n_workflow_id,
                   n8n_execution_id, status) values ($1, $2, 'wf', $3, 'success')",
                &[&f.a.id, &f.provider_a, &id],
            )
            .await
            .unwrap();
    }
    let a = f.user(&f.a);
    let gaps = |from: i64, to: i64, limit: i32| {
        let body = json!({"p_provider_id": f.provider_a, "p_from": from, "p_to": to,
                          "p_limit": limit});
        let (f, a) = (&f, &a);
        async move {
            let reply = call(f, "execution_gaps", a, body).await;
            assert!(reply.status.is_success(), "{reply:?}");
            // A set of scalars: PostgREST sends the values, postrust one object per row.
            let ids: Vec<Value> = reply
                .rows()
                .into_iter()
                .map(|row| row.get("execution_gaps").cloned().unwrap_or(row))
                .collect();
            Value::from(ids)
        }
    };
    assert_eq!(gaps(1, 12, 100).await, json!([1, 2, 5, 6, 8, 9, 11, 12]));
    assert_eq!(gaps(4, 10, 100).await, json!([5, 6, 8, 9]));
    assert_eq!(gaps(1, 12, 3).await, json!([1, 2, 5]));
    assert_eq!(gaps(3, 4, 10).await, json!([]));
}
