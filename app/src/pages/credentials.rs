//! `/credentials`: the user's n8n credentials, the ones still needed, and the form.
//!
//! `?edit=<id>` puts a credential into the form, `?type=<n8n type>` preselects a type for a new
//! one, and `?chat=<id>` returns to that chat once saved (the chat then picks it up).

use crate::api::credentials::{delete_credential, list_credentials};
use crate::components::{ErrorNotice, RelativeTime};
use crate::live::{request_refresh, LiveRegion};
use crate::model::builder::{CredentialView, NeededType};
use crate::pages::credential_form::CredentialForm;
use crate::pages::query::PageQuery;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

/// What the page's regions show, for the live bridge.
const CREDENTIAL_TABLES: &str = "credentials mvp_workflows conversations providers";

/// `/credentials`
#[component]
pub fn CredentialsPage() -> impl IntoView {
    let query = PageQuery::current();
    let editing_id = query.uuid("edit");
    let initial_type = query.value("type");
    let done_path = query
        .uuid("chat")
        .map_or_else(|| "/credentials".to_string(), |id| format!("/chat?c={id}"));
    view! {
        <h1>"Credentials"</h1>
        <p class="muted">"What your workflows sign in with: Slack tokens, SMTP logins, API keys. Stored \
            encrypted; a deploy creates each one in the n8n instance that needs it. Only the last \
            four characters of a secret are ever shown."</p>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match list_credentials(editing_id).await {
                    Err(error) => view! {
                        <LiveRegion id="credentials-needed" tables=CREDENTIAL_TABLES>""</LiveRegion>
                        <LiveRegion id="credentials-list" tables=CREDENTIAL_TABLES>
                            <ErrorNotice error />
                        </LiveRegion>
                    }.into_any(),
                    Ok(page) => {
                        let now = page.now;
                        let form_title = match &page.editing {
                            Some(edit) => format!("Edit “{}”", edit.name),
                            None => "Add a credential".to_string(),
                        };
                        view! {
                            <LiveRegion id="credentials-needed" tables=CREDENTIAL_TABLES>
                                <StillNeeded needed=page.still_needed />
                            </LiveRegion>
                            <LiveRegion id="credentials-list" tables=CREDENTIAL_TABLES>
                                {if page.credentials.is_empty() {
                                    view! { <p class="empty" data-testid="credentials-empty">"No credentials yet. Add one below."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="provider-list" data-testid="credential-list">
                                            {page.credentials.into_iter().map(|credential| view! {
                                                <CredentialRow credential now />
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </LiveRegion>
                            // Outside the live regions: a refresh must not touch a form being filled in.
                            <section class="card" aria-labelledby="credential-form-title">
                                <h2 id="credential-form-title">{form_title}</h2>
                                <CredentialForm existing=page.editing initial_type done_path />
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Credential types the user's chats and workflows need and the user has none of.
#[component]
fn StillNeeded(needed: Vec<NeededType>) -> impl IntoView {
    if needed.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" aria-labelledby="still-needed-title" data-testid="credentials-still-needed">
            <h2 id="still-needed-title">"Credentials you still need"</h2>
            <ul class="need-list">
                {needed.into_iter().map(|need| {
                    let action = if need.can_add {
                        view! {
                            <a href=format!("/credentials?type={}#credential-form-title", need.credential_type)
                                data-testid="still-needed-add">"Add one"</a>
                        }.into_any()
                    } else {
                        view! { <span class="muted">"Set it up in n8n."</span> }.into_any()
                    };
                    view! {
                        <li data-testid="still-needed" data-type=need.credential_type.clone()>
                            <strong>{need.label}</strong>
                            {format!(" — needed by {}. ", need.needed_by.join(", "))}
                            {action}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// One credential: its facts, and the actions island.
#[component]
fn CredentialRow(credential: CredentialView, now: DateTime<Utc>) -> impl IntoView {
    let created_in = if credential.created_in.is_empty() {
        "No instance yet: a deploy creates it where needed.".to_string()
    } else {
        credential.created_in.join(", ")
    };
    let row_name = credential.name.clone();
    view! {
        <li class="card provider" data-testid="credential-row" data-name=row_name>
            <div class="provider-head">
                <h2>{credential.name.clone()}</h2>
                <span class="badge neutral">{credential.type_label.clone()}</span>
            </div>
            <dl class="facts">
                <dt>"Secret"</dt><dd data-testid="credential-hint">{credential.hint.clone()}</dd>
                <dt>"Added"</dt><dd><RelativeTime at=Some(credential.created_at) now /></dd>
                <dt>"Changed"</dt><dd><RelativeTime at=Some(credential.updated_at) now /></dd>
                <dt>"Created in"</dt><dd data-testid="credential-created-in">{created_in}</dd>
            </dl>
            <CredentialActions id=credential.id name=credential.name used_by=credential.used_by />
        </li>
    }
}

/// Edit and delete one credential; deleting asks first, naming the deployed workflows that
/// use it.
#[island]
fn CredentialActions(id: Uuid, name: String, used_by: Vec<String>) -> impl IntoView {
    let delete = Action::new(move |id: &Uuid| delete_credential(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            request_refresh();
        }
    });
    let warning = if used_by.is_empty() {
        format!("Delete “{name}”? No deployed workflow uses it.")
    } else {
        format!(
            "Delete “{name}”? Deployed workflows use it: {}. They keep working in n8n (the \
             credential stays there), but deploying them again needs a credential of this type.",
            used_by.join(", ")
        )
    };
    view! {
        {move || delete.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        <div class="actions">
            <a class="button" href=format!("/credentials?edit={id}#credential-form-title") data-testid="credential-edit">"Edit"</a>
            <Show when=move || !confirming.get() fallback=move || view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <p data-testid="credential-delete-warning">{warning.clone()}</p>
                    <button type="button" class="danger" data-testid="credential-delete-confirm"
                        disabled=move || delete.pending().get()
                        on:click=move |_| { delete.dispatch(id); }>
                        {move || if delete.pending().get() { "Deleting…" } else { "Yes, delete" }}
                    </button>
                    <button type="button" data-testid="credential-delete-cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            }>
                <button type="button" class="danger-outline" data-testid="credential-delete" on:click=move |_| confirming.set(true)>"Delete"</button>
            </Show>
        </div>
    }
}
