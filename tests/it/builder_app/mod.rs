//! The workflow builder's pages in the app, over HTTP and in headless Chromium: credentials
//! stored encrypted and never shown, kept when edited with an empty secret, out of every other
//! user's reach; chat messages answered and stored with the state; the dashboard's badge and
//! filters; and the whole journey in a browser, with a second tab following live.

pub(crate) mod browser;
mod chat;
mod credentials;
mod dashboard;

use crate::helpers::app_client::Site;
use crate::security::app_site::{AppSite, PASSWORD};
use reqwest::Response;
use serde_json::Value;

/// The journey's request, as a person would type it.
pub const JOURNEY: &str = "When a webhook is called at /orders, keep the fields id and total, \
    post 'New order {{id}}' to Slack #sales and answer ok";

/// A signed-up user of the app: the session cookie pair.
pub async fn signed_up(site: &AppSite, email: &str) -> String {
    site.client.sign_up(email, PASSWORD).await
}

/// Posts the credential form's server function as the page would.
pub async fn save_credential(
    site: &AppSite,
    cookie: &str,
    id: &str,
    name: &str,
    credential_type: &str,
    fields: &[(&str, &str)],
) -> Response {
    let url = site
        .client
        .server_fn_url("/credentials", Some(cookie), "save_credential")
        .await;
    let names: Vec<String> = fields.iter().map(|(k, _)| format!("fields[{k}]")).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("id", id),
        ("name", name),
        ("credential_type", credential_type),
    ];
    form.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(fields.iter().map(|(_, v)| *v)),
    );
    site.client
        .post_form(&url, &form, Some(cookie), Site::Same)
        .await
}

/// Posts a server function at its stable address (`/api/<endpoint>`).
pub async fn post(site: &AppSite, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> Response {
    let url = format!("{}/api/{endpoint}", site.client.url);
    site.client
        .post_form(&url, form, Some(cookie), Site::Same)
        .await
}

/// Sends a chat message (a new chat when `conversation` is empty); the reply's status and body.
pub async fn send(site: &AppSite, cookie: &str, conversation: &str, text: &str) -> (u16, Value) {
    let reply = post(
        site,
        cookie,
        "send_message",
        &[("conversation_id", conversation), ("text", text)],
    )
    .await;
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
