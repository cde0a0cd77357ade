//! Plans in words: the summary the chat shows before anything is deployed, the short step
//! labels problems and the preview use, and the credentials a plan still needs.

use super::catalogue::{credential_noun, spec, step_credential, step_kind, trigger_kind};
use super::plan::{
    Condition, Field, HttpAuth, NeededCredential, Operator, Schedule, Step, Trigger, WorkflowPlan,
};

/// The plan as a bullet list a user reads: the title, the trigger, each step (branches
/// indented), then what is still missing.
pub fn summary(plan: &WorkflowPlan) -> String {
    let mut out = format!(
        "“{}”\n- {}\n",
        plan.title.trim(),
        trigger_sentence(&plan.trigger)
    );
    write_steps(&mut out, &plan.steps, 0);
    if plan.steps.is_empty() {
        out.push_str("- (no steps yet)\n");
    }
    let missing: Vec<String> = needed_credentials(plan)
        .into_iter()
        .filter(|needed| needed.name.is_none())
        .map(|needed| {
            format!(
                "a {} credential for {}",
                credential_noun(&needed.credential_type),
                needed.step
            )
        })
        .collect();
    if !missing.is_empty() {
        out.push_str(&format!("Still needed: {}.\n", missing.join("; ")));
    }
    out.trim_end().to_string()
}

/// Every credential the plan's steps use, in step order (one entry per step).
pub fn needed_credentials(plan: &WorkflowPlan) -> Vec<NeededCredential> {
    let mut out = Vec::new();
    for_each_step(&plan.steps, &mut |step| {
        if let Some((credential_type, name)) = step_credential(step) {
            out.push(NeededCredential {
                credential_type: credential_type.to_string(),
                name: name.map(str::to_string),
                step: step_label(step),
            });
        }
    });
    out
}

/// The n8n node types the plan deploys, trigger first, each once (e.g. for a workflow row's
/// `node_types`).
pub fn node_types(plan: &WorkflowPlan) -> Vec<String> {
    let mut out = vec![spec(trigger_kind(&plan.trigger)).node_type.to_string()];
    for_each_step(&plan.steps, &mut |step| {
        let node_type = spec(step_kind(step)).node_type;
        if !out.iter().any(|t| t == node_type) {
            out.push(node_type.to_string());
        }
    });
    out
}

/// Calls `visit` on every step, depth first, branches in order (then before otherwise).
pub fn for_each_step<'a>(steps: &'a [Step], visit: &mut impl FnMut(&'a Step)) {
    for step in steps {
        visit(step);
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            for_each_step(then, visit);
            for_each_step(otherwise, visit);
        }
    }
}

/// A short name for a trigger ("Webhook /orders", "Every 15 minutes").
pub fn trigger_label(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Webhook { method, path } => {
            format!(
                "{} webhook /{}",
                method.as_str(),
                path.trim_start_matches('/')
            )
        }
        Trigger::Schedule { schedule } => schedule_label(schedule),
        Trigger::Manual => "Started by hand".to_string(),
        Trigger::WorkflowError => "When a workflow fails".to_string(),
    }
}

/// A short name for a timetable ("Every 15 minutes", "Weekdays at 08:00").
pub fn schedule_label(schedule: &Schedule) -> String {
    match schedule {
        Schedule::Minutes { n: 1 } => "Every minute".to_string(),
        Schedule::Minutes { n } => format!("Every {n} minutes"),
        Schedule::Hours { n: 1, minute: 0 } => "Every hour".to_string(),
        Schedule::Hours { n: 1, minute } => format!("Every hour at :{minute:02}"),
        Schedule::Hours { n, minute: 0 } => format!("Every {n} hours"),
        Schedule::Hours { n, minute } => format!("Every {n} hours at :{minute:02}"),
        Schedule::Day { hour, minute } => format!("Daily at {hour:02}:{minute:02}"),
        Schedule::Weekday { hour, minute } => format!("Weekdays at {hour:02}:{minute:02}"),
        Schedule::Cron { expression } => format!("Cron {}", expression.trim()),
    }
}

/// A short name for a step, as problems, needed credentials and the preview name it.
pub fn step_label(step: &Step) -> String {
    match step {
        Step::HttpRequest { method, url, .. } => format!("HTTP {} {}", method.as_str(), url),
        Step::Slack { channel, .. } => format!("Slack {channel}"),
        Step::Email { to, .. } => format!("Email to {to}"),
        Step::Discord { .. } => "Discord message".to_string(),
        Step::Telegram { chat_id, .. } => format!("Telegram chat {chat_id}"),
        Step::SetFields { fields, .. } => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            format!("Edit Fields ({})", names.join(", "))
        }
        Step::If { condition, .. } => format!("If {}", condition_phrase(condition)),
        Step::Filter { condition } => format!("Filter: {}", condition_phrase(condition)),
        Step::Code { .. } => "Code".to_string(),
        Step::Wait { seconds } => format!("Wait {}", duration_phrase(*seconds)),
        Step::RespondToWebhook { status, .. } => format!("Respond to Webhook ({status})"),
        Step::PostgresInsert { table, .. } => format!("Postgres insert into {table}"),
    }
}

/// "total > 100", "status is “paid”", "email exists".
pub fn condition_phrase(condition: &Condition) -> String {
    let field = condition
        .field
        .strip_prefix("body.")
        .unwrap_or(&condition.field);
    let value = match &condition.value {
        Some(serde_json::Value::String(text)) => format!("“{text}”"),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match condition.operator {
        Operator::Equals => format!("{field} is {value}"),
        Operator::NotEquals => format!("{field} is not {value}"),
        Operator::Greater => format!("{field} > {value}"),
        Operator::GreaterOrEqual => format!("{field} ≥ {value}"),
        Operator::Less => format!("{field} < {value}"),
        Operator::LessOrEqual => format!("{field} ≤ {value}"),
        Operator::Contains => format!("{field} contains {value}"),
        Operator::Exists => format!("{field} is set"),
        Operator::IsEmpty => format!("{field} is empty"),
    }
}

/// "30 seconds", "5 minutes", "1 hour", "90 seconds".
pub fn duration_phrase(seconds: u32) -> String {
    let (n, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Shows n8n expressions the way the user wrote them: `{{ $json.body.id }}` → `{{id}}`.
pub fn pretty(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + len].trim();
        out.push_str(&rest[..start]);
        match simple_field(inner) {
            Some(field) => out.push_str(&format!("{{{{{field}}}}}")),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// `$json.body.id` → `id`, `$json.customer.name` → `customer.name`; other expressions: None.
fn simple_field(expression: &str) -> Option<&str> {
    let path = expression.strip_prefix("$json.")?;
    let path = path.strip_prefix("body.").unwrap_or(path);
    let simple = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    simple.then_some(path)
}

/// The path of the field a value copies, when the whole value is one plain reference:
/// `{{ $json.body.id }}` → `body.id`.
pub(crate) fn field_reference(value: &str) -> Option<&str> {
    let inner = value.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let path = inner.strip_prefix("$json.")?;
    let plain = !path.is_empty()
        && !path.starts_with('.')
        && !path.ends_with('.')
        && !path.contains("..")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    plain.then_some(path)
}

/// The path a field keeps unchanged under its own name (`id` = `{{ $json.body.id }}`).
pub(crate) fn kept_path(field: &Field) -> Option<&str> {
    field_reference(&field.value).filter(|path| path.rsplit('.').next() == Some(&*field.name))
}

fn trigger_sentence(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Webhook { method, path } => format!(
            "Starts when n8n receives a {} request at /webhook/{} (say “use GET” or “use POST” \
             to change the method).",
            method.as_str(),
            path.trim_start_matches('/')
        ),
        Trigger::Schedule { schedule } => {
            let when = match schedule {
                Schedule::Minutes { .. } | Schedule::Hours { .. } => {
                    schedule_label(schedule).to_lowercase()
                }
                Schedule::Day { hour, minute } => format!("every day at {hour:02}:{minute:02}"),
                Schedule::Weekday { hour, minute } => {
                    format!("Monday to Friday at {hour:02}:{minute:02}")
                }
                Schedule::Cron { expression } => {
                    format!("on the cron schedule `{}`", expression.trim())
                }
            };
            format!("Runs {when} (times are in your n8n's time zone).")
        }
        Trigger::Manual => "Starts when you click “Execute workflow” in n8n.".to_string(),
        Trigger::WorkflowError => "Runs when another workflow fails: pick this one as that \
             workflow's error workflow (Workflow settings → Error workflow)."
            .to_string(),
    }
}

fn write_steps(out: &mut String, steps: &[Step], depth: usize) {
    let indent = "  ".repeat(depth);
    for step in steps {
        out.push_str(&format!("{indent}- {}\n", step_sentence(step)));
        if let Step::If {
            then, otherwise, ..
        } = step
        {
            if then.is_empty() {
                out.push_str(&format!("{indent}  - (nothing)\n"));
            }
            write_steps(out, then, depth + 1);
            out.push_str(&format!("{indent}- Otherwise:\n"));
            if otherwise.is_empty() {
                out.push_str(&format!("{indent}  - (nothing)\n"));
            }
            write_steps(out, otherwise, depth + 1);
        }
    }
}

fn step_sentence(step: &Step) -> String {
    let sentence = match step {
        Step::HttpRequest {
            method,
            url,
            body,
            auth,
        } => {
            let mut s = format!("Calls {} {}", method.as_str(), pretty(url));
            if let Some(body) = body {
                s.push_str(&format!(
                    " with the JSON body {}",
                    pretty(&body.to_string())
                ));
            }
            match auth {
                HttpAuth::None => {}
                HttpAuth::Header { .. } => s.push_str(", sending a header"),
                HttpAuth::Basic { .. } => s.push_str(", with basic auth"),
            }
            s
        }
        Step::Slack { channel, text, .. } => {
            format!("Posts “{}” to Slack {channel}", pretty(text))
        }
        Step::Email {
            to,
            from,
            subject,
            text,
            ..
        } => {
            let from = from
                .as_deref()
                .map(|from| format!(" from {from}"))
                .unwrap_or_default();
            format!(
                "Emails {to}{from}: subject “{}”, text “{}”",
                pretty(subject),
                pretty(text)
            )
        }
        Step::Discord { text, .. } => format!("Posts “{}” to Discord", pretty(text)),
        Step::Telegram { chat_id, text, .. } => {
            format!("Sends “{}” to Telegram chat {chat_id}", pretty(text))
        }
        Step::SetFields { fields, keep_only } => {
            let pass_through = fields.iter().all(|f| kept_path(f).is_some());
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            if *keep_only && pass_through {
                format!("Keeps only the fields {}", and_list(&names))
            } else {
                let sets: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} to “{}”", f.name, pretty(&f.value)))
                    .collect();
                let tail = if *keep_only {
                    ", dropping every other field"
                } else {
                    ""
                };
                format!("Sets {}{tail}", sets.join(", "))
            }
        }
        Step::If { condition, .. } => format!("If {}:", condition_phrase(condition)),
        Step::Filter { condition } => format!(
            "Continues only with items where {}",
            condition_phrase(condition)
        ),
        Step::Code { javascript } => {
            let first = javascript.lines().next().unwrap_or_default().trim();
            format!("Runs JavaScript `{first}`")
        }
        Step::Wait { seconds } => format!("Waits {}", duration_phrase(*seconds)),
        Step::RespondToWebhook { status, body } => {
            format!(
                "Answers the webhook call with {status} and “{}”",
                pretty(body)
            )
        }
        Step::PostgresInsert { table, columns, .. } => {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            format!("Inserts a row into {table} ({})", names.join(", "))
        }
    };
    if matches!(step, Step::If { .. }) {
        return sentence;
    }
    match step_credential(step) {
        Some((credential_type, Some(name))) => format!(
            "{sentence}, using the {} credential “{name}”.",
            credential_noun(credential_type)
        ),
        Some((credential_type, None)) => format!(
            "{sentence} — needs a {} credential.",
            credential_noun(credential_type)
        ),
        None => format!("{sentence}."),
    }
}

/// "a", "a and b", "a, b and c".
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests;
