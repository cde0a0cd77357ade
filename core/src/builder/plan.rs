//! A workflow plan: what the user asked for, in FlowPulse's terms, before it becomes n8n JSON.
//!
//! The composer (English → plan), an optional language model (JSON → plan, through the same
//! types) and the chat page all speak this; `render` turns it into an n8n workflow and
//! `validate` checks it before anything is deployed. Plans are stored as JSON (the chat's
//! history), so every type here is plain serde with stable, snake_case names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod schema;

/// A whole workflow: one trigger, then steps run in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowPlan {
    /// The title; deployed as `[USR-<8 hex>] <title>`.
    pub title: String,
    /// What starts it.
    pub trigger: Trigger,
    /// What it does, in order. An `If` step holds its own branches.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// What starts a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// An HTTP call to `<n8n>/webhook/<path>`.
    Webhook {
        /// The HTTP method it answers.
        method: HttpMethod,
        /// The path after `/webhook/`, without a leading slash.
        path: String,
    },
    /// A timetable.
    Schedule {
        /// When.
        schedule: Schedule,
    },
    /// Started by hand in n8n's editor.
    Manual,
    /// When another workflow fails (n8n's Error Trigger).
    WorkflowError,
}

/// When a scheduled workflow runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "every", rename_all = "snake_case")]
pub enum Schedule {
    /// Every `n` minutes.
    Minutes {
        /// The interval.
        n: u32,
    },
    /// Every `n` hours, at `minute` past.
    Hours {
        /// The interval.
        n: u32,
        /// Minute past the hour.
        #[serde(default)]
        minute: u8,
    },
    /// Every day at a time.
    Day {
        /// Hour, 0-23.
        hour: u8,
        /// Minute, 0-59.
        minute: u8,
    },
    /// Monday to Friday at a time.
    Weekday {
        /// Hour, 0-23.
        hour: u8,
        /// Minute, 0-59.
        minute: u8,
    },
    /// A cron expression (five fields).
    Cron {
        /// The expression.
        expression: String,
    },
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl HttpMethod {
    /// The method's name as n8n writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// Call a URL.
    HttpRequest {
        /// The method.
        method: HttpMethod,
        /// The URL (may contain n8n expressions such as `{{ $json.id }}`).
        url: String,
        /// A JSON body to send, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        /// How to authenticate.
        #[serde(default)]
        auth: HttpAuth,
    },
    /// Post a message to a Slack channel.
    Slack {
        /// The channel, e.g. `#sales`.
        channel: String,
        /// The text (may contain n8n expressions).
        text: String,
        /// The `slackApi` credential, by name.
        credential: Option<String>,
    },
    /// Send an email over SMTP.
    Email {
        /// Recipient(s), comma-separated.
        to: String,
        /// Sender address. n8n's Send Email node requires one and the SMTP credential does not
        /// carry it, so the plan must.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// Subject line.
        subject: String,
        /// Plain-text body.
        text: String,
        /// The `smtp` credential, by name.
        credential: Option<String>,
    },
    /// Post a message through a Discord webhook.
    Discord {
        /// The text.
        text: String,
        /// The `discordWebhookApi` credential, by name.
        credential: Option<String>,
    },
    /// Send a Telegram message.
    Telegram {
        /// The chat id.
        chat_id: String,
        /// The text.
        text: String,
        /// The `telegramApi` credential, by name.
        credential: Option<String>,
    },
    /// Set (or keep only) fields of each item ("Edit Fields").
    SetFields {
        /// Field name → value (values may contain n8n expressions).
        fields: Vec<Field>,
        /// Drop every other field.
        #[serde(default)]
        keep_only: bool,
    },
    /// Branch on a condition: `then` for items that match, `otherwise` for the rest.
    If {
        /// The condition.
        condition: Condition,
        /// Steps for matching items.
        #[serde(default)]
        then: Vec<Step>,
        /// Steps for the others.
        #[serde(default)]
        otherwise: Vec<Step>,
    },
    /// Keep only items that match.
    Filter {
        /// The condition.
        condition: Condition,
    },
    /// Run JavaScript on all items.
    Code {
        /// The code (n8n's "Run Once for All Items" mode).
        javascript: String,
    },
    /// Pause.
    Wait {
        /// How long, in seconds.
        seconds: u32,
    },
    /// Answer the webhook call that started the workflow.
    RespondToWebhook {
        /// The HTTP status.
        #[serde(default = "ok_status")]
        status: u16,
        /// The body: text, or JSON when it parses as JSON.
        body: String,
    },
    /// Insert each item as a row.
    PostgresInsert {
        /// The table, `schema.table` or `table`.
        table: String,
        /// Column → value.
        columns: Vec<Field>,
        /// The `postgres` credential, by name.
        credential: Option<String>,
    },
}

fn ok_status() -> u16 {
    200
}

/// A named value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The name.
    pub name: String,
    /// The value (text; may be an n8n expression such as `{{ $json.total }}`).
    pub value: String,
}

/// How an HTTP Request step authenticates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HttpAuth {
    /// No authentication.
    #[default]
    None,
    /// A header from an `httpHeaderAuth` credential.
    Header {
        /// The credential, by name.
        credential: Option<String>,
    },
    /// HTTP basic auth from an `httpBasicAuth` credential.
    Basic {
        /// The credential, by name.
        credential: Option<String>,
    },
}

/// A comparison of an item's field with a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The field, e.g. `total` (compared as `{{ $json.total }}`).
    pub field: String,
    /// How to compare.
    pub operator: Operator,
    /// What to compare with (absent for `exists`, `is_empty`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `=`.
    Equals,
    /// `≠`.
    NotEquals,
    /// `>` (numbers).
    Greater,
    /// `≥` (numbers).
    GreaterOrEqual,
    /// `<` (numbers).
    Less,
    /// `≤` (numbers).
    LessOrEqual,
    /// Text contains.
    Contains,
    /// The field is present and not empty.
    Exists,
    /// The field is absent or empty.
    IsEmpty,
}

/// A credential a plan needs: its n8n type and the name of the user's credential chosen for
/// it (`None` while the user has not said which).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeededCredential {
    /// n8n credential type, e.g. `slackApi`.
    pub credential_type: String,
    /// The user's credential of that type, by name.
    pub name: Option<String>,
    /// Which step needs it, as the summary names it.
    pub step: String,
}
