//! `/providers`: the user's n8n instances.

use crate::api::providers::{delete_provider, list_providers, test_provider};
use crate::components::{ErrorNotice, Loading, ProviderBadge, RelativeTime};
use crate::live::use_live;
use crate::model::ProviderView;
use crate::pages::provider_form::ProviderForm;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

/// `/providers`
#[component]
pub fn ProvidersPage() -> impl IntoView {
    let live = use_live();
    let reload = RwSignal::new(0u64);
    let providers = Resource::new(
        move || (live.providers.get(), reload.get()),
        |_| list_providers(),
    );
    // `None`: the add form; `Some`: editing that instance.
    let editing = RwSignal::new(None::<ProviderView>);
    let refresh = move || reload.update(|value| *value += 1);
    let on_saved = Callback::new(move |_: ProviderView| {
        editing.set(None);
        refresh();
    });
    view! {
        <h1>"n8n instances"</h1>
        <Transition fallback=|| view! { <Loading label="Loading your instances…" /> }>
            {move || providers.get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                Ok(list) if list.providers.is_empty() => view! {
                    <section class="card onboarding" data-testid="providers-empty">
                        <h2>"Connect your first n8n instance"</h2>
                        <p>"FlowPulse reads workflows and executions through n8n's public API. Give the instance a name, its URL and an API key; FlowPulse tests the connection right away."</p>
                        <ProviderForm existing=None on_saved />
                    </section>
                }.into_any(),
                Ok(list) => {
                    let now = list.now;
                    view! {
                        <ul class="provider-list" data-testid="provider-list">
                            {list.providers.into_iter().map(|provider| view! {
                                <ProviderRow provider now editing on_changed=Callback::new(move |()| refresh()) />
                            }).collect_view()}
                        </ul>
                        <section class="card" aria-labelledby="provider-form-title">
                            {move || match editing.get() {
                                Some(provider) => view! {
                                    <h2 id="provider-form-title">{format!("Edit \"{}\"", provider.name)}</h2>
                                    <ProviderForm existing=Some(provider) on_saved
                                        on_cancel=Callback::new(move |()| editing.set(None)) />
                                }.into_any(),
                                None => view! {
                                    <h2 id="provider-form-title">"Add an instance"</h2>
                                    <ProviderForm existing=None on_saved />
                                }.into_any(),
                            }}
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// One instance with its actions; deleting asks for confirmation first.
#[component]
fn ProviderRow(
    provider: ProviderView,
    now: DateTime<Utc>,
    editing: RwSignal<Option<ProviderView>>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let id = provider.id;
    let test = Action::new(move |id: &Uuid| test_provider(*id));
    let delete = Action::new(move |id: &Uuid| delete_provider(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(test.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(())))
        {
            on_changed.run(());
        }
    });
    let action_error = move || {
        let test_error = test.value().get().and_then(Result::err);
        let delete_error = delete.value().get().and_then(Result::err);
        test_error
            .or(delete_error)
            .map(|error| view! { <ErrorNotice error /> })
    };
    let for_edit = provider.clone();
    let name = provider.name.clone();
    let confirm_text = format!(
        "Delete \"{}\"? Its workflows, executions and sync logs are removed from FlowPulse. Nothing changes in n8n.",
        provider.name
    );
    view! {
        <li class="card provider" data-testid="provider-row" data-name=name.clone()>
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
            {action_error}
            <div class="actions">
                <button type="button" data-testid="provider-test" disabled=move || test.pending().get()
                    on:click=move |_| { test.dispatch(id); }>
                    {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                </button>
                <button type="button" data-testid="provider-edit" on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
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
        </li>
    }
}
