//! Server-side request forgery: an instance URL is the one place a user tells FlowPulse where to
//! connect. Hostile URLs — the local cron hook (with `?`/`#` to swallow the API path), the
//! stack's own ports, cloud metadata, user-info — are refused by the app before saving and by
//! the edge function before connecting; redirects are not followed; a hostile server's own words
//! never come back to the user; oversized replies are cut off.
//!
//! Only loopback servers are contacted here: metadata and private ranges are refused before any
//! connection (their classification is unit-tested in `flowpulse_core::outbound`).

use super::app_site::{site, PASSWORD};
use crate::helpers::app_client::Site;
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::postgrest::{Auth, Rest};
use crate::helpers::{spawn_stack, TestStack, TestUser};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_app_refuses_to_save_urls_that_point_where_n8n_cannot_be() {
    let s = site().await;
    let cookie = s.client.sign_up("ssrf@example.com", PASSWORD).await;
    let url = s
        .client
        .server_fn_url("/providers", Some(&cookie), "save_provider")
        .await;
    let cron = s.worker.cron_port;
    let hostile = [
        // The attack that looped: the cron hook, its query swallowing `/api/v1/...`.
        (
            format!("http://127.0.0.1:{cron}/__scheduled?cron=17+3+*+*+*#"),
            "?…",
        ),
        (
            format!("http://127.0.0.1:{cron}"),
            "reserved for this server",
        ),
        (
            format!("http://localhost:{}", s.worker.port),
            "reserved for this server",
        ),
        ("http://169.254.169.254".to_string(), "cloud metadata"),
        (
            "http://[::ffff:169.254.169.254]".to_string(),
            "cloud metadata",
        ),
        (
            "http://metadata.google.internal".to_string(),
            "cloud metadata",
        ),
        ("http://0.0.0.0:5678".to_string(), "unspecified"),
        (
            "https://ada:pw@n8n.example.com".to_string(),
            "user name and password",
        ),
        ("file:///etc/passwd".to_string(), "http://"),
    ];
    for (base_url, why) in &hostile {
        let fields = [
            ("id", ""),
            ("name", "Hostile"),
            ("base_url", base_url.as_str()),
            ("api_key", "n8n_api_whatever"),
        ];
        let reply = s
            .client
            .post_form(&url, &fields, Some(&cookie), Site::Same)
            .await;
        let status = reply.status().as_u16();
        let body = reply.text().await.unwrap();
        assert_eq!(status, 400, "{base_url}: {body}");
        assert!(body.contains(why), "{base_url}: {body}");
    }
    let saved: i64 = s
        .stack
        .db
        .query_one("select count(*) from public.providers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(saved, 0);
}

struct Edge {
    stack: TestStack,
    worker: crate::helpers::worker::TestWorker,
    user: TestUser,
}

async fn edge(bindings: &[(&'static str, String)]) -> Edge {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker_with(bindings).await;
    let user = stack.create_user("edge@example.com").await;
    Edge {
        stack,
        worker,
        user,
    }
}

impl Edge {
    async fn sync(&self) -> Value {
        reqwest::Client::new()
            .post(&self.worker.url)
            .bearer_auth(&self.user.token)
            .json(&json!({"action": "sync_all_workflows"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// What the user can read back about the last run: the reply's error, the sync log's and
    /// the instance's.
    async fn stored_errors(&self) -> String {
        let row = self
            .stack
            .db
            .query_one(
                "select coalesce((select string_agg(coalesce(error_message, ''), ' | ')
                                  from public.sync_logs), '')
                     || ' | ' || coalesce((select string_agg(coalesce(last_error, ''), ' | ')
                                          from public.providers), '')",
                &[],
            )
            .await
            .unwrap();
        row.get(0)
    }
}

#[tokio::test]
async fn a_url_patched_in_at_postgrest_cannot_fire_the_cron_hook_or_reach_the_stacks_ports() {
    let e = edge(&[]).await;
    let rest = Rest::new(&e.stack.postgrest_url);
    let user = Auth::Bearer(e.user.token.clone());
    // The database refuses the query/fragment form outright.
    let hook = format!(
        "http://127.0.0.1:{}/__scheduled?cron=17+3+*+*+*#",
        e.worker.cron_port
    );
    let id = uuid::Uuid::new_v4();
    let reply = rest
        .insert(
            "providers",
            &user,
            json!({"id": id, "name": "hook", "base_url": hook,
                   "api_key_ciphertext": e.stack.encrypt_api_key(id, &format!("http://127.0.0.1:{}", e.worker.cron_port), "k")}),
        )
        .await;
    assert_eq!(reply.code(), Some("23514"), "{reply:?}");
    // The plain port is a valid URL to the database; the edge function refuses to connect.
    let bare = format!("http://127.0.0.1:{}", e.worker.cron_port);
    e.stack.add_provider(&e.user, "hook", &bare, "k").await;
    let reply = e.sync().await;
    let error = reply["error"]["message"]
        .as_str()
        .or(reply["results"][0]["error"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("reserved for this server"), "{reply}");
    let fired: i64 = e
        .stack
        .db
        .query_one(
            "select count(*) from public.sync_logs where sync_type in ('scheduled', 'cleanup')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(fired, 0, "the cron hook was never fired");
}

#[tokio::test]
async fn without_the_operators_allowance_a_loopback_instance_is_never_contacted() {
    let e = edge(&[("OUTBOUND_ALLOW", "none".to_string())]).await;
    let fake = FakeN8n::start().await;
    fake.add_workflow("Orders");
    e.stack
        .add_provider(&e.user, "local", &fake.url, &fake.api_key)
        .await;
    let reply = e.sync().await;
    assert!(
        reply.to_string().contains("loopback address"),
        "the refusal says why: {reply}"
    );
    assert!(
        fake.requests().is_empty(),
        "contacted: {:?}",
        fake.requests()
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_with_the_key() {
    let e = edge(&[]).await;
    let target = FakeN8n::start().await;
    let redirector = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/api/v1/workflows", target.url)),
        )
        .mount(&redirector)
        .await;
    e.stack
        .add_provider(&e.user, "moved", &redirector.uri(), "n8n_api_secret_key")
        .await;
    let reply = e.sync().await;
    assert!(reply.to_string().contains("redirect"), "{reply}");
    assert!(
        target.requests().is_empty(),
        "followed: {:?}",
        target.requests()
    );
}

#[tokio::test]
async fn a_hostile_servers_words_are_never_stored_or_shown() {
    let e = edge(&[]).await;
    let hostile = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"message": "<img src=x onerror=alert(1)> Call +1-555-0100 to verify"}),
        ))
        .mount(&hostile)
        .await;
    e.stack
        .add_provider(&e.user, "hostile", &hostile.uri(), "n8n_api_secret_key")
        .await;
    let reply = e.sync().await;
    let shown = format!("{reply} {}", e.stored_errors().await);
    assert!(shown.contains("refused the request"), "{shown}");
    for reflected in ["onerror", "555-0100", "verify"] {
        assert!(!shown.contains(reflected), "{reflected} came back: {shown}");
    }
}

#[tokio::test]
async fn an_n8n_reply_over_the_cap_is_cut_off_naming_the_instance() {
    let e = edge(&[("N8N_MAX_REPLY_BYTES", "4096".to_string())]).await;
    let fake = FakeN8n::start().await;
    for index in 0..40 {
        fake.add_workflow(&format!("Workflow {index} {}", "x".repeat(200)));
    }
    e.stack
        .add_provider(&e.user, "big", &fake.url, &fake.api_key)
        .await;
    let reply = e.sync().await;
    let error = reply["results"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("more than 4096 bytes"), "{reply}");
    assert!(error.contains(&fake.url), "{reply}");
}

#[tokio::test]
async fn the_edge_function_refuses_a_large_body_before_reading_it_token_first() {
    let e = edge(&[]).await;
    let big = vec![b'x'; 2 * 1024 * 1024];
    let client = reqwest::Client::new();
    let anonymous = client
        .post(&e.worker.url)
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let signed = client
        .post(&e.worker.url)
        .bearer_auth(&e.user.token)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 413);
}

#[tokio::test]
async fn the_flowpulse_tool_does_not_follow_a_redirect_with_the_key() {
    use flowpulse_cli::config::Config;
    use flowpulse_cli::export::{self, Selection};
    let target = FakeN8n::start().await;
    target.add_workflow("Orders");
    let redirector = MockServer::start().await;
    Mock::given(path("/api/v1/workflows"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", format!("{}/api/v1/workflows", target.url)),
        )
        .mount(&redirector)
        .await;
    let toml = format!(
        "[instances.dev]\nurl = \"{}\"\napi_key_env = \"FP_UNUSED\"\nsource = \"dev\"\n",
        redirector.uri()
    );
    let instance = Config::parse(std::path::Path::new("flowpulse.toml"), &toml)
        .unwrap()
        .instance_with("dev", |_| Some(target.api_key.clone()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = export::export(
        &instance,
        &Selection::All,
        dir.path(),
        chrono::Utc::now(),
        export::SIDECAR_THRESHOLD,
    )
    .await
    .expect_err("a redirect is an error");
    assert!(error.to_string().contains("redirect"), "{error}");
    assert!(
        target.requests().is_empty(),
        "followed: {:?}",
        target.requests()
    );
}
