//! Why a plan cannot be deployed yet, in words for the person who asked for it.

use thiserror::Error;

use super::MAX_TITLE_CHARS;
use crate::builder::catalogue::credential_noun;

/// Why a plan cannot be deployed yet. `step` names the step as the summary does.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanProblem {
    /// No title.
    #[error("The workflow needs a title.")]
    EmptyTitle,
    /// Title too long.
    #[error("The title is {chars} characters long; keep it to {MAX_TITLE_CHARS}.")]
    TitleTooLong {
        /// Its length.
        chars: usize,
    },
    /// Nothing happens after the trigger.
    #[error("The workflow does nothing yet: add at least one step.")]
    NoSteps,
    /// A webhook path n8n would not serve.
    #[error("The webhook path “{path}” {reason}.")]
    WebhookPath {
        /// The path.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A timetable out of range.
    #[error("The schedule “{schedule}” is out of range: {reason}.")]
    Schedule {
        /// The schedule as the summary names it.
        schedule: String,
        /// What is wrong.
        reason: String,
    },
    /// A cron expression n8n would refuse.
    #[error("The cron expression “{expression}” {reason}.")]
    Cron {
        /// The expression.
        expression: String,
        /// What is wrong.
        reason: String,
    },
    /// A URL that is not http(s).
    #[error("{step}: “{url}” is not a valid http(s) URL.")]
    BadUrl {
        /// The step.
        step: String,
        /// The URL.
        url: String,
    },
    /// A body on a method that takes none.
    #[error("{step}: a {method} request cannot send a body; use POST, PUT or PATCH.")]
    BodyNotAllowed {
        /// The step.
        step: String,
        /// The method.
        method: &'static str,
    },
    /// A required text left empty.
    #[error("{step}: the {what} is empty.")]
    EmptyText {
        /// The step.
        step: String,
        /// Which text ("message", "subject", ...).
        what: &'static str,
    },
    /// Something that should be an email address.
    #[error("{step}: “{address}” is not an email address.")]
    BadEmail {
        /// The step.
        step: String,
        /// The text given.
        address: String,
    },
    /// No sender address.
    #[error("{step}: which address should the email come from?")]
    NoSender {
        /// The step.
        step: String,
    },
    /// A Slack channel n8n would refuse.
    #[error("{step}: “{channel}” is not a Slack channel (use #name or a channel ID).")]
    BadChannel {
        /// The step.
        step: String,
        /// The channel.
        channel: String,
    },
    /// A Telegram chat id that is neither a number nor @name.
    #[error("{step}: “{chat_id}” is not a Telegram chat ID (a number, or @channelname).")]
    BadChatId {
        /// The step.
        step: String,
        /// The id.
        chat_id: String,
    },
    /// Edit Fields or Postgres without fields or columns.
    #[error("{step}: name at least one {what}.")]
    NothingNamed {
        /// The step.
        step: String,
        /// "field" or "column".
        what: &'static str,
    },
    /// A field, column or condition naming something unusable.
    #[error("{step}: “{name}” is not a usable {what} name.")]
    BadName {
        /// The step.
        step: String,
        /// The name.
        name: String,
        /// "field", "column" or "table".
        what: &'static str,
    },
    /// A name given twice.
    #[error("{step}: “{name}” appears twice.")]
    Duplicate {
        /// The step.
        step: String,
        /// The name.
        name: String,
    },
    /// A comparison without a usable value.
    #[error("{step}: {reason}.")]
    ConditionValue {
        /// The step.
        step: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An IF with nothing in either branch.
    #[error("{step}: both branches are empty.")]
    EmptyBranches {
        /// The step.
        step: String,
    },
    /// A wait out of range.
    #[error("{step}: waits must be between 1 second and 30 days.")]
    WaitRange {
        /// The step.
        step: String,
    },
    /// An HTTP status outside 100-599.
    #[error("{step}: {status} is not an HTTP status (100-599).")]
    StatusRange {
        /// The step.
        step: String,
        /// The status.
        status: u16,
    },
    /// Respond to Webhook without a webhook trigger.
    #[error("{step}: only a workflow started by a webhook can answer one.")]
    RespondWithoutWebhook {
        /// The step.
        step: String,
    },
    /// Two answers to one call.
    #[error("{step}: the webhook call is already answered earlier on this path.")]
    RespondTwice {
        /// The step.
        step: String,
    },
    /// A credential not chosen yet.
    #[error("{step}: choose a {noun} credential.", noun = credential_noun(credential_type))]
    NoCredential {
        /// The step.
        step: String,
        /// The n8n credential type.
        credential_type: String,
    },
}
