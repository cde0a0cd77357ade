//! The queue consumer's sync claim: a user cannot claim (and so hold up) another user's
//! provider, nor find out whether it exists; the owner's own claim is exclusive until it ends.

use super::{call, refused, Fixture};
use crate::helpers::postgrest::Auth;
use serde_json::json;
use uuid::Uuid;

async fn claimed_until(f: &Fixture, provider: Uuid) -> Option<chrono::DateTime<chrono::Utc>> {
    f.stack
        .db
        .query_one(
            "select sync_claimed_until from public.providers where id = $1",
            &[&provider],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn another_users_provider_cannot_be_claimed_and_a_claim_is_exclusive_until_it_expires() {
    let f = Fixture::new().await;
    let a = f.user(&f.a);
    let claim =
        |provider: Uuid, seconds: i32| json!({"p_provider_id": provider, "p_seconds": seconds});

    let reply = call(&f, "claim_provider_sync", &a, claim(f.provider_b, 900)).await;
    assert_eq!(
        reply.body,
        json!(false),
        "A cannot claim B's provider: {reply:?}"
    );
    assert_eq!(
        claimed_until(&f, f.provider_b).await,
        None,
        "B's provider unchanged"
    );
    let unknown = call(&f, "claim_provider_sync", &a, claim(Uuid::new_v4(), 60)).await;
    assert_eq!(
        unknown.body, reply.body,
        "another user's provider reads as no provider"
    );
    let anon = call(
        &f,
        "claim_provider_sync",
        &Auth::None,
        claim(f.provider_b, 60),
    )
    .await;
    assert!(refused(&anon), "anon cannot call it: {anon:?}");

    // Her own: claimed once, not again while it runs, and never for longer than an invocation.
    let first = call(&f, "claim_provider_sync", &a, claim(f.provider_a, 60)).await;
    assert_eq!(first.body, json!(true), "{first:?}");
    let second = call(&f, "claim_provider_sync", &a, claim(f.provider_a, 60)).await;
    assert_eq!(
        second.body,
        json!(false),
        "a running claim is exclusive: {second:?}"
    );
    let endless = call(&f, "claim_provider_sync", &a, claim(f.provider_a, 86_400)).await;
    assert_eq!(endless.code(), Some("22023"), "{endless:?}");

    // An expired claim (its consumer died) is free again.
    f.stack
        .db
        .execute(
            "update public.providers set sync_claimed_until = now() - interval '1 second'
             where id = $1",
            &[&f.provider_a],
        )
        .await
        .unwrap();
    let again = call(&f, "claim_provider_sync", &a, claim(f.provider_a, 60)).await;
    assert_eq!(again.body, json!(true), "{again:?}");
}
