//! n8n instances ("providers"): list, add/edit, delete, test the connection.
//!
//! API keys are encrypted (`core::crypto`, key version 1) before they are stored and never
//! sent back: the browser only ever sees their last four characters.

use crate::error::AppError;
use crate::model::{ProviderList, ProviderView};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{
    errors::with_status, n8n_check, postgrest::Db, request, session::Session, state::ServerState,
};
#[cfg(feature = "ssr")]
use flowpulse_core::rows::Provider;

/// The user's instances, by name.
#[server]
pub async fn list_providers() -> Result<ProviderList, AppError> {
    with_status(
        async {
            let (state, session) = request::signed_in()?;
            let rows: Vec<Provider> = Db::new(&state, &session)
                .select(
                    "providers",
                    &[("select", "*".into()), ("order", "name".into())],
                )
                .await?;
            Ok(ProviderList {
                providers: rows.iter().map(|row| to_view(&state, row)).collect(),
                now: chrono::Utc::now(),
            })
        }
        .await,
    )
}

/// Adds an instance (`id` empty) or edits one; an empty `api_key` on edit keeps the stored
/// key. The connection is tested right after saving, so the form shows at once whether it
/// works.
#[server]
pub async fn save_provider(
    id: String,
    name: String,
    base_url: String,
    api_key: String,
) -> Result<ProviderView, AppError> {
    with_status(
        async {
            use crate::validation::{instance_name_problem, normalize_base_url};
            let (state, session) = request::signed_in()?;
            let name = name.trim().to_string();
            if let Some(problem) = instance_name_problem(&name) {
                return Err(AppError::Invalid(problem.into()));
            }
            let base_url =
                normalize_base_url(&base_url).map_err(|problem| AppError::Invalid(problem.into()))?;
            let api_key = api_key.trim();
            let mut body = serde_json::json!({ "name": name, "base_url": base_url });
            if !api_key.is_empty() {
                let ciphertext = state.keyring.encrypt(api_key, &mut rand_core::OsRng);
                body["api_key_ciphertext"] = ciphertext.into();
                // A new key or URL makes the old verdict meaningless.
                body["status"] = "unknown".into();
                body["last_error"] = serde_json::Value::Null;
            }
            let db = Db::new(&state, &session);
            let duplicate = || AppError::Conflict(format!("You already have an instance named \"{name}\"."));
            let saved: Vec<Provider> = if id.trim().is_empty() {
                if api_key.is_empty() {
                    return Err(AppError::Invalid(
                        "Enter the instance's API key (n8n: Settings → n8n API → Create an API key)."
                            .into(),
                    ));
                }
                db.insert("providers", &body, &[("select", "*".into())])
                    .await
                    .map_err(|error| if error.is_duplicate() { duplicate() } else { error.into() })?
            } else {
                let id = parse_id(&id)?;
                db.update("providers", &[("id", format!("eq.{id}"))], &body)
                    .await
                    .map_err(|error| if error.is_duplicate() { duplicate() } else { error.into() })?
            };
            let saved = saved.into_iter().next().ok_or_else(not_found)?;
            test_and_store(&state, &session, saved).await
        }
        .await,
    )
}

/// Deletes an instance with its workflows, executions and sync logs (in FlowPulse only).
#[server]
pub async fn delete_provider(id: Uuid) -> Result<(), AppError> {
    with_status(
        async {
            let (state, session) = request::signed_in()?;
            let deleted = Db::new(&state, &session)
                .delete("providers", &[("id", format!("eq.{id}"))])
                .await?;
            if deleted == 0 {
                return Err(not_found());
            }
            Ok(())
        }
        .await,
    )
}

/// Calls the instance's API with its key and stores the verdict.
#[server]
pub async fn test_provider(id: Uuid) -> Result<ProviderView, AppError> {
    with_status(
        async {
            let (state, session) = request::signed_in()?;
            let rows: Vec<Provider> = Db::new(&state, &session)
                .select(
                    "providers",
                    &[("select", "*".into()), ("id", format!("eq.{id}"))],
                )
                .await?;
            let provider = rows.into_iter().next().ok_or_else(not_found)?;
            test_and_store(&state, &session, provider).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn not_found() -> AppError {
    AppError::NotFound("That instance no longer exists. Reload the page.".into())
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<Uuid, AppError> {
    id.trim()
        .parse()
        .map_err(|_| AppError::Invalid("That instance id is not valid.".into()))
}

#[cfg(feature = "ssr")]
fn to_view(state: &ServerState, row: &Provider) -> ProviderView {
    let key_hint = state
        .keyring
        .decrypt(&row.api_key_ciphertext)
        .map(|key| flowpulse_core::crypto::last4(&key))
        .unwrap_or_else(|_| "unreadable — enter the key again".into());
    ProviderView {
        id: row.id,
        name: row.name.clone(),
        base_url: row.base_url.clone(),
        key_hint,
        status: row.status,
        last_checked_at: row.last_checked_at,
        last_error: row.last_error.clone(),
    }
}

#[cfg(feature = "ssr")]
async fn test_and_store(
    state: &ServerState,
    session: &Session,
    provider: Provider,
) -> Result<ProviderView, AppError> {
    let verdict = match state.keyring.decrypt(&provider.api_key_ciphertext) {
        Ok(api_key) => {
            let probe = n8n_check::probe(&state.n8n_http, &provider.base_url, &api_key).await;
            n8n_check::classify(&probe, &provider.base_url)
        }
        Err(_) => n8n_check::Verdict {
            status: flowpulse_core::rows::ProviderStatus::Error,
            problem: Some("The stored API key cannot be read any more. Enter it again.".into()),
        },
    };
    let update = serde_json::json!({
        "status": verdict.status,
        "last_checked_at": chrono::Utc::now(),
        "last_error": verdict.problem,
    });
    let rows: Vec<Provider> = Db::new(state, session)
        .update(
            "providers",
            &[("id", format!("eq.{}", provider.id))],
            &update,
        )
        .await?;
    let row = rows.into_iter().next().ok_or_else(not_found)?;
    Ok(to_view(state, &row))
}
