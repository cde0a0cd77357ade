//! The chat page's islands: the message box, Deploy / Redeploy, Remove, and the quiet
//! pick-up of credentials added since the composer last ran. Each asks the live bridge to
//! refresh once it changed something; other tabs follow through the realtime feed.

use crate::api::chat::{pick_up_credentials, SendMessage};
use crate::api::deploy::{deploy_workflow, remove_workflow};
use crate::app::load_page;
use crate::components::ErrorNotice;
use crate::live::request_refresh;
use crate::model::builder::InstanceOption;
use crate::validation::MAX_MESSAGE_CHARS;
use leptos::prelude::*;
use uuid::Uuid;

/// The message box; `conversation_id` is `None` for a new chat, which the first message starts.
#[island]
pub fn MessageForm(conversation_id: Option<Uuid>) -> impl IntoView {
    let action = ServerAction::<SendMessage>::new();
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(sent)) = action.value().get() {
            if conversation_id == Some(sent.conversation_id) {
                text.set(String::new());
                request_refresh();
            } else {
                load_page(&format!("/chat?c={}", sent.conversation_id));
            }
        }
    });
    let id = conversation_id.map(|id| id.to_string()).unwrap_or_default();
    let count = move || text.with(|t| t.trim().chars().count());
    view! {
        <ActionForm action=action>
            <div class="message-form" data-testid="message-form">
                <input type="hidden" name="conversation_id" value=id />
                <label for="chat-text">"Your message"</label>
                <textarea id="chat-text" name="text" rows="3" maxlength=MAX_MESSAGE_CHARS
                    placeholder="When a webhook is called at /orders, post 'New order {{id}}' to Slack #sales"
                    aria-describedby="chat-text-hint" data-testid="chat-input"
                    prop:value=move || text.get()
                    on:input=move |event| text.set(event_target_value(&event))></textarea>
                <p id="chat-text-hint" class="hint">
                    {move || format!("{} / {MAX_MESSAGE_CHARS} characters. Say what should start the \
                        workflow and what it should do; follow up to change it, or say “undo”.", count())}
                </p>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="chat-send"
                        disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Sending…" } else { "Send" }}
                    </button>
                </div>
            </div>
        </ActionForm>
    }
}

/// Deploy the chat's plan to one of the user's instances (to one it is on already: updated in
/// place). Its props never change with a deploy, so the live refresh that follows keeps this
/// island, and its report, as they are.
#[island]
pub fn DeployControls(conversation_id: Uuid, instances: Vec<InstanceOption>) -> impl IntoView {
    let first = instances.first().map(|i| i.id);
    let chosen = RwSignal::new(first);
    let activate = RwSignal::new(false);
    let deploy = Action::new(move |&(provider, activate): &(Uuid, bool)| {
        deploy_workflow(conversation_id, provider, Some(activate))
    });
    Effect::new(move |_| {
        if deploy.value().with(Option::is_some) {
            request_refresh();
        }
    });
    let options = instances
        .into_iter()
        .map(|instance| {
            let value = instance.id.to_string();
            let selected = Some(instance.id) == first;
            view! { <option value=value selected=selected>{instance.name}</option> }
        })
        .collect_view();
    view! {
        <div class="deploy-controls" data-testid="deploy-controls">
            <div class="field">
                <label for="deploy-instance">"Instance"</label>
                <select id="deploy-instance" data-testid="deploy-instance"
                    on:change=move |event| chosen.set(event_target_value(&event).parse().ok())>
                    {options}
                </select>
            </div>
            <label class="check">
                <input type="checkbox" data-testid="deploy-activate"
                    on:change=move |event| activate.set(event_target_checked(&event)) />
                "Activate it after deploying"
            </label>
            <div class="actions">
                <button type="button" class="primary" data-testid="deploy"
                    disabled=move || deploy.pending().get() || chosen.get().is_none()
                    on:click=move |_| {
                        if let Some(provider) = chosen.get_untracked() {
                            deploy.dispatch((provider, activate.get_untracked()));
                        }
                    }>
                    {move || if deploy.pending().get() { "Deploying…" } else { "Deploy" }}
                </button>
            </div>
            <DeployReport result=Signal::derive(move || deploy.value().get()) testid="deploy-result" />
        </div>
    }
}

/// Deploys the chat's current plan again to an instance it went to, leaving its activation
/// as it is: how edits made since reach n8n.
#[island]
pub fn RedeployButton(conversation_id: Uuid, provider_id: Uuid) -> impl IntoView {
    let deploy = Action::new(move |_: &()| deploy_workflow(conversation_id, provider_id, None));
    Effect::new(move |_| {
        if deploy.value().with(Option::is_some) {
            request_refresh();
        }
    });
    view! {
        <button type="button" data-testid="deployment-redeploy" disabled=move || deploy.pending().get()
            on:click=move |_| { deploy.dispatch(()); }>
            {move || if deploy.pending().get() { "Redeploying…" } else { "Redeploy" }}
        </button>
        <DeployReport result=Signal::derive(move || deploy.value().get()) testid="redeploy-result" />
    }
}

/// What the last deploy did, or why it failed.
#[component]
fn DeployReport(
    result: Signal<Option<Result<String, crate::error::AppError>>>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div aria-live="polite" class="deploy-report">
            {move || result.get().map(|result| match result {
                Ok(text) => view! { <p class="notice ok" data-testid=testid>{text}</p> }.into_any(),
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
            })}
        </div>
    }
}

/// Remove a deployed workflow, after confirmation.
#[island]
pub fn RemoveDeployment(workflow_id: Uuid, instance: String) -> impl IntoView {
    let remove = Action::new(move |id: &Uuid| remove_workflow(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(remove.value().get(), Some(Ok(_))) {
            request_refresh();
        }
    });
    let question = format!(
        "Remove this workflow from “{instance}”? It is deleted in n8n; its executions stay in FlowPulse."
    );
    view! {
        {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        <Show when=move || !confirming.get() fallback=move || view! {
            <div class="confirm" role="alertdialog" aria-label="Confirm removal">
                <p>{question.clone()}</p>
                <button type="button" class="danger" data-testid="deployment-remove-confirm"
                    disabled=move || remove.pending().get()
                    on:click=move |_| { remove.dispatch(workflow_id); }>
                    {move || if remove.pending().get() { "Removing…" } else { "Yes, remove" }}
                </button>
                <button type="button" data-testid="deployment-remove-cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        }>
            <button type="button" class="danger-outline" data-testid="deployment-remove"
                on:click=move |_| confirming.set(true)>"Remove"</button>
        </Show>
    }
}

/// Shown while credentials added since the composer last ran are waiting to be taken up: asks
/// the server once, which stores the reply when the plan changed.
#[island]
pub fn CredentialPickup(conversation_id: Uuid) -> impl IntoView {
    let pick_up = Action::new(move |id: &Uuid| pick_up_credentials(*id));
    Effect::new(move |asked: Option<()>| {
        if asked.is_none() {
            pick_up.dispatch(conversation_id);
        }
    });
    Effect::new(move |_| {
        if matches!(pick_up.value().get(), Some(Ok(true))) {
            request_refresh();
        }
    });
    view! {
        <p class="notice info" data-testid="credential-pickup">
            {move || match pick_up.value().get() {
                Some(Err(_)) => "Your new credentials will be used with your next message.",
                _ => "You added credentials: updating the plan…",
            }}
        </p>
    }
}
