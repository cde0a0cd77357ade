//! Reading the model's answer: a `propose_workflow` call becomes a checked plan, an
//! `ask_question` call a question, plain text a short question or "can't" without markup;
//! anything unusable is refused with feedback for the model's one more try.

use super::check;
use super::wire::{AssistantMessage, ToolCallOut, ASK_QUESTION, PROPOSE_WORKFLOW};
use flowpulse_core::builder::compose::{ComposerReply, Credentials};
use flowpulse_core::builder::plan::WorkflowPlan;
use serde::Deserialize;

/// Longest text of the model's shown to the user, in characters.
pub const MAX_TEXT_CHARS: usize = 400;

/// What the user is told when the second try is no better.
const NOT_A_WORKFLOW: &str = "twice its answer did not describe a workflow FlowPulse can build";

/// One answer, read.
#[derive(Debug)]
pub enum Reading {
    /// For the user as it is.
    Reply(ComposerReply),
    /// Not usable: the model hears why and may try once more.
    Refused(Refusal),
}

/// An answer refused, and what to say about it.
#[derive(Debug)]
pub struct Refusal {
    /// The tool call refused, to send back before the feedback (none for an empty answer).
    pub call: Option<ToolCallOut>,
    /// For the model: what was wrong.
    pub feedback: String,
    /// For the user, after "The assistant could not build that: ", if the retry fails too.
    pub reason: String,
}

#[derive(Deserialize)]
struct AskQuestion {
    question: String,
}

/// Reads one answer of the model's.
pub fn read(message: &AssistantMessage, credentials: &Credentials) -> Reading {
    let Some(call) = message.first_call() else {
        let text = tidy(&message.text());
        return if text.is_empty() {
            refused(
                None,
                format!("Answer by calling `{PROPOSE_WORKFLOW}` or `{ASK_QUESTION}`."),
                "it gave no answer".into(),
            )
        } else if text.ends_with('?') {
            Reading::Reply(ComposerReply::Question(text))
        } else {
            Reading::Reply(ComposerReply::Unsupported(text))
        };
    };
    let echo = Some(call.echo(call.id.as_deref().unwrap_or("call_0")));
    let arguments = call.arguments_text();
    match call.function.name.as_str() {
        PROPOSE_WORKFLOW => match serde_json::from_str::<WorkflowPlan>(&arguments) {
            Err(error) => refused(
                echo,
                format!(
                    "FlowPulse could not read these arguments as a plan: {error}. Call \
                     `{PROPOSE_WORKFLOW}` again with a plan that follows the schema exactly."
                ),
                NOT_A_WORKFLOW.into(),
            ),
            Ok(plan) => match check::accept(plan, credentials) {
                Ok(reply) => Reading::Reply(reply),
                Err(problems) => refused(
                    echo,
                    format!(
                        "FlowPulse cannot use this plan yet:\n- {}\nFix these and call \
                         `{PROPOSE_WORKFLOW}` again with the whole plan.",
                        problems.join("\n- ")
                    ),
                    format!(
                        "its plan still had problems after a second try: {}",
                        problems
                            .iter()
                            .take(3)
                            .map(|problem| problem.trim_end_matches('.'))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
            },
        },
        ASK_QUESTION => match serde_json::from_str::<AskQuestion>(&arguments) {
            Ok(ask) if !tidy(&ask.question).is_empty() => {
                Reading::Reply(ComposerReply::Question(tidy(&ask.question)))
            }
            _ => refused(
                echo,
                format!("The arguments of `{ASK_QUESTION}` must be {{\"question\": \"…\"}}."),
                NOT_A_WORKFLOW.into(),
            ),
        },
        _ => refused(
            echo,
            format!("There is no such tool: use `{PROPOSE_WORKFLOW}` or `{ASK_QUESTION}`."),
            NOT_A_WORKFLOW.into(),
        ),
    }
}

fn refused(call: Option<ToolCallOut>, feedback: String, reason: String) -> Reading {
    Reading::Refused(Refusal {
        call,
        feedback,
        reason,
    })
}

/// The model's text as one short plain line: no code blocks, headings, quotes, bullets,
/// emphasis or link targets; at most [`MAX_TEXT_CHARS`] characters.
pub fn tidy(text: &str) -> String {
    let mut plain = String::new();
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let line = line.trim_start_matches(['#', '>']).trim_start();
        let line = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .unwrap_or(line);
        plain.push(' ');
        plain.push_str(line);
    }
    let plain: String = drop_link_targets(&plain)
        .chars()
        .filter(|c| !matches!(c, '*' | '`') && !c.is_control())
        .collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= MAX_TEXT_CHARS {
        return plain;
    }
    let cut: String = plain.chars().take(MAX_TEXT_CHARS - 1).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// `[text](target)` → `text`.
fn drop_link_targets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(mid) = rest.find("](") {
        let (Some(open), Some(close)) = (rest[..mid].rfind('['), rest[mid..].find(')')) else {
            out.push_str(&rest[..mid + 2]);
            rest = &rest[mid + 2..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..mid]);
        rest = &rest[mid + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_dropped_and_long_text_shortened() {
        let text = "## Sorry\n\n**I can't** do `Jira`.\n- See [the docs](https://x.example/a_b)\n```\ncode\n```\nok?";
        assert_eq!(tidy(text), "Sorry I can't do Jira. See the docs ok?");
        let long = "word ".repeat(200);
        let short = tidy(&long);
        assert!(short.chars().count() <= MAX_TEXT_CHARS, "{short}");
        assert!(short.ends_with("word…"), "{short}");
        assert_eq!(tidy("a ] ( b [c](d"), "a ] ( b [c](d");
    }

    #[test]
    fn plain_text_becomes_a_question_or_a_refusal() {
        let read_text = |text: &str| {
            let message = AssistantMessage {
                content: Some(serde_json::json!(text)),
                tool_calls: None,
            };
            match read(&message, &Credentials::new()) {
                Reading::Reply(reply) => reply,
                Reading::Refused(refusal) => panic!("{refusal:?}"),
            }
        };
        assert_eq!(
            read_text("Which **channel**?"),
            ComposerReply::Question("Which channel?".into())
        );
        assert_eq!(
            read_text("I cannot build Jira workflows."),
            ComposerReply::Unsupported("I cannot build Jira workflows.".into())
        );
    }
}
