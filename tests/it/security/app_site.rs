//! The app on its own test stack, reached over HTTP, for the attacks on the app server.

use crate::helpers::app::TestApp;
use crate::helpers::app_client::AppClient;
use crate::helpers::worker::TestWorker;
use crate::helpers::{spawn_stack, TestStack, TestUser, JWT_SECRET};
use base64::Engine as _;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse 42 battery";

/// Fields drop in order: the app stops before the worker and the stack it uses.
pub struct AppSite {
    pub client: AppClient,
    _app: TestApp,
    pub worker: TestWorker,
    pub stack: TestStack,
}

/// A stack with the app as the harness starts it.
pub async fn site() -> AppSite {
    site_with(&[]).await
}

/// A stack with the app started with `env` on top of the harness's environment.
pub async fn site_with(env: &[(&'static str, String)]) -> AppSite {
    let stack = spawn_stack().await;
    let worker = stack.spawn_worker().await;
    let app = stack.spawn_app_with(&worker, env).await;
    AppSite {
        client: AppClient::new(&app),
        _app: app,
        worker,
        stack,
    }
}

/// The relay token the mail-enabled site shares between its worker and its app.
pub const MAIL_RELAY_TOKEN: &str = "test-relay-token-0123456789abcdefghij";

/// A stack whose app sends alert e-mail through `smtp_url` from `alerts@flowpulse.test`, with
/// its worker wired to the app's mail relay (the app's port is chosen before either starts).
pub async fn site_with_mail(smtp_url: &str) -> AppSite {
    let stack = spawn_stack().await;
    let app_port = flowpulse_stack::process::free_port().unwrap();
    let worker = stack
        .spawn_worker_with(&[
            (
                "MAIL_RELAY_URL",
                format!("http://127.0.0.1:{app_port}/internal/alert-mail"),
            ),
            ("MAIL_RELAY_TOKEN", MAIL_RELAY_TOKEN.to_string()),
        ])
        .await;
    let app = stack
        .spawn_app_on(
            &worker,
            app_port,
            &[
                ("FLOWPULSE_SMTP_URL", smtp_url.to_string()),
                (
                    "FLOWPULSE_MAIL_FROM",
                    "FlowPulse <alerts@flowpulse.test>".to_string(),
                ),
                ("FLOWPULSE_MAIL_RELAY_TOKEN", MAIL_RELAY_TOKEN.to_string()),
            ],
        )
        .await;
    AppSite {
        client: AppClient::new(&app),
        _app: app,
        worker,
        stack,
    }
}

impl AppSite {
    /// The user `email` signed up through the app, with a PostgREST token for setting data
    /// up directly.
    pub async fn user(&self, email: &str) -> TestUser {
        let id: Uuid = self
            .stack
            .db
            .query_one("select id from auth.users where email = $1", &[&email])
            .await
            .unwrap()
            .get(0);
        TestUser {
            id,
            email: email.to_string(),
            token: self.stack.token_for(id, email, 3600),
        }
    }

    /// The session rows of `email` that are not revoked.
    pub async fn live_session_rows(&self, email: &str) -> i64 {
        self.stack
            .db
            .query_one(
                "select count(*) from flowpulse_private.app_sessions s
                 join auth.users u on u.id = s.user_id
                 where u.email = $1 and s.revoked_at is null",
                &[&email],
            )
            .await
            .unwrap()
            .get(0)
    }
}

/// The claims of the session token in a cookie pair (`name=token`).
pub fn claims(cookie: &str) -> serde_json::Value {
    let token = cookie.split_once('=').unwrap().1;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A cookie pair carrying `claims` signed with the stack's JWT secret, as anyone holding the
/// secret (or simply the passage of time) could produce.
pub fn cookie_with(cookie_name: &str, claims: &serde_json::Value) -> String {
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    format!("{cookie_name}={token}")
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
