//! A plan from the model, accepted only as FlowPulse's own rules allow: `validate` must pass,
//! and every credential must be one of the user's, by name. What the composer would decide
//! anyway is decided here too (a missing title, the user's only credential of a type), and a
//! credential the user has none of yet is shown as still needed, as the composer does.

use flowpulse_core::builder::catalogue::{credential_noun, step_credential};
use flowpulse_core::builder::compose::{title_for, ComposerReply, Credentials};
use flowpulse_core::builder::plan::{HttpAuth, Step, WorkflowPlan};
use flowpulse_core::builder::summary::{step_label, summary};
use flowpulse_core::builder::validate::{validate, PlanProblem};

/// The first line of every plan the assistant drafts.
pub const DRAFTED: &str = "Drafted by the assistant: check it before deploying.";

/// The plan as a reply, or every problem (worded for the user and the model alike).
pub fn accept(
    mut plan: WorkflowPlan,
    credentials: &Credentials,
) -> Result<ComposerReply, Vec<String>> {
    if plan.title.trim().is_empty() {
        plan.title = title_for(&plan);
    }
    let mut problems = Vec::new();
    settle_credentials(&mut plan.steps, credentials, &mut problems);
    let mut missing: Vec<String> = Vec::new();
    for problem in validate(&plan).err().unwrap_or_default() {
        match &problem {
            PlanProblem::NoCredential {
                credential_type, ..
            } => {
                let names = credentials.names(credential_type);
                if names.is_empty() {
                    if !missing.contains(credential_type) {
                        missing.push(credential_type.clone());
                    }
                } else {
                    problems.push(format!(
                        "{problem} The user's are {}; ask which if it is not clear.",
                        quoted(names)
                    ));
                }
            }
            _ => problems.push(problem.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut text = String::from(DRAFTED);
    for credential_type in &missing {
        text.push_str(&format!(
            "\nYou have no {} credential in n8n yet: add one, then say which to use.",
            credential_noun(credential_type)
        ));
    }
    text.push('\n');
    text.push_str(&summary(&plan));
    Ok(ComposerReply::Plan {
        plan,
        summary: text,
    })
}

/// Names each step's credential as the user wrote it: their only one of the type when none
/// is named, theirs when the case differs, none when they have none of the type (an invented
/// name); a name they do not have, beside ones they do, is a problem.
fn settle_credentials(steps: &mut [Step], credentials: &Credentials, problems: &mut Vec<String>) {
    for step in steps.iter_mut() {
        if let Some((credential_type, chosen)) = step_credential(step) {
            let names = credentials.names(credential_type);
            let chosen = chosen.map(str::trim).filter(|name| !name.is_empty());
            let settled = match chosen {
                None => match names {
                    [only] => Some(only.clone()),
                    _ => None,
                },
                Some(name) => match names
                    .iter()
                    .find(|n| n.to_lowercase() == name.to_lowercase())
                {
                    Some(theirs) => Some(theirs.clone()),
                    None if names.is_empty() => None,
                    None => {
                        problems.push(format!(
                            "{}: there is no {} credential named “{name}”; the user's are {}.",
                            step_label(step),
                            credential_noun(credential_type),
                            quoted(names)
                        ));
                        Some(name.to_string())
                    }
                },
            };
            if let Some(slot) = credential_slot(step) {
                *slot = settled;
            }
        }
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            settle_credentials(then, credentials, problems);
            settle_credentials(otherwise, credentials, problems);
        }
    }
}

fn credential_slot(step: &mut Step) -> Option<&mut Option<String>> {
    match step {
        Step::HttpRequest {
            auth: HttpAuth::Header { credential } | HttpAuth::Basic { credential },
            ..
        }
        | Step::Slack { credential, .. }
        | Step::Email { credential, .. }
        | Step::Discord { credential, .. }
        | Step::Telegram { credential, .. }
        | Step::PostgresInsert { credential, .. } => Some(credential),
        _ => None,
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("“{name}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::builder::plan::{HttpMethod, Trigger};

    fn slack(credential: Option<&str>) -> WorkflowPlan {
        WorkflowPlan {
            title: String::new(),
            trigger: Trigger::Webhook {
                method: HttpMethod::Post,
                path: "orders".into(),
            },
            steps: vec![Step::If {
                condition: serde_json::from_value(serde_json::json!(
                    { "field": "total", "operator": "greater", "value": 5 }
                ))
                .unwrap(),
                then: vec![Step::Slack {
                    channel: "#sales".into(),
                    text: "Big order".into(),
                    credential: credential.map(str::to_string),
                }],
                otherwise: vec![],
            }],
        }
    }

    fn plan_of(reply: ComposerReply) -> (WorkflowPlan, String) {
        match reply {
            ComposerReply::Plan { plan, summary } => (plan, summary),
            other => panic!("{other:?}"),
        }
    }

    fn chosen(plan: &WorkflowPlan) -> Option<String> {
        let Step::If { then, .. } = &plan.steps[0] else {
            panic!()
        };
        step_credential(&then[0]).and_then(|(_, name)| name.map(str::to_string))
    }

    #[test]
    fn the_only_credential_of_a_type_is_chosen_and_a_title_given() {
        let one = Credentials::new().with("slackApi", "Team Slack");
        let (plan, summary) = plan_of(accept(slack(None), &one).unwrap());
        assert_eq!(chosen(&plan).as_deref(), Some("Team Slack"));
        assert_eq!(plan.title, title_for(&plan));
        assert!(summary.starts_with(DRAFTED), "{summary}");
        assert!(validate(&plan).is_ok());
    }

    #[test]
    fn a_name_in_another_case_becomes_the_users_spelling() {
        let one = Credentials::new().with("slackApi", "Team Slack");
        let (plan, _) = plan_of(accept(slack(Some("team slack")), &one).unwrap());
        assert_eq!(chosen(&plan).as_deref(), Some("Team Slack"));
    }

    #[test]
    fn an_invented_name_is_a_problem_naming_the_users_credentials() {
        let two = Credentials::new()
            .with("slackApi", "A")
            .with("slackApi", "B");
        let problems = accept(slack(Some("Imaginary")), &two).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("“Imaginary”"), "{problems:?}");
        assert!(problems[0].contains("“A”, “B”"), "{problems:?}");
        let problems = accept(slack(None), &two).unwrap_err();
        assert!(
            problems[0].contains("choose a Slack credential"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_credential_the_user_has_none_of_is_shown_as_still_needed() {
        let (plan, summary) =
            plan_of(accept(slack(Some("Imaginary")), &Credentials::new()).unwrap());
        assert_eq!(chosen(&plan), None);
        assert!(
            summary.contains("You have no Slack credential in n8n yet"),
            "{summary}"
        );
    }

    #[test]
    fn validation_problems_are_returned_in_flowpulses_words() {
        let mut plan = slack(Some("Team Slack"));
        plan.trigger = Trigger::Webhook {
            method: HttpMethod::Post,
            path: "/bad//path".into(),
        };
        let one = Credentials::new().with("slackApi", "Team Slack");
        let problems = accept(plan, &one).unwrap_err();
        assert!(
            problems[0].starts_with("The webhook path “/bad//path”"),
            "{problems:?}"
        );
    }
}
