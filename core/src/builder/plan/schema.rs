//! The JSON Schema of [`WorkflowPlan`], written by hand beside the types it describes, for a
//! language model that answers through the plan (the app's optional assistant gives it as the
//! parameters of its `propose_workflow` tool).
//!
//! It uses the subset OpenAI-compatible tool calling accepts widely: `type`, `enum` (a
//! one-value `enum` for each `kind` tag rather than `const`), `anyOf`, `properties`,
//! `required`, `additionalProperties: false`, `items`, number ranges, and one `$ref` into
//! `$defs` for the steps an `if` holds. The tests check every plan kind against it, so a new
//! variant or field in `plan` cannot be forgotten here.

use serde_json::{json, Map, Value};

use crate::builder::validate::{MAX_TITLE_CHARS, MAX_WAIT_SECONDS};

/// The schema of a whole [`WorkflowPlan`](super::WorkflowPlan).
pub fn workflow_plan_schema() -> Value {
    let mut schema = object(
        "A workflow: one trigger, then steps run in order.",
        vec![
            (
                "title",
                json!({
                    "type": "string",
                    "maxLength": MAX_TITLE_CHARS,
                    "description": "A short title for the workflow."
                }),
            ),
            ("trigger", trigger()),
            (
                "steps",
                array("What the workflow does, in order.", step_ref()),
            ),
        ],
        &["title", "trigger", "steps"],
    );
    schema["$defs"] = json!({ "step": step(), "condition": condition(), "field": field() });
    schema
}

fn trigger() -> Value {
    any_of(
        "What starts the workflow.",
        vec![
            variant(
                "kind",
                "webhook",
                "An HTTP call to <n8n>/webhook/<path>; the call's data is in {{ $json.body }}.",
                vec![
                    ("method", method()),
                    (
                        "path",
                        string(
                            "The path after /webhook/, without a leading slash: letters, \
                             digits and - _ . / : only.",
                        ),
                    ),
                ],
            ),
            variant(
                "kind",
                "schedule",
                "A timetable (in the n8n instance's time zone).",
                vec![("schedule", schedule())],
            ),
            variant("kind", "manual", "Started by hand in n8n's editor.", vec![]),
            variant(
                "kind",
                "workflow_error",
                "Runs when another workflow fails (n8n's Error Trigger).",
                vec![],
            ),
        ],
    )
}

fn schedule() -> Value {
    let hour = || integer("Hour, 0-23.", 0, 23);
    let minute = || integer("Minute, 0-59.", 0, 59);
    any_of(
        "When the workflow runs.",
        vec![
            variant(
                "every",
                "minutes",
                "Every n minutes.",
                vec![("n", integer("The interval in minutes, 1-59.", 1, 59))],
            ),
            variant_with_optional(
                "every",
                "hours",
                "Every n hours, at a minute past the hour.",
                vec![("n", integer("The interval in hours, 1-23.", 1, 23))],
                vec![("minute", integer("Minute past the hour, 0-59.", 0, 59))],
            ),
            variant(
                "every",
                "day",
                "Every day at a time.",
                vec![("hour", hour()), ("minute", minute())],
            ),
            variant(
                "every",
                "weekday",
                "Monday to Friday at a time.",
                vec![("hour", hour()), ("minute", minute())],
            ),
            variant(
                "every",
                "cron",
                "A cron expression.",
                vec![(
                    "expression",
                    string("Five fields: minute hour day-of-month month day-of-week."),
                )],
            ),
        ],
    )
}

fn step() -> Value {
    let credential = |credential_type: &str| {
        json!({
            "type": ["string", "null"],
            "description": format!(
                "The name of the user's `{credential_type}` credential, exactly as listed; \
                 null when they have none yet."
            )
        })
    };
    let text = |description: &str| string(description);
    any_of(
        "One step of the workflow.",
        vec![
            variant_with_optional(
                "kind",
                "http_request",
                "Call a URL.",
                vec![
                    ("method", method()),
                    (
                        "url",
                        text("An http(s) URL; may contain expressions such as {{ $json.id }}."),
                    ),
                ],
                vec![
                    (
                        "body",
                        json!({ "description": "A JSON body to send (POST, PUT or PATCH only)." }),
                    ),
                    ("auth", http_auth()),
                ],
            ),
            variant(
                "kind",
                "slack",
                "Post a message to a Slack channel.",
                vec![
                    ("channel", text("#channel-name or a channel ID.")),
                    ("text", text("The message; may contain expressions.")),
                    ("credential", credential("slackApi")),
                ],
            ),
            variant_with_optional(
                "kind",
                "email",
                "Send an email over SMTP.",
                vec![
                    ("to", text("Recipient address(es), comma-separated.")),
                    ("subject", text("The subject line.")),
                    ("text", text("The plain-text body.")),
                    ("credential", credential("smtp")),
                ],
                vec![(
                    "from",
                    text("The sender's address (the email cannot be sent without one)."),
                )],
            ),
            variant(
                "kind",
                "discord",
                "Post a message through a Discord webhook.",
                vec![
                    ("text", text("The message.")),
                    ("credential", credential("discordWebhookApi")),
                ],
            ),
            variant(
                "kind",
                "telegram",
                "Send a Telegram message.",
                vec![
                    ("chat_id", text("A numeric chat ID or @channelname.")),
                    ("text", text("The message.")),
                    ("credential", credential("telegramApi")),
                ],
            ),
            variant_with_optional(
                "kind",
                "set_fields",
                "Set fields of each item (n8n's Edit Fields).",
                vec![("fields", array("Field name and value pairs.", field_ref()))],
                vec![(
                    "keep_only",
                    json!({ "type": "boolean", "description": "Drop every other field." }),
                )],
            ),
            variant_with_optional(
                "kind",
                "if",
                "Branch on a condition.",
                vec![("condition", condition_ref())],
                vec![
                    ("then", array("Steps for items that match.", step_ref())),
                    ("otherwise", array("Steps for the other items.", step_ref())),
                ],
            ),
            variant(
                "kind",
                "filter",
                "Keep only the items that match.",
                vec![("condition", condition_ref())],
            ),
            variant(
                "kind",
                "code",
                "Run JavaScript once for all items.",
                vec![(
                    "javascript",
                    text("The code; it returns the items, e.g. `return $input.all();`."),
                )],
            ),
            variant(
                "kind",
                "wait",
                "Pause.",
                vec![(
                    "seconds",
                    integer(
                        "How long, in seconds (at most 30 days).",
                        1,
                        i64::from(MAX_WAIT_SECONDS),
                    ),
                )],
            ),
            variant_with_optional(
                "kind",
                "respond_to_webhook",
                "Answer the webhook call that started the workflow (webhook triggers only, once \
                 per path).",
                vec![(
                    "body",
                    text("The body: text, or JSON when it parses as JSON."),
                )],
                vec![(
                    "status",
                    integer("The HTTP status (default 200).", 100, 599),
                )],
            ),
            variant(
                "kind",
                "postgres_insert",
                "Insert each item as a row.",
                vec![
                    ("table", text("The table, `schema.table` or `table`.")),
                    (
                        "columns",
                        array("Column name and value pairs.", field_ref()),
                    ),
                    ("credential", credential("postgres")),
                ],
            ),
        ],
    )
}

fn http_auth() -> Value {
    let credential = |credential_type: &str| {
        json!({
            "type": ["string", "null"],
            "description": format!("The name of the user's `{credential_type}` credential.")
        })
    };
    any_of(
        "How the request authenticates (default none).",
        vec![
            variant("kind", "none", "No authentication.", vec![]),
            variant(
                "kind",
                "header",
                "A header from a header-auth credential.",
                vec![("credential", credential("httpHeaderAuth"))],
            ),
            variant(
                "kind",
                "basic",
                "HTTP basic auth.",
                vec![("credential", credential("httpBasicAuth"))],
            ),
        ],
    )
}

fn condition() -> Value {
    object_with_optional(
        "A comparison of an item's field with a value.",
        vec![
            (
                "field",
                string(
                    "The field, e.g. `total` or `customer.email` (compared as {{ $json.total }}).",
                ),
            ),
            (
                "operator",
                json!({
                    "type": "string",
                    "enum": ["equals", "not_equals", "greater", "greater_or_equal", "less",
                             "less_or_equal", "contains", "exists", "is_empty"],
                    "description": "How to compare; greater/less need a number, contains a text."
                }),
            ),
        ],
        vec![(
            "value",
            json!({ "description": "What to compare with; leave out for exists and is_empty." }),
        )],
    )
}

fn field() -> Value {
    object(
        "A name and its value.",
        vec![
            (
                "name",
                string("The name (letters, digits, _; dots for nesting)."),
            ),
            (
                "value",
                string("The value as text; may be an expression such as {{ $json.total }}."),
            ),
        ],
        &["name", "value"],
    )
}

fn method() -> Value {
    json!({
        "type": "string",
        "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "description": "The HTTP method."
    })
}

fn step_ref() -> Value {
    json!({ "$ref": "#/$defs/step" })
}

fn condition_ref() -> Value {
    json!({ "$ref": "#/$defs/condition" })
}

fn field_ref() -> Value {
    json!({ "$ref": "#/$defs/field" })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn integer(description: &str, minimum: i64, maximum: i64) -> Value {
    json!({
        "type": "integer",
        "minimum": minimum,
        "maximum": maximum,
        "description": description
    })
}

fn array(description: &str, items: Value) -> Value {
    json!({ "type": "array", "items": items, "description": description })
}

fn any_of(description: &str, variants: Vec<Value>) -> Value {
    json!({ "anyOf": variants, "description": description })
}

/// One variant of an internally tagged enum: `tag` fixed to `name`, every field required.
fn variant(tag: &str, name: &str, description: &str, fields: Vec<(&str, Value)>) -> Value {
    variant_with_optional(tag, name, description, fields, vec![])
}

fn variant_with_optional(
    tag: &str,
    name: &str,
    description: &str,
    required: Vec<(&str, Value)>,
    optional: Vec<(&str, Value)>,
) -> Value {
    let tag_schema = json!({ "type": "string", "enum": [name] });
    let mut fields = vec![(tag, tag_schema)];
    fields.extend(required);
    object_with_optional(description, fields, optional)
}

fn object_with_optional(
    description: &str,
    required: Vec<(&str, Value)>,
    optional: Vec<(&str, Value)>,
) -> Value {
    let names: Vec<&str> = required.iter().map(|(name, _)| *name).collect();
    let mut all = required;
    all.extend(optional);
    object(description, all, &names)
}

fn object(description: &str, properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_string(), schema))
        .collect();
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests;
