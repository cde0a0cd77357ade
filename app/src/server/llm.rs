//! The optional language model of the workflow builder. When the rule-based composer answers
//! that it cannot build what was asked and the operator configured a model
//! (`FLOWPULSE_LLM_BASE_URL`, `FLOWPULSE_LLM_API_KEY`, `FLOWPULSE_LLM_MODEL`), the chat asks an
//! OpenAI-compatible chat-completions endpoint instead.
//!
//! The model can only answer through the builder's own types: one tool, `propose_workflow`,
//! whose parameters are the JSON Schema of a `WorkflowPlan` (`plan::schema`), and
//! `ask_question`. Its plan is parsed into a `WorkflowPlan` and must pass `validate` and name
//! only the user's own credentials (`check`); when it does not (or its arguments are not a
//! plan), the model hears why once and may try again, then the user is told honestly that the
//! assistant could not build it. The key stays on the server: it goes only into the
//! `Authorization` header (`client`), never into a page, a log or an error text.
//!
//! - `config`: the settings and the base-URL rule;
//! - `client`: the HTTP client (timeout, no redirects, capped replies, one short wait on 429);
//! - `prompt`: what the model is told (capabilities, rules, credential names, current plan);
//! - `wire`: the chat-completions request and reply;
//! - `answer`: reading a reply; `check`: accepting a plan.

mod answer;
mod check;
mod client;
mod config;
mod prompt;
mod wire;

#[cfg(test)]
mod tests;

pub use client::{LlmClient, LlmError, MAX_REPLY_BYTES, MAX_RETRY_AFTER};
pub use config::{chat_completions_url, ApiKey, BaseUrlError, LlmConfig, DEFAULT_TIMEOUT};

use super::state::ServerState;
use answer::Reading;
use flowpulse_core::builder::compose::{ComposerReply, Conversation, Credentials, CAPABILITIES};
use wire::{ChatRequest, Message};

/// How many answers one message may take: the first, and one retry after a refused plan.
const ANSWERS: usize = 2;

/// The model's reply to `message` in `conversation` (whose plan, if any, it may change):
/// `None` when no model is configured; otherwise a plan, a question, or an `Unsupported`
/// saying in FlowPulse's words why the assistant could not build it.
pub async fn compose_with_llm(
    state: &ServerState,
    message: &str,
    conversation: &Conversation,
    credentials: &Credentials,
) -> Option<ComposerReply> {
    let client = state.llm.as_ref()?;
    Some(client.compose(message, conversation, credentials).await)
}

impl LlmClient {
    /// Asks the model about `message`; see [`compose_with_llm`].
    pub async fn compose(
        &self,
        message: &str,
        conversation: &Conversation,
        credentials: &Credentials,
    ) -> ComposerReply {
        let mut messages = prompt::messages(message, conversation, credentials);
        let mut answer = 0;
        loop {
            answer += 1;
            let request = ChatRequest::new(&self.config.model, &messages);
            let reply = match self.complete(&request).await {
                Ok(reply) => reply,
                Err(error) => return failure(&error),
            };
            let refusal = match answer::read(&reply, credentials) {
                Reading::Reply(reply) => {
                    tracing::info!(answer, reply = kind(&reply), "language model answered");
                    return reply;
                }
                Reading::Refused(refusal) => refusal,
            };
            if answer >= ANSWERS {
                tracing::warn!(answer, "language model's answer refused again; giving up");
                return ComposerReply::Unsupported(format!(
                    "The assistant could not build that: {}. {CAPABILITIES}",
                    refusal.reason
                ));
            }
            tracing::info!(answer, "language model's answer refused; asking once more");
            match refusal.call {
                Some(call) => {
                    let tool_call_id = call.id.clone();
                    messages.push(Message::Assistant {
                        content: None,
                        tool_calls: vec![call],
                    });
                    messages.push(Message::Tool {
                        tool_call_id,
                        content: refusal.feedback,
                    });
                }
                None => messages.push(Message::User {
                    content: refusal.feedback,
                }),
            }
        }
    }
}

/// What the user reads when no answer came.
fn failure(error: &LlmError) -> ComposerReply {
    ComposerReply::Unsupported(match error {
        LlmError::Unavailable => format!(
            "The assistant is not available right now, so it could not build that. {CAPABILITIES}"
        ),
        other => format!("The assistant could not build that: {other}."),
    })
}

fn kind(reply: &ComposerReply) -> &'static str {
    match reply {
        ComposerReply::Plan { .. } => "plan",
        ComposerReply::Question(_) => "question",
        ComposerReply::Unsupported(_) => "unsupported",
    }
}
