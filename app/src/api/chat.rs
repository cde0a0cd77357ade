//! The builder chat: a conversation's messages and plan, sending a message, and taking up
//! credentials added since the composer last ran.
//!
//! The composer (`core::builder::compose`) answers by rules; when it cannot build what was
//! asked and a language model is configured, the model gets a turn (`server::llm`). Messages and
//! state are stored through PostgREST as the user, so RLS keeps every chat its owner's.

use crate::error::AppError;
use crate::model::builder::{ChatPage, SentMessage};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::model::builder::{ChatThread, ConversationItem, InstanceOption, Role};
#[cfg(feature = "ssr")]
use crate::server::{
    chat_store::{self, NewMessage},
    chat_view::{self, DeploymentRow, InstanceRow, MessageRow},
    errors::with_status,
    postgrest::Db,
    request,
};
#[cfg(feature = "ssr")]
use flowpulse_core::builder::compose::ComposerReply;

/// How often a message is answered again on top of a chat another tab changed meanwhile.
#[cfg(feature = "ssr")]
const ATTEMPTS: usize = 3;

/// The user's chats, and the one `conversation` names with everything its page shows.
#[server]
pub async fn load_chat(conversation: Option<Uuid>) -> Result<ChatPage, AppError> {
    with_status(
        async {
            #[derive(serde::Deserialize)]
            struct Item {
                id: Uuid,
                title: String,
                updated_at: chrono::DateTime<chrono::Utc>,
            }
            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let items: Vec<Item> = db
                .select(
                    "conversations",
                    &[
                        ("select", "id,title,updated_at".into()),
                        ("order", "updated_at.desc".into()),
                        ("limit", "100".into()),
                    ],
                )
                .await?;
            let thread = match conversation {
                Some(id) => Some(thread(&db, id, session.user_id()).await?),
                None => None,
            };
            Ok(ChatPage {
                conversations: items
                    .into_iter()
                    .map(|item| ConversationItem {
                        id: item.id,
                        title: item.title,
                        updated_at: item.updated_at,
                    })
                    .collect(),
                thread,
                now: chrono::Utc::now(),
            })
        }
        .await,
    )
}

/// Everything the page shows of chat `id`.
#[cfg(feature = "ssr")]
async fn thread(db: &Db, id: Uuid, user: Uuid) -> Result<ChatThread, AppError> {
    let of_chat = || ("conversation_id", format!("eq.{id}"));
    let messages_query = [
        ("select", "id,role,content,plan,created_at".into()),
        of_chat(),
        // One exchange shares a timestamp: the user's message first.
        ("order", "created_at.asc,role.desc".into()),
        ("limit", "500".into()),
    ];
    let deployments_query = [
        (
            "select",
            "provider_id,status,active,error,n8n_workflow_id,workflow_id,updated_at".into(),
        ),
        of_chat(),
    ];
    let instances_query = [
        ("select", "id,name,base_url".to_string()),
        ("order", "name".into()),
    ];
    let (loaded, messages, deployments, instances, credentials) = tokio::join!(
        chat_store::load(db, id),
        db.select::<MessageRow>("chat_messages", &messages_query),
        db.select::<DeploymentRow>("workflow_deployments", &deployments_query),
        db.select::<InstanceRow>("providers", &instances_query),
        chat_store::credentials(db),
    );
    let (loaded, messages, deployments, instances, credentials) =
        (loaded?, messages?, deployments?, instances?, credentials?);
    let plan_shown_at = messages
        .iter()
        .rev()
        .find(|m| m.plan.is_some())
        .map(|m| m.created_at);
    let chat = loaded.state.unwrap_or_default();
    let plan = chat
        .conversation
        .plan()
        .map(|plan| chat_view::plan_view(plan, &credentials, user));
    let mut deployments: Vec<_> = deployments
        .iter()
        .map(|row| chat_view::deployment_view(row, &instances, plan_shown_at))
        .collect();
    deployments.sort_by(|a, b| a.instance.cmp(&b.instance));
    Ok(ChatThread {
        id,
        title: loaded.title,
        messages: messages.into_iter().map(chat_view::message_view).collect(),
        plan,
        deployments,
        instances: instances
            .into_iter()
            .map(|i| InstanceOption {
                id: i.id,
                name: i.name,
            })
            .collect(),
        pickup: chat.has_pickup(&credentials),
    })
}

/// Answers `text` in chat `conversation_id`, or in a new chat when it is empty; stores the
/// message, the reply and the new state. At a stable address (`POST /api/send_message`).
#[server(endpoint = "send_message")]
pub async fn send_message(conversation_id: String, text: String) -> Result<SentMessage, AppError> {
    with_status(
        async {
            use crate::validation::message_problem;
            if let Some(problem) = message_problem(&text) {
                return Err(AppError::Invalid(problem));
            }
            let text = text.trim();
            let (state, session) = request::signed_in()?;
            let db = Db::new(&state, &session);
            let existing = match conversation_id.trim() {
                "" => None,
                id => Some(
                    id.parse::<Uuid>()
                        .map_err(|_| AppError::Invalid("That chat id is not valid.".into()))?,
                ),
            };
            for _ in 0..ATTEMPTS {
                let loaded = match existing {
                    Some(id) => Some(chat_store::load(&db, id).await?),
                    None => None,
                };
                let credentials = chat_store::credentials(&db).await?;
                let damaged = loaded.as_ref().is_some_and(|l| l.state.is_none());
                let mut chat = loaded
                    .as_ref()
                    .and_then(|l| l.state.clone())
                    .unwrap_or_default();
                let mut reply = chat.conversation.reply(text, &credentials);
                if matches!(reply, ComposerReply::Unsupported(_)) {
                    let model = crate::server::llm::compose_with_llm(
                        &state,
                        text,
                        &chat.conversation,
                        &credentials,
                    )
                    .await;
                    if let Some(answer) = model {
                        if let ComposerReply::Plan { plan, .. } = &answer {
                            chat.conversation.adopt(plan.clone());
                        }
                        reply = answer;
                    }
                }
                chat.seen_credentials = Some(credentials);
                let title =
                    chat_store::title(&chat, loaded.as_ref().map(|l| l.title.as_str()), text);
                let id = match &loaded {
                    None => {
                        let id = Uuid::new_v4();
                        chat_store::create(&db, id, &title, &chat).await?;
                        id
                    }
                    Some(loaded) => {
                        if !chat_store::replace(&db, loaded, &title, &chat).await? {
                            // Another tab answered meanwhile: answer again on top of it.
                            continue;
                        }
                        loaded.id
                    }
                };
                let (answer, plan) = chat_store::reply_text(&reply);
                let answer = if damaged {
                    format!("I could not read this chat's earlier state, so I started afresh.\n{answer}")
                } else {
                    answer.to_string()
                };
                chat_store::add_messages(
                    &db,
                    id,
                    &[
                        NewMessage {
                            role: Role::User,
                            content: text,
                            plan: None,
                        },
                        NewMessage {
                            role: Role::Assistant,
                            content: &answer,
                            plan,
                        },
                    ],
                )
                .await?;
                return Ok(SentMessage {
                    conversation_id: id,
                });
            }
            Err(AppError::Conflict(
                "This chat kept changing in another tab; send your message again.".into(),
            ))
        }
        .await,
    )
}

/// Lets the composer take up credentials added since it last ran in chat `conversation_id`
/// (a plan waiting for a Slack credential uses the one just added); `true` when that gave a
/// reply, which is stored as the assistant's message.
#[server]
pub async fn pick_up_credentials(conversation_id: Uuid) -> Result<bool, AppError> {
    with_status(
        async {
            let db = request::user_db()?;
            for _ in 0..ATTEMPTS {
                let loaded = chat_store::load(&db, conversation_id).await?;
                let Some(mut chat) = loaded.state.clone() else {
                    return Ok(false);
                };
                let credentials = chat_store::credentials(&db).await?;
                let Some(reply) = chat.pick_up(&credentials) else {
                    return Ok(false);
                };
                let title = chat_store::title(&chat, Some(&loaded.title), "");
                if !chat_store::replace(&db, &loaded, &title, &chat).await? {
                    continue;
                }
                let (text, plan) = chat_store::reply_text(&reply);
                let content = match plan {
                    Some(_) => format!("You added credentials, so I updated the plan.\n{text}"),
                    None => text.to_string(),
                };
                chat_store::add_messages(
                    &db,
                    loaded.id,
                    &[NewMessage {
                        role: Role::Assistant,
                        content: &content,
                        plan,
                    }],
                )
                .await?;
                return Ok(true);
            }
            Ok(false)
        }
        .await,
    )
}
