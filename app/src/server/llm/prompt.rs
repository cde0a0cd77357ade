//! What the model is told: what FlowPulse can build, the rules (answer through the tools,
//! credentials by name only, never a secret), the user's credential names per type and the
//! current plan, so a follow-up ("also email me") changes the plan in hand.

use super::wire::{Message, ASK_QUESTION, PROPOSE_WORKFLOW};
use flowpulse_core::builder::catalogue::credential_noun;
use flowpulse_core::builder::compose::{Conversation, Credentials, CAPABILITIES};

/// The credential types a plan's steps use (`catalogue::step_credential`).
pub const STEP_CREDENTIAL_TYPES: [&str; 7] = [
    "slackApi",
    "smtp",
    "discordWebhookApi",
    "telegramApi",
    "httpHeaderAuth",
    "httpBasicAuth",
    "postgres",
];

/// The system prompt and the user's message.
pub fn messages(
    message: &str,
    conversation: &Conversation,
    credentials: &Credentials,
) -> Vec<Message> {
    vec![
        Message::System {
            content: system_prompt(conversation, credentials),
        },
        Message::User {
            content: message.trim().to_string(),
        },
    ]
}

fn system_prompt(conversation: &Conversation, credentials: &Credentials) -> String {
    let mut prompt = format!(
        "You are FlowPulse's workflow assistant. You turn what the user asks for into an n8n \
         workflow, described as a FlowPulse workflow plan. FlowPulse checks the plan, shows it \
         to the user and deploys it only when they say so.\n\
         \n\
         What can be built: {CAPABILITIES}\n\
         \n\
         Rules:\n\
         - Answer by calling a tool. Call `{PROPOSE_WORKFLOW}` with the complete plan; when \
         the user changes the current plan, send the whole plan with the change. Call \
         `{ASK_QUESTION}` with one short question when a value the workflow needs is missing \
         and cannot be sensibly guessed.\n\
         - Use only the triggers and steps the tool's schema allows. If the request needs \
         anything else, answer in one or two plain sentences, without markup, saying what \
         cannot be built.\n\
         - Credentials are chosen by name only, from the user's credentials listed below, \
         exactly as written. With exactly one of the needed type, use it; with several and no \
         hint, ask which; with none, set `credential` to null (FlowPulse asks the user to add \
         one).\n\
         - Never ask for, write or repeat a password, API key, token or other secret: they \
         live in n8n's credentials, not in the plan.\n\
         - Values may use n8n expressions such as {{{{ $json.total }}}}; a webhook's data is \
         under {{{{ $json.body }}}}.\n\
         - Keep the title short. An email needs a sender (`from`).\n\
         - If FlowPulse answers that a plan has problems, fix them and call \
         `{PROPOSE_WORKFLOW}` again.\n\
         \n\
         The user's credentials in n8n, by type (names as JSON; [] means none yet):\n"
    );
    for credential_type in STEP_CREDENTIAL_TYPES {
        let names = serde_json::to_string(credentials.names(credential_type))
            .unwrap_or_else(|_| "[]".into());
        prompt.push_str(&format!(
            "- {credential_type} ({}): {names}\n",
            credential_noun(credential_type)
        ));
    }
    match conversation.plan().map(serde_json::to_string) {
        Some(Ok(plan)) => prompt.push_str(&format!(
            "\nThe current plan (change it when the user asks for a change):\n{plan}\n"
        )),
        _ => prompt.push_str("\nThere is no plan yet.\n"),
    }
    if let Some(question) = conversation.question() {
        prompt.push_str(&format!("\nFlowPulse last asked the user: {question}\n"));
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::builder::catalogue::credential;
    use flowpulse_core::builder::compose::ComposerReply;

    #[test]
    fn every_listed_type_is_a_catalogue_credential() {
        for credential_type in STEP_CREDENTIAL_TYPES {
            assert!(credential(credential_type).is_some(), "{credential_type}");
        }
    }

    #[test]
    fn the_prompt_names_capabilities_credentials_and_the_current_plan() {
        let one = Credentials::new().with("slackApi", "Team Slack");
        let mut conversation = Conversation::new();
        let reply = conversation.reply("hourly post 'ping' to #general", &one);
        assert!(matches!(reply, ComposerReply::Plan { .. }), "{reply:?}");
        let plan = serde_json::to_string(conversation.plan().unwrap()).unwrap();
        let credentials = one.with("slackApi", "Ops \"quoted\"");
        let messages = messages("  also email me  ", &conversation, &credentials);
        let Message::System { content } = &messages[0] else {
            panic!("{messages:?}")
        };
        assert!(content.contains(CAPABILITIES), "{content}");
        assert!(
            content.contains(r#"- slackApi (Slack): ["Team Slack","Ops \"quoted\""]"#),
            "{content}"
        );
        assert!(content.contains("- smtp (SMTP (email)): []"), "{content}");
        assert!(content.contains("{{ $json.total }}"), "{content}");
        assert!(
            content.contains(&format!(
                "The current plan (change it when the user asks for a change):\n{plan}\n"
            )),
            "{content}"
        );
        let mut asking = Conversation::new();
        asking.reply("every day at 8 send 'Hi' to telegram", &credentials);
        let Message::System { content } = &super::messages("-100", &asking, &credentials)[0] else {
            panic!()
        };
        assert!(content.contains("There is no plan yet."), "{content}");
        assert!(
            content.contains("FlowPulse last asked the user: Which Telegram chat"),
            "{content}"
        );
        assert_eq!(
            messages[1],
            Message::User {
                content: "also email me".into()
            }
        );
    }
}
