//! `/alerts`: where alerts go (channels, with a test button), what to be told about (rules),
//! and the alerts the syncs opened, open ones first, each with its deliveries' state.

use crate::api::alerts::load_alerts;
use crate::components::{Badge, ErrorNotice, RelativeTime};
use crate::live::LiveRegion;
use crate::model::insight::{AlertView, AlertsPage as AlertsData, ChannelView, RuleView};
use crate::pages::alert_forms::{ChannelActions, ChannelForm, RuleActions, RuleForm};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// What the page's regions show, for the live bridge.
const ALERT_TABLES: &str = "alert_channels alert_rules alerts alert_deliveries";

/// A status word as a `'static` badge status (the badge's tone comes from it).
fn word(status: &str) -> &'static str {
    match status {
        "open" => "open",
        "resolved" => "resolved",
        "delivered" => "delivered",
        "failed" => "failed",
        _ => "pending",
    }
}

/// `/alerts`
#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <h1>"Alerts"</h1>
        <p class="muted">"After each sync FlowPulse checks your rules: you hear once when something \
            breaks and once when it recovers."</p>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match load_alerts().await {
                    Err(error) => view! {
                        <LiveRegion id="alerts-lists" tables=ALERT_TABLES><ErrorNotice error /></LiveRegion>
                    }.into_any(),
                    Ok(data) => view! { <Body data /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Body(data: AlertsData) -> impl IntoView {
    let now = data.now;
    // `?edit=<id>`: the channel or rule of that id fills its form, to be changed.
    let edit: Option<uuid::Uuid> = leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("edit"))
        .and_then(|id| id.parse().ok());
    let editing_channel = edit.and_then(|id| data.channels.iter().find(|c| c.id == id).cloned());
    let editing_rule = edit.and_then(|id| data.rules.iter().find(|r| r.id == id).cloned());
    let channel_title = editing_channel.as_ref().map_or_else(
        || "Add a channel".to_string(),
        |c| format!("Change the channel “{}”", c.name),
    );
    let rule_title = editing_rule.as_ref().map_or_else(
        || "Add a rule".to_string(),
        |r| format!("Change the rule “{}”", r.name),
    );
    let instances: Vec<(String, String)> = data
        .providers
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let workflows: Vec<(String, String)> = data
        .workflows
        .iter()
        .map(|w| (w.id.to_string(), w.name.clone()))
        .collect();
    let channel_choices: Vec<(String, String)> = data
        .channels
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    view! {
        <LiveRegion id="alerts-lists" tables=ALERT_TABLES>
            <section class="card" aria-labelledby="open-alerts-title">
                <h2 id="open-alerts-title">"Open alerts"</h2>
                {if data.open.is_empty() {
                    view! { <p class="empty" data-testid="alerts-none-open">"Nothing is wrong right now."</p> }.into_any()
                } else {
                    view! { <ul class="alert-list">{data.open.into_iter().map(|alert| view! { <Alert alert now /> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="channels-title">
                <h2 id="channels-title">"Channels"</h2>
                {if data.channels.is_empty() {
                    view! { <p class="empty" data-testid="channels-empty">"No channels yet. Add one below."</p> }.into_any()
                } else {
                    view! { <ul class="plain-list" data-testid="channel-list">{data.channels.into_iter().map(|channel| view! { <Channel channel /> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="rules-title">
                <h2 id="rules-title">"Rules"</h2>
                {if data.rules.is_empty() {
                    view! { <p class="empty" data-testid="rules-empty">"No rules yet. Add one below."</p> }.into_any()
                } else {
                    view! { <ul class="plain-list" data-testid="rule-list">{data.rules.into_iter().map(|rule| view! { <Rule rule /> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            {(!data.past.is_empty()).then(|| view! {
                <section class="card" aria-labelledby="past-alerts-title">
                    <h2 id="past-alerts-title">"Past alerts"</h2>
                    <ul class="alert-list">{data.past.into_iter().map(|alert| view! { <Alert alert now /> }).collect_view()}</ul>
                </section>
            })}
        </LiveRegion>
        // Outside the live region: a refresh must not touch a form being filled in.
        <section class="card" aria-labelledby="channel-form-title">
            <h2 id="channel-form-title">{channel_title}</h2>
            {match editing_channel {
                Some(channel) => view! { <ChannelForm editing=channel /> }.into_any(),
                None => view! { <ChannelForm /> }.into_any(),
            }}
        </section>
        <section class="card" aria-labelledby="rule-form-title">
            <h2 id="rule-form-title">{rule_title}</h2>
            {match editing_rule {
                Some(rule) => view! { <RuleForm instances workflows channels=channel_choices editing=rule /> }.into_any(),
                None => view! { <RuleForm instances workflows channels=channel_choices /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Channel(channel: ChannelView) -> impl IntoView {
    let row_name = channel.name.clone();
    view! {
        <li data-testid="channel-row" data-key=channel.id.to_string() data-name=row_name>
            <strong>{channel.name.clone()}</strong>" "
            <span class="badge neutral">{channel.kind.clone()}</span>" "
            <span class="muted" data-testid="channel-hint">{channel.hint.clone()}</span>
            {channel.last_test.map(|text| view! { <p class="muted small" data-testid="channel-last-test">"Last test: "{text}</p> })}
            <a href=format!("/alerts?edit={}#channel-form-title", channel.id) data-testid="channel-edit">"Edit"</a>
            <ChannelActions id=channel.id name=channel.name />
        </li>
    }
}

#[component]
fn Rule(rule: RuleView) -> impl IntoView {
    let threshold = rule.threshold.map(|t| format!(", above {t} %"));
    let channels = if rule.channels.is_empty() {
        "no channel".to_string()
    } else {
        rule.channels.join(", ")
    };
    let row_name = rule.name.clone();
    view! {
        <li data-testid="rule-row" data-key=rule.id.to_string() data-name=row_name data-enabled=rule.enabled.to_string()>
            <strong>{rule.name.clone()}</strong>
            {(!rule.enabled).then(|| view! { " " <span class="badge neutral">"disabled"</span> })}
            <p class="muted">{format!("{}{} — {}; notifies {channels}.", rule.kind_label, threshold.unwrap_or_default(), rule.scope)}</p>
            <a href=format!("/alerts?edit={}#rule-form-title", rule.id) data-testid="rule-edit">"Edit"</a>
            <RuleActions id=rule.id name=rule.name enabled=rule.enabled />
        </li>
    }
}

#[component]
fn Alert(alert: AlertView, now: DateTime<Utc>) -> impl IntoView {
    view! {
        <li class="alert" data-testid="alert-row" data-key=alert.id.to_string() data-state=alert.state.clone()>
            <Badge status=word(&alert.state) />" "
            <strong>{alert.subject.clone()}</strong>
            <span class="muted">{format!(" — rule “{}”, opened ", alert.rule)}<RelativeTime at=Some(alert.opened_at) now /></span>
            {alert.resolved_at.map(|at| view! { <span class="muted">", resolved " <RelativeTime at=Some(at) now /></span> })}
            <p>{alert.message.clone()}</p>
            {(!alert.deliveries.is_empty()).then(|| view! {
                <ul class="deliveries">
                    {alert.deliveries.into_iter().map(|delivery| view! {
                        <li data-testid="alert-delivery" data-status=delivery.status.clone()>
                            <Badge status=word(&delivery.status) label=delivery.event.clone() />" "
                            {format!("{}: {}", delivery.channel, delivery.text)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}
