//! `/chat`: build a workflow by describing it. `?c=<id>` opens one of the user's chats; without
//! it the page starts a new one with the first message.
//!
//! The messages, the current plan and its deployments form one live region, so a second tab
//! shows new messages and deployment states as they happen; the message box stays outside it.

use crate::api::chat::load_chat;
use crate::components::{Badge, ErrorNotice, RelativeTime};
use crate::live::{LiveDot, LiveRegion};
use crate::model::builder::{
    ChatThread, ConversationItem, DeployStatus, DeploymentView, MessageView, NeedState, NeedView,
    PlanView, Role,
};
use crate::pages::chat_controls::{
    CredentialPickup, DeployControls, MessageForm, RedeployButton, RemoveDeployment,
};
use crate::pages::plan_graph::PlanGraph;
use crate::pages::query::PageQuery;
use chrono::{DateTime, Utc};
use flowpulse_core::builder::compose::CAPABILITIES;
use leptos::prelude::*;
use uuid::Uuid;

/// What the list of chats shows, for the live bridge.
const LIST_TABLES: &str = "conversations";
/// What the thread shows: messages, the plan, what it needs, where it went.
const THREAD_TABLES: &str =
    "conversations chat_messages workflow_deployments credentials providers";

/// `/chat`
#[component]
pub fn ChatPage() -> impl IntoView {
    let conversation = PageQuery::current().uuid("c");
    view! {
        <div class="page-head">
            <h1>"Build a workflow"</h1>
            <LiveDot />
        </div>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match load_chat(conversation).await {
                    Err(error) => view! {
                        <LiveRegion id="chat-list" tables=LIST_TABLES>""</LiveRegion>
                        <LiveRegion id="chat-thread" tables=THREAD_TABLES>
                            <ErrorNotice error />
                            <p><a href="/chat">"Start a new chat"</a></p>
                        </LiveRegion>
                    }.into_any(),
                    Ok(page) => {
                        let now = page.now;
                        let current = page.thread.as_ref().map(|t| t.id);
                        view! {
                            <div class="chat-layout">
                                <aside class="card chat-aside" aria-label="Your chats">
                                    <a class="button" href="/chat" data-testid="chat-new">"New chat"</a>
                                    <LiveRegion id="chat-list" tables=LIST_TABLES>
                                        <ConversationList items=page.conversations current now />
                                    </LiveRegion>
                                </aside>
                                <div class="chat-main">
                                    <LiveRegion id="chat-thread" tables=THREAD_TABLES>
                                        {match page.thread {
                                            Some(thread) => view! { <Thread thread /> }.into_any(),
                                            None => view! { <Welcome /> }.into_any(),
                                        }}
                                    </LiveRegion>
                                    <section class="card" aria-label="Write a message">
                                        <MessageForm conversation_id=current />
                                    </section>
                                </div>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConversationList(
    items: Vec<ConversationItem>,
    current: Option<Uuid>,
    now: DateTime<Utc>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">"No chats yet."</p> }.into_any();
    }
    view! {
        <ul class="chat-list" data-testid="chat-list">
            {items.into_iter().map(|item| {
                let here = (Some(item.id) == current).then_some("page");
                view! {
                    <li>
                        <a href=format!("/chat?c={}", item.id) aria-current=here data-testid="chat-list-item">
                            {item.title}
                        </a>
                        <span class="muted"> " · " <RelativeTime at=Some(item.updated_at) now /></span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card" data-testid="chat-welcome">
            <h2>"Describe the workflow you want"</h2>
            <p>"For example: “When a webhook is called at /orders, keep the fields id and total, post \
                'New order {{id}}' to Slack #sales and answer ok”."</p>
            <p class="muted">{CAPABILITIES}</p>
            <p class="muted">"You see the plan, a picture of it and the exact JSON before anything is \
                deployed to n8n."</p>
        </section>
    }
}

#[component]
fn Thread(thread: ChatThread) -> impl IntoView {
    let id = thread.id;
    let deploy = thread.plan.as_ref().map(|plan| {
        view! {
            <DeployPanel conversation_id=id plan_blockers=plan.blockers.clone()
                instances=thread.instances deployments=thread.deployments />
        }
    });
    view! {
        <h2 class="thread-title" data-testid="chat-title">{thread.title}</h2>
        <ol class="messages" data-testid="chat-messages">
            {thread.messages.into_iter().map(|message| view! { <Message message /> }).collect_view()}
        </ol>
        {thread.pickup.then(|| view! { <CredentialPickup conversation_id=id /> })}
        {thread.plan.map(|plan| view! { <PlanPanel plan conversation_id=id /> })}
        {deploy}
    }
}

#[component]
fn Message(message: MessageView) -> impl IntoView {
    let (role, who) = match message.role {
        Role::User => ("user", "You"),
        Role::Assistant => ("assistant", "Builder"),
    };
    let key = message.id.simple().to_string();
    view! {
        <li class=format!("message {role}") data-testid="chat-message" data-role=role>
            <span class="visually-hidden">{format!("{who}: ")}</span>
            <p class="message-text">{message.content}</p>
            {message.graph.map(|graph| view! { <PlanGraph graph key /> })}
        </li>
    }
}

/// What the current plan needs, why it cannot be deployed yet, and its JSON.
#[component]
fn PlanPanel(plan: PlanView, conversation_id: Uuid) -> impl IntoView {
    let json_summary = if plan.json_is_n8n {
        "Workflow JSON, as n8n receives it (credential ids are set when deploying)"
    } else {
        "The plan as JSON (n8n's workflow JSON appears once the plan is complete)"
    };
    view! {
        <section class="card plan" aria-labelledby="plan-title" data-testid="plan-panel">
            <h2 id="plan-title">{format!("Current plan: {}", plan.title)}</h2>
            {(!plan.needs.is_empty()).then(|| view! {
                <ul class="need-list" data-testid="plan-needs">
                    {plan.needs.into_iter().map(|need| view! { <Need need conversation_id /> }).collect_view()}
                </ul>
            })}
            <details data-testid="plan-json">
                <summary>{json_summary}</summary>
                <pre><code>{plan.json}</code></pre>
            </details>
        </section>
    }
}

#[component]
fn Need(need: NeedView, conversation_id: Uuid) -> impl IntoView {
    let steps = need.steps.join(", ");
    let add = need.can_add.then(|| {
        let href = format!(
            "/credentials?type={}&chat={conversation_id}#credential-form-title",
            need.credential_type
        );
        view! { " " <a href=href data-testid="plan-need-add">{format!("Add a {} credential", need.noun)}</a> }
    });
    let (state, text) = match need.state {
        NeedState::Chosen(name) => ("chosen", format!("{}: uses “{name}” ({steps}).", need.noun)),
        NeedState::Choose(names) => (
            "choose",
            format!(
                "{} credential for {steps}: say which, e.g. “use {}”. You have: {}.",
                need.noun,
                names[0],
                names.join(", ")
            ),
        ),
        NeedState::Missing => (
            "missing",
            format!("Still needed: {} credential for {steps}.", need.noun),
        ),
        NeedState::Gone(name) => (
            "gone",
            format!("{}: “{name}” no longer exists ({steps}).", need.noun),
        ),
    };
    let add = matches!(state, "missing" | "gone").then_some(add).flatten();
    view! {
        <li data-testid="plan-need" data-state=state data-type=need.credential_type>{text}{add}</li>
    }
}

#[component]
fn DeployPanel(
    conversation_id: Uuid,
    plan_blockers: Vec<String>,
    instances: Vec<crate::model::builder::InstanceOption>,
    deployments: Vec<DeploymentView>,
) -> impl IntoView {
    let deployable = plan_blockers.is_empty();
    let controls = if instances.is_empty() {
        view! {
            <p data-testid="deploy-no-instance">"Add an n8n instance on "<a href="/providers">"Instances"</a>" to deploy to."</p>
        }
        .into_any()
    } else if !plan_blockers.is_empty() {
        view! {
            <div class="notice info" data-testid="deploy-blocked">
                <p>"Before it can be deployed:"</p>
                <ul>{plan_blockers.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any()
    } else {
        view! { <DeployControls conversation_id instances /> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="deploy-title" data-testid="deploy-panel">
            <h2 id="deploy-title">"Deploy to n8n"</h2>
            {(!deployments.is_empty()).then(|| view! {
                <ul class="deployments">
                    {deployments.into_iter().map(|d| view! {
                        <Deployment deployment=d conversation_id deployable />
                    }).collect_view()}
                </ul>
            })}
            {controls}
        </section>
    }
}

/// One instance the chat went to: its state, a link to it in n8n, Redeploy and Remove.
#[component]
fn Deployment(
    deployment: DeploymentView,
    conversation_id: Uuid,
    deployable: bool,
) -> impl IntoView {
    let status = deployment.status.as_str();
    let tone = match deployment.status {
        DeployStatus::Deployed => "success",
        DeployStatus::Failed => "error",
        DeployStatus::Deploying | DeployStatus::Removed => "unknown",
    };
    let remove = match (deployment.status, deployment.workflow_id) {
        (DeployStatus::Deployed, Some(workflow_id)) => Some(view! {
            <RemoveDeployment workflow_id instance=deployment.instance.clone() />
        }),
        _ => None,
    };
    let activity = match deployment.status {
        DeployStatus::Deployed if deployment.active => " · active",
        DeployStatus::Deployed => " · inactive",
        _ => "",
    };
    view! {
        // The islands come before the notices that appear and go: the live patch pairs
        // children by position, and a notice inserted or removed ahead of them would replace
        // the islands (and lose a redeploy's report) instead of leaving them be.
        <li class="deployment" data-testid="deployment" data-instance=deployment.instance.clone() data-status=status>
            <p class="deployment-head">
                <strong>{deployment.instance.clone()}</strong>" "
                <span data-testid="deployment-status"><Badge status=tone label=status.to_string() /></span>
                <span data-testid="deployment-active">{activity}</span>
                {deployment.n8n_url.map(|url| view! {
                    " · " <a href=url rel="noopener" target="_blank" data-testid="deployment-link">"Open in n8n"</a>
                })}
            </p>
            <div class="actions">
                {deployable.then(|| view! { <RedeployButton conversation_id provider_id=deployment.provider_id /> })}
                {remove}
            </div>
            {deployment.error.map(|error| view! { <p class="problem" data-testid="deployment-error">{error}</p> })}
            {deployment.outdated.then(|| view! {
                <p class="hint" data-testid="deployment-outdated">"The plan changed since this deploy: redeploy to update it."</p>
            })}
        </li>
    }
}
