//! Each node's `parameters`, in the shape its pinned version's description defines (see
//! `catalogue`). Texts holding `{{ … }}` get n8n's leading `=`, which marks a parameter as an
//! expression; plain texts stay plain.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::builder::plan::{Condition, Field, HttpAuth, Operator, Schedule, Step, Trigger};
use crate::builder::summary::kept_path;

/// A text parameter: an expression when it holds `{{ … }}`.
pub(crate) fn text(value: &str) -> Value {
    if value.contains("{{") {
        Value::String(format!("={value}"))
    } else {
        Value::String(value.to_string())
    }
}

/// `{{ $json.<path> }}` as a whole-value expression.
fn field_expression(path: &str) -> Value {
    Value::String(format!("={{{{ $json.{path} }}}}"))
}

/// The trigger's parameters; `responds`: a Respond to Webhook step answers the call.
pub(super) fn trigger(trigger: &Trigger, responds: bool) -> Value {
    match trigger {
        Trigger::Webhook { method, path } => json!({
            "httpMethod": method.as_str(),
            "path": path,
            // Without a Respond to Webhook step n8n answers at once ("Workflow was started"),
            // so callers never wait on slow steps.
            "responseMode": if responds { "responseNode" } else { "onReceived" },
            "options": {},
        }),
        Trigger::Schedule { schedule } => json!({ "rule": { "interval": [interval(schedule)] } }),
        Trigger::Manual | Trigger::WorkflowError => json!({}),
    }
}

fn interval(schedule: &Schedule) -> Value {
    match schedule {
        Schedule::Minutes { n } => json!({ "field": "minutes", "minutesInterval": n }),
        // The minute is always written: n8n picks a random one when it is missing.
        Schedule::Hours { n, minute } => {
            json!({ "field": "hours", "hoursInterval": n, "triggerAtMinute": minute })
        }
        Schedule::Day { hour, minute } => json!({
            "field": "days", "daysInterval": 1, "triggerAtHour": hour, "triggerAtMinute": minute,
        }),
        Schedule::Weekday { hour, minute } => json!({
            "field": "weeks", "weeksInterval": 1, "triggerAtDay": [1, 2, 3, 4, 5],
            "triggerAtHour": hour, "triggerAtMinute": minute,
        }),
        Schedule::Cron { expression } => {
            json!({ "field": "cronExpression", "expression": expression.trim() })
        }
    }
}

/// A step's parameters.
pub(super) fn step(step: &Step, new_id: &mut dyn FnMut() -> Uuid) -> Value {
    match step {
        Step::HttpRequest {
            method,
            url,
            body,
            auth,
        } => {
            let mut p =
                json!({ "method": method.as_str(), "url": text(url.trim()), "options": {} });
            let generic = match auth {
                HttpAuth::None => None,
                HttpAuth::Header { .. } => Some("httpHeaderAuth"),
                HttpAuth::Basic { .. } => Some("httpBasicAuth"),
            };
            match generic {
                Some(kind) => {
                    p["authentication"] = json!("genericCredentialType");
                    p["genericAuthType"] = json!(kind);
                }
                None => p["authentication"] = json!("none"),
            }
            if let Some(body) = body {
                p["sendBody"] = json!(true);
                p["contentType"] = json!("json");
                p["specifyBody"] = json!("json");
                p["jsonBody"] = text(&serde_json::to_string_pretty(body).expect("JSON"));
            }
            p
        }
        Step::Slack {
            channel, text: t, ..
        } => {
            let channel = channel.trim();
            // `#name` by name, `C0123…` by ID: the two modes Slack's channel locator takes
            // without a lookup.
            let mode = if channel.starts_with('#') {
                "name"
            } else {
                "id"
            };
            json!({
                "authentication": "accessToken",
                "resource": "message",
                "operation": "post",
                "select": "channel",
                "channelId": { "__rl": true, "mode": mode, "value": channel },
                "messageType": "text",
                "text": text(t),
                "otherOptions": {},
            })
        }
        Step::Email {
            to,
            from,
            subject,
            text: t,
            ..
        } => json!({
            "resource": "email",
            "operation": "send",
            "fromEmail": text(from.as_deref().unwrap_or_default().trim()),
            "toEmail": text(to.trim()),
            "subject": text(subject),
            // 2.1 defaults to HTML; plans carry plain text.
            "emailFormat": "text",
            "text": text(t),
            "options": {},
        }),
        Step::Discord { text: t, .. } => json!({
            "authentication": "webhook",
            "operation": "sendLegacy",
            "content": text(t),
            "options": {},
        }),
        Step::Telegram {
            chat_id, text: t, ..
        } => json!({
            "resource": "message",
            "operation": "sendMessage",
            "chatId": text(chat_id.trim()),
            "text": text(t),
            "additionalFields": {},
        }),
        Step::SetFields { fields, keep_only } => set_fields(fields, *keep_only, new_id),
        Step::If { condition, .. } | Step::Filter { condition } => json!({
            "conditions": conditions(condition, new_id()),
            "looseTypeValidation": true,
            "options": {},
        }),
        Step::Code { javascript } => json!({
            "mode": "runOnceForAllItems",
            "language": "javaScript",
            "jsCode": javascript,
        }),
        Step::Wait { seconds } => {
            let (amount, unit) = wait_amount(*seconds);
            json!({ "resume": "timeInterval", "amount": amount, "unit": unit })
        }
        Step::RespondToWebhook { status, body } => {
            let json_body = serde_json::from_str::<Value>(body.trim())
                .is_ok_and(|parsed| parsed.is_object() || parsed.is_array());
            json!({
                "respondWith": if json_body { "json" } else { "text" },
                "responseBody": text(body),
                "options": { "responseCode": status },
            })
        }
        Step::PostgresInsert { table, columns, .. } => postgres_insert(table, columns),
    }
}

/// Fields that only keep a value under its own name (`id` = `{{ $json.body.id }}`) are kept
/// through n8n's "include selected fields", which keeps their types (an assignment would turn a
/// number into text); the rest become assignments.
fn set_fields(fields: &[Field], keep_only: bool, new_id: &mut dyn FnMut() -> Uuid) -> Value {
    let (kept, assigned): (Vec<&Field>, Vec<&Field>) = fields
        .iter()
        .partition(|f| keep_only && kept_path(f).is_some());
    let assignments: Vec<Value> = assigned
        .iter()
        .map(|f| {
            let (kind, value) = typed(&f.value);
            json!({ "id": new_id().to_string(), "name": f.name, "value": value, "type": kind })
        })
        .collect();
    let mut p = json!({
        "mode": "manual",
        "assignments": { "assignments": assignments },
        "includeOtherFields": !keep_only || !kept.is_empty(),
        "options": {},
    });
    if !kept.is_empty() {
        let paths: Vec<&str> = kept.iter().filter_map(|f| kept_path(f)).collect();
        p["include"] = json!("selected");
        p["includeFields"] = json!(paths.join(", "));
    }
    p
}

/// An assignment's type and value: numbers and booleans written as such stay typed.
fn typed(value: &str) -> (&'static str, Value) {
    let trimmed = value.trim();
    if !trimmed.contains("{{") {
        if let Ok(number) = trimmed.parse::<serde_json::Number>() {
            return ("number", Value::Number(number));
        }
        if let Ok(flag) = trimmed.parse::<bool>() {
            return ("boolean", Value::Bool(flag));
        }
    }
    ("string", text(value))
}

/// The filter value of an IF or Filter (version 3 of n8n's filter parameter, used by 2.3).
fn conditions(condition: &Condition, id: Uuid) -> Value {
    let number = |value: &Option<Value>| match value {
        Some(Value::String(text)) => text
            .trim()
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let value = condition.value.clone().unwrap_or(Value::Null);
    let (kind, operation, right, single) = match condition.operator {
        Operator::Greater => ("number", "gt", number(&condition.value), false),
        Operator::GreaterOrEqual => ("number", "gte", number(&condition.value), false),
        Operator::Less => ("number", "lt", number(&condition.value), false),
        Operator::LessOrEqual => ("number", "lte", number(&condition.value), false),
        Operator::Equals | Operator::NotEquals => {
            let operation = if condition.operator == Operator::Equals {
                "equals"
            } else {
                "notEquals"
            };
            let kind = match value {
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "string",
            };
            (kind, operation, value, false)
        }
        Operator::Contains => ("string", "contains", value, false),
        Operator::Exists => ("string", "notEmpty", json!(""), true),
        Operator::IsEmpty => ("string", "empty", json!(""), true),
    };
    let mut operator = json!({ "type": kind, "operation": operation });
    if single {
        operator["singleValue"] = json!(true);
    }
    json!({
        "options": { "caseSensitive": true, "leftValue": "", "typeValidation": "loose", "version": 3 },
        "conditions": [{
            "id": id.to_string(),
            "leftValue": field_expression(&condition.field),
            "rightValue": right,
            "operator": operator,
        }],
        "combinator": "and",
    })
}

/// The largest whole unit n8n's Wait takes.
fn wait_amount(seconds: u32) -> (u32, &'static str) {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "days"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hours"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minutes"),
        s => (s, "seconds"),
    }
}

fn postgres_insert(table: &str, columns: &[Field]) -> Value {
    let (schema, table) = table
        .trim()
        .split_once('.')
        .unwrap_or(("public", table.trim()));
    let values: serde_json::Map<String, Value> = columns
        .iter()
        .map(|c| (c.name.clone(), text(&c.value)))
        .collect();
    // The editor keeps the table's column list beside the mapping; n8n reads only `value` when
    // it runs, so a plain description of each mapped column is enough.
    let schema_list: Vec<Value> = columns
        .iter()
        .map(|c| {
            json!({
                "id": c.name, "displayName": c.name, "required": false, "defaultMatch": false,
                "display": true, "type": "string", "canBeUsedToMatch": true, "removed": false,
            })
        })
        .collect();
    json!({
        "operation": "insert",
        "schema": { "__rl": true, "mode": "name", "value": schema },
        "table": { "__rl": true, "mode": "name", "value": table },
        "columns": {
            "mappingMode": "defineBelow",
            "value": values,
            "matchingColumns": [],
            "schema": schema_list,
        },
        "options": {},
    })
}
