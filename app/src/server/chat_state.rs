//! What `conversations.state` holds: the composer's conversation (its `plan` key is what the
//! edge function deploys) and the credentials the composer last saw, so the chat notices
//! credentials added since and picks them up once.

use flowpulse_core::builder::compose::{ComposerReply, Conversation, Credentials};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The stored state of one chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    /// The composer's state, its keys at the top level of the object.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The user's credentials when the composer last ran; `None` before the first reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_credentials: Option<Credentials>,
    /// Counts the writes of this state, so a write can require the version it was computed
    /// from (see `chat_store::replace`).
    #[serde(default)]
    pub version: u64,
}

/// A stored state that no longer reads as one (written by an incompatible version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

impl ChatState {
    /// Reads a stored state; `{}` (a new chat) is the empty state.
    pub fn from_json(value: &Value) -> Result<Self, Damaged> {
        if value.as_object().is_some_and(serde_json::Map::is_empty) {
            return Ok(Self::default());
        }
        serde_json::from_value(value.clone()).map_err(|_| Damaged)
    }

    /// The JSON to store.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()))
    }

    /// True when credentials changed since the composer last ran and the plan would take them
    /// up (a credential filled in, or a question about which one): worth a reply of its own.
    pub fn has_pickup(&self, credentials: &Credentials) -> bool {
        self.seen_credentials.as_ref() != Some(credentials)
            && self
                .conversation
                .clone()
                .credentials_changed(credentials)
                .is_some()
    }

    /// Lets the composer take up `credentials`; the reply, when the plan changed or a question
    /// arose. They count as seen either way.
    pub fn pick_up(&mut self, credentials: &Credentials) -> Option<ComposerReply> {
        if self.seen_credentials.as_ref() == Some(credentials) {
            return None;
        }
        self.seen_credentials = Some(credentials.clone());
        self.conversation.credentials_changed(credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JOURNEY: &str = "When a webhook is called at /orders, keep the fields id and total, \
        post 'New order {{id}}' to Slack #sales and answer ok";

    #[test]
    fn a_new_chats_empty_object_is_the_empty_state_and_garbage_is_damaged() {
        assert_eq!(ChatState::from_json(&json!({})), Ok(ChatState::default()));
        assert_eq!(ChatState::from_json(&json!({"plan": 7})), Err(Damaged));
    }

    #[test]
    fn the_plan_stays_where_the_edge_function_reads_it() {
        let mut state = ChatState::default();
        state.conversation.reply(JOURNEY, &Credentials::new());
        state.seen_credentials = Some(Credentials::new());
        let stored = state.to_json();
        assert_eq!(stored["plan"]["trigger"]["path"], json!("orders"));
        assert_eq!(ChatState::from_json(&stored), Ok(state));
    }

    #[test]
    fn a_credential_added_later_is_picked_up_once() {
        let mut state = ChatState::default();
        state.conversation.reply(JOURNEY, &Credentials::new());
        state.seen_credentials = Some(Credentials::new());
        let slack = Credentials::new().with("slackApi", "Team Slack");
        assert!(!state.has_pickup(&Credentials::new()));
        assert!(state.has_pickup(&slack));
        assert!(matches!(
            state.pick_up(&slack),
            Some(ComposerReply::Plan { .. })
        ));
        assert!(!state.has_pickup(&slack));
        assert_eq!(state.pick_up(&slack), None);
    }
}
