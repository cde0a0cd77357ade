//! One clause → the step(s) it asks for. Each recognizer looks for its own words; values the
//! user left out stay empty (or `None`) for `holes` to ask about.

use serde_json::Value;

use super::fields::{is_field_name, Context};
use super::schedule::number;
use super::text::{Clause, Literal, Token};
use super::triggers::method;
use crate::builder::plan::{Field, HttpAuth, HttpMethod, Step};

/// The steps a clause asks for: `Ok(None)` when it asks for nothing this module knows, `Err`
/// with a reply when it asks for something wrongly ("wait" without a duration).
pub(super) fn steps(clause: &Clause, context: &Context) -> Result<Option<Vec<Step>>, String> {
    let first = clause.tokens.first().map_or("", |t| t.word.as_str());
    let one = |step: Step| Ok(Some(vec![step]));
    match first {
        "answer" | "respond" | "reply" => return one(respond(clause, context)),
        "wait" | "pause" | "sleep" | "delay" => return one(wait(clause)?),
        "keep" => return Ok(keep(clause, context).map(|s| vec![s])),
        "set" | "add" if !clause.has_any(&["slack", "discord", "telegram", "row"]) => {
            if let Some(step) = set(clause, context) {
                return one(step);
            }
        }
        _ => {}
    }
    if clause.has_any(&["code", "javascript", "js"]) || code_literal(clause).is_some() {
        return one(Step::Code {
            javascript: code_literal(clause)
                .or(clause.quoted())
                .unwrap_or_default()
                .to_string(),
        });
    }
    if clause.has_any(&["postgres", "postgresql", "database", "db"])
        || (first == "insert" && clause.has("into"))
    {
        return one(postgres(clause, context));
    }
    let messages = messages(clause, context);
    if !messages.is_empty() {
        return Ok(Some(messages));
    }
    // "post 'Hi' to #general": a channel alone means Slack.
    let channel = slack_channel(clause);
    if channel.starts_with('#') && clause.has_any(&["post", "send", "notify", "message", "tell"]) {
        return one(Step::Slack {
            channel,
            text: message_text(clause, context),
            credential: credential(clause).map(|(name, _)| name),
        });
    }
    if let Some(step) = email(clause, context) {
        return one(step);
    }
    http(clause, context).map(|step| step.map(|s| vec![s]))
}

fn code_literal(clause: &Clause) -> Option<&str> {
    clause.literal(|l| match l {
        Literal::Code(code) => Some(code),
        _ => None,
    })
}

/// The credential the user named: `credential 'Sales bot'`, `credential Ops`, `'Sales bot'
/// credential`; and the index of the token that named it.
pub(super) fn credential(clause: &Clause) -> Option<(String, usize)> {
    let at = clause.find_any(&["credential", "credentials", "account"])?;
    let tokens = &clause.tokens;
    if let Some(next) = tokens.get(at + 1) {
        if let Some(text) = next.quoted() {
            return Some((text.to_string(), at + 1));
        }
        if next.literal.is_none() && !next.is_any(&["for", "to", "and", "in", "on", "with"]) {
            return Some((next.raw.clone(), at + 1));
        }
    }
    let before = tokens.get(at.checked_sub(1)?)?;
    before.quoted().map(|text| (text.to_string(), at - 1))
}

/// A message's text: the first quoted text (not the credential's name), else what follows a
/// colon or "saying".
fn message_text(clause: &Clause, context: &Context) -> String {
    let skip = credential(clause).map(|(_, at)| at);
    let quoted = (clause.tokens.iter().enumerate())
        .filter(|(i, _)| Some(*i) != skip)
        .find_map(|(_, t)| t.quoted());
    let text = quoted
        .map(str::to_string)
        .or_else(|| clause.after_colon())
        .or_else(|| {
            let at = clause.find_any(&["saying", "says", "text"])?;
            let rest = clause.from(at + 1).text();
            (!rest.is_empty()).then_some(rest)
        });
    context.expressions(text.as_deref().unwrap_or_default())
}

/// Slack, Discord and Telegram messages: one step per service named, all with the same text.
fn messages(clause: &Clause, context: &Context) -> Vec<Step> {
    let text = || message_text(clause, context);
    let name = || credential(clause).map(|(name, _)| name);
    let mut out = Vec::new();
    if clause.has("slack") {
        out.push(Step::Slack {
            channel: slack_channel(clause),
            text: text(),
            credential: name(),
        });
    }
    if clause.has("discord") {
        out.push(Step::Discord {
            text: text(),
            credential: name(),
        });
    }
    if clause.has("telegram") {
        out.push(Step::Telegram {
            chat_id: telegram_chat(clause),
            text: text(),
            credential: name(),
        });
    }
    out
}

/// `#sales`, `channel sales`, or "" when none was named.
pub(super) fn slack_channel(clause: &Clause) -> String {
    let hash = clause
        .tokens
        .iter()
        .find(|t| t.literal.is_none() && t.raw.starts_with('#') && t.raw.len() > 1);
    if let Some(token) = hash {
        return token.raw.to_lowercase();
    }
    let named = clause
        .find("channel")
        .and_then(|at| clause.tokens.get(at + 1))
        .filter(|t| t.literal.is_none() && is_field_name(&t.raw));
    named.map(|t| channel(&t.raw)).unwrap_or_default()
}

/// A channel as the user typed it: IDs stay, names get their `#`.
pub(super) fn channel(raw: &str) -> String {
    let raw = raw.trim();
    let is_id = raw.len() > 2
        && raw.starts_with(['C', 'G', 'D'])
        && raw
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if is_id {
        raw.to_string()
    } else {
        format!("#{}", raw.trim_start_matches('#').to_lowercase())
    }
}

/// `chat 12345`, `-100123…`, `@channel`, or "".
pub(super) fn telegram_chat(clause: &Clause) -> String {
    let named = clause
        .find_any(&["chat", "group"])
        .and_then(|at| clause.tokens.get(at + 1))
        .filter(|t| t.literal.is_none() && is_chat_id(&t.raw));
    named
        .or_else(|| {
            clause
                .tokens
                .iter()
                .find(|t| t.literal.is_none() && is_chat_id(&t.raw))
        })
        .map(|t| t.raw.clone())
        .unwrap_or_default()
}

pub(super) fn is_chat_id(raw: &str) -> bool {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    (digits.len() >= 5 && digits.chars().all(|c| c.is_ascii_digit()))
        || raw.strip_prefix('@').is_some_and(|name| {
            name.len() >= 5 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Email addresses in the clause, outside quotes.
pub(super) fn addresses(tokens: &[Token]) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| t.literal.is_none())
        .map(|t| t.raw.trim_end_matches(['.', ',']).to_string())
        .filter(|raw| crate::builder::validate::is_email(raw) && !raw.contains("{{"))
        .collect()
}

fn email(clause: &Clause, context: &Context) -> Option<Step> {
    let from_at = clause.find("from");
    let from = from_at
        .and_then(|at| clause.tokens.get(at + 1))
        .and_then(|t| addresses(std::slice::from_ref(t)).pop());
    let to: Vec<String> = (clause.tokens.iter().enumerate())
        .filter(|(i, _)| from_at.is_none_or(|at| *i != at + 1))
        .flat_map(|(_, t)| addresses(std::slice::from_ref(t)))
        .collect();
    let asked = clause.has_any(&["email", "e-mail", "mail", "emails"]);
    if !asked && (to.is_empty() || !clause.has_any(&["send", "notify", "forward", "tell"])) {
        return None;
    }
    let subject = clause
        .find("subject")
        .and_then(|at| clause.tokens.get(at + 1))
        .map(|t| t.quoted().unwrap_or(&t.raw).to_string());
    let text = clause
        .find_any(&["saying", "text", "body", "message"])
        .and_then(|at| clause.tokens.get(at + 1))
        .and_then(Token::quoted)
        .map(str::to_string);
    let skip = credential(clause).map(|(_, at)| at);
    let quoted: Vec<&str> = (clause.tokens.iter().enumerate())
        .filter(|(i, _)| Some(*i) != skip)
        .filter_map(|(_, t)| t.quoted())
        .collect();
    // One quoted text and nothing else said: it is both the subject and the text.
    let (subject, text) = match (subject, text) {
        (None, None) if quoted.len() == 1 => {
            (Some(quoted[0].to_string()), Some(quoted[0].to_string()))
        }
        (Some(subject), None) => {
            let text = quoted
                .iter()
                .find(|q| **q != subject)
                .map(ToString::to_string);
            (Some(subject), text)
        }
        other => other,
    };
    Some(Step::Email {
        to: to.join(", "),
        from,
        subject: context.expressions(&subject.unwrap_or_default()),
        text: context.expressions(&text.unwrap_or_default()),
        credential: credential(clause).map(|(name, _)| name),
    })
}

fn http(clause: &Clause, context: &Context) -> Result<Option<Step>, String> {
    let url_at = clause.tokens.iter().position(|t| {
        t.literal.is_none() && (t.raw.starts_with("https://") || t.raw.starts_with("http://"))
    });
    let asked = clause.has_any(&["call", "fetch", "request", "hit", "download", "webhook"]);
    let Some(url_at) = url_at else {
        return Ok(asked
            .then(|| clause.find_phrase(&["http", "request"]))
            .flatten()
            .map(|_| Step::HttpRequest {
                method: HttpMethod::Get,
                url: String::new(),
                body: None,
                auth: HttpAuth::None,
            }));
    };
    let body = match clause.literal(|l| match l {
        Literal::Json(json) => Some(json),
        _ => None,
    }) {
        Some(json) => Some(
            serde_json::from_str::<Value>(&context.expressions(json))
                .map_err(|_| format!("The body {json} is not valid JSON."))?,
        ),
        None => None,
    };
    let named = clause.tokens[..url_at]
        .iter()
        .find_map(|t| (t.literal.is_none()).then(|| method(&t.word)).flatten());
    let method = named.unwrap_or(if body.is_some() || clause.has("send") {
        HttpMethod::Post
    } else {
        HttpMethod::Get
    });
    let name = credential(clause).map(|(name, _)| name);
    let auth = if clause.has("basic") {
        HttpAuth::Basic { credential: name }
    } else if clause.has_any(&["header", "bearer", "token", "key"]) {
        HttpAuth::Header { credential: name }
    } else {
        HttpAuth::None
    };
    let url = clause.tokens[url_at].raw.trim_end_matches([',', '.']);
    Ok(Some(Step::HttpRequest {
        method,
        url: context.expressions(url),
        body,
        auth,
    }))
}

fn respond(clause: &Clause, context: &Context) -> Step {
    let tokens = &clause.tokens;
    let mut used = vec![0];
    let mut status = 200;
    for (i, token) in tokens.iter().enumerate().skip(1) {
        let code = token
            .word
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c));
        let after_status = tokens[i - 1].is_any(&["status", "code", "with"]);
        if let Some(code) = code.filter(|_| after_status || i == 1) {
            status = code;
            used.push(i);
        }
    }
    let literal = tokens.iter().find_map(|t| match &t.literal {
        Some(Literal::Quoted(text) | Literal::Json(text)) => Some(text.clone()),
        _ => None,
    });
    let noise = [
        "with", "and", "the", "status", "code", "to", "webhook", "call", "caller", "it", "back",
        "a", "an", "of", "request",
    ];
    let words: Vec<&str> = (tokens.iter().enumerate())
        .filter(|(i, t)| !used.contains(i) && t.literal.is_none() && !t.is_any(&noise))
        .map(|(_, t)| t.raw.as_str())
        .collect();
    let body = literal.unwrap_or_else(|| {
        if words.is_empty() {
            "ok".to_string()
        } else {
            words.join(" ")
        }
    });
    Step::RespondToWebhook {
        status,
        body: context.expressions(&body),
    }
}

fn wait(clause: &Clause) -> Result<Step, String> {
    let tokens = &clause.tokens;
    for (i, token) in tokens.iter().enumerate().skip(1) {
        // "30s", "5m", "2h", "1d" in one word.
        let split = token
            .word
            .find(|c: char| !c.is_ascii_digit())
            .filter(|&at| at > 0);
        let (count, unit) = match (number(&token.word), split) {
            (Some(n), _) => (Some(n), tokens.get(i + 1).map(|t| t.word.as_str())),
            (None, Some(at)) => (token.word[..at].parse().ok(), Some(&token.word[at..])),
            (None, None) => (None, None),
        };
        let seconds = match unit.map(|u| u.trim_end_matches('s')) {
            Some("second" | "sec" | "") => 1,
            Some("minute" | "min" | "m") => 60,
            Some("hour" | "hr" | "h") => 3_600,
            Some("day" | "d") => 86_400,
            _ => continue,
        };
        if let Some(count) = count {
            return Ok(Step::Wait {
                seconds: count.saturating_mul(seconds),
            });
        }
    }
    Err("How long should it wait? Say for example “wait 5 minutes”.".into())
}

/// Field names listed after `start`: "id, total and status", "(id, total)".
pub(super) fn names(clause: &Clause, start: usize) -> Vec<String> {
    let mut out = Vec::new();
    for token in clause.tokens.iter().skip(start) {
        match &token.literal {
            Some(Literal::Group(list)) => out.extend(
                list.split([',', ' '])
                    .map(str::trim)
                    .filter(|n| is_field_name(n))
                    .map(str::to_string),
            ),
            None if token.is_any(&[
                "and", "the", "fields", "field", "columns", "column", "only", "just", "with", "of",
            ]) => {}
            None => out.extend(
                token
                    .raw
                    .split(',')
                    .filter(|n| is_field_name(n))
                    .map(str::to_string),
            ),
            Some(_) => {}
        }
    }
    out
}

fn keep(clause: &Clause, context: &Context) -> Option<Step> {
    let fields: Vec<Field> = names(clause, 1)
        .into_iter()
        .map(|name| Field {
            value: context.expression(&name),
            name,
        })
        .collect();
    (!fields.is_empty()).then_some(Step::SetFields {
        fields,
        keep_only: true,
    })
}

/// "set status to 'paid'", "set the field n = 3 and note to 'x'", "add a field source with web".
fn set(clause: &Clause, context: &Context) -> Option<Step> {
    let tokens = &clause.tokens;
    let mut fields = Vec::new();
    let mut i = 1;
    while i < tokens.len() {
        if tokens[i].is_any(&["the", "a", "field", "and", "also"]) {
            i += 1;
            continue;
        }
        let name = &tokens[i];
        let joiner = tokens.get(i + 1)?;
        let value = tokens.get(i + 2)?;
        if !is_field_name(&name.raw) || !joiner.is_any(&["to", "=", "with", "as"]) {
            return None;
        }
        fields.push(Field {
            name: name.raw.clone(),
            value: context.expressions(value.quoted().unwrap_or(&value.raw)),
        });
        i += 3;
    }
    (!fields.is_empty()).then_some(Step::SetFields {
        fields,
        keep_only: false,
    })
}

fn postgres(clause: &Clause, context: &Context) -> Step {
    let tokens = &clause.tokens;
    let skip = ["the", "a", "my", "postgres", "postgresql", "database", "db"];
    let after = |at: usize| {
        (tokens.iter().skip(at + 1))
            .find(|t| !t.is_any(&skip))
            .filter(|t| t.literal.is_none())
            .map(|t| t.raw.clone())
    };
    let before_table = clause
        .find("table")
        .and_then(|at| at.checked_sub(1))
        .map(|at| &tokens[at])
        .filter(|t| t.literal.is_none() && !t.is_any(&skip) && !t.is_any(&["into", "to", "in"]))
        .map(|t| t.raw.clone());
    let table = before_table
        .or_else(|| clause.find("table").and_then(after))
        .or_else(|| clause.find_any(&["into", "to", "in"]).and_then(after))
        .unwrap_or_default();
    let listed = clause
        .find_any(&["columns", "with", "fields"])
        .map(|at| names(clause, at + 1))
        .filter(|n| !n.is_empty())
        .or_else(|| {
            let group = tokens
                .iter()
                .position(|t| matches!(t.literal, Some(Literal::Group(_))))?;
            Some(names(clause, group))
        })
        .or_else(|| {
            // "insert id and total into orders".
            let end = clause.find_any(&["into", "to", "in"])?;
            let head = Clause {
                tokens: tokens[..end].to_vec(),
            };
            let listed: Vec<String> = names(&head, 1)
                .into_iter()
                .filter(|n| {
                    ![
                        "it", "them", "row", "rows", "item", "items", "data", "order", "a",
                    ]
                    .contains(&n.as_str())
                })
                .collect();
            (!listed.is_empty()).then_some(listed)
        });
    let columns = listed
        .unwrap_or_else(|| context.known.clone())
        .into_iter()
        .map(|name| Field {
            value: context.expression(&name),
            name,
        })
        .collect();
    Step::PostgresInsert {
        table,
        columns,
        credential: credential(clause).map(|(name, _)| name),
    }
}
