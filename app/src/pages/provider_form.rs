//! The add/edit form of an n8n instance, used on `/providers` and for the first instance on
//! the dashboard.

use crate::api::providers::SaveProvider;
use crate::app::load_page;
use crate::components::ErrorNotice;
use crate::model::ProviderView;
use leptos::prelude::*;

/// Add (no `existing`) or edit an instance. Saving also tests the connection, then loads
/// `done_path`, which the server renders with the saved instance.
#[island]
pub fn ProviderForm(
    /// The instance being edited, `None` to add one.
    existing: Option<ProviderView>,
    /// The page to load once saved.
    done_path: String,
    /// Where a Cancel link leads; no link when `None`.
    #[prop(optional)]
    cancel_path: Option<String>,
) -> impl IntoView {
    let action = ServerAction::<SaveProvider>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            load_page(&done_path);
        }
    });
    let editing = existing.is_some();
    let id = existing
        .as_ref()
        .map(|p| p.id.to_string())
        .unwrap_or_default();
    let name = existing
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let base_url = existing
        .as_ref()
        .map(|p| p.base_url.clone())
        .unwrap_or_default();
    let key_hint = existing.as_ref().map(|p| p.key_hint.clone());
    view! {
        <ActionForm action=action>
            <div class="provider-form" data-testid="provider-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="provider-name">"Name"</label>
                    <input id="provider-name" name="name" value=name required maxlength="100"
                        placeholder="Production" data-testid="provider-name" />
                </div>
                <div class="field">
                    <label for="provider-url">"n8n URL"</label>
                    <input id="provider-url" name="base_url" type="url" value=base_url required
                        placeholder="https://n8n.example.com" aria-describedby="provider-url-hint"
                        data-testid="provider-url" />
                    <p id="provider-url-hint" class="hint">"The address you open n8n at, without /api/v1."</p>
                </div>
                <div class="field">
                    <label for="provider-key">"API key"</label>
                    <input id="provider-key" name="api_key" type="password" autocomplete="off"
                        required=!editing aria-describedby="provider-key-hint" data-testid="provider-api-key" />
                    <p id="provider-key-hint" class="hint">
                        {match key_hint {
                            Some(hint) => format!("Stored key: {hint}. Leave empty to keep it."),
                            None => "In n8n: Settings → n8n API → Create an API key. It is stored encrypted and never shown again.".into(),
                        }}
                    </p>
                </div>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="provider-save"
                        disabled=move || action.pending().get()>
                        {move || match (action.pending().get(), editing) {
                            (true, _) => "Saving and testing…",
                            (false, true) => "Save changes",
                            (false, false) => "Add instance",
                        }}
                    </button>
                    {cancel_path.map(|path| view! {
                        <a class="button" href=path data-testid="provider-cancel">"Cancel"</a>
                    })}
                </div>
            </div>
        </ActionForm>
    }
}
