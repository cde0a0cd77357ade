//! Credentials through the app: encrypted bound to their row, only a hint ever shown, an empty
//! secret on edit keeps the stored one, and another user can neither see, edit nor delete them
//! — at PostgREST with their own JWT, nor through the app with their own cookie.

use super::{post, save_credential, signed_up};
use crate::helpers::postgrest::{Auth, Rest};
use crate::security::app_site::site;
use flowpulse_core::crypto::{KeyRing, SecretBinding, CURRENT_KEY_VERSION};
use serde_json::{json, Value};
use uuid::Uuid;

const TOKEN: &str = "xoxb-1111-2222-secret-9f3k";

/// (id, type, ciphertext, hint, name) of the one credential in the database.
async fn stored(
    site: &crate::security::app_site::AppSite,
) -> (Uuid, String, String, String, String) {
    let row = site
        .stack
        .db
        .query_one(
            "select id, credential_type, secret_ciphertext, hint, name from public.credentials",
            &[],
        )
        .await
        .expect("exactly one credential");
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

fn open(
    site: &crate::security::app_site::AppSite,
    id: Uuid,
    kind: &str,
    ciphertext: &str,
) -> Option<Value> {
    let keys = KeyRing::from_base64(CURRENT_KEY_VERSION, &site.stack.encryption_key).unwrap();
    let text = keys
        .decrypt(ciphertext, &SecretBinding::credential(id, kind))
        .ok()?;
    serde_json::from_str(&text).ok()
}

#[tokio::test]
async fn a_credential_saved_in_the_app_is_encrypted_bound_to_its_row_and_never_shown() {
    let s = site().await;
    let cookie = signed_up(&s, "cred@example.com").await;
    let reply = save_credential(
        &s,
        &cookie,
        "",
        "Team Slack",
        "slackApi",
        &[("accessToken", TOKEN)],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());

    let (id, kind, ciphertext, hint, _) = stored(&s).await;
    assert_eq!(kind, "slackApi");
    assert!(ciphertext.starts_with("f2."), "{ciphertext}");
    assert!(!ciphertext.contains(TOKEN));
    assert_eq!(
        open(&s, id, "slackApi", &ciphertext),
        Some(json!({"accessToken": TOKEN}))
    );
    // Bound to its row and type: under any other binding it does not decrypt.
    assert_eq!(open(&s, Uuid::new_v4(), "slackApi", &ciphertext), None);
    assert_eq!(open(&s, id, "telegramApi", &ciphertext), None);
    assert_eq!(
        hint, "9f3k",
        "at most the last four characters are kept in the clear"
    );

    for page in [
        "/credentials".to_string(),
        format!("/credentials?edit={id}"),
        "/chat".to_string(),
        "/".to_string(),
    ] {
        let html = s.client.page(&page, Some(&cookie)).await;
        assert!(!html.contains(&ciphertext), "{page} shows the ciphertext");
        assert!(
            !html.contains("secret-9f3k") && !html.contains("xoxb-1111"),
            "{page} shows the token"
        );
        if page.starts_with("/credentials") {
            assert!(html.contains("••••9f3k"), "{page} shows the hint");
        }
    }
}

#[tokio::test]
async fn editing_with_an_empty_secret_keeps_it_and_a_new_type_needs_every_field() {
    let s = site().await;
    let cookie = signed_up(&s, "edit@example.com").await;
    let reply = save_credential(
        &s,
        &cookie,
        "",
        "Team Slack",
        "slackApi",
        &[("accessToken", TOKEN)],
    )
    .await;
    assert_eq!(reply.status(), 200);
    let (id, _, before, _, _) = stored(&s).await;

    let reply = save_credential(
        &s,
        &cookie,
        &id.to_string(),
        "Sales Slack",
        "slackApi",
        &[("accessToken", "")],
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    let (_, _, after, hint, name) = stored(&s).await;
    assert_eq!(name, "Sales Slack");
    assert_eq!(
        open(&s, id, "slackApi", &after),
        Some(json!({"accessToken": TOKEN}))
    );
    assert_eq!(hint, "9f3k");
    assert_ne!(before, after, "re-encrypted with a fresh nonce");

    // Another type: nothing of the old fields carries over.
    let reply = save_credential(
        &s,
        &cookie,
        &id.to_string(),
        "Sales Slack",
        "httpHeaderAuth",
        &[("name", ""), ("value", "")],
    )
    .await;
    assert_eq!(reply.status(), 400);
    let text = reply.text().await.unwrap();
    assert!(
        text.contains("Fill in: Header name, Header value."),
        "{text}"
    );
    let (_, kind, unchanged, _, _) = stored(&s).await;
    assert_eq!((kind.as_str(), unchanged), ("slackApi", after));

    // A required field left out of a new credential is named.
    let reply = save_credential(
        &s,
        &cookie,
        "",
        "Mailer",
        "smtp",
        &[("host", ""), ("port", "465"), ("secure", "true")],
    )
    .await;
    assert_eq!(reply.status(), 400);
    assert!(reply.text().await.unwrap().contains("Fill in: SMTP host."));
    // An OAuth2 type is set up in n8n, not here.
    let reply = save_credential(&s, &cookie, "", "Slack app", "slackOAuth2Api", &[]).await;
    assert_eq!(reply.status(), 400);
    assert!(reply.text().await.unwrap().contains("connect it in n8n"));
}

#[tokio::test]
async fn another_user_can_neither_see_nor_edit_nor_delete_a_credential() {
    let s = site().await;
    let alice_cookie = signed_up(&s, "alice@example.com").await;
    let reply = save_credential(
        &s,
        &alice_cookie,
        "",
        "Alice Slack",
        "slackApi",
        &[("accessToken", TOKEN)],
    )
    .await;
    assert_eq!(reply.status(), 200);
    let (id, _, ciphertext, _, _) = stored(&s).await;
    let bob_cookie = signed_up(&s, "bob@example.com").await;
    let bob = s.user("bob@example.com").await;

    // PostgREST with Bob's own JWT.
    let rest = Rest::new(&s.stack.postgrest_url);
    let as_bob = Auth::Bearer(bob.token.clone());
    let path = format!("credentials?id=eq.{id}");
    assert!(rest.select(&path, &as_bob).await.rows().is_empty());
    let patched = rest
        .update(&path, &as_bob, json!({"name": "Mine now"}))
        .await;
    assert!(patched.rows().is_empty(), "{patched:?}");
    assert!(rest.delete(&path, &as_bob).await.rows().is_empty());

    // The app with Bob's cookie.
    for page in [
        "/credentials".to_string(),
        format!("/credentials?edit={id}"),
    ] {
        let html = s.client.page(&page, Some(&bob_cookie)).await;
        assert!(
            !html.contains("Alice Slack"),
            "{page} shows Alice's credential to Bob"
        );
    }
    let edit = save_credential(
        &s,
        &bob_cookie,
        &id.to_string(),
        "Mine now",
        "slackApi",
        &[("accessToken", "xoxb-bobs-own-token")],
    )
    .await;
    assert_eq!(edit.status(), 404);
    let delete = post(
        &s,
        &bob_cookie,
        "delete_credential",
        &[("id", &id.to_string())],
    )
    .await;
    assert_eq!(delete.status(), 404);

    let (same_id, _, same_ciphertext, _, name) = stored(&s).await;
    assert_eq!(
        (same_id, same_ciphertext, name.as_str()),
        (id, ciphertext, "Alice Slack")
    );

    // Alice herself can delete it.
    let delete = post(
        &s,
        &alice_cookie,
        "delete_credential",
        &[("id", &id.to_string())],
    )
    .await;
    assert_eq!(delete.status(), 200);
    let left: i64 = s
        .stack
        .db
        .query_one("select count(*) from public.credentials", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}
