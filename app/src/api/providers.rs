//! n8n instances ("providers"): list, add/edit, delete, test the connection.
//!
//! API keys are encrypted (`core::crypto`) bound to their row and to the origin of the URL they
//! were entered for, and never sent back: the browser only ever sees their last four
//! characters. Moving an instance to another scheme, host or port needs the key again (the
//! database refuses it too), so a key is never sent where its owner did not enter it.

use crate::error::AppError;
use crate::model::{ProviderList, ProviderView};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::server::{
    errors::with_status, n8n_check, postgrest::Db, request, session::Session, state::ServerState,
    telemetry,
};
#[cfg(feature = "ssr")]
use flowpulse_core::{
    base_url::{redact_user_info, BaseUrl},
    crypto::SecretBinding,
    rows::{Provider, ProviderStatus},
};

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
/// key — unless the URL now points at another scheme, host or port. The connection is tested
/// right after saving, so the form shows at once whether it works.
#[server]
pub async fn save_provider(
    id: String,
    name: String,
    base_url: String,
    api_key: String,
) -> Result<ProviderView, AppError> {
    with_status(
        async {
            use crate::validation::instance_name_problem;
            let (state, session) = request::signed_in()?;
            let name = name.trim().to_string();
            if let Some(problem) = instance_name_problem(&name) {
                return Err(AppError::Invalid(problem.into()));
            }
            let base_url =
                BaseUrl::parse(&base_url).map_err(|problem| AppError::Invalid(problem.to_string()))?;
            state
                .config
                .outbound
                .check_url(&base_url)
                .map_err(|refusal| AppError::Invalid(format!("FlowPulse will not connect there: {refusal}.")))?;
            let api_key = api_key.trim();
            let db = Db::new(&state, &session);
            let duplicate = || AppError::Conflict(format!("You already have an instance named \"{name}\"."));
            let saved: Vec<Provider> = if id.trim().is_empty() {
                if api_key.is_empty() {
                    return Err(AppError::Invalid(
                        "Enter the instance's API key (n8n: Settings → n8n API → Create an API key)."
                            .into(),
                    ));
                }
                let id = Uuid::new_v4();
                telemetry::record_provider(id);
                let mut body = serde_json::json!({ "id": id, "name": name, "base_url": base_url });
                body["api_key_ciphertext"] = seal(&state, id, &base_url, api_key).into();
                db.insert("providers", &body, &[("select", "*".into())])
                    .await
                    .map_err(|error| if error.is_duplicate() { duplicate() } else { error.into() })?
            } else {
                let existing = find(&db, parse_id(&id)?).await?;
                let body = edit(&state, &existing, &name, &base_url, api_key)?;
                db.update("providers", &[("id", format!("eq.{}", existing.id))], &body)
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
            telemetry::record_provider(id);
            let deleted = request::user_db()?
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
            let provider = find(&Db::new(&state, &session), id).await?;
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

/// One of the user's instances (RLS hides everyone else's).
#[cfg(feature = "ssr")]
async fn find(db: &Db, id: Uuid) -> Result<Provider, AppError> {
    telemetry::record_provider(id);
    let rows: Vec<Provider> = db
        .select(
            "providers",
            &[("select", "*".into()), ("id", format!("eq.{id}"))],
        )
        .await?;
    rows.into_iter().next().ok_or_else(not_found)
}

/// `api_key` encrypted for provider `id` at `base_url`'s origin.
#[cfg(feature = "ssr")]
fn seal(state: &ServerState, id: Uuid, base_url: &BaseUrl, api_key: &str) -> String {
    let binding = SecretBinding::provider_api_key(id, &base_url.origin());
    state
        .keyring
        .encrypt(api_key, &binding, &mut rand_core::OsRng)
}

/// The stored key of `row`, if it can be read for the URL the row holds.
#[cfg(feature = "ssr")]
fn open_key(state: &ServerState, row: &Provider) -> Option<String> {
    let base_url = BaseUrl::parse(&row.base_url).ok()?;
    let binding = SecretBinding::provider_api_key(row.id, &base_url.origin());
    state
        .keyring
        .decrypt(&row.api_key_ciphertext, &binding)
        .ok()
}

/// The update for an edit of `existing`.
#[cfg(feature = "ssr")]
fn edit(
    state: &ServerState,
    existing: &Provider,
    name: &str,
    base_url: &BaseUrl,
    api_key: &str,
) -> Result<serde_json::Value, AppError> {
    let mut body = serde_json::json!({ "name": name, "base_url": base_url });
    let same_origin =
        BaseUrl::parse(&existing.base_url).is_ok_and(|old| old.origin() == base_url.origin());
    let ciphertext = if !api_key.is_empty() {
        Some(seal(state, existing.id, base_url, api_key))
    } else if !same_origin {
        return Err(AppError::Invalid(
            "The new URL points at another scheme, host or port: enter the instance's API key \
             again, so it is only ever sent where you entered it."
                .into(),
        ));
    } else if state
        .keyring
        .needs_reencryption(&existing.api_key_ciphertext)
    {
        // Written before keys were bound to their row (or under an older key): bind it now.
        open_key(state, existing).map(|key| seal(state, existing.id, base_url, &key))
    } else {
        None
    };
    if let Some(ciphertext) = ciphertext {
        body["api_key_ciphertext"] = ciphertext.into();
        // A new key or URL makes the old verdict meaningless.
        body["status"] = "unknown".into();
        body["last_error"] = serde_json::Value::Null;
    }
    Ok(body)
}

#[cfg(feature = "ssr")]
fn to_view(state: &ServerState, row: &Provider) -> ProviderView {
    let key_hint = open_key(state, row)
        .map(|key| flowpulse_core::crypto::last4(&key))
        .unwrap_or_else(|| "unreadable — enter the key again".into());
    ProviderView {
        id: row.id,
        name: row.name.clone(),
        base_url: redact_user_info(&row.base_url),
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
    let verdict = match (
        BaseUrl::parse(&provider.base_url),
        open_key(state, &provider),
    ) {
        (Err(problem), _) => n8n_check::Verdict {
            status: ProviderStatus::Error,
            problem: Some(format!(
                "The instance URL cannot be used: {problem} Edit the instance."
            )),
        },
        (Ok(_), None) => n8n_check::Verdict {
            status: ProviderStatus::Error,
            problem: Some("The stored API key cannot be read for this URL. Enter it again.".into()),
        },
        (Ok(base_url), Some(api_key)) => n8n_check::test(&state.n8n, &base_url, &api_key).await,
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
