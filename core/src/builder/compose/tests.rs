//! The composer as a table: credentials, what the user says (one message per entry, in one
//! conversation), and the last reply expected — a plan in outline form, a question, or an
//! "unsupported" reply (by a part of its text).
//!
//! Outline: `trigger | step | step …`; `{x}` is the expression `{{ $json.x }}`; `[name]` the
//! credential chosen, `[?]` none yet; an IF is `if <condition> { … } else { … }`.

use serde_json::Value;

use super::*;
use crate::builder::plan::{Condition, HttpAuth, Operator, Schedule};

fn outline(plan: &WorkflowPlan) -> String {
    let trigger = match &plan.trigger {
        Trigger::Webhook { method, path } => format!("webhook {} {path}", method.as_str()),
        Trigger::Schedule { schedule } => match schedule {
            Schedule::Cron { expression } => format!("cron {expression}"),
            other => schedule_label(other).to_lowercase(),
        },
        Trigger::Manual => "manual".into(),
        Trigger::WorkflowError => "on error".into(),
    };
    let mut parts = vec![trigger];
    parts.extend(plan.steps.iter().map(step));
    parts.join(" | ")
}

fn short(text: &str) -> String {
    text.replace("{{ $json.", "{").replace(" }}", "}")
}

fn cred(credential: &Option<String>) -> String {
    format!("[{}]", credential.as_deref().unwrap_or("?"))
}

fn fields(fields: &[crate::builder::plan::Field]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("{}={}", f.name, short(&f.value)))
        .collect();
    parts.join(" ")
}

fn condition(c: &Condition) -> String {
    let op = match c.operator {
        Operator::Equals => "=",
        Operator::NotEquals => "!=",
        Operator::Greater => ">",
        Operator::GreaterOrEqual => ">=",
        Operator::Less => "<",
        Operator::LessOrEqual => "<=",
        Operator::Contains => "contains",
        Operator::Exists => "is set",
        Operator::IsEmpty => "is empty",
    };
    match &c.value {
        Some(value) => format!("{} {op} {value}", c.field),
        None => format!("{} {op}", c.field),
    }
}

fn step(step: &Step) -> String {
    match step {
        Step::HttpRequest {
            method,
            url,
            body,
            auth,
        } => {
            let mut s = format!("http {} {}", method.as_str(), short(url));
            if let Some(body) = body {
                s.push_str(&format!(" body={}", short(&body.to_string())));
            }
            match auth {
                HttpAuth::None => {}
                HttpAuth::Header { credential } => {
                    s.push_str(&format!(" header{}", cred(credential)));
                }
                HttpAuth::Basic { credential } => {
                    s.push_str(&format!(" basic{}", cred(credential)));
                }
            }
            s
        }
        Step::Slack {
            channel,
            text,
            credential,
        } => format!("slack {channel} {:?} {}", short(text), cred(credential)),
        Step::Email {
            to,
            from,
            subject,
            text,
            credential,
        } => format!(
            "email to={to} from={} subject={:?} text={:?} {}",
            from.as_deref().unwrap_or("?"),
            short(subject),
            short(text),
            cred(credential)
        ),
        Step::Discord { text, credential } => {
            format!("discord {:?} {}", short(text), cred(credential))
        }
        Step::Telegram {
            chat_id,
            text,
            credential,
        } => format!("telegram {chat_id} {:?} {}", short(text), cred(credential)),
        Step::SetFields {
            fields: f,
            keep_only: true,
        } => format!("keep {}", fields(f)),
        Step::SetFields {
            fields: f,
            keep_only: false,
        } => format!("set {}", fields(f)),
        Step::If {
            condition: c,
            then,
            otherwise,
        } => {
            let branch =
                |steps: &[Step]| steps.iter().map(self::step).collect::<Vec<_>>().join(" | ");
            format!(
                "if {} {{ {} }} else {{ {} }}",
                condition(c),
                branch(then),
                branch(otherwise)
            )
        }
        Step::Filter { condition: c } => format!("filter {}", condition(c)),
        Step::Code { javascript } => format!("code `{javascript}`"),
        Step::Wait { seconds } => format!("wait {seconds}s"),
        Step::RespondToWebhook { status, body } => format!("respond {status} {:?}", short(body)),
        Step::PostgresInsert {
            table,
            columns,
            credential,
        } => {
            format!("postgres {table} {} {}", fields(columns), cred(credential))
        }
    }
}

fn creds(spec: &str) -> Credentials {
    let mut out = Credentials::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (credential_type, name) = pair.split_once('=').expect("type=name");
        out.add(credential_type, name);
    }
    out
}

fn show(reply: &ComposerReply) -> String {
    match reply {
        ComposerReply::Plan { plan, .. } => format!("PLAN {}", outline(plan)),
        ComposerReply::Question(q) => format!("QUESTION {q}"),
        ComposerReply::Unsupported(u) => format!("UNSUPPORTED {u}"),
    }
}

fn run(credentials: &str, messages: &[&str]) -> (Conversation, ComposerReply) {
    let credentials = creds(credentials);
    let mut conversation = Conversation::new();
    let mut reply = ComposerReply::Unsupported("nothing said".into());
    for message in messages {
        reply = conversation.reply(message, &credentials);
    }
    (conversation, reply)
}

const J: &str = "When a webhook is called at /orders, keep the fields id and total, post 'New order {{id}}' to Slack #sales and answer ok";

enum Expect {
    Plan(&'static str),
    Question(&'static str),
    Unsupported(&'static str),
}
use Expect::{Plan, Question, Unsupported};

/// (credentials as `type=name, …`, messages, the last reply).
#[rustfmt::skip]
const TABLE: &[(&str, &[&str], Expect)] = &[
    (r##""##, &[J], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [?] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot, slackApi=Ops bot"##, &[J], Question(r##"Which Slack credential should Slack #sales use? You have: Sales bot, Ops bot."##)),
    (r##"slackApi=Sales bot, slackApi=Ops bot"##, &[J, r##"Ops bot"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Ops bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot, slackApi=Ops bot"##, &[J, r##"2"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Ops bot] | respond 200 "ok""##)),
    (r##""##, &[r##"Every 15 minutes fetch https://api.example.com/orders"##], Plan(r##"every 15 minutes | http GET https://api.example.com/orders"##)),
    (r##""##, &[r##"every hour call https://x.example/ping"##], Plan(r##"every hour | http GET https://x.example/ping"##)),
    (r##"slackApi=Sales bot"##, &[r##"Daily at 9:30 post 'Standup!' to slack #team"##], Plan(r##"daily at 09:30 | slack #team "Standup!" [Sales bot]"##)),
    (r##"telegramApi=Bot"##, &[r##"On weekdays at 8 send 'Good morning' to Telegram chat -100123456"##], Plan(r##"weekdays at 08:00 | telegram -100123456 "Good morning" [Bot]"##)),
    (r##"discordWebhookApi=Hook"##, &[r##"cron `0 9 * * 1` post 'Weekly' to discord"##], Plan(r##"cron 0 9 * * 1 | discord "Weekly" [Hook]"##)),
    (r##""##, &[r##"Manually run code `return [{json: {ok: true}}]`"##], Plan(r##"manual | code `return [{json: {ok: true}}]`"##)),
    (r##"slackApi=Sales bot"##, &[r##"When another workflow fails, post 'Workflow failed: {{workflow.name}}' to Slack #alerts"##], Plan(r##"on error | slack #alerts "Workflow failed: {workflow.name}" [Sales bot]"##)),
    (r##""##, &[r##"When a GET request hits /health answer ok"##], Plan(r##"webhook GET health | respond 200 "ok""##)),
    (r##"smtp=Mailer"##, &[r##"every monday at 7:15am email team@example.com from bot@example.com 'Weekly report'"##], Plan(r##"cron 15 7 * * 1 | email to=team@example.com from=bot@example.com subject="Weekly report" text="Weekly report" [Mailer]"##)),
    (r##""##, &[r##"every 2 hours fetch https://x.example/a"##], Plan(r##"every 2 hours | http GET https://x.example/a"##)),
    (r##"slackApi=A"##, &[r##"hourly post 'ping' to #general"##], Plan(r##"every hour | slack #general "ping" [A]"##)),
    (r##""##, &[r##"When a webhook is called at /signup, POST {"email": "{{email}}"} to https://crm.example.com/contacts"##], Plan(r##"webhook POST signup | http POST https://crm.example.com/contacts body={"email":"{body.email}"}"##)),
    (r##"httpHeaderAuth=API key"##, &[r##"every hour fetch https://api.example.com/x with header auth"##], Plan(r##"every hour | http GET https://api.example.com/x header[API key]"##)),
    (r##""##, &[r##"every hour fetch https://api.example.com/x using basic auth credential 'Admin'"##], Plan(r##"every hour | http GET https://api.example.com/x basic[Admin]"##)),
    (r##"smtp=Mailer"##, &[r##"When a webhook is called at /contact, email support@example.com from web@example.com with subject 'New message' saying 'From {{name}}'"##], Plan(r##"webhook POST contact | email to=support@example.com from=web@example.com subject="New message" text="From {body.name}" [Mailer]"##)),
    (r##"smtp=Mailer"##, &[r##"When a webhook is called at /contact, email ops@example.com"##], Question(r##"Which address should the email (email to ops@example.com) come from?"##)),
    (r##"smtp=Mailer"##, &[r##"When a webhook is called at /contact, email ops@example.com"##, r##"alerts@example.com"##], Plan(r##"webhook POST contact | email to=ops@example.com from=alerts@example.com subject="Webhook /contact → Email ops@example.com" text="{{ JSON.stringify($json, null, 2)}" [Mailer]"##)),
    (r##""##, &[r##"When a webhook is called at /deploy post 'Deployed {{version}}' to Discord"##], Plan(r##"webhook POST deploy | discord "Deployed {body.version}" [?]"##)),
    (r##""##, &[r##"every day at 8 send 'Hi' to telegram"##], Question(r##"Which Telegram chat should I send to (its chat ID, for example -1001234567890, or @channelname)?"##)),
    (r##""##, &[r##"every day at 8 send 'Hi' to telegram"##, r##"-100987654321"##], Plan(r##"daily at 08:00 | telegram -100987654321 "Hi" [?]"##)),
    (r##""##, &[r##"When a webhook is called at /x set status to 'paid' and answer ok"##], Plan(r##"webhook POST x | set status=paid | respond 200 "ok""##)),
    (r##""##, &[r##"When a webhook is called at /orders, keep only id, total and status, answer ok"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} status={body.status} | respond 200 "ok""##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders, if total > 100 post 'Big order {{id}}' to Slack #big, otherwise post 'Small order' to Slack #sales"##], Plan(r##"webhook POST orders | if body.total > 100 { slack #big "Big order {body.id}" [A] } else { slack #sales "Small order" [A] }"##)),
    (r##"slackApi=A"##, &[r##"Every hour fetch https://x.example/stock, if level < 10, post 'Low stock' to slack #ops"##], Plan(r##"every hour | http GET https://x.example/stock | if level < 10 { slack #ops "Low stock" [A] } else {  }"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders, only when total >= 50, post 'Order' to slack #sales"##], Plan(r##"webhook POST orders | filter body.total >= 50 | slack #sales "Order" [A]"##)),
    (r##"slackApi=A"##, &[r##"every 5 minutes fetch https://x.example/jobs, only if status is 'failed', post 'Job failed' to #ops"##], Plan(r##"every 5 minutes | http GET https://x.example/jobs | filter status = "failed" | slack #ops "Job failed" [A]"##)),
    (r##""##, &[r##"Manually run the code `return $input.all();`"##], Plan(r##"manual | code `return $input.all();`"##)),
    (r##""##, &[r##"When a webhook is called at /later, wait 5 minutes, then call https://x.example/done"##], Plan(r##"webhook POST later | wait 300s | http GET https://x.example/done"##)),
    (r##""##, &[r##"every hour wait 30s then fetch https://x.example"##], Plan(r##"every hour | wait 30s | http GET https://x.example"##)),
    (r##""##, &[r##"every hour pause for an hour then fetch https://x.example"##], Plan(r##"every hour | wait 3600s | http GET https://x.example"##)),
    (r##""##, &[r##"When a webhook is called at /items respond with status 201 and 'created'"##], Plan(r##"webhook POST items | respond 201 "created""##)),
    (r##""##, &[r##"When a webhook is called at /items reply {"ok": true, "id": "{{id}}"}"##], Plan(r##"webhook POST items | respond 200 "{\"ok\": true, \"id\": \"{body.id}\"}""##)),
    (r##"postgres=DB"##, &[r##"When a webhook is called at /orders, keep the fields id and total, insert into orders"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | postgres orders id={id} total={total} [DB]"##)),
    (r##"postgres=DB"##, &[r##"When a webhook is called at /orders insert into public.orders (id, total)"##], Plan(r##"webhook POST orders | postgres public.orders id={body.id} total={body.total} [DB]"##)),
    (r##""##, &[r##"every hour save it to postgres"##], Question(r##"Which Postgres table should I insert into?"##)),
    (r##"slackApi=A, discordWebhookApi=D"##, &[r##"When a webhook is called at /alert post 'Alert!' to Slack #ops and Discord"##], Plan(r##"webhook POST alert | slack #ops "Alert!" [A] | discord "Alert!" [D]"##)),
    (r##"slackApi=A"##, &[r##"post 'hello' to slack #general"##], Question(r##"What should start this workflow: a webhook (“when a webhook is called at /orders”), a schedule (“every 15 minutes”, “on weekdays at 8”), you by hand (“manually”), or another workflow failing?"##)),
    (r##"slackApi=A"##, &[r##"post 'hello' to slack #general"##, r##"every morning"##], Plan(r##"daily at 09:00 | slack #general "hello" [A]"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders post 'x' to slack"##], Question(r##"Which Slack channel should I post to (for example #sales)?"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders post 'x' to slack"##, r##"sales"##], Plan(r##"webhook POST orders | slack #sales "x" [A]"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called post 'x' to slack #a"##], Question(r##"Which path should the webhook listen on (for example /orders)?"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called post 'x' to slack #a"##, r##"/orders"##], Plan(r##"webhook POST orders | slack #a "x" [A]"##)),
    (r##"slackApi=A"##, &[r##"every hour"##], Question(r##"What should it do when it starts? For example “post 'Hello' to Slack #general” or “call https://example.com/hook”."##)),
    (r##"slackApi=A"##, &[r##"every hour"##, r##"post 'tick' to slack #a"##], Plan(r##"every hour | slack #a "tick" [A]"##)),
    (r##"slackApi=A"##, &[r##"every day at 9 post to slack #daily"##], Question(r##"What should the Slack message say? Use {{field}} for a field of the item."##)),
    (r##"slackApi=A"##, &[r##"every day at 9 post to slack #daily"##, r##"Good morning {{name}}"##], Plan(r##"daily at 09:00 | slack #daily "Good morning {name}" [A]"##)),
    (r##""##, &[r##"every hour run code"##], Question(r##"What JavaScript should the Code step run? Put it in `backticks`."##)),
    (r##""##, &[r##"tweet 'hello' every hour"##], Unsupported(r##"I can't build “tweet “hello”” yet."##)),
    (r##""##, &[r##"every 30 seconds fetch https://x.example"##], Unsupported(r##"The shortest schedule I can build is every minute."##)),
    (r##""##, &[r##"hello"##], Unsupported(r##"I can't build “hello” yet."##)),
    (r##""##, &[r##"every hour, otherwise post 'x' to slack #a"##], Unsupported(r##"“Otherwise” needs an “if …” before it."##)),
    (r##""##, &[r##"manually answer ok"##], Question(r##"Only a workflow started by a webhook can answer a call, so I left the answer out. What should it do when it starts? For example “post 'Hello' to Slack #general” or “call https://example.com/hook”."##)),
    (r##""##, &[r##"When a webhook is called at /x wait"##], Unsupported(r##"How long should it wait? Say for example “wait 5 minutes”."##)),
    (r##"slackApi=Sales bot"##, &[J, r##"make it hourly"##], Plan(r##"every hour | keep id={id} total={total} | slack #sales "New order {id}" [Sales bot]"##)),
    (r##"slackApi=Sales bot"##, &[J, r##"every 15 minutes"##], Plan(r##"every 15 minutes | keep id={id} total={total} | slack #sales "New order {id}" [Sales bot]"##)),
    (r##"slackApi=Sales bot"##, &[J, r##"daily at 9:30"##], Plan(r##"daily at 09:30 | keep id={id} total={total} | slack #sales "New order {id}" [Sales bot]"##)),
    (r##"slackApi=Sales bot"##, &[J, r##"on weekdays at 8"##], Plan(r##"weekdays at 08:00 | keep id={id} total={total} | slack #sales "New order {id}" [Sales bot]"##)),
    (r##"slackApi=Sales bot, smtp=Mailer"##, &[J, r##"also email ops@x.com"##], Question(r##"Which address should the email (email to ops@x.com) come from?"##)),
    (r##"slackApi=Sales bot, smtp=Mailer"##, &[J, r##"also email ops@x.com"##, r##"alerts@x.com"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | email to=ops@x.com from=alerts@x.com subject="Webhook /orders → Slack #sales, Email ops@x.com" text="New order {id}" [Mailer] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot, smtp=Mailer"##, &[J, r##"also email ops@x.com from alerts@x.com"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | email to=ops@x.com from=alerts@x.com subject="Webhook /orders → Slack #sales, Email ops@x.com" text="New order {id}" [Mailer] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"only when total > 100"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | if total > 100 { slack #sales "New order {id}" [Sales bot] } else {  } | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[r##"every hour fetch https://x.example/orders and post 'New: {{id}}' to slack #a"##, r##"only when total > 100"##], Plan(r##"every hour | http GET https://x.example/orders | filter total > 100 | slack #a "New: {id}" [Sales bot]"##)),
    (r##"slackApi=Sales bot"##, &[J, r##"rename it to Order alerts"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"remove the Slack step"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"remove the Slack step"##, r##"undo"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"remove the Slack step"##, r##"undo"##, r##"undo"##], Question(r##"Undone: there is no workflow yet. What should it do?"##)),
    (r##""##, &[r##"undo"##], Unsupported(r##"There is nothing to undo."##)),
    (r##"slackApi=Sales bot"##, &[J, r##"use GET"##], Plan(r##"webhook GET orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"change the path to /purchases"##], Plan(r##"webhook POST purchases | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"post to #ops instead"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #ops "New order {id}" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"change the message to 'Order {{id}} paid'"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "Order {id} paid" [Sales bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot, slackApi=Ops bot"##, &[J, r##"1"##, r##"use Ops bot"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [Ops bot] | respond 200 "ok""##)),
    (r##"slackApi=Sales bot"##, &[J, r##"every hour fetch https://x.example/a"##], Plan(r##"every hour | http GET https://x.example/a"##)),
    (r##""##, &[r##"every hour wait 5 minutes then fetch https://x.example"##, r##"wait 10 minutes instead"##], Plan(r##"every hour | wait 600s | http GET https://x.example"##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders post 'x' to slack"##, r##"tweet it"##], Question(r##"Sorry, I didn't get that. Which Slack channel should I post to (for example #sales)?"##)),
    (r##"slackApi=A"##, &[J, r##"start over"##], Question(r##"Starting over: what should the new workflow do?"##)),
    (r##"slackApi=A"##, &[J, r##"if total > 100 post 'Big' to slack #big"##], Plan(r##"webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [A] | if total > 100 { slack #big "Big" [A] } else {  } | respond 200 "ok""##)),
    (r##"slackApi=A"##, &[r##"When a webhook is called at /orders post 'New order {{id}}' to Slack #sales"##, r##"make it hourly"##], Plan(r##"every hour | slack #sales "New order {id}" [A]"##)),
];

#[test]
fn the_table_of_requests_and_follow_ups_gives_the_expected_replies() {
    assert!(TABLE.len() >= 60);
    let mut failures = Vec::new();
    for (credentials, messages, expect) in TABLE {
        let (_, reply) = run(credentials, messages);
        let ok = match (expect, &reply) {
            (Plan(outline_text), ComposerReply::Plan { plan, .. }) => {
                outline(plan) == *outline_text
            }
            (Question(text), ComposerReply::Question(question)) => question == text,
            (Unsupported(part), ComposerReply::Unsupported(text)) => text.contains(part),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{messages:?} with [{credentials}]\n    got {}",
                show(&reply)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn values_the_validator_refuses_are_named_with_the_plan() {
    let (_, reply) = run("", &["when a webhook is called at /orders?x=1 answer ok"]);
    let ComposerReply::Plan { summary, .. } = reply else {
        panic!("{reply:?}")
    };
    assert!(
        summary.contains(
            "To fix before deploying: The webhook path “orders?x=1” may only use letters, digits \
             and - _ . / :."
        ),
        "{summary}"
    );
}

#[test]
fn a_new_answer_replaces_the_old_one() {
    let (_, reply) = run("slackApi=A", &[J, "answer 'thanks'"]);
    assert_eq!(
        show(&reply),
        r#"PLAN webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [A] | respond 200 "thanks""#
    );
    let (_, reply) = run("slackApi=A", &[J, "wait 1 minute and answer 'later'"]);
    assert_eq!(
        show(&reply),
        r#"PLAN webhook POST orders | keep id={body.id} total={body.total} | slack #sales "New order {id}" [A] | wait 60s | respond 200 "later""#
    );
}

/// Every plan the table produces is deployable once its credentials are chosen: no other
/// problem, and its n8n JSON passes the workflow checks.
#[test]
fn every_composed_plan_validates_and_renders() {
    use crate::builder::render::{render_workflow, CredentialIds};
    use crate::builder::validate::{problems, rendered::workflow_problems, PlanProblem, ValidPlan};
    for (credentials, messages, _) in TABLE {
        let ComposerReply::Plan { mut plan, .. } = run(credentials, messages).1 else {
            continue;
        };
        let found = problems(&plan);
        assert!(
            found
                .iter()
                .all(|p| matches!(p, PlanProblem::NoCredential { .. })),
            "{messages:?}: {found:?}"
        );
        let mut ids = CredentialIds::new();
        fn choose(steps: &mut [Step], ids: &mut CredentialIds) {
            for step in steps {
                if let Some((credential_type, name)) = step_credential(step) {
                    let name = name.unwrap_or("chosen").to_string();
                    ids.insert((credential_type.to_string(), name.clone()), "1".to_string());
                    holes::set_credential(step, &name);
                }
                if let Step::If {
                    then, otherwise, ..
                } = step
                {
                    choose(then, ids);
                    choose(otherwise, ids);
                }
            }
        }
        choose(&mut plan.steps, &mut ids);
        let valid = ValidPlan::new(plan).unwrap_or_else(|p| panic!("{messages:?}: {p:?}"));
        let mut n = 0u128;
        let mut next = || {
            n += 1;
            uuid::Uuid::from_u128(n)
        };
        let workflow = render_workflow(&valid, uuid::Uuid::nil(), &ids, &mut next)
            .unwrap()
            .to_value();
        assert_eq!(workflow_problems(&workflow), [], "{messages:?}");
    }
}

#[test]
fn the_journey_reply_says_what_was_decided_and_what_is_missing() {
    let ComposerReply::Plan { plan, summary } = compose(J, &Credentials::new()) else {
        panic!("a plan");
    };
    assert_eq!(plan.title, "Webhook /orders → Slack #sales");
    assert_eq!(
        summary,
        "The webhook takes POST requests, the usual way to send data; say “use GET” to change that.\n\
         You have no Slack credential in n8n yet: add one below, then say “use <its name>”.\n\
         “Webhook /orders → Slack #sales”\n\
         - Starts when n8n receives a POST request at /webhook/orders (say “use GET” or “use POST” to change the method).\n\
         - Keeps only the fields id and total.\n\
         - Posts “New order {{id}}” to Slack #sales — needs a Slack credential.\n\
         - Answers the webhook call with 200 and “ok”.\n\
         Still needed: a Slack credential for Slack #sales."
    );
}

#[test]
fn an_automatic_title_follows_the_plan_but_a_chosen_one_stays() {
    let slack = creds("slackApi=A");
    let mut chat = Conversation::new();
    chat.reply(J, &slack);
    chat.reply("make it hourly", &slack);
    assert_eq!(chat.plan().unwrap().title, "Every hour → Slack #sales");
    let reply = chat.reply("rename it to Order alerts", &slack);
    assert!(
        matches!(&reply, ComposerReply::Plan { summary, .. } if summary.starts_with("Renamed it to “Order alerts”."))
    );
    chat.reply("every 15 minutes", &slack);
    assert_eq!(chat.plan().unwrap().title, "Order alerts");
}

#[test]
fn a_credential_added_later_is_picked_up() {
    let mut chat = Conversation::new();
    chat.reply(J, &Credentials::new());
    assert_eq!(chat.credentials_changed(&Credentials::new()), None);
    let reply = chat
        .credentials_changed(&creds("slackApi=Sales bot"))
        .expect("a new plan");
    assert!(
        matches!(&reply, ComposerReply::Plan { plan, .. } if outline(plan).contains("[Sales bot]"))
    );
    let two = creds("slackApi=Sales bot, slackApi=Ops bot");
    let mut chat = Conversation::new();
    chat.reply(J, &Credentials::new());
    let reply = chat.credentials_changed(&two).expect("a question");
    assert_eq!(
        reply,
        ComposerReply::Question(
            "Which Slack credential should Slack #sales use? You have: Sales bot, Ops bot.".into()
        )
    );
}

#[test]
fn an_adopted_plan_replaces_the_question_and_undo_goes_back_before_it() {
    let slack = creds("slackApi=Sales bot");
    let mut chat = Conversation::new();
    chat.reply("every hour fetch https://x.example/a", &slack);
    chat.reply("post to slack", &slack);
    let before = chat.plan().cloned();
    let (_, journey) = run("slackApi=Sales bot", &[J]);
    let ComposerReply::Plan { plan: adopted, .. } = journey else {
        panic!("the journey message gives a plan");
    };
    chat.adopt(adopted.clone());
    assert_eq!(chat.plan(), Some(&adopted));
    assert_eq!(chat.question(), None);
    chat.reply("undo", &slack);
    assert_eq!(chat.plan().cloned(), before);
}

#[test]
fn a_conversation_survives_being_stored_between_messages() {
    let two = creds("slackApi=Sales bot, slackApi=Ops bot");
    let mut chat = Conversation::new();
    chat.reply(J, &two);
    assert!(chat
        .question()
        .unwrap()
        .starts_with("Which Slack credential"));
    let stored = serde_json::to_string(&chat).unwrap();
    let mut chat: Conversation = serde_json::from_str(&stored).unwrap();
    let reply = chat.reply("Sales bot", &two);
    assert!(
        matches!(&reply, ComposerReply::Plan { plan, .. } if outline(plan).contains("[Sales bot]"))
    );
    assert_eq!(chat.question(), None);
    let reply: Value = serde_json::to_value(&reply).unwrap();
    assert!(reply["plan"]["plan"]["steps"].is_array(), "{reply}");
}

#[test]
fn a_new_request_while_a_question_waits_replaces_the_draft() {
    let slack = creds("slackApi=A");
    let (mut chat, _) = run(
        "slackApi=A",
        &["When a webhook is called at /orders post 'x' to slack"],
    );
    let reply = chat.reply("every hour fetch https://x.example/a", &slack);
    assert_eq!(
        show(&reply),
        "PLAN every hour | http GET https://x.example/a"
    );
    assert_eq!(chat.question(), None);
    let reply = chat.reply("undo", &slack);
    assert_eq!(
        reply,
        ComposerReply::Question("Undone: there is no workflow yet. What should it do?".into())
    );
}

#[test]
fn undo_during_a_question_drops_the_unfinished_change() {
    let mail = creds("slackApi=A, smtp=M");
    let mut chat = Conversation::new();
    chat.reply(J, &mail);
    let before = chat.plan().cloned();
    assert!(matches!(
        chat.reply("also email ops@x.com", &mail),
        ComposerReply::Question(_)
    ));
    assert!(
        matches!(chat.reply("undo", &mail), ComposerReply::Plan { summary, .. } if summary.starts_with("Dropped that change."))
    );
    assert_eq!(chat.plan().cloned(), before);
}

#[test]
fn condition_values_keep_their_types() {
    let (_, reply) = run("", &["When a webhook is called at /x, if vip is true answer 'vip', otherwise answer 'regular'"]);
    let ComposerReply::Plan { plan, .. } = reply else {
        panic!("{reply:?}")
    };
    let Step::If { condition, .. } = &plan.steps[0] else {
        panic!()
    };
    assert_eq!(
        condition,
        &Condition {
            field: "body.vip".into(),
            operator: Operator::Equals,
            value: Some(Value::Bool(true))
        }
    );
}

#[test]
fn odd_messages_get_a_reply_and_never_a_panic() {
    let odd = [
        "",
        " ",
        ".",
        ",,,",
        "'",
        "\"",
        "`",
        "{",
        "}",
        "{{",
        "(",
        "if",
        "otherwise",
        "only",
        "keep",
        "set",
        "cron",
        "every",
        "at",
        "/",
        "#",
        "''",
        "``",
        "if >",
        "only when",
        "every at 9",
        "wait for",
        "answer",
        "insert into",
        "email",
        "post to slack",
        "use",
        "rename it to",
        "remove the",
        "when a webhook is called at /",
        "every 0 minutes",
        "daily at 25:99",
        "{\"a\": 1",
        "keep the fields",
        "é ü 🙂",
        "and and and then then",
    ];
    let credentials = creds("slackApi=A, slackApi=B");
    for first in odd {
        for second in odd {
            let mut chat = Conversation::new();
            chat.reply(first, &credentials);
            chat.reply(J, &credentials);
            chat.reply(second, &credentials);
            let reply = chat.reply(first, &credentials);
            match reply {
                ComposerReply::Question(text) | ComposerReply::Unsupported(text) => {
                    assert!(!text.is_empty(), "{first:?} then {second:?}");
                }
                // A plan is only ever missing a credential choice.
                ComposerReply::Plan { plan, .. } => {
                    let found = crate::builder::validate::problems(&plan);
                    assert!(
                        found.iter().all(|p| matches!(
                            p,
                            crate::builder::validate::PlanProblem::NoCredential { .. }
                        )),
                        "{first:?} then {second:?}: {found:?}"
                    );
                }
            }
        }
    }
}
