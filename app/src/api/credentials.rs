//! The user's n8n credentials: list, add/edit, delete.
//!
//! A credential's fields are stored as one JSON object encrypted bound to its row and type
//! (`core::crypto`), so the ciphertext decrypts nowhere else; the row's id is chosen here, before
//! the insert, to bind it. Nothing secret goes back to the browser: a list shows the last four
//! characters of the main secret (`hint`), an edit form only the fields that are not secret.

use crate::error::AppError;
use crate::model::builder::CredentialsPage;
use leptos::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::model::builder::{CredentialEdit, CredentialView};
#[cfg(feature = "ssr")]
use crate::server::{
    chat_state::ChatState,
    credential_fields::{self, Fields},
    credential_usage,
    errors::with_status,
    postgrest::Db,
    request,
    state::ServerState,
};
#[cfg(feature = "ssr")]
use chrono::{DateTime, Utc};
#[cfg(feature = "ssr")]
use flowpulse_core::crypto::SecretBinding;

/// A credential row without its secret.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct CredentialRow {
    id: Uuid,
    name: String,
    credential_type: String,
    hint: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A credential row with its secret, read only to edit it.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
struct SecretRow {
    id: Uuid,
    name: String,
    credential_type: String,
    secret_ciphertext: String,
    hint: String,
}

/// The credentials page: the user's credentials, what is still needed, and the one `edit`
/// names for the form.
#[server]
pub async fn list_credentials(edit: Option<Uuid>) -> Result<CredentialsPage, AppError> {
    with_status(
        async {
            #[derive(serde::Deserialize)]
            struct Deployed {
                credential_id: Uuid,
                provider_id: Uuid,
            }
            #[derive(serde::Deserialize)]
            struct Named {
                id: Uuid,
                name: String,
            }
            #[derive(serde::Deserialize)]
            struct Workflow {
                name: String,
                provider_id: Uuid,
                origin: String,
                #[serde(default)]
                definition: serde_json::Value,
                #[serde(default)]
                required_credential_types: Vec<String>,
            }
            #[derive(serde::Deserialize)]
            struct Chat {
                title: String,
                state: serde_json::Value,
            }

            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let credentials_query = [
                (
                    "select",
                    "id,name,credential_type,hint,created_at,updated_at".to_string(),
                ),
                ("order", "name".into()),
            ];
            let deployed_query = [("select", "credential_id,provider_id".to_string())];
            let providers_query = [("select", "id,name".to_string())];
            let workflows_query = [
                (
                    "select",
                    "name,provider_id,origin,definition,required_credential_types".to_string(),
                ),
                ("archived", "is.false".into()),
            ];
            let chats_query = [
                ("select", "title,state".to_string()),
                ("order", "updated_at.desc".into()),
                ("limit", "200".into()),
            ];
            let (rows, deployed, providers, workflows, chats) = tokio::join!(
                db.select::<CredentialRow>("credentials", &credentials_query),
                db.select::<Deployed>("credential_deployments", &deployed_query),
                db.select::<Named>("providers", &providers_query),
                db.select::<Workflow>("mvp_workflows", &workflows_query),
                db.select::<Chat>("conversations", &chats_query),
            );
            let (rows, deployed, providers, workflows, chats) =
                (rows?, deployed?, providers?, workflows?, chats?);
            let instance = |id: Uuid| {
                providers
                    .iter()
                    .find(|p| p.id == id)
                    .map_or_else(|| "an instance".to_string(), |p| p.name.clone())
            };
            // Workflows the builder deployed, and the credentials their nodes reference.
            let uses: Vec<(String, String, String)> = workflows
                .iter()
                .filter(|w| w.origin == "builder")
                .flat_map(|w| {
                    let title = flowpulse_core::naming::parse_user_workflow_name(&w.name)
                        .map_or_else(|| w.name.clone(), |parsed| parsed.title);
                    let on = format!("“{title}” on {}", instance(w.provider_id));
                    credential_usage::references(&w.definition)
                        .into_iter()
                        .map(move |(t, n)| (t, n, on.clone()))
                })
                .collect();
            let credentials = rows
                .iter()
                .map(|row| CredentialView {
                    id: row.id,
                    name: row.name.clone(),
                    credential_type: row.credential_type.clone(),
                    type_label: credential_usage::type_label(&row.credential_type),
                    hint: format!("••••{}", row.hint),
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    created_in: deployed
                        .iter()
                        .filter(|d| d.credential_id == row.id)
                        .map(|d| instance(d.provider_id))
                        .collect(),
                    used_by: uses
                        .iter()
                        .filter(|(t, n, _)| *t == row.credential_type && *n == row.name)
                        .map(|(_, _, on)| on.clone())
                        .collect(),
                })
                .collect();
            let have = rows.iter().map(|row| row.credential_type.clone()).collect();
            let from_chats = chats.iter().flat_map(|chat| {
                let plan = ChatState::from_json(&chat.state)
                    .ok()
                    .and_then(|state| state.conversation.plan().cloned());
                plan.map(|plan| flowpulse_core::builder::summary::needed_credentials(&plan))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|need| (need.credential_type, format!("chat “{}”", chat.title)))
            });
            let from_workflows = workflows.iter().flat_map(|w| {
                w.required_credential_types
                    .iter()
                    .map(|t| (t.clone(), format!("workflow “{}”", w.name)))
            });
            let still_needed =
                credential_usage::still_needed(&have, from_chats.chain(from_workflows));
            let editing = match edit {
                Some(id) => find(&db, id).await.ok().map(|row| edit_view(&state, &row)),
                None => None,
            };
            Ok(CredentialsPage {
                credentials,
                still_needed,
                editing,
                now: Utc::now(),
            })
        }
        .await,
    )
}

/// Adds a credential (`id` empty) or edits one. `fields` holds the type's fields by name
/// (`fields[accessToken]=…` in the form); on an edit of the same type an empty secret keeps
/// the stored value, while a new type needs every field again.
#[server]
pub async fn save_credential(
    id: String,
    name: String,
    credential_type: String,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<(), AppError> {
    with_status(
        async {
            use crate::validation::credential_name_problem;
            let (state, session) = request::signed_in()?;
            let name = name.trim().to_string();
            if let Some(problem) = credential_name_problem(&name) {
                return Err(AppError::Invalid(problem.into()));
            }
            let (spec, field_specs) = credential_fields::storable(credential_type.trim())?;
            let credential_type = spec.credential_type;
            let db = Db::new(&state, &session);
            let duplicate =
                || AppError::Conflict(format!("You already have a credential named “{name}”."));
            // On an edit of the same type, the stored fields stand in for empty secrets.
            let (id, editing, stored) = if id.trim().is_empty() {
                (Uuid::new_v4(), false, None)
            } else {
                let id = id
                    .trim()
                    .parse()
                    .map_err(|_| AppError::Invalid("That credential id is not valid.".into()))?;
                let existing = find(&db, id).await?;
                let stored = (existing.credential_type == credential_type)
                    .then(|| open(&state, &existing))
                    .flatten();
                (id, true, stored)
            };
            let data = credential_fields::parse(field_specs, &fields, stored.as_ref())?;
            let body = serde_json::json!({
                "name": name,
                "credential_type": credential_type,
                "secret_ciphertext": seal(&state, id, credential_type, &data),
                "hint": credential_fields::hint(field_specs, &data),
            });
            let saved: Result<Vec<serde_json::Value>, _> = if editing {
                db.update("credentials", &[("id", format!("eq.{id}"))], &body)
                    .await
            } else {
                let mut body = body;
                body["id"] = id.to_string().into();
                db.insert("credentials", &body, &[("select", "id".into())])
                    .await
            };
            let saved = saved.map_err(|error| {
                if error.is_duplicate() {
                    duplicate()
                } else {
                    error.into()
                }
            })?;
            if saved.is_empty() {
                return Err(not_found());
            }
            Ok(())
        }
        .await,
    )
}

/// Deletes a credential from FlowPulse. Credentials already created in n8n stay there, so
/// deployed workflows keep working. At a stable address (`POST /api/delete_credential`,
/// `id=<uuid>`), like every other action a script may want.
#[server(endpoint = "delete_credential")]
pub async fn delete_credential(id: Uuid) -> Result<(), AppError> {
    with_status(
        async {
            let deleted = request::user_db()?
                .delete("credentials", &[("id", format!("eq.{id}"))])
                .await?;
            if deleted == 0 {
                return Err(not_found());
            }
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn not_found() -> AppError {
    AppError::NotFound("That credential no longer exists. Reload the page.".into())
}

/// One of the user's credentials with its secret (RLS hides everyone else's).
#[cfg(feature = "ssr")]
async fn find(db: &Db, id: Uuid) -> Result<SecretRow, AppError> {
    let rows: Vec<SecretRow> = db
        .select(
            "credentials",
            &[
                (
                    "select",
                    "id,name,credential_type,secret_ciphertext,hint".into(),
                ),
                ("id", format!("eq.{id}")),
            ],
        )
        .await?;
    rows.into_iter().next().ok_or_else(not_found)
}

/// `data` encrypted for credential `id` of `credential_type`.
#[cfg(feature = "ssr")]
fn seal(state: &ServerState, id: Uuid, credential_type: &str, data: &Fields) -> String {
    let json = serde_json::Value::Object(data.clone()).to_string();
    state.keyring.encrypt(
        &json,
        &SecretBinding::credential(id, credential_type),
        &mut rand_core::OsRng,
    )
}

/// The stored fields of `row`, if they still decrypt for its id and type.
#[cfg(feature = "ssr")]
fn open(state: &ServerState, row: &SecretRow) -> Option<Fields> {
    let binding = SecretBinding::credential(row.id, &row.credential_type);
    let json = state
        .keyring
        .decrypt(&row.secret_ciphertext, &binding)
        .ok()?;
    match serde_json::from_str(&json).ok()? {
        serde_json::Value::Object(fields) => Some(fields),
        _ => None,
    }
}

/// The edit form's view of `row`: plain fields only.
#[cfg(feature = "ssr")]
fn edit_view(state: &ServerState, row: &SecretRow) -> CredentialEdit {
    let plain_values = match (
        credential_fields::storable(&row.credential_type),
        open(state, row),
    ) {
        (Ok((_, fields)), Some(data)) => credential_fields::plain_values(fields, &data),
        _ => Default::default(),
    };
    CredentialEdit {
        id: row.id,
        name: row.name.clone(),
        credential_type: row.credential_type.clone(),
        plain_values,
        hint: format!("••••{}", row.hint),
    }
}
