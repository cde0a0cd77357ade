//! What the credentials and chat pages show. Secrets never appear here: a credential travels
//! as its name, type, hint and where it went; its plain fields only to its own edit form.

use chrono::{DateTime, Utc};
use flowpulse_core::builder::graph::Graph;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One stored credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    /// `credentials.id`.
    pub id: Uuid,
    /// Its name (n8n gets the same).
    pub name: String,
    /// n8n's credential type.
    pub credential_type: String,
    /// The type as people call it ("Slack API").
    pub type_label: String,
    /// `••••abcd`, or `••••` when the secret is too short to show any of it.
    pub hint: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Instances it was created in by a deploy.
    pub created_in: Vec<String>,
    /// Deployed workflows using it ("Title" on "Instance").
    pub used_by: Vec<String>,
}

/// A credential in its edit form: the plain fields only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialEdit {
    /// `credentials.id`.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its type.
    pub credential_type: String,
    /// The values of its fields that are not secret, by field name.
    pub plain_values: BTreeMap<String, String>,
    /// The main secret's hint, to say what an empty secret field keeps.
    pub hint: String,
}

/// A credential type that something needs and the user has none of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeededType {
    /// n8n's credential type.
    pub credential_type: String,
    /// The type as people call it.
    pub label: String,
    /// FlowPulse can store one (it has a form); otherwise it is set up in n8n.
    pub can_add: bool,
    /// Chats and workflows needing it.
    pub needed_by: Vec<String>,
}

/// The credentials page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialsPage {
    /// The user's credentials, by name.
    pub credentials: Vec<CredentialView>,
    /// Types the user's plans and workflows need and the user has none of.
    pub still_needed: Vec<NeededType>,
    /// The credential `?edit=` names, if it exists.
    pub editing: Option<CredentialEdit>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// A chat in the list beside the thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationItem {
    /// `conversations.id`.
    pub id: Uuid,
    /// Its title (the plan's, once there is one).
    pub title: String,
    /// Last activity.
    pub updated_at: DateTime<Utc>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person.
    User,
    /// The builder.
    Assistant,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// `chat_messages.id`.
    pub id: Uuid,
    /// Who wrote it.
    pub role: Role,
    /// The text (a plan's summary, a question, or what cannot be built).
    pub content: String,
    /// The preview of the plan the reply showed, if any.
    pub graph: Option<Graph>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How a credential the plan needs stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NeedState {
    /// The plan uses this credential of the user's.
    Chosen(String),
    /// The user has some of the type; the plan has not picked one yet.
    Choose(Vec<String>),
    /// The user has none of the type.
    Missing,
    /// The plan uses a credential of this name that the user no longer has.
    Gone(String),
}

/// A credential the current plan needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedView {
    /// n8n's credential type.
    pub credential_type: String,
    /// "Slack", "SMTP (email)".
    pub noun: String,
    /// The steps that need it.
    pub steps: Vec<String>,
    /// Where it stands.
    pub state: NeedState,
    /// FlowPulse can store one of this type.
    pub can_add: bool,
}

/// The current plan of a chat, beside its last preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    /// The workflow's title.
    pub title: String,
    /// The workflow as n8n receives it (credential ids set at deploy), or the plan itself
    /// while it is incomplete.
    pub json: String,
    /// True when `json` is n8n's workflow, false when it is the plan.
    pub json_is_n8n: bool,
    /// The credentials it needs.
    pub needs: Vec<NeedView>,
    /// Why it cannot be deployed yet, in words; empty when it can.
    pub blockers: Vec<String>,
}

/// What happened to a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployStatus {
    /// Under way.
    Deploying,
    /// In n8n.
    Deployed,
    /// The last attempt failed; `error` says why.
    Failed,
    /// Removed from n8n.
    Removed,
}

impl DeployStatus {
    /// The word the page shows and tests read.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deploying => "deploying",
            Self::Deployed => "deployed",
            Self::Failed => "failed",
            Self::Removed => "removed",
        }
    }
}

/// A chat's workflow on one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentView {
    /// `providers.id`.
    pub provider_id: Uuid,
    /// The instance's name.
    pub instance: String,
    /// Where it stands.
    pub status: DeployStatus,
    /// Active in n8n.
    pub active: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The workflow in n8n's editor.
    pub n8n_url: Option<String>,
    /// `mvp_workflows.id`, what Remove removes.
    pub workflow_id: Option<Uuid>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The plan changed after this deploy: a redeploy would update it.
    pub outdated: bool,
}

/// An instance to deploy to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceOption {
    /// `providers.id`.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// One chat with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatThread {
    /// `conversations.id`.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// The current plan, if any.
    pub plan: Option<PlanView>,
    /// Where it went.
    pub deployments: Vec<DeploymentView>,
    /// The user's instances.
    pub instances: Vec<InstanceOption>,
    /// Credentials changed since the composer last ran and the plan would take them up.
    pub pickup: bool,
}

/// The chat page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatPage {
    /// The user's chats, latest first.
    pub conversations: Vec<ConversationItem>,
    /// The chat `?c=` names; `None` for a new one.
    pub thread: Option<ChatThread>,
    /// Server time of the read.
    pub now: DateTime<Utc>,
}

/// Where a sent message landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The chat (new when the message started one).
    pub conversation_id: Uuid,
}
