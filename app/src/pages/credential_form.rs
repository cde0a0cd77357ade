//! The add/edit form of a credential. Its fields come from the catalogue for the chosen type:
//! secret fields are password inputs that are never filled in (on an edit, empty keeps the
//! stored value); types that need n8n's own sign-in get directions instead of a form.

use crate::api::credentials::SaveCredential;
use crate::app::load_page;
use crate::components::ErrorNotice;
use crate::model::builder::CredentialEdit;
use flowpulse_core::builder::catalogue::{
    credential, CredentialField, CredentialSetup, FieldKind, CREDENTIALS,
};
use leptos::prelude::*;

/// Add (no `existing`) or edit a credential; `initial_type` preselects a type for a new one.
/// Once saved, loads `done_path`.
#[island]
pub fn CredentialForm(
    /// The credential being edited.
    existing: Option<CredentialEdit>,
    /// The type to start with when adding.
    initial_type: Option<String>,
    /// The page to load once saved.
    done_path: String,
) -> impl IntoView {
    let action = ServerAction::<SaveCredential>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            load_page(&done_path);
        }
    });
    let stored_type = existing.as_ref().map(|e| e.credential_type.clone());
    let first_type = stored_type
        .clone()
        .or(initial_type)
        .filter(|t| credential(t).is_some())
        .unwrap_or_else(|| CREDENTIALS[0].credential_type.to_string());
    let chosen = RwSignal::new(first_type);
    let editing = existing.is_some();
    let id = existing
        .as_ref()
        .map(|e| e.id.to_string())
        .unwrap_or_default();
    let name = existing
        .as_ref()
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let type_options = CREDENTIALS
        .iter()
        .map(|spec| {
            let value = spec.credential_type;
            view! {
                <option value=value selected=move || chosen.get() == value>{spec.display_name}</option>
            }
        })
        .collect_view();
    let fields = move || {
        let credential_type = chosen.get();
        let Some(spec) = credential(&credential_type) else {
            return ().into_any();
        };
        let same_type = stored_type.as_deref() == Some(credential_type.as_str());
        let stored = existing.clone().filter(|_| same_type);
        match spec.setup {
            CredentialSetup::ConnectInN8n => view! {
                <p class="notice info" data-testid="credential-connect-in-n8n">
                    {format!("{} signs in through a consent screen only n8n can show: connect it in n8n \
                        (Credentials → Add credential → {}), then pick it in the deployed workflow's \
                        node there.", spec.display_name, spec.display_name)}
                </p>
            }
            .into_any(),
            CredentialSetup::Fields(fields) => {
                let type_changed = editing && !same_type;
                view! {
                    {type_changed.then(|| view! {
                        <p class="hint" data-testid="credential-type-changed">"A new type needs every field again."</p>
                    })}
                    {fields.iter().map(|field| view! { <FieldInput field=*field stored=stored.clone() /> }).collect_view()}
                }
                .into_any()
            }
        }
    };
    let can_save = move || {
        credential(&chosen.get())
            .is_some_and(|spec| matches!(spec.setup, CredentialSetup::Fields(_)))
    };
    view! {
        <ActionForm action=action>
            <div class="credential-form" data-testid="credential-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="credential-name">"Name"</label>
                    <input id="credential-name" name="name" value=name required maxlength="100"
                        placeholder="Team Slack" aria-describedby="credential-name-hint" data-testid="credential-name" />
                    <p id="credential-name-hint" class="hint">"Workflows refer to it by this name; n8n gets the same."</p>
                </div>
                <div class="field">
                    <label for="credential-type">"Type"</label>
                    <select id="credential-type" name="credential_type" data-testid="credential-type"
                        on:change=move |event| chosen.set(event_target_value(&event))>
                        {type_options}
                    </select>
                </div>
                {fields}
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="credential-save"
                        disabled=move || action.pending().get() || !can_save()>
                        {move || match (action.pending().get(), editing) {
                            (true, _) => "Saving…",
                            (false, true) => "Save changes",
                            (false, false) => "Add credential",
                        }}
                    </button>
                    {editing.then(|| view! { <a class="button" href="/credentials" data-testid="credential-cancel">"Cancel"</a> })}
                </div>
            </div>
        </ActionForm>
    }
}

/// One field of the chosen type, named `fields[<n8n name>]` for the server function.
#[component]
fn FieldInput(field: CredentialField, stored: Option<CredentialEdit>) -> impl IntoView {
    let id = format!("credential-field-{}", field.name);
    let name = format!("fields[{}]", field.name);
    let testid = format!("credential-field-{}", field.name);
    let hint_id = format!("{id}-hint");
    let value = stored
        .as_ref()
        .and_then(|s| s.plain_values.get(field.name).cloned())
        .unwrap_or_else(|| field.default.to_string());
    let label = if field.required {
        field.label.to_string()
    } else {
        format!("{} (optional)", field.label)
    };
    let input = match (field.kind, field.secret) {
        (_, true) => {
            let hint = stored.as_ref().map(|s| {
                if field.required {
                    format!("Stored: {}. Leave empty to keep it.", s.hint)
                } else {
                    "Leave empty to keep what is stored.".to_string()
                }
            });
            // A stored secret stands in for an empty input, so only a new one must be typed.
            let required = field.required && stored.is_none();
            view! {
                <input id=id.clone() name=name type="password" autocomplete="new-password" required=required
                    aria-describedby=hint_id.clone() data-testid=testid />
                <p id=hint_id class="hint">{hint.unwrap_or_else(|| "Stored encrypted; never shown again.".into())}</p>
            }
            .into_any()
        }
        (FieldKind::Boolean, false) => {
            let yes = value == "true";
            view! {
                <select id=id.clone() name=name data-testid=testid>
                    <option value="true" selected=yes>"Yes"</option>
                    <option value="false" selected=!yes>"No"</option>
                </select>
            }
            .into_any()
        }
        (FieldKind::Number, false) => view! {
            <input id=id.clone() name=name type="number" min="0" inputmode="numeric" value=value
                required=field.required data-testid=testid />
        }
        .into_any(),
        (FieldKind::Text, false) => view! {
            <input id=id.clone() name=name value=value required=field.required data-testid=testid />
        }
        .into_any(),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
        </div>
    }
}
