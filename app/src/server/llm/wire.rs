//! The OpenAI chat-completions format, as much of it as the assistant speaks: the request
//! (messages and two tools) and the reply's first choice (text, or tool calls).

use flowpulse_core::builder::plan::schema::workflow_plan_schema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The tool whose arguments are a whole `WorkflowPlan`.
pub const PROPOSE_WORKFLOW: &str = "propose_workflow";
/// The tool that asks the user one question.
pub const ASK_QUESTION: &str = "ask_question";

/// `POST <base>/chat/completions`.
#[derive(Debug, Serialize)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub messages: &'a [Message],
    pub tools: Vec<Tool>,
    /// "auto", which every compatible server accepts; a text answer is handled too.
    pub tool_choice: &'static str,
}

impl<'a> ChatRequest<'a> {
    /// A request offering the assistant's two tools.
    pub fn new(model: &'a str, messages: &'a [Message]) -> Self {
        Self {
            model,
            messages,
            tools: tools(),
            tool_choice: "auto",
        }
    }
}

/// One message of the chat sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    System {
        content: String,
    },
    User {
        content: String,
    },
    /// The model's own earlier tool call, sent back before its result.
    Assistant {
        content: Option<String>,
        tool_calls: Vec<ToolCallOut>,
    },
    /// What became of a tool call (here: why its plan was refused).
    Tool {
        tool_call_id: String,
        content: String,
    },
}

/// A tool call as sent back to the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionOut,
}

/// The called function, its arguments as a JSON string (as OpenAI sends and wants them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionOut {
    pub name: String,
    pub arguments: String,
}

/// A tool offered to the model.
#[derive(Debug, Serialize)]
pub struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionSpec,
}

#[derive(Debug, Serialize)]
struct FunctionSpec {
    name: &'static str,
    description: &'static str,
    parameters: Value,
}

fn tools() -> Vec<Tool> {
    vec![
        Tool {
            kind: "function",
            function: FunctionSpec {
                name: PROPOSE_WORKFLOW,
                description: "Propose the complete workflow (also for a change: send the whole \
                    plan, changed). FlowPulse checks it and shows it to the user.",
                parameters: workflow_plan_schema(),
            },
        },
        Tool {
            kind: "function",
            function: FunctionSpec {
                name: ASK_QUESTION,
                description: "Ask the user one short question about a value the workflow \
                    needs and that cannot be guessed.",
                parameters: json!({
                    "type": "object",
                    "properties": {
                        "question": { "type": "string", "description": "The question." }
                    },
                    "required": ["question"],
                    "additionalProperties": false
                }),
            },
        },
    ]
}

/// The reply: only the first choice's message is read.
#[derive(Debug, Deserialize)]
pub struct ChatResponse {
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    pub message: AssistantMessage,
}

/// The model's message: text, tool calls, or both.
#[derive(Debug, Default, Deserialize)]
pub struct AssistantMessage {
    /// A string, or (some servers) a list of `{type: "text", text}` parts.
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

impl AssistantMessage {
    /// The message's text, parts joined; empty when there is none.
    pub fn text(&self) -> String {
        match &self.content {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }

    /// The first tool call, if any.
    pub fn first_call(&self) -> Option<&ToolCall> {
        self.tool_calls.as_deref().and_then(<[ToolCall]>::first)
    }
}

/// One tool call of the reply.
#[derive(Debug, Deserialize)]
pub struct ToolCall {
    #[serde(default)]
    pub id: Option<String>,
    pub function: FunctionCall,
}

/// The function and its arguments: a JSON string (OpenAI), or an object (some servers).
#[derive(Debug, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

impl ToolCall {
    /// The arguments as JSON text, whichever way they came.
    pub fn arguments_text(&self) -> String {
        match &self.function.arguments {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// The call as sent back to the model before its result (`id` stands in for a missing id).
    pub fn echo(&self, id: &str) -> ToolCallOut {
        ToolCallOut {
            id: id.to_string(),
            kind: "function",
            function: FunctionOut {
                name: self.function.name.clone(),
                arguments: self.arguments_text(),
            },
        }
    }
}
