//! The chat page's views of stored rows: messages with their plan previews, the current plan
//! with what it needs and what stops a deploy, and each deployment's state.

use crate::model::builder::{
    DeployStatus, DeploymentView, MessageView, NeedState, NeedView, PlanView, Role,
};
use chrono::{DateTime, Utc};
use flowpulse_core::builder::catalogue::{credential, credential_noun, CredentialSetup};
use flowpulse_core::builder::compose::Credentials;
use flowpulse_core::builder::plan::WorkflowPlan;
use flowpulse_core::builder::render::{self, CredentialIds};
use flowpulse_core::builder::{graph, summary, validate};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// What the JSON preview shows where n8n's credential ids go: they exist only once a deploy
/// has created the credentials in the target instance.
pub const CREDENTIAL_ID_PLACEHOLDER: &str = "set-when-deployed";

/// A `chat_messages` row.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    /// `id`.
    pub id: Uuid,
    /// `role`.
    pub role: Role,
    /// `content`.
    pub content: String,
    /// `plan`, the plan the reply showed.
    #[serde(default)]
    pub plan: Option<Value>,
    /// `created_at`.
    pub created_at: DateTime<Utc>,
}

/// A `workflow_deployments` row.
#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentRow {
    /// `provider_id`.
    pub provider_id: Uuid,
    /// `status`.
    pub status: DeployStatus,
    /// `active`.
    pub active: bool,
    /// `error`.
    pub error: Option<String>,
    /// `n8n_workflow_id`.
    pub n8n_workflow_id: Option<String>,
    /// `workflow_id`.
    pub workflow_id: Option<Uuid>,
    /// `updated_at`.
    pub updated_at: DateTime<Utc>,
}

/// An instance as the chat page needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct InstanceRow {
    /// `id`.
    pub id: Uuid,
    /// `name`.
    pub name: String,
    /// `base_url`.
    pub base_url: String,
}

/// A message, with the preview of its plan when it showed one.
pub fn message_view(row: MessageRow) -> MessageView {
    let graph = row
        .plan
        .and_then(|plan| serde_json::from_value::<WorkflowPlan>(plan).ok())
        .map(|plan| graph::graph(&plan));
    MessageView {
        id: row.id,
        role: row.role,
        content: row.content,
        graph,
        created_at: row.created_at,
    }
}

/// The current plan of a chat for `user`, against the user's `credentials`.
pub fn plan_view(plan: &WorkflowPlan, credentials: &Credentials, user: Uuid) -> PlanView {
    let needs = needs(plan, credentials);
    let mut blockers: Vec<String> = validate::problems(plan)
        .iter()
        .map(ToString::to_string)
        .collect();
    for need in &needs {
        if let NeedState::Gone(name) = &need.state {
            blockers.push(format!(
                "{} uses the {} credential “{name}”, which you no longer have: add it again on \
                 Credentials, or say “use <another name>”.",
                need.steps.join(", "),
                need.noun
            ));
        }
    }
    let (json, json_is_n8n) = match rendered(plan, user) {
        Some(json) => (json, true),
        None => (
            serde_json::to_string_pretty(plan).unwrap_or_default(),
            false,
        ),
    };
    PlanView {
        title: plan.title.clone(),
        json,
        json_is_n8n,
        needs,
        blockers,
    }
}

/// n8n's workflow JSON of a complete plan, with placeholder credential ids and node ids
/// numbered from 1 (so a live refresh of the page shows the same text).
fn rendered(plan: &WorkflowPlan, user: Uuid) -> Option<String> {
    let ids: CredentialIds = summary::needed_credentials(plan)
        .into_iter()
        .filter_map(|need| {
            let key = (need.credential_type, need.name?);
            Some((key, CREDENTIAL_ID_PLACEHOLDER.to_string()))
        })
        .collect();
    let mut next = 0u128;
    let mut new_id = || {
        next += 1;
        Uuid::from_u128(next)
    };
    let value = render::render(plan, user, &ids, &mut new_id).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

/// The credentials the plan needs, one entry per type and choice, with the steps needing it.
pub fn needs(plan: &WorkflowPlan, credentials: &Credentials) -> Vec<NeedView> {
    let mut out: Vec<NeedView> = Vec::new();
    for need in summary::needed_credentials(plan) {
        let have = credentials.names(&need.credential_type);
        let state = match need.name {
            Some(name) if have.contains(&name) => NeedState::Chosen(name),
            Some(name) => NeedState::Gone(name),
            None if have.is_empty() => NeedState::Missing,
            None => NeedState::Choose(have.to_vec()),
        };
        if let Some(same) = out
            .iter_mut()
            .find(|n| n.credential_type == need.credential_type && n.state == state)
        {
            same.steps.push(need.step);
            continue;
        }
        out.push(NeedView {
            noun: credential_noun(&need.credential_type).to_string(),
            can_add: credential(&need.credential_type)
                .is_some_and(|spec| matches!(spec.setup, CredentialSetup::Fields(_))),
            credential_type: need.credential_type,
            steps: vec![need.step],
            state,
        });
    }
    out
}

/// A deployment on one of `instances`; `plan_shown_at` is when the current plan was last
/// shown, to tell a deployment the plan has moved on from.
pub fn deployment_view(
    row: &DeploymentRow,
    instances: &[InstanceRow],
    plan_shown_at: Option<DateTime<Utc>>,
) -> DeploymentView {
    let instance = instances.iter().find(|i| i.id == row.provider_id);
    let n8n_url = match (instance, &row.n8n_workflow_id, row.status) {
        (Some(instance), Some(id), DeployStatus::Deployed) => Some(n8n_url(&instance.base_url, id)),
        _ => None,
    };
    DeploymentView {
        provider_id: row.provider_id,
        instance: instance.map_or_else(|| "an instance".into(), |i| i.name.clone()),
        status: row.status,
        active: row.active,
        error: row.error.clone(),
        n8n_url,
        workflow_id: row.workflow_id,
        updated_at: row.updated_at,
        outdated: row.status == DeployStatus::Deployed
            && plan_shown_at.is_some_and(|at| at > row.updated_at),
    }
}

/// The workflow in n8n's editor.
pub fn n8n_url(base_url: &str, n8n_workflow_id: &str) -> String {
    let base = flowpulse_core::base_url::redact_user_info(base_url);
    let id: String = n8n_workflow_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    format!("{}/workflow/{id}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowpulse_core::builder::compose::{compose, ComposerReply};
    use serde_json::json;

    const JOURNEY: &str = "When a webhook is called at /orders, keep the fields id and total, \
        post 'New order {{id}}' to Slack #sales and answer ok";

    fn plan(credentials: &Credentials) -> WorkflowPlan {
        match compose(JOURNEY, credentials) {
            ComposerReply::Plan { plan, .. } => plan,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plan_without_its_credential_says_what_is_missing_and_shows_the_plan_itself() {
        let none = Credentials::new();
        let view = plan_view(&plan(&none), &none, Uuid::nil());
        assert_eq!(view.needs.len(), 1);
        assert_eq!(view.needs[0].noun, "Slack");
        assert_eq!(view.needs[0].state, NeedState::Missing);
        assert!(view.needs[0].can_add);
        assert!(!view.blockers.is_empty(), "no credential blocks a deploy");
        assert!(!view.json_is_n8n);
        assert!(view.json.contains("\"orders\""), "{}", view.json);
    }

    #[test]
    fn a_complete_plan_shows_n8ns_json_with_placeholder_ids_the_same_every_time() {
        let slack = Credentials::new().with("slackApi", "Team Slack");
        let plan = plan(&slack);
        let view = plan_view(&plan, &slack, Uuid::from_u128(0xabcdef));
        assert_eq!(view.blockers, Vec::<String>::new());
        assert!(view.json_is_n8n);
        let workflow: Value = serde_json::from_str(&view.json).unwrap();
        let node = workflow["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["type"] == "n8n-nodes-base.slack")
            .expect("a Slack node");
        assert_eq!(
            node["credentials"]["slackApi"],
            json!({"id": CREDENTIAL_ID_PLACEHOLDER, "name": "Team Slack"})
        );
        assert_eq!(view, plan_view(&plan, &slack, Uuid::from_u128(0xabcdef)));
        assert_eq!(view.needs[0].state, NeedState::Chosen("Team Slack".into()));
    }

    #[test]
    fn a_chosen_credential_the_user_deleted_blocks_the_deploy() {
        let slack = Credentials::new().with("slackApi", "Team Slack");
        let view = plan_view(&plan(&slack), &Credentials::new(), Uuid::nil());
        assert_eq!(view.needs[0].state, NeedState::Gone("Team Slack".into()));
        assert!(
            view.blockers.iter().any(|b| b.contains("no longer have")),
            "{:?}",
            view.blockers
        );
    }

    #[test]
    fn a_message_with_a_plan_carries_its_preview() {
        let none = Credentials::new();
        let row = MessageRow {
            id: Uuid::nil(),
            role: Role::Assistant,
            content: "“Webhook /orders → Slack #sales”".into(),
            plan: Some(serde_json::to_value(plan(&none)).unwrap()),
            created_at: Utc::now(),
        };
        let graph = message_view(row.clone()).graph.expect("a preview");
        assert_eq!(graph.boxes.len(), 4, "webhook, fields, Slack, answer");
        let broken = MessageRow {
            plan: Some(json!({"not": "a plan"})),
            ..row
        };
        assert_eq!(message_view(broken).graph, None);
    }

    #[test]
    fn a_deployment_links_to_n8n_and_knows_when_the_plan_moved_on() {
        let at = Utc::now();
        let row = DeploymentRow {
            provider_id: Uuid::from_u128(1),
            status: DeployStatus::Deployed,
            active: true,
            error: None,
            n8n_workflow_id: Some("AbC123".into()),
            workflow_id: Some(Uuid::from_u128(2)),
            updated_at: at,
        };
        let instances = [InstanceRow {
            id: Uuid::from_u128(1),
            name: "Production".into(),
            base_url: "https://n8n.example.com/".into(),
        }];
        let view = deployment_view(&row, &instances, Some(at - chrono::Duration::seconds(5)));
        assert_eq!(
            view.n8n_url.as_deref(),
            Some("https://n8n.example.com/workflow/AbC123")
        );
        assert!(!view.outdated);
        let later = deployment_view(&row, &instances, Some(at + chrono::Duration::seconds(5)));
        assert!(later.outdated);
        let failed = DeploymentRow {
            status: DeployStatus::Failed,
            ..row
        };
        assert_eq!(deployment_view(&failed, &instances, None).n8n_url, None);
    }
}
