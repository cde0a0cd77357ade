//! Where an item's fields are at a point of the workflow, and the user's `{{id}}` placeholders
//! as n8n expressions.
//!
//! A webhook delivers the caller's JSON under `body` (beside `headers`, `query`, `params`), so
//! right after a webhook `{{id}}` means `{{ $json.body.id }}`. Once a step reshapes the items —
//! Edit Fields keeping only some fields, an HTTP response, code, a database row — fields are at
//! the top: `{{ $json.id }}`. Fields an Edit Fields step sets are at the top from then on.

use crate::builder::plan::{Step, Trigger};

/// What is known about items at one point of the workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Context {
    /// The workflow starts with a webhook.
    pub webhook: bool,
    /// A step since then has replaced the items' shape.
    pub reshaped: bool,
    /// Fields set at the top level by an earlier Edit Fields step.
    pub known: Vec<String>,
}

impl Context {
    /// The context at the start of a workflow with this trigger.
    pub fn start(trigger: Option<&Trigger>) -> Context {
        Context {
            webhook: matches!(trigger, Some(Trigger::Webhook { .. })),
            ..Context::default()
        }
    }

    /// The context after `steps` ran (branches of an IF count as run: a field they set may be
    /// there, and an expression for a missing field is simply empty).
    pub fn after(mut self, steps: &[Step]) -> Context {
        for step in steps {
            self.step(step);
        }
        self
    }

    /// Moves past one step.
    pub fn step(&mut self, step: &Step) {
        match step {
            Step::SetFields { fields, keep_only } => {
                if *keep_only {
                    self.reshaped = true;
                    self.known.clear();
                }
                self.known.extend(fields.iter().map(|f| f.name.clone()));
            }
            Step::HttpRequest { .. } | Step::Code { .. } | Step::PostgresInsert { .. } => {
                self.reshaped = true;
                self.known.clear();
            }
            Step::If {
                then, otherwise, ..
            } => {
                let then = self.clone().after(then);
                let otherwise = self.clone().after(otherwise);
                self.reshaped |= then.reshaped || otherwise.reshaped;
                for name in then.known.into_iter().chain(otherwise.known) {
                    if !self.known.contains(&name) {
                        self.known.push(name);
                    }
                }
            }
            _ => {}
        }
    }

    /// Where the field the user calls `name` is: `body.total` straight after a webhook.
    pub fn path(&self, name: &str) -> String {
        let name = name.trim().trim_start_matches("$json.");
        if self.webhook
            && !self.reshaped
            && !self.known.iter().any(|known| known == name)
            && !name.starts_with("body.")
            && !is_webhook_part(name)
        {
            format!("body.{name}")
        } else {
            name.to_string()
        }
    }

    /// `{{ $json.<path> }}` for a field the user names.
    pub fn expression(&self, name: &str) -> String {
        format!("{{{{ $json.{} }}}}", self.path(name))
    }

    /// The text with every `{{name}}` placeholder turned into an n8n expression; placeholders
    /// that already are expressions (`{{ $json.x }}`, `{{ $now }}`) stay as they are.
    pub fn expressions(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            let inner = rest[start + 2..start + len].trim();
            out.push_str(&rest[..start]);
            if is_field_name(inner) {
                out.push_str(&self.expression(inner));
            } else {
                out.push_str(&rest[start..start + len + 2]);
            }
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// The parts of a webhook item that are not the body.
fn is_webhook_part(name: &str) -> bool {
    ["headers", "query", "params"]
        .iter()
        .any(|part| name == *part || name.starts_with(&format!("{part}.")))
}

/// `id`, `customer.email`: a plain field name (not already an expression).
pub(super) fn is_field_name(text: &str) -> bool {
    crate::builder::validate::is_field_path(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::plan::{Field, HttpMethod};

    fn webhook() -> Context {
        Context::start(Some(&Trigger::Webhook {
            method: HttpMethod::Post,
            path: "x".into(),
        }))
    }

    #[test]
    fn right_after_a_webhook_fields_are_in_the_body() {
        let context = webhook();
        assert_eq!(
            context.expressions("Order {{id}} from {{ customer.name }}"),
            "Order {{ $json.body.id }} from {{ $json.body.customer.name }}"
        );
        assert_eq!(context.path("query.page"), "query.page");
        assert_eq!(context.expressions("{{ $now }} {{id"), "{{ $now }} {{id");
    }

    #[test]
    fn keeping_fields_moves_them_to_the_top() {
        let keep = Step::SetFields {
            fields: vec![Field {
                name: "id".into(),
                value: "{{ $json.body.id }}".into(),
            }],
            keep_only: true,
        };
        let context = webhook().after(&[keep]);
        assert_eq!(context.expression("id"), "{{ $json.id }}");
        assert_eq!(Context::start(Some(&Trigger::Manual)).path("id"), "id");
    }

    #[test]
    fn fields_set_beside_the_body_are_at_the_top_but_the_rest_is_not() {
        let set = Step::SetFields {
            fields: vec![Field {
                name: "status".into(),
                value: "paid".into(),
            }],
            keep_only: false,
        };
        let context = webhook().after(&[set]);
        assert_eq!(context.path("status"), "status");
        assert_eq!(context.path("total"), "body.total");
    }
}
