//! The n8n nodes and credential types the builder produces, pinned to n8n 2.41.1 — the version
//! FlowPulse's tests run (`tests/it/builder_catalogue.rs` checks every entry against that
//! install's `n8n-nodes-base/dist/types/{nodes,credentials}.json`).
//!
//! Each node is pinned to the version the 2.41.1 editor itself creates (the description's
//! `defaultVersion`, else its newest), so a workflow FlowPulse deploys looks exactly like one a
//! person built there. The parameter shapes `render` writes follow those versions' descriptions.

mod credentials;

use serde::{Deserialize, Serialize};

use super::plan::{Step, Trigger};
pub use credentials::{
    credential, credential_noun, CredentialField, CredentialSetup, CredentialSpec, FieldKind,
    CREDENTIALS,
};

/// The n8n version every pin below was read from.
pub const PINNED_N8N_VERSION: &str = "2.41.1";

/// The nodes the builder can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Webhook trigger.
    Webhook,
    /// Schedule trigger.
    Schedule,
    /// Manual trigger.
    Manual,
    /// Error trigger ("when another workflow fails").
    WorkflowError,
    /// HTTP Request.
    HttpRequest,
    /// Slack (post a message).
    Slack,
    /// Send Email (SMTP).
    Email,
    /// Discord (through a webhook).
    Discord,
    /// Telegram (send a message).
    Telegram,
    /// Edit Fields (Set).
    SetFields,
    /// If.
    If,
    /// Filter.
    Filter,
    /// Code (JavaScript).
    Code,
    /// Wait.
    Wait,
    /// Respond to Webhook.
    RespondToWebhook,
    /// Postgres (insert).
    PostgresInsert,
}

/// Whether a workflow started by a trigger has to be active (published) to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Not a trigger.
    NotATrigger,
    /// Runs only while the workflow is active (production webhooks, timetables).
    Required,
    /// n8n accepts activation but does not need it: an error workflow runs whenever a failing
    /// workflow names it in its settings, active or not.
    Optional,
    /// n8n refuses to activate a workflow whose only trigger is this one (it is started by
    /// hand in the editor).
    Impossible,
}

/// One node type as the builder uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSpec {
    /// The builder's name for it.
    pub kind: NodeKind,
    /// n8n's `type`.
    pub node_type: &'static str,
    /// The pinned `typeVersion`.
    pub version: f64,
    /// The name n8n's editor gives a new node of this type (made unique with a number).
    pub default_name: &'static str,
    /// Whether a workflow with this trigger must / may / cannot be activated.
    pub activation: Activation,
    /// Parameters the renderer always writes and the node cannot work without.
    pub required_parameters: &'static [&'static str],
    /// Credential types the node may reference (empty: none).
    pub credential_types: &'static [&'static str],
    /// Number of `main` outputs.
    pub outputs: usize,
    /// Whether the node carries a `webhookId` (nodes that own an n8n webhook URL).
    pub webhook_id: bool,
}

impl NodeSpec {
    /// Whether the node starts a workflow.
    pub fn is_trigger(&self) -> bool {
        self.activation != Activation::NotATrigger
    }

    /// Whether n8n accepts activating a workflow started by this node.
    pub fn can_activate(&self) -> bool {
        matches!(self.activation, Activation::Required | Activation::Optional)
    }
}

const fn node(
    kind: NodeKind,
    node_type: &'static str,
    version: f64,
    default_name: &'static str,
) -> NodeSpec {
    NodeSpec {
        kind,
        node_type,
        version,
        default_name,
        activation: Activation::NotATrigger,
        required_parameters: &[],
        credential_types: &[],
        outputs: 1,
        webhook_id: false,
    }
}

/// Every node the builder produces, triggers first.
pub const NODES: &[NodeSpec] = &[
    NodeSpec {
        activation: Activation::Required,
        required_parameters: &["httpMethod", "path", "responseMode"],
        webhook_id: true,
        ..node(NodeKind::Webhook, "n8n-nodes-base.webhook", 2.1, "Webhook")
    },
    NodeSpec {
        activation: Activation::Required,
        required_parameters: &["rule"],
        ..node(
            NodeKind::Schedule,
            "n8n-nodes-base.scheduleTrigger",
            1.4,
            "Schedule Trigger",
        )
    },
    NodeSpec {
        activation: Activation::Impossible,
        ..node(
            NodeKind::Manual,
            "n8n-nodes-base.manualTrigger",
            1.0,
            "When clicking ‘Execute workflow’",
        )
    },
    NodeSpec {
        activation: Activation::Optional,
        ..node(
            NodeKind::WorkflowError,
            "n8n-nodes-base.errorTrigger",
            1.0,
            "Error Trigger",
        )
    },
    NodeSpec {
        required_parameters: &["method", "url", "authentication"],
        credential_types: &["httpHeaderAuth", "httpBasicAuth"],
        ..node(
            NodeKind::HttpRequest,
            "n8n-nodes-base.httpRequest",
            4.5,
            "HTTP Request",
        )
    },
    NodeSpec {
        required_parameters: &[
            "authentication",
            "resource",
            "operation",
            "select",
            "channelId",
            "text",
        ],
        credential_types: &["slackApi"],
        ..node(NodeKind::Slack, "n8n-nodes-base.slack", 2.7, "Slack")
    },
    NodeSpec {
        required_parameters: &["fromEmail", "toEmail", "subject", "emailFormat", "text"],
        credential_types: &["smtp"],
        ..node(
            NodeKind::Email,
            "n8n-nodes-base.emailSend",
            2.1,
            "Send Email",
        )
    },
    NodeSpec {
        required_parameters: &["authentication", "operation", "content"],
        credential_types: &["discordWebhookApi"],
        ..node(NodeKind::Discord, "n8n-nodes-base.discord", 2.0, "Discord")
    },
    NodeSpec {
        required_parameters: &["resource", "operation", "chatId", "text"],
        credential_types: &["telegramApi"],
        ..node(
            NodeKind::Telegram,
            "n8n-nodes-base.telegram",
            1.2,
            "Telegram",
        )
    },
    NodeSpec {
        required_parameters: &["mode", "assignments", "includeOtherFields"],
        ..node(
            NodeKind::SetFields,
            "n8n-nodes-base.set",
            3.5,
            "Edit Fields",
        )
    },
    NodeSpec {
        required_parameters: &["conditions"],
        outputs: 2,
        ..node(NodeKind::If, "n8n-nodes-base.if", 2.3, "If")
    },
    NodeSpec {
        required_parameters: &["conditions"],
        ..node(NodeKind::Filter, "n8n-nodes-base.filter", 2.3, "Filter")
    },
    NodeSpec {
        required_parameters: &["mode", "language", "jsCode"],
        ..node(NodeKind::Code, "n8n-nodes-base.code", 2.0, "Code")
    },
    NodeSpec {
        required_parameters: &["resume", "amount", "unit"],
        webhook_id: true,
        ..node(NodeKind::Wait, "n8n-nodes-base.wait", 1.1, "Wait")
    },
    NodeSpec {
        required_parameters: &["respondWith", "options"],
        ..node(
            NodeKind::RespondToWebhook,
            "n8n-nodes-base.respondToWebhook",
            1.5,
            "Respond to Webhook",
        )
    },
    NodeSpec {
        required_parameters: &["operation", "schema", "table", "columns"],
        credential_types: &["postgres"],
        ..node(
            NodeKind::PostgresInsert,
            "n8n-nodes-base.postgres",
            2.7,
            "Postgres",
        )
    },
];

/// The spec of a node kind.
pub fn spec(kind: NodeKind) -> &'static NodeSpec {
    NODES
        .iter()
        .find(|spec| spec.kind == kind)
        .expect("every node kind has a catalogue entry")
}

/// The spec of an n8n node `type`, if the builder knows it.
pub fn spec_by_type(node_type: &str) -> Option<&'static NodeSpec> {
    NODES.iter().find(|spec| spec.node_type == node_type)
}

/// The node a trigger becomes.
pub fn trigger_kind(trigger: &Trigger) -> NodeKind {
    match trigger {
        Trigger::Webhook { .. } => NodeKind::Webhook,
        Trigger::Schedule { .. } => NodeKind::Schedule,
        Trigger::Manual => NodeKind::Manual,
        Trigger::WorkflowError => NodeKind::WorkflowError,
    }
}

/// The node a step becomes.
pub fn step_kind(step: &Step) -> NodeKind {
    match step {
        Step::HttpRequest { .. } => NodeKind::HttpRequest,
        Step::Slack { .. } => NodeKind::Slack,
        Step::Email { .. } => NodeKind::Email,
        Step::Discord { .. } => NodeKind::Discord,
        Step::Telegram { .. } => NodeKind::Telegram,
        Step::SetFields { .. } => NodeKind::SetFields,
        Step::If { .. } => NodeKind::If,
        Step::Filter { .. } => NodeKind::Filter,
        Step::Code { .. } => NodeKind::Code,
        Step::Wait { .. } => NodeKind::Wait,
        Step::RespondToWebhook { .. } => NodeKind::RespondToWebhook,
        Step::PostgresInsert { .. } => NodeKind::PostgresInsert,
    }
}

/// The credential type a step uses and the user's credential chosen for it (`None` while
/// unchosen); `None` for steps that need no credential.
pub fn step_credential(step: &Step) -> Option<(&'static str, Option<&str>)> {
    use super::plan::HttpAuth;
    match step {
        Step::HttpRequest { auth, .. } => match auth {
            HttpAuth::None => None,
            HttpAuth::Header { credential } => Some(("httpHeaderAuth", credential.as_deref())),
            HttpAuth::Basic { credential } => Some(("httpBasicAuth", credential.as_deref())),
        },
        Step::Slack { credential, .. } => Some(("slackApi", credential.as_deref())),
        Step::Email { credential, .. } => Some(("smtp", credential.as_deref())),
        Step::Discord { credential, .. } => Some(("discordWebhookApi", credential.as_deref())),
        Step::Telegram { credential, .. } => Some(("telegramApi", credential.as_deref())),
        Step::PostgresInsert { credential, .. } => Some(("postgres", credential.as_deref())),
        Step::SetFields { .. }
        | Step::If { .. }
        | Step::Filter { .. }
        | Step::Code { .. }
        | Step::Wait { .. }
        | Step::RespondToWebhook { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_kind_has_exactly_one_entry() {
        let mut kinds: Vec<NodeKind> = NODES.iter().map(|spec| spec.kind).collect();
        let count = kinds.len();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), count);
        assert_eq!(count, 16);
        assert_eq!(spec(NodeKind::If).outputs, 2);
    }

    #[test]
    fn node_types_are_unique_and_found_by_type() {
        for spec in NODES {
            assert_eq!(spec_by_type(spec.node_type).unwrap().kind, spec.kind);
            assert!(spec.node_type.starts_with("n8n-nodes-base."));
        }
        assert!(spec_by_type("n8n-nodes-base.noOp").is_none());
    }

    #[test]
    fn only_triggers_have_an_activation_rule() {
        let triggers: Vec<NodeKind> = NODES
            .iter()
            .filter(|spec| spec.is_trigger())
            .map(|spec| spec.kind)
            .collect();
        assert_eq!(
            triggers,
            [
                NodeKind::Webhook,
                NodeKind::Schedule,
                NodeKind::Manual,
                NodeKind::WorkflowError
            ]
        );
        assert!(!spec(NodeKind::Manual).can_activate());
        assert!(spec(NodeKind::Schedule).can_activate());
    }

    #[test]
    fn every_credential_a_node_references_is_catalogued_with_fields() {
        for spec in NODES {
            for credential_type in spec.credential_types {
                let entry = credential(credential_type).expect(credential_type);
                assert!(
                    matches!(entry.setup, CredentialSetup::Fields(fields) if !fields.is_empty()),
                    "{credential_type} can be filled in"
                );
                assert_ne!(credential_noun(credential_type), "other");
            }
        }
        assert_eq!(
            credential("slackOAuth2Api").unwrap().setup,
            CredentialSetup::ConnectInN8n
        );
    }
}
