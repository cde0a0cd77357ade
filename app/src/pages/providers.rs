//! `/providers`: the user's n8n instances.

use crate::api::providers::{delete_provider, list_providers, test_provider};
use crate::components::{ErrorNotice, ProviderBadge, RelativeTime};
use crate::live::{request_refresh, LiveRegion};
use crate::model::ProviderView;
use crate::pages::provider_form::ProviderForm;
use crate::pages::query::PageQuery;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

/// What the providers page's region shows, for the live bridge.
const PROVIDER_TABLES: &str = "providers";

/// `/providers`; `?edit=<id>` puts that instance into the form.
#[component]
pub fn ProvidersPage() -> impl IntoView {
    let editing_id = PageQuery::current().uuid("edit");
    view! {
        <h1>"n8n instances"</h1>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match list_providers().await {
                    Err(error) => view! {
                        <LiveRegion id="providers-list" tables=PROVIDER_TABLES>
                            <ErrorNotice error />
                        </LiveRegion>
                    }.into_any(),
                    Ok(list) if list.providers.is_empty() => view! {
                        <LiveRegion id="providers-list" tables=PROVIDER_TABLES>
                            <section class="card onboarding" data-testid="providers-empty">
                                <h2>"Connect your first n8n instance"</h2>
                                <p>"FlowPulse reads workflows and executions through n8n's public API. Give the instance a name, its URL and an API key; FlowPulse tests the connection right away."</p>
                                <ProviderForm existing=None done_path="/providers".to_string() />
                            </section>
                        </LiveRegion>
                    }.into_any(),
                    Ok(list) => {
                        let now = list.now;
                        let editing = editing_id
                            .and_then(|id| list.providers.iter().find(|p| p.id == id).cloned());
                        view! {
                            <LiveRegion id="providers-list" tables=PROVIDER_TABLES>
                                <ul class="provider-list" data-testid="provider-list">
                                    {list.providers.into_iter().map(|provider| view! {
                                        <ProviderRow provider now />
                                    }).collect_view()}
                                </ul>
                            </LiveRegion>
                            // Outside the live region: a refresh must not touch a form being filled in.
                            <section class="card" aria-labelledby="provider-form-title">
                                {match editing {
                                    Some(provider) => view! {
                                        <h2 id="provider-form-title">{format!("Edit \"{}\"", provider.name)}</h2>
                                        <ProviderForm existing=Some(provider) done_path="/providers".to_string()
                                            cancel_path="/providers".to_string() />
                                    }.into_any(),
                                    None => view! {
                                        <h2 id="provider-form-title">"Add an instance"</h2>
                                        <ProviderForm existing=None done_path="/providers".to_string() />
                                    }.into_any(),
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// One instance: its facts, and the actions island.
#[component]
fn ProviderRow(provider: ProviderView, now: DateTime<Utc>) -> impl IntoView {
    let (id, name) = (provider.id, provider.name.clone());
    view! {
        <li class="card provider" data-testid="provider-row" data-name=provider.name.clone()>
            <div class="provider-head">
                <h2>{provider.name.clone()}</h2>
                <ProviderBadge status=provider.status />
            </div>
            <dl class="facts">
                <dt>"URL"</dt><dd><a href=provider.base_url.clone() rel="noopener" target="_blank">{provider.base_url.clone()}</a></dd>
                <dt>"API key"</dt><dd data-testid="provider-key-hint">{provider.key_hint.clone()}</dd>
                <dt>"Last checked"</dt><dd data-testid="provider-last-checked"><RelativeTime at=provider.last_checked_at now /></dd>
            </dl>
            {provider.last_error.clone().map(|problem| view! { <p class="problem" data-testid="provider-problem">{problem}</p> })}
            <ProviderActions id name />
        </li>
    }
}

/// Test, edit and delete one instance; deleting asks for confirmation first. After a change
/// the live bridge refreshes the list.
#[island]
fn ProviderActions(id: Uuid, name: String) -> impl IntoView {
    let test = Action::new(move |id: &Uuid| test_provider(*id));
    let delete = Action::new(move |id: &Uuid| delete_provider(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(test.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(())))
        {
            request_refresh();
        }
    });
    let action_error = move || {
        let test_error = test.value().get().and_then(Result::err);
        let delete_error = delete.value().get().and_then(Result::err);
        test_error
            .or(delete_error)
            .map(|error| view! { <ErrorNotice error /> })
    };
    let confirm_text = format!(
        "Delete \"{name}\"? Its workflows, executions and sync logs are removed from FlowPulse. Nothing changes in n8n."
    );
    view! {
        {action_error}
        <div class="actions">
            <button type="button" data-testid="provider-test" disabled=move || test.pending().get()
                on:click=move |_| { test.dispatch(id); }>
                {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
            </button>
            <a class="button" href=format!("/providers?edit={id}#provider-form-title") data-testid="provider-edit">"Edit"</a>
            <Show when=move || !confirming.get() fallback=move || view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <p>{confirm_text.clone()}</p>
                    <button type="button" class="danger" data-testid="provider-delete-confirm"
                        disabled=move || delete.pending().get()
                        on:click=move |_| { delete.dispatch(id); }>
                        {move || if delete.pending().get() { "Deleting…" } else { "Yes, delete" }}
                    </button>
                    <button type="button" data-testid="provider-delete-cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            }>
                <button type="button" class="danger-outline" data-testid="provider-delete" on:click=move |_| confirming.set(true)>"Delete"</button>
            </Show>
        </div>
    }
}
