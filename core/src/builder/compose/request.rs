//! A whole message → a trigger (if it names one) and steps, in the order said.
//!
//! The trigger may be named anywhere ("post 'Hi' to Slack #a every morning"), so it is looked
//! for first; then each clause becomes steps. "if <condition> <step>" opens an IF whose step
//! (that clause's, or the next clause's when it has none) is its `then`; an "otherwise <step>"
//! clause fills its `otherwise`; later clauses continue after the IF. "only when <condition>"
//! is a Filter.

use super::conditions;
use super::fields::Context;
use super::steps::{self, names};
use super::text::{clauses, Clause};
use super::triggers::{self, Found};
use super::CAPABILITIES;
use crate::builder::plan::{Field, Step, Trigger};

/// What a message said.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Request {
    /// The trigger it named.
    pub trigger: Option<Found>,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// Where the next steps go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Main,
    /// The `then` of the IF at this index of `steps`.
    Then(usize),
    /// Its `otherwise`.
    Otherwise(usize),
}

/// Reads a message; `trigger` and `before` are the workflow it extends (the trigger it has,
/// the steps that run before the new ones).
pub(super) fn parse(
    message: &str,
    trigger: Option<&Trigger>,
    before: &[Step],
) -> Result<Request, String> {
    let mut clauses = clauses(message);
    let mut found = None;
    for clause in &mut clauses {
        if let Some(hit) = triggers::find(clause)? {
            *clause = hit.rest.clone();
            found = Some(hit);
            break;
        }
    }
    let start = Context::start(found.as_ref().map(|f| &f.trigger).or(trigger));
    let mut context = start.clone().after(before);
    let mut steps: Vec<Step> = Vec::new();
    let mut slot = Slot::Main;
    for clause in clauses.iter().filter(|c| !c.tokens.is_empty()) {
        let first = clause.tokens[0].word.as_str();
        if matches!(first, "otherwise" | "else") {
            let Some(index) = steps.iter().rposition(|s| matches!(s, Step::If { .. })) else {
                return Err("“Otherwise” needs an “if …” before it.".into());
            };
            let rest = clause.from(1).trimmed();
            if rest.tokens.is_empty() {
                slot = Slot::Otherwise(index);
                continue;
            }
            let branch_context = context_before(&start, before, &steps[..index]);
            let new = clause_steps(&rest, &branch_context)?;
            branch(&mut steps[index], false).extend(new);
            slot = Slot::Main;
            continue;
        }
        if first == "if" {
            let parsed = conditions::parse(&clause.from(1), &context)?;
            let then = if parsed.rest.tokens.is_empty() {
                Vec::new()
            } else {
                clause_steps(&parsed.rest, &context)?
            };
            let open = then.is_empty();
            steps.push(Step::If {
                condition: parsed.condition,
                then,
                otherwise: Vec::new(),
            });
            slot = if open {
                Slot::Then(steps.len() - 1)
            } else {
                Slot::Main
            };
            continue;
        }
        if let Some(filter) = filter(clause, &context)? {
            context.step(&filter);
            steps.push(filter);
            slot = Slot::Main;
            continue;
        }
        let new = match clause_steps(clause, &context) {
            Ok(new) => new,
            // "keep the fields id, total and status": the comma split the list.
            Err(_) if extends_list(steps.last_mut(), clause, &context) => continue,
            Err(error) => return Err(error),
        };
        match slot {
            Slot::Main => {
                for step in &new {
                    context.step(step);
                }
                steps.extend(new);
            }
            Slot::Then(index) | Slot::Otherwise(index) => {
                branch(&mut steps[index], matches!(slot, Slot::Then(_))).extend(new);
                context = context_before(&start, before, &steps);
                slot = Slot::Main;
            }
        }
    }
    Ok(Request {
        trigger: found,
        steps,
    })
}

fn context_before(start: &Context, before: &[Step], steps: &[Step]) -> Context {
    start.clone().after(before).after(steps)
}

fn branch(step: &mut Step, then_branch: bool) -> &mut Vec<Step> {
    match step {
        Step::If {
            then, otherwise, ..
        } => {
            if then_branch {
                then
            } else {
                otherwise
            }
        }
        _ => unreachable!("branches belong to IF steps"),
    }
}

/// The steps of one clause, or a reply saying what is not possible.
fn clause_steps(clause: &Clause, context: &Context) -> Result<Vec<Step>, String> {
    match steps::steps(clause, context)? {
        Some(steps) => Ok(steps),
        None => Err(unsupported(clause)),
    }
}

/// The reply to something the composer cannot build.
pub(super) fn unsupported(clause: &Clause) -> String {
    format!("I can't build “{}” yet. {CAPABILITIES}", clause.text())
}

/// "only when total > 100", "only if …", "only for items where …", "filter where …".
fn filter(clause: &Clause, context: &Context) -> Result<Option<Step>, String> {
    let intro = [
        "when", "if", "where", "for", "items", "orders", "rows", "those", "with", "keep",
    ];
    let starts =
        clause.tokens[0].is("only") || (clause.tokens[0].is("filter") && clause.tokens.len() > 1);
    if !starts {
        return Ok(None);
    }
    let at = (1..clause.tokens.len())
        .find(|&i| !clause.tokens[i].is_any(&intro))
        .unwrap_or(clause.tokens.len());
    let parsed = conditions::parse(&clause.from(at), context)?;
    if !parsed.rest.tokens.is_empty() {
        return Err(format!(
            "I can check one condition at a time: “{}” is more than I can read.",
            clause.text()
        ));
    }
    Ok(Some(Step::Filter {
        condition: parsed.condition,
    }))
}

/// Adds the clause's names to the field or column list the previous step ended with.
fn extends_list(last: Option<&mut Step>, clause: &Clause, context: &Context) -> bool {
    let listed = names(clause, 0);
    let only_names = clause
        .tokens
        .iter()
        .all(|t| t.literal.is_none() && (t.is("and") || listed.contains(&t.raw)));
    if listed.is_empty() || !only_names {
        return false;
    }
    let list = match last {
        Some(Step::SetFields {
            fields,
            keep_only: true,
        }) => fields,
        Some(Step::PostgresInsert { columns, .. }) => columns,
        _ => return false,
    };
    // The context has already moved past the step; its fields are placed as the step saw them.
    let in_body = list
        .first()
        .is_some_and(|first| first.value.contains("$json.body."));
    let path = |name: &str| {
        if in_body {
            format!("{{{{ $json.body.{name} }}}}")
        } else {
            context.expression(name)
        }
    };
    let added: Vec<Field> = listed
        .iter()
        .map(|name| Field {
            name: name.clone(),
            value: path(name),
        })
        .collect();
    list.extend(added);
    true
}
