//! A chat's rows through PostgREST as the user: the conversation and its state, the messages,
//! and the user's credentials as the composer sees them (names by type).
//!
//! Two tabs may answer in the same chat at once. A state is only written over the version it
//! was computed from (its `version` counter unchanged), so one of them wins and the other
//! computes its reply again on top of it: no reply is ever lost or computed on a stale plan.

use super::chat_state::ChatState;
use super::postgrest::Db;
use crate::error::AppError;
use crate::model::builder::Role;
use flowpulse_core::builder::compose::{ComposerReply, Credentials};
use flowpulse_core::builder::plan::WorkflowPlan;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// Longest text `chat_messages.content` holds.
const MAX_CONTENT_CHARS: usize = 8000;
/// Longest `conversations.title`.
const MAX_TITLE_CHARS: usize = 200;
/// A new chat is named after its first message, this long at most.
const FIRST_MESSAGE_TITLE_CHARS: usize = 60;

/// A conversation as read to answer in it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `conversations.id`.
    pub id: Uuid,
    /// `title`.
    pub title: String,
    /// `state`, read; `None` when it no longer reads as a state.
    pub state: Option<ChatState>,
    /// The stored state's `version`, which a new state must replace; `None` when it has none.
    pub version: Option<u64>,
}

#[derive(Deserialize)]
struct ConversationRow {
    id: Uuid,
    title: String,
    state: Value,
}

/// The user's chat `id` (RLS hides everyone else's).
pub async fn load(db: &Db, id: Uuid) -> Result<Loaded, AppError> {
    let rows: Vec<ConversationRow> = db
        .select(
            "conversations",
            &[
                ("select", "id,title,state".into()),
                ("id", format!("eq.{id}")),
            ],
        )
        .await?;
    let row = rows.into_iter().next().ok_or_else(not_found)?;
    Ok(Loaded {
        id: row.id,
        title: row.title,
        version: row.state.get("version").and_then(Value::as_u64),
        state: ChatState::from_json(&row.state).ok(),
    })
}

/// That chat does not exist (for this user).
pub fn not_found() -> AppError {
    AppError::NotFound("That chat no longer exists. Start a new one.".into())
}

/// The user's credentials, names by type.
pub async fn credentials(db: &Db) -> Result<Credentials, AppError> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
        credential_type: String,
    }
    let rows: Vec<Row> = db
        .select(
            "credentials",
            &[
                ("select", "name,credential_type".into()),
                ("order", "name".into()),
            ],
        )
        .await?;
    let mut credentials = Credentials::new();
    for row in rows {
        credentials.add(&row.credential_type, &row.name);
    }
    Ok(credentials)
}

/// Creates a chat holding `state`, named after `title`.
pub async fn create(db: &Db, id: Uuid, title: &str, state: &ChatState) -> Result<(), AppError> {
    let body = json!({ "id": id, "title": clip(title, MAX_TITLE_CHARS), "state": state.to_json() });
    let _: Vec<Value> = db
        .insert("conversations", &body, &[("select", "id".into())])
        .await?;
    Ok(())
}

/// Replaces the state of `loaded` with `state` as the next version, unless another request
/// changed the chat since it was read; `false` then.
pub async fn replace(
    db: &Db,
    loaded: &Loaded,
    title: &str,
    state: &ChatState,
) -> Result<bool, AppError> {
    let mut next = state.clone();
    next.version = loaded.version.unwrap_or(0) + 1;
    let body = json!({ "title": clip(title, MAX_TITLE_CHARS), "state": next.to_json() });
    let unchanged = match loaded.version {
        Some(version) => format!("eq.{version}"),
        None => "is.null".to_string(),
    };
    let rows: Vec<Value> = db
        .update(
            "conversations",
            &[
                ("id", format!("eq.{}", loaded.id)),
                ("state->>version", unchanged),
                ("select", "id".into()),
            ],
            &body,
        )
        .await?;
    Ok(!rows.is_empty())
}

/// One message to store.
pub struct NewMessage<'a> {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: &'a str,
    /// The plan an assistant's reply showed.
    pub plan: Option<&'a WorkflowPlan>,
}

/// Stores messages of chat `id`, in order, in one request (all or none). They share the
/// transaction's timestamp; the page orders a user's message before the reply to it.
pub async fn add_messages(db: &Db, id: Uuid, messages: &[NewMessage<'_>]) -> Result<(), AppError> {
    let rows: Vec<Value> = messages
        .iter()
        .map(|message| {
            json!({
                "conversation_id": id,
                "role": message.role,
                "content": clip(message.content, MAX_CONTENT_CHARS),
                "plan": message.plan,
            })
        })
        .collect();
    let _: Vec<Value> = db
        .insert("chat_messages", &rows, &[("select", "id".into())])
        .await?;
    Ok(())
}

/// The text of a reply, and the plan it shows.
pub fn reply_text(reply: &ComposerReply) -> (&str, Option<&WorkflowPlan>) {
    match reply {
        ComposerReply::Plan { plan, summary } => (summary, Some(plan)),
        ComposerReply::Question(text) | ComposerReply::Unsupported(text) => (text, None),
    }
}

/// The chat's title: its plan's, else what it was, else its first message.
pub fn title(state: &ChatState, current: Option<&str>, first_message: &str) -> String {
    match (state.conversation.plan(), current) {
        (Some(plan), _) if !plan.title.trim().is_empty() => plan.title.trim().to_string(),
        (_, Some(current)) => current.to_string(),
        _ => {
            let words = first_message
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let short = clip(&words, FIRST_MESSAGE_TITLE_CHARS);
            if short.is_empty() {
                "New workflow".into()
            } else {
                short
            }
        }
    }
}

/// At most `max` characters of `text`, the last one an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_with_an_ellipsis_within_the_limit() {
        assert_eq!(clip("short", 10), "short");
        let cut = clip(&"é".repeat(9000), MAX_CONTENT_CHARS);
        assert_eq!(cut.chars().count(), MAX_CONTENT_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_chat_is_named_after_its_plan_else_its_first_message() {
        let empty = ChatState::default();
        assert_eq!(
            title(&empty, None, "  every   hour fetch\nsomething "),
            "every hour fetch something"
        );
        assert_eq!(title(&empty, Some("Kept"), "x"), "Kept");
        let mut planned = ChatState::default();
        planned
            .conversation
            .reply("every hour fetch https://x.example/a", &Credentials::new());
        assert!(title(&planned, Some("Kept"), "x").starts_with("Every hour"));
    }
}
