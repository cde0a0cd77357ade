//! An n8n API key entered for one instance is never sent anywhere else: not when the instance's
//! URL is edited in the app without re-entering the key, not when a user's JWT patches the URL
//! at PostgREST and presses Sync, not when the database is bypassed (the ciphertext is bound to
//! its row and origin), not when a ciphertext is copied into another row.

use super::app_site::{site, AppSite, PASSWORD};
use crate::helpers::app_client::Site;
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::postgrest::{Auth, Rest};
use crate::helpers::TestUser;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use serde_json::{json, Value};
use uuid::Uuid;

const EMAIL: &str = "owner@example.com";

/// The owner's account with instance "A" (key K) added through the app, and a second n8n "B"
/// that must never see K.
struct Setup {
    site: AppSite,
    cookie: String,
    owner: TestUser,
    a: FakeN8n,
    b: FakeN8n,
    provider: Uuid,
}

async fn setup() -> Setup {
    let site = site().await;
    let cookie = site.client.sign_up(EMAIL, PASSWORD).await;
    let owner = site.user(EMAIL).await;
    let a = FakeN8n::start().await;
    let wf = a.add_workflow("Orders");
    a.add_execution(&wf, "success");
    let b = FakeN8n::start().await;
    let reply = save(&site, &cookie, "", "Production", &a.url, &a.api_key).await;
    assert_eq!(reply.0, 200, "adding the instance: {}", reply.1);
    let provider = site
        .stack
        .db
        .query_one("select id from public.providers", &[])
        .await
        .unwrap()
        .get(0);
    Setup {
        site,
        cookie,
        owner,
        a,
        b,
        provider,
    }
}

/// The `save_provider` server function, posted from the app's own page.
async fn save(
    site: &AppSite,
    cookie: &str,
    id: &str,
    name: &str,
    base_url: &str,
    api_key: &str,
) -> (u16, String) {
    let url = site
        .client
        .server_fn_url("/providers", Some(cookie), "save_provider")
        .await;
    let fields = [
        ("id", id),
        ("name", name),
        ("base_url", base_url),
        ("api_key", api_key),
    ];
    let reply = site
        .client
        .post_form(&url, &fields, Some(cookie), Site::Same)
        .await;
    (reply.status().as_u16(), reply.text().await.unwrap())
}

impl Setup {
    async fn row(&self) -> (String, String) {
        let row = self
            .site
            .stack
            .db
            .query_one(
                "select base_url, api_key_ciphertext from public.providers where id = $1",
                &[&self.provider],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }

    /// "Sync now" as the owner, through the edge function on workerd.
    async fn sync(&self) -> Value {
        let reply = reqwest::Client::new()
            .post(&self.site.worker.url)
            .bearer_auth(&self.owner.token)
            .json(&json!({"action": "sync_all_workflows"}))
            .send()
            .await
            .unwrap();
        reply.json().await.unwrap()
    }

    fn rest(&self) -> (Rest, Auth) {
        (
            Rest::new(&self.site.stack.postgrest_url),
            Auth::Bearer(self.owner.token.clone()),
        )
    }
}

#[tokio::test]
async fn editing_the_url_in_the_app_without_the_key_is_refused_and_b_never_hears_of_it() {
    let s = setup().await;
    let before = s.row().await;
    let id = s.provider.to_string();
    let (status, body) = save(&s.site, &s.cookie, &id, "Production", &s.b.url, "").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("enter the instance's API key again"),
        "{body}"
    );
    assert_eq!(s.row().await, before, "nothing was saved");
    // The next sync still goes to A only.
    let reply = s.sync().await;
    assert_eq!(reply["results"][0]["status"], "success", "{reply}");
    assert!(
        s.b.requests().is_empty(),
        "B was contacted: {:?}",
        s.b.requests()
    );

    // A path change on the same origin keeps the key; entering B's own key moves the instance.
    let moved_path = format!("{}/n8n", s.a.url);
    let (status, body) = save(&s.site, &s.cookie, &id, "Production", &moved_path, "").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = save(
        &s.site,
        &s.cookie,
        &id,
        "Production",
        &s.b.url,
        &s.b.api_key,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !s.b.requests().is_empty(),
        "the test of the new key reached B"
    );
}

#[tokio::test]
async fn patching_the_url_at_postgrest_and_syncing_never_sends_the_key_to_the_new_host() {
    let s = setup().await;
    let (rest, owner) = s.rest();
    let path = format!("providers?id=eq.{}", s.provider);
    let reply = rest
        .update(&path, &owner, json!({"base_url": s.b.url}))
        .await;
    assert_eq!(reply.code(), Some("23514"), "{reply:?}");
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("needs its API key again"),
        "{reply:?}"
    );
    s.sync().await;
    assert!(
        s.b.requests().is_empty(),
        "B was contacted: {:?}",
        s.b.requests()
    );
}

#[tokio::test]
async fn with_the_database_rule_bypassed_the_bound_key_still_does_not_decrypt_for_another_host() {
    let s = setup().await;
    // What a compromised migration or a superuser mistake could do: move the URL, keep the key.
    s.site
        .stack
        .db
        .batch_execute(&format!(
            "set session_replication_role = replica;
             update public.providers set base_url = '{}' where id = '{}';
             set session_replication_role = default;",
            s.b.url, s.provider
        ))
        .await
        .unwrap();
    let reply = s.sync().await;
    let error = reply["results"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot be decrypted for this instance URL"),
        "{reply}"
    );
    assert!(
        s.b.requests().is_empty(),
        "B was contacted: {:?}",
        s.b.requests()
    );
}

#[tokio::test]
async fn a_ciphertext_copied_into_another_row_does_not_decrypt_there() {
    let s = setup().await;
    let (rest, owner) = s.rest();
    // A second instance of the same user, pointing at B with B's own key.
    let second = s
        .site
        .stack
        .add_provider(&s.owner, "Other", &s.b.url, &s.b.api_key)
        .await;
    let (_, key_of_a) = s.row().await;
    let reply = rest
        .update(
            &format!("providers?id=eq.{second}"),
            &owner,
            json!({"api_key_ciphertext": key_of_a}),
        )
        .await;
    assert!(
        reply.status.is_success(),
        "a well-formed ciphertext is accepted: {reply:?}"
    );
    let reply = s.sync().await;
    let other = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider_id"] == json!(second))
        .cloned()
        .unwrap();
    assert!(
        other["error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot be decrypted"),
        "{reply}"
    );
    assert!(
        s.b.requests().is_empty(),
        "B was contacted: {:?}",
        s.b.requests()
    );
}

/// A value in the format written before keys were bound: `v1:` + AES-GCM without associated
/// data, under the stack's key.
fn legacy_ciphertext(stack_key_base64: &str, api_key: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(stack_key_base64).unwrap();
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let nonce = [3u8; 12];
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), api_key.as_bytes())
        .unwrap();
    let payload = [nonce.as_slice(), &sealed].concat();
    format!(
        "v1:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
    )
}

#[tokio::test]
async fn keys_stored_before_binding_still_work_are_bound_on_the_next_save_and_cannot_be_written_again(
) {
    let s = setup().await;
    let legacy = legacy_ciphertext(&s.site.stack.encryption_key, &s.a.api_key);
    // Stored by an older version (the rule for new writes did not exist then).
    s.site
        .stack
        .db
        .batch_execute(&format!(
            "set session_replication_role = replica;
             update public.providers set api_key_ciphertext = '{legacy}' where id = '{}';
             set session_replication_role = default;",
            s.provider
        ))
        .await
        .unwrap();
    let reply = s.sync().await;
    assert_eq!(reply["results"][0]["status"], "success", "{reply}");

    // Renaming in the app (no key entered) re-encrypts it in the bound format.
    let id = s.provider.to_string();
    let (status, body) = save(&s.site, &s.cookie, &id, "Renamed", &s.a.url, "").await;
    assert_eq!(status, 200, "{body}");
    let (_, stored) = s.row().await;
    assert!(stored.starts_with("f2."), "{stored}");
    assert!(
        body.contains(&s.a.api_key[s.a.api_key.len() - 4..]),
        "the hint still reads: {body}"
    );

    // Nobody can write the unbound format any more.
    let (rest, owner) = s.rest();
    let reply = rest
        .update(
            &format!("providers?id=eq.{}", s.provider),
            &owner,
            json!({"api_key_ciphertext": legacy}),
        )
        .await;
    assert_eq!(reply.code(), Some("23514"), "{reply:?}");
}
