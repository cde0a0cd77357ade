//! The alerts page's islands: the channel and rule forms, and each channel's and rule's
//! actions (send a test, enable or disable, delete with confirmation).

use crate::api::alerts::{
    delete_alert_channel, delete_alert_rule, set_alert_rule_enabled, test_alert_channel,
    SaveAlertChannel, SaveAlertRule, CHANNEL_KINDS, RULE_KINDS,
};
use crate::app::load_page;
use crate::components::ErrorNotice;
use crate::live::request_refresh;
use crate::model::insight::{ChannelView, RuleView};
use leptos::prelude::*;
use uuid::Uuid;

/// Adds a channel, or changes `editing`; once saved, loads the page again with it listed.
#[island]
pub fn ChannelForm(#[prop(optional)] editing: Option<ChannelView>) -> impl IntoView {
    let action = ServerAction::<SaveAlertChannel>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            load_page("/alerts");
        }
    });
    let (id, name, kind) = editing.as_ref().map_or_else(
        || (String::new(), String::new(), String::new()),
        |c| (c.id.to_string(), c.name.clone(), c.kind.clone()),
    );
    let is_edit = editing.is_some();
    let target_hint = if is_edit {
        "Leave empty to keep the current address. Stored encrypted; only its host and last \
         characters are shown again."
    } else {
        "Stored encrypted; only its host and last characters are shown again."
    };
    view! {
        <ActionForm action=action>
            <div class="channel-form" data-testid="channel-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="channel-name">"Name"</label>
                    <input id="channel-name" name="name" required maxlength="100" placeholder="Ops Slack"
                        value=name data-testid="channel-name" />
                </div>
                <div class="field">
                    <label for="channel-kind">"Kind"</label>
                    <select id="channel-kind" name="kind" data-testid="channel-kind">
                        {CHANNEL_KINDS.iter().map(|(value, label)| {
                            view! { <option value=*value selected=kind == *value>{*label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="channel-target">"Webhook URL or e-mail address"</label>
                    <input id="channel-target" name="target" required=!is_edit autocomplete="off" type="password"
                        aria-describedby="channel-target-hint" data-testid="channel-target" />
                    <p id="channel-target-hint" class="hint">{target_hint}</p>
                </div>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="channel-save" disabled=move || action.pending().get()>
                        {move || match (action.pending().get(), is_edit) {
                            (true, _) => "Saving…",
                            (false, true) => "Save changes",
                            (false, false) => "Add channel",
                        }}
                    </button>
                    {is_edit.then(|| view! { <a href="/alerts" data-testid="channel-edit-cancel">"Cancel"</a> })}
                </div>
            </div>
        </ActionForm>
    }
}

/// "Send test" and "Delete" for one channel.
#[island]
pub fn ChannelActions(id: Uuid, name: String) -> impl IntoView {
    let test = Action::new(move |id: &Uuid| test_alert_channel(*id));
    let delete = Action::new(move |id: &Uuid| delete_alert_channel(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if test.value().with(Option::is_some) || matches!(delete.value().get(), Some(Ok(()))) {
            request_refresh();
        }
    });
    let outcome = move || {
        let tested = test.value().get().map(|result| match result {
            Ok(text) => view! { <p class="notice ok" role="status" data-testid="channel-test-outcome">{text}</p> }.into_any(),
            Err(error) => view! { <ErrorNotice error /> }.into_any(),
        });
        let deleted = delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorNotice error /> });
        view! { {tested}{deleted} }
    };
    let confirm_text = format!("Delete the channel “{name}”? Rules stop notifying it.");
    view! {
        <div aria-live="polite">{outcome}</div>
        <div class="actions">
            <button type="button" data-testid="channel-test" disabled=move || test.pending().get()
                on:click=move |_| { test.dispatch(id); }>
                {move || if test.pending().get() { "Sending…" } else { "Send test" }}
            </button>
            <Show when=move || !confirming.get() fallback=move || view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <p>{confirm_text.clone()}</p>
                    <button type="button" class="danger" data-testid="channel-delete-confirm"
                        disabled=move || delete.pending().get() on:click=move |_| { delete.dispatch(id); }>
                        {move || if delete.pending().get() { "Deleting…" } else { "Yes, delete" }}
                    </button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            }>
                <button type="button" class="danger-outline" data-testid="channel-delete" on:click=move |_| confirming.set(true)>"Delete"</button>
            </Show>
        </div>
    }
}

/// Adds a rule, or changes `editing`. Choices are `(value, label)`: instances, workflows and
/// channels.
#[island]
pub fn RuleForm(
    instances: Vec<(String, String)>,
    workflows: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    #[prop(optional)] editing: Option<RuleView>,
) -> impl IntoView {
    let action = ServerAction::<SaveAlertRule>::new();
    let values = editing
        .as_ref()
        .map(|rule| rule.form.clone())
        .unwrap_or_default();
    let is_edit = editing.is_some();
    let (id, name, threshold) = editing.as_ref().map_or_else(
        || (String::new(), String::new(), String::new()),
        |rule| {
            (
                rule.id.to_string(),
                rule.name.clone(),
                rule.threshold.map(|t| t.to_string()).unwrap_or_default(),
            )
        },
    );
    let first_kind = if values.kind.is_empty() {
        RULE_KINDS[0].0.to_string()
    } else {
        values.kind.clone()
    };
    let kind = RwSignal::new(first_kind.clone());
    let chosen =
        |option: &str, current: Option<Uuid>| current.is_some_and(|id| id.to_string() == option);
    let (instance, workflow) = (values.instance, values.workflow);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            load_page("/alerts");
        }
    });
    let no_channels = channels.is_empty();
    view! {
        <ActionForm action=action>
            <div class="rule-form" data-testid="rule-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="rule-name">"Name"</label>
                    <input id="rule-name" name="name" required maxlength="100" placeholder="Production failures"
                        value=name data-testid="rule-name" />
                </div>
                <div class="field">
                    <label for="rule-kind">"Tell me when"</label>
                    <select id="rule-kind" name="kind" data-testid="rule-kind"
                        on:change=move |event| kind.set(event_target_value(&event))>
                        {RULE_KINDS.iter().map(|(value, label)| {
                            view! { <option value=*value selected=first_kind == *value>{*label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="rule-instance">"Instance"</label>
                    <select id="rule-instance" name="instance" data-testid="rule-instance">
                        <option value="">"Every instance"</option>
                        {instances.into_iter().map(|(value, label)| {
                            let selected = chosen(&value, instance);
                            view! { <option value=value selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="rule-workflow">"Workflow"</label>
                    <select id="rule-workflow" name="workflow" data-testid="rule-workflow">
                        <option value="">"Every workflow"</option>
                        {workflows.into_iter().map(|(value, label)| {
                            let selected = chosen(&value, workflow);
                            view! { <option value=value selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Show when=move || kind.get() == "failure_rate">
                    <div class="field">
                        <label for="rule-threshold">"Threshold (% of runs failed, optional)"</label>
                        <input id="rule-threshold" name="threshold" type="number" min="0" max="100" step="any"
                            value=threshold.clone() aria-describedby="rule-threshold-hint" data-testid="rule-threshold" />
                        <p id="rule-threshold-hint" class="hint">"Empty: when it fails far more than its own normal."</p>
                    </div>
                </Show>
                <fieldset class="field">
                    <legend>"Notify"</legend>
                    {no_channels.then(|| view! { <p class="hint">"Add a channel first; a rule without one only lists its alerts here."</p> })}
                    {channels.into_iter().map(|(id, label)| {
                        let input_id = format!("rule-channel-{id}");
                        let label_for = input_id.clone();
                        let checked = values.channel_ids.iter().any(|c| c.to_string() == id);
                        view! {
                            <label for=label_for class="check">
                                <input id=input_id type="checkbox" name=format!("channels[ch-{id}]") value="on" checked=checked />
                                " " {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="rule-save" disabled=move || action.pending().get()>
                        {move || match (action.pending().get(), is_edit) {
                            (true, _) => "Saving…",
                            (false, true) => "Save changes",
                            (false, false) => "Add rule",
                        }}
                    </button>
                    {is_edit.then(|| view! { <a href="/alerts" data-testid="rule-edit-cancel">"Cancel"</a> })}
                </div>
            </div>
        </ActionForm>
    }
}

/// Enable or disable, and delete, one rule.
#[island]
pub fn RuleActions(id: Uuid, name: String, enabled: bool) -> impl IntoView {
    let toggle = Action::new(move |on: &bool| set_alert_rule_enabled(id, *on));
    let delete = Action::new(move |id: &Uuid| delete_alert_rule(*id));
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(toggle.value().get(), Some(Ok(())))
            || matches!(delete.value().get(), Some(Ok(())))
        {
            request_refresh();
        }
    });
    let error = move || {
        toggle
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| delete.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorNotice error /> })
    };
    let confirm_text = format!("Delete the rule “{name}” with its alerts?");
    view! {
        {error}
        <div class="actions">
            <button type="button" data-testid="rule-toggle" disabled=move || toggle.pending().get()
                on:click=move |_| { toggle.dispatch(!enabled); }>
                {if enabled { "Disable" } else { "Enable" }}
            </button>
            <Show when=move || !confirming.get() fallback=move || view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <p>{confirm_text.clone()}</p>
                    <button type="button" class="danger" data-testid="rule-delete-confirm"
                        disabled=move || delete.pending().get() on:click=move |_| { delete.dispatch(id); }>
                        {move || if delete.pending().get() { "Deleting…" } else { "Yes, delete" }}
                    </button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            }>
                <button type="button" class="danger-outline" data-testid="rule-delete" on:click=move |_| confirming.set(true)>"Delete"</button>
            </Show>
        </div>
    }
}
